/*
 * Mount namespaces seen through /proc/PID/mounts and mountinfo, MS_REMOUNT
 * with filesystem options, and mount propagation (MS_SHARED/SLAVE/PRIVATE/
 * UNBINDABLE).
 *
 * As mount_test.c, the binary first moves into its own mount namespace
 * (unshare(CLONE_NEWNS) + mount --make-rprivate /), so natively nothing it
 * mounts or shares reaches the host.
 */
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/wait.h>

#include "harness.h"

__attribute__((constructor)) static void private_mount_ns(void)
{
	if (unshare(CLONE_NEWNS) != 0) {
		fprintf(stderr, "mount_ns_test: unshare(CLONE_NEWNS): %s (run as root)\n",
			strerror(errno));
		exit(2);
	}
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
		fprintf(stderr, "mount_ns_test: make-rprivate /: %s\n", strerror(errno));
		exit(2);
	}
}

static dev_t dev_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_dev : (dev_t)-1;
}

static int wait_child(pid_t pid)
{
	int st;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The line of /proc/<pid>/<file> whose mountpoint field is <testdir>/<rel>
 * ("" if none) into out. Mountpoint: field 2 of mounts, 5 of mountinfo. */
static bool mount_line(const char *pid, const char *file, const char *rel, char *out,
		       size_t size)
{
	char path[64], line[4096], want[PATH_MAX + 8];
	snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
	if (rel[0] == '/')
		snprintf(want, sizeof(want), "%s", rel);
	else
		snprintf(want, sizeof(want), "%s/%s", harness_testdir, rel);
	FILE *f = fopen(path, "r");
	out[0] = '\0';
	if (!f)
		return false;
	int field = strcmp(file, "mountinfo") == 0 ? 5 : 2;
	bool found = false;
	while (fgets(line, sizeof(line), f)) {
		char copy[4096], *save = NULL, *tok = NULL;
		snprintf(copy, sizeof(copy), "%s", line);
		tok = strtok_r(copy, " ", &save);
		for (int i = 1; i < field && tok; i++)
			tok = strtok_r(NULL, " ", &save);
		if (tok && strcmp(tok, want) == 0) {
			snprintf(out, size, "%s", line); /* the last (top) one wins */
			found = true;
		}
	}
	fclose(f);
	return found;
}

/* The value N of " <tag>:N" in a mountinfo line, 0 if absent. */
static int tag_value(const char *line, const char *tag)
{
	char pat[32];
	snprintf(pat, sizeof(pat), " %s:", tag);
	const char *p = strstr(line, pat);
	return p ? atoi(p + strlen(pat)) : 0;
}

/* A process blocked until told to go; returns its pid, the pipe to release it
 * in *go. The child runs fn first and reports its result before waiting. */
static pid_t spawn_waiting(int (*fn)(void), int *go)
{
	int ready[2], rel[2];
	if (pipe(ready) != 0 || pipe(rel) != 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c = (char)fn();
		close(ready[0]);
		close(rel[1]);
		if (write(ready[1], &c, 1) != 1)
			_exit(99);
		_exit(read(rel[0], &c, 1) == 1 ? 0 : 98);
	}
	close(ready[1]);
	close(rel[0]);
	char c = 1;
	if (read(ready[0], &c, 1) != 1 || c != 0) {
		close(ready[0]);
		close(rel[1]);
		kill(pid, SIGKILL);
		wait_child(pid);
		return -1;
	}
	close(ready[0]);
	*go = rel[1];
	return pid;
}

static int child_unshare_and_mount(void)
{
	if (unshare(CLONE_NEWNS) != 0)
		return 1;
	return mount("tmpfs", "inner", "tmpfs", 0, "size=1m") == 0 ? 0 : 2;
}

/* /proc/PID/mounts and mountinfo show PID's namespace, not the reader's. */
TEST(proc_pid_mounts_show_its_namespace)
{
	char line[4096], pid[16];
	EXPECT_SYS(mkdir("inner", 0755));
	int go = -1;
	pid_t child = spawn_waiting(child_unshare_and_mount, &go);
	if (!EXPECT_GT(child, 0))
		return;
	snprintf(pid, sizeof(pid), "%d", child);
	EXPECT_TRUE(mount_line(pid, "mounts", "inner", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs rw") != NULL);
	EXPECT_TRUE(mount_line(pid, "mountinfo", "inner", line, sizeof(line)));
	EXPECT_TRUE(!mount_line("self", "mounts", "inner", line, sizeof(line)));
	EXPECT_TRUE(!mount_line("self", "mountinfo", "inner", line, sizeof(line)));
	/* And the child's view lists our testdir's parent mounts too (copies). */
	EXPECT_TRUE(mount_line(pid, "mounts", "/proc", line, sizeof(line)));
	/* Its mount, reached through /proc/PID/root, is not ours to change. */
	char other[PATH_MAX + 64];
	snprintf(other, sizeof(other), "/proc/%d/root%s/inner", child, harness_testdir);
	struct stat st;
	EXPECT_SYS(stat(other, &st));
	EXPECT_NE(st.st_dev, dev_of("inner"));
	EXPECT_ERRNO(umount2(other, 0), EINVAL);
	EXPECT_ERRNO(mount(NULL, other, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), EINVAL);
	EXPECT_EQ(write(go, "x", 1), 1);
	close(go);
	EXPECT_EQ(wait_child(child), 0);
	EXPECT_SYS(rmdir("inner"));
}

static int child_chroot(void)
{
	if (chroot("root") != 0 || chdir("/") != 0)
		return 1;
	return 0;
}

/* Mounts outside PID's root are hidden; the others are relative to it. */
TEST(proc_pid_mounts_relative_to_root)
{
	char line[4096], pid[16];
	EXPECT_SYS(mkdir("root", 0755));
	EXPECT_SYS(mkdir("root/in", 0755));
	EXPECT_SYS(mkdir("out", 0755));
	if (EXPECT_SYS(mount("tmpfs", "root/in", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mount("tmpfs", "out", "tmpfs", 0, NULL));
	int go = -1;
	pid_t child = spawn_waiting(child_chroot, &go);
	if (!EXPECT_GT(child, 0))
		return;
	snprintf(pid, sizeof(pid), "%d", child);
	EXPECT_TRUE(mount_line(pid, "mounts", "/in", line, sizeof(line)));
	EXPECT_TRUE(mount_line(pid, "mountinfo", "/in", line, sizeof(line)));
	EXPECT_TRUE(!mount_line(pid, "mounts", "out", line, sizeof(line)));
	EXPECT_TRUE(!mount_line(pid, "mounts", "/out", line, sizeof(line)));
	/* Our own view is unchanged. */
	EXPECT_TRUE(mount_line("self", "mounts", "root/in", line, sizeof(line)));
	EXPECT_EQ(write(go, "x", 1), 1);
	close(go);
	EXPECT_EQ(wait_child(child), 0);
	EXPECT_SYS(umount2("root/in", 0));
	EXPECT_SYS(umount2("out", 0));
}

/* mountinfo's root field: the bound directory inside its filesystem. */
TEST(mountinfo_bind_root_field)
{
	char line[4096];
	EXPECT_SYS(mkdir("t", 0755));
	EXPECT_SYS(mkdir("b", 0755));
	if (EXPECT_SYS(mount("tmpfs", "t", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mkdir("t/sub", 0755));
	EXPECT_SYS(mkdir("t/sub/dir", 0755));
	EXPECT_SYS(mount("t/sub/dir", "b", NULL, MS_BIND, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "b", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " /sub/dir ") != NULL);
	EXPECT_TRUE(mount_line("self", "mountinfo", "t", line, sizeof(line)));
	/* The mount id (field 1) is the one fdinfo shows. */
	int id = atoi(line);
	int fd = EXPECT_SYS(open("t", O_RDONLY | O_DIRECTORY));
	char path[64], buf[512];
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	int in = EXPECT_SYS(open(path, O_RDONLY));
	ssize_t n = read(in, buf, sizeof(buf) - 1);
	EXPECT_GT(n, 0);
	buf[n > 0 ? n : 0] = '\0';
	const char *p = strstr(buf, "mnt_id:");
	EXPECT_TRUE(p != NULL);
	if (p)
		EXPECT_EQ(atoi(p + 7), id);
	close(in);
	close(fd);
	EXPECT_SYS(umount2("b", 0));
	EXPECT_SYS(umount2("t", 0));
}

static bool write_ok(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* MS_REMOUNT of a tmpfs: size= and nr_inodes= change; mode=/uid= are taken
 * and ignored; ro/rw of the superblock; unknown options EINVAL. */
TEST(remount_tmpfs_options)
{
	char line[4096];
	struct stat st;
	struct statfs sf;
	EXPECT_SYS(mkdir("m", 0755));
	if (EXPECT_SYS(mount("none", "m", "tmpfs", 0, "size=1m")) == -1)
		return;
	EXPECT_TRUE(mount_line("self", "mounts", "m", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs rw,relatime,size=1024k 0 0") != NULL);
	EXPECT_SYS(mount("none", "m", NULL, MS_REMOUNT, "size=2m,mode=700,uid=5"));
	EXPECT_TRUE(mount_line("self", "mounts", "m", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs rw,relatime,size=2048k 0 0") != NULL);
	EXPECT_SYS(stat("m", &st));
	EXPECT_EQ(st.st_mode & 07777, 01777);
	EXPECT_EQ(st.st_uid, 0);
	EXPECT_SYS(statfs("m", &sf));
	EXPECT_EQ(sf.f_blocks * sf.f_bsize, 2 << 20);
	/* Not while a file is open for writing on it. */
	int wfd = EXPECT_SYS(open("m/w", O_WRONLY | O_CREAT, 0644));
	EXPECT_ERRNO(mount("none", "m", NULL, MS_REMOUNT | MS_RDONLY, "size=2048k"), EBUSY);
	close(wfd);
	EXPECT_SYS(unlink("m/w"));
	/* Read-only: the superblock and the mount. */
	EXPECT_SYS(mount("none", "m", NULL, MS_REMOUNT | MS_RDONLY, "size=2048k"));
	EXPECT_TRUE(mount_line("self", "mounts", "m", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs ro,relatime,size=2048k 0 0") != NULL);
	EXPECT_TRUE(mount_line("self", "mountinfo", "m", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " ro,relatime - tmpfs none ro,size=2048k") != NULL);
	EXPECT_TRUE(!write_ok("m/f"));
	EXPECT_EQ(errno, EROFS);
	/* "rw" in the data string counts as MS_RDONLY's absence does. */
	EXPECT_SYS(mount("none", "m", NULL, MS_REMOUNT, "rw"));
	EXPECT_TRUE(write_ok("m/f"));
	EXPECT_ERRNO(mount("none", "m", NULL, MS_REMOUNT, "foo=1"), EINVAL);
	EXPECT_ERRNO(mount("none", "m", NULL, MS_REMOUNT, "size=abc"), EINVAL);
	/* nr_inodes: the root counts; past it ENOSPC; not below use. */
	EXPECT_SYS(mount("none", "m", NULL, MS_REMOUNT, "nr_inodes=3"));
	EXPECT_TRUE(write_ok("m/g"));
	EXPECT_TRUE(!write_ok("m/h"));
	EXPECT_EQ(errno, ENOSPC);
	EXPECT_ERRNO(mkdir("m/d", 0755), ENOSPC);
	EXPECT_SYS(statfs("m", &sf));
	EXPECT_EQ(sf.f_files, 3);
	EXPECT_EQ(sf.f_ffree, 0);
	EXPECT_ERRNO(mount("none", "m", NULL, MS_REMOUNT, "nr_inodes=2"), EINVAL);
	EXPECT_TRUE(mount_line("self", "mounts", "m", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, ",size=2048k,nr_inodes=3 0 0") != NULL);
	EXPECT_SYS(unlink("m/g"));
	EXPECT_TRUE(write_ok("m/h"));
	/* Not a mount root, or no mount at all: EINVAL. */
	EXPECT_SYS(mkdir("plain", 0755));
	EXPECT_ERRNO(mount("none", "plain", NULL, MS_REMOUNT, NULL), EINVAL);
	EXPECT_SYS(umount2("m", 0));
	/* size=0 is unlimited for good: a later limit is refused. */
	EXPECT_SYS(mount("none", "m", "tmpfs", 0, "size=0,mode=0710,uid=7,gid=8"));
	EXPECT_SYS(stat("m", &st));
	EXPECT_EQ(st.st_mode, S_IFDIR | 0710);
	EXPECT_EQ(st.st_uid, 7);
	EXPECT_EQ(st.st_gid, 8);
	EXPECT_TRUE(mount_line("self", "mounts", "m", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs rw,relatime,size=0k,mode=710,uid=7,gid=8 0 0") != NULL);
	EXPECT_ERRNO(mount("none", "m", NULL, MS_REMOUNT, "size=1m"), EINVAL);
	EXPECT_SYS(umount2("m", 0));
}

/* MS_REMOUNT|MS_BIND: per-mount flags only, the superblock stays rw. */
TEST(remount_bind_per_mount_flags)
{
	char line[4096];
	EXPECT_SYS(mkdir("a", 0755));
	EXPECT_SYS(mkdir("b", 0755));
	if (EXPECT_SYS(mount("none", "a", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mount("a", "b", NULL, MS_BIND, NULL));
	/* A writer on b keeps b writable; one on a does not matter to b. */
	int wfd = EXPECT_SYS(open("b/w", O_RDWR | O_CREAT, 0644));
	EXPECT_ERRNO(mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL), EBUSY);
	close(wfd);
	wfd = EXPECT_SYS(open("a/w", O_WRONLY));
	EXPECT_SYS(mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOEXEC, "junk=1"));
	close(wfd);
	EXPECT_TRUE(!write_ok("b/f"));
	EXPECT_EQ(errno, EROFS);
	EXPECT_TRUE(write_ok("a/f"));
	EXPECT_TRUE(mount_line("self", "mountinfo", "b", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " ro,noexec,relatime - tmpfs none rw") != NULL);
	EXPECT_TRUE(mount_line("self", "mounts", "b", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs ro,noexec,relatime 0 0") != NULL);
	EXPECT_TRUE(mount_line("self", "mounts", "a", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs rw,relatime 0 0") != NULL);
	/* Atime: noatime set; a remount without atime flags keeps it;
	 * strictatime clears it. */
	EXPECT_SYS(mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND | MS_NOATIME, NULL));
	EXPECT_TRUE(mount_line("self", "mounts", "b", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs rw,noatime 0 0") != NULL);
	EXPECT_SYS(mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND | MS_NOSUID, NULL));
	EXPECT_TRUE(mount_line("self", "mounts", "b", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs rw,nosuid,noatime 0 0") != NULL);
	EXPECT_SYS(mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND | MS_STRICTATIME, NULL));
	EXPECT_TRUE(mount_line("self", "mounts", "b", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " tmpfs rw 0 0") != NULL);
	EXPECT_TRUE(write_ok("b/g"));
	EXPECT_SYS(umount2("b", 0));
	EXPECT_SYS(umount2("a", 0));
}

/* Shared peers: a mount under one appears under the other, and so does an
 * umount. */
TEST(shared_peers_propagate)
{
	char line[4096];
	EXPECT_SYS(mkdir("s", 0755));
	EXPECT_SYS(mkdir("p", 0755));
	if (EXPECT_SYS(mount("none", "s", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mkdir("s/sub", 0755));
	EXPECT_TRUE(mount_line("self", "mountinfo", "s", line, sizeof(line)));
	EXPECT_EQ(tag_value(line, "shared"), 0);
	EXPECT_SYS(mount(NULL, "s", NULL, MS_SHARED, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "s", line, sizeof(line)));
	int group = tag_value(line, "shared");
	EXPECT_GT(group, 0);
	EXPECT_SYS(mount("s", "p", NULL, MS_BIND, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "p", line, sizeof(line)));
	EXPECT_EQ(tag_value(line, "shared"), group);
	/* A mount under s shows under p: the same filesystem. */
	EXPECT_SYS(mount("none", "s/sub", "tmpfs", 0, NULL));
	EXPECT_TRUE(write_ok("s/sub/x"));
	struct stat st;
	EXPECT_SYS(stat("p/sub/x", &st));
	EXPECT_EQ(dev_of("p/sub"), dev_of("s/sub"));
	EXPECT_TRUE(mount_line("self", "mountinfo", "p/sub", line, sizeof(line)));
	int subgroup = tag_value(line, "shared");
	EXPECT_GT(subgroup, 0); /* mounted under a shared mount: shared */
	EXPECT_TRUE(mount_line("self", "mountinfo", "s/sub", line, sizeof(line)));
	EXPECT_EQ(tag_value(line, "shared"), subgroup);
	/* umount of p/sub takes s/sub too. */
	EXPECT_SYS(umount2("p/sub", 0));
	EXPECT_TRUE(!mount_line("self", "mounts", "s/sub", line, sizeof(line)));
	EXPECT_ERRNO(stat("s/sub/x", &st), ENOENT);
	/* MNT_DETACH of a tree takes the peers' copies of the whole tree. */
	EXPECT_SYS(mount("none", "s/sub", "tmpfs", 0, NULL));
	EXPECT_SYS(mkdir("s/sub/in", 0755));
	EXPECT_SYS(mount("none", "s/sub/in", "tmpfs", 0, NULL));
	EXPECT_TRUE(write_ok("s/sub/in/y"));
	EXPECT_SYS(stat("p/sub/in/y", &st));
	EXPECT_ERRNO(umount2("p/sub", 0), EBUSY);
	EXPECT_SYS(umount2("p/sub", MNT_DETACH));
	EXPECT_TRUE(!mount_line("self", "mounts", "s/sub", line, sizeof(line)));
	EXPECT_TRUE(!mount_line("self", "mounts", "s/sub/in", line, sizeof(line)));
	EXPECT_TRUE(!mount_line("self", "mounts", "p/sub/in", line, sizeof(line)));
	EXPECT_ERRNO(stat("s/sub/in", &st), ENOENT);
	/* Private again: nothing propagates. */
	EXPECT_SYS(mount(NULL, "p", NULL, MS_PRIVATE, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "p", line, sizeof(line)));
	EXPECT_EQ(tag_value(line, "shared"), 0);
	EXPECT_SYS(mount("none", "s/sub", "tmpfs", 0, NULL));
	EXPECT_TRUE(!mount_line("self", "mounts", "p/sub", line, sizeof(line)));
	EXPECT_SYS(umount2("s/sub", 0));
	EXPECT_SYS(umount2("p", 0));
	EXPECT_SYS(umount2("s", 0));
}

/* A slave receives from its master's group and sends nothing back. */
TEST(slave_receives_only)
{
	char line[4096];
	struct stat st;
	EXPECT_SYS(mkdir("m", 0755));
	EXPECT_SYS(mkdir("sl", 0755));
	if (EXPECT_SYS(mount("none", "m", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mkdir("m/x", 0755));
	EXPECT_SYS(mkdir("m/y", 0755));
	EXPECT_SYS(mount(NULL, "m", NULL, MS_SHARED, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "m", line, sizeof(line)));
	int group = tag_value(line, "shared");
	EXPECT_SYS(mount("m", "sl", NULL, MS_BIND, NULL));
	EXPECT_SYS(mount(NULL, "sl", NULL, MS_SLAVE, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "sl", line, sizeof(line)));
	EXPECT_EQ(tag_value(line, "master"), group);
	EXPECT_EQ(tag_value(line, "shared"), 0);
	EXPECT_SYS(mount("none", "m/x", "tmpfs", 0, NULL));
	EXPECT_TRUE(write_ok("m/x/f"));
	EXPECT_SYS(stat("sl/x/f", &st));
	EXPECT_TRUE(mount_line("self", "mountinfo", "sl/x", line, sizeof(line)));
	EXPECT_GT(tag_value(line, "master"), 0);
	EXPECT_SYS(mount("none", "sl/y", "tmpfs", 0, NULL));
	EXPECT_EQ(dev_of("m/y"), dev_of("m"));
	EXPECT_SYS(umount2("sl/y", 0));
	EXPECT_SYS(umount2("m/x", 0));
	EXPECT_ERRNO(stat("sl/x/f", &st), ENOENT);
	/* MS_SLAVE on a mount with no master and no peers: private. */
	EXPECT_SYS(umount2("sl", 0));
	EXPECT_SYS(mount(NULL, "m", NULL, MS_SLAVE, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "m", line, sizeof(line)));
	EXPECT_EQ(tag_value(line, "shared"), 0);
	EXPECT_EQ(tag_value(line, "master"), 0);
	EXPECT_SYS(umount2("m", 0));
}

/* MS_UNBINDABLE: shown, and bind mounts of it fail; MS_REC reaches the
 * mounts below. */
TEST(unbindable_and_rec)
{
	char line[4096];
	EXPECT_SYS(mkdir("u", 0755));
	EXPECT_SYS(mkdir("b", 0755));
	if (EXPECT_SYS(mount("none", "u", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mkdir("u/in", 0755));
	EXPECT_SYS(mount("none", "u/in", "tmpfs", 0, NULL));
	EXPECT_SYS(mount(NULL, "u", NULL, MS_SHARED | MS_REC, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "u", line, sizeof(line)));
	int g1 = tag_value(line, "shared");
	EXPECT_TRUE(mount_line("self", "mountinfo", "u/in", line, sizeof(line)));
	int g2 = tag_value(line, "shared");
	EXPECT_GT(g1, 0);
	EXPECT_GT(g2, 0);
	EXPECT_NE(g1, g2);
	EXPECT_ERRNO(mount(NULL, "u", NULL, MS_SHARED | MS_PRIVATE, NULL), EINVAL);
	EXPECT_SYS(mount(NULL, "u", NULL, MS_UNBINDABLE | MS_REC, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "u", line, sizeof(line)));
	EXPECT_TRUE(strstr(line, " unbindable ") != NULL);
	EXPECT_EQ(tag_value(line, "shared"), 0);
	EXPECT_ERRNO(mount("u", "b", NULL, MS_BIND, NULL), EINVAL);
	EXPECT_ERRNO(mount("u/in", "b", NULL, MS_BIND, NULL), EINVAL);
	EXPECT_SYS(umount2("u/in", 0));
	EXPECT_SYS(umount2("u", 0));
}

/* The common case: a shared mount, then a new namespace (unshare -m):
 * the copies are peers, so mounts go both ways. */
TEST(shared_across_namespaces)
{
	int to_parent[2], to_child[2];
	char c;
	EXPECT_SYS(mkdir("s", 0755));
	if (EXPECT_SYS(mount("none", "s", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mkdir("s/fromparent", 0755));
	EXPECT_SYS(mkdir("s/fromchild", 0755));
	EXPECT_SYS(mount(NULL, "s", NULL, MS_SHARED | MS_REC, NULL));
	EXPECT_SYS(pipe(to_parent));
	EXPECT_SYS(pipe(to_child));
	pid_t pid = fork();
	if (pid == 0) {
		struct stat st;
		int bad = 0;
		if (unshare(CLONE_NEWNS) != 0)
			_exit(100);
		if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(101);
		/* The parent's new mount reached this namespace. */
		if (stat("s/fromparent/pf", &st) != 0)
			bad |= 1;
		if (mount("none", "s/fromchild", "tmpfs", 0, NULL) != 0 ||
		    !write_ok("s/fromchild/cf"))
			bad |= 2;
		if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &c, 1) != 1)
			bad |= 4;
		/* The parent's umount reached here too. */
		if (stat("s/fromparent/pf", &st) == 0)
			bad |= 8;
		_exit(bad);
	}
	struct stat st;
	EXPECT_EQ(read(to_parent[0], &c, 1), 1);
	EXPECT_SYS(mount("none", "s/fromparent", "tmpfs", 0, NULL));
	EXPECT_TRUE(write_ok("s/fromparent/pf"));
	EXPECT_EQ(write(to_child[1], "x", 1), 1);
	EXPECT_EQ(read(to_parent[0], &c, 1), 1);
	/* The child's mount reached us (peers both ways). */
	EXPECT_SYS(stat("s/fromchild/cf", &st));
	EXPECT_SYS(umount2("s/fromparent", 0));
	EXPECT_EQ(write(to_child[1], "x", 1), 1);
	EXPECT_EQ(wait_child(pid), 0);
	/* The child's namespace is gone; our copy of its mount stays. */
	EXPECT_SYS(stat("s/fromchild/cf", &st));
	EXPECT_SYS(umount2("s/fromchild", 0));
	EXPECT_SYS(umount2("s", 0));
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

/* A namespace freed with its last process: a file kept open elsewhere on
 * one of its mounts still works (the mount lives on, detached). */
TEST(dead_namespace_open_file)
{
	int sv[2];
	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNS) != 0 || mount("none", "d", "tmpfs", 0, NULL) != 0)
			_exit(1);
		int fd = open("d/f", O_RDWR | O_CREAT, 0644);
		if (fd < 0 || write(fd, "data", 4) != 4)
			_exit(2);
		char cbuf[CMSG_SPACE(sizeof(int))] = {0};
		struct iovec iov = {.iov_base = "x", .iov_len = 1};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf)};
		struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &fd, sizeof(int));
		_exit(sendmsg(sv[1], &mh, 0) == 1 ? 0 : 3);
	}
	EXPECT_EQ(wait_child(pid), 0);
	char cbuf[CMSG_SPACE(sizeof(int))] = {0}, x;
	struct iovec iov = {.iov_base = &x, .iov_len = 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	EXPECT_EQ(recvmsg(sv[0], &mh, 0), 1);
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	if (!EXPECT_TRUE(cm != NULL))
		return;
	int fd;
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	char buf[8] = {0};
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	EXPECT_STREQ(buf, "data");
	struct statfs sf;
	EXPECT_SYS(fstatfs(fd, &sf));
	EXPECT_EQ(sf.f_type, 0x01021994); /* TMPFS_MAGIC */
	EXPECT_EQ(pwrite(fd, "more", 4, 4), 4);
	close(fd);
	close(sv[0]);
	close(sv[1]);
	/* Never mounted here. */
	EXPECT_NE(dev_of("d"), (dev_t)-1);
	EXPECT_SYS(rmdir("d"));
}

/* MS_MOVE: not from under a shared parent; onto a shared target the moved
 * tree becomes shared and appears at the target's peers; not with
 * unbindable mounts. */
TEST(move_and_propagation)
{
	char line[4096];
	struct stat st;
	EXPECT_SYS(mkdir("s", 0755));
	EXPECT_SYS(mkdir("p", 0755));
	EXPECT_SYS(mkdir("src", 0755));
	EXPECT_SYS(mkdir("u", 0755));
	EXPECT_SYS(mkdir("back", 0755));
	if (EXPECT_SYS(mount("none", "s", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mkdir("s/dst", 0755));
	EXPECT_SYS(mkdir("s/dst2", 0755));
	EXPECT_SYS(mount(NULL, "s", NULL, MS_SHARED, NULL));
	EXPECT_SYS(mount("s", "p", NULL, MS_BIND, NULL));
	EXPECT_SYS(mount("none", "src", "tmpfs", 0, NULL));
	EXPECT_TRUE(write_ok("src/f"));
	EXPECT_SYS(mount("src", "s/dst", NULL, MS_MOVE, NULL));
	EXPECT_SYS(stat("s/dst/f", &st));
	EXPECT_SYS(stat("p/dst/f", &st));
	EXPECT_ERRNO(stat("src/f", &st), ENOENT);
	EXPECT_TRUE(mount_line("self", "mountinfo", "s/dst", line, sizeof(line)));
	int g = tag_value(line, "shared");
	EXPECT_GT(g, 0);
	EXPECT_TRUE(mount_line("self", "mountinfo", "p/dst", line, sizeof(line)));
	EXPECT_EQ(tag_value(line, "shared"), g);
	/* Out from under a shared parent: EINVAL. */
	EXPECT_ERRNO(mount("s/dst", "back", NULL, MS_MOVE, NULL), EINVAL);
	/* An unbindable mount onto a shared target: EINVAL. */
	EXPECT_SYS(mount("none", "u", "tmpfs", 0, NULL));
	EXPECT_SYS(mount(NULL, "u", NULL, MS_UNBINDABLE, NULL));
	EXPECT_ERRNO(mount("u", "s/dst2", NULL, MS_MOVE, NULL), EINVAL);
	EXPECT_SYS(umount2("u", 0));
	EXPECT_SYS(umount2("s/dst", 0));
	EXPECT_TRUE(!mount_line("self", "mounts", "p/dst", line, sizeof(line)));
	EXPECT_SYS(umount2("p", 0));
	EXPECT_SYS(umount2("s", 0));
}

/* When a group's last member goes, its slaves pass to that member's master
 * (here none: they become private). */
TEST(slave_of_unmounted_group)
{
	char line[4096];
	EXPECT_SYS(mkdir("a", 0755));
	EXPECT_SYS(mkdir("sl", 0755));
	EXPECT_SYS(mkdir("sl2", 0755));
	if (EXPECT_SYS(mount("none", "a", "tmpfs", 0, NULL)) == -1)
		return;
	EXPECT_SYS(mount(NULL, "a", NULL, MS_SHARED, NULL));
	EXPECT_SYS(mount("a", "sl", NULL, MS_BIND, NULL));
	EXPECT_SYS(mount(NULL, "sl", NULL, MS_SLAVE, NULL));
	/* A shared slave: its own peers receive from a's group through it. */
	EXPECT_SYS(mount(NULL, "sl", NULL, MS_SHARED, NULL));
	EXPECT_SYS(mount("sl", "sl2", NULL, MS_BIND, NULL));
	EXPECT_TRUE(mount_line("self", "mountinfo", "sl2", line, sizeof(line)));
	EXPECT_GT(tag_value(line, "shared"), 0);
	EXPECT_GT(tag_value(line, "master"), 0);
	EXPECT_SYS(mkdir("a/x", 0755));
	EXPECT_SYS(mount("none", "a/x", "tmpfs", 0, NULL));
	EXPECT_TRUE(write_ok("a/x/f"));
	struct stat st;
	EXPECT_SYS(stat("sl2/x/f", &st));
	EXPECT_SYS(umount2("a/x", 0));
	EXPECT_ERRNO(stat("sl2/x/f", &st), ENOENT);
	EXPECT_SYS(umount2("a", 0));
	EXPECT_TRUE(mount_line("self", "mountinfo", "sl", line, sizeof(line)));
	EXPECT_EQ(tag_value(line, "master"), 0);
	EXPECT_GT(tag_value(line, "shared"), 0);
	EXPECT_SYS(umount2("sl2", 0));
	EXPECT_SYS(umount2("sl", 0));
}

/* /proc/PID/ns/mnt names the namespace: the same for processes sharing it,
 * another one after unshare(CLONE_NEWNS). */
TEST(ns_mnt_link_per_namespace)
{
	char mine[64] = "", again[64] = "";
	EXPECT_GT(readlink("/proc/self/ns/mnt", mine, sizeof(mine) - 1), 0);
	EXPECT_TRUE(strncmp(mine, "mnt:[", 5) == 0);
	int p[2];
	EXPECT_SYS(pipe(p));
	pid_t pid = fork();
	if (pid == 0) {
		char a[64] = "", b[64] = "";
		if (readlink("/proc/self/ns/mnt", a, sizeof(a) - 1) <= 0 || unshare(CLONE_NEWNS) != 0 ||
		    readlink("/proc/self/ns/mnt", b, sizeof(b) - 1) <= 0)
			_exit(1);
		/* Same as the parent's before, another after. */
		_exit(write(p[1], a, sizeof(a)) == sizeof(a) && write(p[1], b, sizeof(b)) == sizeof(b)
			  ? 0 : 2);
	}
	char a[64], b[64];
	EXPECT_EQ(read(p[0], a, sizeof(a)), (long)sizeof(a));
	EXPECT_EQ(read(p[0], b, sizeof(b)), (long)sizeof(b));
	EXPECT_EQ(wait_child(pid), 0);
	EXPECT_STREQ(a, mine);
	EXPECT_TRUE(strcmp(b, mine) != 0);
	EXPECT_TRUE(strncmp(b, "mnt:[", 5) == 0);
	EXPECT_GT(readlink("/proc/self/ns/mnt", again, sizeof(again) - 1), 0);
	EXPECT_STREQ(again, mine);
	close(p[0]);
	close(p[1]);
}
