/*
 * The writable gofer protocol (gofer/ops_write.c, ops_xattr.c) through the
 * sentry's client against the real gofer serving a temporary directory:
 * every operation checked on the host, fids that stay right after renames,
 * names validated in the gofer itself (raw requests), unknown fids, symlinks
 * never followed, and a read-only gofer refusing every write with EROFS.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs/gofer_client.h"
#include "gofer/protocol.h"
#include "test_gofer.h"

static char dir[64];
static struct gofer_client *gc;
static pid_t gpid;
static gofer_fid root;

static void start(bool rw)
{
	char err[256] = "";

	gofer_test_make_tree(dir, sizeof(dir));
	gc = gofer_spawn(GOFER_PATH, dir, rw, &gpid, err, sizeof(err));
	ck_assert_msg(gc != NULL, "gofer_spawn: %s", err);
	ck_assert_int_eq(gofer_root(gc, &root, NULL), 0);
}

static void setup_rw(void)
{
	start(true);
}

static void setup_ro(void)
{
	start(false);
}

static void teardown(void)
{
	int status;

	gofer_client_close(gc);
	ck_assert_int_eq(waitpid(gpid, &status, 0), gpid);
	/* Exit 0, not killed by its seccomp filter on some call we forgot. */
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "gofer status %#x", status);
	gofer_test_remove_tree(dir);
}

static const char *hp(const char *rel)
{
	static char buf[4][256];
	static int k;

	k = (k + 1) % 4;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, rel);
	return buf[k];
}

static gofer_fid walk(gofer_fid d, const char *name)
{
	gofer_fid f = 0;

	ck_assert_int_eq(gofer_walk(gc, d, name, &f, NULL), 0);
	return f;
}

