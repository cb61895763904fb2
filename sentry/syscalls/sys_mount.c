/*
 * Mounts inside the sandbox: mount, umount2, chroot, and unshare.
 *
 * Mounts are the sentry's own (vfs/mount_ops.h); the host's mount table is
 * never touched. unshare(CLONE_NEWNS) gives the caller a private copy of its
 * mount tree; the other namespaces stay -EINVAL. Propagation types are
 * accepted without effect (no mount is ever shared with another).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/creds.h"
#include "kernel/kernel_impl.h"
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
#define L_MS_REMOUNT 0x20UL
#define L_MS_NOSYMFOLLOW 0x100UL
#define L_MS_BIND 0x1000UL
#define L_MS_MOVE 0x2000UL
#define L_MS_REC 0x4000UL
#define L_MS_SILENT 0x8000UL
#define L_MS_UNBINDABLE (1UL << 17)
#define L_MS_PRIVATE (1UL << 18)
#define L_MS_SLAVE (1UL << 19)
#define L_MS_SHARED (1UL << 20)
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

static bool parse_u32(const char *s, int base, uint32_t *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end || v > UINT32_MAX || s[0] == '-')
		return false;
	*out = (uint32_t)v;
	return true;
}

/* size= / nr_inodes=: a number with an optional k/m/g/t/p/e suffix (or %
 * for size). Checked, but the sentry's tmpfs does not enforce limits. */
static bool parse_size(const char *s, bool pct_ok)
{
	if (!s || !*s || s[0] == '-')
		return false;
	char *end;
	errno = 0;
	(void)strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	if (*end == '\0')
		return true;
	if (end[1] != '\0')
		return false;
	return strchr("kKmMgGtTpPeE", *end) != NULL || (pct_ok && *end == '%');
}

struct tmpfs_opts {
	bool has_mode, has_uid, has_gid;
	uint32_t mode, uid, gid;
};

/* "size=1m,mode=0755,uid=0,gid=0,nr_inodes=..." -- unknown keys: -EINVAL. */
static int parse_tmpfs_opts(const char *data, struct tmpfs_opts *o)
{
	memset(o, 0, sizeof(*o));
	if (!data || !*data)
		return 0;
	char *copy = strdup(data);
	if (!copy)
		return -ENOMEM;
	int err = 0;
	char *save = NULL;
	for (char *opt = strtok_r(copy, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		char *val = strchr(opt, '=');
		if (val)
			*val++ = '\0';
		if (strcmp(opt, "size") == 0) {
			if (!parse_size(val, true))
				err = -EINVAL;
		} else if (strcmp(opt, "nr_inodes") == 0) {
			if (!parse_size(val, false))
				err = -EINVAL;
		} else if (strcmp(opt, "mode") == 0) {
			o->has_mode = parse_u32(val, 8, &o->mode);
			if (!o->has_mode)
				err = -EINVAL;
		} else if (strcmp(opt, "uid") == 0) {
			o->has_uid = parse_u32(val, 10, &o->uid) && o->uid != UINT32_MAX;
			if (!o->has_uid)
				err = -EINVAL;
		} else if (strcmp(opt, "gid") == 0) {
			o->has_gid = parse_u32(val, 10, &o->gid) && o->gid != UINT32_MAX;
			if (!o->has_gid)
				err = -EINVAL;
		} else {
			err = -EINVAL;
		}
		if (err)
			break;
	}
	free(copy);
	return err;
}

static unsigned ms_to_mnt_flags(uint64_t flags)
{
	unsigned m = 0;
	if (flags & L_MS_RDONLY)
		m |= MNT_RDONLY;
	if (flags & L_MS_NOSUID)
		m |= MNT_NOSUID;
	if (flags & L_MS_NODEV)
		m |= MNT_NODEV;
	if (flags & L_MS_NOEXEC)
		m |= MNT_NOEXEC;
	return m;
}

/* A new filesystem instance of type on target. */
static int do_new_mount(const struct path *target, const char *type, const char *source,
			const char *data, uint64_t flags)
{
	unsigned mnt_flags = ms_to_mnt_flags(flags);
	struct superblock *sb;
	int err;

	if (!type)
		return -EINVAL;
	if (strcmp(type, "tmpfs") == 0) {
		struct tmpfs_opts o;
		err = parse_tmpfs_opts(data, &o);
		if (err < 0)
			return err;
		sb = tmpfs_new((flags & L_MS_RDONLY) ? SB_RDONLY : 0);
		if (!sb)
			return -ENOMEM;
		struct inode *root = sb->root->inode;
		pthread_mutex_lock(&root->lock);
		if (o.has_mode)
			root->mode = S_IFDIR | (o.mode & 07777);
		if (o.has_uid)
			root->uid = o.uid;
		if (o.has_gid)
			root->gid = o.gid;
		pthread_mutex_unlock(&root->lock);
	} else if (strcmp(type, "proc") == 0 || strcmp(type, "sysfs") == 0 ||
		   strcmp(type, "devpts") == 0) {
		/* No per-mount options: hidepid=, newinstance, ptmxmode= are
		 * not implemented. */
		if (data && *data)
			return -EINVAL;
		sb = vfs_find_mounted_sb(type);
		if (!sb)
			return -ENODEV;
	} else {
		return -ENODEV;
	}
	err = vfs_mount_new(target, sb, source && *source ? source : "none", mnt_flags);
	sb_put(sb);
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

	if ((flags & (L_MS_REMOUNT | L_MS_BIND)) == (L_MS_REMOUNT | L_MS_BIND)) {
		err = vfs_mount_reconfigure(&target, ms_to_mnt_flags(flags));
	} else if (flags & L_MS_REMOUNT) {
		/* Filesystem options cannot change on remount (yet). */
		if (data && *data)
			err = -EINVAL;
		else
			err = vfs_mount_remount(&target, ms_to_mnt_flags(flags),
						flags & L_MS_RDONLY);
	} else if (flags & L_MS_BIND) {
		err = lookup_source(t, source, &from);
		if (err == 0)
			err = vfs_mount_bind(&from, &target, flags & L_MS_REC);
	} else if (flags & L_MS_PROPAGATION) {
		/* Exactly one propagation type (MS_REC and MS_SILENT aside). */
		uint64_t type_bits = flags & ~(L_MS_REC | L_MS_SILENT);
		if (!vfs_path_is_mountroot(&target))
			err = -EINVAL;
		else if ((type_bits & ~L_MS_PROPAGATION) || (type_bits & (type_bits - 1)))
			err = -EINVAL;
		else
			err = 0; /* accepted: nothing propagates in the sandbox */
	} else if (flags & L_MS_MOVE) {
		err = lookup_source(t, source, &from);
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
