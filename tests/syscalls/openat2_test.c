/*
 * openat2(2): struct open_how size rules (EINVAL below VER0, E2BIG above a
 * page or with a non-zero tail), stricter flag/mode validation than open,
 * and the RESOLVE_* path-walk restrictions.
 */
#include "harness.h"

#include <stdint.h>

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define R_NO_XDEV 0x01
#define R_NO_MAGICLINKS 0x02
#define R_NO_SYMLINKS 0x04
#define R_BENEATH 0x08
#define R_IN_ROOT 0x10
#define R_CACHED 0x20

struct how {
	uint64_t flags, mode, resolve;
};

static long o2(int dfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct how h = { flags, mode, resolve };

	return syscall(SYS_openat2, dfd, path, &h, sizeof(h));
}

/* Opens path and checks it is the file holding str. */
static bool opens_to(int dfd, const char *path, uint64_t resolve, const char *str)
{
	char buf[32] = { 0 };
	long fd = o2(dfd, path, O_RDONLY, 0, resolve);

	if (fd < 0)
		return FAIL("openat2(%s, %#llx): %s", path, (unsigned long long)resolve,
			    strerror(errno));
	ssize_t n = read((int)fd, buf, sizeof(buf) - 1);
	close((int)fd);
	if (n < 0 || strcmp(buf, str))
		return FAIL("openat2(%s) read \"%s\", wanted \"%s\"", path, buf, str);
	return true;
}

TEST(open_how_size_rules)
{
	char big[8192];
	struct how *h = (struct how *)big;

	if (!MAKE_FILE("f", "x"))
		return;
	memset(big, 0, sizeof(big));
	h->flags = O_RDONLY;
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", h, 0), EINVAL);
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", h, 23), EINVAL);
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", h, 4097), E2BIG);
	close((int)EXPECT_SYS(syscall(SYS_openat2, AT_FDCWD, "f", h, 24)));
	/* Bigger with a zero tail: fine; a non-zero tail byte: E2BIG. */
	close((int)EXPECT_SYS(syscall(SYS_openat2, AT_FDCWD, "f", h, 4096)));
	big[4095] = 1;
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", h, 4096), E2BIG);
	big[4095] = 0;
	big[24] = 1;
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", h, 32), E2BIG);
	close((int)EXPECT_SYS(syscall(SYS_openat2, AT_FDCWD, "f", h, 24)));
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", (void *)1, 24), EFAULT);
	EXPECT_ERRNO(syscall(SYS_openat2, AT_FDCWD, "f", NULL, 24), EFAULT);
}

TEST(flags_and_mode_validation)
{
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(o2(AT_FDCWD, "f", O_RDONLY | (1ULL << 40), 0, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, "f", O_RDONLY | 0x40000000, 0, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, "f", O_RDONLY, 0, 0x40), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, "f", O_RDONLY, 0, R_BENEATH | R_IN_ROOT), EINVAL);
	/* mode only with O_CREAT / O_TMPFILE, and only permission bits */
	EXPECT_ERRNO(o2(AT_FDCWD, "f", O_RDONLY, 0644, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, "g", O_CREAT | O_WRONLY, 010644, 0), EINVAL);
	EXPECT_ERRNO(access("g", F_OK), ENOENT);
	long fd = EXPECT_SYS(o2(AT_FDCWD, "g", O_CREAT | O_WRONLY, 0640, 0));
	close((int)fd);
	struct stat st;
	EXPECT_SYS(stat("g", &st));
	EXPECT_EQ(st.st_mode & 0777, 0640 & ~022 & 0777);
	/* O_PATH takes only O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC. */
	EXPECT_ERRNO(o2(AT_FDCWD, "f", O_PATH | O_RDWR, 0, 0), EINVAL);
	EXPECT_ERRNO(o2(AT_FDCWD, "f", O_PATH | O_APPEND, 0, 0), EINVAL);
	fd = EXPECT_SYS(o2(AT_FDCWD, "f", O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, 0));
	EXPECT_EQ(fcntl((int)fd, F_GETFD), FD_CLOEXEC);
	close((int)fd);
	EXPECT_ERRNO(o2(AT_FDCWD, "d", O_CREAT | O_DIRECTORY, 0755, 0), EINVAL);
	/* RESOLVE_CACHED cannot create. */
	EXPECT_ERRNO(o2(AT_FDCWD, "h", O_CREAT | O_WRONLY, 0644, R_CACHED), EAGAIN);
	EXPECT_ERRNO(o2(AT_FDCWD, "f", O_WRONLY | O_TRUNC, 0, R_CACHED), EAGAIN);
	/* Errors after the checks: as openat. */
	EXPECT_ERRNO(o2(AT_FDCWD, "missing", O_RDONLY, 0, 0), ENOENT);
	EXPECT_ERRNO(o2(AT_FDCWD, "", O_RDONLY, 0, 0), ENOENT);
	EXPECT_ERRNO(o2(-1, "f", O_RDONLY, 0, 0), EBADF);
	EXPECT_ERRNO(o2(AT_FDCWD, (const char *)1, O_RDONLY, 0, 0), EFAULT);
}

