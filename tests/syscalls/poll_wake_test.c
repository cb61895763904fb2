/*
 * poll, select, ppoll and epoll_wait are woken by the event they wait for:
 * another thread's write, another process's write, a timer's expiry, a
 * signal becoming pending, a nested epoll's item. Waiters have no timeout
 * (a poll that times out reports what is ready by then, which would hide a
 * lost wake-up): a lost wake-up hangs the test until ctest's timeout fails
 * it. Children stay alive until the parent's wait is over, so their exit
 * cannot stand in for the wake-up either. Also edge-triggered re-arming,
 * EPOLLEXCLUSIVE, and poll on an epoll descriptor; epoll items do not keep
 * their file open (the last close takes the file out of every epoll, as
 * Linux); pidfds wake poll and epoll when the process exits.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "harness.h"

#define FOREVER (-1) /* a waiter's timeout */

/* After a pause (so that the waiter is asleep), write 8 bytes to fd. */
struct later {
	int fd;
	int delay_ms;
};

static void *write_later(void *arg)
{
	struct later *l = arg;
	uint64_t v = 1;

	usleep((useconds_t)l->delay_ms * 1000);
	if (write(l->fd, &v, 8) != 8)
		perror("write_later");
	return NULL;
}

/*
 * Children stay alive until reaped_ok() lets them go, so that their exit
 * (which may interrupt the parent's wait) cannot stand in for the wake-up
 * under test. fork_child() returns as fork(); the child ends with
 * child_done().
 */
static int release_fd = -1;

static pid_t fork_child(void)
{
	int rel[2];

	if (pipe(rel) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(rel[1]);
		release_fd = rel[0];
		return 0;
	}
	close(rel[0]);
	release_fd = rel[1];
	return pid;
}

static __attribute__((noreturn)) void child_done(bool ok)
{
	char c;

	(void)!read(release_fd, &c, 1); /* until the parent closes its end */
	_exit(ok ? 0 : 1);
}

/* Fork a child that writes one byte to fd after delay_ms. */
static pid_t child_writes(int fd, int delay_ms)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		usleep((useconds_t)delay_ms * 1000);
		child_done(write(fd, "x", 1) == 1);
	}
	return pid;
}

