/* inotify: watches, the events of file operations, moves with cookies,
 * IN_ONESHOT, IN_IGNORED, reading, FIONREAD, poll, nonblocking reads. */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/wait.h>

#include "harness.h"

static const struct {
	uint32_t bit;
	const char *name;
} mask_names[] = {
    {IN_ACCESS, "ACCESS"},
    {IN_MODIFY, "MODIFY"},
    {IN_ATTRIB, "ATTRIB"},
    {IN_CLOSE_WRITE, "CLOSE_WRITE"},
    {IN_CLOSE_NOWRITE, "CLOSE_NOWRITE"},
    {IN_OPEN, "OPEN"},
    {IN_MOVED_FROM, "MOVED_FROM"},
    {IN_MOVED_TO, "MOVED_TO"},
    {IN_CREATE, "CREATE"},
    {IN_DELETE, "DELETE"},
    {IN_DELETE_SELF, "DELETE_SELF"},
    {IN_MOVE_SELF, "MOVE_SELF"},
    {IN_Q_OVERFLOW, "Q_OVERFLOW"},
    {IN_IGNORED, "IGNORED"},
    {IN_ISDIR, "ISDIR"},
};

/* Read every queued event (fd must be nonblocking) as
 * "wd:MASK|MASK:name;" items into a static buffer. Cookies of move events
 * are checked to pair up: *cookie gets the last non-zero one. */
static const char *drain(int fd, uint32_t *cookie)
{
	static char out[4096];
	char buf[4096] __attribute__((aligned(8)));
	size_t n = 0;

	out[0] = '\0';
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		for (ssize_t off = 0; off < r;) {
			struct inotify_event *e = (struct inotify_event *)(buf + off);
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%d:", e->wd);
			bool first = true;
			for (size_t i = 0; i < sizeof(mask_names) / sizeof(mask_names[0]); i++) {
				if (e->mask & mask_names[i].bit) {
					n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s",
							      first ? "" : "|", mask_names[i].name);
					first = false;
				}
			}
			n += (size_t)snprintf(out + n, sizeof(out) - n, ":%s;",
					      e->len ? e->name : "");
			if (e->cookie && cookie)
				*cookie = e->cookie;
			off += (ssize_t)sizeof(*e) + e->len;
		}
	}
	return out;
}

static int new_inotify(void)
{
	return inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
}

TEST(init_flags)
{
	EXPECT_ERRNO(inotify_init1(0x1), EINVAL);
	int fd = EXPECT_SYS(inotify_init1(IN_CLOEXEC));
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
	fd = EXPECT_SYS(inotify_init1(IN_NONBLOCK));
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	char buf[256];
	EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EAGAIN);
	close(fd);
	fd = EXPECT_SYS(inotify_init());
	close(fd);
}

