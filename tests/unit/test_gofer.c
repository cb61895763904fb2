/*
 * The real gofer (GOFER_PATH) serving a temporary directory, driven through
 * the sentry's client: walk/stat/open/readlink/getdents/statfs/clunk, symlinks
 * never followed, read-only refusal, and the gofer's confinement as seen from
 * /proc. Malformed requests are in test_gofer_proto.c.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/gofer_client.h"
#include "gofer/protocol.h"
#include "test_gofer.h"

static char dir[64];
static struct gofer_client *gc;
static pid_t gpid;
static gofer_fid root;

#define MANY 300

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	close(fd);
}

void gofer_test_make_tree(char *out, size_t size)
{
	char p[256];
	int i;

	snprintf(out, size, "/tmp/gofer-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(out));
	snprintf(p, sizeof(p), "%s/hello", out);
	write_file(p, "hello world\n");
	snprintf(p, sizeof(p), "%s/sub", out);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/sub/inner", out);
	write_file(p, "inner\n");
	snprintf(p, sizeof(p), "%s/shadow", out);
	ck_assert_int_eq(symlink("/etc/shadow", p), 0);
	snprintf(p, sizeof(p), "%s/up", out);
	ck_assert_int_eq(symlink("../../..", p), 0);
	snprintf(p, sizeof(p), "%s/fifo", out);
	ck_assert_int_eq(mkfifo(p, 0644), 0);
	snprintf(p, sizeof(p), "%s/many", out);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	for (i = 0; i < MANY; i++) {
		snprintf(p, sizeof(p), "%s/many/file-%03d-with-a-longish-name", out, i);
		write_file(p, "x");
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

void gofer_test_remove_tree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void start(bool rw)
{
	char err[256] = "";

	gofer_test_make_tree(dir, sizeof(dir));
	gc = gofer_spawn(GOFER_PATH, dir, rw, &gpid, err, sizeof(err));
	ck_assert_msg(gc != NULL, "gofer_spawn: %s", err);
	ck_assert_int_eq(gofer_root(gc, &root, NULL), 0);
}

static void setup_ro(void)
{
	start(false);
}

static void setup_rw(void)
{
	start(true);
}

static void teardown(void)
{
	int status;

	gofer_client_close(gc);
	/* Closing the socket must make the gofer exit cleanly. */
	ck_assert_int_eq(waitpid(gpid, &status, 0), gpid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "gofer status %#x", status);
	gofer_test_remove_tree(dir);
}

static gofer_fid walk(gofer_fid d, const char *name, struct gofer_attr *a)
{
	gofer_fid f = 0;
	int err = gofer_walk(gc, d, name, &f, a);

	ck_assert_msg(err == 0, "walk %s: %d", name, err);
	return f;
}

START_TEST(test_gofer_root_is_served_dir)
{
	struct gofer_attr a;
	struct stat st;
	gofer_fid r2;

	ck_assert_int_eq(stat(dir, &st), 0);
	ck_assert_int_eq(gofer_root(gc, &r2, &a), 0);
	ck_assert(S_ISDIR(a.mode));
	ck_assert_uint_eq(a.ino, st.st_ino);
	ck_assert_uint_eq(a.dev, st.st_dev);
	ck_assert(r2 != root);
}
END_TEST

START_TEST(test_gofer_walk_stat_file)
{
	struct gofer_attr a, b;
	struct stat st;
	char p[128];
	gofer_fid f;

	snprintf(p, sizeof(p), "%s/hello", dir);
	ck_assert_int_eq(lstat(p, &st), 0);
	f = walk(root, "hello", &a);
	ck_assert(S_ISREG(a.mode));
	ck_assert_uint_eq(a.size, 12);
	ck_assert_uint_eq(a.ino, st.st_ino);
	ck_assert_uint_eq(a.nlink, 1);
	ck_assert_int_eq(gofer_stat(gc, f, &b), 0);
	ck_assert_uint_eq(b.ino, a.ino);
	ck_assert_int_eq(b.mtime_sec, st.st_mtim.tv_sec);
	ck_assert_uint_eq(b.mtime_nsec, st.st_mtim.tv_nsec);

	/* Two components, one at a time. */
	f = walk(walk(root, "sub", &a), "inner", &b);
	ck_assert(S_ISDIR(a.mode));
	ck_assert_uint_eq(b.size, 6);
	ck_assert_int_eq(gofer_walk(gc, root, "missing", &f, NULL), -ENOENT);
	/* A file is not a directory to walk from. */
	ck_assert_int_eq(gofer_walk(gc, walk(root, "hello", NULL), "x", &f, NULL), -ENOTDIR);
}
END_TEST

