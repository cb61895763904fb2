/*
 * mount(2), umount2(2), chroot(2), unshare(2).
 *
 * The test first moves into its own mount namespace (unshare(CLONE_NEWNS)
 * + mount --make-rprivate /), so natively nothing it mounts reaches the
 * host (under the sentry nothing would anyway). Both runs assert the same.
 */
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "harness.h"

__attribute__((constructor)) static void private_mount_ns(void)
{
	if (unshare(CLONE_NEWNS) != 0) {
		fprintf(stderr, "mount_test: unshare(CLONE_NEWNS): %s (run as root)\n",
			strerror(errno));
		exit(2);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		fprintf(stderr, "mount_test: make-rprivate /: %s\n", strerror(errno));
		exit(2);
	}
}

static dev_t dev_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_dev : (dev_t)-1;
}

/* Does /proc/self/<file> have a line containing needle? */
static bool mounts_contain(const char *file, const char *needle)
{
	char path[64], line[4096];
	snprintf(path, sizeof(path), "/proc/self/%s", file);
	FILE *f = fopen(path, "r");
	if (!f)
		return false;
	bool found = false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			found = true;
	fclose(f);
	return found;
}

/* " <testdir>/<rel> " as it appears in /proc/self/mounts */
static const char *mnt_needle(const char *rel, const char *suffix)
{
	static char buf[PATH_MAX + 64];
	snprintf(buf, sizeof(buf), " %s/%s %s", harness_testdir, rel, suffix);
	return buf;
}

TEST(tmpfs_mount_create_umount)
{
	struct stat st;
	if (EXPECT_SYS(mkdir("mnt", 0755)) == -1)
		return;
	dev_t before = dev_of("mnt");
	if (EXPECT_SYS(mount("tmpfs", "mnt", "tmpfs", 0, "size=1m,mode=0750,uid=0,gid=0")) == -1)
		return;
	EXPECT_NE(dev_of("mnt"), before);
	EXPECT_SYS(stat("mnt", &st));
	EXPECT_EQ(st.st_mode, S_IFDIR | 0750);
	EXPECT_TRUE(mounts_contain("mounts", mnt_needle("mnt", "tmpfs rw")));
	EXPECT_TRUE(mounts_contain("mountinfo", mnt_needle("mnt", "rw")));
	MAKE_FILE("mnt/f", "hello");
	int fd = EXPECT_SYS(open("mnt/f", O_RDONLY));
	EXPECT_ERRNO(rmdir("mnt"), EBUSY);
	EXPECT_ERRNO(rename("mnt", "mnt2"), EBUSY);
	/* An open file keeps the mount busy. */
	EXPECT_ERRNO(umount2("mnt", 0), EBUSY);
	close(fd);
	EXPECT_SYS(umount2("mnt", 0));
	EXPECT_ERRNO(stat("mnt/f", &st), ENOENT);
	EXPECT_EQ(dev_of("mnt"), before);
	EXPECT_TRUE(!mounts_contain("mounts", mnt_needle("mnt", "tmpfs")));
}

TEST(mount_errors)
{
	EXPECT_SYS(mkdir("d", 0755));
	MAKE_FILE("file", "x");
	EXPECT_ERRNO(mount("tmpfs", "d", "tmpfs", 0, "bogus=1"), EINVAL);
	EXPECT_ERRNO(mount("tmpfs", "d", "tmpfs", 0, "mode=abc"), EINVAL);
	EXPECT_ERRNO(mount("tmpfs", "d", "tmpfs", 0, "size=-1"), EINVAL);
	EXPECT_ERRNO(mount("x", "d", "nosuchfs", 0, NULL), ENODEV);
	EXPECT_ERRNO(mount("tmpfs", "file", "tmpfs", 0, NULL), ENOTDIR);
	EXPECT_ERRNO(mount("tmpfs", "missing", "tmpfs", 0, NULL), ENOENT);
	EXPECT_ERRNO(mount("tmpfs", "d", "tmpfs", MS_NOUSER, NULL), EINVAL);
	/* A bind of a directory onto a file and vice versa. */
	EXPECT_ERRNO(mount("d", "file", NULL, MS_BIND, NULL), ENOTDIR);
	EXPECT_ERRNO(mount("file", "d", NULL, MS_BIND, NULL), ENOTDIR);
	EXPECT_ERRNO(mount("missing", "d", NULL, MS_BIND, NULL), ENOENT);
	/* Remount and propagation changes need a mount root. */
	EXPECT_ERRNO(mount(NULL, "d", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), EINVAL);
	EXPECT_ERRNO(mount(NULL, "d", NULL, MS_PRIVATE, NULL), EINVAL);
	/* A removed directory is no mountpoint. */
	EXPECT_SYS(mkdir("gone", 0755));
	EXPECT_SYS(chdir("gone"));
	EXPECT_SYS(rmdir("../gone"));
	EXPECT_ERRNO(mount("tmpfs", ".", "tmpfs", 0, NULL), ENOENT);
	EXPECT_SYS(chdir(harness_testdir));
}

