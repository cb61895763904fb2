/* Processes, threads, pipes, futexes and signal handlers. */
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

TEST(fork_and_wait_report_the_exit_status)
{
	int st = 0;
	pid_t parent = getpid();
	pid_t pid = (pid_t)EXPECT_SYS(fork());

	if (pid == 0)
		_exit(getppid() == parent ? 7 : 99);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 7);
	EXPECT_ERRNO(waitpid(-1, &st, 0), ECHILD);
	EXPECT_ERRNO(waitpid(pid, &st, WNOHANG), ECHILD);
}

TEST(wnohang_returns_zero_while_the_child_runs)
{
	int p[2], st = 0;
	char c = 0;

	EXPECT_SYS(pipe(p));
	pid_t pid = (pid_t)EXPECT_SYS(fork());
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1); /* EOF when the parent closes */
	}
	close(p[0]);
	EXPECT_EQ(waitpid(pid, &st, WNOHANG), 0);
	close(p[1]);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
}

TEST(a_child_killed_by_a_signal)
{
	int st = 0;
	pid_t pid = (pid_t)EXPECT_SYS(fork());

	if (pid == 0) {
		kill(getpid(), SIGKILL);
		_exit(1);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGKILL);
}

TEST(waitid_fills_siginfo)
{
	siginfo_t si;
	pid_t pid = (pid_t)EXPECT_SYS(fork());

	if (pid == 0)
		_exit(5);
	memset(&si, 0, sizeof(si));
	EXPECT_SYS(waitid(P_PID, (id_t)pid, &si, WEXITED));
	EXPECT_EQ(si.si_signo, SIGCHLD);
	EXPECT_EQ(si.si_code, CLD_EXITED);
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(si.si_status, 5);
	EXPECT_ERRNO(waitid(P_PID, (id_t)pid, &si, 0), EINVAL);
}

TEST(a_pipe_carries_data_between_processes)
{
	int p[2], st;
	char buf[16] = {0};

	EXPECT_SYS(pipe(p));
	pid_t pid = (pid_t)EXPECT_SYS(fork());
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], "hello", 5) == 5 ? 0 : 1);
	}
	close(p[1]);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 5);
	EXPECT_STREQ(buf, "hello");
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 0); /* every writer gone: EOF */
	close(p[0]);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
}