TEST(add_watch_errors_and_same_wd)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(inotify_add_watch(fd, "d", 0), EINVAL);
	EXPECT_ERRNO(inotify_add_watch(fd, "missing", IN_ALL_EVENTS), ENOENT);
	EXPECT_ERRNO(inotify_add_watch(fd, "f", IN_ALL_EVENTS | IN_ONLYDIR), ENOTDIR);
	EXPECT_ERRNO(inotify_add_watch(-1, "d", IN_ALL_EVENTS), EBADF);
	int other = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_ERRNO(inotify_add_watch(other, "d", IN_ALL_EVENTS), EINVAL);
	close(other);
	int wd = EXPECT_SYS(inotify_add_watch(fd, "d", IN_CREATE));
	EXPECT_GT(wd, 0);
	EXPECT_EQ(inotify_add_watch(fd, "./d/../d", IN_DELETE), wd);
	EXPECT_ERRNO(inotify_add_watch(fd, "d", IN_DELETE | IN_MASK_CREATE), EEXIST);
	EXPECT_ERRNO(inotify_add_watch(fd, "d", IN_DELETE | IN_MASK_CREATE | IN_MASK_ADD), EINVAL);
	int wf = EXPECT_SYS(inotify_add_watch(fd, "f", IN_MODIFY));
	EXPECT_NE(wf, wd);
	/* The second add replaced IN_CREATE by IN_DELETE. */
	EXPECT_SYS(mkdir("d/x", 0755));
	EXPECT_STREQ(drain(fd, NULL), "");
	EXPECT_SYS(rmdir("d/x"));
	char want[64];
	snprintf(want, sizeof(want), "%d:DELETE|ISDIR:x;", wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	/* IN_MASK_ADD keeps what was there. */
	EXPECT_EQ(inotify_add_watch(fd, "d", IN_CREATE | IN_MASK_ADD), wd);
	EXPECT_SYS(mkdir("d/x", 0755));
	EXPECT_SYS(rmdir("d/x"));
	snprintf(want, sizeof(want), "%d:CREATE|ISDIR:x;%d:DELETE|ISDIR:x;", wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}

TEST(events_of_a_file_in_a_watched_directory)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("d", 0755));
	int wd = EXPECT_SYS(inotify_add_watch(fd, "d", IN_ALL_EVENTS));
	char want[1024], buf[4];

	int f = EXPECT_SYS(open("d/f", O_WRONLY | O_CREAT, 0644));
	EXPECT_EQ(write(f, "abc", 3), 3);
	close(f);
	snprintf(want, sizeof(want), "%d:CREATE:f;%d:OPEN:f;%d:MODIFY:f;%d:CLOSE_WRITE:f;", wd, wd,
		 wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);

	f = EXPECT_SYS(open("d/f", O_RDONLY));
	EXPECT_EQ(read(f, buf, sizeof(buf)), 3);
	close(f);
	snprintf(want, sizeof(want), "%d:OPEN:f;%d:ACCESS:f;%d:CLOSE_NOWRITE:f;", wd, wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);

	EXPECT_SYS(chmod("d/f", 0600));
	EXPECT_SYS(truncate("d/f", 1));
	snprintf(want, sizeof(want), "%d:ATTRIB:f;%d:MODIFY:f;", wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);

	EXPECT_SYS(mkdir("d/sub", 0755));
	EXPECT_SYS(symlink("f", "d/ln"));
	EXPECT_SYS(link("d/f", "d/hard"));
	EXPECT_SYS(unlink("d/hard"));
	EXPECT_SYS(unlink("d/f"));
	EXPECT_SYS(unlink("d/ln"));
	EXPECT_SYS(rmdir("d/sub"));
	snprintf(want, sizeof(want),
		 "%d:CREATE|ISDIR:sub;%d:CREATE:ln;%d:CREATE:hard;%d:DELETE:hard;%d:DELETE:f;"
		 "%d:DELETE:ln;%d:DELETE|ISDIR:sub;",
		 wd, wd, wd, wd, wd, wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}

TEST(self_events_and_ignored)
{
	int fd = EXPECT_SYS(new_inotify());
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(mkdir("d", 0755));
	int wf = EXPECT_SYS(inotify_add_watch(fd, "f", IN_ALL_EVENTS));
	int wdir = EXPECT_SYS(inotify_add_watch(fd, "d", IN_DELETE_SELF | IN_OPEN));
	char want[256];

	EXPECT_SYS(unlink("f"));
	snprintf(want, sizeof(want), "%d:ATTRIB:;%d:DELETE_SELF:;%d:IGNORED:;", wf, wf, wf);
	EXPECT_STREQ(drain(fd, NULL), want);
	EXPECT_ERRNO(inotify_rm_watch(fd, wf), EINVAL); /* already gone */

	int dfd = EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	close(dfd);
	EXPECT_SYS(rmdir("d"));
	snprintf(want, sizeof(want), "%d:OPEN|ISDIR:;%d:DELETE_SELF:;%d:IGNORED:;", wdir, wdir,
		 wdir);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}

