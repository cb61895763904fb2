/*
 * restart_syscall and ERESTART_RESTARTBLOCK: sleeps and timed futex waits
 * interrupted by a signal fail with EINTR when a handler runs (even with
 * SA_RESTART), and resume with the time left when the process was only
 * stopped and continued.
 */
#include <linux/futex.h>
#include <signal.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

static volatile sig_atomic_t hits;

static void on_alrm(int sig)
{
	(void)sig;
	hits++;
}

/* SIGALRM with a handler (flags), fired once after ms. */
static void alarm_in(int ms, int flags)
{
	struct sigaction sa;
	struct itimerval it = {{0, 0}, {0, ms * 1000}};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alrm;
	sa.sa_flags = flags;
	sigaction(SIGALRM, &sa, NULL);
	hits = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void alarm_reset(void)
{
	struct itimerval it = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &it, NULL);
	signal(SIGALRM, SIG_DFL);
}

static int64_t now_ms(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long futex_wait_ts(uint32_t *addr, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, ts, NULL, 0);
}

TEST(restart_syscall_with_nothing_to_restart_fails_with_eintr)
{
	EXPECT_ERRNO(syscall(SYS_restart_syscall), EINTR);
}

TEST(nanosleep_with_handler_fails_with_eintr_and_writes_rem)
{
	struct timespec req = {2, 0}, rem = {-1, -1};

	alarm_in(50, SA_RESTART);
	EXPECT_ERRNO(nanosleep(&req, &rem), EINTR);
	EXPECT_EQ(hits, 1);
	EXPECT_TRUE(rem.tv_sec == 1 || rem.tv_sec == 0);
	EXPECT_TRUE(rem.tv_sec * 1000 + rem.tv_nsec / 1000000 > 1500);
	alarm_reset();
}

TEST(clock_nanosleep_relative_with_handler_writes_rem)
{
	struct timespec req = {1, 0}, rem = {-1, -1};

	alarm_in(50, 0);
	EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &req, &rem), EINTR);
	EXPECT_TRUE(rem.tv_sec == 0 && rem.tv_nsec > 500000000);
	alarm_reset();
}

TEST(clock_nanosleep_abstime_with_sa_restart_handler_fails_with_eintr)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += 2;
	alarm_in(50, SA_RESTART);
	EXPECT_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL), EINTR);
	EXPECT_EQ(hits, 1);
	alarm_reset();
}

TEST(futex_wait_timeout_with_sa_restart_handler_fails_with_eintr)
{
	uint32_t word = 7;
	struct timespec ts = {2, 0};

	alarm_in(50, SA_RESTART);
	int64_t t0 = now_ms(CLOCK_MONOTONIC);
	EXPECT_ERRNO(futex_wait_ts(&word, 7, &ts), EINTR);
	EXPECT_TRUE(now_ms(CLOCK_MONOTONIC) - t0 < 1500);
	EXPECT_EQ(hits, 1);
	alarm_reset();
}

/*
 * Runs fn in a child, stops and continues the child while fn sleeps (no
 * handler: the sleep resumes), and returns the child's exit status.
 */
static int stop_cont_child(int (*fn)(void))
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	usleep(100000);
	kill(pid, SIGSTOP);
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
		return -2;
	usleep(50000);
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, 0) != pid)
		return -3;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static int sleep_400ms(void)
{
	struct timespec req = {0, 400000000};
	int64_t t0 = now_ms(CLOCK_MONOTONIC);
	if (nanosleep(&req, NULL) != 0)
		return 1;
	return now_ms(CLOCK_MONOTONIC) - t0 >= 399 ? 0 : 2;
}

static int abs_sleep_400ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	int64_t t0 = now_ms(CLOCK_MONOTONIC);
	ts.tv_nsec += 400000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0)
		return 1;
	return now_ms(CLOCK_MONOTONIC) - t0 >= 399 ? 0 : 2;
}

static int futex_400ms(void)
{
	uint32_t word = 3;
	struct timespec ts = {0, 400000000};
	int64_t t0 = now_ms(CLOCK_MONOTONIC);
	if (futex_wait_ts(&word, 3, &ts) != -1 || errno != ETIMEDOUT)
		return 1;
	return now_ms(CLOCK_MONOTONIC) - t0 >= 399 ? 0 : 2;
}

TEST(nanosleep_resumes_after_stop_and_continue)
{
	EXPECT_EQ(stop_cont_child(sleep_400ms), 0);
}

TEST(clock_nanosleep_abstime_resumes_after_stop_and_continue)
{
	EXPECT_EQ(stop_cont_child(abs_sleep_400ms), 0);
}

TEST(futex_wait_timeout_resumes_after_stop_and_continue)
{
	EXPECT_EQ(stop_cont_child(futex_400ms), 0);
}

static void on_cont(int sig)
{
	(void)sig;
	hits++;
}

static int sleep_with_cont_handler(void)
{
	struct sigaction sa;
	struct timespec req = {2, 0}, rem = {0, 0};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_cont;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGCONT, &sa, NULL);
	hits = 0;
	if (nanosleep(&req, &rem) != -1 || errno != EINTR)
		return 1;
	if (hits != 1)
		return 2;
	return rem.tv_sec >= 1 ? 0 : 3;
}

TEST(nanosleep_with_sigcont_handler_fails_with_eintr_after_continue)
{
	EXPECT_EQ(stop_cont_child(sleep_with_cont_handler), 0);
}
