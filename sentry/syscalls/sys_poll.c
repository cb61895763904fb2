/*
 * poll, ppoll, select, pselect6.
 *
 * Readiness comes from each file's poll operation. Waiting is done on the
 * host for files backed by a host descriptor, and otherwise by re-checking
 * every few milliseconds: a stopgap until files have wait queues (the
 * process-model work), but with Linux's results, timeouts and EINTR.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/kernel_impl.h"
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

/*
 * Poll pfds until one is ready, the deadline passes (deadline < 0: never),
 * or a signal arrives. Returns the number of ready entries or -EINTR.
 */
static long do_poll(struct task *t, struct guest_pollfd *pfds, unsigned n, int64_t deadline)
{
	struct file **files = calloc(n ? n : 1, sizeof(*files));
	struct pollfd *host = calloc(n ? n : 1, sizeof(*host));
	long ready = 0;

	if (!files || !host) {
		free(files);
		free(host);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++)
		files[i] = pfds[i].fd >= 0 ? fd_get(t->fdt, pfds[i].fd) : NULL;
	for (;;) {
		unsigned nhost = 0;
		bool all_host = true;

		ready = 0;
		for (unsigned i = 0; i < n; i++) {
			pfds[i].revents = 0;
			if (pfds[i].fd < 0)
				continue;
			if (!files[i]) {
				pfds[i].revents = POLLNVAL;
			} else {
				unsigned ev = (unsigned)(uint16_t)pfds[i].events;
				pfds[i].revents = (int16_t)file_readiness(files[i], ev);
				int hfd = file_host_fd(files[i]);
				if (hfd >= 0)
					host[nhost++] = (struct pollfd){hfd, (short)ev, 0};
				else
					all_host = false;
			}
			if (pfds[i].revents)
				ready++;
		}
		if (ready || deadline == 0)
			break;
		if (task_has_pending_signal(t)) {
			ready = -EINTR;
			break;
		}
		int64_t left = deadline < 0 ? -1 : deadline - now_ns();
		if (deadline > 0 && left <= 0)
			break;
		/* Sleep on the host descriptors, or a short while for the rest. */
		int64_t wait = left;
		if (!all_host && (wait < 0 || wait > RECHECK_NS))
			wait = RECHECK_NS;
		struct timespec ts = {wait / 1000000000LL, wait % 1000000000LL};
		ppoll(host, nhost, wait < 0 ? NULL : &ts, NULL);
	}
	for (unsigned i = 0; i < n; i++)
		if (files[i])
			file_put(files[i]);
	free(files);
	free(host);
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

SYSCALL_DEFINE(poll)
{
	int timeout = (int)args->a[2];
	int64_t deadline = timeout < 0 ? -1 : timeout == 0 ? 0 : now_ns() + timeout * 1000000LL;
	long r = poll_common(t, args->a[0], args->a[1], deadline);

	return r == -EINTR ? -ERESTARTNOHAND : r;
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
