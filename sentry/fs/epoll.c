/*
 * epoll: an interest list of (fd, file) pairs and their events.
 *
 * Readiness is each file's poll operation, asked at every epoll_wait pass:
 * level-triggered as Linux; EPOLLET reports a file again only after it was
 * seen not ready in between (a transition), EPOLLONESHOT disables an entry
 * once reported until EPOLL_CTL_MOD. Waiting sleeps on the host descriptors
 * behind the files, and re-checks every few milliseconds for the rest,
 * until files have wait queues.
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
#include "mm/mm.h"
#include "syscalls/sys_fs.h"
#include "vfs/vfs_impl.h"

#define EP_RECHECK_NS 5000000LL
#define EP_MAX_EVENTS (INT32_MAX / 12)
#define EP_MAX_ITEMS 65536

struct guest_epoll_event {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

struct ep_item {
	int fd;
	struct file *file; /* referenced */
	uint32_t events;
	uint64_t data;
	bool disabled;  /* EPOLLONESHOT fired */
	unsigned last;  /* EPOLLET: what was last seen ready */
};

struct epoll {
	pthread_mutex_t lock;
	struct ep_item *items;
	int n, cap;
};

static const struct file_operations epoll_fops;

static bool is_epoll(struct file *f)
{
	return f->ops == &epoll_fops;
}

static unsigned readiness(struct file *f, uint32_t events)
{
	unsigned all = (events & ~(EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP)) |
		       EPOLLERR | EPOLLHUP;
	if (!f->ops || !f->ops->poll)
		return (EPOLLIN | EPOLLOUT | EPOLLRDNORM | EPOLLWRNORM) & all;
	return f->ops->poll(f, events) & all;
}

/* One pass: fill out[] with up to max ready entries. ep->lock held. */
static int scan(struct epoll *ep, struct guest_epoll_event *out, int max)
{
	int k = 0;

	for (int i = 0; i < ep->n && k < max; i++) {
		struct ep_item *it = &ep->items[i];
		if (it->disabled)
			continue;
		unsigned r = readiness(it->file, it->events);
		if (it->events & EPOLLET) {
			unsigned fresh = r & ~it->last;
			it->last = r;
			r = fresh ? r : 0;
		}
		if (!r)
			continue;
		out[k].events = r;
		out[k].data = it->data;
		k++;
		if (it->events & EPOLLONESHOT)
			it->disabled = true;
	}
	return k;
}

static unsigned epoll_poll(struct file *f, unsigned events)
{
	struct epoll *ep = f->priv;
	unsigned mask = 0;

	pthread_mutex_lock(&ep->lock);
	for (int i = 0; i < ep->n; i++) {
		struct ep_item *it = &ep->items[i];
		if (!it->disabled && !is_epoll(it->file) && readiness(it->file, it->events)) {
			mask = POLLIN | POLLRDNORM;
			break;
		}
	}
	pthread_mutex_unlock(&ep->lock);
	return mask;
}

static void epoll_release(struct file *f)
{
	struct epoll *ep = f->priv;

	for (int i = 0; i < ep->n; i++)
		file_put(ep->items[i].file);
	free(ep->items);
	pthread_mutex_destroy(&ep->lock);
	free(ep);
}

static const struct file_operations epoll_fops = {
	.poll = epoll_poll,
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
	f = anon_file_new(0600, &epoll_fops, ep, O_RDWR, "anon_inode:[eventpoll]");
	if (!f) {
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

SYSCALL_DEFINE(epoll_ctl)
{
	int epfd = (int)args->a[0], op = (int)args->a[1], fd = (int)args->a[2];
	struct guest_epoll_event ev = {0};
	struct file *epf, *f;
	struct epoll *ep;
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
			    EPOLLEXCLUSIVE | EPOLLRDNORM | EPOLLWRNORM)))) {
		r = -EINVAL;
		goto out;
	}
	ep = epf->priv;
	pthread_mutex_lock(&ep->lock);
	for (i = 0; i < ep->n; i++)
		if (ep->items[i].fd == fd && ep->items[i].file == f)
			break;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (i < ep->n) {
			r = -EEXIST;
			break;
		}
		if (ep->n >= EP_MAX_ITEMS) {
			r = -ENOSPC;
			break;
		}
		if (ep->n == ep->cap) {
			int cap = ep->cap ? ep->cap * 2 : 8;
			struct ep_item *n = realloc(ep->items, (size_t)cap * sizeof(*n));
			if (!n) {
				r = -ENOMEM;
				break;
			}
			ep->items = n;
			ep->cap = cap;
		}
		file_get(f);
		ep->items[ep->n++] = (struct ep_item){.fd = fd, .file = f, .events = ev.events,
						      .data = ev.data};
		break;
	case EPOLL_CTL_MOD:
		if (i == ep->n) {
			r = -ENOENT;
			break;
		}
		ep->items[i].events = ev.events;
		ep->items[i].data = ev.data;
		ep->items[i].disabled = false;
		ep->items[i].last = 0;
		break;
	case EPOLL_CTL_DEL:
		if (i == ep->n) {
			r = -ENOENT;
			break;
		}
		file_put(ep->items[i].file);
		ep->items[i] = ep->items[--ep->n];
		break;
	default:
		r = -EINVAL;
	}
	pthread_mutex_unlock(&ep->lock);
out:
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

/* deadline: absolute CLOCK_MONOTONIC ns, 0 = poll once, -1 = forever. */
static long do_epoll_wait(struct task *t, int epfd, uint64_t uevents, int max, int64_t deadline)
{
	struct guest_epoll_event *out;
	struct pollfd *host = NULL;
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
		int nhost = 0, cap = 0;
		bool all_host = true;

		pthread_mutex_lock(&ep->lock);
		r = scan(ep, out, max);
		if (r == 0 && deadline != 0) {
			cap = ep->n;
			struct pollfd *h = realloc(host, (size_t)(cap ? cap : 1) * sizeof(*h));
			if (h) {
				host = h;
				for (int i = 0; i < ep->n; i++) {
					int hfd = ep->items[i].disabled ? -1
									: file_host_fd(ep->items[i].file);
					if (hfd >= 0)
						host[nhost++] = (struct pollfd){
							hfd, (short)(ep->items[i].events & 0xffff), 0};
					else if (!ep->items[i].disabled)
						all_host = false;
				}
			}
		}
		pthread_mutex_unlock(&ep->lock);
		if (r > 0 || deadline == 0)
			break;
		if (task_has_pending_signal(t)) {
			r = -EINTR;
			break;
		}
		int64_t left = deadline < 0 ? -1 : deadline - mono_ns();
		if (deadline > 0 && left <= 0) {
			r = 0;
			break;
		}
		int64_t wait = left;
		if (!all_host && (wait < 0 || wait > EP_RECHECK_NS))
			wait = EP_RECHECK_NS;
		struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
		ppoll(host, (nfds_t)nhost, wait < 0 ? NULL : &ts, NULL);
	}
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
