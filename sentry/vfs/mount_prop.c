/*
 * Mount propagation (Linux's fs/pnode.c, Documentation/filesystems/
 * sharedsubtree.rst) over peer-group ids instead of lists.
 *
 * A shared mount has group_id != 0: every mount with the same group_id is
 * its peer. A slave has master_id != 0: it receives what happens in that
 * group, and sends nothing back (unless it is shared too, to its own
 * peers). A mount (or umount) under a shared mount D is repeated under each
 * receiver R of D's group where the mountpoint is visible (R's root is an
 * ancestor of it): peers of the group get copies that are peers of the new
 * mount, slaves get copies that are its slaves, recursively through slaves
 * that are shared themselves.
 *
 * What is not done (docs/vfs.md): a slave's master is a peer group, not one
 * mount, so "propagate_from:" never shows.
 */
#include <errno.h>
#include <stdlib.h>

#include "vfs/mount_internal.h"
#include "vfs/vfs_internal.h"

/* Peer groups visited in a propagation walk, each with the groups (one per
 * mount of the propagated tree) that copies made for its peers join. */
struct prop_level {
	int group;
	int *src_groups;
};

struct prop_walk {
	struct prop_level *v;
	size_t n, cap;
	struct mount **done; /* receivers that already have a copy */
	size_t ndone, capdone;
};

static bool walk_has_group(const struct prop_walk *w, int g)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->v[i].group == g)
			return true;
	return false;
}

static int walk_add(struct prop_walk *w, int g, int *src_groups)
{
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 4;
		struct prop_level *v = realloc(w->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		w->v = v;
		w->cap = cap;
	}
	w->v[w->n].group = g;
	w->v[w->n++].src_groups = src_groups;
	return 0;
}

static bool walk_done(const struct prop_walk *w, const struct mount *r)
{
	for (size_t i = 0; i < w->ndone; i++)
		if (w->done[i] == r)
			return true;
	return false;
}

static int walk_mark(struct prop_walk *w, struct mount *r)
{
	if (w->ndone == w->capdone) {
		size_t cap = w->capdone ? w->capdone * 2 : 8;
		struct mount **v = realloc(w->done, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		w->done = v;
		w->capdone = cap;
	}
	w->done[w->ndone++] = r;
	return 0;
}

static void walk_free(struct prop_walk *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].src_groups);
	free(w->v);
	free(w->done);
}

/* Index of m in c->copy (the tree), or -1. */
static long tree_index(const struct mount_copies *c, const struct mount *m)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->copy[i] == m)
			return (long)i;
	return -1;
}

/* Copy the tree c onto (r, mountpoint) into out: copies join groups[i]
 * (peer copies) or become slaves of groups[i] (slave copies; with new
 * groups of their own in new_groups when r is shared). */
static int copy_tree_to(const struct mount_copies *c, struct mount *r, struct dentry *mountpoint,
			const int *groups, bool slave, int *new_groups, struct mount_copies *out)
{
	size_t base = out->n;
	for (size_t i = 0; i < c->n; i++) {
		struct mount *src = c->copy[i];
		struct mount *k = mount_alloc_at(src->sb, src->root, src->source, src->flags);
		if (!k)
			return -ENOMEM;
		if (slave) {
			k->master_id = groups[i];
			k->group_id = new_groups ? new_groups[i] : 0;
		} else {
			k->group_id = groups[i];
			k->master_id = src->master_id;
		}
		struct mount *parent = r;
		struct dentry *mp = mountpoint;
		if (i > 0) {
			long pi = tree_index(c, src->parent);
			parent = pi >= 0 ? out->copy[base + (size_t)pi] : r;
			mp = src->mountpoint;
		}
		mntget(parent);
		k->parent = parent;
		dget(mp);
		k->mountpoint = mp;
		int err = copies_add(out, src, k);
		if (err < 0) {
			mntput(k);
			return err;
		}
	}
	return 0;
}

int propagate_mount(struct mount *dest, struct dentry *mountpoint, struct mount_copies *c,
		    struct mount_copies *out)
{
	if (dest->group_id == 0)
		return 0; /* private or slave-only: nothing receives from it */
	/* Under a shared mount the new tree is shared (invent_group_ids). */
	for (size_t i = 0; i < c->n; i++)
		if (c->copy[i]->group_id == 0)
			c->copy[i]->group_id = mount_new_group_id();

