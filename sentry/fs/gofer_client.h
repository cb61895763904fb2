/*
 * The sentry's side of the gofer protocol (see docs/gofer-protocol.md and
 * gofer/protocol.h). Every reply is hostile input: the client validates sizes,
 * counts, names and descriptors before anything uses them.
 *
 * Calls are synchronous and thread-safe. Each returns 0 (or a length) on
 * success and -errno on failure; -EIO when the gofer is gone or misbehaves.
 */
#ifndef SENTRY_FS_GOFER_CLIENT_H
#define SENTRY_FS_GOFER_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gofer_client;
typedef uint64_t gofer_fid; /* a host file or directory the gofer holds (O_PATH) */

struct gofer_attr {
	uint64_t dev, ino, nlink, size, blocks, rdev;
	uint32_t mode, uid, gid, blksize;
	int64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec;
};

struct gofer_dirent {
	uint64_t ino;
	uint64_t next_off; /* offset to pass to continue after this entry */
	uint8_t type;      /* DT_* */
	char name[256];
};

struct gofer_statfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen, frsize, flags;
};

/* Start a gofer serving host directory root (read-only unless rw). Done at
 * boot only. gofer_path is the gofer executable. On success *pid is the
 * gofer's host pid and the returned client is connected. */
struct gofer_client *gofer_spawn(const char *gofer_path, const char *root, bool rw, pid_t *pid,
				 char *err, size_t errlen);
/* A client over an already-connected socket (for tests). */
struct gofer_client *gofer_client_new(int sock);
void gofer_client_close(struct gofer_client *gc);
/* End the connection but keep gc: the sentry's exit, while task threads of
 * processes still alive may be inside a request (it then fails with EIO as
 * when the gofer dies); the gofer sees EOF and exits. */
void gofer_client_shutdown(struct gofer_client *gc);

int gofer_root(struct gofer_client *gc, gofer_fid *out, struct gofer_attr *attr);
/* Walk one component (no '/', not "." or ".."); never follows a symlink. */
int gofer_walk(struct gofer_client *gc, gofer_fid dir, const char *name, gofer_fid *out,
	       struct gofer_attr *attr);
int gofer_stat(struct gofer_client *gc, gofer_fid fid, struct gofer_attr *attr);
/* The attributes a walk of name would return, without a new fid (STATAT):
 * for revalidating a cached name (same host dev/ino/type or not). */
int gofer_statat(struct gofer_client *gc, gofer_fid dir, const char *name,
		 struct gofer_attr *attr);
/* Open the file for I/O; flags: O_RDONLY/O_WRONLY/O_RDWR, O_TRUNC, O_APPEND,
 * O_DIRECTORY. The gofer donates a host descriptor (close-on-exec). */
int gofer_open(struct gofer_client *gc, gofer_fid fid, int flags, int *host_fd);
/* Returns the target's length (not NUL-terminated if it fills buf). */
ssize_t gofer_readlink(struct gofer_client *gc, gofer_fid fid, char *buf, size_t size);
/* Read up to max entries starting at offset off ("." and ".." included as the
 * host lists them). Returns the number of entries, 0 at the end. */
int gofer_getdents(struct gofer_client *gc, gofer_fid dir, uint64_t off, struct gofer_dirent *ents,
		   int max);
int gofer_statfs(struct gofer_client *gc, gofer_fid fid, struct gofer_statfs *st);
/* Release a fid. */
void gofer_clunk(struct gofer_client *gc, gofer_fid fid);

/* --- the writable protocol (a read-only gofer answers -EROFS) ------------ */

/* Create name in dir (O_CREAT is implied; flags: access mode, O_EXCL,
 * O_TRUNC, O_APPEND...; mode: permission bits; uid/gid: the owner, (u32)-1
 * for the gofer's). On success *out is the new file's fid and *host_fd an
 * open descriptor with the requested access. */