static bool reaped_ok(pid_t pid)
{
	int st;

	if (release_fd >= 0) {
		close(release_fd);
		release_fd = -1;
	}
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

TEST(poll_pipe_woken_by_thread_write)
{
	int p[2];
	pthread_t th;

	EXPECT_SYS(pipe(p));
	struct later l = {p[1], 50};
	EXPECT_EQ(pthread_create(&th, NULL, write_later, &l), 0);
	struct pollfd pfd = {p[0], POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, FOREVER), 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	pthread_join(th, NULL);
	close(p[0]);
	close(p[1]);
}

TEST(poll_pipe_woken_by_other_process_write)
{
	int p[2];
	char c;

	EXPECT_SYS(pipe(p));
	pid_t pid = child_writes(p[1], 50);
	if (!EXPECT_TRUE(pid > 0))
		return;
	struct pollfd pfd = {p[0], POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, FOREVER), 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_TRUE(reaped_ok(pid));
	/* The child's copy of the write end is gone; ours goes now: HUP. */
	close(p[1]);
	EXPECT_EQ(poll(&pfd, 1, FOREVER), 1);
	EXPECT_EQ(pfd.revents, POLLHUP);
	close(p[0]);
}

TEST(poll_pipe_writer_woken_when_reader_drains)
{
	int p[2];
	char buf[4096];

	EXPECT_SYS(pipe2(p, O_NONBLOCK));
	while (write(p[1], buf, sizeof(buf)) > 0)
		;
	EXPECT_EQ(errno, EAGAIN);
	pid_t pid = fork_child();
	if (pid == 0) {
		usleep(50000);
		ssize_t got = 0;
		while (got < 65536) {
			ssize_t r = read(p[0], buf, sizeof(buf));
			if (r <= 0)
				child_done(false);
			got += r;
		}
		child_done(true);
	}
	struct pollfd pfd = {p[1], POLLOUT, 0};
	EXPECT_EQ(poll(&pfd, 1, FOREVER), 1);
	EXPECT_EQ(pfd.revents, POLLOUT);
	EXPECT_TRUE(reaped_ok(pid));
	close(p[0]);
	close(p[1]);
}

TEST(select_eventfd_woken_by_thread_write)
{
	int fd = (int)EXPECT_SYS(eventfd(0, 0));
	pthread_t th;
	fd_set r;

	struct later l = {fd, 50};
	EXPECT_EQ(pthread_create(&th, NULL, write_later, &l), 0);
	FD_ZERO(&r);
	FD_SET(fd, &r);
	EXPECT_EQ(select(fd + 1, &r, NULL, NULL, NULL), 1);
	EXPECT_TRUE(FD_ISSET(fd, &r));
	pthread_join(th, NULL);
	close(fd);
}

TEST(ppoll_timerfd_woken_by_expiry)
{
	int fd = (int)EXPECT_SYS(timerfd_create(CLOCK_MONOTONIC, 0));
	struct itimerspec its = {{0, 0}, {0, 50000000}};
	uint64_t n = 0;

	EXPECT_SYS(timerfd_settime(fd, 0, &its, NULL));
	struct pollfd pfd = {fd, POLLIN, 0};
	EXPECT_EQ(ppoll(&pfd, 1, NULL, NULL), 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_EQ(n, 1);
	/* A periodic timer wakes a blocking read and a poll again after the read. */
	its = (struct itimerspec){{0, 20000000}, {0, 20000000}};
	EXPECT_SYS(timerfd_settime(fd, 0, &its, NULL));
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_GE(n, 1);
	EXPECT_EQ(ppoll(&pfd, 1, NULL, NULL), 1);
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_GE(n, 1);
	close(fd);
}

TEST(epoll_timerfd_realtime_absolute)
{
	int fd = (int)EXPECT_SYS(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN, {.u64 = 7}}, out;
	struct timespec now;
	uint64_t n = 0;

	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	clock_gettime(CLOCK_REALTIME, &now);
	now.tv_nsec += 50000000;
	if (now.tv_nsec >= 1000000000) {
		now.tv_sec++;
		now.tv_nsec -= 1000000000;
	}
	struct itimerspec its = {{0, 0}, now};
	EXPECT_SYS(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	EXPECT_EQ(epoll_wait(ep, &out, 1, FOREVER), 1);
	EXPECT_EQ(out.data.u64, 7);
	EXPECT_EQ(read(fd, &n, 8), 8);
	EXPECT_EQ(n, 1);
	EXPECT_ERRNO(read(fd, &n, 8), EAGAIN);
	close(fd);
	close(ep);
}

struct sigwait_arg {
	int fd;
	int result;
	short revents;
};

static void *poll_signalfd(void *arg)
{
	struct sigwait_arg *a = arg;
	struct pollfd pfd = {a->fd, POLLIN, 0};

	a->result = poll(&pfd, 1, FOREVER);
	a->revents = pfd.revents;
	return NULL;
}

TEST(poll_signalfd_woken_by_kill)
{
	sigset_t set, old;
	struct signalfd_siginfo si;
	pthread_t th;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	EXPECT_SYS(sigprocmask(SIG_BLOCK, &set, &old));
	int fd = (int)EXPECT_SYS(signalfd(-1, &set, SFD_NONBLOCK));

	/* Another thread of this process polls; we send a process signal. */
	struct sigwait_arg a = {fd, -1, 0};
	EXPECT_EQ(pthread_create(&th, NULL, poll_signalfd, &a), 0);
	usleep(50000);
	EXPECT_SYS(kill(getpid(), SIGUSR1));
	pthread_join(th, NULL);
	EXPECT_EQ(a.result, 1);
	EXPECT_EQ(a.revents, POLLIN);
	EXPECT_EQ(read(fd, &si, sizeof(si)), (ssize_t)sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR1);

	/* Another process sends it while we sleep in poll ourselves. */
	pid_t parent = getpid();
	pid_t pid = fork_child();
	if (pid == 0) {
		usleep(50000);
		child_done(kill(parent, SIGUSR2) == 0);
	}
	struct pollfd pfd = {fd, POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, FOREVER), 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	EXPECT_EQ(read(fd, &si, sizeof(si)), (ssize_t)sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR2);
	EXPECT_TRUE(reaped_ok(pid));

	/* A blocking read is woken the same way. */
	close(fd);
	fd = (int)EXPECT_SYS(signalfd(-1, &set, 0));
	pid = fork_child();
	if (pid == 0) {
		usleep(50000);
		child_done(kill(parent, SIGUSR1) == 0);
	}
	EXPECT_EQ(read(fd, &si, sizeof(si)), (ssize_t)sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR1);
	EXPECT_TRUE(reaped_ok(pid));
	close(fd);
	EXPECT_SYS(sigprocmask(SIG_SETMASK, &old, NULL));
}

TEST(signalfd_mask_change_wakes_poller)
{
	sigset_t set, old, none;
	pthread_t th;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigemptyset(&none);
	EXPECT_SYS(sigprocmask(SIG_BLOCK, &set, &old));
	EXPECT_SYS(kill(getpid(), SIGUSR1));
	int fd = (int)EXPECT_SYS(signalfd(-1, &none, SFD_NONBLOCK));
	struct pollfd pfd = {fd, POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, 0), 0); /* SIGUSR1 pending, not in the mask */
	struct sigwait_arg a = {fd, -1, 0};
	EXPECT_EQ(pthread_create(&th, NULL, poll_signalfd, &a), 0);
	usleep(50000);
	EXPECT_EQ(signalfd(fd, &set, 0), fd);
	pthread_join(th, NULL);
	EXPECT_EQ(a.result, 1);
	EXPECT_EQ(a.revents, POLLIN);
	struct signalfd_siginfo si;
	EXPECT_EQ(read(fd, &si, sizeof(si)), (ssize_t)sizeof(si));
	close(fd);
	EXPECT_SYS(sigprocmask(SIG_SETMASK, &old, NULL));
}

TEST(epoll_signalfd_woken_by_other_process_kill)
{
	sigset_t set, old;
	struct signalfd_siginfo si;
	struct epoll_event ev = {EPOLLIN, {.u64 = 3}}, out;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	EXPECT_SYS(sigprocmask(SIG_BLOCK, &set, &old));
	int fd = (int)EXPECT_SYS(signalfd(-1, &set, SFD_NONBLOCK));
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	pid_t parent = getpid();
	pid_t pid = fork_child();
	if (pid == 0) {
		usleep(50000);
		child_done(kill(parent, SIGUSR1) == 0);
	}
	EXPECT_EQ(epoll_wait(ep, &out, 1, FOREVER), 1);
	EXPECT_EQ(out.data.u64, 3);
	EXPECT_EQ(read(fd, &si, sizeof(si)), (ssize_t)sizeof(si));
	EXPECT_EQ(si.ssi_signo, SIGUSR1);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	EXPECT_TRUE(reaped_ok(pid));
	close(ep);
	close(fd);
	EXPECT_SYS(sigprocmask(SIG_SETMASK, &old, NULL));
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1 = 1;
}

TEST(pselect_and_ppoll_temporary_mask_lets_signal_in)
{
	struct sigaction sa, oldsa;
	sigset_t block, old, empty;
	int p[2];

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	EXPECT_SYS(sigaction(SIGUSR1, &sa, &oldsa));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	EXPECT_SYS(sigprocmask(SIG_BLOCK, &block, &old));
	EXPECT_SYS(pipe(p));
	pid_t parent = getpid();
	for (int round = 0; round < 2; round++) {
		got_usr1 = 0;
		pid_t pid = fork_child();
		if (pid == 0) {
			usleep(50000);
			child_done(kill(parent, SIGUSR1) == 0);
		}
		if (round == 0) {
			fd_set r;
			FD_ZERO(&r);
			FD_SET(p[0], &r);
			EXPECT_ERRNO(pselect(p[0] + 1, &r, NULL, NULL, NULL, &empty), EINTR);
		} else {
			struct pollfd pfd = {p[0], POLLIN, 0};
			EXPECT_ERRNO(ppoll(&pfd, 1, NULL, &empty), EINTR);
		}
		EXPECT_EQ(got_usr1, 1); /* the handler ran before the call returned */
		sigset_t now;
		EXPECT_SYS(sigprocmask(SIG_BLOCK, NULL, &now));
		EXPECT_TRUE(sigismember(&now, SIGUSR1)); /* the old mask is back */
		EXPECT_TRUE(reaped_ok(pid));
	}
	close(p[0]);
	close(p[1]);
	EXPECT_SYS(sigprocmask(SIG_SETMASK, &old, NULL));
	EXPECT_SYS(sigaction(SIGUSR1, &oldsa, NULL));
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(poll_and_epoll_interrupted_by_signal)
{
	struct sigaction sa, oldsa;
	struct itimerval it = {{0, 0}, {0, 50000}};
	int p[2];
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN, {0}}, out;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART */
	EXPECT_SYS(sigaction(SIGALRM, &sa, &oldsa));
	EXPECT_SYS(pipe(p));
	struct pollfd pfd = {p[0], POLLIN, 0};
	EXPECT_SYS(setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ERRNO(poll(&pfd, 1, FOREVER), EINTR);
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	EXPECT_SYS(setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_ERRNO(epoll_wait(ep, &out, 1, FOREVER), EINTR);
	EXPECT_SYS(sigaction(SIGALRM, &oldsa, NULL));
	close(p[0]);
	close(p[1]);
	close(ep);
}

TEST(epoll_wait_woken_by_other_process_write)
{
	int p[2], ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN, {.u64 = 42}}, out;

	EXPECT_SYS(pipe(p));
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	pid_t pid = child_writes(p[1], 50);
	if (!EXPECT_TRUE(pid > 0))
		return;
	EXPECT_EQ(epoll_wait(ep, &out, 1, FOREVER), 1);
	EXPECT_EQ(out.events, EPOLLIN);
	EXPECT_EQ(out.data.u64, 42);
	EXPECT_TRUE(reaped_ok(pid));
	close(p[0]);
	close(p[1]);
	close(ep);
}

TEST(nested_epoll_woken_and_reported)
{
	int fd = (int)EXPECT_SYS(eventfd(0, EFD_NONBLOCK));
	int inner = (int)EXPECT_SYS(epoll_create1(0));
	int outer = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN, {.u64 = 1}}, out;
	pthread_t th;
	uint64_t v;

	EXPECT_SYS(epoll_ctl(inner, EPOLL_CTL_ADD, fd, &ev));
	ev.data.u64 = 2;
	EXPECT_SYS(epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev));
	EXPECT_ERRNO(epoll_ctl(inner, EPOLL_CTL_ADD, outer, &ev), ELOOP);
	EXPECT_EQ(epoll_wait(outer, &out, 1, 0), 0);
	struct later l = {fd, 50};
	EXPECT_EQ(pthread_create(&th, NULL, write_later, &l), 0);
	EXPECT_EQ(epoll_wait(outer, &out, 1, FOREVER), 1);
	EXPECT_EQ(out.data.u64, 2);
	EXPECT_EQ(out.events, EPOLLIN);
	pthread_join(th, NULL);
	EXPECT_EQ(epoll_wait(inner, &out, 1, 0), 1);
	EXPECT_EQ(out.data.u64, 1);
	EXPECT_EQ(read(fd, &v, 8), 8);
	EXPECT_EQ(epoll_wait(outer, &out, 1, 0), 0);
	close(outer);
	close(inner);
	close(fd);
}

TEST(poll_on_epoll_fd)
{
	int p[2], ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN, {0}};
	char c;

	EXPECT_SYS(pipe(p));
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	struct pollfd pfd = {ep, POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, 0), 0);
	pid_t pid = child_writes(p[1], 50);
	if (!EXPECT_TRUE(pid > 0))
		return;
	EXPECT_EQ(poll(&pfd, 1, FOREVER), 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	EXPECT_TRUE(reaped_ok(pid));
	EXPECT_EQ(read(p[0], &c, 1), 1);
	EXPECT_EQ(poll(&pfd, 1, 0), 0); /* drained: the epoll is not readable */
	close(p[0]);
	close(p[1]);
	close(ep);
}

