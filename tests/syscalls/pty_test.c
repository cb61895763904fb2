/* Pseudo-terminals: /dev/ptmx and /dev/pts, the n_tty line discipline
 * (canonical editing, echo, output processing, VMIN/VTIME), controlling
 * terminals (/dev/tty, TIOCSCTTY, ^C to the foreground group, SIGWINCH,
 * SIGTTIN) and hang-ups. */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>

#include "harness.h"

static int open_pair(int *m, int *s)
{
	*s = -1;
	*m = posix_openpt(O_RDWR | O_NOCTTY);
	if (*m < 0 || grantpt(*m) < 0 || unlockpt(*m) < 0)
		return -1;
	*s = open(ptsname(*m), O_RDWR | O_NOCTTY);
	return *s < 0 ? -1 : 0;
}

/* Read exactly want bytes from fd within 2 s (a Linux pty delivers input
 * and echo asynchronously). Returns the bytes read. */
static size_t read_exact(int fd, char *buf, size_t want)
{
	size_t got = 0;
	while (got < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 2000) <= 0)
			break;
		ssize_t n = read(fd, buf + got, want - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = 0;
	return got;
}

/* Nothing more arrives on fd within 100 ms. */
static bool quiet(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	return poll(&p, 1, 100) == 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

TEST(openpt_grantpt_unlockpt_ptsname)
{
	struct stat st;
	int n = -1, lk = -1;
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (!EXPECT_SYS(m))
		return;
	EXPECT_SYS(fstat(m, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 5);
	EXPECT_EQ(minor(st.st_rdev), 2);
	EXPECT_EQ(isatty(m), 1);
	EXPECT_SYS(ioctl(m, TIOCGPTN, &n));
	EXPECT_SYS(ioctl(m, TIOCGPTLCK, &lk));
	EXPECT_EQ(lk, 1);
	char want[32];
	snprintf(want, sizeof(want), "/dev/pts/%d", n);
	EXPECT_STREQ(ptsname(m), want);
	/* Locked until unlockpt. */
	EXPECT_ERRNO(open(want, O_RDWR | O_NOCTTY), EIO);
	EXPECT_SYS(grantpt(m));
	EXPECT_SYS(unlockpt(m));
	int s = open(want, O_RDWR | O_NOCTTY);
	if (!EXPECT_SYS(s))
		return;
	EXPECT_SYS(stat(want, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(major(st.st_rdev), 136 + n / 256);
	EXPECT_EQ(minor(st.st_rdev), n % 256);
	EXPECT_EQ(isatty(s), 1);
	char name[64];
	EXPECT_EQ(ttyname_r(s, name, sizeof(name)), 0);
	EXPECT_STREQ(name, want);
	/* The slave has no TIOCGPTN. */
	EXPECT_ERRNO(ioctl(s, TIOCGPTN, &n), ENOTTY);
	/* Listed in /dev/pts. */
	DIR *d = opendir("/dev/pts");
	bool found = false, ptmx = false;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		if (strcmp(e->d_name, want + 9) == 0)
			found = true;
		if (strcmp(e->d_name, "ptmx") == 0)
			ptmx = true;
	}
	if (d)
		closedir(d);
	EXPECT_TRUE(found);
	EXPECT_TRUE(ptmx);
	close(s);
	close(m);
	/* Gone with its master. */
	EXPECT_ERRNO(stat(want, &st), ENOENT);
}

TEST(default_termios)
{
	int m, s;
	struct termios t;
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	EXPECT_SYS(tcgetattr(s, &t));
	EXPECT_EQ(t.c_lflag & (ICANON | ECHO | ISIG | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN),
		  ICANON | ECHO | ISIG | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN);
	EXPECT_EQ(t.c_iflag & (ICRNL | IXON), ICRNL | IXON);
	EXPECT_EQ(t.c_oflag & (OPOST | ONLCR), OPOST | ONLCR);
	EXPECT_EQ(t.c_cc[VINTR], 3);
	EXPECT_EQ(t.c_cc[VERASE], 0x7f);
	EXPECT_EQ(t.c_cc[VEOF], 4);
	EXPECT_EQ(cfgetospeed(&t), B38400);
	/* The master answers TCGETS too. */
	EXPECT_SYS(tcgetattr(m, &t));
	close(s);
	close(m);
}

TEST(canonical_read_returns_one_line)
{
	int m, s, avail = -1;
	char buf[64];
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &t);
	EXPECT_EQ(write(m, "abc", 3), 3);
	usleep(20000);
	EXPECT_SYS(ioctl(s, FIONREAD, &avail));
	EXPECT_EQ(avail, 0);		     /* no complete line yet */
	EXPECT_EQ(write(m, "\rcd\n", 4), 4); /* ICRNL: \r ends the line */
	EXPECT_EQ(read_exact(s, buf, 4), 4);
	EXPECT_STREQ(buf, "abc\n");
	EXPECT_EQ(read(s, buf, sizeof(buf)), 3);
	EXPECT_MEMEQ(buf, "cd\n", 3);
	EXPECT_EQ(write(m, "one\ntwo\n", 8), 8);
	usleep(20000);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 4);
	EXPECT_MEMEQ(buf, "one\n", 4);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 4);
	EXPECT_MEMEQ(buf, "two\n", 4);
	close(s);
	close(m);
}