START_TEST(test_gofer_walk_never_follows_symlinks)
{
	struct gofer_attr a;
	struct stat st;
	char p[128], buf[64];
	gofer_fid f, g;
	int fd;

	snprintf(p, sizeof(p), "%s/shadow", dir);
	ck_assert_int_eq(lstat(p, &st), 0);
	f = walk(root, "shadow", &a);
	ck_assert(S_ISLNK(a.mode));
	ck_assert_uint_eq(a.ino, st.st_ino);
	ck_assert_int_eq(gofer_readlink(gc, f, buf, sizeof(buf)), 11);
	ck_assert_str_eq(buf, "/etc/shadow");
	/* Neither opening nor walking through it reaches the target. */
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY, &fd), -ELOOP);
	ck_assert_int_eq(fd, -1);
	ck_assert_int_eq(gofer_walk(gc, f, "x", &g, NULL), -ENOTDIR);

	f = walk(root, "up", &a);
	ck_assert(S_ISLNK(a.mode));
	ck_assert_int_eq(gofer_readlink(gc, f, buf, sizeof(buf)), 8);
	ck_assert_str_eq(buf, "../../..");
	ck_assert_int_eq(gofer_walk(gc, f, "etc", &g, NULL), -ENOTDIR);
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY | O_DIRECTORY, &fd), -ELOOP);

	/* readlink of a non-symlink is EINVAL, as readlink(2) says. */
	ck_assert_int_eq(gofer_readlink(gc, walk(root, "hello", NULL), buf, sizeof(buf)), -EINVAL);
	/* A short buffer gets a truncated target, like readlink(2). */
	ck_assert_int_eq(gofer_readlink(gc, walk(root, "shadow", NULL), buf, 4), 4);
	ck_assert_int_eq(memcmp(buf, "/etc", 4), 0);
}
END_TEST

START_TEST(test_gofer_walk_rejects_bad_names)
{
	char longname[300];
	gofer_fid f;

	ck_assert_int_eq(gofer_walk(gc, root, "sub/inner", &f, NULL), -EINVAL);
	ck_assert_int_eq(gofer_walk(gc, root, "", &f, NULL), -EINVAL);
	ck_assert_int_eq(gofer_walk(gc, root, ".", &f, NULL), -EINVAL);
	ck_assert_int_eq(gofer_walk(gc, root, "..", &f, NULL), -EINVAL);
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	ck_assert_int_eq(gofer_walk(gc, root, longname, &f, NULL), -ENAMETOOLONG);
	/* Still serving. */
	walk(root, "hello", NULL);
}
END_TEST

START_TEST(test_gofer_open_read)
{
	char buf[64] = "";
	gofer_fid f = walk(root, "hello", NULL);
	int fd, fl;

	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY, &fd), 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 12);
	ck_assert_str_eq(buf, "hello world\n");
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	fl = fcntl(fd, F_GETFL);
	ck_assert_int_eq(fl & O_ACCMODE, O_RDONLY);
	ck_assert_int_eq(fl & O_NONBLOCK, 0);
	close(fd);

	/* Directories open read-only, and only read-only. */
	ck_assert_int_eq(gofer_open(gc, walk(root, "sub", NULL), O_RDONLY | O_DIRECTORY, &fd), 0);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY | O_DIRECTORY, &fd), -ENOTDIR);
	/* Flags that belong to other requests. */
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY | O_CREAT, &fd), -EINVAL);
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY | O_PATH, &fd), -EINVAL);
	ck_assert_int_eq(gofer_open(gc, f, O_ACCMODE, &fd), -EINVAL);
}
END_TEST

START_TEST(test_gofer_open_special_files_refused)
{
	int fd = -2;

	/* A FIFO would block a single-threaded gofer; it is refused at once. */
	ck_assert_int_eq(gofer_open(gc, walk(root, "fifo", NULL), O_RDONLY, &fd), -ENXIO);
	ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_gofer_readonly_refuses_writes)
{
	gofer_fid f = walk(root, "hello", NULL);
	struct gofer_statfs sfs;
	struct stat st;
	char p[128];
	int fd;

	ck_assert_int_eq(gofer_open(gc, f, O_WRONLY, &fd), -EROFS);
	ck_assert_int_eq(gofer_open(gc, f, O_RDWR, &fd), -EROFS);
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY | O_TRUNC, &fd), -EROFS);
	ck_assert_int_eq(gofer_open(gc, f, O_WRONLY | O_APPEND, &fd), -EROFS);
	ck_assert_int_eq(gofer_open(gc, root, O_RDWR, &fd), -EROFS);
	snprintf(p, sizeof(p), "%s/hello", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_size, 12);
	ck_assert_int_eq(gofer_statfs(gc, root, &sfs), 0);
	ck_assert(sfs.flags & ST_RDONLY);
	ck_assert_int_eq(gofer_client_flags(gc) & GOFER_VF_RW, 0);
}
END_TEST