static void read_host(const char *rel, char *buf, size_t size)
{
	int fd = open(hp(rel), O_RDONLY);
	ssize_t n;

	ck_assert_int_ge(fd, 0);
	n = read(fd, buf, size - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = 0;
	close(fd);
}

START_TEST(test_gofer_write_create_write_read)
{
	struct gofer_attr a;
	gofer_fid f;
	char buf[64];
	int fd = -1;

	ck_assert_int_eq(gofer_create(gc, root, "new", O_RDWR | O_EXCL, 0640, UINT32_MAX,
				      UINT32_MAX, &f, &a, &fd),
			 0);
	ck_assert(S_ISREG(a.mode));
	ck_assert_int_eq(a.mode & 07777, 0640 & ~0); /* the gofer's umask is not applied */
	ck_assert_int_eq(write(fd, "abc", 3), 3);
	close(fd);
	read_host("new", buf, sizeof(buf));
	ck_assert_str_eq(buf, "abc");
	/* O_EXCL on an existing name. */
	ck_assert_int_eq(gofer_create(gc, root, "new", O_RDWR | O_EXCL, 0640, UINT32_MAX,
				      UINT32_MAX, &f, &a, &fd),
			 -EEXIST);
	/* Without O_EXCL: opened, and O_TRUNC truncates. */
	ck_assert_int_eq(gofer_create(gc, root, "new", O_WRONLY | O_TRUNC, 0640, UINT32_MAX,
				      UINT32_MAX, &f, &a, &fd),
			 0);
	close(fd);
	read_host("new", buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
	/* Never through a symlink, never a FIFO or directory. */
	ck_assert_int_eq(gofer_create(gc, root, "shadow", O_WRONLY, 0640, UINT32_MAX, UINT32_MAX,
				      &f, &a, &fd),
			 -ELOOP);
	ck_assert_int_eq(gofer_create(gc, root, "fifo", O_WRONLY, 0640, UINT32_MAX, UINT32_MAX,
				      &f, &a, &fd),
			 -ENXIO);
	ck_assert_int_eq(gofer_create(gc, root, "sub", O_RDONLY, 0640, UINT32_MAX, UINT32_MAX, &f,
				      &a, &fd),
			 -EISDIR);
}
END_TEST

/* TMPFILE: an unnamed host file, written through the donated descriptor,
 * then named by LINK; its fid reopens for SETATTR's size. */
START_TEST(test_gofer_write_tmpfile_then_link)
{
	struct gofer_setattr sa = {.valid = GOFER_SET_SIZE, .size = 2};
	struct gofer_attr a;
	gofer_fid f, named;
	char buf[64];
	int fd = -1;
	struct stat st;

	ck_assert_int_eq(gofer_tmpfile(gc, root, 0600, UINT32_MAX, UINT32_MAX, &f, &a, &fd), 0);
	ck_assert(S_ISREG(a.mode));
	ck_assert_int_eq(a.nlink, 0);
	ck_assert_int_eq(a.mode & 07777, 0600);
	ck_assert_int_eq(write(fd, "tmp!", 4), 4);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(st.st_ino, a.ino);
	ck_assert_int_eq(gofer_setattr(gc, f, &sa, &a), 0);
	ck_assert_int_eq(gofer_link(gc, root, "fromtmp", f, &named, &a), 0);
	ck_assert_int_eq(a.nlink, 1);
	read_host("fromtmp", buf, sizeof(buf));
	ck_assert_str_eq(buf, "tm");
	close(fd);
	/* Not under a file, and only O_RDWR. */
	ck_assert_int_eq(gofer_tmpfile(gc, named, 0600, UINT32_MAX, UINT32_MAX, &f, &a, &fd),
			 -ENOTDIR);
}
END_TEST

START_TEST(test_gofer_write_names_and_dirs)
{
	struct gofer_attr a;
	struct stat st;
	gofer_fid d, f, l;
	char buf[64];
	int fd;

	ck_assert_int_eq(gofer_mkdir(gc, root, "d", 0750, UINT32_MAX, UINT32_MAX, &d, &a), 0);
	ck_assert(S_ISDIR(a.mode));
	ck_assert_int_eq(stat(hp("d"), &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0750);
	ck_assert_int_eq(gofer_mkdir(gc, root, "d", 0750, UINT32_MAX, UINT32_MAX, &f, &a), -EEXIST);
	ck_assert_int_eq(gofer_symlink(gc, d, "l", "../../../etc/passwd", UINT32_MAX, UINT32_MAX,
				       &l, &a),
			 0);
	ck_assert(S_ISLNK(a.mode));
	ck_assert_int_eq(readlink(hp("d/l"), buf, sizeof(buf)), 19);
	/* A hard link to the file "hello" (by fid). */
	f = walk(root, "hello");
	ck_assert_int_eq(gofer_link(gc, d, "h2", f, &l, &a), 0);
	ck_assert_int_eq(a.nlink, 2);
	ck_assert_int_eq(stat(hp("d/h2"), &st), 0);
	ck_assert_int_eq(st.st_nlink, 2);
	ck_assert_int_eq(gofer_link(gc, root, "dirlink", d, &l, &a), -EPERM);
	/* FIFOs and sockets only. */
	ck_assert_int_eq(gofer_mknod(gc, d, "p", S_IFIFO | 0600, UINT32_MAX, UINT32_MAX, &l, &a),
			 0);
	ck_assert_int_eq(stat(hp("d/p"), &st), 0);
	ck_assert(S_ISFIFO(st.st_mode));
	ck_assert_int_eq(gofer_mknod(gc, d, "c", S_IFCHR | 0600, UINT32_MAX, UINT32_MAX, &l, &a),
			 -EPERM);
	/* Unlink and rmdir. */
	ck_assert_int_eq(gofer_unlink(gc, root, "d", AT_REMOVEDIR), -ENOTEMPTY);
	ck_assert_int_eq(gofer_unlink(gc, d, "p", 0), 0);
	ck_assert_int_eq(gofer_unlink(gc, d, "l", 0), 0);
	ck_assert_int_eq(gofer_unlink(gc, d, "h2", 0), 0);
	ck_assert_int_eq(gofer_unlink(gc, d, "h2", 0), -ENOENT);
	ck_assert_int_eq(gofer_unlink(gc, root, "d", 0), -EISDIR);
	ck_assert_int_eq(gofer_unlink(gc, root, "d", AT_REMOVEDIR), 0);
	ck_assert_int_eq(access(hp("d"), F_OK), -1);
	/* Unlinking a symlink removes the link, not its target. */
	ck_assert_int_eq(gofer_unlink(gc, root, "shadow", 0), 0);
	ck_assert_int_eq(access("/etc/shadow", F_OK), 0);
	/* The file "hello" is still readable through its fid. */
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY, &fd), 0);
	close(fd);
}
END_TEST

START_TEST(test_gofer_write_owner)
{
	struct gofer_attr a;
	struct stat st;
	gofer_fid f, d;
	int fd;
	bool is_root = geteuid() == 0;

	/* The owner asked for (as root; an unprivileged gofer keeps its own). */
	ck_assert_int_eq(gofer_create(gc, walk(root, "sub"), "o", O_RDWR, 0755, 1234, 5678, &f, &a,
				      &fd),
			 0);
	close(fd);
	ck_assert_int_eq(stat(hp("sub/o"), &st), 0);
	ck_assert_int_eq(st.st_uid, is_root ? 1234 : geteuid());
	ck_assert_int_eq(st.st_gid, is_root ? 5678 : getegid());
	/* The gofer's own ids: no chown, so the set-user-ID bit stays. */
	ck_assert_int_eq(gofer_create(gc, root, "s", O_RDWR, 04755, geteuid(), getegid(), &f, &a,
				      &fd),
			 0);
	close(fd);
	ck_assert_int_eq(a.mode & 07777, 04755);
	/* A set-group-ID directory gives its group to new entries. */
	ck_assert_int_eq(gofer_mkdir(gc, root, "g", 02775, UINT32_MAX, UINT32_MAX, &d, &a), 0);
	if (is_root)
		ck_assert_int_eq(chown(hp("g"), 0, 4321), 0);
	ck_assert_int_eq(chmod(hp("g"), 02775), 0); /* mkdir(2) ignores S_ISGID */
	ck_assert_int_eq(gofer_mkdir(gc, d, "in", 0755, geteuid(), 9999, &f, &a), 0);
	ck_assert_int_eq(stat(hp("g/in"), &st), 0);
	ck_assert_int_eq(st.st_gid, is_root ? 4321u : getegid());
	ck_assert(st.st_mode & S_ISGID);
}
END_TEST

START_TEST(test_gofer_write_rename_keeps_fids)
{
	gofer_fid f, sub, g;
	char buf[64];
	int fd;

	f = walk(root, "hello");
	sub = walk(root, "sub");
	ck_assert_int_eq(gofer_rename(gc, root, "hello", sub, "moved", 0), 0);
	ck_assert_int_eq(access(hp("hello"), F_OK), -1);
	read_host("sub/moved", buf, sizeof(buf));
	ck_assert_str_eq(buf, "hello world\n");
	/* The fid follows the file to its new name. */
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY, &fd), 0);
	ck_assert_int_eq(read(fd, buf, 5), 5);
	close(fd);
	/* NOREPLACE and EXCHANGE. */
	ck_assert_int_eq(gofer_rename(gc, sub, "moved", sub, "inner", RENAME_NOREPLACE), -EEXIST);
	g = walk(sub, "inner");
	ck_assert_int_eq(gofer_rename(gc, sub, "moved", sub, "inner", RENAME_EXCHANGE), 0);
	read_host("sub/inner", buf, sizeof(buf));
	ck_assert_str_eq(buf, "hello world\n");
	read_host("sub/moved", buf, sizeof(buf));
	ck_assert_str_eq(buf, "inner\n");
	/* Both fids still name their own files. */
	ck_assert_int_eq(gofer_open(gc, g, O_RDONLY, &fd), 0);
	ck_assert_int_eq(read(fd, buf, 6), 6);
	ck_assert_int_eq(memcmp(buf, "inner\n", 6), 0);
	close(fd);
	ck_assert_int_eq(gofer_open(gc, f, O_RDONLY, &fd), 0);
	ck_assert_int_eq(read(fd, buf, 5), 5);
	ck_assert_int_eq(memcmp(buf, "hello", 5), 0);
	close(fd);
	/* A replaced file's fid is stale, not redirected. */
	ck_assert_int_eq(gofer_rename(gc, sub, "inner", sub, "moved", 0), 0);
	ck_assert_int_eq(gofer_open(gc, g, O_RDONLY, &fd), -ESTALE);
	ck_assert_int_eq(gofer_rename(gc, sub, "x", sub, "y", RENAME_NOREPLACE | RENAME_EXCHANGE),
			 -EINVAL);
}
END_TEST