TEST(canonical_editing_erase_kill_werase_eof)
{
	int m, s;
	char buf[64];
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &t);
	EXPECT_EQ(write(m,
			"abx\x7f"
			"c\n",
			6),
		  6);
	EXPECT_EQ(read_exact(s, buf, 4), 4);
	EXPECT_STREQ(buf, "abc\n");
	EXPECT_EQ(write(m, "junk\x15ok\n", 8), 8);
	EXPECT_EQ(read_exact(s, buf, 3), 3);
	EXPECT_STREQ(buf, "ok\n");
	EXPECT_EQ(write(m,
			"foo bar\x17"
			"baz\n",
			12),
		  12);
	EXPECT_EQ(read_exact(s, buf, 8), 8);
	EXPECT_STREQ(buf, "foo baz\n");
	/* EOF: the line so far without a newline, then an empty read. */
	EXPECT_EQ(write(m, "xy\x04", 3), 3);
	usleep(20000);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 2);
	EXPECT_MEMEQ(buf, "xy", 2);
	EXPECT_EQ(write(m, "\x04", 1), 1);
	usleep(20000);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 0);
	close(s);
	close(m);
}

TEST(echo_and_output_processing)
{
	int m, s;
	char buf[64];
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	EXPECT_EQ(write(m, "hi\n", 3), 3);
	EXPECT_EQ(read_exact(m, buf, 4), 4);
	EXPECT_STREQ(buf, "hi\r\n"); /* echo, with ONLCR */
	EXPECT_EQ(read_exact(s, buf, 3), 3);
	EXPECT_EQ(write(m, "a\x7f", 2), 2);
	EXPECT_EQ(read_exact(m, buf, 4), 4);
	EXPECT_STREQ(buf, "a\b \b"); /* ECHOE */
	EXPECT_EQ(write(m, "\x01", 1), 1);
	EXPECT_EQ(read_exact(m, buf, 2), 2);
	EXPECT_STREQ(buf, "^A");	   /* ECHOCTL */
	EXPECT_EQ(write(m, "\x15", 1), 1); /* ECHOKE: the ^A is wiped */
	EXPECT_EQ(read_exact(m, buf, 6), 6);
	EXPECT_STREQ(buf, "\b \b\b \b");
	EXPECT_TRUE(quiet(m));
	/* Slave output: \n becomes \r\n. */
	EXPECT_EQ(write(s, "x\ny", 3), 3);
	EXPECT_EQ(read_exact(m, buf, 4), 4);
	EXPECT_STREQ(buf, "x\r\ny");
	/* -ECHO +ECHONL: only the newline is echoed. */
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag = (t.c_lflag & ~ECHO) | ECHONL;
	tcsetattr(s, TCSANOW, &t);
	EXPECT_EQ(write(m, "pw\n", 3), 3);
	EXPECT_EQ(read_exact(m, buf, 2), 2);
	EXPECT_STREQ(buf, "\r\n");
	EXPECT_TRUE(quiet(m));
	close(s);
	close(m);
}

