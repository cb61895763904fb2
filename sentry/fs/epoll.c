/*
 * epoll: an interest list of (fd, file) items and a ready list, as Linux.
 *
 * Each item whose file has a wait queue hangs a callback entry on it (from
 * EPOLL_CTL_ADD until DEL or the epoll's release): the callback puts the
 * item on the ready list, if the wake's events concern it, and wakes the
 * epoll's own queue, where epoll_wait sleeps and where poll() or another
 * epoll watching this one hang their entries. epoll_wait checks the items on
 * the ready list with their poll operation: level-triggered items stay on
 * the list while ready, EPOLLET ones are reported once per wake-up (as
 * Linux: each write to a pipe is a new edge), EPOLLONESHOT ones are disabled
 * once reported until EPOLL_CTL_MOD. EPOLLEXCLUSIVE entries wake one of the
 * exclusive epolls waiting on a file (kernel/waitq.h).
 *
 * Items without a queue (files backed by a host descriptor, or ones that
 * can only be polled) stay on the ready list for good: epoll_wait sleeps on
 * their host descriptors, or re-checks every 5 ms for the others, and
 * EPOLLET reports a transition seen between passes for them.
 *
 * An item holds no reference on its file, as Linux: closing one of several
 * descriptors of a watched file keeps the item (it still reports with its
 * data), and when the file's last reference goes, file_put() calls
 * eventpoll_release(), which takes the file's items off every interest
 * list (a pipe's write end closed while watched really closes, and the
 * reader sees the hang-up). Each file lists its items (file->ep_links).
 *
 * Who frees an item: EPOLL_CTL_DEL (its caller holds a reference on the
 * file and the epoll, so neither release runs meanwhile), the file's
 * eventpoll_release(), or the epoll's release. The last two serialize on
 * ep_mutex (Linux's epmutex), so an epoll that eventpoll_release() reaches
 * through an item is not freed under it. A file on an interest list may
 * have no references left while its release waits for ep->lock: it is
 * intact until its items are gone, so epoll_wait may still poll it, but
 * ep_loop_check() must not take a reference (file_tryget).
 *
 * Lock order: ep_ctl_lock (adding an epoll to an epoll: loop check) ->
 * ep_mutex (eventpoll_release, epoll_release) -> ep->lock (interest list;
 * outer epoll before inner) -> the watched file's locks -> its queue -> the
 * callback's ep->rdlock (ready list) -> ep->wq. ep_links_lock is a leaf
 * (file->ep_links and the items' fprev/fnext). Callbacks never take
 * ep->lock; nothing calls file_put() with ep->lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "kernel/waitq.h"
#include "mm/mm.h"
#include "syscalls/sys_fs.h"
#include "vfs/vfs_impl.h"

#define EP_RECHECK_NS 5000000LL
#define EP_MAX_EVENTS (INT32_MAX / 12)
#define EP_MAX_ITEMS 65536
#define EP_MAX_NESTS 4
#define EP_PRIVATE_BITS (EPOLLWAKEUP | EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE)

struct guest_epoll_event {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

struct epoll;

struct ep_item {
	int fd;
	int idx;            /* ep->lock: index in ep->items */
	struct file *file;  /* not referenced: valid while the item exists */
	struct epoll *ep;
	struct ep_item *fprev, *fnext; /* ep_links_lock: file->ep_links */
	uint32_t events;    /* ep->lock and rdlock to change; EP_PRIVATE_BITS
			     * alone: a fired EPOLLONESHOT */
	uint64_t data;      /* ep->lock */
	struct waitq *wq;   /* the file's queue, or NULL */
	struct wait_entry we;
	bool polled;        /* no queue: kept on the ready list, polled each pass */
	unsigned last;      /* ep->lock: polled EPOLLET items, last readiness */
	bool ready;         /* rdlock: on the ready list */
	struct ep_item *rdprev, *rdnext; /* rdlock */
};

struct epoll {
	pthread_mutex_t lock;
	struct ep_item **items; /* lock */
	struct ep_item **tx;    /* lock: scratch of the same capacity */
	int n, cap;
	pthread_mutex_t rdlock;
	struct ep_item *rdfirst, *rdlast; /* rdlock */
	struct waitq wq; /* recheck: number of polled items */
};