START_TEST(test_gofer_write_setattr)
{
	struct gofer_setattr sa = {0};
	struct gofer_attr a;
	struct stat st;
	gofer_fid f = walk(root, "hello"), l = walk(root, "shadow");

	sa.valid = GOFER_SET_MODE | GOFER_SET_SIZE | GOFER_SET_MTIME | GOFER_SET_ATIME;
	sa.mode = 0600;
	sa.size = 5;
	sa.mtime_sec = 1000000000;
	sa.mtime_nsec = 123;
	sa.atime_nsec = GOFER_UTIME_OMIT;
	ck_assert_int_eq(stat(hp("hello"), &st), 0);
	ck_assert_int_eq(gofer_setattr(gc, f, &sa, &a), 0);
	ck_assert_int_eq(a.mode & 07777, 0600);
	ck_assert_int_eq(a.size, 5);
	ck_assert_int_eq(a.mtime_sec, 1000000000);
	ck_assert_int_eq(a.mtime_nsec, 123);
	ck_assert_int_eq(a.atime_sec, st.st_atim.tv_sec); /* omitted */
	ck_assert_int_eq(stat(hp("hello"), &st), 0);
	ck_assert_int_eq(st.st_size, 5);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	/* On a symlink: the link's own times, never the target's mode. */
	sa.valid = GOFER_SET_MTIME;
	ck_assert_int_eq(gofer_setattr(gc, l, &sa, &a), 0);
	ck_assert_int_eq(lstat(hp("shadow"), &st), 0);
	ck_assert_int_eq(st.st_mtim.tv_sec, 1000000000);
	sa.valid = GOFER_SET_MODE;
	ck_assert_int_eq(gofer_setattr(gc, l, &sa, &a), -EOPNOTSUPP);
	sa.valid = GOFER_SET_SIZE;
	ck_assert_int_eq(gofer_setattr(gc, walk(root, "sub"), &sa, &a), -EISDIR);
	sa.valid = GOFER_SET_MTIME;
	sa.mtime_nsec = GOFER_UTIME_NOW;
	ck_assert_int_eq(gofer_setattr(gc, f, &sa, &a), 0);
	ck_assert_int_gt(a.mtime_sec, 1000000000);
	ck_assert_int_eq(gofer_fsync(gc, root, false), 0);
	ck_assert_int_eq(gofer_fsync(gc, f, true), 0);
}
END_TEST

