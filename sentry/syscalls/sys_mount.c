/*
 * Mounts inside the sandbox: mount, umount2, chroot, and unshare.
 *
 * Mounts are the sentry's own (vfs/mount_ops.h); the host's mount table is
 * never touched. unshare(CLONE_NEWNS) gives the caller a copy of its mount
 * tree; the other namespaces stay -EINVAL. Propagation (MS_SHARED, ...)
 * follows Linux between peer groups (vfs/mount_prop.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/creds.h"
#include "kernel/kernel_impl.h"
#include "fs/tmpfs.h"
#include "kernel/kernel.h"
#include "kernel/task.h"
#include "mm/mm.h"
#include "syscalls/sys_fs.h"
#include "vfs/mount_ops.h"
#include "vfs/vfs_internal.h"

/* The guest's ABI (linux/mount.h, linux/sched.h, linux/capability.h). */
#define L_MS_RDONLY 0x1UL
#define L_MS_NOSUID 0x2UL
#define L_MS_NODEV 0x4UL
#define L_MS_NOEXEC 0x8UL
#define L_MS_SYNCHRONOUS 0x10UL
#define L_MS_REMOUNT 0x20UL
#define L_MS_MANDLOCK 0x40UL
#define L_MS_DIRSYNC 0x80UL
#define L_MS_NOATIME 0x400UL
#define L_MS_NODIRATIME 0x800UL
#define L_MS_NOSYMFOLLOW 0x100UL
#define L_MS_BIND 0x1000UL
#define L_MS_MOVE 0x2000UL
#define L_MS_REC 0x4000UL
#define L_MS_SILENT 0x8000UL
#define L_MS_UNBINDABLE (1UL << 17)
#define L_MS_PRIVATE (1UL << 18)
#define L_MS_SLAVE (1UL << 19)
#define L_MS_SHARED (1UL << 20)
#define L_MS_RELATIME (1UL << 21)
#define L_MS_STRICTATIME (1UL << 24)
#define L_MS_LAZYTIME (1UL << 25)
#define L_MS_NOUSER (1UL << 31)
#define L_MS_PROPAGATION (L_MS_UNBINDABLE | L_MS_PRIVATE | L_MS_SLAVE | L_MS_SHARED)
#define L_MS_MGC_MSK 0xffff0000UL
#define L_MS_MGC_VAL 0xC0ED0000UL

#define L_MNT_FORCE 0x1
#define L_MNT_DETACH 0x2
#define L_MNT_EXPIRE 0x4
#define L_UMOUNT_NOFOLLOW 0x8

#define L_CLONE_VM 0x00000100UL
#define L_CLONE_FS 0x00000200UL
#define L_CLONE_FILES 0x00000400UL
#define L_CLONE_SIGHAND 0x00000800UL
#define L_CLONE_THREAD 0x00010000UL
#define L_CLONE_NEWNS 0x00020000UL
#define L_CLONE_SYSVSEM 0x00040000UL
#define L_CLONE_NEWCGROUP 0x02000000UL
#define L_CLONE_NEWUTS 0x04000000UL
#define L_CLONE_NEWIPC 0x08000000UL
#define L_CLONE_NEWUSER 0x10000000UL
#define L_CLONE_NEWPID 0x20000000UL
#define L_CLONE_NEWNET 0x40000000UL
#define L_CLONE_NEWTIME 0x00000080UL

#define L_CAP_SYS_CHROOT 18

#define L_AT_FDCWD (-100)
#define MOUNT_STR_MAX 4096 /* Linux copies mount strings up to a page */

/* Copy a mount(2) string argument; NULL address gives NULL. */
static int mount_string(struct task *t, uint64_t uaddr, char **out)
{
	*out = NULL;
	if (!uaddr)
		return 0;
	char *buf = malloc(MOUNT_STR_MAX);
	if (!buf)
		return -ENOMEM;
	long n = strncpy_from_user(t, buf, uaddr, MOUNT_STR_MAX);
	if (n == -ENAMETOOLONG) {
		buf[MOUNT_STR_MAX - 1] = '\0'; /* Linux truncates at a page */
		n = 0;
	}
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	*out = buf;
	return 0;
}

/* Split data into the generic superblock flags Linux's vfs_parse_sb_flag
 * takes from any filesystem's options ("ro", "rw", "sync"...; *rdonly set
 * to 1/0 by the last ro/rw, -1 if none) and the rest (the filesystem's own,
 * returned in *fs_opts, malloc'd). */
