/*
 * The console bridge (see tty_bridge.h). The caller's terminal is only
 * touched through descriptors duplicated at start (no host path is opened
 * after boot): input bytes go into the console's master as if typed, the
 * master's output goes to the terminal, SIGWINCH copies the window size.
 * The terminal is raw meanwhile, so ^C, ^Z and friends reach the sandbox's
 * line discipline, which signals the sandbox's foreground process group.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/tty_bridge.h"
#include "fs/tty.h"
#include "kernel/waitq.h"
#include "util/log.h"

#define K_TCGETS2 0x802c542aU

static struct {
	bool active;
	int in_fd, out_fd;
	int wake[2];
	struct termios saved;
	volatile sig_atomic_t saved_valid;
	struct tty *tty;
	pthread_t thread;
	atomic_bool stop;
	volatile sig_atomic_t winch;
} br = {.in_fd = -1, .out_fd = -1, .wake = {-1, -1}};

/* Async-signal-safe (tcsetattr is one ioctl). */
static void restore_terminal(void)
{
	if (br.saved_valid)
		tcsetattr(br.in_fd, TCSANOW, &br.saved);
}

static void fatal_handler(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void winch_handler(int sig)
{
	int e = errno;
	(void)sig;
	br.winch = 1;
	if (write(br.wake[1], "w", 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = e;
}

static void copy_winsize(void)
{
	struct winsize ws;

	if (ioctl(br.in_fd, TIOCGWINSZ, &ws) == 0) {
		struct kwinsize k = {ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel};
		tty_set_winsize(br.tty, &k);
	}
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd pf = {.fd = fd, .events = POLLOUT};
				poll(&pf, 1, 100);
				continue;
			}
			return; /* the terminal went away: the output is lost */
		}
		p += w;
		n -= (size_t)w;
	}
}

static void drain_output(void)
{
	char buf[4096];
	ssize_t n;

	while ((n = tty_master_read_kernel(br.tty, buf, sizeof(buf))) > 0)
		write_all(br.out_fd, buf, (size_t)n);
}

static void *bridge_main(void *arg)
{
	char in[4096];
	size_t inlen = 0, inoff = 0;
	bool in_eof = false;
	struct wait_entry e;
	sigset_t s;

	(void)arg;
	sigemptyset(&s);
	sigaddset(&s, SIGWINCH);
	pthread_sigmask(SIG_UNBLOCK, &s, NULL);
	int pfd = poller_fd();
	if (pfd < 0) {
		log_err("console bridge: no poller: %s", strerror(-pfd));
		return NULL;
	}
	poller_entry_init(&e);
	waitq_add(&br.tty->wq, &e);
	for (;;) {
		drain_output();
		if (inoff < inlen) {
			ssize_t w = tty_master_write_kernel(br.tty, in + inoff, inlen - inoff);
			if (w > 0)
				inoff += (size_t)w;
			if (inoff == inlen)
				inoff = inlen = 0;
		}
		if (atomic_load(&br.stop))
			break;
		if (br.winch) {
			br.winch = 0;
			copy_winsize();
		}
		/* Pending input waits for the reader (the waitq wakes us). */
		struct pollfd p[3] = {{.fd = br.wake[0], .events = POLLIN},
				      {.fd = pfd, .events = POLLIN},
				      {.fd = (in_eof || inlen) ? -1 : br.in_fd, .events = POLLIN}};
		if (poll(p, 3, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			char b[64];
			while (read(br.wake[0], b, sizeof(b)) > 0)
				;
		}
		if (p[1].revents & POLLIN)
			poller_drain();
		if (p[2].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t n = read(br.in_fd, in, sizeof(in));
			if (n > 0) {
				inlen = (size_t)n;
				inoff = 0;
			} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
				in_eof = true; /* the caller's terminal is gone */
			}
		}
	}
	drain_output();
	waitq_remove(&br.tty->wq, &e);
	return NULL;
}

static void install_handlers(void)
{
	static const int fatal[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGABRT};
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fatal_handler;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		sigaction(fatal[i], &sa, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = winch_handler;
	sa.sa_flags = SA_RESTART;
	sigaction(SIGWINCH, &sa, NULL);
}

int tty_bridge_start(void)
{
	struct ktermios k;
	struct winsize ws;
	struct termios raw;
	sigset_t s, old;

	/* Only in the foreground: making the terminal raw from a background
	 * job would stop the sentry with SIGTTOU. */
	if (br.active || !isatty(0) || tcgetpgrp(0) != getpgid(0))
		return 0;
	br.in_fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
	br.out_fd = fcntl(isatty(1) ? 1 : isatty(2) ? 2 : 0, F_DUPFD_CLOEXEC, 3);
	if (br.in_fd < 0 || br.out_fd < 0 || pipe2(br.wake, O_CLOEXEC | O_NONBLOCK) < 0)
		goto fail;
	memset(&k, 0, sizeof(k));
	if (ioctl(br.in_fd, K_TCGETS2, &k) < 0 || tcgetattr(br.in_fd, &br.saved) < 0)
		goto fail;
	memset(&ws, 0, sizeof(ws));
	ioctl(br.in_fd, TIOCGWINSZ, &ws);
	struct kwinsize kws = {ws.ws_row, ws.ws_col, ws.ws_xpixel, ws.ws_ypixel};
	br.tty = tty_console_create(&k, &kws);
	if (!br.tty)
		goto fail;

	/* SIGWINCH goes to the bridge thread only: threads created from now on
	 * inherit the block. */
	sigemptyset(&s);
	sigaddset(&s, SIGWINCH);
	pthread_sigmask(SIG_BLOCK, &s, &old);
	install_handlers();
	raw = br.saved;
	cfmakeraw(&raw);
	br.saved_valid = 1;
	atexit(restore_terminal);
	if (tcsetattr(br.in_fd, TCSANOW, &raw) < 0)
		log_warn("console bridge: cannot make the terminal raw: %s", strerror(errno));
	if (pthread_create(&br.thread, NULL, bridge_main, NULL) != 0) {
		restore_terminal();
		br.saved_valid = 0;
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		log_err("console bridge: cannot start its thread");
		return -EAGAIN;
	}
	br.active = true;
	return 0;
fail:
	log_warn("console bridge: %s; the terminal is passed through", strerror(errno));
	if (br.in_fd >= 0)
		close(br.in_fd);
	if (br.out_fd >= 0)
		close(br.out_fd);
	br.in_fd = br.out_fd = -1;
	return 0;
}

void tty_bridge_finish(void)
{
	if (!br.active)
		return;
	br.active = false;
	atomic_store(&br.stop, true);
	if (write(br.wake[1], "s", 1) < 0) {
		/* full: the thread will see stop anyway */
	}
	pthread_join(br.thread, NULL);
	restore_terminal();
	br.saved_valid = 0;
}