static const struct file_operations epoll_fops;
static pthread_mutex_t ep_ctl_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ep_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t ep_links_lock = PTHREAD_MUTEX_INITIALIZER;

/* A reference on f unless its last one is already gone (it is being
 * released: eventpoll_release() will take it off the interest lists). */
static bool file_tryget(struct file *f)
{
	int r = atomic_load(&f->refs);

	while (r > 0)
		if (atomic_compare_exchange_weak(&f->refs, &r, r + 1))
			return true;
	return false;
}

/* Put it on / take it off its file's list of items. */
static void link_file(struct ep_item *it)
{
	struct file *f = it->file;

	pthread_mutex_lock(&ep_links_lock);
	it->fprev = NULL;
	it->fnext = f->ep_links;
	if (it->fnext)
		it->fnext->fprev = it;
	__atomic_store_n(&f->ep_links, it, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&ep_links_lock);
}

static void unlink_file(struct ep_item *it)
{
	struct file *f = it->file;

	pthread_mutex_lock(&ep_links_lock);
	if (it->fprev)
		it->fprev->fnext = it->fnext;
	else
		__atomic_store_n(&f->ep_links, it->fnext, __ATOMIC_RELEASE);
	if (it->fnext)
		it->fnext->fprev = it->fprev;
	it->fprev = it->fnext = NULL;
	pthread_mutex_unlock(&ep_links_lock);
}

static bool is_epoll(struct file *f)
{
	return f->ops == &epoll_fops;
}

/* rdlock held for both. */
static void rd_append(struct epoll *ep, struct ep_item *it)
{
	if (it->ready)
		return;
	it->ready = true;
	it->rdnext = NULL;
	it->rdprev = ep->rdlast;
	if (ep->rdlast)
		ep->rdlast->rdnext = it;
	else
		ep->rdfirst = it;
	ep->rdlast = it;
}

static void rd_unlink(struct epoll *ep, struct ep_item *it)
{
	if (!it->ready)
		return;
	if (it->rdprev)
		it->rdprev->rdnext = it->rdnext;
	else
		ep->rdfirst = it->rdnext;
	if (it->rdnext)
		it->rdnext->rdprev = it->rdprev;
	else
		ep->rdlast = it->rdprev;
	it->ready = false;
	it->rdprev = it->rdnext = NULL;
}

/* Move the ready list into ep->tx; returns its length. ep->lock held. */
static int rd_take(struct epoll *ep)
{
	int k = 0;

	pthread_mutex_lock(&ep->rdlock);
	while (ep->rdfirst && k < ep->cap) {
		struct ep_item *it = ep->rdfirst;
		rd_unlink(ep, it);
		ep->tx[k++] = it;
	}
	pthread_mutex_unlock(&ep->rdlock);
	return k;
}

/* What of it->events the file reports now (EPOLLERR/EPOLLHUP are in
 * it->events since EPOLL_CTL_ADD/MOD). */
static unsigned readiness(struct file *f, uint32_t events)
{
	unsigned want = events & ~EP_PRIVATE_BITS;

	if (!want)
		return 0;
	if (!f->ops || !f->ops->poll)
		return (EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM) & want;
	return f->ops->poll(f, want) & want;
}

/* A watched file's queue was woken. Runs under that queue's lock. */
static void ep_item_wake(struct wait_entry *e, unsigned events)
{
	struct ep_item *it = e->priv;
	struct epoll *ep = it->ep;
	uint32_t want;

	pthread_mutex_lock(&ep->rdlock);
	want = it->events;
	if (!(want & ~EP_PRIVATE_BITS) || (events && !(events & want))) {
		pthread_mutex_unlock(&ep->rdlock);
		return;
	}
	rd_append(ep, it);
	pthread_mutex_unlock(&ep->rdlock);
	if (e->exclusive && !waitq_empty(&ep->wq)) {
		/* Linux's ep_poll_callback: this wake counts as the exclusive one
		 * if the epoll had a waiter for these events. */
		switch (events & (EPOLLIN | EPOLLOUT)) {
		case EPOLLIN:
			e->woken = want & EPOLLIN;
			break;
		case EPOLLOUT:
			e->woken = want & EPOLLOUT;
			break;
		case 0:
			e->woken = true;
			break;
		}
	}
	waitq_wake(&ep->wq, EPOLLIN | EPOLLRDNORM);
}