TEST(epoll_edge_triggered_rearms_on_each_write)
{
	int p[2], ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN | EPOLLET, {.u64 = 5}}, out;
	pthread_t th;
	char buf[16];

	EXPECT_SYS(pipe(p));
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	EXPECT_EQ(write(p[1], "a", 1), 1);
	EXPECT_EQ(epoll_wait(ep, &out, 1, FOREVER), 1);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0); /* no new edge */
	/* A new write is a new edge, though the pipe was not drained. */
	EXPECT_EQ(write(p[1], "b", 1), 1);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 1);
	EXPECT_EQ(out.data.u64, 5);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	/* A waiter in epoll_wait is woken by the next edge. */
	struct later l = {p[1], 50};
	EXPECT_EQ(pthread_create(&th, NULL, write_later, &l), 0);
	EXPECT_EQ(epoll_wait(ep, &out, 1, FOREVER), 1);
	EXPECT_EQ(out.events, EPOLLIN);
	pthread_join(th, NULL);
	EXPECT_EQ(read(p[0], buf, sizeof(buf)), 10);
	/* Reading is no edge for EPOLLIN. */
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	/* EPOLLOUT|EPOLLET on the write end: a read that makes room is one. */
	ev.events = EPOLLOUT | EPOLLET;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 1);
	EXPECT_EQ(out.events, EPOLLOUT);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	close(p[0]);
	close(p[1]);
	close(ep);
}

