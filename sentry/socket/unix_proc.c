/*
 * The list of every AF_UNIX endpoint and its /proc/net/unix snapshot.
 *
 * Linux lists every unix socket of the network namespace (bound or not,
 * including connections not yet accepted) from its hash tables; here
 * us_alloc() links each endpoint into one list and us_put() unlinks it when
 * it is freed. Closed endpoints (u->dead) stay on the list while a peer
 * still references them, but are not shown, as Linux removes a socket from
 * its tables at release.
 *
 * Locking: the list is protected by unix_lock (unix_impl.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "socket/unix_impl.h"
#include "socket/unix_proc.h"

#define SO_ACCEPTCON_FLAG (1u << 16) /* Linux's __SO_ACCEPTCON */
#define SS_UNCONNECTED_ 1
#define SS_CONNECTING_ 2
#define SS_CONNECTED_ 3

static struct unix_sock *all_list;
static size_t all_count;

void unix_proc_link(struct unix_sock *u)
{
	pthread_mutex_lock(&unix_lock);
	u->all_next = all_list;
	if (all_list)
		all_list->all_pprev = &u->all_next;
	all_list = u;
	u->all_pprev = &all_list;
	all_count++;
	pthread_mutex_unlock(&unix_lock);
}

void unix_proc_unlink_locked(struct unix_sock *u)
{
	if (!u->all_pprev)
		return;
	*u->all_pprev = u->all_next;
	if (u->all_next)
		u->all_next->all_pprev = u->all_pprev;
	u->all_next = NULL;
	u->all_pprev = NULL;
	all_count--;
}

/* unix_lock held. */
static void fill_entry(struct unix_sock *u, struct unix_proc_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->refcount = (uint32_t)u->refs + 1;
	e->flags = u->state == US_LISTEN ? SO_ACCEPTCON_FLAG : 0;
	e->type = (uint16_t)u->type;
	/* A socket with a file: connected or not; an embryo (a connection
	 * waiting in a listener's queue) is "connecting", as Linux shows a
	 * socket without sk_socket. */
	if (u->sock)
		e->state = u->state == US_CONNECTED ? SS_CONNECTED_ : SS_UNCONNECTED_;
	else
		e->state = SS_CONNECTING_;
	/* s->file is set just after create() (sock_create_file); until then
	 * the socket has no inode to show. */
	struct file *f = u->sock ? __atomic_load_n(&u->sock->file, __ATOMIC_ACQUIRE) : NULL;
	e->inode = f && f->inode ? f->inode->ino : 0;
	if (u->addr && u->addr->len <= sizeof(e->addr)) {
		e->addr_len = u->addr->len;
		memcpy(e->addr, u->addr->sa, u->addr->len);
	}
}

int unix_proc_snapshot(struct unix_proc_entry **out, size_t *n)
{
	struct unix_proc_entry *v = NULL;
	size_t cap = 0, k = 0;

	*out = NULL;
	*n = 0;
	for (;;) {
		pthread_mutex_lock(&unix_lock);
		if (all_count <= cap) {
			for (struct unix_sock *u = all_list; u; u = u->all_next) {
				if (u->dead || k >= cap)
					continue;
				fill_entry(u, &v[k++]);
			}
			pthread_mutex_unlock(&unix_lock);
			break;
		}
		size_t want = all_count + 16;
		pthread_mutex_unlock(&unix_lock);
		/* Allocate outside the lock, then check the count again. */
		struct unix_proc_entry *nv = realloc(v, want * sizeof(*v));
		if (!nv) {
			free(v);
			return -ENOMEM;
		}
		v = nv;
		cap = want;
	}
	*out = v;
	*n = k;
	return 0;
}
