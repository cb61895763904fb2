/*
 * /proc/PID/mounts and /proc/PID/mountinfo, from the VFS mount table (the
 * sandbox has one mount namespace). The table is copied out in one pass
 * (vfs_for_each_mount holds the mount lock) and formatted afterwards.
 *
 * Mount ids are positions in the table plus a base, stable while the table
 * does not change; a mount's parent id is looked up by pointer in the copy.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "fs/procfs.h"
#include "vfs/vfs_impl.h"

#define MOUNT_ID_BASE 20

struct mnt_rec {
	const struct mount *m, *parent; /* identity only: never dereferenced later */
	uint64_t dev;
	unsigned mnt_flags, sb_flags;
	char *fstype, *source, *mountpoint;
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
	r->m = m;
	r->parent = m->parent;
	r->dev = m->sb ? m->sb->dev : 0;
	r->mnt_flags = m->flags;
	r->sb_flags = m->sb ? m->sb->flags : 0;
	r->fstype = strdup(m->sb && m->sb->fstype ? m->sb->fstype : "none");
	r->source = strdup(m->source ? m->source : "none");
	r->mountpoint = strdup(mountpoint ? mountpoint : "/");
	l->n++;
	if (!r->fstype || !r->source || !r->mountpoint)
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

static void put_mnt_opts(struct pbuf *b, const struct mnt_rec *r)
{
	bool ro = (r->mnt_flags & MNT_RDONLY) || (r->sb_flags & SB_RDONLY);
	pbuf_puts(b, ro ? "ro" : "rw");
	if (r->mnt_flags & MNT_NOSUID)
		pbuf_puts(b, ",nosuid");
	if (r->mnt_flags & MNT_NODEV)
		pbuf_puts(b, ",nodev");
	if (r->mnt_flags & MNT_NOEXEC)
		pbuf_puts(b, ",noexec");
	pbuf_puts(b, ",relatime");
}

static int mount_id(const struct mnt_list *l, const struct mount *m)
{
	for (int i = 0; i < l->n; i++)
		if (l->v[i].m == m)
			return MOUNT_ID_BASE + i;
	return 1; /* the (hidden) parent of the root mount */
}

int procfs_mount_id(const struct mount *m)
{
	struct mnt_list l = {0};
	int r = vfs_for_each_mount(collect_mount, &l);
	int id = r < 0 || l.err ? 1 : mount_id(&l, m);

	free_list(&l);
	return id;
}

int procfs_render_mounts(struct pbuf *b, int mountinfo)
{
	struct mnt_list l = {0};
	int r = vfs_for_each_mount(collect_mount, &l);

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
		if (mountinfo) {
			pbuf_printf(b, "%d %d %u:%u / ", MOUNT_ID_BASE + i,
				    m->parent ? mount_id(&l, m->parent) : 1, major(m->dev),
				    minor(m->dev));
			put_escaped(b, m->mountpoint);
			pbuf_puts(b, " ");
			put_mnt_opts(b, m);
			pbuf_printf(b, " - %s ", m->fstype);
			put_escaped(b, m->source);
			pbuf_puts(b, (m->sb_flags & SB_RDONLY) ? " ro\n" : " rw\n");
		} else {
			put_escaped(b, m->source);
			pbuf_puts(b, " ");
			put_escaped(b, m->mountpoint);
			pbuf_printf(b, " %s ", m->fstype);
			put_mnt_opts(b, m);
			pbuf_puts(b, " 0 0\n");
		}
	}
	free_list(&l);
	return 0;
}
