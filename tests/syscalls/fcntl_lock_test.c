/* fcntl record locks: POSIX (per process) and OFD (per open file
 * description) locks, ranges, conflicts between processes, EDEADLK, signals. */
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

static int setlk(int fd, int cmd, short type, short whence, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = whence, .l_start = start, .l_len = len};
	return fcntl(fd, cmd, &fl);
}

/* F_GETLK for a write lock over [start, start+len) from this process:
 * fills *out, returns 0/-1. */
static int getlk(int fd, int cmd, short type, off_t start, off_t len, struct flock *out)
{
	memset(out, 0, sizeof(*out));
	out->l_type = type;
	out->l_whence = SEEK_SET;
	out->l_start = start;
	out->l_len = len;
	return fcntl(fd, cmd, out);
}

/* Run fn in a child; return its exit status (0..255) or -1. */
static int in_child(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

struct probe {
	const char *path;
	short type;
	off_t start, len;
};

/* Child: try F_SETLK on a fresh fd; 0 = got it, 1 = EAGAIN/EACCES, 2 = other. */
static int try_lock(void *arg)
{
	struct probe *p = arg;
	int fd = open(p->path, O_RDWR);

	if (fd < 0)
		return 2;
	if (setlk(fd, F_SETLK, p->type, SEEK_SET, p->start, p->len) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? 1 : 2;
}

/* Child: F_GETLK, report l_type (0 RD, 1 WR, 2 UN) + 10 * (l_pid == parent). */
static int get_lock(void *arg)
{
	struct probe *p = arg;
	struct flock fl;
	int fd = open(p->path, O_RDWR);

	if (fd < 0 || getlk(fd, F_GETLK, p->type, p->start, p->len, &fl) != 0)
		return 99;
	return fl.l_type + (fl.l_pid == getppid() ? 10 : 0);
}

TEST(write_lock_conflicts_with_other_process)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 5));
	struct probe p = {"f", F_WRLCK, 0, 1};
	EXPECT_EQ(in_child(try_lock, &p), 1);
	p.type = F_RDLCK;
	EXPECT_EQ(in_child(try_lock, &p), 1);
	p.start = 5; /* past the lock */
	p.type = F_WRLCK;
	EXPECT_EQ(in_child(try_lock, &p), 0);
	p.start = 4;
	EXPECT_EQ(in_child(get_lock, &p), F_WRLCK + 10);
	/* Our own locks never conflict with us. */
	struct flock fl;
	EXPECT_SYS(getlk(fd, F_GETLK, F_WRLCK, 0, 0, &fl));
	EXPECT_EQ(fl.l_type, F_UNLCK);
	close(fd);
	p.start = 0;
	EXPECT_EQ(in_child(try_lock, &p), 0); /* close released it */
}

TEST(read_locks_share)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 0, 0));
	struct probe p = {"f", F_RDLCK, 100, 10};
	EXPECT_EQ(in_child(try_lock, &p), 0);
	p.type = F_WRLCK;
	EXPECT_EQ(in_child(try_lock, &p), 1); /* l_len 0: to EOF and beyond */
	EXPECT_EQ(in_child(get_lock, &p), F_RDLCK + 10);
	close(fd);
}

TEST(getlk_reports_the_conflicting_range)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 20));
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		int cfd = open("f", O_RDWR);
		struct flock fl;
		int bad = 0;
		if (getlk(cfd, F_GETLK, F_RDLCK, 0, 0, &fl) != 0)
			_exit(90);
		bad |= fl.l_type != F_WRLCK;
		bad |= (fl.l_whence != SEEK_SET) << 1;
		bad |= (fl.l_start != 10) << 2;
		bad |= (fl.l_len != 20) << 3;
		bad |= (fl.l_pid != parent) << 4;
		/* Nothing below 10: F_UNLCK, the rest untouched. */
		if (getlk(cfd, F_GETLK, F_WRLCK, 0, 10, &fl) != 0)
			_exit(91);
		bad |= (fl.l_type != F_UNLCK) << 5;
		bad |= (fl.l_start != 0 || fl.l_len != 10) << 6;
		_exit(bad);
	}
	int st;
	waitpid(pid, &st, 0);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	close(fd);
}