TEST(moves_carry_one_cookie)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("a", 0755));
	EXPECT_SYS(mkdir("b", 0755));
	if (!MAKE_FILE("a/f", "x"))
		return;
	int wa = EXPECT_SYS(inotify_add_watch(fd, "a", IN_MOVE));
	int wb = EXPECT_SYS(inotify_add_watch(fd, "b", IN_MOVE));
	int wf = EXPECT_SYS(inotify_add_watch(fd, "a/f", IN_MOVE_SELF));
	EXPECT_SYS(rename("a/f", "b/g"));

	char buf[1024] __attribute__((aligned(8)));
	ssize_t n = EXPECT_SYS(read(fd, buf, sizeof(buf)));
	struct inotify_event *e1 = (struct inotify_event *)buf;
	if (!EXPECT_GE(n, (ssize_t)(3 * sizeof(*e1))))
		return;
	struct inotify_event *e2 = (struct inotify_event *)(buf + sizeof(*e1) + e1->len);
	struct inotify_event *e3 = (struct inotify_event *)((char *)e2 + sizeof(*e2) + e2->len);
	EXPECT_EQ(e1->wd, wa);
	EXPECT_EQ(e1->mask, IN_MOVED_FROM);
	EXPECT_STREQ(e1->name, "f");
	EXPECT_EQ(e2->wd, wb);
	EXPECT_EQ(e2->mask, IN_MOVED_TO);
	EXPECT_STREQ(e2->name, "g");
	EXPECT_NE(e1->cookie, 0);
	EXPECT_EQ(e1->cookie, e2->cookie);
	EXPECT_EQ(e3->wd, wf);
	EXPECT_EQ(e3->mask, IN_MOVE_SELF);
	EXPECT_EQ(e3->len, 0);
	EXPECT_EQ(n, (char *)e3 + sizeof(*e3) - buf);

	/* A second move gets a new cookie; a directory move says ISDIR. */
	EXPECT_SYS(mkdir("a/sub", 0755));
	EXPECT_SYS(rename("a/sub", "a/sub2"));
	uint32_t c2 = 0;
	char want[256];
	snprintf(want, sizeof(want), "%d:MOVED_FROM|ISDIR:sub;%d:MOVED_TO|ISDIR:sub2;", wa, wa);
	EXPECT_STREQ(drain(fd, &c2), want);
	EXPECT_NE(c2, 0);
	EXPECT_NE(c2, e1->cookie);
	close(fd);
}

TEST(oneshot_fires_once)
{
	int fd = EXPECT_SYS(new_inotify());
	if (!MAKE_FILE("f", "x"))
		return;
	int wd = EXPECT_SYS(inotify_add_watch(fd, "f", IN_MODIFY | IN_ONESHOT));
	int f = EXPECT_SYS(open("f", O_WRONLY));
	EXPECT_EQ(write(f, "a", 1), 1);
	EXPECT_EQ(write(f, "b", 1), 1);
	close(f);
	char want[128];
	snprintf(want, sizeof(want), "%d:MODIFY:;%d:IGNORED:;", wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	EXPECT_ERRNO(inotify_rm_watch(fd, wd), EINVAL);
	close(fd);
}

TEST(rm_watch_queues_ignored)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("d", 0755));
	int wd = EXPECT_SYS(inotify_add_watch(fd, "d", IN_ALL_EVENTS));
	EXPECT_SYS(inotify_rm_watch(fd, wd));
	EXPECT_ERRNO(inotify_rm_watch(fd, wd), EINVAL);
	EXPECT_ERRNO(inotify_rm_watch(fd, 12345), EINVAL);
	EXPECT_SYS(mkdir("d/x", 0755)); /* no longer watched */
	char want[64];
	snprintf(want, sizeof(want), "%d:IGNORED:;", wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}

TEST(identical_consecutive_events_coalesce)
{
	int fd = EXPECT_SYS(new_inotify());
	if (!MAKE_FILE("f", ""))
		return;
	int wd = EXPECT_SYS(inotify_add_watch(fd, "f", IN_MODIFY | IN_ACCESS));
	int f = EXPECT_SYS(open("f", O_RDWR));
	for (int i = 0; i < 5; i++)
		EXPECT_EQ(write(f, "a", 1), 1);
	EXPECT_EQ(pread(f, (char[1]){0}, 1, 0), 1);
	EXPECT_EQ(write(f, "a", 1), 1);
	close(f);
	char want[128];
	snprintf(want, sizeof(want), "%d:MODIFY:;%d:ACCESS:;%d:MODIFY:;", wd, wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}

TEST(read_needs_room_for_an_event_and_fionread_counts_bytes)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(inotify_add_watch(fd, "d", IN_CREATE));
	int avail = -1;
	EXPECT_SYS(ioctl(fd, FIONREAD, &avail));
	EXPECT_EQ(avail, 0);
	if (!MAKE_FILE("d/name", ""))
		return;
	if (!MAKE_FILE("d/other", ""))
		return;
	EXPECT_SYS(ioctl(fd, FIONREAD, &avail));
	EXPECT_EQ(avail, 2 * (sizeof(struct inotify_event) + 16));
	char buf[256] __attribute__((aligned(8)));
	EXPECT_ERRNO(read(fd, buf, sizeof(struct inotify_event)), EINVAL);
	EXPECT_ERRNO(read(fd, buf, sizeof(struct inotify_event) + 15), EINVAL);
	/* Room for one event: one is returned. */
	EXPECT_EQ(read(fd, buf, sizeof(struct inotify_event) + 20),
		  sizeof(struct inotify_event) + 16);
	struct inotify_event *e = (struct inotify_event *)buf;
	EXPECT_EQ(e->len, 16);
	EXPECT_STREQ(e->name, "name");
	EXPECT_SYS(ioctl(fd, FIONREAD, &avail));
	EXPECT_EQ(avail, sizeof(struct inotify_event) + 16);
	close(fd);
}

