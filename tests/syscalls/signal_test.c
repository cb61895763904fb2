/* Waiting for signals, timers that raise them, and CPU accounting. */
#include <signal.h>
#include <sys/select.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "harness.h"

static volatile sig_atomic_t alarms;

static void on_alarm(int sig)
{
	alarms++;
}

TEST(alarm_interrupts_pause)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	EXPECT_SYS(sigaction(SIGALRM, &sa, NULL));
	alarms = 0;
	EXPECT_EQ(alarm(1), 0);
	EXPECT_EQ(alarm(1), 1); /* the remaining time, rounded */
	EXPECT_ERRNO(pause(), EINTR);
	EXPECT_EQ(alarms, 1);
	EXPECT_EQ(alarm(0), 0);
	signal(SIGALRM, SIG_DFL);
}

TEST(setitimer_repeats_and_getitimer_counts_down)
{
	struct sigaction sa;
	struct itimerval it = {{0, 20000}, {0, 20000}}, cur;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	EXPECT_SYS(sigaction(SIGALRM, &sa, NULL));
	alarms = 0;
	EXPECT_SYS(setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_SYS(getitimer(ITIMER_REAL, &cur));
	EXPECT_TRUE(cur.it_value.tv_sec == 0 && cur.it_value.tv_usec <= 20000);
	EXPECT_EQ(cur.it_interval.tv_usec, 20000);
	sigemptyset(&none);
	while (alarms < 3)
		sigsuspend(&none);
	memset(&it, 0, sizeof(it));
	EXPECT_SYS(setitimer(ITIMER_REAL, &it, &cur));
	EXPECT_EQ(cur.it_interval.tv_usec, 20000);
	EXPECT_ERRNO(setitimer(ITIMER_REAL + 99, &it, NULL), EINVAL);
	it.it_value.tv_usec = 1000000;
	EXPECT_ERRNO(setitimer(ITIMER_REAL, &it, NULL), EINVAL);
	signal(SIGALRM, SIG_DFL);
}

TEST(sigsuspend_restores_the_mask_after_the_handler)
{
	struct sigaction sa;
	sigset_t block, none, now;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	EXPECT_SYS(sigaction(SIGUSR2, &sa, NULL));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR2);
	EXPECT_SYS(sigprocmask(SIG_BLOCK, &block, NULL));
	EXPECT_SYS(kill(getpid(), SIGUSR2)); /* pending while blocked */
	alarms = 0;
	sigemptyset(&none);
	EXPECT_ERRNO(sigsuspend(&none), EINTR);
	EXPECT_EQ(alarms, 1);
	EXPECT_SYS(sigprocmask(SIG_SETMASK, NULL, &now));
	EXPECT_TRUE(sigismember(&now, SIGUSR2));
	EXPECT_SYS(sigprocmask(SIG_UNBLOCK, &block, NULL));
	signal(SIGUSR2, SIG_DFL);
}

TEST(sigtimedwait_takes_a_pending_signal)
{
	sigset_t set, pend;
	siginfo_t si;
	struct timespec ts = {0, 10 * 1000 * 1000};

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	EXPECT_SYS(sigprocmask(SIG_BLOCK, &set, NULL));
	EXPECT_ERRNO(sigtimedwait(&set, &si, &ts), EAGAIN);
	EXPECT_SYS(kill(getpid(), SIGUSR1));
	EXPECT_SYS(sigpending(&pend));
	EXPECT_TRUE(sigismember(&pend, SIGUSR1));
	memset(&si, 0, sizeof(si));
	EXPECT_EQ(sigtimedwait(&set, &si, &ts), SIGUSR1);
	EXPECT_EQ(si.si_signo, SIGUSR1);
	EXPECT_EQ(si.si_code, SI_USER);
	EXPECT_EQ(si.si_pid, getpid());
	EXPECT_SYS(sigpending(&pend));
	EXPECT_TRUE(!sigismember(&pend, SIGUSR1));
	ts.tv_nsec = -1;
	EXPECT_ERRNO(sigtimedwait(&set, &si, &ts), EINVAL);
	EXPECT_SYS(sigprocmask(SIG_UNBLOCK, &set, NULL));
}

