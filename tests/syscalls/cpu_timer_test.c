/*
 * CPU-time timers: setitimer ITIMER_VIRTUAL / ITIMER_PROF, timer_create on
 * CLOCK_PROCESS_CPUTIME_ID / CLOCK_THREAD_CPUTIME_ID and on a
 * clock_getcpuclockid clock, clock_nanosleep on a process CPU clock.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

static volatile sig_atomic_t hits;
static volatile int64_t cpu_at_signal;

static int64_t cpu_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void on_sig(int sig)
{
	(void)sig;
	if (!hits)
		cpu_at_signal = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	hits++;
}

static void handle(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sig;
	sa.sa_flags = SA_RESTART;
	sigaction(sig, &sa, NULL);
	hits = 0;
	cpu_at_signal = 0;
}

/* Burn CPU until `want` signals came or wall-clock ms passed. */
static void spin_until(int want, int ms)
{
	int64_t end = cpu_ns(CLOCK_MONOTONIC) + (int64_t)ms * 1000000;
	volatile uint64_t x = 0;

	while (hits < want && cpu_ns(CLOCK_MONOTONIC) < end)
		for (int i = 0; i < 10000; i++)
			x += (uint64_t)i;
}

TEST(itimer_virtual_fires_after_user_cpu_time)
{
	struct itimerval it = {{0, 0}, {0, 50000}}, cur;

	handle(SIGVTALRM);
	int64_t start = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	EXPECT_SYS(setitimer(ITIMER_VIRTUAL, &it, NULL));
	spin_until(1, 10000);
	EXPECT_EQ(hits, 1);
	/* Linux samples user time at ticks: allow it to be early. */
	EXPECT_GE(cpu_at_signal - start, 25000000);
	EXPECT_SYS(getitimer(ITIMER_VIRTUAL, &cur));
	EXPECT_EQ(cur.it_value.tv_sec, 0);
	EXPECT_EQ(cur.it_value.tv_usec, 0);
	signal(SIGVTALRM, SIG_DFL);
}

TEST(itimer_prof_reloads_its_interval)
{
	struct itimerval it = {{0, 20000}, {0, 20000}}, off = {{0, 0}, {0, 0}}, old;

	handle(SIGPROF);
	EXPECT_SYS(setitimer(ITIMER_PROF, &it, NULL));
	spin_until(3, 10000);
	EXPECT_SYS(setitimer(ITIMER_PROF, &off, &old));
	EXPECT_GE(hits, 3);
	EXPECT_EQ(old.it_interval.tv_sec, 0);
	EXPECT_EQ(old.it_interval.tv_usec, 20000);
	EXPECT_LE(old.it_value.tv_usec, 20000);
	signal(SIGPROF, SIG_DFL);
}

TEST(itimer_virtual_does_not_run_while_sleeping)
{
	struct itimerval it = {{1, 0}, {0, 300000}}, cur, off = {{0, 0}, {0, 0}};

	handle(SIGVTALRM);
	EXPECT_SYS(setitimer(ITIMER_VIRTUAL, &it, NULL));
	usleep(400000);
	EXPECT_EQ(hits, 0);
	EXPECT_SYS(getitimer(ITIMER_VIRTUAL, &cur));
	EXPECT_EQ(cur.it_interval.tv_sec, 1);
	EXPECT_EQ(cur.it_interval.tv_usec, 0);
	EXPECT_EQ(cur.it_value.tv_sec, 0);
	EXPECT_GT(cur.it_value.tv_usec, 200000);
	EXPECT_LE(cur.it_value.tv_usec, 311000); /* Linux adds a tick */
	EXPECT_SYS(setitimer(ITIMER_VIRTUAL, &off, NULL));
	signal(SIGVTALRM, SIG_DFL);
}