TEST(poll_reports_readiness)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(inotify_add_watch(fd, "d", IN_CREATE));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	EXPECT_EQ(poll(&p, 1, 0), 0);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(mkdir("d/late", 0755) == 0 ? 0 : 1);
	}
	EXPECT_EQ(poll(&p, 1, 5000), 1);
	EXPECT_EQ(p.revents, POLLIN);
	int st;
	waitpid(pid, &st, 0);
	EXPECT_EQ(WEXITSTATUS(st), 0);
	drain(fd, NULL);
	EXPECT_EQ(poll(&p, 1, 0), 0);
	close(fd);
}

static void on_alarm(int sig)
{
	(void)sig;
}

TEST(blocking_read_waits_and_is_interrupted)
{
	int fd = EXPECT_SYS(inotify_init1(0));
	EXPECT_SYS(mkdir("d", 0755));
	int wd = EXPECT_SYS(inotify_add_watch(fd, "d", IN_CREATE));
	char buf[256] __attribute__((aligned(8)));
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(mkdir("d/x", 0755) == 0 ? 0 : 1);
	}
	ssize_t n = EXPECT_SYS(read(fd, buf, sizeof(buf)));
	EXPECT_EQ(n, sizeof(struct inotify_event) + 16);
	EXPECT_EQ(((struct inotify_event *)buf)->wd, wd);
	int st;
	waitpid(pid, &st, 0);

	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {.it_value = {.tv_usec = 100000}};
	setitimer(ITIMER_REAL, &it, NULL);
	EXPECT_ERRNO(read(fd, buf, sizeof(buf)), EINTR);
	signal(SIGALRM, SIG_DFL);
	close(fd);
}

TEST(excl_unlink_hides_events_of_unlinked_children)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("d", 0755));
	int f = EXPECT_SYS(open("d/f", O_RDWR | O_CREAT, 0644));
	int wd = EXPECT_SYS(inotify_add_watch(fd, "d", IN_MODIFY | IN_DELETE | IN_EXCL_UNLINK));
	EXPECT_EQ(write(f, "a", 1), 1);
	EXPECT_SYS(unlink("d/f"));
	EXPECT_EQ(write(f, "b", 1), 1); /* unlinked: not reported */
	close(f);
	char want[128];
	snprintf(want, sizeof(want), "%d:MODIFY:f;%d:DELETE:f;", wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}

TEST(epoll_reports_readiness)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("d", 0755));
	int wd = EXPECT_SYS(inotify_add_watch(fd, "d", IN_CREATE));
	int ep = EXPECT_SYS(epoll_create1(EPOLL_CLOEXEC));
	struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
	EXPECT_SYS(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(100000);
		_exit(mkdir("d/late", 0755) == 0 ? 0 : 1);
	}
	memset(&ev, 0, sizeof(ev));
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
	EXPECT_EQ(ev.events, EPOLLIN);
	EXPECT_EQ(ev.data.u32, 7);
	int st;
	waitpid(pid, &st, 0);
	char want[64];
	snprintf(want, sizeof(want), "%d:CREATE|ISDIR:late;", wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	EXPECT_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	close(ep);
	close(fd);
}

TEST(rename_over_a_file_deletes_it)
{
	int fd = EXPECT_SYS(new_inotify());
	if (!MAKE_FILE("a", "a") || !MAKE_FILE("b", "b"))
		return;
	int wdir = EXPECT_SYS(inotify_add_watch(fd, ".", IN_MOVE));
	int wb = EXPECT_SYS(inotify_add_watch(fd, "b", IN_ALL_EVENTS));
	EXPECT_SYS(rename("a", "b"));
	char want[256];
	snprintf(want, sizeof(want),
		 "%d:MOVED_FROM:a;%d:MOVED_TO:b;%d:ATTRIB:;%d:DELETE_SELF:;%d:IGNORED:;", wdir,
		 wdir, wb, wb, wb);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}