static int split_options(const char *data, int *rdonly, char **fs_opts)
{
	static const char *const generic[] = {"dirsync", "lazytime", "mand", "posixacl",
					      "sync", "async", "nolazytime", "nomand"};
	*rdonly = -1;
	*fs_opts = calloc(1, data ? strlen(data) + 1 : 1);
	if (!*fs_opts)
		return -ENOMEM;
	if (!data)
		return 0;
	char *copy = strdup(data);
	if (!copy)
		return -ENOMEM;
	char *save = NULL, *out = *fs_opts;
	for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		bool taken = false;
		if (strcmp(opt, "ro") == 0 || strcmp(opt, "rw") == 0) {
			*rdonly = opt[1] == 'o';
			taken = true;
		}
		for (size_t k = 0; k < sizeof(generic) / sizeof(generic[0]) && !taken; k++)
			taken = strcmp(opt, generic[k]) == 0;
		if (taken)
			continue;
		if (*out)
			strcat(out, ",");
		strcat(out, opt);
	}
	free(copy);
	return 0;
}

/* The mount flags of a mount(2) call, as Linux's path_mount: relatime
 * unless noatime or strictatime; a remount without any atime flag keeps
 * the mount's atime policy (old_flags). */
static unsigned ms_to_mnt_flags(uint64_t flags, unsigned old_flags)
{
	unsigned m = 0;
	if (!(flags & L_MS_NOATIME))
		m |= MNT_RELATIME;
	if (flags & L_MS_RDONLY)
		m |= MNT_RDONLY;
	if (flags & L_MS_NOSUID)
		m |= MNT_NOSUID;
	if (flags & L_MS_NODEV)
		m |= MNT_NODEV;
	if (flags & L_MS_NOEXEC)
		m |= MNT_NOEXEC;
	if (flags & L_MS_NOATIME)
		m |= MNT_NOATIME;
	if (flags & L_MS_NODIRATIME)
		m |= MNT_NODIRATIME;
	if (flags & L_MS_STRICTATIME) {
		m &= ~(unsigned)(MNT_RELATIME | MNT_NOATIME);
		m |= MNT_STRICTATIME;
	}
	if ((flags & L_MS_REMOUNT) &&
	    !(flags & (L_MS_NOATIME | L_MS_NODIRATIME | L_MS_RELATIME | L_MS_STRICTATIME))) {
		m &= ~(unsigned)MNT_ATIME_MASK;
		m |= old_flags & MNT_ATIME_MASK;
	}
	return m;
}

/* --- writers (a mount or superblock cannot go read-only under them) --- */

struct writer_scan {
	const struct mount *m;       /* files of this mount, or */
	const struct superblock *sb; /* of this filesystem */
	bool found;
	struct fdtable **fdts;
	size_t n, cap;
};

static int add_tg_fdts(struct thread_group *tg, void *arg)
{
	struct writer_scan *w = arg;
	for (struct task *t = tg->leader; t; t = t->next_in_tg) {
		if (!t->fdt || t->exited)
			continue;
		bool seen = false;
		for (size_t i = 0; i < w->n && !seen; i++)
			seen = w->fdts[i] == t->fdt;
		if (seen)
			continue;
		if (w->n == w->cap) {
			size_t cap = w->cap ? w->cap * 2 : 16;
			struct fdtable **v = realloc(w->fdts, cap * sizeof(*v));
			if (!v)
				return 1;
			w->fdts = v;
			w->cap = cap;
		}
		fdtable_get(t->fdt);
		w->fdts[w->n++] = t->fdt;
	}
	return 0;
}

static int scan_fd(int fd, struct file *f, void *arg)
{
	struct writer_scan *w = arg;
	(void)fd;
	/* Linux counts write access of non-special files (do_dentry_open). */
	int acc = file_flags(f) & O_ACCMODE;
	if ((acc != O_WRONLY && acc != O_RDWR) || (file_flags(f) & O_PATH) || !f->inode ||
	    !(S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode) || S_ISLNK(f->inode->mode)))
		return 0;
	if ((w->m && f->path.mnt == w->m) || (w->sb && f->path.dentry && f->path.dentry->sb == w->sb))
		w->found = true;
	return w->found;
}

/* Is a file of the sandbox's descriptor tables open for writing on m (or
 * on sb)? Descriptors in flight (SCM_RIGHTS) are not seen, and a file
 * opened right after the check is not stopped (Linux holds new writers
 * off while it switches). */