START_TEST(test_gofer_write_xattr)
{
	gofer_fid f = walk(root, "hello");
	char buf[128];
	ssize_t n;
	int err = gofer_setxattr(gc, f, "user.k", "value", 5, 0);

	if (err == -EOPNOTSUPP)
		return; /* a host filesystem without user xattrs: nothing to compare */
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(getxattr(hp("hello"), "user.k", buf, sizeof(buf)), 5);
	ck_assert_int_eq(gofer_getxattr(gc, f, "user.k", NULL, 0), 5);
	ck_assert_int_eq(gofer_getxattr(gc, f, "user.k", buf, 2), -ERANGE);
	ck_assert_int_eq(gofer_getxattr(gc, f, "user.k", buf, sizeof(buf)), 5);
	ck_assert_int_eq(memcmp(buf, "value", 5), 0);
	ck_assert_int_eq(gofer_setxattr(gc, f, "user.k", "v", 1, XATTR_CREATE), -EEXIST);
	n = gofer_listxattr(gc, f, buf, sizeof(buf));
	ck_assert_int_eq(n, 7);
	ck_assert_str_eq(buf, "user.k");
	ck_assert_int_eq(gofer_getxattr(gc, f, "trusted.k", buf, sizeof(buf)), -EOPNOTSUPP);
	ck_assert_int_eq(gofer_setxattr(gc, f, "security.k", "v", 1, 0), -EOPNOTSUPP);
	ck_assert_int_eq(gofer_removexattr(gc, f, "user.k"), 0);
	ck_assert_int_eq(gofer_getxattr(gc, f, "user.k", buf, sizeof(buf)), -ENODATA);
	ck_assert_int_eq(gofer_setxattr(gc, walk(root, "shadow"), "user.k", "v", 1, 0), -EPERM);
}
END_TEST