TEST(bind_readonly_remount)
{
	EXPECT_SYS(mkdir("src", 0755));
	EXPECT_SYS(mkdir("dst", 0755));
	MAKE_FILE("src/f", "data");
	if (EXPECT_SYS(mount("src", "dst", NULL, MS_BIND, NULL)) == -1)
		return;
	char buf[8] = {0};
	int fd = EXPECT_SYS(open("dst/f", O_RDONLY));
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 4);
	EXPECT_STREQ(buf, "data");
	close(fd);
	EXPECT_SYS(mount(NULL, "dst", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL));
	EXPECT_ERRNO(open("dst/f", O_WRONLY), EROFS);
	EXPECT_ERRNO(mkdir("dst/x", 0755), EROFS);
	EXPECT_ERRNO(unlink("dst/f"), EROFS);
	EXPECT_TRUE(mounts_contain("mounts", mnt_needle("dst", "")));
	/* The source stays writable. */
	fd = EXPECT_SYS(open("src/f", O_WRONLY | O_APPEND));
	EXPECT_EQ(write(fd, "!", 1), 1);
	close(fd);
	/* Back to read-write. */
	EXPECT_SYS(mount(NULL, "dst", NULL, MS_BIND | MS_REMOUNT, NULL));
	fd = EXPECT_SYS(open("dst/f", O_WRONLY));
	close(fd);
	EXPECT_SYS(umount2("dst", 0));
	EXPECT_ERRNO(open("dst/f", O_RDONLY), ENOENT);
}

TEST(bind_recursive)
{
	EXPECT_SYS(mkdir("src", 0755));
	EXPECT_SYS(mkdir("src/sub", 0755));
	EXPECT_SYS(mkdir("a", 0755));
	EXPECT_SYS(mkdir("b", 0755));
	if (EXPECT_SYS(mount("tmpfs", "src/sub", "tmpfs", 0, NULL)) == -1)
		return;
	MAKE_FILE("src/sub/inner", "x");
	EXPECT_SYS(mount("src", "a", NULL, MS_BIND, NULL));
	EXPECT_SYS(mount("src", "b", NULL, MS_BIND | MS_REC, NULL));
	struct stat st;
	/* Without MS_REC the submount is not copied. */
	EXPECT_ERRNO(stat("a/sub/inner", &st), ENOENT);
	EXPECT_EQ(dev_of("a/sub"), dev_of("a"));
	EXPECT_SYS(stat("b/sub/inner", &st));
	EXPECT_EQ(dev_of("b/sub"), dev_of("src/sub"));
	/* b has a mount below it: busy. */
	EXPECT_ERRNO(umount2("b", 0), EBUSY);
	EXPECT_SYS(umount2("b/sub", 0));
	EXPECT_SYS(umount2("b", 0));
	EXPECT_SYS(umount2("a", 0));
	EXPECT_SYS(umount2("src/sub", 0));
}

TEST(proc_mount_shows_our_pid)
{
	char path[64], link[64];
	struct stat st;
	EXPECT_SYS(mkdir("p", 0755));
	if (EXPECT_SYS(mount("proc", "p", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)) == -1)
		return;
	snprintf(path, sizeof(path), "p/%d/status", (int)getpid());
	EXPECT_SYS(stat(path, &st));
	ssize_t n = EXPECT_SYS(readlink("p/self", link, sizeof(link) - 1));
	if (n > 0) {
		link[n] = '\0';
		EXPECT_EQ(atoi(link), getpid());
	}
	EXPECT_TRUE(mounts_contain("mounts", mnt_needle("p", "proc rw,nosuid,nodev,noexec")));
	EXPECT_SYS(umount2("p", 0));
	EXPECT_ERRNO(stat(path, &st), ENOENT);
}

