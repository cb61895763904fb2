/* Interrupted syscalls: EINTR without SA_RESTART, transparent restart with it. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

static volatile sig_atomic_t hits;

static void on_usr1(int sig)
{
	hits++;
}

static void install(int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sa.sa_flags = flags;
	sigaction(SIGUSR1, &sa, NULL);
}

/* A child that signals the parent after a delay, then (optionally) writes. */
static pid_t poke_later(int wfd, int usec)
{
	pid_t parent = getpid();
	pid_t pid = fork();

	if (pid == 0) {
		usleep((useconds_t)usec);
		kill(parent, SIGUSR1);
		if (wfd >= 0) {
			usleep(50000);
			(void)!write(wfd, "z", 1);
		}
		_exit(0);
	}
	return pid;
}

TEST(read_without_sa_restart_fails_with_eintr)
{
	int p[2], st;
	char c;

	install(0);
	hits = 0;
	EXPECT_SYS(pipe(p));
	pid_t pid = poke_later(-1, 50000);
	EXPECT_ERRNO(read(p[0], &c, 1), EINTR);
	EXPECT_EQ(hits, 1);
	waitpid(pid, &st, 0);
	close(p[0]);
	close(p[1]);
	signal(SIGUSR1, SIG_DFL);
}

TEST(read_with_sa_restart_goes_on)
{
	int p[2], st;
	char c = 0;

	install(SA_RESTART);
	hits = 0;
	EXPECT_SYS(pipe(p));
	pid_t pid = poke_later(p[1], 50000);
	EXPECT_EQ(read(p[0], &c, 1), 1); /* restarted after the handler */
	EXPECT_EQ(c, 'z');
	EXPECT_EQ(hits, 1);
	waitpid(pid, &st, 0);
	close(p[0]);
	close(p[1]);
	signal(SIGUSR1, SIG_DFL);
}

TEST(nanosleep_reports_the_time_left)
{
	struct timespec req = {5, 0}, rem = {0, 0};
	int st;

	install(SA_RESTART); /* nanosleep is never restarted by SA_RESTART */
	hits = 0;
	pid_t pid = poke_later(-1, 50000);
	EXPECT_ERRNO(nanosleep(&req, &rem), EINTR);
	EXPECT_EQ(hits, 1);
	EXPECT_TRUE(rem.tv_sec >= 3 && rem.tv_sec <= 5);
	waitpid(pid, &st, 0);
	signal(SIGUSR1, SIG_DFL);
}

TEST(poll_is_not_restarted)
{
	struct pollfd pfd;
	int p[2], st;

	install(SA_RESTART);
	hits = 0;
	EXPECT_SYS(pipe(p));
	pfd.fd = p[0];
	pfd.events = POLLIN;
	pid_t pid = poke_later(-1, 50000);
	EXPECT_ERRNO(poll(&pfd, 1, 5000), EINTR);
	EXPECT_EQ(hits, 1);
	waitpid(pid, &st, 0);
	close(p[0]);
	close(p[1]);
	signal(SIGUSR1, SIG_DFL);
}

TEST(wait_with_sa_restart_goes_on)
{
	int st = 0;

	install(SA_RESTART);
	hits = 0;
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		kill(parent, SIGUSR1);
		usleep(50000);
		_exit(6);
	}
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(WEXITSTATUS(st), 6);
	EXPECT_EQ(hits, 1);
	signal(SIGUSR1, SIG_DFL);
}