START_TEST(test_gofer_write_bad_fids)
{
	struct gofer_attr a;
	gofer_fid f, never = 0x7777000000000042ull;
	int fd;

	ck_assert_int_eq(gofer_unlink(gc, never, "hello", 0), -EBADF);
	ck_assert_int_eq(gofer_mkdir(gc, never, "x", 0700, UINT32_MAX, UINT32_MAX, &f, &a), -EBADF);
	ck_assert_int_eq(gofer_create(gc, never, "x", O_RDWR, 0600, UINT32_MAX, UINT32_MAX, &f, &a,
				      &fd),
			 -EBADF);
	ck_assert_int_eq(gofer_rename(gc, root, "hello", never, "x", 0), -EBADF);
	ck_assert_int_eq(gofer_link(gc, root, "x", never, &f, &a), -EBADF);
	/* A file fid is not a directory. */
	ck_assert_int_eq(gofer_unlink(gc, walk(root, "hello"), "x", 0), -ENOTDIR);
	ck_assert_int_eq(access(hp("hello"), F_OK), 0);
}
END_TEST

/* Raw requests: the gofer validates names itself, whatever the client does. */
static int raw(uint32_t type, const void *body, size_t len)
{
	int sock = -1, ret;
	char err[256], buf[256];
	pid_t pid;
	struct gofer_hdr h = {.type = GOFER_T_ROOT, .tag = 1, .len = 0};
	struct gofer_rhdr rh;
	struct gofer_rwalk rw;
	char *msg = malloc(sizeof(h) + len);
	ssize_t n;

	/* A second gofer on the same tree, spoken to directly. */
	sock = gofer_spawn_fd(GOFER_PATH, dir, true, &pid, err, sizeof(err));
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(send(sock, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	n = recv(sock, buf, sizeof(buf), 0);
	ck_assert_int_eq(n, (ssize_t)(sizeof(h) + sizeof(rh) + sizeof(rw)));
	memcpy(&rw, buf + sizeof(h) + sizeof(rh), sizeof(rw));
	/* The body's first u64 is the directory: our root fid. */
	h = (struct gofer_hdr){.type = type, .tag = 2, .len = (uint32_t)len};
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), body, len);
	memcpy(msg + sizeof(h), &rw.fid, sizeof(rw.fid));
	ck_assert_int_eq(send(sock, msg, sizeof(h) + len, 0), (ssize_t)(sizeof(h) + len));
	n = recv(sock, buf, sizeof(buf), 0);
	ck_assert_int_ge(n, (ssize_t)(sizeof(h) + sizeof(rh)));
	memcpy(&rh, buf + sizeof(h), sizeof(rh));
	ret = rh.err;
	free(msg);
	close(sock);
	ck_assert_int_eq(waitpid(pid, NULL, 0), pid);
	return ret;
}

static int raw_named(uint32_t type, const char *name, size_t namelen)
{
	struct {
		struct gofer_tmknod m;
		char name[300];
	} b = {.m = {.mode = 0700, .uid = UINT32_MAX, .gid = UINT32_MAX}};

	memcpy(b.name, name, namelen);
	b.name[namelen] = 0;
	return raw(type, &b, sizeof(b.m) + namelen + 1);
}

