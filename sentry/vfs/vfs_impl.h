/*
 * The VFS's internal interface: what a filesystem implements (superblock,
 * inode, dentry and file operations) and the helpers it may use, including
 * the "synthetic filesystem" kit procfs/devfs/sysfs are built with.
 *
 * Objects
 *   superblock  one mounted filesystem instance (dev number, root dentry).
 *   inode       a file; refcounted; owned by its filesystem (priv).
 *   dentry      a name in the tree: name + parent + inode. Each dentry holds a
 *               reference on its parent and its inode. Children are cached in
 *               the parent's list WITHOUT a reference: a dentry whose count
 *               drops to 0 stays cached (unless its sb has SB_NOCACHE, or it
 *               was unlinked/dropped) and is revived by the next lookup.
 *   mount       a superblock's root dentry attached at a mountpoint dentry of
 *               a parent mount. struct path = {mount, dentry}, both referenced.
 *   file        an open file description: refcounted, shared by fds/threads.
 *
 * LOCK ORDER (outermost first). Take at most what you need, never reverse:
 *   1. file->pos_lock        (serializes read/write/lseek/getdents of one
 *                             file description, like Linux's f_pos_lock)
 *   2. vfs_rename_lock       (global mutex: every rename, mount, umount)
 *   3. dentry->lock of directories: ancestor before descendant; two unrelated
 *                             directories (rename only) in address order.
 *                             dentry->lock protects the child list and
 *                             serializes name operations in that directory
 *                             (lookup-miss, create, mkdir, unlink, rmdir,
 *                             rename, symlink, link). The VFS takes it before
 *                             calling the inode_operations that change names.
 *      Overlay: overlay dentry locks come before the locks of its upper and
 *      lower filesystems' dentries (which are ordinary dentries of their own
 *      superblocks), then ovl_copyup_lock, then those underlying locks.
 *   4. inode->lock           (file data, size, attributes)
 *   5. leaf locks, held only to read/swap pointers or take references, never
 *      while calling filesystem code: vfs_tree_lock (rwlock: dentry->parent
 *      and dentry->name of every dentry), vfs_mount_lock (rwlock: the mount
 *      table), fdtable->lock, fs_context->lock, file->flags_lock.
 * Never copy to/from application memory while holding locks 2-5 (bounce
 * through a sentry buffer; copying under pos_lock is allowed, as in Linux).
 * The kernel's order puts kernel.lock and mm->lock before all of these.
 */
#ifndef SENTRY_VFS_VFS_IMPL_H
#define SENTRY_VFS_VFS_IMPL_H

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "vfs/vfs.h"

struct task;
struct superblock;
struct inode;
struct dentry;
struct mount;
struct file;
struct kstat;
struct iattr;
struct kstatfs;
struct dir_context;
struct path;
struct mnt_namespace;

#define VFS_PATH_MAX 4096
#define VFS_NAME_MAX 255
#define VFS_MAXSYMLINKS 40

/* --- superblock ---------------------------------------------------------- */

#define SB_RDONLY 0x1   /* writes fail with EROFS */
#define SB_NOCACHE 0x2  /* unreferenced dentries are dropped at once (procfs) */
#define SB_NOEXEC 0x4
#define SB_NOSUID 0x8
#define SB_NODEV 0x10

struct super_operations {
	int (*statfs)(struct superblock *sb, struct kstatfs *st);
	/* Called when the last reference of an inode of this sb goes away. */
	void (*evict_inode)(struct inode *inode);
	/* Called when the superblock is freed (after its root dentry). */
	void (*put_super)(struct superblock *sb);
};

struct superblock {
	const char *fstype;         /* "tmpfs", "proc", ... (for /proc/mounts) */
	uint64_t magic;             /* f_type for statfs */
	uint64_t dev;               /* st_dev of every inode (sandbox number) */
	unsigned flags;             /* SB_* */
	struct dentry *root;        /* holds a reference */
	const struct super_operations *ops;
	void *priv;
	atomic_uint_fast64_t next_ino; /* for sb_next_ino() */
	atomic_int refs;
};

/* Allocate a superblock with a fresh sandbox device number (minor from an
 * anonymous-device counter, like Linux's 0:N). Its root is set by the fs. */
