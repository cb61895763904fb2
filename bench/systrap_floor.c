/*
 * bench_systrap_floor ITERS [bind] [SPIN] - the cost of the bare systrap
 * mechanism on this host: the lower bound of the systrap platform's syscall
 * round trip, as bench_ptrace_floor is for ptrace.
 *
 * A forked child installs a seccomp filter that traps getppid (RET_TRAP)
 * and calls it ITERS times. Its SIGSYS handler does what the systrap stub
 * does: it posts the event in a shared page, wakes the parent if it sleeps
 * and waits for the answer (spinning SPIN rounds first, then FUTEX_WAIT);
 * the parent waits for each event the same way and answers. No kernel is
 * behind it. With "bind", both run on the parent's CPU (the platform's
 * default: every hand-off a switch on one CPU). Native only.
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
static int spin;

/* Wait until pg->state == want; *sleeps announces a sleep. */
static void await(unsigned want, volatile unsigned *sleeps)
{
	for (;;) {
		for (int n = spin; n > 0; n--) {
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
	long iters = bench_parse_iters(argc, argv, "ITERATIONS [bind] [SPIN]");
	long warm = bench_warmup_iters(iters);
	int status;
	pid_t pid;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "bind") == 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(sched_getcpu(), &set);
			if (sched_setaffinity(0, sizeof(set), &set) < 0) {
				perror("sched_setaffinity");
				return 1;
			}
		} else {
			spin = atoi(argv[i]);
		}
	}
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
	if (pid == 0)
		child(iters, warm);
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
