/* System information, limits, randomness and scheduling. */
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

struct guest_utsname {
	char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

SYSCALL_DEFINE(uname)
{
	struct guest_utsname u;

	memset(&u, 0, sizeof(u));
	strcpy(u.sysname, "Linux");
	pthread_mutex_lock(&kernel.lock);
	memcpy(u.nodename, kernel.hostname, sizeof(u.nodename));
	memcpy(u.domainname, kernel.domainname, sizeof(u.domainname));
	pthread_mutex_unlock(&kernel.lock);
	strcpy(u.release, SENTRY_UNAME_RELEASE);
	strcpy(u.version, SENTRY_UNAME_VERSION);
	strcpy(u.machine, "x86_64");
	return copy_to_user(t, args->a[0], &u, sizeof(u));
}

struct guest_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint32_t pad2;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char _f[4];
};

SYSCALL_DEFINE(sysinfo)
{
	struct guest_sysinfo g;
	struct sysinfo h;

	memset(&g, 0, sizeof(g));
	if (sysinfo(&h) == 0) {
		g.totalram = h.totalram;
		g.freeram = h.freeram;
		g.sharedram = h.sharedram;
		g.bufferram = h.bufferram;
		g.mem_unit = h.mem_unit;
	}
	g.uptime = (int64_t)(kernel_uptime_ns() / 1000000000ULL);
	pthread_mutex_lock(&kernel.lock);
	g.procs = (uint16_t)kernel_count_tasks();
	pthread_mutex_unlock(&kernel.lock);
	return copy_to_user(t, args->a[0], &g, sizeof(g));
}

SYSCALL_DEFINE(getrandom)
{
	uint64_t addr = args->a[0];
	size_t len = args->a[1], done = 0;
	unsigned flags = (unsigned)args->a[2];
	char buf[4096];

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE))
		return -EINVAL;
	if (len > 33554431)
		len = 33554431;
	while (done < len) {
		size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
		ssize_t k = getrandom(buf, n, 0);
		if (k <= 0)
			return done ? (long)done : -EAGAIN;
		ssize_t w = mm_write_partial(t->mm, addr + done, buf, (size_t)k);
		if (w < 0)
			return done ? (long)done : -EFAULT;
		done += (size_t)w;
		if (w < k)
			break;
		if (task_has_pending_signal(t) && done < len)
			break;
	}
	return (long)done;
}

#define GUEST_RLIM_NLIMITS 16

static long do_prlimit(struct task *t, int pid, unsigned res, uint64_t new_addr, uint64_t old_addr)
{
	struct rlimit64_s nl, ol;
	long r = 0;

	if (res >= GUEST_RLIM_NLIMITS)
		return -EINVAL;
	if (new_addr) {
		if (copy_from_user(t, &nl, new_addr, sizeof(nl)))
			return -EFAULT;
		if (nl.cur > nl.max)
			return -EINVAL;
	}
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = pid == 0 ? t->tg : tg_lookup(pid);
	if (!tg || tg->zombie) {
		r = -ESRCH;
		goto out;
	}
	ol = tg->rlimits[res];
	if (new_addr) {
		if (nl.max > ol.max && !creds_capable(&t->creds, 24 /* CAP_SYS_RESOURCE */)) {
			r = -EPERM;
			goto out;
		}
		if (res == RLIMIT_NOFILE && nl.max > 1048576) {
			r = -EPERM;
			goto out;
		}
		tg->rlimits[res] = nl;
	}
out:
	pthread_mutex_unlock(&kernel.lock);
	if (r == 0 && old_addr && copy_to_user(t, old_addr, &ol, sizeof(ol)))
		return -EFAULT;
	return r;
}

SYSCALL_DEFINE(prlimit64)
{
	return do_prlimit(t, (int)args->a[0], (unsigned)args->a[1], args->a[2], args->a[3]);
}

SYSCALL_DEFINE(getrlimit)
{
	return do_prlimit(t, 0, (unsigned)args->a[0], 0, args->a[1]);
}

SYSCALL_DEFINE(setrlimit)
{
	return do_prlimit(t, 0, (unsigned)args->a[0], args->a[1], 0);
}

static long online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 1024 ? 1024 : n;
}

static struct task *affinity_target(struct task *t, int pid)
{
	struct task *x = t;

	if (pid < 0)
		return NULL;
	if (pid != 0 && pid != t->tid) {
		pthread_mutex_lock(&kernel.lock);
		x = task_lookup(pid);
		pthread_mutex_unlock(&kernel.lock);
	}
	return x;
}

SYSCALL_DEFINE(sched_getaffinity)
{
	size_t len = args->a[1];
	long ncpu = online_cpus();
	uint64_t mask[16];
	struct task *x;

	/* Like Linux: the buffer must hold nr_cpu_ids bits, in whole longs. */
	size_t need = (((size_t)ncpu + 63) / 64) * 8;
	if (len < need || (len & 7))
		return -EINVAL;
	if (!(x = affinity_target(t, (int)args->a[0])))
		return -ESRCH;
	memcpy(mask, x->affinity, sizeof(mask));
	bool any = false;
	for (int i = 0; i < 16; i++)
		any |= mask[i] != 0;
	if (!any)
		for (long i = 0; i < ncpu; i++)
			mask[i / 64] |= 1ULL << (i % 64);
	if (copy_to_user(t, args->a[2], mask, need))
		return -EFAULT;
	return (long)need;
}

SYSCALL_DEFINE(sched_setaffinity)
{
	size_t len = args->a[1];
	long ncpu = online_cpus();
	uint64_t mask[16] = {0};
	struct task *x;

	if (len > sizeof(mask))
		len = sizeof(mask);
	if (copy_from_user(t, mask, args->a[2], len))
		return -EFAULT;
	if (!(x = affinity_target(t, (int)args->a[0])))
		return -ESRCH;
	/* Only online CPUs count; none left is EINVAL. */
	bool any = false;
	for (long i = 0; i < 1024; i++) {
		bool bit = mask[i / 64] >> (i % 64) & 1;
		if (i >= ncpu && bit)
			mask[i / 64] &= ~(1ULL << (i % 64));
		else if (bit)
			any = true;
	}
	if (!any)
		return -EINVAL;
	memcpy(x->affinity, mask, sizeof(mask));
	return 0;
}

SYSCALL_DEFINE(sched_yield)
{
	sched_yield();
	return 0;
}

SYSCALL_DEFINE(getcpu)
{
	unsigned cpu = 0, node = 0;

	if (args->a[0] && copy_to_user(t, args->a[0], &cpu, 4))
		return -EFAULT;
	if (args->a[1] && copy_to_user(t, args->a[1], &node, 4))
		return -EFAULT;
	return 0;
}