struct superblock *sb_alloc(const char *fstype, uint64_t magic, unsigned flags,
			    const struct super_operations *ops);
void sb_get(struct superblock *sb);
void sb_put(struct superblock *sb);
uint64_t sb_next_ino(struct superblock *sb);
/* Set sb->root to a new root dentry (name "/") over inode (takes the caller's
 * inode reference). */
int sb_set_root(struct superblock *sb, struct inode *inode);

/* --- inodes ------------------------------------------------------------- */

struct kstat {
	uint64_t dev, ino, nlink, rdev, size, blocks;
	uint32_t mode, uid, gid, blksize;
	struct timespec atime, mtime, ctime, btime;
};

/* setattr request (ATTR_* in valid) */
#define ATTR_MODE 0x1
#define ATTR_UID 0x2
#define ATTR_GID 0x4
#define ATTR_SIZE 0x8
#define ATTR_ATIME 0x10
#define ATTR_MTIME 0x20
#define ATTR_CTIME 0x40
struct iattr {
	unsigned valid;
	uint32_t mode, uid, gid;
	uint64_t size;
	struct timespec atime, mtime, ctime;
};

struct kstatfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen, frsize, flags;
	uint64_t fsid;
};

/*
 * Name operations receive dentries so stacked filesystems (overlay) know
 * where they are. For all of them the VFS holds dir->lock; "child" is a new
 * negative dentry (child->inode == NULL) already named and parented under dir
 * that the fs instantiates with d_instantiate() on success. Permission checks
 * are done by the VFS before the call; the fs only checks its own rules.
 * Missing ops mean the operation is not supported (-EPERM / -EINVAL /
 * -ENOTDIR as Linux returns for such filesystems).
 */
struct inode_operations {
	/* Find child->name in dir; d_instantiate(child, inode) or -ENOENT. */
	int (*lookup)(struct dentry *dir, struct dentry *child);
	int (*create)(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t);
	int (*mkdir)(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t);
	int (*mknod)(struct dentry *dir, struct dentry *child, uint32_t mode, uint64_t rdev,
		     struct task *t);
	int (*symlink)(struct dentry *dir, struct dentry *child, const char *target,
		       struct task *t);
	/* Hard link: old (positive) gets the new name child in dir. */
	int (*link)(struct dentry *old, struct dentry *dir, struct dentry *child);
	/* Remove the name; the VFS then unhashes the dentry. */
	int (*unlink)(struct dentry *dir, struct dentry *child);
	int (*rmdir)(struct dentry *dir, struct dentry *child);
	/* Move old (in olddir) to new (in newdir; positive if it exists and is
	 * to be replaced, the VFS has checked type compatibility/emptiness is
	 * the fs's job: -ENOTEMPTY). flags: RENAME_NOREPLACE handled by VFS. */
	int (*rename)(struct dentry *olddir, struct dentry *old, struct dentry *newdir,
		      struct dentry *new_, unsigned flags);
	/* Symlink target into buf (not NUL-terminated); returns its length.
	 * Synthetic symlinks compute it here (e.g. /proc/self). */
	ssize_t (*readlink)(struct dentry *d, char *buf, size_t size);
	/* Fill st; when NULL the VFS uses generic_getattr (inode fields). */
	int (*getattr)(struct dentry *d, struct kstat *st);
	/* Change attributes; when NULL generic_setattr changes the inode fields
	 * (ATTR_SIZE then fails with -EPERM unless the fs handles it). */
	int (*setattr)(struct dentry *d, const struct iattr *ia);
	/* Called by the VFS when the file is opened (after permission checks and
	 * the O_TRUNC setattr): set f->ops / f->priv if different from
	 * inode->fops, or fail. Optional. */
	int (*open)(struct dentry *d, struct file *f);
	/* Permission override (return -EACCES/0); mask is MAY_*; NULL = generic. */
	int (*permission)(struct inode *inode, int mask, struct task *t);
	/* Magic symlinks (/proc/PID/fd/N, exe, cwd, root): when set, the path
	 * walk follows the link with this instead of walking readlink's text.
	 * Fill *out with a referenced path, or, for an open file that has no
	 * path (pipe, host descriptor), set *filep to a referenced file (open
	 * then reopens it with file_operations.reopen). */
	int (*get_path)(struct dentry *d, struct path *out, struct file **filep);
	/* O_TMPFILE: instantiate child (negative, never to be hashed) with a
	 * new unnamed regular file of mode (nlink 0). Optional: EOPNOTSUPP. */
	int (*tmpfile)(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t);
	/* Extended attributes (optional; NULL: the fs stores none). get/list
	 * return the length, or with size 0 only the length; -ERANGE if size
	 * is too small, -ENODATA for a missing name, -EOPNOTSUPP for a
	 * namespace the fs does not keep. flags: XATTR_CREATE/XATTR_REPLACE.
	 * Buffers are sentry memory; the VFS checks permissions. */
	ssize_t (*getxattr)(struct dentry *d, const char *name, void *buf, size_t size);
	ssize_t (*listxattr)(struct dentry *d, char *buf, size_t size);
	int (*setxattr)(struct dentry *d, const char *name, const void *value, size_t size,
			int flags);
	int (*removexattr)(struct dentry *d, const char *name);
};