TEST(raw_vmin_vtime)
{
	int m, s;
	char buf[64];
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	struct termios t;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	t.c_cc[VMIN] = 0;
	t.c_cc[VTIME] = 0;
	EXPECT_SYS(tcsetattr(s, TCSANOW, &t));
	/* MIN 0 TIME 0: a poll; nothing there is a 0 read. */
	EXPECT_EQ(read(s, buf, sizeof(buf)), 0);
	/* MIN 0 TIME 2: waits up to 0.2 s. */
	t.c_cc[VTIME] = 2;
	EXPECT_SYS(tcsetattr(s, TCSANOW, &t));
	int64_t t0 = mono_ms();
	EXPECT_EQ(read(s, buf, sizeof(buf)), 0);
	EXPECT_GE(mono_ms() - t0, 150);
	/* Raw: no line editing, no echo, \r stays. */
	EXPECT_EQ(write(m, "a\x7f\r", 3), 3);
	EXPECT_EQ(read_exact(s, buf, 3), 3);
	EXPECT_MEMEQ(buf, "a\x7f\r", 3);
	EXPECT_TRUE(quiet(m));
	/* MIN 3 TIME 0: three bytes or more. */
	t.c_cc[VMIN] = 3;
	t.c_cc[VTIME] = 0;
	EXPECT_SYS(tcsetattr(s, TCSANOW, &t));
	EXPECT_EQ(write(m, "wxyz", 4), 4);
	usleep(50000);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 4);
	EXPECT_MEMEQ(buf, "wxyz", 4);
	close(s);
	close(m);
}

TEST(master_close_hangs_up_the_slave)
{
	int m, s;
	char buf[8];
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	close(m);
	struct pollfd p = {.fd = s, .events = POLLIN | POLLOUT};
	EXPECT_EQ(poll(&p, 1, 1000), 1);
	EXPECT_TRUE(p.revents & POLLHUP);
	EXPECT_EQ(read(s, buf, sizeof(buf)), 0); /* Linux: hung-up files read EOF */
	EXPECT_ERRNO(write(s, "x", 1), EIO);
	struct termios t;
	EXPECT_ERRNO(tcgetattr(s, &t), EIO);
	close(s);
}

TEST(slave_close_gives_master_eio)
{
	int m, s;
	char buf[16];
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	EXPECT_EQ(write(s, "out\n", 4), 4);
	close(s);
	EXPECT_EQ(read_exact(m, buf, 5), 5);
	EXPECT_STREQ(buf, "out\r\n");
	struct pollfd p = {.fd = m, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 1000), 1);
	EXPECT_TRUE(p.revents & POLLHUP);
	EXPECT_ERRNO(read(m, buf, sizeof(buf)), EIO);
	close(m);
}

TEST(dev_tty_without_controlling_terminal_is_enxio)
{
	pid_t pid = fork();
	if (pid == 0) {
		if (setsid() < 0)
			_exit(2);
		int fd = open("/dev/tty", O_RDWR);
		_exit(fd < 0 && errno == ENXIO ? 0 : 1);
	}
	int st;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
}

static volatile sig_atomic_t got_sig;
static void on_sig(int sig)
{
	got_sig = sig;
}

/* In a child: new session whose controlling terminal is the slave path.
 * Returns the slave fd or -1. */
