/* timerfd expirations and signalfd records. */
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include "harness.h"

TEST(timerfd_counts_expirations)
{
	struct itimerspec its = {{0, 10 * 1000 * 1000}, {0, 10 * 1000 * 1000}}, cur;
	uint64_t n = 0;
	int fd = (int)EXPECT_SYS(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC));

	EXPECT_SYS(timerfd_settime(fd, 0, &its, NULL));
	EXPECT_SYS(timerfd_gettime(fd, &cur));
	EXPECT_EQ(cur.it_interval.tv_nsec, 10 * 1000 * 1000);
	EXPECT_EQ(read(fd, &n, 8), 8); /* blocks until the first expiration */
	EXPECT_TRUE(n >= 1);
	usleep(35 * 1000);
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_TRUE(n >= 2);
	memset(&its, 0, sizeof(its));
	EXPECT_SYS(timerfd_settime(fd, 0, &its, NULL));
	EXPECT_SYS(fcntl(fd, F_SETFL, O_NONBLOCK));
	EXPECT_ERRNO(read(fd, &n, 8), EAGAIN);
	EXPECT_ERRNO(read(fd, &n, 4), EINVAL);
	close(fd);
}

TEST(timerfd_absolute_and_poll)
{
	struct itimerspec its;
	struct pollfd p;
	uint64_t n;
	int fd = (int)EXPECT_SYS(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));

	memset(&its, 0, sizeof(its));
	EXPECT_SYS(clock_gettime(CLOCK_REALTIME, &its.it_value));
	its.it_value.tv_nsec += 20 * 1000 * 1000;
	if (its.it_value.tv_nsec >= 1000000000) {
		its.it_value.tv_sec++;
		its.it_value.tv_nsec -= 1000000000;
	}
	EXPECT_SYS(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	p.fd = fd;
	p.events = POLLIN;
	EXPECT_EQ(poll(&p, 1, 0), 0);
	EXPECT_EQ(poll(&p, 1, 2000), 1);
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_EQ(n, 1);
	close(fd);
	EXPECT_ERRNO(timerfd_create(12345, 0), EINVAL);
	EXPECT_ERRNO(timerfd_create(CLOCK_MONOTONIC, 0x4321), EINVAL);
	its.it_value.tv_nsec = 1000000000;
	fd = (int)EXPECT_SYS(timerfd_create(CLOCK_MONOTONIC, 0));
	EXPECT_ERRNO(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	close(fd);
}

TEST(signalfd_reads_blocked_signals)
{
	struct signalfd_siginfo si;
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	EXPECT_SYS(sigprocmask(SIG_BLOCK, &set, NULL));
	fd = (int)EXPECT_SYS(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
	EXPECT_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	EXPECT_SYS(kill(getpid(), SIGUSR1));
	EXPECT_EQ(read(fd, &si, sizeof(si)), (ssize_t)sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR1);
	EXPECT_EQ(si.ssi_pid, (uint32_t)getpid());
	EXPECT_EQ(si.ssi_code, SI_USER);
	EXPECT_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	EXPECT_ERRNO(read(fd, &si, 8), EINVAL);
	close(fd);
	EXPECT_SYS(sigprocmask(SIG_UNBLOCK, &set, NULL));
	EXPECT_ERRNO(signalfd(-1, &set, 0x4321), EINVAL);
}