START_TEST(test_gofer_rw_opens_for_write)
{
	gofer_fid f = walk(root, "hello", NULL);
	struct stat st;
	char p[128];
	int fd;

	ck_assert(gofer_client_flags(gc) & GOFER_VF_RW);
	ck_assert_int_eq(gofer_open(gc, f, O_WRONLY | O_TRUNC, &fd), 0);
	ck_assert_int_eq(write(fd, "bye\n", 4), 4);
	close(fd);
	snprintf(p, sizeof(p), "%s/hello", dir);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_size, 4);
	/* Directories still are not writable. */
	ck_assert_int_eq(gofer_open(gc, root, O_RDWR, &fd), -EISDIR);
}
END_TEST

START_TEST(test_gofer_open_replaced_file_is_stale)
{
	gofer_fid f = walk(root, "hello", NULL);
	char p[128], q[128];
	int fd;

	snprintf(p, sizeof(p), "%s/hello", dir);
	snprintf(q, sizeof(q), "%s/sub/inner", dir);
	ck_assert_int_eq(rename(q, p), 0);
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY, &fd), -ESTALE);
}
END_TEST

/* Read a whole directory max entries at a time; returns the count. */
static int list_all(gofer_fid d, int max, char names[][256], int cap)
{
	struct gofer_dirent ents[64];
	uint64_t off = 0;
	int total = 0, n, i;

	ck_assert_int_le(max, 64);
	while ((n = gofer_getdents(gc, d, off, ents, max)) > 0) {
		ck_assert_int_le(n, max);
		for (i = 0; i < n; i++) {
			ck_assert_int_lt(total, cap);
			strcpy(names[total++], ents[i].name);
		}
		off = ents[n - 1].next_off;
	}
	ck_assert_int_eq(n, 0);
	return total;
}

static bool has(char names[][256], int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

START_TEST(test_gofer_getdents)
{
	static char names[MANY + 8][256];
	static const char *const want[] = {".",	     "..", "hello", "sub",
					   "shadow", "up", "fifo",  "many"};
	struct gofer_dirent ents[4];
	gofer_fid many;
	size_t i;
	int n, j;

	n = list_all(root, 3, names, MANY + 8);
	ck_assert_int_eq(n, 8);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		ck_assert_msg(has(names, n, want[i]), "%s missing", want[i]);

	many = walk(root, "many", NULL);
	n = list_all(many, 64, names, MANY + 8);
	ck_assert_int_eq(n, MANY + 2);
	for (j = 0; j < MANY; j++) {
		char nm[64];

		snprintf(nm, sizeof(nm), "file-%03d-with-a-longish-name", j);
		ck_assert_msg(has(names, n, nm), "%s missing", nm);
	}
	/* Types come from the host. */
	n = gofer_getdents(gc, many, 0, ents, 4);
	ck_assert_int_eq(n, 4);
	for (j = 0; j < n; j++)
		ck_assert(ents[j].type == DT_REG || ents[j].type == DT_DIR);
	ck_assert_int_eq(gofer_getdents(gc, walk(root, "hello", NULL), 0, ents, 4), -ENOTDIR);
	ck_assert_int_eq(gofer_getdents(gc, many, 0, ents, 0), -EINVAL);
}
END_TEST

START_TEST(test_gofer_statfs_clunk)
{
	struct gofer_statfs sfs;
	struct gofer_attr a;
	struct statfs hs;
	gofer_fid f = walk(root, "hello", NULL);

	ck_assert_int_eq(statfs(dir, &hs), 0);
	ck_assert_int_eq(gofer_statfs(gc, f, &sfs), 0);
	ck_assert_uint_eq(sfs.type, (uint64_t)hs.f_type);
	ck_assert_uint_eq(sfs.bsize, (uint64_t)hs.f_bsize);
	ck_assert_uint_eq(sfs.namelen, (uint64_t)hs.f_namelen);
	gofer_clunk(gc, f);
	ck_assert_int_eq(gofer_stat(gc, f, &a), -EBADF);
	/* A new fid reusing the slot does not revive the old value. */
	walk(root, "hello", NULL);
	ck_assert_int_eq(gofer_stat(gc, f, &a), -EBADF);
}
END_TEST

/* The value of "Key:" in /proc/PID/status. */
static long status_field(pid_t pid, const char *key, char *raw, size_t rawlen)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			if (raw)
				snprintf(raw, rawlen, "%s", line + kl + 1);
		}
	}
	fclose(f);
	return v;
}