/*
 * One pass: fill out[] with up to max ready items. Level-triggered items
 * that were reported, polled items, and items not reached go back on the
 * ready list. ep->lock held.
 */
static int scan(struct epoll *ep, struct guest_epoll_event *out, int max)
{
	int n = rd_take(ep), k = 0, i;

	for (i = 0; i < n && k < max; i++) {
		struct ep_item *it = ep->tx[i];
		unsigned r = readiness(it->file, it->events);
		bool again = it->polled;
		if (it->polled && (it->events & EPOLLET)) {
			unsigned fresh = r & ~it->last;
			it->last = r;
			r = fresh ? r : 0;
		}
		if (r) {
			out[k].events = r;
			out[k].data = it->data;
			k++;
			if (it->events & EPOLLONESHOT) {
				pthread_mutex_lock(&ep->rdlock);
				it->events &= EP_PRIVATE_BITS;
				pthread_mutex_unlock(&ep->rdlock);
			} else if (!(it->events & EPOLLET)) {
				again = true;
			}
		}
		if (again) {
			pthread_mutex_lock(&ep->rdlock);
			rd_append(ep, it);
			pthread_mutex_unlock(&ep->rdlock);
		}
	}
	pthread_mutex_lock(&ep->rdlock);
	for (; i < n; i++)
		rd_append(ep, ep->tx[i]);
	pthread_mutex_unlock(&ep->rdlock);
	return k;
}

/* Readable when an item on the ready list is ready (nested epolls are
 * polled too: the loop and depth checks bound the recursion). */
static unsigned epoll_poll(struct file *f, unsigned events)
{
	struct epoll *ep = f->priv;
	unsigned mask = 0;

	(void)events;
	pthread_mutex_lock(&ep->lock);
	int n = rd_take(ep);
	for (int i = 0; i < n && !mask; i++)
		if (readiness(ep->tx[i]->file, ep->tx[i]->events))
			mask = EPOLLIN | EPOLLRDNORM;
	pthread_mutex_lock(&ep->rdlock);
	for (int i = 0; i < n; i++)
		rd_append(ep, ep->tx[i]);
	pthread_mutex_unlock(&ep->rdlock);
	pthread_mutex_unlock(&ep->lock);
	return mask;
}

static struct waitq *epoll_waitq(struct file *f)
{
	return &((struct epoll *)f->priv)->wq;
}

/* Unhook and free an item already taken off the interest list: after
 * waitq_remove() no callback of it runs. ep->lock held. */
static void item_free(struct epoll *ep, struct ep_item *it)
{
	if (it->wq)
		waitq_remove(it->wq, &it->we);
	pthread_mutex_lock(&ep->rdlock);
	rd_unlink(ep, it);
	pthread_mutex_unlock(&ep->rdlock);
	if (it->polled)
		atomic_fetch_sub(&ep->wq.recheck, 1);
	unlink_file(it);
	free(it);
}

/* Take it off the interest list and free it. ep->lock held. */
static void ep_remove(struct epoll *ep, struct ep_item *it)
{
	int i = it->idx;

	ep->items[i] = ep->items[--ep->n];
	ep->items[i]->idx = i;
	item_free(ep, it);
}

void eventpoll_release(struct file *f)
{
	struct ep_item *it;

	if (!__atomic_load_n(&f->ep_links, __ATOMIC_ACQUIRE))
		return;
	/* ep_mutex: no epoll reached through an item is released meanwhile;
	 * no one else frees f's items (EPOLL_CTL_DEL would need a reference). */
	pthread_mutex_lock(&ep_mutex);
	for (;;) {
		pthread_mutex_lock(&ep_links_lock);
		it = f->ep_links;
		pthread_mutex_unlock(&ep_links_lock);
		if (!it)
			break;
		struct epoll *ep = it->ep;
		pthread_mutex_lock(&ep->lock);
		ep_remove(ep, it);
		pthread_mutex_unlock(&ep->lock);
	}
	pthread_mutex_unlock(&ep_mutex);
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;

	/* The outer epolls watching this one dropped their items already
	 * (eventpoll_release ran first); its own items go off their files. */
	pthread_mutex_lock(&ep_mutex);
	pthread_mutex_lock(&ep->lock);
	for (int i = 0; i < ep->n; i++)
		item_free(ep, ep->items[i]);
	ep->n = 0;
	pthread_mutex_unlock(&ep->lock);
	pthread_mutex_unlock(&ep_mutex);
	free(ep->items);
	free(ep->tx);
	waitq_destroy(&ep->wq);
	pthread_mutex_destroy(&ep->rdlock);
	pthread_mutex_destroy(&ep->lock);
	free(ep);
}