	struct prop_walk w = {0};
	size_t nsnap;
	struct mount **snap = snapshot_mounts(&nsnap);
	int err = snap ? 0 : -ENOMEM;
	int *g0 = err ? NULL : malloc(c->n * sizeof(int));
	if (!err && !g0)
		err = -ENOMEM;
	if (!err) {
		for (size_t i = 0; i < c->n; i++)
			g0[i] = c->copy[i]->group_id;
		if ((err = walk_add(&w, dest->group_id, g0)) < 0)
			free(g0);
	}
	if (!err)
		err = walk_mark(&w, dest);
	for (size_t lv = 0; lv < w.n && err == 0; lv++) {
		int g = w.v[lv].group;
		for (size_t i = 0; i < nsnap && err == 0; i++) {
			struct mount *r = snap[i];
			bool peer = r->group_id == g, slave = r->master_id == g;
			if ((!peer && !slave) || walk_done(&w, r) || tree_index(c, r) >= 0 ||
			    r->sb != dest->sb ||
			    !d_is_ancestor(r->root, mountpoint))
				continue;
			pthread_rwlock_rdlock(&vfs_mount_lock);
			bool attached = mount_attached_locked(r);
			pthread_rwlock_unlock(&vfs_mount_lock);
			if (!attached)
				continue;
			if ((err = walk_mark(&w, r)) < 0)
				break;
			if (peer) {
				err = copy_tree_to(c, r, mountpoint, w.v[lv].src_groups, false,
						   NULL, out);
				continue;
			}
			int *ng = NULL;
			if (r->group_id) {
				/* A shared slave: its copy starts a group that
				 * r's own peers then join. */
				ng = malloc(c->n * sizeof(int));
				if (!ng) {
					err = -ENOMEM;
					break;
				}
				for (size_t k = 0; k < c->n; k++)
					ng[k] = mount_new_group_id();
			}
			err = copy_tree_to(c, r, mountpoint, w.v[lv].src_groups, true, ng, out);
			if (ng && err == 0 && !walk_has_group(&w, r->group_id)) {
				err = walk_add(&w, r->group_id, ng);
				if (err == 0)
					ng = NULL;
			}
			free(ng);
		}
	}
	walk_free(&w);
	if (snap)
		put_mounts(snap, nsnap);
	return err;
}

static int victims_add(struct mount ***v, size_t *n, size_t *cap, struct mount *m)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i] == m)
			return 0;
	if (*n == *cap) {
		struct mount **nv = realloc(*v, *cap * 2 * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		*v = nv;
		*cap *= 2;
	}
	(*v)[(*n)++] = m;
	return 0;
}

int propagate_umount_locked(struct mount *m, bool detach, struct mount ***v, size_t *n,
			    size_t *cap)
{
	struct mount *p = m->parent;
	if (!p || p->group_id == 0)
		return 0;
	int groups_cap = 4, ngroups = 0, err = 0;
	int *groups = malloc((size_t)groups_cap * sizeof(int));
	if (!groups)
		return -ENOMEM;
	groups[ngroups++] = p->group_id;
	for (int lv = 0; lv < ngroups && err == 0; lv++) {
		int g = groups[lv];
		for (struct mount *r = mount_list; r && err == 0; r = r->next) {
			if (r == p || (r->group_id != g && r->master_id != g))
				continue;
			if (r->master_id == g && r->group_id) {
				bool seen = false;
				for (int k = 0; k < ngroups && !seen; k++)
					seen = groups[k] == r->group_id;
				if (!seen) {
					if (ngroups == groups_cap) {
						int *ng = realloc(groups, (size_t)groups_cap * 2 *
										  sizeof(int));
						if (!ng) {
							err = -ENOMEM;
							break;
						}
						groups = ng;
						groups_cap *= 2;
					}
					groups[ngroups++] = r->group_id;
				}
			}
			/* r's counterpart: the newest mount of the same
			 * filesystem dentry on the same spot, with nothing
			 * mounted below it -- or, with MNT_DETACH, with
			 * everything below it (Linux propagates each mount of
			 * the detached tree). */
			for (struct mount *c = mount_list; c; c = c->next) {
				if (c->parent != r || c->mountpoint != m->mountpoint ||
				    c->root != m->root)
					continue;
				bool has_children = false;
				for (struct mount *x = mount_list; x && !has_children; x = x->next)
					has_children = x->parent == c;
				if (has_children && !detach)
					break;
				if (!detach && atomic_load(&c->refs) > 1) {
					err = -EBUSY;
					break;
				}
				size_t first = *n;
				err = victims_add(v, n, cap, c);
				for (size_t q = first; q < *n && err == 0; q++)
					for (struct mount *x = mount_list; x && err == 0; x = x->next)
						if (x->parent == (*v)[q])
							err = victims_add(v, n, cap, x);
				break;
			}
		}
	}
	free(groups);
	return err;
}

/* m leaves its peer group: slaves of the group, if m was its last member,
 * move to m's master (Linux's do_make_slave). */
static void leave_group_locked(struct mount *m)
{
	int g = m->group_id;
	if (!g)
		return;
	m->group_id = 0;
	for (struct mount *x = mount_list; x; x = x->next)
		if (x->group_id == g)
			return; /* the group lives on */
	for (struct mount *x = mount_list; x; x = x->next)
		if (x->master_id == g)
			x->master_id = m->master_id;
}

void change_propagation_locked(struct mount *m, int type)
{
	switch (type) {
	case MNT_PROP_SHARED:
		if (!m->group_id)
			m->group_id = mount_new_group_id();
		m->flags &= ~(unsigned)MNT_UNBINDABLE;
		break;
	case MNT_PROP_SLAVE: {
		/* The master becomes m's old group if it has other peers,
		 * else m keeps its own master (none: private). */
		int g = m->group_id;
		bool peers = false;
		for (struct mount *x = mount_list; x && g && !peers; x = x->next)
			peers = x != m && x->group_id == g;
		leave_group_locked(m);
		if (peers)
			m->master_id = g;
		break;
	}
	case MNT_PROP_PRIVATE:
	case MNT_PROP_UNBINDABLE:
		leave_group_locked(m);
		m->master_id = 0;
		if (type == MNT_PROP_UNBINDABLE)
			m->flags |= MNT_UNBINDABLE;
		else
			m->flags &= ~(unsigned)MNT_UNBINDABLE;
		break;
	}
}