START_TEST(test_gofer_write_names_checked_by_gofer)
{
	char longname[300];

	memset(longname, 'a', sizeof(longname));
	ck_assert_int_eq(raw_named(GOFER_T_MKDIR, "..", 2), -EINVAL);
	ck_assert_int_eq(raw_named(GOFER_T_MKDIR, ".", 1), -EINVAL);
	ck_assert_int_eq(raw_named(GOFER_T_MKDIR, "a/b", 3), -EINVAL);
	ck_assert_int_eq(raw_named(GOFER_T_MKDIR, "", 0), -EINVAL);
	ck_assert_int_eq(raw_named(GOFER_T_MKDIR, "a\0b", 3), -EINVAL);
	ck_assert_int_eq(raw_named(GOFER_T_MKDIR, longname, 256), -ENAMETOOLONG);
	ck_assert_int_eq(raw_named(GOFER_T_MKDIR, longname, 255), 0);
	ck_assert_int_eq(raw_named(GOFER_T_MKDIR, "sub", 3), -EEXIST);
	{
		/* UNLINK "../x" through the tunlink layout (same prefix). */
		struct {
			struct gofer_tunlink u;
			char name[8];
		} b = {.u = {.flags = 0}, .name = "../hel"};
		ck_assert_int_eq(raw(GOFER_T_UNLINK, &b, sizeof(b.u) + 7), -EINVAL);
	}
	ck_assert_int_eq(access(hp("hello"), F_OK), 0);
}
END_TEST

START_TEST(test_gofer_write_readonly_refuses)
{
	struct gofer_setattr sa = {.valid = GOFER_SET_MODE, .mode = 0777};
	struct gofer_attr a;
	struct stat before, after;
	gofer_fid f, h = walk(root, "hello");
	int fd;

	ck_assert_int_eq(stat(hp("hello"), &before), 0);
	ck_assert_int_eq(gofer_create(gc, root, "x", O_RDWR, 0600, UINT32_MAX, UINT32_MAX, &f, &a,
				      &fd),
			 -EROFS);
	ck_assert_int_eq(gofer_mkdir(gc, root, "x", 0700, UINT32_MAX, UINT32_MAX, &f, &a), -EROFS);
	ck_assert_int_eq(gofer_unlink(gc, root, "hello", 0), -EROFS);
	ck_assert_int_eq(gofer_rename(gc, root, "hello", root, "x", 0), -EROFS);
	ck_assert_int_eq(gofer_symlink(gc, root, "x", "y", UINT32_MAX, UINT32_MAX, &f, &a), -EROFS);
	ck_assert_int_eq(gofer_link(gc, root, "x", h, &f, &a), -EROFS);
	ck_assert_int_eq(gofer_tmpfile(gc, root, 0600, UINT32_MAX, UINT32_MAX, &f, &a, &fd),
			 -EROFS);
	ck_assert_int_eq(gofer_setattr(gc, h, &sa, &a), -EROFS);
	ck_assert_int_eq(gofer_setxattr(gc, h, "user.x", "v", 1, 0), -EROFS);
	ck_assert_int_eq(gofer_removexattr(gc, h, "user.x"), -EROFS);
	ck_assert_int_eq(stat(hp("hello"), &after), 0);
	ck_assert_int_eq(after.st_mode, before.st_mode);
	ck_assert_int_eq(after.st_ctim.tv_sec, before.st_ctim.tv_sec);
	ck_assert_int_eq(after.st_ctim.tv_nsec, before.st_ctim.tv_nsec);
	ck_assert_int_eq(access(hp("x"), F_OK), -1);
}
END_TEST

/* One request on a raw connection; returns the error word, closes any
 * donated descriptor, checks type and tag. */