static bool has_writers(const struct mount *m, const struct superblock *sb)
{
	struct writer_scan w = {.m = m, .sb = sb};
	pthread_mutex_lock(&kernel.lock);
	kernel_for_each_tg(add_tg_fdts, &w);
	pthread_mutex_unlock(&kernel.lock);
	for (size_t i = 0; i < w.n; i++) {
		if (!w.found)
			fdtable_for_each(w.fdts[i], scan_fd, &w);
		fdtable_put(w.fdts[i]);
	}
	free(w.fdts);
	return w.found;
}

/* A new filesystem instance of type on target. */
static int do_new_mount(const struct path *target, const char *type, const char *source,
			const char *data, uint64_t flags)
{
	unsigned mnt_flags = ms_to_mnt_flags(flags, 0);
	struct superblock *sb;
	char *fs_opts = NULL;
	int rdonly, err;

	if (!type)
		return -EINVAL;
	if ((err = split_options(data, &rdonly, &fs_opts)) < 0)
		goto out;
	if (rdonly < 0)
		rdonly = (flags & L_MS_RDONLY) != 0;
	if (strcmp(type, "tmpfs") == 0) {
		struct tmpfs_opts o;
		err = tmpfs_parse_options(fs_opts, &o);
		if (err < 0)
			goto out;
		sb = tmpfs_new(rdonly ? SB_RDONLY : 0);
		if (!sb) {
			err = -ENOMEM;
			goto out;
		}
		tmpfs_set_options(sb, &o);
	} else if (strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0 ||
		   strcmp(type, "devpts") == 0) {
		/* No per-mount options: hidepid=, newinstance, ptmxmode= are
		 * not implemented. The instance is shared: ro is per mount. */
		err = -EINVAL;
		if (*fs_opts)
			goto out;
		sb = vfs_find_mounted_sb(type);
		err = -ENODEV;
		if (!sb)
			goto out;
		if (rdonly)
			mnt_flags |= MNT_RDONLY;
	} else {
		err = -ENODEV;
		goto out;
	}
	err = vfs_mount_new(target, sb, source && *source ? source : "none", mnt_flags);
	sb_put(sb);
out:
	free(fs_opts);
	return err;
}

/* MS_REMOUNT: the filesystem's options and read-only state, then the
 * mount's flags (Linux's do_remount). */
static int do_remount(struct task *t, const struct path *target, uint64_t flags,
		      const char *data)
{
	char *fs_opts = NULL;
	int rdonly, err;
	if (!vfs_mount_is_local(t, target->mnt) || !vfs_path_is_mountroot(target))
		return -EINVAL;
	if ((err = split_options(data, &rdonly, &fs_opts)) < 0)
		goto out;
	if (rdonly < 0)
		rdonly = (flags & L_MS_RDONLY) != 0;
	struct superblock *sb = target->mnt->sb;
	/* rw -> ro with files open for writing: EBUSY (Linux's
	 * sb_prepare_remount_readonly). */
	if (rdonly && !(sb->flags & SB_RDONLY) && has_writers(NULL, sb)) {
		err = -EBUSY;
		goto out;
	}
	if (is_tmpfs_sb(sb)) {
		struct tmpfs_opts o;
		if ((err = tmpfs_parse_options(fs_opts, &o)) < 0 ||
		    (err = tmpfs_remount(sb, &o)) < 0)
			goto out;
	} else if (*fs_opts) {
		err = -EINVAL; /* options this filesystem does not know */
		goto out;
	}
	err = vfs_mount_remount(target, ms_to_mnt_flags(flags, target->mnt->flags), rdonly);
out:
	free(fs_opts);
	return err;
}

static int lookup_source(struct task *t, const char *name, struct path *out)
{
	if (!name || !*name)
		return -EINVAL;
	return vfs_path_lookup(t, L_AT_FDCWD, name, LOOKUP_FOLLOW, out);
}

