/*
 * poll, ppoll, select, pselect6.
 *
 * Readiness comes from each file's poll operation. When nothing is ready,
 * the caller hangs a poller entry (kernel/waitq.h) on the wait queue of each
 * file that has one, looks again, and sleeps in one host ppoll() on its
 * poller eventfd and the host descriptors behind the other files, so any
 * change wakes it at once. A file with a poll operation but neither a queue
 * nor a host descriptor is re-checked every 5 ms; a file without a poll
 * operation is always ready. Results, timeouts, EINTR and the temporary
 * signal masks are Linux's.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/kernel_impl.h"
#include "kernel/waitq.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs.h"
#include "vfs/vfs_impl.h"

#define POLL_MAX_FDS (1 << 20)
#define RECHECK_NS 5000000LL

struct guest_pollfd {
	int32_t fd;
	int16_t events, revents;
};

struct guest_timespec {
	int64_t tv_sec, tv_nsec;
};

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static unsigned file_readiness(struct file *f, unsigned events)
{
	unsigned all = events | POLLERR | POLLHUP | POLLNVAL;

	if (!f->ops || !f->ops->poll)
		return (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM) & all;
	return f->ops->poll(f, events) & all;
}

/* What one poll call waits on: the files, their queues and entries, and the
 * host descriptors (host[0] is the poller's slot). */
struct poll_wait {
	struct file **files;
	struct waitq **queues;
	struct wait_entry *entries;
	struct pollfd *host;
	unsigned nhost;
	bool recheck; /* some file can only be re-checked */
	bool armed;
};

/* Hang a poller entry on every file's queue and collect the host fds. */
static void poll_arm(struct poll_wait *w, struct guest_pollfd *pfds, unsigned n)
{
	w->nhost = 1;
	w->recheck = false;
	for (unsigned i = 0; i < n; i++) {
		struct file *f = w->files[i];
		if (!f || !f->ops || !f->ops->poll)
			continue;
		/* A queue, when the file has one, stands for all its readiness
		 * (a tty's host descriptor may be readable before a line is). */
		w->queues[i] = f->ops->waitq ? f->ops->waitq(f) : NULL;
		if (!w->queues[i]) {
			int hfd = file_host_fd(f);
			if (hfd >= 0)
				w->host[w->nhost++] =
					(struct pollfd){hfd, (short)(uint16_t)pfds[i].events, 0};
			else
				w->recheck = true;
			continue;
		}
		poller_entry_init(&w->entries[i]);
		waitq_add(w->queues[i], &w->entries[i]);
	}
	w->armed = true;
}

/* Whether some queue cannot wake us for all it stands for (see waitq.h). */
static bool poll_recheck(struct poll_wait *w, unsigned n)
{
	if (w->recheck)
		return true;
	for (unsigned i = 0; i < n; i++)
		if (w->queues[i] && atomic_load(&w->queues[i]->recheck) > 0)
			return true;
	return false;
}

static void poll_disarm(struct poll_wait *w, unsigned n)
{
	for (unsigned i = 0; w->armed && i < n; i++)
		if (w->queues[i])
			waitq_remove(w->queues[i], &w->entries[i]);
}

/*
 * Poll pfds until one is ready, the deadline passes (deadline < 0: never),
 * or a signal arrives. Returns the number of ready entries or -EINTR.
 */
static long do_poll(struct task *t, struct guest_pollfd *pfds, unsigned n, int64_t deadline)
{
	struct poll_wait w = {0};
	long ready = 0;

	w.files = calloc(n ? n : 1, sizeof(*w.files));
	w.queues = calloc(n ? n : 1, sizeof(*w.queues));
	w.entries = calloc(n ? n : 1, sizeof(*w.entries));
	w.host = calloc((size_t)n + 1, sizeof(*w.host));
	if (!w.files || !w.queues || !w.entries || !w.host) {
		ready = -ENOMEM;
		goto out;
	}
	for (unsigned i = 0; i < n; i++)
		w.files[i] = pfds[i].fd >= 0 ? fd_get(t->fdt, pfds[i].fd) : NULL;
	for (;;) {
		ready = 0;
		for (unsigned i = 0; i < n; i++) {
			pfds[i].revents = 0;
			if (pfds[i].fd < 0)
				continue;
			if (!w.files[i])
				pfds[i].revents = POLLNVAL;
			else
				pfds[i].revents = (int16_t)file_readiness(
					w.files[i], (unsigned)(uint16_t)pfds[i].events);
			if (pfds[i].revents)
				ready++;
		}
		if (ready || deadline == 0)
			break;
		if (task_has_pending_signal(t)) {
			ready = -EINTR;
			break;
		}
		int64_t now = now_ns();
		if (deadline > 0 && now >= deadline)
			break;
		if (!w.armed) {
			/* Queue first, then look again: no change can be missed. */
			poll_arm(&w, pfds, n);
			continue;
		}
		int64_t until = deadline;
		if (poll_recheck(&w, n) && (until < 0 || until > now + RECHECK_NS))
			until = now + RECHECK_NS;
		int r = poller_sleep(t, w.host, w.nhost, until);
		if (r < 0) {
			ready = r;
			break;
		}
	}
	poll_disarm(&w, n);
	for (unsigned i = 0; i < n; i++)
		if (w.files[i])
			file_put(w.files[i]);
out:
	free(w.files);
	free(w.queues);
	free(w.entries);
	free(w.host);
	return ready;
}