static int child_take_ctty(const char *path)
{
	if (setsid() < 0)
		return -1;
	int s = open(path, O_RDWR); /* no O_NOCTTY: becomes the ctty */
	if (s < 0)
		return -1;
	if (tcgetsid(s) != getpid() || tcgetpgrp(s) != getpgrp())
		return -1;
	int t = open("/dev/tty", O_RDWR);
	if (t < 0)
		return -1;
	close(t);
	return s;
}

TEST(ctrl_c_sends_sigint_to_the_foreground_group)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), ready[2];
	if (!EXPECT_SYS(m) || !EXPECT_SYS(grantpt(m)) || !EXPECT_SYS(unlockpt(m)) ||
	    !EXPECT_SYS(pipe(ready)))
		return;
	char path[64];
	snprintf(path, sizeof(path), "%s", ptsname(m));
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_sig}; /* no SA_RESTART */
		sigaction(SIGINT, &sa, NULL);
		alarm(10);
		int s = child_take_ctty(path);
		if (s < 0)
			_exit(3);
		if (write(ready[1], "r", 1) != 1)
			_exit(4);
		char buf[16];
		while (!got_sig) {
			ssize_t n = read(s, buf, sizeof(buf));
			if (n < 0 && errno != EINTR)
				_exit(5);
		}
		_exit(got_sig == SIGINT ? 0 : 6);
	}
	char c;
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	usleep(50000);
	EXPECT_EQ(write(m, "partial\x03", 8), 8);
	int st;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	/* The echo: "partial" then ^C (the line was flushed). */
	char buf[32];
	EXPECT_EQ(read_exact(m, buf, 9), 9);
	EXPECT_STREQ(buf, "partial^C");
	close(ready[0]);
	close(ready[1]);
	close(m);
}

TEST(tiocswinsz_sends_sigwinch)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), ready[2];
	if (!EXPECT_SYS(m) || !EXPECT_SYS(grantpt(m)) || !EXPECT_SYS(unlockpt(m)) ||
	    !EXPECT_SYS(pipe(ready)))
		return;
	char path[64];
	snprintf(path, sizeof(path), "%s", ptsname(m));
	pid_t pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_sig};
		sigaction(SIGWINCH, &sa, NULL);
		alarm(10);
		int s = child_take_ctty(path);
		if (s < 0)
			_exit(3);
		if (write(ready[1], "r", 1) != 1)
			_exit(4);
		while (!got_sig)
			usleep(1000);
		struct winsize ws;
		if (ioctl(s, TIOCGWINSZ, &ws) < 0)
			_exit(5);
		_exit(got_sig == SIGWINCH && ws.ws_row == 33 && ws.ws_col == 101 ? 0 : 6);
	}
	char c;
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	struct winsize ws = {.ws_row = 33, .ws_col = 101};
	EXPECT_SYS(ioctl(m, TIOCSWINSZ, &ws));
	int st;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	close(ready[0]);
	close(ready[1]);
	close(m);
}

TEST(background_read_gets_sigttin)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), rep[2];
	if (!EXPECT_SYS(m) || !EXPECT_SYS(grantpt(m)) || !EXPECT_SYS(unlockpt(m)) ||
	    !EXPECT_SYS(pipe(rep)))
		return;
	char path[64];
	snprintf(path, sizeof(path), "%s", ptsname(m));
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);
		int s = child_take_ctty(path);
		if (s < 0)
			_exit(3);
		pid_t bg = fork();
		if (bg == 0) {
			setpgid(0, 0); /* a background group of the session */
			char buf[4];
			read(s, buf, sizeof(buf));
			_exit(7);
		}
		setpgid(bg, bg);
		int st;
		pid_t w = waitpid(bg, &st, WUNTRACED);
		int ok = w == bg && WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN;
		kill(bg, SIGKILL);
		waitpid(bg, &st, 0);
		/* tcsetpgrp to a group of another session fails. */
		int bad = tcsetpgrp(s, getppid()) < 0 && errno == EPERM;
		_exit(ok ? (bad ? 0 : 9) : 8);
	}
	int st;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	close(rep[0]);
	close(rep[1]);
	close(m);
}