int gofer_create(struct gofer_client *gc, gofer_fid dir, const char *name, int flags,
		 uint32_t mode, uint32_t uid, uint32_t gid, gofer_fid *out, struct gofer_attr *attr,
		 int *host_fd);
/* O_TMPFILE: an unnamed regular file in dir, opened read-write (its host
 * descriptor in *host_fd); LINK gives it a name. */
int gofer_tmpfile(struct gofer_client *gc, gofer_fid dir, uint32_t mode, uint32_t uid,
		  uint32_t gid, gofer_fid *out, struct gofer_attr *attr, int *host_fd);
int gofer_mkdir(struct gofer_client *gc, gofer_fid dir, const char *name, uint32_t mode,
		uint32_t uid, uint32_t gid, gofer_fid *out, struct gofer_attr *attr);
/* FIFOs and sockets only (mode includes S_IFIFO or S_IFSOCK): -EPERM else. */
int gofer_mknod(struct gofer_client *gc, gofer_fid dir, const char *name, uint32_t mode,
		uint32_t uid, uint32_t gid, gofer_fid *out, struct gofer_attr *attr);
int gofer_symlink(struct gofer_client *gc, gofer_fid dir, const char *name, const char *target,
		  uint32_t uid, uint32_t gid, gofer_fid *out, struct gofer_attr *attr);
/* A new name in dir for the non-directory target. */
int gofer_link(struct gofer_client *gc, gofer_fid dir, const char *name, gofer_fid target,
	       gofer_fid *out, struct gofer_attr *attr);
/* flags: 0 or AT_REMOVEDIR. */
int gofer_unlink(struct gofer_client *gc, gofer_fid dir, const char *name, int flags);
/* flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE. */
int gofer_rename(struct gofer_client *gc, gofer_fid olddir, const char *oldname,
		 gofer_fid newdir, const char *newname, unsigned flags);

/* Which fields of gofer_setattr to change (GOFER_SETATTR_* values). */
#define GOFER_SET_MODE 0x1
#define GOFER_SET_UID 0x2
#define GOFER_SET_GID 0x4
#define GOFER_SET_SIZE 0x8
#define GOFER_SET_ATIME 0x10
#define GOFER_SET_MTIME 0x20
struct gofer_setattr {
	unsigned valid;
	uint32_t mode, uid, gid;
	uint64_t size;
	int64_t atime_sec, mtime_sec;
	uint32_t atime_nsec, mtime_nsec; /* may be UTIME_NOW / UTIME_OMIT */
};
/* Change attributes; *attr (if not NULL) gets the new ones. */
int gofer_setattr(struct gofer_client *gc, gofer_fid fid, const struct gofer_setattr *sa,
		  struct gofer_attr *attr);
/* fsync of a directory (or file) by fid. */
int gofer_fsync(struct gofer_client *gc, gofer_fid fid, bool datasync);
/* user.* extended attributes. get/list return the length (with size 0: the
 * length only) or -errno (-ERANGE when size is too small). */
ssize_t gofer_getxattr(struct gofer_client *gc, gofer_fid fid, const char *name, void *buf,
		       size_t size);
ssize_t gofer_listxattr(struct gofer_client *gc, gofer_fid fid, char *buf, size_t size);
int gofer_setxattr(struct gofer_client *gc, gofer_fid fid, const char *name, const void *value,
		   size_t size, int flags);
int gofer_removexattr(struct gofer_client *gc, gofer_fid fid, const char *name);

/* Like gofer_spawn but returns the raw connected socket (or -errno), for
 * tests that speak the protocol directly. */
int gofer_spawn_fd(const char *gofer_path, const char *root, bool rw, pid_t *pid, char *err,
		   size_t errlen);
/* VERSION handshake (gofer_spawn does it); *flags gets GOFER_VF_* (which
 * confinement steps took effect in the gofer). */
int gofer_version(struct gofer_client *gc, uint32_t *flags);
/* GOFER_VF_* flags from the last VERSION handshake. */
uint32_t gofer_client_flags(struct gofer_client *gc);

#endif
