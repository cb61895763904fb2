/*
 * bench_ptrace_floor ITERS [bind] - the cost of the bare ptrace mechanism on
 * this host: the lower bound of any PTRACE_SYSEMU sandbox's syscall round trip.
 *
 * A forked child calls getppid ITERS times through syscall(2) and then
 * exit_group. The parent traces it the way a ptrace platform does, with no
 * kernel behind it: per stop it does waitpid + PTRACE_GETREGS, writes a return
 * value into rax, PTRACE_SETREGS and PTRACE_SYSEMU. The time from the child's
 * first getppid stop to its exit_group stop, divided by ITERS, is printed in
 * the same format as the other micro benchmarks. It needs ptrace permission
 * over its own child (always true natively unless Yama is at level 3); it is
 * meant to run natively only, a sandbox nested inside another is not measured.
 *
 * With "bind", the tracer keeps the tracee's CPU affinity set to the CPU the
 * tracer is running on (re-set whenever the tracer migrates), as gVisor's
 * ptrace platform does: each stop and resume is then a switch on one CPU
 * instead of a cross-CPU wake-up, which in a VM costs an IPI and often a
 * halt/wake of the idle vCPU.
 */
#include <sched.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

static void child(long iters)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
		_exit(3);
	raise(SIGSTOP);
	for (long i = 0; i < iters; i++)
		syscall(SYS_getppid);
	syscall(SYS_exit_group, 0);
	_exit(0); /* not reached: the tracer kills us at exit_group */
}

/* Wait for the next stop of pid; returns 0 on a stop, -1 if it is gone. */
static int wait_stop(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, __WALL);

		if (r == pid)
			return WIFSTOPPED(*status) ? 0 : -1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

int main(int argc, char **argv)
{
	long iters = bench_parse_iters(argc, argv, "ITERATIONS");
	struct user_regs_struct regs;
	long stops = 0;
	double t0 = 0, t1;
	pid_t me = getpid(), pid;
	int status, bind = 0, bound_cpu = -1;

	if (argc > 2) {
		if (strcmp(argv[2], "bind") != 0) {
			fprintf(stderr, "usage: %s ITERATIONS [bind]\n", argv[0]);
			return 2;
		}
		bind = 1;
	}

	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0)
		child(iters);

	/* The child's SIGSTOP from raise(). */
	if (wait_stop(pid, &status) != 0) {
		fprintf(stderr, "child did not stop (ptrace not permitted?)\n");
		return 1;
	}
	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)PTRACE_O_EXITKILL) != 0) {
		perror("PTRACE_SETOPTIONS");
		goto fail;
	}
	if (ptrace(PTRACE_SYSEMU, pid, NULL, NULL) != 0) {
		perror("PTRACE_SYSEMU");
		goto fail;
	}
	for (;;) {
		if (wait_stop(pid, &status) != 0) {
			fprintf(stderr, "child exited unexpectedly (status %#x)\n", status);
			return 1;
		}
		if (WSTOPSIG(status) != SIGTRAP) {
			fprintf(stderr, "unexpected stop by signal %d\n", WSTOPSIG(status));
			goto fail;
		}
		if (ptrace(PTRACE_GETREGS, pid, NULL, &regs) != 0) {
			perror("PTRACE_GETREGS");
			goto fail;
		}
		if (stops == 0)
			t0 = bench_now_ns();
		if (regs.orig_rax == SYS_exit_group)
			break;
		if (regs.orig_rax != SYS_getppid) {
			/* glibc's syscall() makes no other call; anything else is a bug. */
			fprintf(stderr, "unexpected syscall %llu\n", regs.orig_rax);
			goto fail;
		}
		stops++;
		if (bind) {
			int cpu = sched_getcpu();

			if (cpu >= 0 && cpu != bound_cpu) {
				cpu_set_t set;

				CPU_ZERO(&set);
				CPU_SET(cpu, &set);
				/* Best effort, like gVisor: a failure only costs speed. */
				if (sched_setaffinity(pid, sizeof(set), &set) == 0)
					bound_cpu = cpu;
			}
		}
		regs.rax = (unsigned long long)me;
		if (ptrace(PTRACE_SETREGS, pid, NULL, &regs) != 0 ||
		    ptrace(PTRACE_SYSEMU, pid, NULL, NULL) != 0) {
			perror("PTRACE_SETREGS/SYSEMU");
			goto fail;
		}
	}
	t1 = bench_now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	if (stops != iters) {
		fprintf(stderr, "saw %ld getppid stops, expected %ld\n", stops, iters);
		return 1;
	}
	/* t0 was taken at the first stop: iters - 1 full round trips + the last
	 * leg to exit_group, i.e. iters round trips. */
	bench_report(bind ? "ptrace SYSEMU round trip (tracee bound to tracer's CPU)"
			  : "ptrace SYSEMU round trip", iters, t0, t1);
	return 0;
fail:
	kill(pid, SIGKILL);
	waitpid(pid, &status, __WALL);
	return 1;
}