struct excl_arg {
	int ep;
	int result;
};

static void *excl_wait(void *arg)
{
	struct excl_arg *a = arg;
	struct epoll_event out;

	a->result = epoll_wait(a->ep, &out, 1, 1500);
	return NULL;
}

TEST(epoll_exclusive_wakes_one_epoll)
{
	int fd = (int)EXPECT_SYS(eventfd(0, EFD_NONBLOCK));
	struct epoll_event ev = {EPOLLIN | EPOLLEXCLUSIVE, {0}};
	struct excl_arg a[2];
	pthread_t th[2];
	uint64_t v = 1;

	for (int i = 0; i < 2; i++) {
		a[i].ep = (int)EXPECT_SYS(epoll_create1(0));
		a[i].result = -1;
		EXPECT_SYS(epoll_ctl(a[i].ep, EPOLL_CTL_ADD, fd, &ev));
	}
	EXPECT_ERRNO(epoll_ctl(a[0].ep, EPOLL_CTL_MOD, fd, &ev), EINVAL);
	ev.events = EPOLLIN;
	EXPECT_ERRNO(epoll_ctl(a[0].ep, EPOLL_CTL_MOD, fd, &ev), EINVAL);
	/* Only IN, OUT, ERR, HUP, ET and WAKEUP go with EPOLLEXCLUSIVE. */
	int other = (int)EXPECT_SYS(eventfd(0, 0));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	EXPECT_ERRNO(epoll_ctl(a[0].ep, EPOLL_CTL_ADD, other, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDNORM;
	EXPECT_ERRNO(epoll_ctl(a[0].ep, EPOLL_CTL_ADD, other, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLRDHUP;
	EXPECT_ERRNO(epoll_ctl(a[0].ep, EPOLL_CTL_ADD, other, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLET;
	EXPECT_SYS(epoll_ctl(a[0].ep, EPOLL_CTL_ADD, other, &ev));
	EXPECT_SYS(epoll_ctl(a[0].ep, EPOLL_CTL_DEL, other, NULL));
	close(other);
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(pthread_create(&th[i], NULL, excl_wait, &a[i]), 0);
	usleep(300000); /* both asleep in epoll_wait */
	EXPECT_EQ(write(fd, &v, 8), 8);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	/* One epoll was woken and reports the event; the other was not. */
	EXPECT_EQ(a[0].result + a[1].result, 1);
	EXPECT_TRUE(a[0].result >= 0 && a[1].result >= 0);
	for (int i = 0; i < 2; i++)
		close(a[i].ep);
	close(fd);
}

TEST(epoll_oneshot_woken_once_until_mod)
{
	int fd = (int)EXPECT_SYS(eventfd(0, EFD_NONBLOCK));
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN | EPOLLONESHOT, {.u64 = 9}}, out;
	pthread_t th;
	uint64_t v = 1;

	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	struct later l = {fd, 50};
	EXPECT_EQ(pthread_create(&th, NULL, write_later, &l), 0);
	EXPECT_EQ(epoll_wait(ep, &out, 1, FOREVER), 1);
	pthread_join(th, NULL);
	EXPECT_EQ(write(fd, &v, 8), 8);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 50), 0); /* disabled */
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 1);
	EXPECT_EQ(out.data.u64, 9);
	close(fd);
	close(ep);
}

TEST(epoll_del_and_close_while_watched)
{
	int p[2], ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN, {0}}, out;

	EXPECT_SYS(pipe(p));
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	EXPECT_EQ(write(p[1], "x", 1), 1);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 1);
	/* Closing the epoll with items still hung on the pipe. */
	close(ep);
	EXPECT_EQ(write(p[1], "y", 1), 1);
	close(p[0]);
	close(p[1]);
}