TEST(remount_readonly_tmpfs)
{
	EXPECT_SYS(mkdir("m", 0755));
	if (EXPECT_SYS(mount("tmpfs", "m", "tmpfs", 0, NULL)) == -1)
		return;
	MAKE_FILE("m/f", "x");
	EXPECT_SYS(mount(NULL, "m", NULL, MS_REMOUNT | MS_RDONLY, NULL));
	EXPECT_ERRNO(open("m/f", O_WRONLY), EROFS);
	EXPECT_ERRNO(open("m/g", O_CREAT | O_WRONLY, 0644), EROFS);
	EXPECT_TRUE(mounts_contain("mounts", mnt_needle("m", "tmpfs ro")));
	EXPECT_SYS(mount(NULL, "m", NULL, MS_REMOUNT, NULL));
	int fd = EXPECT_SYS(open("m/f", O_WRONLY));
	close(fd);
	EXPECT_SYS(umount2("m", 0));
}

TEST(noexec_mount)
{
	EXPECT_SYS(mkdir("m", 0755));
	if (EXPECT_SYS(mount("tmpfs", "m", "tmpfs", MS_NOEXEC, NULL)) == -1)
		return;
	if (!EXPECT_TRUE(harness_write_file("m/script", "#!/bin/sh\nexit 0\n", 17, 0755)))
		goto out;
	pid_t pid = fork();
	if (pid == 0) {
		char *argv[] = {"script", NULL};
		execve("m/script", argv, argv + 1);
		_exit(errno == EACCES ? 42 : 1);
	}
	int status = 0;
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 42);
	EXPECT_TRUE(mounts_contain("mounts", mnt_needle("m", "tmpfs rw,noexec")));
out:
	unlink("m/script");
	EXPECT_SYS(umount2("m", 0));
}