static int raw_rpc(int sock, uint32_t type, uint32_t tag, const void *body, size_t len,
		   void *payload, size_t plen)
{
	static char buf[GOFER_MSG_MAX];
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cm;
	struct gofer_hdr h = {.type = type, .tag = tag, .len = (uint32_t)len};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)body, len}};
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 2};
	struct iovec riov = {buf, sizeof(buf)};
	struct msghdr rmsg = {.msg_iov = &riov,
			      .msg_iovlen = 1,
			      .msg_control = cm.b,
			      .msg_controllen = sizeof(cm.b)};
	struct gofer_rhdr rh;
	struct cmsghdr *c;
	ssize_t n;

	ck_assert_int_eq(sendmsg(sock, &msg, MSG_NOSIGNAL), (ssize_t)(sizeof(h) + len));
	n = recvmsg(sock, &rmsg, MSG_CMSG_CLOEXEC);
	ck_assert_int_ge(n, (ssize_t)(sizeof(h) + sizeof(rh)));
	for (c = CMSG_FIRSTHDR(&rmsg); c; c = CMSG_NXTHDR(&rmsg, c)) {
		int fd;

		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		close(fd);
	}
	memcpy(&h, buf, sizeof(h));
	ck_assert_uint_eq(h.type, type | GOFER_REPLY);
	ck_assert_uint_eq(h.tag, tag);
	memcpy(&rh, buf + sizeof(h), sizeof(rh));
	/* (Replies shorter than plen leave payload alone: not every type has
	 * the layout the caller expects.) */
	if (payload && rh.err == 0 && n >= (ssize_t)(sizeof(h) + sizeof(rh) + plen))
		memcpy(payload, buf + sizeof(h) + sizeof(rh), plen);
	return rh.err;
}

/* A well-formed body for type (random small names and values), for the
 * garbage test to reach the handlers' real work. Returns its length. */
static size_t plausible(uint32_t type, unsigned char *b, uint64_t fid, uint64_t fid2)
{
	uint32_t w[16] = {0};
	size_t fixed = 24, k, n;
	char name[3] = {"abc"[random() % 3], "xyz./"[random() % 5], 0};

	memcpy(w, &fid, 8);
	switch (type) {
	case GOFER_T_CREATE:
		w[2] = (uint32_t)(random() % 3) | (random() % 2 ? O_EXCL : 0) |
		       (random() % 2 ? O_TRUNC : 0);
		w[3] = 0644;
		w[4] = w[5] = UINT32_MAX;
		break;
	case GOFER_T_MKDIR:
	case GOFER_T_MKNOD:
		w[2] = type == GOFER_T_MKDIR ? 0755 : (random() % 2 ? S_IFIFO : S_IFSOCK) | 0600;
		w[3] = w[4] = UINT32_MAX;
		break;
	case GOFER_T_UNLINK:
		w[2] = random() % 2 ? 0 : AT_REMOVEDIR;
		fixed = 16;
		break;
	case GOFER_T_RENAME:
		memcpy(w + 2, &fid2, 8);
		w[4] = (uint32_t)(random() % 3);
		w[5] = 2 | (2u << 16);
		memcpy(b, w, 24);
		memcpy(b + 24, name, 3);
		name[0] = "abc"[random() % 3];
		memcpy(b + 27, name, 3);
		return 30;
	case GOFER_T_SYMLINK:
		w[2] = w[3] = UINT32_MAX;
		w[4] = 2;
		w[5] = 2;
		memcpy(b, w, 24);
		memcpy(b + 24, name, 3);
		memcpy(b + 27, "..", 3);
		return 30;
	case GOFER_T_LINK:
		memcpy(w + 2, &fid2, 8);
		fixed = 16;
		break;
	case GOFER_T_SETATTR:
		w[2] = (uint32_t)(random() & 0x3f);
		w[3] = 0640;
		w[6] = (uint32_t)(random() % 100);
		w[12] = GOFER_UTIME_NOW;
		w[13] = GOFER_UTIME_OMIT;
		memcpy(b, w, 56);
		return 56;
	case GOFER_T_GETXATTR:
	case GOFER_T_REMOVEXATTR:
		w[2] = 64;
		w[3] = 6;
		memcpy(b, w, 16);
		memcpy(b + 16, "user.a", 7);
		return 23;
	case GOFER_T_LISTXATTR:
		w[2] = 64;
		memcpy(b, w, 16);
		return 16;
	case GOFER_T_SETXATTR:
		w[3] = 6;
		w[4] = 3;
		memcpy(b, w, 24);
		memcpy(b + 24, "user.a\0xyz", 10);
		return 34;
	case GOFER_T_FSYNC:
		w[2] = (uint32_t)(random() % 2);
		memcpy(b, w, 16);
		return 16;
	default:
		break;
	}
	memcpy(b, w, fixed);
	n = strlen(name);
	for (k = 0; k <= n; k++)
		b[fixed + k] = (unsigned char)name[k];
	return fixed + n + 1;
}