struct inode {
	atomic_int refs;
	pthread_mutex_t lock;       /* data, size, times, mode/uid/gid */
	struct superblock *sb;      /* not referenced (the sb outlives its inodes) */
	uint64_t ino;
	uint32_t mode;              /* S_IFMT | permission bits */
	uint32_t uid, gid;
	uint64_t nlink;
	uint64_t rdev;
	uint64_t size;
	struct timespec atime, mtime, ctime;
	const struct inode_operations *iops;
	const struct file_operations *fops; /* default ops of files opened on it */
	void *priv;                 /* the filesystem's own */
	atomic_uint iflags;         /* I_* */
	void *fifo;                 /* lock: a FIFO's pipe (fs/pipe.c), NULL until opened */
};

/* FIFOs (fs/pipe.c): open a FIFO inode's pipe end into f (blocking as
 * Linux's fifo_open), and free the pipe when the inode goes. */
int fifo_open(struct inode *inode, struct file *f, int flags);
/* F_GETPIPE_SZ / F_SETPIPE_SZ on a pipe or FIFO end; -EBADF for other files. */
long pipe_fcntl(struct file *f, int cmd, uint64_t arg);
/* tee(2) between two pipe ends; -EINVAL unless both are pipes. */
long pipe_tee(struct file *in, struct file *out, size_t len, bool nonblock);
void fifo_evict(struct inode *inode);

#define I_OVL_OPAQUE 0x1  /* overlay: this upper directory hides the lower one */
#define I_LINKABLE 0x2    /* O_TMPFILE without O_EXCL: linkat may give it a name */

#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4

/* New inode with refs=1, ino from sb_next_ino (override if needed), times =
 * now, nlink 1 (2 for directories). */
struct inode *inode_new(struct superblock *sb, uint32_t mode);
void inode_get(struct inode *inode);
void inode_put(struct inode *inode);
void generic_getattr(struct inode *inode, struct kstat *st);
int generic_setattr(struct inode *inode, const struct iattr *ia);
/* Permission check with the task's fs credentials (fsuid/fsgid, groups,
 * CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH). t may be NULL (= root). */
int inode_permission(struct inode *inode, int mask, struct task *t);
void vfs_now(struct timespec *ts);

/* --- dentries ----------------------------------------------------------- */

#define D_DEAD 0x1      /* unlinked or dropped: no longer findable, freed at 0 */
#define D_DIRCACHE 0x2  /* reserved */

struct dentry_operations {
	/* Return 1 if the cached dentry is still valid, 0 to redo the lookup
	 * (the VFS then drops it and its unused cached descendants). Called
	 * when a lookup finds d cached: without locks from vfs_lookup_one
	 * (path walks), with the parent's dentry->lock held from
	 * d_lookup_locked (name operations). May take only leaf locks and
	 * d->inode->lock; never d's or the parent's dentry->lock. */
	int (*revalidate)(struct dentry *d);
};