START_TEST(test_gofer_is_confined)
{
	uint32_t fl = gofer_client_flags(gc);
	char raw[64], a[64] = "", b[64] = "", p[64];
	unsigned long long bnd;

	ck_assert(fl & GOFER_VF_SECCOMP);
	ck_assert_int_eq(status_field(gpid, "Seccomp", NULL, 0), 2);
	ck_assert_int_eq(status_field(gpid, "NoNewPrivs", NULL, 0), 1);
	if (geteuid() != 0)
		return; /* the rest needs the privileges CI runs with */
	ck_assert(fl & GOFER_VF_PIVOT);
	ck_assert(fl & GOFER_VF_NETNS);
	ck_assert(fl & GOFER_VF_CAPS);
	status_field(gpid, "CapBnd", raw, sizeof(raw));
	bnd = strtoull(raw, NULL, 16);
	ck_assert_msg((bnd & ~((1ull << 1) | (1ull << 2) | (1ull << 3))) == 0, "CapBnd %llx", bnd);
	snprintf(p, sizeof(p), "/proc/%d/ns/mnt", (int)gpid);
	ck_assert_int_gt(readlink(p, a, sizeof(a) - 1), 0);
	ck_assert_int_gt(readlink("/proc/self/ns/mnt", b, sizeof(b) - 1), 0);
	ck_assert_str_ne(a, b);
	snprintf(p, sizeof(p), "/proc/%d/ns/net", (int)gpid);
	ck_assert_int_gt(readlink(p, a, sizeof(a) - 1), 0);
	ck_assert_int_gt(readlink("/proc/self/ns/net", b, sizeof(b) - 1), 0);
	ck_assert_str_ne(a, b);
	/* Its root is the served directory: its "/" is our dir. */
	{
		struct stat s1, s2;

		snprintf(p, sizeof(p), "/proc/%d/root", (int)gpid);
		ck_assert_int_eq(stat(p, &s1), 0);
		ck_assert_int_eq(stat(dir, &s2), 0);
		ck_assert_uint_eq(s1.st_ino, s2.st_ino);
	}
}
END_TEST

START_TEST(test_gofer_spawn_bad_root_fails)
{
	char err[256] = "";
	pid_t pid;

	ck_assert_ptr_null(
	    gofer_spawn(GOFER_PATH, "/nonexistent/dir", false, &pid, err, sizeof(err)));
	ck_assert(strlen(err) > 0);
	ck_assert_ptr_null(
	    gofer_spawn("/nonexistent/gofer", "/tmp", false, &pid, err, sizeof(err)));
}
END_TEST

Suite *gofer_suite(void)
{
	Suite *s = suite_create("gofer");
	TCase *ro = tcase_create("readonly");
	TCase *rw = tcase_create("readwrite");
	TCase *misc = tcase_create("spawn");

	tcase_add_checked_fixture(ro, setup_ro, teardown);
	tcase_add_test(ro, test_gofer_root_is_served_dir);
	tcase_add_test(ro, test_gofer_walk_stat_file);
	tcase_add_test(ro, test_gofer_walk_never_follows_symlinks);
	tcase_add_test(ro, test_gofer_walk_rejects_bad_names);
	tcase_add_test(ro, test_gofer_open_read);
	tcase_add_test(ro, test_gofer_open_special_files_refused);
	tcase_add_test(ro, test_gofer_readonly_refuses_writes);
	tcase_add_test(ro, test_gofer_open_replaced_file_is_stale);
	tcase_add_test(ro, test_gofer_getdents);
	tcase_add_test(ro, test_gofer_statfs_clunk);
	tcase_add_test(ro, test_gofer_is_confined);
	suite_add_tcase(s, ro);

	tcase_add_checked_fixture(rw, setup_rw, teardown);
	tcase_add_test(rw, test_gofer_rw_opens_for_write);
	suite_add_tcase(s, rw);

	tcase_add_test(misc, test_gofer_spawn_bad_root_fails);
	suite_add_tcase(s, misc);
	return s;
}