/* Child: describe the parent's locks by probing F_GETLK from offset 0:
 * writes "type start len;" items into the pipe. */
static int describe(void *arg)
{
	const char *path = ((const char **)arg)[0];
	int wfd = (int)(intptr_t)((const char **)arg)[1];
	int fd = open(path, O_RDWR);
	char out[512];
	size_t n = 0;
	off_t pos = 0;

	if (fd < 0)
		return 2;
	for (int i = 0; i < 20; i++) {
		struct flock fl;
		if (getlk(fd, F_GETLK, F_WRLCK, pos, 0, &fl) != 0)
			return 3;
		if (fl.l_type == F_UNLCK)
			break;
		n += (size_t)snprintf(out + n, sizeof(out) - n, "%c%lld+%lld;",
				      fl.l_type == F_RDLCK ? 'R' : 'W', (long long)fl.l_start,
				      (long long)fl.l_len);
		if (fl.l_len == 0)
			break;
		pos = fl.l_start + fl.l_len;
	}
	if (write(wfd, out, n) != (ssize_t)n)
		return 4;
	return 0;
}

static bool locks_are(const char *path, const char *want)
{
	int p[2];
	char buf[512];

	if (pipe(p) != 0)
		return FAIL("pipe");
	const char *arg[2] = {path, (const char *)(intptr_t)p[1]};
	int r = in_child(describe, arg);
	close(p[1]);
	ssize_t n = read(p[0], buf, sizeof(buf) - 1);
	close(p[0]);
	buf[n > 0 ? n : 0] = '\0';
	if (r != 0)
		return FAIL("describe child failed: %d", r);
	if (strcmp(buf, want) != 0)
		return FAIL("locks are \"%s\", want \"%s\"", buf, want);
	return true;
}

TEST(ranges_split_and_merge)
{
	if (!MAKE_FILE("f", ""))
		return;
	int fd = EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
	locks_are("f", "W0+100;");
	/* Unlock a hole in the middle: split in two. */
	EXPECT_SYS(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 40, 20));
	locks_are("f", "W0+40;W60+40;");
	/* Convert part of it to a read lock. */
	EXPECT_SYS(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 70, 10));
	locks_are("f", "W0+40;W60+10;R70+10;W80+20;");
	/* Write lock over the hole and neighbours: merges with adjacent writes. */
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 40, 20));
	locks_are("f", "W0+70;R70+10;W80+20;");
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 70, 10));
	locks_are("f", "W0+100;");
	/* Adjacent same-type locks merge. */
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 100, 50));
	locks_are("f", "W0+150;");
	EXPECT_SYS(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	locks_are("f", "");
	close(fd);
}

TEST(whence_and_negative_length)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(lseek(fd, 20, SEEK_SET));
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 5, 5)); /* 25..29 */
	locks_are("f", "W25+5;");
	EXPECT_SYS(setlk(fd, F_SETLK, F_RDLCK, SEEK_END, -2, 2)); /* 8..9 */
	locks_are("f", "R8+2;W25+5;");
	EXPECT_SYS(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, -4)); /* 6..9 */
	locks_are("f", "W6+4;");
	EXPECT_ERRNO(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 2, -4), EINVAL);
	EXPECT_ERRNO(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, -1, 1), EINVAL);
	EXPECT_ERRNO(setlk(fd, F_SETLK, F_WRLCK, 7, 0, 1), EINVAL);
	EXPECT_ERRNO(setlk(fd, F_SETLK, 9, SEEK_SET, 0, 1), EINVAL);
	struct flock fl;
	EXPECT_ERRNO(getlk(fd, F_GETLK, F_UNLCK, 0, 1, &fl), EINVAL);
	close(fd);
}

