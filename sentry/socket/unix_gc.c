/*
 * Garbage collection of AF_UNIX sockets that are only in flight (Linux's
 * net/unix/garbage.c): a socket whose file is referenced solely by
 * SCM_RIGHTS messages queued on sockets that are themselves only in flight
 * can never be received again, so its queue is purged, which drops the
 * last references and closes the cycle.
 *
 * Every unix socket whose file is in some queue is on inflight_list with
 * its count. A collection (after any unix socket is released, as Linux
 * does) runs under unix_lock, where all in-flight accounting changes, so
 * the file counts it reads cannot grow behind its back: a new reference to
 * an in-flight-only file can only come out of a queue, under the lock.
 * Listeners' unaccepted connections are not scanned: a socket referenced
 * from there counts as reachable, which is safe (it is only not collected).
 */
#include <stdlib.h>

#include "kernel/task.h"

#include "socket/unix_impl.h"

static struct unix_sock *inflight_list;
static int inflight_total;

/* Files in flight per user (real uid of the sender), for ETOOMANYREFS. */
struct user_inflight {
	struct user_inflight *next;
	uint32_t uid;
	long count;
};
static struct user_inflight *users;

static void user_charge(uint32_t uid, long n)
{
	struct user_inflight **pp, *e;
	for (pp = &users; (e = *pp); pp = &e->next)
		if (e->uid == uid)
			break;
	if (!e) {
		if (n <= 0 || !(e = calloc(1, sizeof(*e))))
			return; /* out of memory: the limit is not enforced */
		e->uid = uid;
		*pp = e;
	}
	e->count += n;
	if (e->count <= 0) {
		*pp = e->next;
		free(e);
	}
}

bool unix_too_many_fds(struct task *t)
{
	if (!t || creds_capable(&t->creds, 24 /* CAP_SYS_RESOURCE */) ||
	    creds_capable(&t->creds, CAP_SYS_ADMIN))
		return false;
	for (struct user_inflight *e = users; e; e = e->next)
		if (e->uid == t->creds.uid)
			return e->count > task_nofile(t);
	return false;
}

static struct unix_sock *file_unix_sock(struct file *f)
{
	struct socket *s = sock_from_file(f);
	return s && s->family == LINUX_AF_UNIX ? s->sk : NULL;
}

/* unix_lock held: the files of skb enter (+1) or leave (-1) a queue. */
void unix_inflight_account(struct unix_skb *skb, int dir)
{
	if (skb->nfds)
		user_charge(skb->fd_uid, (long)dir * skb->nfds);
	for (int i = 0; i < skb->nfds; i++) {
		struct unix_sock *u = file_unix_sock(skb->fds[i]);
		if (!u)
			continue;
		if (dir > 0 && u->inflight++ == 0) {
			u->gc_next = inflight_list;
			if (inflight_list)
				inflight_list->gc_pprev = &u->gc_next;
			inflight_list = u;
			u->gc_pprev = &inflight_list;
		} else if (dir < 0 && --u->inflight == 0) {
			*u->gc_pprev = u->gc_next;
			if (u->gc_next)
				u->gc_next->gc_pprev = u->gc_pprev;
			u->gc_next = NULL;
			u->gc_pprev = NULL;
		}
		inflight_total += dir;
	}
}

/* Call fn for every in-flight unix socket in u's queue. */
static void for_each_child(struct unix_sock *u, void (*fn)(struct unix_sock *c))
{
	for (struct unix_skb *skb = u->qhead; skb; skb = skb->next)
		for (int i = 0; i < skb->nfds; i++) {
			struct unix_sock *c = file_unix_sock(skb->fds[i]);
			if (c && c->gc_candidate)
				fn(c);
		}
}

static void dec_refs(struct unix_sock *c)
{
	c->gc_refs--;
}

static struct unix_sock *worklist;

static void mark_alive(struct unix_sock *c)
{
	if (c->gc_alive)
		return;
	c->gc_alive = true;
	c->gc_work = worklist;
	worklist = c;
}

void unix_gc(void)
{
	struct unix_deferred d = {0};

	pthread_mutex_lock(&unix_lock);
	if (!inflight_total) {
		pthread_mutex_unlock(&unix_lock);
		return;
	}
	/* Candidates: every reference to the file is a queued message. */
	for (struct unix_sock *u = inflight_list; u; u = u->gc_next) {
		u->gc_candidate = u->sock && u->sock->file &&
				  atomic_load(&u->sock->file->refs) == u->inflight;
		u->gc_refs = u->inflight;
		u->gc_alive = false;
	}
	/* Subtract the references held by candidates' queues... */
	for (struct unix_sock *u = inflight_list; u; u = u->gc_next)
		if (u->gc_candidate)
			for_each_child(u, dec_refs);
	/* ...what is left is held from outside: alive, with all it reaches. */
	worklist = NULL;
	for (struct unix_sock *u = inflight_list; u; u = u->gc_next)
		if (u->gc_candidate && u->gc_refs > 0)
			mark_alive(u);
	while (worklist) {
		struct unix_sock *a = worklist;
		worklist = a->gc_work;
		for_each_child(a, mark_alive);
	}
	/* The rest is garbage: drop what their queues hold (but unaccepted
	 * connections, which the listener's release resets). Putting those
	 * files (after the lock) releases the garbage sockets themselves.
	 * Collect first: purging changes inflight_list. */
	struct unix_sock *garbage = NULL;
	for (struct unix_sock *u = inflight_list; u; u = u->gc_next)
		if (u->gc_candidate && !u->gc_alive) {
			u->gc_work = garbage;
			garbage = u;
		}
	for (struct unix_sock *u = inflight_list; u; u = u->gc_next)
		u->gc_candidate = false;
	for (struct unix_sock *u = garbage; u; u = u->gc_work) {
		struct unix_skb *skb, *embryos = NULL;
		while ((skb = unix_dequeue(u))) {
			if (skb->embryo) {
				skb->next = embryos;
				embryos = skb;
			} else {
				unix_skb_free(skb, &d);
			}
		}
		while ((skb = embryos)) {
			embryos = skb->next;
			unix_enqueue(u, skb);
		}
	}
	pthread_mutex_unlock(&unix_lock);
	unix_deferred_run(&d);
}