TEST(pipe_errors)
{
	int p[2];
	char c = 'x';

	EXPECT_SYS(pipe2(p, O_NONBLOCK | O_CLOEXEC));
	EXPECT_ERRNO(read(p[0], &c, 1), EAGAIN);
	EXPECT_EQ(fcntl(p[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	EXPECT_ERRNO(lseek(p[0], 0, SEEK_SET), ESPIPE);
	close(p[0]);
	signal(SIGPIPE, SIG_IGN);
	EXPECT_ERRNO(write(p[1], &c, 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
	EXPECT_ERRNO(pipe2(p, 0x12345678), EINVAL);
	EXPECT_ERRNO(syscall(SYS_pipe, (void *)1), EFAULT);
}

TEST(exec_in_a_child)
{
	int st = -1;
	pid_t pid = (pid_t)EXPECT_SYS(fork());

	if (pid == 0) {
		char *argv[] = {"sh", "-c", "exit 3", NULL};
		execv("/bin/sh", argv);
		_exit(127);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 3);
}

TEST(vfork_shares_memory_until_exit)
{
	static volatile int shared;
	int st = -1;

	shared = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		shared = 42;
		_exit(4);
	}
	EXPECT_TRUE(pid > 0);
	EXPECT_EQ(shared, 42);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(WEXITSTATUS(st), 4);
}

TEST(fork_copies_memory_on_write)
{
	static int value;
	int p[2], st;
	char *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (!EXPECT_NE(shared, MAP_FAILED))
		return;
	value = 1;
	shared[0] = 1;
	EXPECT_SYS(pipe(p));
	pid_t pid = (pid_t)EXPECT_SYS(fork());
	if (pid == 0) {
		value = 2;
		shared[0] = 2;
		_exit(0);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(value, 1);     /* private: the child's write stayed its own */
	EXPECT_EQ(shared[0], 2); /* MAP_SHARED|MAP_ANONYMOUS: seen across fork */
	munmap(shared, 4096);
	close(p[0]);
	close(p[1]);
}

static atomic_int counter;
static pid_t thread_tids[4];

static void *thread_fn(void *arg)
{
	thread_tids[(long)arg] = (pid_t)syscall(SYS_gettid);
	atomic_fetch_add(&counter, 1);
	return arg;
}

TEST(threads_run_and_join)
{
	pthread_t th[4];
	void *ret;

	atomic_store(&counter, 0);
	for (long i = 0; i < 4; i++)
		EXPECT_EQ(pthread_create(&th[i], NULL, thread_fn, (void *)i), 0);
	for (long i = 0; i < 4; i++) {
		EXPECT_EQ(pthread_join(th[i], &ret), 0);
		EXPECT_EQ((long)ret, i);
		EXPECT_NE(thread_tids[i], getpid());
	}
	EXPECT_EQ(atomic_load(&counter), 4);
}

TEST(futex_wait_checks_the_value_and_times_out)
{
	static uint32_t word = 1;
	struct timespec ts = {0, 20 * 1000 * 1000};

	EXPECT_ERRNO(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 2, NULL, NULL, 0), EAGAIN);
	EXPECT_ERRNO(syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0), ETIMEDOUT);
	EXPECT_EQ(syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	EXPECT_ERRNO(syscall(SYS_futex, (char *)&word + 1, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0),
		     EINVAL);
	EXPECT_ERRNO(syscall(SYS_futex, (void *)8, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0), EFAULT);
}

static volatile sig_atomic_t got_sig;
static volatile pid_t got_pid;
static volatile int got_code;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	got_sig = sig;
	got_pid = si->si_pid;
	got_code = si->si_code;
}

TEST(a_handler_runs_with_its_siginfo)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	EXPECT_SYS(sigaction(SIGUSR1, &sa, NULL));
	got_sig = 0;
	EXPECT_SYS(kill(getpid(), SIGUSR1));
	EXPECT_EQ(got_sig, SIGUSR1);
	EXPECT_EQ(got_pid, getpid());
	EXPECT_EQ(got_code, SI_USER);
	signal(SIGUSR1, SIG_DFL);
}

TEST(a_blocked_signal_waits_until_unblocked)
{
	struct sigaction sa;
	sigset_t set, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_usr1;
	sa.sa_flags = SA_SIGINFO;
	EXPECT_SYS(sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	EXPECT_SYS(sigprocmask(SIG_BLOCK, &set, &old));
	got_sig = 0;
	EXPECT_SYS(kill(getpid(), SIGUSR1));
	EXPECT_EQ(got_sig, 0);
	EXPECT_SYS(sigprocmask(SIG_SETMASK, &old, NULL));
	EXPECT_EQ(got_sig, SIGUSR1);
	signal(SIGUSR1, SIG_DFL);
}

static sigjmp_buf segv_jmp;
static void *volatile segv_addr;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	segv_addr = si->si_addr;
	siglongjmp(segv_jmp, 1);
}

TEST(a_fault_reaches_its_handler_with_the_address)
{
	struct sigaction sa;
	char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!EXPECT_NE(page, MAP_FAILED))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO;
	EXPECT_SYS(sigaction(SIGSEGV, &sa, NULL));
	segv_addr = NULL;
	if (sigsetjmp(segv_jmp, 1) == 0)
		*(volatile char *)(page + 12) = 1;
	EXPECT_EQ(segv_addr, page + 12);
	signal(SIGSEGV, SIG_DFL);
	munmap(page, 4096);
}

TEST(futex_wait_bitset_takes_an_absolute_realtime_deadline)
{
	static uint32_t word = 1;
	struct timespec ts;

	EXPECT_SYS(clock_gettime(CLOCK_REALTIME, &ts));
	ts.tv_nsec += 20 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	EXPECT_ERRNO(syscall(SYS_futex, &word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 1,
			     &ts, NULL, FUTEX_BITSET_MATCH_ANY),
		     ETIMEDOUT);
}

TEST(orphans_go_to_the_nearest_subreaper)
{
	int p[2], st, sub = 0;
	pid_t me = getpid(), got = 0;

	EXPECT_SYS(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0));
	EXPECT_SYS(prctl(PR_GET_CHILD_SUBREAPER, &sub, 0, 0, 0));
	EXPECT_EQ(sub, 1);
	EXPECT_SYS(pipe(p));
	pid_t child = (pid_t)EXPECT_SYS(fork());
	if (child == 0) {
		if (fork() == 0) {
			/* The grandchild waits until its parent is gone, then reports. */
			while (getppid() != me)
				usleep(1000);
			pid_t pp = getppid();
			(void)!write(p[1], &pp, sizeof(pp));
			_exit(0);
		}
		_exit(0);
	}
	EXPECT_EQ(waitpid(child, &st, 0), child);
	EXPECT_EQ(read(p[0], &got, sizeof(got)), (ssize_t)sizeof(got));
	EXPECT_EQ(got, me);
	EXPECT_TRUE(waitpid(-1, &st, 0) > 0); /* the subreaper reaps the grandchild */
	EXPECT_SYS(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
	close(p[0]);
	close(p[1]);
}

TEST(stop_and_continue_are_reported_to_wait)
{
	int st = 0;
	siginfo_t si;
	pid_t pid = (pid_t)EXPECT_SYS(fork());

	if (pid == 0) {
		for (;;)
			pause();
	}
	EXPECT_SYS(kill(pid, SIGSTOP));
	EXPECT_EQ(waitpid(pid, &st, WUNTRACED), pid);
	EXPECT_TRUE(WIFSTOPPED(st));
	EXPECT_EQ(WSTOPSIG(st), SIGSTOP);
	EXPECT_EQ(waitpid(pid, &st, WUNTRACED | WNOHANG), 0); /* reported once */
	EXPECT_SYS(kill(pid, SIGCONT));
	EXPECT_EQ(waitpid(pid, &st, WCONTINUED), pid);
	EXPECT_TRUE(WIFCONTINUED(st));
	/* SIGSTOP again: SIGTSTP would be discarded if the test's process group
	 * happens to be orphaned (as under some CI runners). */
	EXPECT_SYS(kill(pid, SIGSTOP));
	memset(&si, 0, sizeof(si));
	EXPECT_SYS(waitid(P_PID, (id_t)pid, &si, WSTOPPED));
	EXPECT_EQ(si.si_code, CLD_STOPPED);
	EXPECT_EQ(si.si_status, SIGSTOP);
	EXPECT_SYS(kill(pid, SIGKILL)); /* a stopped process still dies of SIGKILL */
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGKILL);
}

