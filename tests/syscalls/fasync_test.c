/* Signal-driven I/O: FIOASYNC / O_ASYNC, F_SETOWN(_EX), F_SETSIG, FIOSETOWN. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

/* Wait up to 2 s for sig (blocked by the caller); its siginfo in *si. */
static int wait_sig(int sig, siginfo_t *si)
{
	sigset_t set;
	struct timespec ts = {2, 0};
	sigemptyset(&set);
	sigaddset(&set, sig);
	return sigtimedwait(&set, si, &ts);
}

static void block(int sig)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

TEST(fioasync_sends_sigio_to_the_owner)
{
	int sv[2];
	siginfo_t si;
	int on = 1;
	if (!EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)))
		return;
	block(SIGIO);
	EXPECT_SYS(fcntl(sv[0], F_SETOWN, getpid()));
	EXPECT_EQ(fcntl(sv[0], F_GETOWN), getpid());
	EXPECT_SYS(ioctl(sv[0], FIOASYNC, &on));
	EXPECT_TRUE(fcntl(sv[0], F_GETFL) & O_ASYNC);
	EXPECT_EQ(write(sv[1], "x", 1), 1);
	EXPECT_EQ(wait_sig(SIGIO, &si), SIGIO);
	/* Off again: no more signals. */
	on = 0;
	EXPECT_SYS(ioctl(sv[0], FIOASYNC, &on));
	EXPECT_EQ(fcntl(sv[0], F_GETFL) & O_ASYNC, 0);
	EXPECT_EQ(write(sv[1], "y", 1), 1);
	struct timespec ts = {0, 200 * 1000 * 1000};
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGIO);
	EXPECT_ERRNO(sigtimedwait(&set, &si, &ts), EAGAIN);
	EXPECT_ERRNO(ioctl(sv[0], FIOASYNC, (int *)8), EFAULT);
	close(sv[0]);
	close(sv[1]);
}

TEST(f_setsig_gives_poll_in_band_and_fd)
{
	int p[2];
	siginfo_t si;
	int sig = SIGRTMIN + 1;
	if (!EXPECT_SYS(pipe(p)))
		return;
	block(sig);
	EXPECT_SYS(fcntl(p[0], F_SETOWN, getpid()));
	EXPECT_SYS(fcntl(p[0], F_SETSIG, sig));
	EXPECT_EQ(fcntl(p[0], F_GETSIG), sig);
	EXPECT_SYS(fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC));
	EXPECT_EQ(write(p[1], "abc", 3), 3);
	if (EXPECT_EQ(wait_sig(sig, &si), sig)) {
		EXPECT_EQ(si.si_code, POLL_IN);
		EXPECT_EQ(si.si_fd, p[0]);
		EXPECT_TRUE(si.si_band & POLLIN);
	}
	close(p[0]);
	close(p[1]);
}

TEST(owner_ex_and_process_groups)
{
	int sv[2];
	struct f_owner_ex ex = {F_OWNER_PGRP, getpgrp()}, got;
	if (!EXPECT_SYS(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv)))
		return;
	EXPECT_EQ(fcntl(sv[0], F_GETOWN), 0);
	EXPECT_SYS(fcntl(sv[0], F_SETOWN_EX, &ex));
	EXPECT_SYS(fcntl(sv[0], F_GETOWN_EX, &got));
	EXPECT_EQ(got.type, F_OWNER_PGRP);
	EXPECT_EQ(got.pid, getpgrp());
	EXPECT_EQ(fcntl(sv[0], F_GETOWN), -getpgrp());
	ex = (struct f_owner_ex){F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
	EXPECT_SYS(fcntl(sv[0], F_SETOWN_EX, &ex));
	EXPECT_SYS(fcntl(sv[0], F_GETOWN_EX, &got));
	EXPECT_EQ(got.type, F_OWNER_TID);
	EXPECT_EQ(fcntl(sv[0], F_GETOWN), (int)syscall(SYS_gettid));
	ex.type = 7;
	EXPECT_ERRNO(fcntl(sv[0], F_SETOWN_EX, &ex), EINVAL);
	EXPECT_ERRNO(fcntl(sv[0], F_SETOWN_EX, (void *)8), EFAULT);
	/* Nobody has this id. */
	EXPECT_ERRNO(fcntl(sv[0], F_SETOWN, 4000000), ESRCH);
	EXPECT_ERRNO(fcntl(sv[0], F_SETSIG, 100000), EINVAL);
	/* FIOSETOWN / SIOCGPGRP are F_SETOWN / F_GETOWN. */
	int who = getpid(), back = 0;
	EXPECT_SYS(ioctl(sv[0], FIOSETOWN, &who));
	EXPECT_SYS(ioctl(sv[0], SIOCGPGRP, &back));
	EXPECT_EQ(back, getpid());
	EXPECT_SYS(fcntl(sv[0], F_SETOWN, 0));
	EXPECT_EQ(fcntl(sv[0], F_GETOWN), 0);
	close(sv[0]);
	close(sv[1]);
}

/* The owner set, then O_ASYNC: a child's write signals the parent. */
TEST(sigio_across_processes)
{
	int sv[2];
	siginfo_t si;
	if (!EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv)))
		return;
	block(SIGIO);
	EXPECT_SYS(fcntl(sv[0], F_SETOWN, getpid()));
	EXPECT_SYS(fcntl(sv[0], F_SETFL, O_ASYNC | O_NONBLOCK));
	pid_t c = fork();
	if (c == 0) {
		usleep(50000);
		_exit(write(sv[1], "z", 1) == 1 ? 0 : 1);
	}
	EXPECT_EQ(wait_sig(SIGIO, &si), SIGIO);
	int st;
	waitpid(c, &st, 0);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(sv[0]);
	close(sv[1]);
}