static void *close_later(void *arg)
{
	struct later *l = arg;

	usleep((useconds_t)l->delay_ms * 1000);
	close(l->fd);
	return NULL;
}

TEST(epoll_watched_pipe_write_end_closed_reader_sees_hup)
{
	int p[2], epr = (int)EXPECT_SYS(epoll_create1(0));
	int epw = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN, {.u64 = 1}}, out;
	pthread_t th;
	char c;

	EXPECT_SYS(pipe(p));
	EXPECT_SYS(epoll_ctl(epr, EPOLL_CTL_ADD, p[0], &ev));
	/* The write end is watched by an epoll: that must not keep it open. */
	ev.events = EPOLLOUT;
	ev.data.u64 = 2;
	EXPECT_SYS(epoll_ctl(epw, EPOLL_CTL_ADD, p[1], &ev));
	EXPECT_EQ(epoll_wait(epw, &out, 1, 0), 1);
	EXPECT_EQ(epoll_wait(epr, &out, 1, 0), 0);
	struct later l = {p[1], 50};
	EXPECT_EQ(pthread_create(&th, NULL, close_later, &l), 0);
	EXPECT_EQ(epoll_wait(epr, &out, 1, FOREVER), 1);
	EXPECT_EQ(out.events, EPOLLHUP);
	EXPECT_EQ(out.data.u64, 1);
	pthread_join(th, NULL);
	EXPECT_EQ(read(p[0], &c, 1), 0); /* EOF */
	EXPECT_EQ(epoll_wait(epw, &out, 1, 0), 0); /* its item went with it */
	/* Data then close: readable and hung up. */
	int q[2];
	EXPECT_SYS(pipe(q));
	ev.events = EPOLLOUT;
	EXPECT_SYS(epoll_ctl(epw, EPOLL_CTL_ADD, q[1], &ev));
	ev.events = EPOLLIN;
	ev.data.u64 = 3;
	EXPECT_SYS(epoll_ctl(epr, EPOLL_CTL_ADD, q[0], &ev));
	EXPECT_EQ(write(q[1], "z", 1), 1);
	close(q[1]);
	struct epoll_event outs[4];
	EXPECT_EQ(epoll_wait(epr, outs, 4, FOREVER), 2);
	for (int i = 0; i < 2; i++) {
		if (outs[i].data.u64 == 3)
			EXPECT_EQ(outs[i].events, EPOLLIN | EPOLLHUP);
		else
			EXPECT_EQ(outs[i].data.u64, 1);
	}
	EXPECT_EQ(read(q[0], &c, 1), 1);
	EXPECT_EQ(read(q[0], &c, 1), 0);
	EXPECT_EQ(epoll_wait(epw, &out, 1, 0), 0);
	close(q[0]);
	close(p[0]);
	close(epr);
	close(epw);
}

