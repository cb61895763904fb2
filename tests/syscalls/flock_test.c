/* flock(2): shared and exclusive whole-file locks owned by the open file
 * description, LOCK_NB, conversion, release at the last close. */
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "harness.h"

/* Child: flock(fresh fd, op); 0 = got it, 1 = EWOULDBLOCK, 2 = other. */
static int child_try(const char *path, int op)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(2);
		if (flock(fd, op | LOCK_NB) == 0)
			_exit(0);
		_exit(errno == EWOULDBLOCK ? 1 : 2);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

TEST(exclusive_excludes_and_shared_shares)
{
	if (!MAKE_FILE("f", "x"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(flock(fd, LOCK_EX));
	EXPECT_EQ(child_try("f", LOCK_SH), 1);
	EXPECT_EQ(child_try("f", LOCK_EX), 1);
	EXPECT_SYS(flock(fd, LOCK_SH)); /* convert down */
	EXPECT_EQ(child_try("f", LOCK_SH), 0);
	EXPECT_EQ(child_try("f", LOCK_EX), 1);
	EXPECT_SYS(flock(fd, LOCK_UN));
	EXPECT_EQ(child_try("f", LOCK_EX), 0);
	EXPECT_SYS(flock(fd, LOCK_UN)); /* unlocking nothing is fine */
	close(fd);
}

TEST(two_descriptions_in_one_process_conflict)
{
	if (!MAKE_FILE("f", "x"))
		return;
	int a = EXPECT_SYS(open("f", O_RDONLY));
	int b = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(flock(a, LOCK_EX));
	EXPECT_ERRNO(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_ERRNO(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	/* A dup shares the description and so the lock. */
	int d = EXPECT_SYS(dup(a));
	EXPECT_SYS(flock(d, LOCK_EX | LOCK_NB));
	close(a);
	EXPECT_ERRNO(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK); /* d still holds it */
	close(d);
	EXPECT_SYS(flock(b, LOCK_EX | LOCK_NB)); /* last close released it */
	close(b);
}

TEST(upgrade_with_nb_fails_while_others_share)
{
	if (!MAKE_FILE("f", "x"))
		return;
	int a = EXPECT_SYS(open("f", O_RDONLY));
	int b = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(flock(a, LOCK_SH));
	EXPECT_SYS(flock(b, LOCK_SH));
	EXPECT_ERRNO(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	EXPECT_SYS(flock(b, LOCK_UN));
	EXPECT_SYS(flock(a, LOCK_EX | LOCK_NB));
	EXPECT_ERRNO(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	close(a);
	close(b);
}

TEST(lock_is_shared_with_a_forked_child)
{
	if (!MAKE_FILE("f", "x"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(flock(fd, LOCK_EX));
	pid_t pid = fork();
	if (pid == 0) {
		/* Same description: already ours; unlocking drops it for both. */
		_exit(flock(fd, LOCK_EX | LOCK_NB) == 0 && flock(fd, LOCK_UN) == 0 ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	EXPECT_EQ(WEXITSTATUS(st), 0);
	EXPECT_EQ(child_try("f", LOCK_EX), 0);
	close(fd);
}

TEST(blocking_lock_waits_for_the_holder)
{
	if (!MAKE_FILE("f", "x"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(flock(fd, LOCK_EX));
	pid_t pid = fork();
	if (pid == 0) {
		close(fd); /* the inherited fd shares our locked description */
		int cfd = open("f", O_RDONLY);
		_exit(flock(cfd, LOCK_EX) == 0 ? 0 : 1);
	}
	usleep(100000);
	int st;
	EXPECT_EQ(waitpid(pid, &st, WNOHANG), 0); /* still waiting */
	close(fd);
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(WEXITSTATUS(st), 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(blocking_lock_is_interrupted_by_a_signal)
{
	if (!MAKE_FILE("f", "x"))
		return;
	int a = EXPECT_SYS(open("f", O_RDONLY));
	int b = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(flock(a, LOCK_EX));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {.tv_usec = 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_ERRNO(flock(b, LOCK_SH), EINTR);
	signal(SIGALRM, SIG_DFL);
	close(a);
	close(b);
}

TEST(bad_operations)
{
	if (!MAKE_FILE("f", "x"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_ERRNO(flock(fd, 0), EINVAL);
	EXPECT_ERRNO(flock(fd, LOCK_SH | LOCK_EX), EINVAL);
	EXPECT_ERRNO(flock(fd, LOCK_NB), EINVAL);
	EXPECT_ERRNO(flock(-1, LOCK_SH), EBADF);
	close(fd);
	EXPECT_ERRNO(flock(fd, LOCK_SH), EBADF);
	int p = EXPECT_SYS(open("f", O_PATH));
	EXPECT_ERRNO(flock(p, LOCK_SH), EBADF);
	close(p);
}

TEST(flock_and_fcntl_locks_are_independent)
{
	if (!MAKE_FILE("f", "x"))
		return;
	int a = EXPECT_SYS(open("f", O_RDWR));
	int b = EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(flock(a, LOCK_EX));
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	EXPECT_SYS(fcntl(b, F_OFD_SETLK, &fl));
	close(a);
	close(b);
}