struct dentry {
	atomic_int refs;
	pthread_mutex_t lock;       /* child list + name ops in this directory */
	char *name;                 /* vfs_tree_lock */
	struct dentry *parent;      /* vfs_tree_lock; NULL for an sb root */
	struct inode *inode;        /* NULL while negative (being created) */
	struct superblock *sb;      /* the root dentry's sb: no reference */
	struct dentry *children;    /* first child (parent->lock) */
	struct dentry *next_sibling;/* parent->lock */
	atomic_int mounted;         /* number of mounts on this dentry */
	unsigned flags;             /* D_*: dentry->parent->lock */
	const struct dentry_operations *dops;
	void *fsdata;               /* the filesystem's own (overlay uses it) */
};

void dget(struct dentry *d);
void dput(struct dentry *d);
/* Bind a negative dentry to inode (takes the caller's reference). */
void d_instantiate(struct dentry *d, struct inode *inode);
/* Parent with a new reference (NULL at an sb root). */
struct dentry *dget_parent(struct dentry *d);
/* Copy d's current name (VFS_NAME_MAX+1 bytes buffer). */
void d_name_copy(struct dentry *d, char *buf);

/* Find or look up a child by name (no "." or ".." handling, no mounts, no
 * permission checks). Returns a referenced positive dentry or -ENOENT etc.
 * in *err. Used by stacked filesystems on their lower layers too. */
struct dentry *vfs_lookup_one(struct dentry *dir, const char *name, int *err);

/* Name operations on an fs without path walking or permission checks (for
 * overlay copy-up and whiteouts on the upper layer). dir is unlocked; they
 * lock it. On success *out (if non-NULL) gets a reference to the new dentry. */
int vfs_create_in(struct dentry *dir, const char *name, uint32_t mode, struct dentry **out);
int vfs_mkdir_in(struct dentry *dir, const char *name, uint32_t mode, struct dentry **out);
int vfs_mknod_in(struct dentry *dir, const char *name, uint32_t mode, uint64_t rdev,
		 struct dentry **out);
int vfs_symlink_in(struct dentry *dir, const char *name, const char *target,
		   struct dentry **out);
int vfs_unlink_in(struct dentry *dir, const char *name, bool isdir);
int vfs_rename_in(struct dentry *olddir, const char *oldname, struct dentry *newdir,
		  const char *newname, unsigned flags);
int vfs_link_in(struct dentry *old, struct dentry *dir, const char *name);
int vfs_setattr_d(struct dentry *d, const struct iattr *ia);
int vfs_getattr_d(struct dentry *d, struct kstat *st);
ssize_t vfs_readlink_d(struct dentry *d, char *buf, size_t size);
/* Open a dentry (no permission checks) as a file with flags (O_ACCMODE...). */
int vfs_open_d(struct mount *mnt, struct dentry *d, int flags, struct file **out);

/* --- mounts and paths ---------------------------------------------------- */

struct mount {
	atomic_int refs;
	struct mount *parent;       /* NULL for the root mount; vfs_mount_lock */
	struct dentry *mountpoint;  /* in parent (referenced) */
	struct dentry *root;        /* referenced */
	struct superblock *sb;      /* referenced */
	unsigned flags;             /* MNT_* (readonly, nosuid ...) */
	char *source;               /* for /proc/mounts */
	struct mount *next;         /* global list, vfs_mount_lock */
	/* vfs/mount_ops.h: id for mountinfo/fdinfo; the namespace (NULL once
	 * unlinked from the table); propagation: peer group (MS_SHARED, 0
	 * none) and the group it is a slave of (0 none). vfs_mount_lock. */
	int id;
	struct mnt_namespace *ns;
	int group_id, master_id;
};

#define MNT_RDONLY 0x1
#define MNT_NOSUID 0x2
#define MNT_NODEV 0x4
#define MNT_NOEXEC 0x8
/* 0x10..0x200 are more MNT_* flags in vfs/mount_ops.h (atime, unbindable). */

struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

void mntget(struct mount *m);
void mntput(struct mount *m);
void path_get(const struct path *p);
void path_put(struct path *p); /* and clears it */

