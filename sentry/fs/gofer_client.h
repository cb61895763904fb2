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

int gofer_root(struct gofer_client *gc, gofer_fid *out, struct gofer_attr *attr);
/* Walk one component (no '/', not "." or ".."); never follows a symlink. */
int gofer_walk(struct gofer_client *gc, gofer_fid dir, const char *name, gofer_fid *out,
	       struct gofer_attr *attr);
int gofer_stat(struct gofer_client *gc, gofer_fid fid, struct gofer_attr *attr);
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