TEST(kill_reaches_a_process_group)
{
	int st = 0;
	pid_t pid = (pid_t)EXPECT_SYS(fork());

	if (pid == 0) {
		setpgid(0, 0);
		for (;;)
			pause();
	}
	while (getpgid(pid) != pid)
		usleep(1000);
	EXPECT_SYS(kill(-pid, SIGTERM));
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFSIGNALED(st));
	EXPECT_EQ(WTERMSIG(st), SIGTERM);
	EXPECT_ERRNO(kill(-pid, SIGTERM), ESRCH);
	EXPECT_ERRNO(kill(pid, SIGTERM), ESRCH);
	EXPECT_ERRNO(kill(getpid(), 65), EINVAL);
}

TEST(pidfd_polls_and_signals_and_waits)
{
	struct pollfd p;
	siginfo_t si;
	pid_t pid = (pid_t)EXPECT_SYS(fork());

	if (pid == 0) {
		for (;;)
			pause();
	}
	int pfd = (int)EXPECT_SYS(syscall(SYS_pidfd_open, pid, 0));
	EXPECT_EQ(fcntl(pfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	p.fd = pfd;
	p.events = POLLIN;
	EXPECT_EQ(poll(&p, 1, 0), 0);
	EXPECT_SYS(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0));
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	memset(&si, 0, sizeof(si));
	EXPECT_SYS(waitid((idtype_t)3 /* P_PIDFD */, (id_t)pfd, &si, WEXITED));
	EXPECT_EQ(si.si_pid, pid);
	EXPECT_EQ(si.si_code, CLD_KILLED);
	EXPECT_EQ(si.si_status, SIGTERM);
	EXPECT_ERRNO(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0), ESRCH);
	EXPECT_ERRNO(syscall(SYS_pidfd_send_signal, pfd, SIGTERM, NULL, 0x100), EINVAL);
	close(pfd);
	EXPECT_ERRNO(syscall(SYS_pidfd_open, pid, 0), ESRCH);
	EXPECT_ERRNO(syscall(SYS_pidfd_open, 0, 0), EINVAL);
}

static pthread_mutex_t robust_mutex;

static void *lock_and_die(void *arg)
{
	pthread_mutex_lock(&robust_mutex);
	return NULL; /* exits holding it */
}

TEST(a_robust_mutex_of_a_dead_thread_reports_owner_died)
{
	pthread_mutexattr_t a;
	pthread_t th;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	EXPECT_EQ(pthread_mutex_init(&robust_mutex, &a), 0);
	EXPECT_EQ(pthread_create(&th, NULL, lock_and_die, NULL), 0);
	EXPECT_EQ(pthread_join(th, NULL), 0);
	EXPECT_EQ(pthread_mutex_lock(&robust_mutex), EOWNERDEAD);
	EXPECT_EQ(pthread_mutex_consistent(&robust_mutex), 0);
	EXPECT_EQ(pthread_mutex_unlock(&robust_mutex), 0);
	pthread_mutex_destroy(&robust_mutex);
}

TEST(a_shared_futex_wakes_across_processes)
{
	uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int st;

	if (!EXPECT_NE(word, MAP_FAILED))
		return;
	*word = 0;
	pid_t pid = (pid_t)EXPECT_SYS(fork());
	if (pid == 0) {
		usleep(50000);
		__atomic_store_n(word, 1, __ATOMIC_SEQ_CST);
		syscall(SYS_futex, word, FUTEX_WAKE, 1, NULL, NULL, 0); /* shared: no PRIVATE */
		_exit(0);
	}
	struct timespec ts = {10, 0};
	while (__atomic_load_n(word, __ATOMIC_SEQ_CST) == 0) {
		long r = syscall(SYS_futex, word, FUTEX_WAIT, 0, &ts, NULL, 0);
		if (!EXPECT_TRUE(r == 0 || errno == EAGAIN || errno == EINTR))
			break;
	}
	EXPECT_EQ(*word, 1);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	munmap(word, 4096);
}