/* The sandbox root mount (set by vfs_boot / vfs_set_root). */
extern struct mount *vfs_root_mount;
/* Make sb the root filesystem (tests and vfs_boot). */
int vfs_set_root(struct superblock *sb, const char *source);
/* Mount sb (its root dentry) on the directory at path (absolute, resolved
 * from the sandbox root). When the path is missing in the root filesystem
 * the directory is created (in the overlay upper for an overlay root).
 * source is for /proc/mounts. The mount takes a reference on sb. */
int vfs_mount_at(const char *path, struct superblock *sb, const char *source,
		 unsigned mnt_flags);
/* Iterate mounts (for /proc/mounts); fn gets the mountpoint path. */
int vfs_for_each_mount(int (*fn)(struct mount *m, const char *mountpoint, void *arg),
		       void *arg);

/* Path walking. flags: LOOKUP_*. dirfd is AT_FDCWD or an fd of t. */
#define LOOKUP_FOLLOW 0x1       /* follow a trailing symlink */
#define LOOKUP_DIRECTORY 0x2    /* final must be a directory */
#define LOOKUP_EMPTY 0x4        /* AT_EMPTY_PATH: "" means dirfd itself */
#define LOOKUP_PARENT 0x8       /* internal: stop at the parent */
#define LOOKUP_NOEXEC_CHECK 0x10 /* internal */
int vfs_path_lookup(struct task *t, int dirfd, const char *path, unsigned flags,
		    struct path *out);
/* Resolve all but the last component: *parent referenced, last (a pointer
 * into a copy in lastbuf of VFS_NAME_MAX+1 bytes) and whether the path had
 * a trailing slash. Last "." / ".." / "" gives *last_type != LAST_NORM. */
enum { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };
int vfs_path_parent(struct task *t, int dirfd, const char *path, struct path *parent,
		    char *lastbuf, int *last_type, bool *trailing_slash);
/* Walk an absolute path from root (also the walk's "/" boundary) with no
 * task: root credentials, no magic-link files (used by /proc/PID/exe). */
int vfs_path_lookup_root(const struct path *root, const char *path, unsigned flags,
			 struct path *out);
/* Sandbox path of p as seen from root ("(unreachable)" prefix handled by
 * caller; returns -ENOENT-like 1 flag in *unreachable). */
int vfs_path_string(const struct path *p, const struct path *root, char *buf, size_t size,
		    bool *unreachable);

/* --- open files ---------------------------------------------------------- */

/* Iteration over a directory. The fs calls dir_emit() for each entry starting
 * at ctx->pos (an fs-defined cookie; 0 = start). dir_emit returns false when
 * the caller's buffer is full: stop then, without consuming the entry. After
 * an accepted entry ctx->pos becomes next_pos (the cookie of the entry after
 * it, reported as d_off). */
struct dir_context {
	bool (*actor)(struct dir_context *ctx, const char *name, size_t namelen, uint64_t ino,
		      unsigned dtype, int64_t next_pos);
	int64_t pos;
};
static inline bool dir_emit(struct dir_context *ctx, const char *name, size_t namelen,
			    uint64_t ino, unsigned dtype, int64_t next_pos)
{
	if (!ctx->actor(ctx, name, namelen, ino, dtype, next_pos))
		return false;
	ctx->pos = next_pos;
	return true;
}
/* Emit "." (pos 0) and ".." (pos 1) for positions < 2; false if full. */
bool dir_emit_dots(struct file *f, struct dir_context *ctx);
/* DT_* of a mode */
unsigned vfs_dtype(uint32_t mode);

