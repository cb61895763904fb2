/*
 * bench_systrap_floor ITERS [bind|apart] [SPIN_US] - the cost of the bare
 * systrap mechanism on this host: the lower bound of the systrap platform's
 * syscall round trip, as bench_ptrace_floor is for ptrace.
 *
 * A forked child installs a seccomp filter that traps getppid (RET_TRAP)
 * and calls it ITERS times. Its SIGSYS handler does what the systrap stub
 * does: it posts the event in a shared page, wakes the parent if it sleeps
 * and waits for the answer (spinning up to SPIN_US microseconds first,
 * with pause, then FUTEX_WAIT); the parent waits for each event the same
 * way and answers. No kernel is behind it. With "bind", both run on the
 * parent's CPU (the platform's "together" mode: every hand-off a switch on
 * one CPU); with "apart", parent and child are pinned to two different
 * CPUs (the "apart" mode, which pays only with SPIN_US > 0). Native only.
 */
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

enum { EVENT = 1, REPLY = 2 };

struct page {
	unsigned state, child_sleeps, parent_sleeps;
};

static volatile struct page *pg;
static int spin;           /* microseconds */
static unsigned long long spin_ticks; /* the same in TSC ticks */

/* TSC ticks per microsecond, measured over 20 ms. */
static unsigned long long tsc_per_us(void)
{
	double t0 = bench_now_ns();
	unsigned long long c0 = __builtin_ia32_rdtsc();

	usleep(20000);
	return (unsigned long long)((__builtin_ia32_rdtsc() - c0) * 1000.0 /
				    (bench_now_ns() - t0));
}

/* Wait until pg->state == want; *sleeps announces a sleep. */
static void await(unsigned want, volatile unsigned *sleeps)
{
	for (;;) {
		unsigned long long t0 = __builtin_ia32_rdtsc();
		while (spin_ticks && __builtin_ia32_rdtsc() - t0 < spin_ticks) {
			if (__atomic_load_n(&pg->state, __ATOMIC_ACQUIRE) == want)
				return;
			__builtin_ia32_pause();
		}
		__atomic_store_n(sleeps, 1, __ATOMIC_SEQ_CST);
		unsigned cur = __atomic_load_n(&pg->state, __ATOMIC_SEQ_CST);
		if (cur != want)
			syscall(SYS_futex, &pg->state, FUTEX_WAIT, cur, NULL, NULL, 0);
		__atomic_store_n(sleeps, 0, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&pg->state, __ATOMIC_ACQUIRE) == want)
			return;
	}
}

static void post(unsigned v, volatile unsigned *peer_sleeps)
{
	__atomic_store_n(&pg->state, v, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(peer_sleeps, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &pg->state, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	post(EVENT, &pg->parent_sleeps);
	await(REPLY, &pg->child_sleeps);
}

static void child(long iters, long warm)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fp = {sizeof(f) / sizeof(f[0]), f};
	double t0, t1;

	if (sigaction(SIGSYS, &sa, NULL) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) < 0) {
		perror("seccomp");
		_exit(1);
	}
	for (long i = 0; i < warm; i++)
		syscall(SYS_getppid);
	t0 = bench_now_ns();
	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	t1 = bench_now_ns();
	bench_report(spin ? "systrap hand-off round trip (spinning)"
			  : "systrap hand-off round trip",
		     iters, t0, t1);
	fflush(stdout);
	_exit(0);
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS [bind|apart] [SPIN_US]");
	long warm = bench_warmup_iters(iters);
	int status, apart = 0;
	pid_t pid;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "bind") == 0 || strcmp(argv[i], "apart") == 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(sched_getcpu(), &set);
			if (sched_setaffinity(0, sizeof(set), &set) < 0) {
				perror("sched_setaffinity");
				return 1;
			}
			apart = argv[i][0] == 'a';
		} else {
			spin = atoi(argv[i]);
		}
	}
	if (spin > 0)
		spin_ticks = (unsigned long long)spin * tsc_per_us();
	pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pg == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		if (apart) {
			/* Any other CPU than the parent's. */
			cpu_set_t set;
			int me = sched_getcpu(), n = (int)sysconf(_SC_NPROCESSORS_ONLN);
			CPU_ZERO(&set);
			for (int c = 0; c < n && c < CPU_SETSIZE; c++)
				if (c != me)
					CPU_SET(c, &set);
			if (n < 2 || sched_setaffinity(0, sizeof(set), &set) < 0) {
				fprintf(stderr, "systrap_floor: no second CPU\n");
				_exit(1);
			}
		}
		child(iters, warm);
	}
	for (long i = 0; i < iters + warm; i++) {
		await(EVENT, &pg->parent_sleeps);
		post(REPLY, &pg->child_sleeps);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "systrap_floor: child failed\n");
		return 1;
	}
	return 0;
}