/*
 * Layout, with root = "r":
 *   r/in            "in"
 *   r/sub/file      "sub"
 *   r/abs -> /in    (absolute)
 *   r/up  -> ../out
 *   r/rel -> sub/file
 *   out             "out"   (beside r)
 *   in              "outer-in" (in the scratch dir, what /in means from cwd if chrooted there)
 */
static int make_tree(void)
{
	if (mkdir("r", 0755) || mkdir("r/sub", 0755))
		return -1;
	if (!MAKE_FILE("r/in", "in") || !MAKE_FILE("r/sub/file", "sub") ||
	    !MAKE_FILE("out", "out"))
		return -1;
	if (symlink("/in", "r/abs") || symlink("../out", "r/up") ||
	    symlink("sub/file", "r/rel") || symlink("sub", "r/lsub"))
		return -1;
	return open("r", O_PATH | O_DIRECTORY);
}

TEST(resolve_beneath)
{
	int r = make_tree();

	if (!EXPECT_GE(r, 0))
		return;
	EXPECT_TRUE(opens_to(r, "in", R_BENEATH, "in"));
	EXPECT_TRUE(opens_to(r, "sub/../in", R_BENEATH, "in"));
	EXPECT_TRUE(opens_to(r, "rel", R_BENEATH, "sub"));
	EXPECT_TRUE(opens_to(r, "lsub/file", R_BENEATH, "sub"));
	EXPECT_TRUE(opens_to(r, "../out", 0, "out"));
	EXPECT_ERRNO(o2(r, "../out", O_RDONLY, 0, R_BENEATH), EXDEV);
	EXPECT_ERRNO(o2(r, "sub/../../out", O_RDONLY, 0, R_BENEATH), EXDEV);
	EXPECT_ERRNO(o2(r, "up", O_RDONLY, 0, R_BENEATH), EXDEV);
	EXPECT_ERRNO(o2(r, "abs", O_RDONLY, 0, R_BENEATH), EXDEV);
	EXPECT_ERRNO(o2(r, "/etc/passwd", O_RDONLY, 0, R_BENEATH), EXDEV);
	EXPECT_ERRNO(o2(r, "..", O_RDONLY, 0, R_BENEATH), EXDEV);
	/* creation beneath, and through a symlink that escapes */
	long fd = EXPECT_SYS(o2(r, "sub/new", O_CREAT | O_WRONLY, 0644, R_BENEATH));
	close((int)fd);
	EXPECT_SYS(symlink("../newout", "r/upnew"));
	EXPECT_ERRNO(o2(r, "upnew", O_CREAT | O_WRONLY, 0644, R_BENEATH), EXDEV);
	EXPECT_ERRNO(access("newout", F_OK), ENOENT);
	/* AT_FDCWD: the cwd is the root */
	EXPECT_SYS(fchdir(r));
	EXPECT_TRUE(opens_to(AT_FDCWD, "in", R_BENEATH, "in"));
	EXPECT_ERRNO(o2(AT_FDCWD, "../out", O_RDONLY, 0, R_BENEATH), EXDEV);
	EXPECT_SYS(chdir(harness_testdir));
	/* magic links are refused in scoped walks */
	char proc[64];
	snprintf(proc, sizeof(proc), "self/fd/%d", r);
	int pfd = open("/proc", O_PATH | O_DIRECTORY);
	EXPECT_ERRNO(o2(pfd, proc, O_PATH, 0, R_BENEATH), EXDEV);
	close(pfd);
	close(r);
}

TEST(resolve_in_root)
{
	int r = make_tree();

	if (!EXPECT_GE(r, 0))
		return;
	EXPECT_TRUE(opens_to(r, "/in", R_IN_ROOT, "in"));
	EXPECT_TRUE(opens_to(r, "abs", R_IN_ROOT, "in"));
	EXPECT_TRUE(opens_to(r, "../in", R_IN_ROOT, "in"));
	EXPECT_TRUE(opens_to(r, "../../../sub/file", R_IN_ROOT, "sub"));
	EXPECT_TRUE(opens_to(r, "/sub/../../in", R_IN_ROOT, "in"));
	/* "up" -> ../out stays inside: r/out does not exist */
	EXPECT_ERRNO(o2(r, "up", O_RDONLY, 0, R_IN_ROOT), ENOENT);
	EXPECT_ERRNO(o2(r, "/etc/passwd", O_RDONLY, 0, R_IN_ROOT), ENOENT);
	/* creating through an absolute symlink lands inside the root */
	EXPECT_SYS(symlink("/created", "r/abscreate"));
	long fd = EXPECT_SYS(o2(r, "abscreate", O_CREAT | O_WRONLY, 0644, R_IN_ROOT));
	close((int)fd);
	EXPECT_SYS(access("r/created", F_OK));
	close(r);
}