TEST(propagation_and_move)
{
	EXPECT_SYS(mkdir("a", 0755));
	EXPECT_SYS(mkdir("b", 0755));
	if (EXPECT_SYS(mount("tmpfs", "a", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mount(NULL, "a", NULL, MS_PRIVATE, NULL));
	EXPECT_SYS(mount(NULL, "a", NULL, MS_REC | MS_SLAVE, NULL));
	EXPECT_ERRNO(mount(NULL, "a", NULL, MS_PRIVATE | MS_SHARED, NULL), EINVAL);
	EXPECT_SYS(mount(NULL, "a", NULL, MS_PRIVATE, NULL));
	MAKE_FILE("a/f", "x");
	/* Into itself: ELOOP. */
	EXPECT_SYS(mkdir("a/in", 0755));
	EXPECT_ERRNO(mount("a", "a/in", NULL, MS_MOVE, NULL), ELOOP);
	EXPECT_SYS(mount("a", "b", NULL, MS_MOVE, NULL));
	struct stat st;
	EXPECT_SYS(stat("b/f", &st));
	EXPECT_ERRNO(stat("a/f", &st), ENOENT);
	EXPECT_ERRNO(umount2("a", 0), EINVAL);
	EXPECT_SYS(umount2("b", 0));
}

TEST(umount_errors_and_detach)
{
	EXPECT_SYS(mkdir("plain", 0755));
	EXPECT_ERRNO(umount2("plain", 0), EINVAL);
	EXPECT_ERRNO(umount2("missing", 0), ENOENT);
	EXPECT_ERRNO(umount2("plain", 0x100), EINVAL);
	EXPECT_SYS(mkdir("m", 0755));
	if (EXPECT_SYS(mount("tmpfs", "m", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mkdir("m/sub", 0755));
	EXPECT_SYS(mount("tmpfs", "m/sub", "tmpfs", 0, NULL));
	/* A working directory inside keeps it busy. */
	EXPECT_SYS(chdir("m"));
	EXPECT_ERRNO(umount2(".", 0), EBUSY);
	EXPECT_SYS(chdir(harness_testdir));
	/* A mount below keeps it busy too. */
	EXPECT_ERRNO(umount2("m", 0), EBUSY);
	EXPECT_SYS(chdir("m"));
	/* MNT_DETACH: gone from the table at once, the cwd still works. */
	EXPECT_ERRNO(umount2(harness_testdir, 0), EINVAL); /* not a mount */
	char abs[PATH_MAX + 8];
	snprintf(abs, sizeof(abs), "%s/m", harness_testdir);
	EXPECT_SYS(umount2(abs, MNT_DETACH | MNT_FORCE));
	EXPECT_TRUE(!mounts_contain("mounts", mnt_needle("m", "")));
	EXPECT_TRUE(!mounts_contain("mounts", mnt_needle("m/sub", "")));
	MAKE_FILE("still_here", "x");
	struct stat st, dotdot;
	EXPECT_SYS(stat("still_here", &st));
	/* ".." of a detached mount's root is itself. */
	EXPECT_SYS(stat("..", &dotdot));
	EXPECT_SYS(stat(".", &st));
	EXPECT_EQ(dotdot.st_ino, st.st_ino);
	EXPECT_EQ(dotdot.st_dev, st.st_dev);
	/* Nothing can be mounted in a detached tree. */
	EXPECT_ERRNO(mount("tmpfs", ".", "tmpfs", 0, NULL), ENOENT);
	EXPECT_SYS(chdir(harness_testdir));
	EXPECT_ERRNO(stat("m/still_here", &st), ENOENT);
	EXPECT_ERRNO(stat("m/sub", &st), ENOENT);
	/* UMOUNT_NOFOLLOW on a symlink to a mount: the link is no mount. */
	EXPECT_SYS(mount("tmpfs", "m", "tmpfs", 0, NULL));
	EXPECT_SYS(symlink("m", "lnk"));
	EXPECT_ERRNO(umount2("lnk", UMOUNT_NOFOLLOW), EINVAL);
	EXPECT_SYS(umount2("lnk", 0));
}

static int wait_child(pid_t pid)
{
	int status = 0;
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* In a child: "/" is the new root, ".." does not leave it. */
TEST(chroot_confines_paths)
{
	EXPECT_SYS(mkdir("r", 0755));
	EXPECT_SYS(mkdir("r/sub", 0755));
	EXPECT_SYS(mkdir("r/proc", 0755));
	MAKE_FILE("r/marker", "m");
	MAKE_FILE("file", "f");
	EXPECT_ERRNO(chroot("missing"), ENOENT);
	EXPECT_ERRNO(chroot("file"), ENOTDIR);
	int sync_pipe[2], done_pipe[2];
	EXPECT_SYS(pipe(sync_pipe));
	EXPECT_SYS(pipe(done_pipe));
	pid_t pid = fork();
	if (pid == 0) {
		struct stat root, st;
		int bad = 0;
		if (chroot("r") != 0)
			_exit(10);
		/* chroot does not move the working directory. */
		if (stat("r/marker", &st) != 0)
			bad |= 1;
		if (chdir("/") != 0 || stat("/", &root) != 0)
			_exit(11);
		if (stat("/marker", &st) != 0)
			bad |= 2;
		if (stat("/..", &st) != 0 || st.st_ino != root.st_ino || st.st_dev != root.st_dev)
			bad |= 4;
		if (stat("/sub/../../../marker", &st) != 0)
			bad |= 8;
		if (stat("../../marker", &st) != 0)
			bad |= 16;
		char cwd[PATH_MAX];
		if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, "/") != 0)
			bad |= 32;
		/* /proc/mounts shows paths from the new root, and only mounts
		 * inside it. */
		if (mount("proc", "/proc", "proc", 0, NULL) != 0)
			_exit(200);
		if (!mounts_contain("mounts", " /proc proc ") ||
		    mounts_contain("mounts", harness_testdir) || mounts_contain("mounts", " / "))
			_exit(201);
		if (umount2("/proc", 0) != 0)
			_exit(202);
		if (write(sync_pipe[1], "x", 1) != 1)
			bad |= 64;
		char c;
		if (read(done_pipe[0], &c, 1) != 1)
			bad |= 128;
		_exit(bad);
	}
	char c;
	EXPECT_EQ(read(sync_pipe[0], &c, 1), 1);
	/* /proc/PID/root of the child is the new root, seen from ours. */
	char path[64], link[PATH_MAX], want[PATH_MAX + 8];
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	snprintf(want, sizeof(want), "%s/r", harness_testdir);
	ssize_t n = EXPECT_SYS(readlink(path, link, sizeof(link) - 1));
	if (n >= 0) {
		link[n] = '\0';
		EXPECT_STREQ(link, want);
	}
	snprintf(path, sizeof(path), "/proc/%d/root/marker", (int)pid);
	struct stat st;
	EXPECT_SYS(stat(path, &st));
	EXPECT_EQ(write(done_pipe[1], "x", 1), 1);
	EXPECT_EQ(wait_child(pid), 0);
	close(sync_pipe[0]);
	close(sync_pipe[1]);
	close(done_pipe[0]);
	close(done_pipe[1]);
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) != 0)
		return -1;
	data[cap / 32].effective &= ~(1U << (cap % 32));
	data[cap / 32].permitted &= ~(1U << (cap % 32));
	return (int)syscall(SYS_capset, &hdr, data);
}

TEST(eperm_without_capabilities)
{
	EXPECT_SYS(mkdir("m", 0755));
	EXPECT_SYS(mkdir("plain", 0755));
	EXPECT_SYS(mkdir("noacc", 0700));
	if (EXPECT_SYS(mount("tmpfs", "m", "tmpfs", 0, NULL)) == -1)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		int bad = 0;
		if (drop_cap(CAP_SYS_ADMIN) != 0)
			_exit(10);
		if (mount("tmpfs", "plain", "tmpfs", 0, NULL) != -1 || errno != EPERM)
			bad |= 1;
		if (mount("plain", "plain", NULL, MS_BIND, NULL) != -1 || errno != EPERM)
			bad |= 2;
		if (umount2("m", 0) != -1 || errno != EPERM)
			bad |= 4;
		/* EPERM comes before EINVAL for a non-mountpoint. */
		if (umount2("plain", 0) != -1 || errno != EPERM)
			bad |= 8;
		/* ENOENT before EPERM. */
		if (umount2("missing", 0) != -1 || errno != ENOENT)
			bad |= 16;
		/* chroot needs CAP_SYS_CHROOT, not CAP_SYS_ADMIN. */
		if (chroot(".") != 0)
			bad |= 32;
		if (unshare(CLONE_NEWNS) != -1 || errno != EPERM)
			bad |= 128;
		if (drop_cap(CAP_SYS_CHROOT) != 0)
			_exit(11);
		if (chroot("plain") != -1 || errno != EPERM)
			bad |= 64;
		_exit(bad);
	}
	EXPECT_EQ(wait_child(pid), 0);
	/* An unprivileged user: search permission (EACCES) is checked first. */
	pid = fork();
	if (pid == 0) {
		int bad = 0;
		if (setresuid(1000, 1000, 1000) != 0)
			_exit(10);
		if (chroot("noacc") != -1 || errno != EACCES)
			bad |= 1;
		if (chroot("plain") != -1 || errno != EPERM)
			bad |= 2;
		if (mount("tmpfs", "plain", "tmpfs", 0, NULL) != -1 || errno != EPERM)
			bad |= 4;
		_exit(bad);
	}
	EXPECT_EQ(wait_child(pid), 0);
	EXPECT_SYS(umount2("m", 0));
}