TEST(lock_needs_matching_access_mode)
{
	if (!MAKE_FILE("f", "x"))
		return;
	int ro = EXPECT_SYS(open("f", O_RDONLY));
	int wo = EXPECT_SYS(open("f", O_WRONLY));
	EXPECT_ERRNO(setlk(ro, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
	EXPECT_ERRNO(setlk(wo, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
	EXPECT_SYS(setlk(ro, F_SETLK, F_RDLCK, SEEK_SET, 0, 1));
	EXPECT_SYS(setlk(wo, F_SETLK, F_WRLCK, SEEK_SET, 5, 1));
	EXPECT_ERRNO(setlk(ro, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
	close(ro);
	close(wo);
	EXPECT_ERRNO(setlk(ro, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
}

TEST(closing_any_fd_releases_posix_locks_but_not_ofd_locks)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int a = EXPECT_SYS(open("f", O_RDWR));
	int b = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(setlk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	struct probe p = {"f", F_WRLCK, 0, 1};
	EXPECT_EQ(in_child(try_lock, &p), 1);
	close(b); /* another descriptor of the same file */
	EXPECT_EQ(in_child(try_lock, &p), 0);

	/* OFD locks belong to the description: a close of another fd, or of a
	 * dup while the description lives, keeps them. */
	b = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(setlk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	int d = EXPECT_SYS(dup(a));
	close(b);
	close(d);
	EXPECT_EQ(in_child(try_lock, &p), 1);
	close(a); /* last reference */
	EXPECT_EQ(in_child(try_lock, &p), 0);
}

TEST(ofd_locks_conflict_between_descriptions_of_one_process)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int a = EXPECT_SYS(open("f", O_RDWR));
	int b = EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(setlk(a, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 5));
	EXPECT_ERRNO(setlk(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 4, 1), EAGAIN);
	EXPECT_SYS(setlk(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 5, 1));
	/* A POSIX lock of this process conflicts with the OFD lock too. */
	EXPECT_ERRNO(setlk(b, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EAGAIN);
	struct flock fl;
	EXPECT_SYS(getlk(b, F_OFD_GETLK, F_WRLCK, 0, 0, &fl));
	EXPECT_EQ(fl.l_type, F_WRLCK);
	EXPECT_EQ(fl.l_start, 0);
	EXPECT_EQ(fl.l_len, 5);
	EXPECT_EQ(fl.l_pid, -1);
	/* l_pid must be 0 for the OFD commands. */
	struct flock bad = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_len = 1, .l_pid = 1};
	EXPECT_ERRNO(fcntl(b, F_OFD_SETLK, &bad), EINVAL);
	EXPECT_ERRNO(fcntl(b, F_OFD_GETLK, &bad), EINVAL);
	close(a);
	close(b);
}

TEST(locks_are_not_inherited_and_go_at_exit)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDWR));
	int up[2], down[2];
	EXPECT_SYS(pipe(up));
	EXPECT_SYS(pipe(down));
	pid_t pid = fork();
	if (pid == 0) {
		/* The child shares the description but not our POSIX lock. */
		int r = setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1);
		char c = r == 0 ? 'y' : 'n';
		(void)!write(up[1], &c, 1);
		(void)!read(down[0], &c, 1); /* hold it until told */
		_exit(0);
	}
	char c = 0;
	EXPECT_EQ(read(up[0], &c, 1), 1);
	EXPECT_EQ(c, 'y');
	EXPECT_ERRNO(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EAGAIN);
	(void)!write(down[1], "g", 1);
	int st;
	waitpid(pid, &st, 0);
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1)); /* exit released it */
	close(fd);
	close(up[0]);
	close(up[1]);
	close(down[0]);
	close(down[1]);
}

/* Wait (up to 10 s) until pid shows in /proc/locks as blocked on a POSIX
 * lock ("N: -> POSIX  ADVISORY  WRITE pid ..."). */
static bool wait_blocked(pid_t pid)
{
	char want[64], line[256];

	snprintf(want, sizeof(want), "-> POSIX  ADVISORY  WRITE %d ", pid);
	for (int i = 0; i < 1000; i++) {
		FILE *p = fopen("/proc/locks", "r");
		if (!p)
			return FAIL("/proc/locks: %s", strerror(errno));
		bool found = false;
		while (!found && fgets(line, sizeof(line), p))
			found = strstr(line, want) != NULL;
		fclose(p);
		if (found)
			return true;
		usleep(10000);
	}
	return FAIL("pid %d never blocked in /proc/locks", pid);
}

TEST(setlkw_waits_for_the_holder)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	pid_t pid = fork();
	if (pid == 0) {
		int cfd = open("f", O_RDWR);
		_exit(setlk(cfd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1) == 0 ? 0 : 1);
	}
	EXPECT_TRUE(wait_blocked(pid));
	int st;
	EXPECT_EQ(waitpid(pid, &st, WNOHANG), 0); /* still waiting */
	EXPECT_SYS(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
	waitpid(pid, &st, 0);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	close(fd);
}

TEST(setlkw_cycle_between_processes_is_edeadlk)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDWR));
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	int p[2];
	EXPECT_SYS(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		int cfd = open("f", O_RDWR);
		if (setlk(cfd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1) != 0)
			_exit(1);
		(void)!write(p[1], "x", 1);
		/* Blocks on byte 0 until the parent gives up and closes. */
		_exit(setlk(cfd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1) == 0 ? 0 : 2);
	}
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	wait_blocked(pid); /* the child waits for byte 0 */
	EXPECT_ERRNO(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1), EDEADLK);
	close(fd);
	int st;
	waitpid(pid, &st, 0);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	close(p[0]);
	close(p[1]);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(setlkw_is_interrupted_by_a_signal)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int p[2];
	EXPECT_SYS(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		int cfd = open("f", O_RDWR);
		setlk(cfd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
		(void)!write(p[1], "x", 1);
		pause();
		_exit(0);
	}
	char c;
	EXPECT_EQ(read(p[0], &c, 1), 1);
	int fd = EXPECT_SYS(open("f", O_RDWR));
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {.tv_usec = 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_ERRNO(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1), EINTR);

	/* With SA_RESTART the wait goes on until the holder exits. */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGALRM, &sa, NULL);
	setitimer(ITIMER_REAL, &it, NULL);
	pid_t killer = fork();
	if (killer == 0) {
		usleep(300000);
		kill(pid, SIGKILL);
		_exit(0);
	}
	EXPECT_SYS(setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1));
	int st;
	waitpid(killer, &st, 0);
	waitpid(pid, &st, 0);
	signal(SIGALRM, SIG_DFL);
	close(fd);
	close(p[0]);
	close(p[1]);
}

