/*
 * Orphaned process groups: terminal stop signals are discarded in them, and
 * a group orphaned by an exit while a member is stopped gets SIGHUP and
 * SIGCONT. Each test runs in a fresh session so that the reaper of orphaned
 * children (init or a subreaper outside) never links the group to it.
 */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>

#include "harness.h"

/* Run fn in a child that is the leader of a new session; its exit status. */
static int in_new_session(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		if (setsid() < 0)
			_exit(90);
		_exit(fn());
	}
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st);
}

static int stop_signals_discarded(void)
{
	/* A session leader's group is orphaned: its parent is in another session. */
	if (raise(SIGTSTP) || raise(SIGTTIN) || raise(SIGTTOU))
		return 1;
	/* Blocked then unblocked: discarded at delivery as well. */
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGTSTP);
	sigprocmask(SIG_BLOCK, &set, &old);
	raise(SIGTSTP);
	sigset_t pend;
	sigpending(&pend);
	if (!sigismember(&pend, SIGTSTP))
		return 2;
	sigprocmask(SIG_SETMASK, &old, NULL);
	sigpending(&pend);
	if (sigismember(&pend, SIGTSTP))
		return 3;
	return 0;
}

TEST(tstp_ttin_ttou_are_discarded_in_an_orphaned_group)
{
	EXPECT_EQ(in_new_session(stop_signals_discarded), 0);
}

static int sigstop_still_stops(void)
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		raise(SIGSTOP);
		_exit(7);
	}
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGSTOP)
		return 1;
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 7)
		return 2;
	return 0;
}

TEST(sigstop_stops_in_an_orphaned_group)
{
	EXPECT_EQ(in_new_session(sigstop_still_stops), 0);
}

static int tstp_stops_when_not_orphaned(void)
{
	int st;
	pid_t pid = fork();

	/* The child's group is the session leader's: its parent, in the same
	 * group, does not count, but the leader's group is orphaned... so the
	 * child gets its own group, linked through us (other group, same
	 * session). */
	if (pid == 0) {
		setpgid(0, 0);
		raise(SIGTSTP);
		_exit(8);
	}
	setpgid(pid, pid);
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st) || WSTOPSIG(st) != SIGTSTP)
		return 1;
	kill(pid, SIGCONT);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 8)
		return 2;
	return 0;
}

TEST(tstp_stops_a_group_that_is_not_orphaned)
{
	EXPECT_EQ(in_new_session(tstp_stops_when_not_orphaned), 0);
}

static int report_fd = -1;

static void on_hup(int sig)
{
	(void)sig;
	(void)!write(report_fd, "H", 1);
}

static void on_cont(int sig)
{
	(void)sig;
	(void)!write(report_fd, "C", 1);
}

/*
 * Session leader S forks C, which makes its own group and forks G into it;
 * G stops. When C exits, the group {G} loses its link (C, in the group,
 * had S, in another group of the session, as parent) and has a stopped
 * member: G gets SIGHUP then SIGCONT and reports both through a pipe.
 */