TEST(tiocsctty_and_tiocnotty)
{
	int m, s;
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);
		/* Not a session leader: EPERM. */
		if (!(ioctl(s, TIOCSCTTY, 0) < 0 && errno == EPERM))
			_exit(2);
		if (setsid() < 0)
			_exit(3);
		if (tcgetpgrp(s) >= 0 || errno != ENOTTY)
			_exit(4); /* not our terminal yet */
		if (ioctl(s, TIOCSCTTY, 0) < 0)
			_exit(5);
		if (tcgetsid(s) != getpid())
			_exit(6);
		signal(SIGHUP, SIG_IGN);
		if (ioctl(s, TIOCNOTTY) < 0)
			_exit(7);
		int fd = open("/dev/tty", O_RDWR);
		_exit(fd < 0 && errno == ENXIO ? 0 : 8);
	}
	int st;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	close(s);
	close(m);
}

TEST(flush_and_fionread)
{
	int m, s, n = -1;
	char buf[16];
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag &= ~ECHO;
	tcsetattr(s, TCSANOW, &t);
	EXPECT_EQ(write(m, "abc\n", 4), 4);
	usleep(20000);
	EXPECT_SYS(ioctl(s, FIONREAD, &n));
	EXPECT_EQ(n, 4);
	EXPECT_SYS(tcflush(s, TCIFLUSH));
	EXPECT_SYS(ioctl(s, FIONREAD, &n));
	EXPECT_EQ(n, 0);
	EXPECT_EQ(write(s, "zz", 2), 2);
	usleep(20000);
	EXPECT_SYS(ioctl(m, FIONREAD, &n));
	EXPECT_EQ(n, 2);
	EXPECT_EQ(read_exact(m, buf, 2), 2);
	EXPECT_SYS(tcdrain(s));
	close(s);
	close(m);
}

/* TIOCSTI: root (CAP_SYS_ADMIN) fakes input on any terminal; another user
 * on a terminal that is not its controlling one gets EPERM (EIO where the
 * host turned legacy TIOCSTI off: dev.tty.legacy_tiocsti = 0). */
TEST(tiocsti_fakes_input)
{
	int m, s;
	char buf[16];
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	struct termios t;
	tcgetattr(s, &t);
	t.c_lflag &= ~(ICANON | ECHO);
	tcsetattr(s, TCSANOW, &t);
	if (geteuid() == 0) {
		EXPECT_SYS(ioctl(s, TIOCSTI, "x"));
		EXPECT_SYS(ioctl(s, TIOCSTI, "y"));
		EXPECT_EQ(read_exact(s, buf, 2), 2);
		EXPECT_STREQ(buf, "xy");
		EXPECT_ERRNO(ioctl(s, TIOCSTI, (char *)1), EFAULT);
	}
	int legacy = 1;
	FILE *lf = fopen("/proc/sys/dev/tty/legacy_tiocsti", "r");
	if (lf) {
		if (fscanf(lf, "%d", &legacy) != 1)
			legacy = 1;
		fclose(lf);
	}
	pid_t p = fork();
	if (p == 0) {
		if (geteuid() == 0 && (setgid(65534) || setuid(65534)))
			_exit(10);
		errno = 0;
		int r = ioctl(s, TIOCSTI, "z");
		_exit(r == -1 && errno == (legacy ? EPERM : EIO) ? 0 : 11);
	}
	int st = -1;
	waitpid(p, &st, 0);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	EXPECT_TRUE(quiet(s));
	close(s);
	close(m);
}

