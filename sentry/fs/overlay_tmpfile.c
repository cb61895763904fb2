/*
 * O_TMPFILE on the overlay: the directory is copied up and the unnamed file
 * made by the upper filesystem's tmpfile op (tmpfs), in an unhashed upper
 * dentry that only the new overlay inode refers to. linkat later names it
 * through ovl_link (vfs_link_in on the upper), which is why the upper inode
 * is marked I_LINKABLE; whether the overlay file may be linked at all (not
 * O_EXCL) is decided by the VFS on the overlay inode's own I_LINKABLE.
 */
#include <errno.h>
#include <sys/stat.h>

#include "fs/overlay_impl.h"
#include "vfs/vfs_internal.h"

int ovl_tmpfile(struct dentry *dir, struct dentry *child, uint32_t mode, struct task *t)
{
	int err = ovl_copy_up(dir);
	if (err)
		return err;
	struct dentry *pu = ovl_upper(dir->inode);
	if (!pu || !pu->inode->iops || !pu->inode->iops->tmpfile)
		return -EOPNOTSUPP;
	struct dentry *u = d_alloc(pu, "#");
	if (!u)
		return -ENOMEM;
	u->flags |= D_DEAD; /* never in the upper's dentry cache */
	pthread_mutex_lock(&pu->lock);
	err = pu->inode->iops->tmpfile(pu, u, mode, t);
	pthread_mutex_unlock(&pu->lock);
	if (err == 0 && !u->inode)
		err = -EIO;
	if (err) {
		d_free_unhashed(u);
		return err;
	}
	atomic_fetch_or(&u->inode->iflags, I_LINKABLE);
	struct inode *i = ovl_inode_new(dir->sb, u, NULL); /* takes u */
	if (!i) {
		dput(u);
		return -ENOMEM;
	}
	i->nlink = 0;
	d_instantiate(child, i);
	return 0;
}
