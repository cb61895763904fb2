/* Credential helpers: group membership, and what exec does to credentials. */
#include <pthread.h>
#include <sys/stat.h>

#include "kernel/creds.h"
#include "vfs/vfs_impl.h"

int creds_in_group(const struct creds *c, uint32_t gid)
{
	if (c->fsgid == gid)
		return 1;
	for (int i = 0; i < c->ngroups && i < CREDS_NGROUPS_MAX; i++)
		if (c->groups[i] == gid)
			return 1;
	return 0;
}

/*
 * Linux's prepare_exec_creds + bprm_fill_uid + cap_bprm_creds_from_file
 * (security/commoncap.c) for a binary without file capabilities, in the
 * initial user namespace, not ptraced, with no LSM_UNSAFE_SHARE.
 */
int creds_exec(const struct creds *old, const struct creds_exec_file *file, struct creds *n)
{
	bool effective = false;

	*n = *old;
	/* prepare_exec_creds: keep-caps never survives exec. */
	n->securebits &= ~CREDS_SECBIT_KEEP_CAPS;

	/* bprm_fill_uid: the set-ID bits, unless the mount is nosuid or the
	 * task has no_new_privs. Set-group-ID needs group execute (without it
	 * the bit means mandatory locking). */
	if (!file->nosuid && !old->no_new_privs) {
		if (file->mode & S_ISUID)
			n->euid = file->uid;
		if ((file->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
			n->egid = file->gid;
	}

	/* get_file_caps: no file capabilities, so the file grants nothing. */
	n->cap_permitted = 0;
	/* handle_privileged_root: root (real or effective) gets
	 * pI | bounding, and an effective root runs with them effective;
	 * SECBIT_NOROOT turns this off. */
	if (!(n->securebits & CREDS_SECBIT_NOROOT)) {
		if (n->euid == 0 || n->uid == 0)
			n->cap_permitted = old->cap_inheritable | old->cap_bounding;
		if (n->euid == 0)
			effective = true;
	}

	bool is_setid = n->euid != old->uid || n->egid != old->gid;
	bool gained = (n->cap_permitted & ~old->cap_permitted) != 0;
	/* An unsafe exec (no_new_privs; ptrace does not apply) gains nothing. */
	if ((is_setid || gained) && old->no_new_privs) {
		n->euid = n->uid;
		n->egid = n->gid;
		n->cap_permitted &= old->cap_permitted;
	}

	n->suid = n->fsuid = n->euid;
	n->sgid = n->fsgid = n->egid;

	/* Set-ID cancels ambient capabilities; pP' = pP' | pA'. */
	if (is_setid)
		n->cap_ambient = 0;
	n->cap_permitted |= n->cap_ambient;
	/* pE' = fE ? pP' : pA' (the effective bit is root's here). */
	n->cap_effective = effective ? n->cap_permitted : n->cap_ambient;

	/* A privilege-elevating exec is secure (AT_SECURE). */
	if (is_setid || (n->uid != 0 && (effective || (n->cap_permitted & ~n->cap_ambient))))
		return 1;
	return 0;
}

int creds_exec_file(const struct creds *old, struct file *f, struct creds *n)
{
	struct creds_exec_file cf;

	pthread_mutex_lock(&f->inode->lock);
	cf.mode = f->inode->mode;
	cf.uid = f->inode->uid;
	cf.gid = f->inode->gid;
	pthread_mutex_unlock(&f->inode->lock);
	cf.nosuid = (f->path.mnt && (f->path.mnt->flags & MNT_NOSUID)) ||
		    (f->inode->sb && (f->inode->sb->flags & SB_NOSUID));
	return creds_exec(old, &cf, n);
}