TEST(epoll_close_only_fd_removes_item)
{
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	int fd = (int)EXPECT_SYS(eventfd(1, EFD_NONBLOCK));
	struct epoll_event ev = {EPOLLIN, {.u64 = 21}}, out;

	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 1);
	EXPECT_EQ(out.data.u64, 21);
	close(fd);
	/* The readable eventfd is gone from the interest list. */
	EXPECT_EQ(epoll_wait(ep, &out, 1, 20), 0);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), EBADF);
	/* A new file at the same descriptor number is a new item. */
	int nfd = (int)EXPECT_SYS(eventfd(1, EFD_NONBLOCK));
	if (nfd != fd) {
		EXPECT_EQ(dup2(nfd, fd), fd);
		close(nfd);
	}
	ev.data.u64 = 22;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 1);
	EXPECT_EQ(out.data.u64, 22);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), EEXIST);
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	close(fd);
	close(ep);
}

TEST(epoll_item_survives_close_of_one_dup)
{
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	int fd = (int)EXPECT_SYS(eventfd(0, EFD_NONBLOCK));
	struct epoll_event ev = {EPOLLIN, {.u64 = 31}}, out;
	pthread_t th;

	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	int d = (int)EXPECT_SYS(dup(fd));
	close(fd);
	/* The description lives on through d: the item too, with its data. */
	struct later l = {d, 50};
	EXPECT_EQ(pthread_create(&th, NULL, write_later, &l), 0);
	EXPECT_EQ(epoll_wait(ep, &out, 1, FOREVER), 1);
	EXPECT_EQ(out.events, EPOLLIN);
	EXPECT_EQ(out.data.u64, 31);
	pthread_join(th, NULL);
	/* The item is (old fd number, file): d is not it, fd is closed. */
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, d, NULL), ENOENT);
	EXPECT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL), EBADF);
	/* A child's copy keeps it too. */
	pid_t pid = fork_child();
	if (pid == 0)
		child_done(true);
	close(d);
	EXPECT_TRUE(reaped_ok(pid));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 20), 0); /* all gone now */
	close(ep);
}