static const struct file_operations epoll_fops = {
	.poll = epoll_poll,
	.waitq = epoll_waitq,
	.llseek = no_llseek,
	.release = epoll_release,
};

static long do_epoll_create(struct task *t, int flags)
{
	struct epoll *ep;
	struct file *f;
	int fd;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	pthread_mutex_init(&ep->lock, NULL);
	pthread_mutex_init(&ep->rdlock, NULL);
	waitq_init(&ep->wq);
	f = anon_file_new(0600, &epoll_fops, ep, O_RDWR, "anon_inode:[eventpoll]");
	if (!f) {
		waitq_destroy(&ep->wq);
		pthread_mutex_destroy(&ep->rdlock);
		pthread_mutex_destroy(&ep->lock);
		free(ep);
		return -ENOMEM;
	}
	fd = fd_install(t->fdt, f, flags & EPOLL_CLOEXEC, 0);
	file_put(f);
	return fd;
}

SYSCALL_DEFINE(epoll_create)
{
	if ((int)args->a[0] <= 0)
		return -EINVAL;
	return do_epoll_create(t, 0);
}

SYSCALL_DEFINE(epoll_create1)
{
	return do_epoll_create(t, (int)args->a[0]);
}

/*
 * Adding epoll file `to` into `target`: -ELOOP if target is reachable from
 * `to` or the nesting gets deeper than EP_MAX_NESTS. ep_ctl_lock held, so
 * no other epoll-in-epoll link appears meanwhile.
 */
static int ep_loop_check(struct epoll *target, struct epoll *cur, int depth)
{
	struct file **sub;
	int n = 0, r = 0;

	if (cur == target || depth > EP_MAX_NESTS)
		return -ELOOP;
	pthread_mutex_lock(&cur->lock);
	sub = calloc(cur->n ? (size_t)cur->n : 1, sizeof(*sub));
	if (!sub) {
		pthread_mutex_unlock(&cur->lock);
		return -ENOMEM;
	}
	for (int i = 0; i < cur->n; i++)
		if (is_epoll(cur->items[i]->file) && file_tryget(cur->items[i]->file))
			sub[n++] = cur->items[i]->file;
	pthread_mutex_unlock(&cur->lock);
	for (int i = 0; i < n; i++) {
		if (!r)
			r = ep_loop_check(target, sub[i]->priv, depth + 1);
		file_put(sub[i]);
	}
	free(sub);
	return r;
}

