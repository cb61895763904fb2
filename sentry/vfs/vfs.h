/*
 * The virtual filesystem: the public face used by the kernel, the loader, mm
 * and the syscall handlers. The VFS owns inodes, dentries, open files, mounts,
 * path resolution and fd tables; filesystems live in sentry/fs/.
 *
 * (This header is the contract between subsystems; implementation details
 * belong in vfs/vfs_impl.h or the .c files.)
 */
#ifndef SENTRY_VFS_VFS_H
#define SENTRY_VFS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct task;
struct file;
struct fdtable;
struct fs_context;

/* --- boot ---------------------------------------------------------------- */

struct gofer_client;

/* A host directory mounted into the sandbox (--volume HOST:SANDBOX[:ro]),
 * served by its own gofer. */
struct vfs_volume {
	struct gofer_client *gofer; /* connected client of the volume's gofer */
	const char *path;    /* absolute mount point in the sandbox */
	const char *source;  /* host directory (for /proc/mounts) */
	bool rw;             /* writable (the gofer runs with --rw) */
	/* Shared-mode validity time (docs/vfs.md "Coherence with the host"):
	 * 0 (the default) revalidates every cached name and attribute against
	 * the host at each lookup/stat; N trusts them for N ms. */
	unsigned cache_ms;
};

struct vfs_boot_config {
	struct gofer_client *gofer; /* connected client of the gofer serving the root */
	bool overlay;        /* put a tmpfs upper layer over the gofer root */
	bool rw;             /* gofer root writable (no overlay) */
	const char *cwd;     /* initial working directory inside the sandbox */
	const struct vfs_volume *volumes; /* mounted last, shallowest path first */
	int nvolumes;
};

/* Mount the root (gofer, optionally under an overlay), /tmp, /dev, /proc,
 * /sys, then the volumes (mount points created when missing). */
int vfs_boot(const struct vfs_boot_config *cfg);

/* --- open files ---------------------------------------------------------- */

void file_get(struct file *f);
void file_put(struct file *f);
/* Read from a file at an offset into a sentry buffer (not the file position). */
ssize_t file_pread(struct file *f, void *buf, size_t n, uint64_t off);
/* Absolute sandbox path of the file, as /proc/PID/maps and fd/ show it. */
int file_path(struct file *f, char *buf, size_t size);
/* Device and inode numbers (for /proc/PID/maps). */
void file_ids(struct file *f, uint64_t *dev, uint64_t *ino);
/* Open flags (O_ACCMODE etc.) of the open file description. */
int file_flags(struct file *f);
/* A host descriptor backing the file's data, or -1 (for file mappings). */
int file_host_fd(struct file *f);

/* A file over a host descriptor (the caller's stdin/stdout/stderr). The file
 * owns host_fd from now on. */
struct file *hostfd_file_new(int host_fd, int flags);

/* Open path (relative to cwd) for execve: follows symlinks, requires a regular
 * file with execute permission for the task (EACCES otherwise). */
int vfs_open_exec(struct task *t, const char *path, struct file **out);

/* --- fd tables ----------------------------------------------------------- */

struct fdtable *fdtable_new(void);
struct fdtable *fdtable_dup(struct fdtable *fdt); /* fork without CLONE_FILES */
void fdtable_get(struct fdtable *fdt);
void fdtable_put(struct fdtable *fdt);
/* Install f at the lowest free fd >= minfd. Takes a new reference on f.
 * Returns the fd or -EMFILE. */
int fd_install(struct fdtable *fdt, struct file *f, bool cloexec, int minfd);
/* Get the file at fd with a new reference, or NULL. */
struct file *fd_get(struct fdtable *fdt, int fd);
void fdtable_close_on_exec(struct fdtable *fdt);

/* --- per-process filesystem context (root, cwd, umask) ------------------- */

struct fs_context *fs_context_new(void); /* root and cwd at the sandbox root */
struct fs_context *fs_context_dup(struct fs_context *fs);
void fs_context_get(struct fs_context *fs);
void fs_context_put(struct fs_context *fs);
/* chdir for boot (--cwd): 0 or -errno */
int fs_context_chdir(struct task *t, const char *path);
/* unshare(CLONE_NEWNS) / clone(CLONE_NEWNS): give fs (not shared with other
 * tasks) a new mount namespace, a copy of its current one (vfs/mount.c). */
int vfs_unshare_mount_ns(struct fs_context *fs);

#endif