struct file_operations {
	/* Read/write at *pos (the VFS passes the file position under pos_lock,
	 * or a local offset for pread/pwrite; the op advances *pos). Buffers are
	 * sentry memory. Return bytes or -errno. May block (use task_current()
	 * for interruptible waits). */
	ssize_t (*read)(struct file *f, void *buf, size_t n, int64_t *pos);
	ssize_t (*write)(struct file *f, const void *buf, size_t n, int64_t *pos);
	/* NULL: generic_llseek (SEEK_SET/CUR/END/DATA/HOLE over inode->size).
	 * no_llseek returns -ESPIPE. Called with pos_lock held. */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	int (*iterate)(struct file *f, struct dir_context *ctx);
	/* ioctl: arg is an application address; copy with copy_*_user(t,...).
	 * Return -ENOTTY when unknown. */
	long (*ioctl)(struct file *f, struct task *t, unsigned cmd, uint64_t arg);
	int (*fsync)(struct file *f, bool datasync);
	/* fallocate(2) (mode: FALLOC_FL_* as Linux; the VFS has checked the
	 * file is open for writing). NULL: -EOPNOTSUPP. */
	int (*fallocate)(struct file *f, int mode, int64_t off, int64_t len);
	/* Host descriptor backing the data (for mmap / file_host_fd). */
	int (*host_fd)(struct file *f);
	/* Readiness for poll/epoll (POLLIN etc.); NULL = always ready. */
	unsigned (*poll)(struct file *f, unsigned events);
	/* The queue woken when the readiness poll reports may change
	 * (kernel/waitq.h). NULL: none (static readiness, or a host fd that
	 * the waiter polls on the host). */
	struct waitq *(*waitq)(struct file *f);
	/* F_SETFL changed f->flags (e.g. O_NONBLOCK to a host fd). */
	int (*setfl)(struct file *f, int newflags);
	/* Last reference gone. */
	void (*release)(struct file *f);
	/* Open a new file description (nf: same inode and path, flags set,
	 * ops = old's, priv NULL) on what old is open on, for a magic link
	 * (/proc/PID/fd/N) to a file without a path. flags are open(2)'s
	 * (O_TRUNC...). NULL: -ENXIO, as Linux for sockets. */
	int (*reopen)(struct file *old, struct file *nf, int flags);
};

struct file {
	atomic_int refs;
	pthread_mutex_t pos_lock;   /* pos, and serializes read/write/getdents */
	int64_t pos;
	pthread_mutex_t flags_lock; /* flags (F_SETFL) */
	int flags;                  /* O_* as opened (O_ACCMODE, O_APPEND, ...) */
	struct path path;           /* referenced (mnt may be NULL for anon files) */
	char *anon_name;            /* anon files: name for /proc/PID/fd */
	struct inode *inode;        /* referenced */
	const struct file_operations *ops;
	void *priv;
	/* fs/epoll.c: the epoll items watching this description (epoll.c's
	 * ep_links_lock). They hold no reference: eventpoll_release() drops
	 * them when the last reference goes, as Linux. */
	struct ep_item *ep_links;
	/* fs/fasync.c: owner and O_ASYNC signalling (flags_lock); NULL: none. */
	struct fasync *fasync;
};

/* fs/epoll.c: remove f from every epoll interest list (file_put, at the
 * last reference, before ->release). Cheap when f is in none. */
void eventpoll_release(struct file *f);

/* A file over a dentry (no checks): used by vfs_open_d. */
struct file *file_alloc(struct mount *mnt, struct dentry *d, int flags);
/* An anonymous file (pipe, socket, eventfd...): a private inode with mode
 * (e.g. S_IFIFO|0600) on the anon superblock, ops and priv. name is shown as
 * the /proc/PID/fd link, e.g. "pipe:[ino]" is built by the caller. */
struct file *anon_file_new(uint32_t mode, const struct file_operations *ops, void *priv,
			   int flags, const char *name);
int64_t generic_llseek(struct file *f, int64_t off, int whence);
int64_t no_llseek(struct file *f, int64_t off, int whence);

/* VFS-level operations on open files used by syscall handlers and others. */
ssize_t vfs_read(struct file *f, void *buf, size_t n);               /* at f->pos */
ssize_t vfs_write(struct file *f, const void *buf, size_t n);        /* at f->pos */
ssize_t vfs_pread(struct file *f, void *buf, size_t n, int64_t off);
ssize_t vfs_pwrite(struct file *f, const void *buf, size_t n, int64_t off);
int64_t vfs_llseek(struct file *f, int64_t off, int whence);
int vfs_fstat(struct file *f, struct kstat *st);
int vfs_getdents(struct file *f, struct dir_context *ctx);
/* vfs_getdents, then commit() still under pos_lock (the entries can be copied
 * to the application there): it returns the position the file keeps, e.g.
 * start when nothing could be copied (Linux leaves f_pos at the first entry
 * that did not reach the application). Not called when iterate fails. */
