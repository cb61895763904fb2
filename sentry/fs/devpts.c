/*
 * devpts: /dev/pts with one character device per open pty pair (N, major
 * 136 + N / 256, minor N % 256, ino N + 3 as Linux numbers them) and its
 * own ptmx (c 5:2, mode 0). Opening /dev/ptmx (devfs's or this one) makes
 * a new pair; /dev/pts/N opens its slave once unlocked (unlockpt).
 * /dev/tty (devfs) opens the caller's controlling terminal.
 *
 * Names come and go with the pairs, so the superblock does not cache
 * dentries (SB_NOCACHE) and every lookup asks the tty table.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/tty.h"
#include "kernel/kernel.h"
#include "kernel/task.h"
#include "util/log.h"
#include "vfs/vfs.h"
#include "vfs/vfs_impl.h"

#define DEVPTS_MAGIC 0x1cd1
#define DEVNUM(maj, min) (((uint64_t)(maj) << 8) | (uint64_t)(min))

/* --- opening --------------------------------------------------------------- */

int devpts_ptmx_open(struct dentry *d, struct file *f)
{
	struct task *t = task_current();
	int err;

	(void)d;
	struct tty *tty = tty_create(t ? t->creds.fsuid : 0, &err);
	if (!tty)
		return err;
	tty->gid = t ? t->creds.fsgid : 0;
	return tty_open_master(tty, f);
}

int devpts_tty_open(struct dentry *d, struct file *f)
{
	struct task *t = task_current();
	struct tty *tty;

	(void)d;
	if (!t)
		return -ENXIO;
	pthread_mutex_lock(&kernel.lock);
	tty = tty_ctty_locked(t->tg);
	pthread_mutex_unlock(&kernel.lock);
	if (!tty)
		return -ENXIO;
	return tty_open_slave(tty, f, NULL);
}

static int pts_open(struct dentry *d, struct file *f)
{
	struct tty *tty = tty_lookup((int)synth_i(d->inode)->key0);

	if (!tty)
		return -EIO;
	return tty_open_slave(tty, f, task_current());
}

/* chmod/chown (mesg, grantpt of old libcs) last as long as the pair: the
 * inode is rebuilt at every lookup from the tty's fields. */
static int pts_setattr(struct dentry *d, const struct iattr *ia)
{
	int r = generic_setattr(d->inode, ia);
	struct tty *tty = r ? NULL : tty_lookup((int)synth_i(d->inode)->key0);

	if (tty) {
		pthread_mutex_lock(&tty_table_lock);
		tty->mode = d->inode->mode & 07777;
		tty->uid = d->inode->uid;
		tty->gid = d->inode->gid;
		pthread_mutex_unlock(&tty_table_lock);
		tty_put(tty);
	}
	return r;
}

static const struct inode_operations pts_iops = {.open = pts_open, .setattr = pts_setattr};
static const struct inode_operations ptmx_iops = {.open = devpts_ptmx_open};

int devpts_open_slave(struct tty *tty, int flags, struct file **out)
{
	struct path root = {vfs_root_mount, vfs_root_mount ? vfs_root_mount->root : NULL};
	struct path p;
	char name[32];
	int r;

	if (!root.mnt)
		return -ENOENT;
	snprintf(name, sizeof(name), "/dev/pts/%d", tty->index);
	r = vfs_path_lookup_root(&root, name, LOOKUP_FOLLOW, &p);
	if (r < 0)
		return r;
	r = vfs_open_d(p.mnt, p.dentry, (flags & ~O_CLOEXEC) | O_NOCTTY, out);
	path_put(&p);
	return r;
}

/* --- the directory ---------------------------------------------------------- */

static const struct synth_entry pts_entry = {.name = "pts", .mode = S_IFCHR | 0600};

/* "N" without sign, spaces or leading zeros, below TTY_MAX. */
static int parse_index(const char *name)
{
	int n = 0;

	if (!name[0] || (name[0] == '0' && name[1]))
		return -1;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
		if (n >= TTY_MAX)
			return -1;
	}
	return n;
}

static int pts_lookup(struct inode *dir, const char *name, struct inode **out)
{
	int n = parse_index(name);
	struct tty *tty = n >= 0 ? tty_lookup(n) : NULL;

	if (!tty)
		return -ENOENT;
	pthread_mutex_lock(&tty->lock);
	bool live = tty->masters > 0;
	pthread_mutex_unlock(&tty->lock);
	if (!live) {
		tty_put(tty);
		return -ENOENT;
	}
	struct inode *i = synth_inode_new(dir->sb, &pts_entry, n, 0);
	if (!i) {
		tty_put(tty);
		return -ENOMEM;
	}
	i->ino = (uint64_t)n + 3;
	pthread_mutex_lock(&tty_table_lock);
	i->mode = S_IFCHR | tty->mode;
	i->uid = tty->uid;
	i->gid = tty->gid;
	pthread_mutex_unlock(&tty_table_lock);
	i->rdev = DEVNUM(136 + n / 256, n % 256);
	i->iops = &pts_iops;
	tty_put(tty);
	*out = i;
	return 0;
}

struct pts_list {
	struct synth_dirlist *l;
	int err;
};

static void pts_add(struct tty *tty, void *arg)
{
	struct pts_list *pl = arg;
	char name[16];

	snprintf(name, sizeof(name), "%d", tty->index);
	if (!pl->err)
		pl->err = synth_dirlist_add(pl->l, name, DT_CHR, (uint64_t)tty->index + 3);
}

static int pts_readdir(struct inode *dir, struct synth_dirlist *l)
{
	struct pts_list pl = {.l = l};

	(void)dir;
	tty_for_each(pts_add, &pl);
	return pl.err;
}

static void ptmx_fill_attr(struct inode *inode)
{
	inode->iops = &ptmx_iops;
	inode->ino = 2;
}

static const struct synth_dir_ops pts_dir_ops = {.readdir = pts_readdir, .lookup = pts_lookup};

static const struct synth_entry devpts_children[] = {
    {.name = "ptmx", .mode = S_IFCHR | 0000, .rdev = DEVNUM(5, 2), .fill_attr = ptmx_fill_attr},
    {.name = NULL},
};

static const struct synth_entry devpts_root = {
    .name = "/",
    .mode = S_IFDIR | 0755,
    .children = devpts_children,
    .dir_ops = &pts_dir_ops,
};

int devpts_mount(void)
{
	struct superblock *sb = synth_sb_new("devpts", DEVPTS_MAGIC, SB_NOCACHE, &devpts_root);

	if (!sb || IS_ERR(sb))
		return sb ? (int)PTR_ERR(sb) : -ENOMEM;
	sb->root->inode->ino = 1;
	int r = vfs_mount_at("/dev/pts", sb, "devpts", MNT_NOSUID | MNT_NOEXEC);
	sb_put(sb);
	if (r < 0)
		log_err("devpts: mount on /dev/pts: %s", strerror(-r));
	return r;
}