SYSCALL_DEFINE(mount)
{
	uint64_t flags = args->a[3];
	char *source = NULL, *type = NULL, *data = NULL, *tpath = NULL;
	struct path target = {NULL, NULL}, from = {NULL, NULL};
	int err;

	if ((flags & L_MS_MGC_MSK) == L_MS_MGC_VAL)
		flags &= ~L_MS_MGC_MSK;
	if ((err = mount_string(t, args->a[2], &type)) < 0 ||
	    (err = mount_string(t, args->a[0], &source)) < 0 ||
	    (err = mount_string(t, args->a[4], &data)) < 0)
		goto out;
	tpath = sys_getpath(t, args->a[1], &err);
	if (!tpath)
		goto out;
	err = vfs_path_lookup(t, L_AT_FDCWD, tpath, LOOKUP_FOLLOW, &target);
	if (err < 0)
		goto out;
	if (flags & L_MS_NOUSER) {
		err = -EINVAL;
		goto out;
	}
	if (!creds_capable(&t->creds, CAP_SYS_ADMIN)) {
		err = -EPERM;
		goto out;
	}
	if (flags & L_MS_NOSYMFOLLOW) {
		err = -EINVAL; /* no MNT_NOSYMFOLLOW in the sentry yet */
		goto out;
	}
	/* A mount of another namespace (reached through /proc/PID/root or a
	 * descriptor): EINVAL, as Linux's check_mnt. */
	if (vfs_mount_is_foreign(t, target.mnt)) {
		err = -EINVAL;
		goto out;
	}

	if ((flags & (L_MS_REMOUNT | L_MS_BIND)) == (L_MS_REMOUNT | L_MS_BIND)) {
		/* Per-mount flags only; data is ignored (do_reconfigure_mnt). */
		unsigned mf = ms_to_mnt_flags(flags, target.mnt->flags);
		if (!vfs_mount_is_local(t, target.mnt) || !vfs_path_is_mountroot(&target))
			err = -EINVAL;
		else if ((mf & MNT_RDONLY) && !(target.mnt->flags & MNT_RDONLY) &&
			 has_writers(target.mnt, NULL))
			err = -EBUSY; /* Linux's mnt_make_readonly */
		else
			err = vfs_mount_reconfigure(&target, mf);
	} else if (flags & L_MS_REMOUNT) {
		err = do_remount(t, &target, flags, data);
	} else if (flags & L_MS_BIND) {
		err = lookup_source(t, source, &from);
		if (err == 0 && vfs_mount_is_foreign(t, from.mnt))
			err = -EINVAL;
		if (err == 0)
			err = vfs_mount_bind(&from, &target, flags & L_MS_REC);
	} else if (flags & L_MS_PROPAGATION) {
		/* Exactly one propagation type (MS_REC and MS_SILENT aside). */
		uint64_t type_bits = flags & ~(L_MS_REC | L_MS_SILENT);
		int type = (type_bits & L_MS_SHARED)	   ? MNT_PROP_SHARED
			   : (type_bits & L_MS_SLAVE)	   ? MNT_PROP_SLAVE
			   : (type_bits & L_MS_PRIVATE)   ? MNT_PROP_PRIVATE
							   : MNT_PROP_UNBINDABLE;
		if (!vfs_path_is_mountroot(&target))
			err = -EINVAL;
		else if ((type_bits & ~L_MS_PROPAGATION) || (type_bits & (type_bits - 1)))
			err = -EINVAL;
		else
			err = vfs_mount_change_type(&target, type, flags & L_MS_REC);
	} else if (flags & L_MS_MOVE) {
		err = lookup_source(t, source, &from);
		if (err == 0 && vfs_mount_is_foreign(t, from.mnt))
			err = -EINVAL;
		if (err == 0)
			err = vfs_mount_move(&from, &target);
	} else {
		err = do_new_mount(&target, type, source, data, flags);
	}
out:
	if (from.mnt)
		path_put(&from);
	if (target.mnt)
		path_put(&target);
	free(tpath);
	free(data);
	free(source);
	free(type);
	return err;
}