int vfs_getdents_commit(struct file *f, struct dir_context *ctx,
			int64_t (*commit)(struct dir_context *ctx, int64_t start, void *arg),
			void *arg);
int vfs_ftruncate(struct file *f, uint64_t size);

/* A new open file description (flags as open(2)) on what f, a file without
 * a path, is open on: opening a magic link such as /proc/PID/fd/N to a pipe
 * or host descriptor. Checks the inode's permissions; -ENXIO if f's ops have
 * no reopen. */
int vfs_reopen(struct task *t, struct file *f, int flags, struct file **out);

/* Open by path. flags/mode as openat(2); mode is masked with the umask. */
int vfs_openat(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
	       struct file **out);
/* openat2: vfs_openat under RESOLVE_* flags resolve (Linux's values); the
 * open_how checks (size, unknown O_ flags, mode) are the caller's. */
int vfs_openat2(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		unsigned resolve, struct file **out);

/* --- fd tables and fs contexts (for procfs: /proc/PID/fd, cwd, root) ----- */

struct fdtable {
	atomic_int refs;
	pthread_mutex_t lock;
	int size;                /* slots allocated */
	struct file **files;     /* size slots */
	uint64_t *cloexec;       /* bitmap, size bits */
};

struct fs_context {
	atomic_int refs;
	pthread_mutex_t lock;
	struct path root, cwd;
	uint32_t umask;
	struct mnt_namespace *mnt_ns; /* referenced; NULL: the boot namespace */
};

/* Calls fn for each open fd in order (with a reference held on f during the
 * call, no lock held). Stops when fn returns non-zero (returned). */
int fdtable_for_each(struct fdtable *fdt, int (*fn)(int fd, struct file *f, void *arg),
		     void *arg);
/* Close fd: 0 or -EBADF. */
int fd_close(struct fdtable *fdt, int fd);
/* Replace/install at exactly newfd (dup2/dup3 semantics; f referenced by the
 * call). Returns newfd or -errno (-EBADF when newfd >= limit). */
int fd_install_at(struct fdtable *fdt, int newfd, struct file *f, bool cloexec, int limit);
int fd_get_cloexec(struct fdtable *fdt, int fd);      /* 0/1 or -EBADF */
int fd_set_cloexec(struct fdtable *fdt, int fd, bool on);
/* RLIMIT_NOFILE of the task (fd numbers must be below it). */
int task_nofile(struct task *t);
/* Copy out root or cwd with references. */
void fs_context_root(struct fs_context *fs, struct path *out);
void fs_context_cwd(struct fs_context *fs, struct path *out);
/* Set cwd (takes a new reference on p). */
void fs_context_set_cwd(struct fs_context *fs, const struct path *p);
/* Mount-namespace references held by fs contexts (vfs/mount_ns.c): get
 * returns ns; the last put unmounts the namespace's tree (lazily: mounts
 * still in use live on detached). NULL is the boot namespace (permanent). */
struct mnt_namespace *vfs_mnt_ns_get(struct mnt_namespace *ns);
void vfs_mnt_ns_put(struct mnt_namespace *ns);

/* --- synthetic filesystems (procfs, devfs, sysfs) ------------------------ */

/*
 * A synthetic filesystem is a tree of synth_entry tables. Each inode carries
 * the entry that describes it and two integer keys (key0/key1; e.g. a tgid
 * and an fd) plus an optional private pointer. Children created from a
 * static table inherit their parent's keys, so /proc/123/status sees 123.
 *
 *   Regular file: mode S_IFREG|perm and show(); its whole content is
 *     generated into a seq_buf when the file is opened (like Linux seq_file
 *     single_open). A store() callback makes it writable (whole write).
 *   Symlink: mode S_IFLNK|0777 and get_link(), computed at readlink time.
 *   Directory: mode S_IFDIR|perm; static children (array ended by a NULL
 *     name) and/or dynamic dir ops (readdir lists names, lookup creates).
 *   Device / special file: any mode with fops (e.g. /dev/null: S_IFCHR|0666,
 *     rdev, fops with read/write); open then uses these fops and f->priv =
 *     the inode's synth private pointer.
 *
 * Use SB_NOCACHE for trees that change (procfs), so a lookup always calls
 * the entry's lookup again unless someone holds the dentry.
 */