static long poll_common(struct task *t, uint64_t ufds, uint64_t nfds, int64_t deadline)
{
	struct guest_pollfd *pfds;
	long r;

	if (nfds > POLL_MAX_FDS)
		return -EINVAL;
	pfds = calloc(nfds ? nfds : 1, sizeof(*pfds));
	if (!pfds)
		return -ENOMEM;
	if (copy_from_user(t, pfds, ufds, nfds * sizeof(*pfds))) {
		free(pfds);
		return -EFAULT;
	}
	r = do_poll(t, pfds, (unsigned)nfds, deadline);
	if (r >= 0) {
		for (uint64_t i = 0; i < nfds; i++)
			if (copy_to_user(t, ufds + i * sizeof(*pfds) + 6, &pfds[i].revents, 2)) {
				r = -EFAULT;
				break;
			}
	}
	free(pfds);
	return r;
}

static int64_t deadline_from_ts(struct task *t, uint64_t uts, int *err)
{
	struct guest_timespec ts;

	*err = 0;
	if (!uts)
		return -1;
	if (copy_from_user(t, &ts, uts, sizeof(ts))) {
		*err = -EFAULT;
		return 0;
	}
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) {
		*err = -EINVAL;
		return 0;
	}
	if (ts.tv_sec == 0 && ts.tv_nsec == 0)
		return 0;
	if (ts.tv_sec > 1000000000LL)
		return -1;
	return now_ns() + ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/*
 * An interrupted poll with a timeout resumes, after a signal without a
 * handler (or a stop), through restart_syscall with the same end time
 * (Linux's do_restart_poll); with a handler it fails with EINTR. Without a
 * timeout it is simply restarted (ERESTARTNOHAND).
 */
static long poll_interrupted(struct task *t, uint64_t ufds, uint64_t nfds, int64_t deadline);

static long poll_restart(struct task *t)
{
	uint64_t ufds = t->restart.arg[0], nfds = t->restart.arg[1];
	int64_t deadline = t->restart.deadline;
	long r = poll_common(t, ufds, nfds, deadline);

	return r == -EINTR ? poll_interrupted(t, ufds, nfds, deadline) : r;
}

static long poll_interrupted(struct task *t, uint64_t ufds, uint64_t nfds, int64_t deadline)
{
	if (deadline < 0)
		return -ERESTARTNOHAND;
	t->restart.arg[0] = ufds;
	t->restart.arg[1] = nfds;
	t->restart.deadline = deadline;
	t->restart.fn = poll_restart;
	return -ERESTART_RESTARTBLOCK;
}

SYSCALL_DEFINE(poll)
{
	int timeout = (int)args->a[2];
	int64_t deadline = timeout < 0 ? -1 : timeout == 0 ? 0 : now_ns() + timeout * 1000000LL;
	long r = poll_common(t, args->a[0], args->a[1], deadline);

	return r == -EINTR ? poll_interrupted(t, args->a[0], args->a[1], deadline) : r;
}

/* Install a temporary signal mask for the duration of the call. */
static int swap_mask(struct task *t, uint64_t umask, uint64_t size, sigset64_t *saved)
{
	sigset64_t m;

	*saved = t->sigmask;
	if (!umask)
		return 0;
	if (size != 8)
		return -EINVAL;
	if (copy_from_user(t, &m, umask, 8))
		return -EFAULT;
	t->sigmask = m & ~((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)));
	return 0;
}

SYSCALL_DEFINE(ppoll)
{
	sigset64_t saved;
	int err;
	int64_t deadline = deadline_from_ts(t, args->a[2], &err);
	long r;

	if (err)
		return err;
	if ((err = swap_mask(t, args->a[3], args->a[4], &saved)))
		return err;
	r = poll_common(t, args->a[0], args->a[1], deadline);
	task_end_temporary_mask(t, saved, r == -EINTR);
	return r == -EINTR ? -ERESTARTNOHAND : r;
}