TEST(cpu_time_is_accounted)
{
	struct rusage ru;
	struct tms tm;
	struct timespec a, b;
	volatile unsigned long x = 0;

	EXPECT_SYS(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &a));
	for (unsigned long i = 0; i < 100000000UL; i++)
		x += i;
	EXPECT_SYS(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &b));
	EXPECT_TRUE(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec > a.tv_nsec));
	EXPECT_SYS(getrusage(RUSAGE_SELF, &ru));
	EXPECT_TRUE(ru.ru_utime.tv_sec > 0 || ru.ru_utime.tv_usec > 10000);
	EXPECT_TRUE(times(&tm) != (clock_t)-1);
	EXPECT_TRUE(tm.tms_utime > 0);
	EXPECT_ERRNO(getrusage(42, &ru), EINVAL);
}

TEST(pselect_lets_in_a_blocked_signal_and_restores_the_mask)
{
	struct sigaction sa;
	sigset_t block, none, now;
	struct timespec ts = {5, 0};

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	EXPECT_SYS(sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	EXPECT_SYS(sigprocmask(SIG_BLOCK, &block, NULL));
	EXPECT_SYS(kill(getpid(), SIGUSR1)); /* pending, blocked */
	alarms = 0;
	sigemptyset(&none);
	EXPECT_ERRNO(pselect(0, NULL, NULL, NULL, &ts, &none), EINTR);
	EXPECT_EQ(alarms, 1);
	EXPECT_SYS(sigprocmask(SIG_SETMASK, NULL, &now));
	EXPECT_TRUE(sigismember(&now, SIGUSR1));
	EXPECT_SYS(sigprocmask(SIG_UNBLOCK, &block, NULL));
	signal(SIGUSR1, SIG_DFL);
}

static volatile int timer_val, timer_code;

static void on_timer(int sig, siginfo_t *si, void *uc)
{
	timer_val = si->si_value.sival_int;
	timer_code = si->si_code;
	alarms++;
}

TEST(posix_timers_signal_with_their_value)
{
	struct sigaction sa;
	struct sigevent ev;
	struct itimerspec its = {{0, 0}, {0, 20 * 1000 * 1000}}, cur;
	timer_t tm, quiet;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_timer;
	sa.sa_flags = SA_SIGINFO;
	EXPECT_SYS(sigaction(SIGRTMIN, &sa, NULL));
	memset(&ev, 0, sizeof(ev));
	ev.sigev_notify = SIGEV_SIGNAL;
	ev.sigev_signo = SIGRTMIN;
	ev.sigev_value.sival_int = 4242;
	EXPECT_SYS(timer_create(CLOCK_MONOTONIC, &ev, &tm));
	alarms = 0;
	EXPECT_SYS(timer_settime(tm, 0, &its, NULL));
	sigemptyset(&none);
	while (alarms == 0)
		sigsuspend(&none);
	EXPECT_EQ(timer_val, 4242);
	EXPECT_EQ(timer_code, SI_TIMER);
	EXPECT_SYS(timer_gettime(tm, &cur));
	EXPECT_EQ(cur.it_value.tv_sec, 0);
	EXPECT_EQ(cur.it_value.tv_nsec, 0); /* one-shot, expired */
	EXPECT_SYS(timer_delete(tm));
	EXPECT_ERRNO(timer_delete(tm), EINVAL);

	ev.sigev_notify = SIGEV_NONE;
	EXPECT_SYS(timer_create(CLOCK_REALTIME, &ev, &quiet));
	its.it_value.tv_sec = 100;
	EXPECT_SYS(timer_settime(quiet, 0, &its, NULL));
	EXPECT_SYS(timer_gettime(quiet, &cur));
	EXPECT_TRUE(cur.it_value.tv_sec >= 98 && cur.it_value.tv_sec <= 100);
	EXPECT_EQ(timer_getoverrun(quiet), 0);
	EXPECT_SYS(timer_delete(quiet));
	EXPECT_ERRNO(timer_create((clockid_t)12345, &ev, &quiet), EINVAL);
	signal(SIGRTMIN, SIG_DFL);
}