TEST(rename_exchange_reports_both_moves)
{
	int fd = EXPECT_SYS(new_inotify());
	if (!MAKE_FILE("a", "a"))
		return;
	EXPECT_SYS(mkdir("b", 0755));
	int wdir = EXPECT_SYS(inotify_add_watch(fd, ".", IN_MOVE));
	int wa = EXPECT_SYS(inotify_add_watch(fd, "a", IN_MOVE_SELF));
	int wb = EXPECT_SYS(inotify_add_watch(fd, "b", IN_MOVE_SELF));
	EXPECT_SYS(renameat2(AT_FDCWD, "a", AT_FDCWD, "b", RENAME_EXCHANGE));
	char want[256];
	snprintf(want, sizeof(want),
		 "%d:MOVED_FROM:a;%d:MOVED_TO:b;%d:MOVE_SELF:;"
		 "%d:MOVED_FROM|ISDIR:b;%d:MOVED_TO|ISDIR:a;%d:MOVE_SELF:;",
		 wdir, wdir, wa, wdir, wdir, wb);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}

TEST(delete_self_waits_for_the_last_close)
{
	int fd = EXPECT_SYS(new_inotify());
	if (!MAKE_FILE("f", "x"))
		return;
	int wd = EXPECT_SYS(inotify_add_watch(fd, "f", IN_ATTRIB | IN_DELETE_SELF));
	int f = EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(unlink("f"));
	char want[128];
	snprintf(want, sizeof(want), "%d:ATTRIB:;", wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(f);
	snprintf(want, sizeof(want), "%d:DELETE_SELF:;%d:IGNORED:;", wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}

TEST(full_queue_ends_with_one_overflow_event)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("d/f", ""))
		return;
	EXPECT_SYS(inotify_add_watch(fd, "d", IN_OPEN | IN_CLOSE_NOWRITE));
	/* OPEN and CLOSE_NOWRITE alternate, so nothing coalesces: 24000
	 * events, more than the default limit of 16384. */
	for (int i = 0; i < 12000; i++) {
		int f = open("d/f", O_RDONLY);
		if (f < 0) {
			FAIL("open: %s", strerror(errno));
			return;
		}
		close(f);
	}
	static char buf[65536] __attribute__((aligned(8)));
	long events = 0, overflows = 0;
	int last_wd = 0;
	uint32_t last_mask = 0;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r <= 0)
			break;
		for (ssize_t off = 0; off < r;) {
			struct inotify_event *e = (struct inotify_event *)(buf + off);
			events++;
			overflows += (e->mask & IN_Q_OVERFLOW) != 0;
			last_wd = e->wd;
			last_mask = e->mask;
			off += (ssize_t)sizeof(*e) + e->len;
		}
	}
	EXPECT_EQ(overflows, 1);
	EXPECT_EQ(last_mask, IN_Q_OVERFLOW);
	EXPECT_EQ(last_wd, -1);
	EXPECT_GE(events, 1001);
	EXPECT_LT(events, 24000);
	/* Once drained, events flow again. */
	int f = EXPECT_SYS(open("d/f", O_RDONLY));
	close(f);
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 2 * (sizeof(struct inotify_event) + 16));
	close(fd);
}

TEST(listing_a_directory)
{
	int fd = EXPECT_SYS(new_inotify());
	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("d/f", ""))
		return;
	int wd = EXPECT_SYS(inotify_add_watch(fd, "d", IN_ALL_EVENTS));
	DIR *dir = opendir("d");
	if (!EXPECT_TRUE(dir != NULL))
		return;
	int n = 0;
	while (readdir(dir))
		n++;
	closedir(dir);
	EXPECT_EQ(n, 3);
	char want[128];
	snprintf(want, sizeof(want), "%d:OPEN|ISDIR:;%d:ACCESS|ISDIR:;%d:CLOSE_NOWRITE|ISDIR:;", wd,
		 wd, wd);
	EXPECT_STREQ(drain(fd, NULL), want);
	close(fd);
}