static int thread_pipe[2];

static void *fs_thread(void *arg)
{
	(void)arg;
	long bad = 0;
	if (unshare(CLONE_FS) != 0 || chdir("sub") != 0)
		bad |= 1;
	if (unshare(CLONE_FILES) != 0 || close(thread_pipe[0]) != 0)
		bad |= 2;
	return (void *)bad;
}

static void *blocked_thread(void *arg)
{
	(void)arg;
	char c;
	if (read(thread_pipe[0], &c, 1) != 1)
		return (void *)1;
	return NULL;
}

TEST(unshare_fs_files)
{
	EXPECT_SYS(unshare(0));
	EXPECT_SYS(unshare(CLONE_FS | CLONE_FILES));
	EXPECT_ERRNO(unshare(0x1), EINVAL); /* a CSIGNAL bit */
	EXPECT_SYS(mkdir("sub", 0755));
	EXPECT_SYS(pipe(thread_pipe));
	char before[PATH_MAX], after[PATH_MAX];
	EXPECT_TRUE(getcwd(before, sizeof(before)) != NULL);
	pthread_t th;
	void *ret = (void *)-1;
	EXPECT_EQ(pthread_create(&th, NULL, fs_thread, NULL), 0);
	EXPECT_EQ(pthread_join(th, &ret), 0);
	EXPECT_EQ((long)ret, 0);
	/* The thread's chdir and close happened in its own copies. */
	EXPECT_TRUE(getcwd(after, sizeof(after)) != NULL);
	EXPECT_STREQ(after, before);
	EXPECT_SYS(fcntl(thread_pipe[0], F_GETFD));
	/* With another thread alive the thread group cannot be unshared. */
	EXPECT_EQ(pthread_create(&th, NULL, blocked_thread, NULL), 0);
	EXPECT_ERRNO(unshare(CLONE_THREAD), EINVAL);
	EXPECT_ERRNO(unshare(CLONE_VM), EINVAL);
	EXPECT_EQ(write(thread_pipe[1], "x", 1), 1);
	EXPECT_EQ(pthread_join(th, &ret), 0);
	EXPECT_EQ((long)ret, 0);
	close(thread_pipe[0]);
	close(thread_pipe[1]);
}