TEST(itimer_cpu_timers_are_not_inherited_by_fork)
{
	struct itimerval it = {{0, 0}, {5, 0}}, off = {{0, 0}, {0, 0}};
	int st;

	EXPECT_SYS(setitimer(ITIMER_PROF, &it, NULL));
	pid_t pid = fork();
	if (pid == 0) {
		struct itimerval c;
		getitimer(ITIMER_PROF, &c);
		_exit(c.it_value.tv_sec == 0 && c.it_value.tv_usec == 0 ? 0 : 1);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
	EXPECT_SYS(setitimer(ITIMER_PROF, &off, NULL));
}

TEST(setitimer_bad_which_is_einval)
{
	struct itimerval it = {{0, 0}, {0, 0}};
	EXPECT_ERRNO(setitimer(7, &it, NULL), EINVAL);
	EXPECT_ERRNO(getitimer(7, &it), EINVAL);
}

static void cpu_posix_timer(clockid_t c)
{
	struct sigevent ev;
	timer_t id;
	struct itimerspec its = {{0, 0}, {0, 30000000}}, cur;

	handle(SIGUSR1);
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGUSR1;
	if (!EXPECT_SYS(timer_create(c, &ev, &id)))
		return;
	int64_t start = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	EXPECT_SYS(timer_settime(id, 0, &its, NULL));
	EXPECT_SYS(timer_gettime(id, &cur));
	EXPECT_TRUE(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
		    cur.it_value.tv_nsec <= 30000000);
	spin_until(1, 10000);
	EXPECT_EQ(hits, 1);
	EXPECT_GE(cpu_at_signal - start, 30000000);
	EXPECT_SYS(timer_gettime(id, &cur));
	EXPECT_EQ(cur.it_value.tv_nsec, 0);
	EXPECT_SYS(timer_delete(id));
	signal(SIGUSR1, SIG_DFL);
}

TEST(timer_create_on_process_cpu_clock_fires)
{
	cpu_posix_timer(CLOCK_PROCESS_CPUTIME_ID);
}

TEST(timer_create_on_thread_cpu_clock_fires)
{
	cpu_posix_timer(CLOCK_THREAD_CPUTIME_ID);
}

TEST(timer_create_on_getcpuclockid_clock_fires)
{
	clockid_t c;

	EXPECT_EQ(clock_getcpuclockid(getpid(), &c), 0);
	cpu_posix_timer(c);
}

TEST(cpu_clock_of_another_process_reads_its_time)
{
	clockid_t c;
	struct timespec ts, res;
	int p[2], st;
	char b;

	EXPECT_SYS(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		int64_t end = cpu_ns(CLOCK_PROCESS_CPUTIME_ID) + 100000000;
		while (cpu_ns(CLOCK_PROCESS_CPUTIME_ID) < end)
			;
		(void)!write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	EXPECT_EQ(read(p[0], &b, 1), 1);
	EXPECT_EQ(clock_getcpuclockid(pid, &c), 0);
	EXPECT_SYS(clock_gettime(c, &ts));
	EXPECT_GE(ts.tv_sec * 1000000000LL + ts.tv_nsec, 100000000);
	EXPECT_SYS(clock_getres(c, &res));
	EXPECT_EQ(res.tv_sec, 0);
	EXPECT_EQ(res.tv_nsec, 1);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* A reaped process's clock names nothing. */
	EXPECT_ERRNO(clock_gettime(c, &ts), EINVAL);
	close(p[0]);
	close(p[1]);
}

static volatile int stop_spinning;

static void *spinner(void *arg)
{
	(void)arg;
	volatile uint64_t x = 0;
	while (!stop_spinning)
		x++;
	return NULL;
}

TEST(clock_nanosleep_on_process_cpu_clock_waits_for_cpu_time)
{
	pthread_t th;
	struct timespec req = {0, 50000000};

	stop_spinning = 0;
	EXPECT_EQ(pthread_create(&th, NULL, spinner, NULL), 0);
	int64_t start = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
	EXPECT_EQ(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &req, NULL), 0);
	EXPECT_GE(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) - start, 50000000);
	stop_spinning = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &req, NULL), EINVAL);
}

TEST(itimer_huge_values_saturate)
{
	struct itimerval it = {{0, 0}, {(time_t)1 << 50, 0}}, cur, off = {{0, 0}, {0, 0}};

	EXPECT_SYS(setitimer(ITIMER_PROF, &it, NULL));
	/* (Linux's getitimer then overflows: its value is not checked.) */
	EXPECT_SYS(getitimer(ITIMER_PROF, &cur));
	EXPECT_EQ(cur.it_interval.tv_sec, 0);
	EXPECT_SYS(setitimer(ITIMER_PROF, &off, NULL));
	EXPECT_SYS(setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_SYS(setitimer(ITIMER_REAL, &off, NULL));
}

/* The re-executed image of cpu_time_survives_exec reports its CPU time. */
__attribute__((constructor)) static void exec_check(void)
{
	if (!getenv("CPU_TIMER_TEST_EXEC"))
		return;
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	int64_t ru_ns = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
			(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
	/* getrusage is tick-sampled on Linux: allow it some slack. */
	_exit(cpu_ns(CLOCK_PROCESS_CPUTIME_ID) >= 100000000 && ru_ns >= 80000000 ? 0 : 1);
}

TEST(cpu_time_survives_exec)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		int64_t end = cpu_ns(CLOCK_PROCESS_CPUTIME_ID) + 120000000;
		while (cpu_ns(CLOCK_PROCESS_CPUTIME_ID) < end)
			;
		setenv("CPU_TIMER_TEST_EXEC", "1", 1);
		execl("/proc/self/exe", "cpu_timer_test", (char *)NULL);
		_exit(2);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
}

/* Each thread's CLOCK_THREAD_CPUTIME_ID counts its own CPU time only. */
static volatile int thread_clock_go;

static void *thread_clock_spinner(void *arg)
{
	int64_t *out = arg;
	int64_t end;

	while (!thread_clock_go)
		usleep(1000);
	end = cpu_ns(CLOCK_THREAD_CPUTIME_ID) + 200000000;
	while (cpu_ns(CLOCK_THREAD_CPUTIME_ID) < end)
		;
	*out = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static void *thread_clock_sleeper(void *arg)
{
	int64_t *out = arg;

	while (!thread_clock_go)
		usleep(1000);
	usleep(300000);
	*out = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

TEST(thread_cpu_clock_is_per_thread)
{
	pthread_t a, b;
	int64_t spun = 0, slept = 0;

	thread_clock_go = 0;
	EXPECT_EQ(pthread_create(&a, NULL, thread_clock_spinner, &spun), 0);
	EXPECT_EQ(pthread_create(&b, NULL, thread_clock_sleeper, &slept), 0);
	thread_clock_go = 1;
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	EXPECT_GE(spun, 200000000);
	EXPECT_GT(slept, 0);
	EXPECT_LT(slept, spun / 4);
	/* pthread_getcpuclockid of the calling thread names the same clock. */
	clockid_t self;
	EXPECT_EQ(pthread_getcpuclockid(pthread_self(), &self), 0);
	int64_t t1 = cpu_ns(CLOCK_THREAD_CPUTIME_ID), t2 = cpu_ns(self);
	EXPECT_GE(t2, t1);
	EXPECT_LT(t2 - t1, 100000000);
}