/* ep->lock held. */
static int ep_insert(struct epoll *ep, int fd, struct file *f, uint32_t events, uint64_t data)
{
	struct ep_item *it;

	if (ep->n >= EP_MAX_ITEMS)
		return -ENOSPC;
	if (ep->n == ep->cap) {
		int cap = ep->cap ? ep->cap * 2 : 8;
		struct ep_item **n = realloc(ep->items, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		ep->items = n;
		struct ep_item **tx = realloc(ep->tx, (size_t)cap * sizeof(*tx));
		if (!tx)
			return -ENOMEM;
		ep->tx = tx;
		ep->cap = cap;
	}
	it = calloc(1, sizeof(*it));
	if (!it)
		return -ENOMEM;
	it->fd = fd;
	it->idx = ep->n;
	it->file = f;
	it->ep = ep;
	it->events = events | EPOLLERR | EPOLLHUP;
	it->data = data;
	it->wq = f->ops->waitq ? f->ops->waitq(f) : NULL;
	it->polled = !it->wq;
	if (it->polled)
		atomic_fetch_add(&ep->wq.recheck, 1);
	ep->items[ep->n++] = it;
	link_file(it);
	if (it->wq) {
		wait_entry_init(&it->we, ep_item_wake, it);
		it->we.exclusive = events & EPOLLEXCLUSIVE;
		waitq_add(it->wq, &it->we);
	}
	/* Queued first, so no wake is missed; checked at the next pass. */
	pthread_mutex_lock(&ep->rdlock);
	rd_append(ep, it);
	pthread_mutex_unlock(&ep->rdlock);
	if (readiness(f, it->events))
		waitq_wake(&ep->wq, EPOLLIN | EPOLLRDNORM);
	return 0;
}

/* ep->lock held. */
static void ep_modify(struct epoll *ep, struct ep_item *it, uint32_t events, uint64_t data)
{
	pthread_mutex_lock(&ep->rdlock);
	it->events = events | EPOLLERR | EPOLLHUP;
	it->data = data;
	it->last = 0;
	rd_append(ep, it);
	pthread_mutex_unlock(&ep->rdlock);
	if (readiness(it->file, it->events))
		waitq_wake(&ep->wq, EPOLLIN | EPOLLRDNORM);
}

SYSCALL_DEFINE(epoll_ctl)
{
	int epfd = (int)args->a[0], op = (int)args->a[1], fd = (int)args->a[2];
	struct guest_epoll_event ev = {0};
	struct file *epf, *f;
	struct epoll *ep;
	bool ctl_locked = false;
	long r = 0;
	int i;

	if (op != EPOLL_CTL_DEL && copy_from_user(t, &ev, args->a[3], sizeof(ev)))
		return -EFAULT;
	epf = sys_fget(t, epfd);
	if (!epf)
		return -EBADF;
	f = sys_fget(t, fd);
	if (!f) {
		file_put(epf);
		return -EBADF;
	}
	/* Linux's order: the target must poll (EPERM), then epfd must be another
	 * epoll (EINVAL). */
	if (!f->ops || !f->ops->poll) {
		r = -EPERM; /* regular files and directories cannot be watched */
		goto out;
	}
	if (!is_epoll(epf) || f == epf) {
		r = -EINVAL;
		goto out;
	}
	if ((ev.events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD || is_epoll(f) ||
	     (ev.events & ~(EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | EPOLLET |
			    EPOLLEXCLUSIVE)))) {
		r = -EINVAL;
		goto out;
	}
	ep = epf->priv;
	if (op == EPOLL_CTL_ADD && is_epoll(f)) {
		pthread_mutex_lock(&ep_ctl_lock);
		ctl_locked = true;
		r = ep_loop_check(ep, f->priv, 0);
		if (r)
			goto out;
	}
	pthread_mutex_lock(&ep->lock);
	for (i = 0; i < ep->n; i++)
		if (ep->items[i]->fd == fd && ep->items[i]->file == f)
			break;
	switch (op) {
	case EPOLL_CTL_ADD:
		r = i < ep->n ? -EEXIST : ep_insert(ep, fd, f, ev.events, ev.data);
		break;
	case EPOLL_CTL_MOD:
		if (i == ep->n)
			r = -ENOENT;
		else if (ep->items[i]->events & EPOLLEXCLUSIVE)
			r = -EINVAL; /* as Linux: an exclusive item cannot be modified */
		else
			ep_modify(ep, ep->items[i], ev.events, ev.data);
		break;
	case EPOLL_CTL_DEL:
		if (i == ep->n) {
			r = -ENOENT;
			break;
		}
		ep_remove(ep, ep->items[i]);
		break;
	default:
		r = -EINVAL;
	}
	pthread_mutex_unlock(&ep->lock);
out:
	if (ctl_locked)
		pthread_mutex_unlock(&ep_ctl_lock);
	file_put(f);
	file_put(epf);
	return r;
}

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The host descriptors of polled items into host[1..] (host[0] is the
 * poller's); whether something can only be re-checked. ep->lock held. */
static bool host_set(struct epoll *ep, struct pollfd *host, int *nhost)
{
	bool recheck = false;

	*nhost = 1;
	for (int i = 0; i < ep->n; i++) {
		struct ep_item *it = ep->items[i];
		if (!(it->events & ~EP_PRIVATE_BITS))
			continue; /* a fired EPOLLONESHOT */
		if (!it->polled) {
			recheck |= atomic_load(&it->wq->recheck) > 0;
			continue;
		}
		int hfd = file_host_fd(it->file);
		if (hfd >= 0)
			host[(*nhost)++] = (struct pollfd){hfd, (short)(it->events & 0xffff), 0};
		else
			recheck = true;
	}
	return recheck;
}

/* deadline: absolute CLOCK_MONOTONIC ns, 0 = poll once, -1 = forever. */
static long do_epoll_wait(struct task *t, int epfd, uint64_t uevents, int max, int64_t deadline)
{
	struct guest_epoll_event *out;
	struct pollfd *host = NULL;
	struct wait_entry pe;
	bool queued = false;
	struct file *epf;
	struct epoll *ep;
	long r;

	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	epf = sys_fget(t, epfd);
	if (!epf)
		return -EBADF;
	if (!is_epoll(epf)) {
		file_put(epf);
		return -EINVAL;
	}
	ep = epf->priv;
	out = calloc((size_t)(max < 1024 ? max : 1024), sizeof(*out));
	if (!out) {
		file_put(epf);
		return -ENOMEM;
	}
	if (max > 1024)
		max = 1024;
	for (;;) {
		int nhost = 1;
		bool recheck = false;

		pthread_mutex_lock(&ep->lock);
		r = scan(ep, out, max);
		if (r == 0 && deadline != 0 && queued) {
			struct pollfd *h = realloc(host, ((size_t)ep->n + 1) * sizeof(*h));
			if (h) {
				host = h;
				recheck = host_set(ep, host, &nhost);
			} else {
				recheck = true;
			}
		}
		pthread_mutex_unlock(&ep->lock);
		if (r > 0 || deadline == 0)
			break;
		if (task_has_pending_signal(t)) {
			r = -EINTR;
			break;
		}
		int64_t now = mono_ns();
		if (deadline > 0 && now >= deadline) {
			r = 0;
			break;
		}
		if (!queued) {
			/* Queue first, then look again: no wake can be missed. */
			poller_entry_init(&pe);
			waitq_add(&ep->wq, &pe);
			queued = true;
			continue;
		}
		int64_t until = deadline;
		if (recheck && (until < 0 || until > now + EP_RECHECK_NS))
			until = now + EP_RECHECK_NS;
		int w = poller_sleep(t, host ? host : NULL, host ? (unsigned)nhost : 1, until);
		if (w < 0) {
			r = w;
			break;
		}
	}
	if (queued)
		waitq_remove(&ep->wq, &pe);
	if (r > 0 && copy_to_user(t, uevents, out, (size_t)r * sizeof(*out)))
		r = -EFAULT;
	free(out);
	free(host);
	file_put(epf);
	return r;
}

static int64_t deadline_ms(int timeout)
{
	return timeout < 0 ? -1 : timeout == 0 ? 0 : mono_ns() + (int64_t)timeout * 1000000LL;
}

SYSCALL_DEFINE(epoll_wait)
{
	long r = do_epoll_wait(t, (int)args->a[0], args->a[1], (int)args->a[2],
			       deadline_ms((int)args->a[3]));
	return r == -EINTR ? -EINTR : r;
}

static long pwait_common(struct task *t, const struct sysargs *args, int64_t deadline)
{
	sigset64_t m, saved = t->sigmask;
	long r;

	if (args->a[4]) {
		if (args->a[5] != 8)
			return -EINVAL;
		if (copy_from_user(t, &m, args->a[4], 8))
			return -EFAULT;
		t->sigmask = m & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	}
	r = do_epoll_wait(t, (int)args->a[0], args->a[1], (int)args->a[2], deadline);
	task_end_temporary_mask(t, saved, r == -EINTR);
	return r;
}

SYSCALL_DEFINE(epoll_pwait)
{
	return pwait_common(t, args, deadline_ms((int)args->a[3]));
}

SYSCALL_DEFINE(epoll_pwait2)
{
	struct {
		int64_t sec, nsec;
	} ts;
	int64_t deadline = -1;

	if (args->a[3]) {
		if (copy_from_user(t, &ts, args->a[3], sizeof(ts)))
			return -EFAULT;
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
			return -EINVAL;
		deadline = (ts.sec == 0 && ts.nsec == 0)
				   ? 0
				   : mono_ns() + (ts.sec > 1000000000LL ? 1000000000LL * 1000000000LL
									 : ts.sec * 1000000000LL) +
					     ts.nsec;
	}
	return pwait_common(t, args, deadline);
}