TEST(epoll_nested_inner_or_outer_closed)
{
	int fd = (int)EXPECT_SYS(eventfd(1, EFD_NONBLOCK));
	int inner = (int)EXPECT_SYS(epoll_create1(0));
	int outer = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN, {.u64 = 1}}, out;

	EXPECT_SYS(epoll_ctl(inner, EPOLL_CTL_ADD, fd, &ev));
	ev.data.u64 = 2;
	EXPECT_SYS(epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev));
	EXPECT_EQ(epoll_wait(outer, &out, 1, 0), 1);
	EXPECT_EQ(out.data.u64, 2);
	/* The inner epoll closed: gone from the outer one. */
	close(inner);
	EXPECT_EQ(epoll_wait(outer, &out, 1, 20), 0);
	/* The outer one closed first: the inner one still works. */
	inner = (int)EXPECT_SYS(epoll_create1(0));
	ev.data.u64 = 1;
	EXPECT_SYS(epoll_ctl(inner, EPOLL_CTL_ADD, fd, &ev));
	ev.data.u64 = 2;
	EXPECT_SYS(epoll_ctl(outer, EPOLL_CTL_ADD, inner, &ev));
	close(outer);
	EXPECT_EQ(epoll_wait(inner, &out, 1, 0), 1);
	EXPECT_EQ(out.data.u64, 1);
	close(fd);
	EXPECT_EQ(epoll_wait(inner, &out, 1, 0), 0);
	close(inner);
}

struct churn_arg {
	int ep;
	volatile int stop;
	int errors;
};