static int hup_cont_on_orphaning(void)
{
	int p[2], st;
	char buf[8];

	if (pipe(p))
		return 1;
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		pid_t g = fork();
		if (g == 0) {
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			report_fd = p[1];
			sa.sa_handler = on_hup;
			sigaction(SIGHUP, &sa, NULL);
			sa.sa_handler = on_cont;
			sigaction(SIGCONT, &sa, NULL);
			close(p[0]);
			raise(SIGSTOP);
			_exit(0);
		}
		if (waitpid(g, &st, WUNTRACED) != g || !WIFSTOPPED(st))
			_exit(1);
		_exit(0); /* orphans G's group */
	}
	close(p[1]);
	if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return 2;
	size_t n = 0;
	struct pollfd pfd = {p[0], POLLIN, 0};
	while (n < sizeof(buf) && poll(&pfd, 1, 5000) == 1) {
		ssize_t r = read(p[0], buf + n, sizeof(buf) - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (n != 2)
		return 3;
	if (!memchr(buf, 'H', n) || !memchr(buf, 'C', n))
		return 4;
	return 0;
}

TEST(orphaning_a_group_with_a_stopped_member_sends_sighup_and_sigcont)
{
	EXPECT_EQ(in_new_session(hup_cont_on_orphaning), 0);
}

static int no_hup_without_stopped_member(void)
{
	int p[2], st;
	char b;

	if (pipe(p))
		return 1;
	pid_t c = fork();
	if (c == 0) {
		setpgid(0, 0);
		pid_t g = fork();
		if (g == 0) {
			struct sigaction sa;
			memset(&sa, 0, sizeof(sa));
			report_fd = p[1];
			sa.sa_handler = on_hup;
			sigaction(SIGHUP, &sa, NULL);
			/* Wait for C to exit (its end of the pipe closes), then
			 * a little for any signal, and report a quiet end. */
			close(p[0]);
			while (getppid() == c)
				usleep(5000);
			usleep(100000);
			(void)!write(p[1], "Q", 1);
			_exit(0);
		}
		_exit(0);
	}
	close(p[1]);
	if (waitpid(c, &st, 0) != c)
		return 2;
	struct pollfd pfd = {p[0], POLLIN, 0};
	if (poll(&pfd, 1, 5000) != 1 || read(p[0], &b, 1) != 1)
		return 3;
	return b == 'Q' ? 0 : 4;
}

TEST(orphaning_a_group_without_stopped_members_sends_nothing)
{
	EXPECT_EQ(in_new_session(no_hup_without_stopped_member), 0);
}

TEST(setpgid_checks_session_group_and_exec)
{
	int st, p[2];
	char b;

	/* A group that does not exist cannot be joined. */
	pid_t c = fork();
	if (c == 0) {
		pause();
		_exit(0);
	}
	EXPECT_ERRNO(setpgid(c, 0x3ffffff0), EPERM);
	EXPECT_SYS(setpgid(c, c));
	EXPECT_EQ(getpgid(c), c);
	EXPECT_SYS(setpgid(c, getpgid(0)));
	kill(c, SIGKILL);
	waitpid(c, &st, 0);

	/* A child in another session. */
	EXPECT_SYS(pipe(p));
	c = fork();
	if (c == 0) {
		setsid();
		(void)!write(p[1], "s", 1);
		pause();
		_exit(0);
	}
	EXPECT_EQ(read(p[0], &b, 1), 1);
	EXPECT_ERRNO(setpgid(c, c), EPERM);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);

	/* A child that has exec'd. */
	c = fork();
	if (c == 0) {
		close(p[0]);
		fcntl(p[1], F_SETFD, FD_CLOEXEC);
		execl("/bin/sleep", "sleep", "5", (char *)NULL);
		_exit(1);
	}
	close(p[1]);
	EXPECT_EQ(read(p[0], &b, 1), 0); /* the close-on-exec end closed */
	EXPECT_ERRNO(setpgid(c, c), EACCES);
	kill(c, SIGKILL);
	waitpid(c, &st, 0);
	close(p[0]);
}

static void *idle_thread(void *arg)
{
	(void)arg;
	pause();
	return NULL;
}

TEST(setpgid_of_a_non_leader_thread_is_einval)
{
	pthread_t th;
	int tid = 0;

	/* A child with a second thread reports that thread's id (found with
	 * tgkill signal 0, without /proc). */
	int p[2];
	EXPECT_SYS(pipe(p));
	pid_t c = fork();
	if (c == 0) {
		pthread_create(&th, NULL, idle_thread, NULL);
		usleep(20000);
		int found = 0;
		for (int id = getpid() + 1; id < getpid() + 50 && !found; id++)
			if (syscall(SYS_tgkill, getpid(), id, 0) == 0)
				found = id;
		(void)!write(p[1], &found, sizeof(found));
		pause();
		_exit(0);
	}
	EXPECT_EQ(read(p[0], &tid, sizeof(tid)), (ssize_t)sizeof(tid));
	EXPECT_GT(tid, 0);
	EXPECT_ERRNO(setpgid(tid, 0), EINVAL);
	EXPECT_ERRNO(setpgid(0x3ffffff0, 0), ESRCH);
	kill(c, SIGKILL);
	int st;
	waitpid(c, &st, 0);
	close(p[0]);
	close(p[1]);
}