TEST(dup2_over_an_fd_releases_posix_locks)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int a = EXPECT_SYS(open("f", O_RDWR));
	int b = EXPECT_SYS(open("f", O_RDONLY));
	int n = EXPECT_SYS(open("/dev/null", O_RDONLY));
	EXPECT_SYS(setlk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	EXPECT_SYS(dup2(n, b)); /* closes b, a descriptor of f */
	struct probe p = {"f", F_WRLCK, 0, 1};
	EXPECT_EQ(in_child(try_lock, &p), 0);
	close(a);
	close(b);
	close(n);
}

TEST(proc_locks_lists_our_locks)
{
	if (!MAKE_FILE("f", "0123456789"))
		return;
	int fd = EXPECT_SYS(open("f", O_RDWR));
	struct stat st;
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_SYS(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 5, 10));
	EXPECT_SYS(flock(fd, LOCK_SH));
	FILE *p = fopen("/proc/locks", "r");
	if (!EXPECT_TRUE(p != NULL))
		return;
	char line[256], posix[64], fl[64], tail[64], tail2[64];
	snprintf(posix, sizeof(posix), "POSIX  ADVISORY  WRITE %d ", getpid());
	snprintf(fl, sizeof(fl), "FLOCK  ADVISORY  READ %d ", getpid());
	snprintf(tail, sizeof(tail), ":%lu 5 14\n", (unsigned long)st.st_ino);
	snprintf(tail2, sizeof(tail2), ":%lu 0 EOF\n", (unsigned long)st.st_ino);
	bool seen_posix = false, seen_flock = false;
	while (fgets(line, sizeof(line), p)) {
		size_t n = strlen(line);
		if (strstr(line, posix) && n > strlen(tail) &&
		    !strcmp(line + n - strlen(tail), tail))
			seen_posix = true;
		if (strstr(line, fl) && n > strlen(tail2) &&
		    !strcmp(line + n - strlen(tail2), tail2))
			seen_flock = true;
	}
	fclose(p);
	EXPECT_TRUE(seen_posix);
	EXPECT_TRUE(seen_flock);
	close(fd);
}