SYSCALL_DEFINE(umount2)
{
	int flags = (int)args->a[1];
	struct path target, root;
	int err;

	if (flags & ~(L_MNT_FORCE | L_MNT_DETACH | L_MNT_EXPIRE | L_UMOUNT_NOFOLLOW))
		return -EINVAL;
	/* MNT_EXPIRE (mark, unmount at the second call) is not implemented. */
	if (flags & L_MNT_EXPIRE)
		return -EINVAL;
	char *path = sys_getpath(t, args->a[0], &err);
	if (!path)
		return err;
	err = vfs_path_lookup(t, L_AT_FDCWD, path,
			      (flags & L_UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW, &target);
	free(path);
	if (err < 0)
		return err;
	if (!creds_capable(&t->creds, CAP_SYS_ADMIN)) {
		path_put(&target);
		return -EPERM;
	}
	if (vfs_mount_is_foreign(t, target.mnt)) {
		path_put(&target);
		return -EINVAL;
	}
	/* MNT_FORCE only matters to network filesystems: accepted. */
	task_root(t, &root);
	err = vfs_umount(&target, &root, (flags & L_MNT_DETACH) ? VFS_UMOUNT_DETACH : 0);
	path_put(&root);
	path_put(&target);
	return err;
}

SYSCALL_DEFINE(chroot)
{
	struct path p;
	int err;
	char *path = sys_getpath(t, args->a[0], &err);
	if (!path)
		return err;
	err = vfs_path_lookup(t, L_AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	free(path);
	if (err < 0)
		return err;
	err = inode_permission(p.dentry->inode, MAY_EXEC, t);
	if (err == 0 && !creds_capable(&t->creds, L_CAP_SYS_CHROOT))
		err = -EPERM;
	if (err == 0 && t->fs)
		vfs_chroot(t->fs, &p);
	path_put(&p);
	return err;
}

/* unshare(CLONE_FS): a private copy of the root/cwd/umask context. */
static int unshare_fs(struct task *t)
{
	if (!t->fs || atomic_load(&t->fs->refs) <= 1)
		return 0;
	struct fs_context *nfs = fs_context_dup(t->fs);
	if (!nfs)
		return -ENOMEM;
	pthread_mutex_lock(&kernel.lock); /* procfs takes references under it */
	struct fs_context *old = t->fs;
	t->fs = nfs;
	pthread_mutex_unlock(&kernel.lock);
	fs_context_put(old);
	return 0;
}

/* unshare(CLONE_FILES): a private copy of the descriptor table. */
static int unshare_files(struct task *t)
{
	if (!t->fdt || atomic_load(&t->fdt->refs) <= 1)
		return 0;
	struct fdtable *nfdt = fdtable_dup(t->fdt);
	if (!nfdt)
		return -ENOMEM;
	pthread_mutex_lock(&kernel.lock);
	struct fdtable *old = t->fdt;
	t->fdt = nfdt;
	pthread_mutex_unlock(&kernel.lock);
	fdtable_put(old);
	return 0;
}

SYSCALL_DEFINE(unshare)
{
	uint64_t flags = args->a[0];
	const uint64_t ns = L_CLONE_NEWNS | L_CLONE_NEWCGROUP | L_CLONE_NEWUTS | L_CLONE_NEWIPC |
			    L_CLONE_NEWUSER | L_CLONE_NEWPID | L_CLONE_NEWNET | L_CLONE_NEWTIME;
	const uint64_t valid = ns | L_CLONE_VM | L_CLONE_FS | L_CLONE_FILES | L_CLONE_SIGHAND |
			       L_CLONE_THREAD | L_CLONE_SYSVSEM;
	int err;

	if (flags & ~valid)
		return -EINVAL;
	/* Of the namespaces only mount namespaces exist in the sandbox. */
	if (flags & ns & ~L_CLONE_NEWNS)
		return -EINVAL;
	if ((flags & L_CLONE_NEWNS) && !creds_capable(&t->creds, CAP_SYS_ADMIN))
		return -EPERM;
	if (flags & L_CLONE_NEWNS)
		flags |= L_CLONE_FS; /* the fs context holds the namespace's root */
	/* The SysV semaphore undo list is shared per process here. */
	if (flags & L_CLONE_SYSVSEM)
		return -EINVAL;
	/* Unsharing the thread group, signal handlers or memory works only
	 * when they are not shared (a single thread, nobody else on the mm). */
	if (flags & (L_CLONE_THREAD | L_CLONE_SIGHAND | L_CLONE_VM)) {
		pthread_mutex_lock(&kernel.lock);
		int nthreads = t->tg->nr_threads;
		pthread_mutex_unlock(&kernel.lock);
		if (nthreads > 1)
			return -EINVAL;
		if ((flags & L_CLONE_VM) && t->mm && mm_users(t->mm) > 1)
			return -EINVAL;
	}
	if ((flags & L_CLONE_FS) && (err = unshare_fs(t)) < 0)
		return err;
	if ((flags & L_CLONE_FILES) && (err = unshare_files(t)) < 0)
		return err;
	if ((flags & L_CLONE_NEWNS) && t->fs && (err = vfs_unshare_mount_ns(t->fs)) < 0)
		return err;
	return 0;
}
