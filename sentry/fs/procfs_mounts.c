/*
 * /proc/PID/mounts and /proc/PID/mountinfo: the mounts of PID's mount
 * namespace that are reachable from PID's root, with paths relative to that
 * root (Linux's show_vfsmnt/show_mountinfo). The mounts are copied out
 * first (vfs_for_each_mount_fs) and formatted afterwards.
 *
 * Mount ids and peer-group ids are the VFS's own (m->id, m->group_id),
 * stable for a mount's lifetime.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fs/procfs.h"
#include "fs/tmpfs.h"
#include "kernel/task.h"
#include "vfs/mount_ops.h"
#include "vfs/vfs_internal.h"

struct mnt_rec {
	int id, parent_id, group_id, master_id;
	uint64_t dev;
	unsigned mnt_flags, sb_flags;
	char *fstype, *source, *mountpoint, *root;
	char fsopts[160];
};

struct mnt_list {
	struct mnt_rec *v;
	int n, cap;
	int err;
};

static int collect_mount(struct mount *m, const char *mountpoint, void *arg)
{
	struct mnt_list *l = arg;

	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 16;
		struct mnt_rec *v = realloc(l->v, (size_t)cap * sizeof(*v));
		if (!v)
			goto nomem;
		l->v = v;
		l->cap = cap;
	}
	struct mnt_rec *r = &l->v[l->n];
	memset(r, 0, sizeof(*r));
	pthread_rwlock_rdlock(&vfs_mount_lock);
	r->id = m->id;
	r->parent_id = m->parent ? m->parent->id : 1; /* 1: the hidden rootfs */
	r->group_id = m->group_id;
	r->master_id = m->master_id;
	pthread_rwlock_unlock(&vfs_mount_lock);
	/* The mount's root within its filesystem (bind mounts of subtrees). */
	r->root = malloc(VFS_PATH_MAX);
	if (r->root) {
		struct path p = {NULL, m->root}, top = {NULL, m->sb ? m->sb->root : NULL};
		bool unreach = false;
		int e = vfs_path_string(&p, &top, r->root, VFS_PATH_MAX, &unreach);
		if (e < 0 || unreach)
			strcpy(r->root, "/");
	}
	tmpfs_show_options(m->sb, r->fsopts, sizeof(r->fsopts));
	r->dev = m->sb ? m->sb->dev : 0;
	r->mnt_flags = m->flags;
	r->sb_flags = m->sb ? m->sb->flags : 0;
	r->fstype = strdup(m->sb && m->sb->fstype ? m->sb->fstype : "none");
	r->source = strdup(m->source ? m->source : "none");
	r->mountpoint = strdup(mountpoint ? mountpoint : "/");
	l->n++;
	if (!r->fstype || !r->source || !r->mountpoint || !r->root)
		goto nomem;
	return 0;
nomem:
	l->err = -ENOMEM;
	return 1;
}

static void free_list(struct mnt_list *l)
{
	for (int i = 0; i < l->n; i++) {
		free(l->v[i].fstype);
		free(l->v[i].source);
		free(l->v[i].mountpoint);
		free(l->v[i].root);
	}
	free(l->v);
}

/* Escape space, tab, newline and backslash as octal, like seq_escape. */
static void put_escaped(struct pbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			pbuf_printf(b, "\\%03o", (unsigned char)*s);
		else
			pbuf_put(b, s, 1);
	}
}

/* Per-mount options after "ro"/"rw" (Linux's show_mnt_opts). */
static void put_mnt_opts(struct pbuf *b, const struct mnt_rec *r)
{
	if (r->mnt_flags & MNT_NOSUID)
		pbuf_puts(b, ",nosuid");
	if (r->mnt_flags & MNT_NODEV)
		pbuf_puts(b, ",nodev");
	if (r->mnt_flags & MNT_NOEXEC)
		pbuf_puts(b, ",noexec");
	if (r->mnt_flags & MNT_NOATIME)
		pbuf_puts(b, ",noatime");
	if (r->mnt_flags & MNT_NODIRATIME)
		pbuf_puts(b, ",nodiratime");
	if (r->mnt_flags & MNT_RELATIME)
		pbuf_puts(b, ",relatime");
}

int procfs_mount_id(const struct mount *m)
{
	return m ? m->id : 1;
}

static int render(struct pbuf *b, int mountinfo, struct fs_context *fs)
{
	struct mnt_list l = {0};
	int r = vfs_for_each_mount_fs(fs, collect_mount, &l);

	if (l.err) {
		free_list(&l);
		return l.err;
	}
	if (r < 0) {
		free_list(&l);
		return r;
	}
	for (int i = 0; i < l.n; i++) {
		const struct mnt_rec *m = &l.v[i];
		bool sb_ro = m->sb_flags & SB_RDONLY;
		if (mountinfo) {
			pbuf_printf(b, "%d %d %u:%u ", m->id, m->parent_id, major(m->dev),
				    minor(m->dev));
			put_escaped(b, m->root);
			pbuf_puts(b, " ");
			put_escaped(b, m->mountpoint);
			pbuf_puts(b, (m->mnt_flags & MNT_RDONLY) ? " ro" : " rw");
			put_mnt_opts(b, m);
			if (m->group_id)
				pbuf_printf(b, " shared:%d", m->group_id);
			if (m->master_id)
				pbuf_printf(b, " master:%d", m->master_id);
			if (m->mnt_flags & MNT_UNBINDABLE)
				pbuf_puts(b, " unbindable");
			pbuf_printf(b, " - %s ", m->fstype);
			put_escaped(b, m->source);
			pbuf_puts(b, sb_ro ? " ro" : " rw");
			pbuf_puts(b, m->fsopts);
			pbuf_puts(b, "\n");
		} else {
			put_escaped(b, m->source);
			pbuf_puts(b, " ");
			put_escaped(b, m->mountpoint);
			pbuf_printf(b, " %s ", m->fstype);
			pbuf_puts(b, (sb_ro || (m->mnt_flags & MNT_RDONLY)) ? "ro" : "rw");
			put_mnt_opts(b, m);
			pbuf_puts(b, m->fsopts);
			pbuf_puts(b, " 0 0\n");
		}
	}
	free_list(&l);
	return 0;
}

int procfs_render_task_mounts(struct pbuf *b, int mountinfo, struct fs_context *fs)
{
	if (!fs)
		return -EINVAL; /* an exited process has no namespace (Linux) */
	int r = render(b, mountinfo, fs);
	fs_context_put(fs);
	return r;
}

int procfs_render_mounts(struct pbuf *b, int mountinfo)
{
	struct task *t = task_current();
	struct fs_context *fs = t && t->fs ? t->fs : NULL;
	if (fs) {
		fs_context_get(fs);
		return procfs_render_task_mounts(b, mountinfo, fs);
	}
	fs = fs_context_new(); /* no task: the boot namespace */
	return procfs_render_task_mounts(b, mountinfo, fs);
}

unsigned long long procfs_mnt_ns_ino(struct fs_context *fs, unsigned long long boot_ino)
{
	if (!fs)
		return boot_ino;
	uint64_t id = vfs_mnt_ns_id(fs);
	fs_context_put(fs);
	/* Above the fixed numbers of every other kind of namespace. */
	return id ? boot_ino + 16 + id : boot_ino;
}