TEST(tiocgptpeer_opens_the_slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), n = -1, unlock = 0;
	char buf[8];
	if (!EXPECT_SYS(m))
		return;
	EXPECT_SYS(ioctl(m, TIOCSPTLCK, &unlock));
	int s = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (!EXPECT_SYS(s))
		return;
	EXPECT_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	EXPECT_SYS(ioctl(m, TIOCGPTN, &n));
	char name[64], want[32];
	snprintf(want, sizeof(want), "/dev/pts/%d", n);
	EXPECT_EQ(ttyname_r(s, name, sizeof(name)), 0);
	EXPECT_STREQ(name, want);
	struct termios t;
	tcgetattr(s, &t);
	cfmakeraw(&t);
	tcsetattr(s, TCSANOW, &t);
	EXPECT_EQ(write(m, "q", 1), 1);
	EXPECT_EQ(read_exact(s, buf, 1), 1);
	EXPECT_EQ(buf[0], 'q');
	close(s);
	close(m);
}

TEST(dev_ptmx_and_devpts_attributes)
{
	struct stat st;
	if (!EXPECT_SYS(stat("/dev/ptmx", &st)))
		return;
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(st.st_mode & 0777, 0666);
	EXPECT_EQ(st.st_rdev, makedev(5, 2));
	EXPECT_SYS(stat("/dev/pts/ptmx", &st));
	EXPECT_EQ(st.st_rdev, makedev(5, 2));
	EXPECT_SYS(stat("/dev/pts", &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(st.st_ino, 1);
	EXPECT_SYS(stat("/dev/tty", &st));
	EXPECT_EQ(st.st_rdev, makedev(5, 0));
}

TEST(orphaned_background_group_read_is_eio)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY), rep[2];
	if (!EXPECT_SYS(m) || !EXPECT_SYS(grantpt(m)) || !EXPECT_SYS(unlockpt(m)) ||
	    !EXPECT_SYS(pipe(rep)))
		return;
	char path[64];
	snprintf(path, sizeof(path), "%s", ptsname(m));
	pid_t pid = fork();
	if (pid == 0) {
		alarm(10);
		int s = child_take_ctty(path);
		if (s < 0)
			_exit(3);
		pid_t mid = fork();
		if (mid == 0) {
			pid_t g = fork();
			if (g == 0) {
				setpgid(0, 0);
				/* Wait until orphaned: our parent has exited. */
				while (getppid() == mid)
					usleep(1000);
				char buf[4];
				int r = read(s, buf, sizeof(buf)) < 0 && errno == EIO;
				if (write(rep[1], r ? "E" : "x", 1) != 1)
					_exit(1);
				_exit(0);
			}
			_exit(0);
		}
		int st;
		waitpid(mid, &st, 0);
		char c = 0;
		if (read(rep[0], &c, 1) != 1)
			_exit(4);
		_exit(c == 'E' ? 0 : 5);
	}
	int st;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	close(rep[0]);
	close(rep[1]);
	close(m);
}

TEST(chmod_of_the_slave_persists)
{
	int m, s;
	struct stat st;
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	const char *name = ptsname(m);
	EXPECT_SYS(chmod(name, 0620));
	EXPECT_SYS(stat(name, &st));
	EXPECT_EQ(st.st_mode & 07777, 0620);
	EXPECT_SYS(fstat(s, &st));
	EXPECT_EQ(st.st_uid, geteuid());
	close(s);
	close(m);
}

TEST(poll_and_epoll_wake_on_tty_activity)
{
	int m, s;
	char buf[16];
	if (!EXPECT_SYS(open_pair(&m, &s)))
		return;
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = m}, out;
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, m, &ev));
	EXPECT_EQ(epoll_wait(ep, &out, 1, 0), 0);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(write(s, "w", 1) == 1 && (usleep(100000), write(m, "k\n", 2)) == 2 ? 0 : 1);
	}
	int64_t t0 = mono_ms();
	EXPECT_EQ(epoll_wait(ep, &out, 1, 5000), 1);
	EXPECT_LT(mono_ms() - t0, 2000);
	EXPECT_EQ(out.data.fd, m);
	EXPECT_EQ(read(m, buf, 1), 1);
	/* The slave becomes readable when the line is complete. */
	struct pollfd p = {.fd = s, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_TRUE(p.revents & POLLIN);
	int st;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
	close(ep);
	close(s);
	close(m);
}