struct seq_buf {
	char *buf;
	size_t len, cap;
	bool overflow; /* an allocation failed: the read returns -ENOMEM */
};
void seq_printf(struct seq_buf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void seq_vprintf(struct seq_buf *s, const char *fmt, va_list ap);
void seq_write(struct seq_buf *s, const void *data, size_t n);
void seq_putc(struct seq_buf *s, char c);

struct synth_entry;
struct synth_dirlist;

struct synth_dir_ops {
	/* Add the dynamic names to l with synth_dirlist_add (called at the
	 * first getdents of an open directory; the listing is a snapshot). */
	int (*readdir)(struct inode *dir, struct synth_dirlist *l);
	/* Create the inode for a dynamic name (synth_inode_new) or -ENOENT. */
	int (*lookup)(struct inode *dir, const char *name, struct inode **out);
};

struct synth_entry {
	const char *name;  /* NULL ends a table */
	uint32_t mode;
	/* regular files */
	int (*show)(struct inode *inode, struct seq_buf *s);
	ssize_t (*store)(struct inode *inode, const char *buf, size_t n);
	/* symlinks: write the target into buf, return its length or -errno */
	ssize_t (*get_link)(struct inode *inode, char *buf, size_t size);
	/* magic symlinks (optional, with get_link for readlink): what the path
	 * walk follows, as inode_operations.get_path */
	int (*get_path)(struct inode *inode, struct path *out, struct file **filep);
	/* directories */
	const struct synth_entry *children;
	const struct synth_dir_ops *dir_ops;
	/* devices / special files */
	const struct file_operations *fops;
	uint64_t rdev;
	/* optional: adjust attributes (uid/gid of /proc/PID, size...) */
	void (*fill_attr)(struct inode *inode);
};

struct synth_inode {
	const struct synth_entry *entry;
	int64_t key0, key1;
	void *priv;
	void (*priv_free)(void *priv);
};

/* A synthetic superblock whose root directory is root_entry. */
struct superblock *synth_sb_new(const char *fstype, uint64_t magic, unsigned sb_flags,
				const struct synth_entry *root_entry);
/* Inode for entry e under sb with the given keys. */
struct inode *synth_inode_new(struct superblock *sb, const struct synth_entry *e, int64_t key0,
			      int64_t key1);
static inline struct synth_inode *synth_i(struct inode *inode)
{
	return (struct synth_inode *)inode->priv;
}
/* For dynamic readdir: add a name (dtype DT_*; ino 0 = assign one). */
int synth_dirlist_add(struct synth_dirlist *l, const char *name, unsigned dtype, uint64_t ino);
/* file ops of a synthetic regular file (exported so a custom fops can wrap). */
extern const struct file_operations synth_seq_fops;

/* --- tmpfs / overlay / goferfs / hostfd (sentry/fs/) --------------------- */

struct superblock *tmpfs_new(unsigned sb_flags);
/* Overlay over a lower root dentry (any fs, treated read-only) and an upper
 * root dentry (tmpfs). Takes references. */
struct superblock *overlay_new(struct dentry *lower_root, struct dentry *upper_root);
/* Make dir/name (dir an overlay dentry) an opaque upper directory, hiding
 * the lower entry (used by vfs_mount_at for mountpoints). */
int overlay_shadow_dir(struct dentry *dir, const char *name);
struct gofer_client;
struct superblock *goferfs_new(struct gofer_client *gc, bool rw, int *err);
/* Coherence with the host (docs/vfs.md): shared (goferfs_new's default, for
 * volumes) revalidates cached dentries and refreshes attributes against the
 * host, trusting a refresh for ttl_ms (0: never, every lookup asks);
 * exclusive (shared false: the root's read-only overlay lower layer) caches
 * everything. Call before the first lookup. */
void goferfs_set_shared(struct superblock *sb, bool shared, unsigned ttl_ms);

/* Error pointers for functions returning objects. */
#define ERR_PTR(e) ((void *)(intptr_t)(e))
#define PTR_ERR(p) ((long)(intptr_t)(p))
#define IS_ERR(p) ((uintptr_t)(p) >= (uintptr_t)-4095)

#endif