/* A child's unshare(CLONE_NEWNS): it keeps copies of the existing mounts;
 * what either side mounts or unmounts afterwards stays on its side. */
TEST(unshare_newns_isolates)
{
	int to_parent[2], to_child[2];
	EXPECT_SYS(mkdir("shared", 0755));
	EXPECT_SYS(mkdir("priv", 0755));
	EXPECT_SYS(mkdir("late", 0755));
	if (EXPECT_SYS(mount("tmpfs", "shared", "tmpfs", 0, NULL)) == -1)
		return;
	MAKE_FILE("shared/a", "a");
	EXPECT_SYS(pipe(to_parent));
	EXPECT_SYS(pipe(to_child));
	dev_t plain = dev_of(".");
	pid_t pid = fork();
	if (pid == 0) {
		struct stat st;
		int bad = 0;
		char c;
		if (unshare(CLONE_NEWNS) != 0)
			_exit(10);
		if (stat("shared/a", &st) != 0)
			bad |= 1;
		if (mount("tmpfs", "priv", "tmpfs", 0, NULL) != 0)
			bad |= 2;
		if (!harness_write_file("priv/b", "b", 1, 0644))
			bad |= 4;
		if (!mounts_contain("mounts", mnt_needle("priv", "tmpfs")))
			bad |= 8;
		if (umount2("shared", 0) != 0)
			bad |= 16;
		if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &c, 1) != 1)
			bad |= 32;
		/* The parent's later mount is not here. */
		if (stat("late/c", &st) == 0 || errno != ENOENT)
			bad |= 64;
		if (umount2("priv", 0) != 0)
			bad |= 128;
		_exit(bad);
	}
	char c;
	struct stat st;
	EXPECT_EQ(read(to_parent[0], &c, 1), 1);
	EXPECT_ERRNO(stat("priv/b", &st), ENOENT);
	EXPECT_EQ(dev_of("priv"), plain);
	EXPECT_TRUE(!mounts_contain("mounts", mnt_needle("priv", "")));
	/* The child's umount of its copy left ours. */
	EXPECT_SYS(stat("shared/a", &st));
	EXPECT_SYS(mount("tmpfs", "late", "tmpfs", 0, NULL));
	MAKE_FILE("late/c", "c");
	EXPECT_EQ(write(to_child[1], "x", 1), 1);
	EXPECT_EQ(wait_child(pid), 0);
	/* Another namespace after the first child's is gone (freed with
	 * its last process). */
	pid = fork();
	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) == 0 && stat("late/c", &st) == 0 &&
			      stat("priv/b", &st) != 0 ? 0 : 1);
	EXPECT_EQ(wait_child(pid), 0);
	EXPECT_SYS(stat("shared/a", &st));
	EXPECT_SYS(umount2("late", 0));
	EXPECT_SYS(umount2("shared", 0));
	/* Mounts of other (finished) namespaces do not make these busy. */
	EXPECT_SYS(rmdir("late"));
	EXPECT_SYS(rmdir("shared"));
	EXPECT_SYS(rmdir("priv"));
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

/* clone(CLONE_NEWNS): the child starts in a copy of the parent's namespace. */
TEST(clone_newns)
{
	EXPECT_SYS(mkdir("m", 0755));
	dev_t plain = dev_of("m");
	long pid = syscall(SYS_clone, CLONE_NEWNS | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		if (mount("tmpfs", "m", "tmpfs", 0, NULL) != 0)
			_exit(1);
		_exit(dev_of("m") != plain && mounts_contain("mounts", mnt_needle("m", "tmpfs"))
			  ? 0 : 2);
	}
	EXPECT_GT(pid, 0);
	EXPECT_EQ(wait_child((pid_t)pid), 0);
	EXPECT_EQ(dev_of("m"), plain);
	EXPECT_TRUE(!mounts_contain("mounts", mnt_needle("m", "")));
	EXPECT_SYS(rmdir("m"));
	/* CLONE_NEWNS with CLONE_FS: EINVAL. */
	EXPECT_ERRNO(syscall(SYS_clone, CLONE_NEWNS | CLONE_FS | SIGCHLD, 0, 0, 0, 0), EINVAL);
}