/* Random bodies for every writable message, many aimed at real fids with
 * plausible names: each gets an answer, and the gofer is never killed (its
 * seccomp filter covers every path the handlers can take) and exits 0. */
START_TEST(test_gofer_write_garbage)
{
	char err[256];
	struct gofer_rwalk rw;
	struct gofer_wire_attr wa;
	unsigned char body[320];
	uint64_t fids[8];
	int sock, status, i, nf = 1, succeeded = 0, kinds = 0;
	pid_t pid;

	sock = gofer_spawn_fd(GOFER_PATH, dir, true, &pid, err, sizeof(err));
	ck_assert_int_ge(sock, 0);
	ck_assert_int_eq(raw_rpc(sock, GOFER_T_ROOT, 1, NULL, 0, &rw, sizeof(rw)), 0);
	fids[0] = rw.fid;
	srandom(4242);
	for (i = 0; i < 4000; i++) {
		uint32_t type = GOFER_T_CREATE + (uint32_t)(random() % 14);
		size_t len = (size_t)(random() % 120), k;
		uint64_t fid = fids[random() % nf];

		for (k = 0; k < sizeof(body); k++)
			body[k] = (unsigned char)random();
		if (random() % 4)
			len = plausible(type, body, fid, fids[random() % nf]);
		status = raw_rpc(sock, type, (uint32_t)i + 10, body, len, &rw, sizeof(rw));
		if (status == 0) {
			succeeded++;
			kinds |= 1 << (type - GOFER_T_CREATE);
		}
		if (status == 0 && nf < 8 &&
		    (type == GOFER_T_MKDIR || type == GOFER_T_CREATE || type == GOFER_T_SYMLINK))
			fids[nf++] = rw.fid;
		ck_assert_int_le(status, 0);
		ck_assert_int_ge(status, -4095);
	}
	/* Not only errors: the handlers' real work ran too. */
	ck_assert_int_ge(succeeded, 200);
	ck_assert_int_ge(__builtin_popcount((unsigned)kinds), 12);
	ck_assert_int_eq(raw_rpc(sock, GOFER_T_STAT, 1, &fids[0], 8, &wa, sizeof(wa)), 0);
	close(sock);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "gofer status %#x", status);
}
END_TEST

Suite *gofer_write_suite(void)
{
	Suite *s = suite_create("gofer_write");
	TCase *rw = tcase_create("rw");
	TCase *ro = tcase_create("ro");

	tcase_add_checked_fixture(rw, setup_rw, teardown);
	/* The garbage test sends 4000 requests: slow under ASan on a loaded machine. */
	tcase_set_timeout(rw, 120);
	tcase_set_timeout(ro, 30);
	tcase_add_test(rw, test_gofer_write_create_write_read);
	tcase_add_test(rw, test_gofer_write_tmpfile_then_link);
	tcase_add_test(rw, test_gofer_write_names_and_dirs);
	tcase_add_test(rw, test_gofer_write_owner);
	tcase_add_test(rw, test_gofer_write_rename_keeps_fids);
	tcase_add_test(rw, test_gofer_write_setattr);
	tcase_add_test(rw, test_gofer_write_xattr);
	tcase_add_test(rw, test_gofer_write_bad_fids);
	tcase_add_test(rw, test_gofer_write_names_checked_by_gofer);
	tcase_add_test(rw, test_gofer_write_garbage);
	suite_add_tcase(s, rw);
	tcase_add_checked_fixture(ro, setup_ro, teardown);
	tcase_add_test(ro, test_gofer_write_readonly_refuses);
	suite_add_tcase(s, ro);
	return s;
}