TEST(resolve_no_symlinks)
{
	int r = make_tree();

	if (!EXPECT_GE(r, 0))
		return;
	EXPECT_TRUE(opens_to(r, "sub/file", R_NO_SYMLINKS, "sub"));
	EXPECT_ERRNO(o2(r, "rel", O_RDONLY, 0, R_NO_SYMLINKS), ELOOP);
	EXPECT_ERRNO(o2(r, "lsub/file", O_RDONLY, 0, R_NO_SYMLINKS), ELOOP);
	EXPECT_ERRNO(o2(r, "rel", O_CREAT | O_WRONLY, 0644, R_NO_SYMLINKS), ELOOP);
	/* The last component is not followed with O_PATH | O_NOFOLLOW. */
	long fd = EXPECT_SYS(o2(r, "rel", O_PATH | O_NOFOLLOW, 0, R_NO_SYMLINKS));
	struct stat st;
	EXPECT_SYS(fstat((int)fd, &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	close((int)fd);
	EXPECT_ERRNO(o2(AT_FDCWD, "/proc/self/exe", O_RDONLY, 0, R_NO_SYMLINKS), ELOOP);
	close(r);
}

TEST(resolve_no_magiclinks)
{
	int fd = (int)EXPECT_SYS(open("f", O_CREAT | O_RDWR, 0644));
	char proc[64];

	EXPECT_SYS(symlink("f", "plain"));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	EXPECT_ERRNO(o2(AT_FDCWD, proc, O_RDONLY, 0, R_NO_MAGICLINKS), ELOOP);
	EXPECT_ERRNO(o2(AT_FDCWD, "/proc/self/exe", O_RDONLY, 0, R_NO_MAGICLINKS), ELOOP);
	EXPECT_ERRNO(o2(AT_FDCWD, "/proc/self/cwd/f", O_RDONLY, 0, R_NO_MAGICLINKS), ELOOP);
	/* /proc/self itself is an ordinary symlink. */
	long s = EXPECT_SYS(o2(AT_FDCWD, "/proc/self/status", O_RDONLY, 0, R_NO_MAGICLINKS));
	close((int)s);
	s = EXPECT_SYS(o2(AT_FDCWD, "plain", O_RDONLY, 0, R_NO_MAGICLINKS));
	close((int)s);
	/* O_PATH | O_NOFOLLOW gets the magic link itself. */
	s = EXPECT_SYS(o2(AT_FDCWD, proc, O_PATH | O_NOFOLLOW, 0, R_NO_MAGICLINKS));
	close((int)s);
	s = EXPECT_SYS(o2(AT_FDCWD, proc, O_RDONLY, 0, 0));
	close((int)s);
	close(fd);
}

TEST(resolve_no_xdev)
{
	int dev = (int)EXPECT_SYS(open("/dev", O_PATH | O_DIRECTORY));
	int root = (int)EXPECT_SYS(open("/", O_PATH | O_DIRECTORY));

	/* /dev/shm and /proc are mounts in both worlds. */
	EXPECT_ERRNO(o2(dev, "shm", O_PATH, 0, R_NO_XDEV), EXDEV);
	EXPECT_ERRNO(o2(root, "proc/self", O_PATH, 0, R_NO_XDEV), EXDEV);
	EXPECT_ERRNO(o2(AT_FDCWD, "/dev/shm", O_PATH, 0, R_NO_XDEV), EXDEV);
	long fd = EXPECT_SYS(o2(dev, "shm", O_PATH, 0, 0));
	close((int)fd);
	int shm = (int)EXPECT_SYS(open("/dev/shm", O_PATH | O_DIRECTORY));
	EXPECT_ERRNO(o2(shm, "..", O_PATH, 0, R_NO_XDEV), EXDEV);
	fd = EXPECT_SYS(o2(shm, ".", O_PATH, 0, R_NO_XDEV));
	close((int)fd);
	/* inside one mount: fine, symlinks included */
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(symlink("f", "l"));
	fd = EXPECT_SYS(o2(AT_FDCWD, "l", O_RDONLY, 0, R_NO_XDEV));
	close((int)fd);
	close(shm);
	close(root);
	close(dev);
}