/* select via poll: fd_sets of nfds bits. */
static long select_common(struct task *t, int nfds, uint64_t rp, uint64_t wp, uint64_t ep,
			  int64_t deadline)
{
	size_t bytes = (((size_t)nfds + 63) / 64) * 8;
	uint64_t *sets[3] = {NULL, NULL, NULL}, addr[3] = {rp, wp, ep};
	struct guest_pollfd *pfds = NULL;
	unsigned n = 0;
	long r;

	if (nfds < 0)
		return -EINVAL;
	if (nfds > 1048576)
		nfds = 1048576;
	for (int k = 0; k < 3; k++) {
		if (!addr[k])
			continue;
		sets[k] = calloc(1, bytes ? bytes : 8);
		if (!sets[k]) {
			r = -ENOMEM;
			goto out;
		}
		if (copy_from_user(t, sets[k], addr[k], bytes)) {
			r = -EFAULT;
			goto out;
		}
	}
	pfds = calloc((size_t)nfds + 1, sizeof(*pfds));
	if (!pfds) {
		r = -ENOMEM;
		goto out;
	}
	for (int fd = 0; fd < nfds; fd++) {
		short ev = 0;
		for (int k = 0; k < 3; k++)
			if (sets[k] && (sets[k][fd / 64] >> (fd % 64) & 1))
				ev |= k == 0 ? (POLLIN | POLLRDNORM | POLLHUP | POLLERR)
				      : k == 1 ? (POLLOUT | POLLWRNORM | POLLERR)
					       : POLLPRI;
		if (ev)
			pfds[n++] = (struct guest_pollfd){fd, ev, 0};
	}
	r = do_poll(t, pfds, n, deadline);
	if (r < 0)
		goto out;
	for (unsigned i = 0; i < n; i++)
		if (pfds[i].revents & POLLNVAL) {
			r = -EBADF;
			goto out;
		}
	for (int k = 0; k < 3; k++)
		if (sets[k])
			memset(sets[k], 0, bytes);
	r = 0;
	for (unsigned i = 0; i < n; i++) {
		int fd = pfds[i].fd;
		short rev = pfds[i].revents;
		bool hit[3] = {
			sets[0] && (rev & (POLLIN | POLLRDNORM | POLLHUP | POLLERR)),
			sets[1] && (rev & (POLLOUT | POLLWRNORM | POLLERR)),
			sets[2] && (rev & POLLPRI),
		};
		for (int k = 0; k < 3; k++) {
			/* Only report in the sets the caller asked about for this fd. */
			if (!hit[k])
				continue;
			short asked = pfds[i].events;
			if (k == 0 && !(asked & POLLIN))
				continue;
			if (k == 1 && !(asked & POLLOUT))
				continue;
			if (k == 2 && !(asked & POLLPRI))
				continue;
			sets[k][fd / 64] |= 1ULL << (fd % 64);
			r++;
		}
	}
	for (int k = 0; k < 3; k++)
		if (sets[k] && copy_to_user(t, addr[k], sets[k], bytes)) {
			r = -EFAULT;
			goto out;
		}
out:
	for (int k = 0; k < 3; k++)
		free(sets[k]);
	free(pfds);
	return r;
}

struct guest_timeval {
	int64_t tv_sec, tv_usec;
};

SYSCALL_DEFINE(select)
{
	struct guest_timeval tv;
	int64_t deadline = -1;
	long r;

	if (args->a[4]) {
		if (copy_from_user(t, &tv, args->a[4], sizeof(tv)))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		deadline = (tv.tv_sec == 0 && tv.tv_usec == 0)
				   ? 0
				   : now_ns() + tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
	}
	r = select_common(t, (int)args->a[0], args->a[1], args->a[2], args->a[3], deadline);
	if (r >= 0 && args->a[4]) {
		int64_t left = deadline > 0 ? deadline - now_ns() : 0;
		if (left < 0)
			left = 0;
		tv.tv_sec = left / 1000000000LL;
		tv.tv_usec = (left % 1000000000LL) / 1000;
		copy_to_user(t, args->a[4], &tv, sizeof(tv));
	}
	return r == -EINTR ? -ERESTARTNOHAND : r;
}

SYSCALL_DEFINE(pselect6)
{
	struct {
		uint64_t ss;
		uint64_t ss_len;
	} sig;
	sigset64_t saved;
	int err;
	int64_t deadline = deadline_from_ts(t, args->a[4], &err);
	long r;

	if (err)
		return err;
	saved = t->sigmask;
	if (args->a[5]) {
		if (copy_from_user(t, &sig, args->a[5], sizeof(sig)))
			return -EFAULT;
		if (sig.ss && (err = swap_mask(t, sig.ss, sig.ss_len, &saved)))
			return err;
	}
	r = select_common(t, (int)args->a[0], args->a[1], args->a[2], args->a[3], deadline);
	task_end_temporary_mask(t, saved, r == -EINTR);
	return r == -EINTR ? -ERESTARTNOHAND : r;
}