static void *churn_wait(void *arg)
{
	struct churn_arg *a = arg;
	struct epoll_event out[8];

	while (!a->stop)
		if (epoll_wait(a->ep, out, 8, 1) < 0)
			a->errors++;
	return NULL;
}

/* Files closed while another thread scans the epoll, and epolls closed
 * while they watch each other: nothing may be lost or used after free. */
TEST(epoll_close_races_with_wait)
{
	struct churn_arg a = {(int)EXPECT_SYS(epoll_create1(0)), 0, 0};
	struct epoll_event ev = {EPOLLIN | EPOLLOUT, {0}}, out;
	pthread_t th;

	EXPECT_EQ(pthread_create(&th, NULL, churn_wait, &a), 0);
	for (int i = 0; i < 300; i++) {
		int fd = (int)EXPECT_SYS(eventfd(0, EFD_NONBLOCK));
		int sub = (int)EXPECT_SYS(epoll_create1(0));
		EXPECT_SYS(epoll_ctl(a.ep, EPOLL_CTL_ADD, fd, &ev));
		EXPECT_SYS(epoll_ctl(sub, EPOLL_CTL_ADD, fd, &ev));
		ev.events = EPOLLIN;
		EXPECT_SYS(epoll_ctl(a.ep, EPOLL_CTL_ADD, sub, &ev));
		ev.events = EPOLLIN | EPOLLOUT;
		if (i & 1) {
			close(fd);
			close(sub);
		} else {
			close(sub);
			close(fd);
		}
	}
	a.stop = 1;
	pthread_join(th, NULL);
	EXPECT_EQ(a.errors, 0);
	EXPECT_EQ(epoll_wait(a.ep, &out, 1, 0), 0); /* every item went */
	close(a.ep);
}

static int sys_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* A child that exits when released; *pidfd refers to it. */
static pid_t child_with_pidfd(int *pidfd)
{
	pid_t pid = fork_child();

	if (pid == 0)
		child_done(true);
	*pidfd = pid > 0 ? sys_pidfd_open(pid) : -1;
	return pid;
}

TEST(pidfd_poll_and_epoll_woken_by_exit)
{
	int pidfd, st;
	pthread_t th;

	/* poll */
	pid_t pid = child_with_pidfd(&pidfd);
	if (!EXPECT_TRUE(pid > 0 && pidfd >= 0))
		return;
	struct pollfd pfd = {pidfd, POLLIN, 0};
	EXPECT_EQ(poll(&pfd, 1, 0), 0);
	struct later l = {release_fd, 50}; /* the child exits when this is written */
	EXPECT_EQ(pthread_create(&th, NULL, write_later, &l), 0);
	EXPECT_EQ(poll(&pfd, 1, FOREVER), 1);
	EXPECT_EQ(pfd.revents, POLLIN);
	pthread_join(th, NULL);
	EXPECT_TRUE(reaped_ok(pid));
	EXPECT_EQ(poll(&pfd, 1, 0), 1); /* reaped: still readable */
	close(pidfd);

	/* epoll, with the process's second pidfd closed first */
	int ep = (int)EXPECT_SYS(epoll_create1(0));
	struct epoll_event ev = {EPOLLIN, {.u64 = 77}}, out;
	pid = child_with_pidfd(&pidfd);
	if (!EXPECT_TRUE(pid > 0 && pidfd >= 0))
		return;
	int other = sys_pidfd_open(pid);
	EXPECT_TRUE(other >= 0);
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, pidfd, &ev));
	close(other);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	l.fd = release_fd;
	EXPECT_EQ(pthread_create(&th, NULL, write_later, &l), 0);
	EXPECT_EQ(epoll_wait(ep, &out, 1, FOREVER), 1);
	EXPECT_EQ(out.events, EPOLLIN);
	EXPECT_EQ(out.data.u64, 77);
	pthread_join(th, NULL);
	/* Not reaped yet: a zombie is what a pidfd reports. */
	EXPECT_EQ(waitpid(pid, &st, WNOHANG), pid);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(release_fd);
	release_fd = -1;
	close(pidfd);
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	close(ep);
}
