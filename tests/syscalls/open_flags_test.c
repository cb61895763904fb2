/*
 * open(2) status flags: O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_TMPFILE
 * (on tmpfs /dev/shm and on /tmp: the sandbox's default overlay, or a gofer
 * volume in volume_syscalls.sh), O_SYNC /
 * O_DSYNC, O_LARGEFILE. (O_NOATIME's ownership rule is in perm_test.)
 */
#include "harness.h"

#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <sys/wait.h>

#define LINUX_O_LARGEFILE 0100000

static const char *const bases[] = { "/tmp", "/dev/shm" };

TEST(o_append_writes_at_the_end)
{
	char buf[32] = { 0 };
	int fd;

	if (!MAKE_FILE("f", "abc"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDWR | O_APPEND));
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(write(fd, "de", 2), 2);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 5);
	/* pwrite on an O_APPEND file appends too (a documented Linux bug). */
	EXPECT_EQ(pwrite(fd, "f", 1, 0), 1);
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 6);
	EXPECT_STREQ(buf, "abcdef");
	/* F_SETFL can clear it. */
	EXPECT_SYS(fcntl(fd, F_SETFL, 0));
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_APPEND, 0);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(write(fd, "X", 1), 1);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(pread(fd, buf, sizeof(buf), 0), 6);
	EXPECT_STREQ(buf, "Xbcdef");
	EXPECT_SYS(fcntl(fd, F_SETFL, O_APPEND));
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_APPEND, O_APPEND);
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	EXPECT_EQ(write(fd, "g", 1), 1);
	EXPECT_EQ(lseek(fd, 0, SEEK_CUR), 7);
	close(fd);
}

TEST(o_directory)
{
	int fd;

	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(symlink("d", "ld"));
	EXPECT_SYS(symlink("f", "lf"));
	EXPECT_ERRNO(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	EXPECT_ERRNO(open("lf", O_RDONLY | O_DIRECTORY), ENOTDIR);
	EXPECT_ERRNO(open("/dev/null", O_RDONLY | O_DIRECTORY), ENOTDIR);
	fd = (int)EXPECT_SYS(open("ld", O_RDONLY | O_DIRECTORY));
	close(fd);
	/* O_DIRECTORY with O_NOFOLLOW on a symlink to a directory: ENOTDIR. */
	EXPECT_ERRNO(open("ld", O_RDONLY | O_DIRECTORY | O_NOFOLLOW), ENOTDIR);
	/* O_CREAT | O_DIRECTORY is refused outright (Linux 6.4+). */
	EXPECT_ERRNO(open("new", O_RDONLY | O_DIRECTORY | O_CREAT, 0644), EINVAL);
	EXPECT_ERRNO(access("new", F_OK), ENOENT);
	EXPECT_ERRNO(open("d", O_RDONLY | O_DIRECTORY | O_CREAT, 0644), EINVAL);
}

TEST(o_nofollow)
{
	int fd;
	struct stat st;

	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("d/f", "x"))
		return;
	EXPECT_SYS(symlink("d", "ld"));
	EXPECT_SYS(symlink("d/f", "lf"));
	EXPECT_ERRNO(open("lf", O_RDONLY | O_NOFOLLOW), ELOOP);
	EXPECT_ERRNO(open("lf", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644), ELOOP);
	EXPECT_ERRNO(open("ld", O_RDONLY | O_NOFOLLOW), ELOOP);
	/* Only the last component: earlier symlinks are followed. */
	fd = (int)EXPECT_SYS(open("ld/f", O_RDONLY | O_NOFOLLOW));
	close(fd);
	/* O_PATH | O_NOFOLLOW opens the link itself. */
	fd = (int)EXPECT_SYS(open("lf", O_PATH | O_NOFOLLOW));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_TRUE(S_ISLNK(st.st_mode));
	char buf[16] = { 0 };
	EXPECT_EQ(readlinkat(fd, "", buf, sizeof(buf)), 3);
	EXPECT_STREQ(buf, "d/f");
	close(fd);
}

TEST(o_path)
{
	int fd, dfd, ffd;
	struct stat st;
	char c;

	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("d/f", "hello"))
		return;
	fd = (int)EXPECT_SYS(open("d/f", O_PATH));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 5);
	EXPECT_ERRNO(read(fd, &c, 1), EBADF);
	EXPECT_ERRNO(write(fd, "x", 1), EBADF);
	EXPECT_ERRNO(fchmod(fd, 0600), EBADF);
	EXPECT_ERRNO(ioctl(fd, FIONREAD, &st), EBADF);
	EXPECT_ERRNO(ftruncate(fd, 0), EBADF);
	EXPECT_TRUE(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED);
	EXPECT_EQ(errno, EBADF);
	EXPECT_ERRNO(fchown(fd, 0, 0), EBADF);
	EXPECT_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
	EXPECT_ERRNO(fsync(fd), EBADF);
	EXPECT_ERRNO(fdatasync(fd), EBADF);
	EXPECT_ERRNO(flock(fd, LOCK_SH), EBADF);
	EXPECT_ERRNO(fgetxattr(fd, "user.x", NULL, 0), EBADF);
	EXPECT_ERRNO(fallocate(fd, 0, 0, 10), EBADF);
	EXPECT_ERRNO(futimens(fd, NULL), EBADF);
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET };
	EXPECT_ERRNO(fcntl(fd, F_SETLK, &fl), EBADF);
	EXPECT_EQ(posix_fadvise(fd, 0, 0, POSIX_FADV_NORMAL), EBADF);
	int pfd[2];
	EXPECT_SYS(pipe(pfd));
	EXPECT_EQ(posix_fadvise(pfd[0], 0, 0, POSIX_FADV_NORMAL), ESPIPE);
	close(pfd[0]);
	close(pfd[1]);
	int rfd = (int)EXPECT_SYS(open("d/f", O_RDONLY));
	EXPECT_EQ(posix_fadvise(rfd, 0, 0, POSIX_FADV_SEQUENTIAL), 0);
	EXPECT_EQ(posix_fadvise(rfd, 0, 100, POSIX_FADV_DONTNEED), 0);
	EXPECT_EQ(posix_fadvise(rfd, 0, 0, 99), EINVAL);
	EXPECT_EQ(posix_fadvise(rfd, 0, -1, POSIX_FADV_NORMAL), EINVAL);
	close(rfd);
	struct statfs sfs;
	EXPECT_SYS(fstatfs(fd, &sfs));
	EXPECT_SYS(fchownat(fd, "", -1, -1, AT_EMPTY_PATH)); /* by path: allowed */
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_PATH, O_PATH);
	int fd2 = (int)EXPECT_SYS(dup(fd));
	EXPECT_SYS(close(fd2));
	/* Reopened through /proc/self/fd it is a real file again. */
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ffd = (int)EXPECT_SYS(open(proc, O_RDONLY));
	EXPECT_EQ(read(ffd, &c, 1), 1);
	EXPECT_EQ(c, 'h');
	close(ffd);
	close(fd);

	/* A directory: fchdir and *at() relative to it work. */
	dfd = (int)EXPECT_SYS(open("d", O_PATH | O_DIRECTORY));
	ffd = (int)EXPECT_SYS(openat(dfd, "f", O_RDONLY));
	EXPECT_EQ(read(ffd, &c, 1), 1);
	close(ffd);
	EXPECT_SYS(fstatat(dfd, "f", &st, 0));
	EXPECT_EQ(st.st_size, 5);
	DIR *dir = fdopendir(dfd); /* getdents on O_PATH: EBADF */
	if (dir) {
		errno = 0;
		EXPECT_TRUE(readdir(dir) == NULL);
		EXPECT_EQ(errno, EBADF);
		closedir(dir);
		dfd = (int)EXPECT_SYS(open("d", O_PATH | O_DIRECTORY));
	}
	EXPECT_SYS(fchdir(dfd));
	EXPECT_SYS(access("f", R_OK));
	close(dfd);
	/* O_PATH ignores other flags: no create, no truncate. */
	EXPECT_ERRNO(open("d/missing", O_PATH | O_CREAT, 0644), ENOENT);
	fd = (int)EXPECT_SYS(open("f", O_PATH | O_TRUNC | O_WRONLY));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 5);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
}

/* O_PATH needs no permission on the file itself, only search on the path. */
TEST(o_path_without_read_permission)
{
	EXPECT_SYS(chmod(harness_root, 0755));
	EXPECT_SYS(chmod(harness_testdir, 0755));
	if (!MAKE_FILE("secret", "x"))
		return;
	EXPECT_SYS(chmod("secret", 0000));
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		harness_failures = 0;
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(2);
		struct stat st;
		EXPECT_ERRNO(open("secret", O_RDONLY), EACCES);
		int fd = (int)EXPECT_SYS(open("secret", O_PATH));
		EXPECT_SYS(fstat(fd, &st));
		EXPECT_EQ(st.st_mode & 07777, 0);
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		EXPECT_ERRNO(open(proc, O_RDONLY), EACCES); /* reopening checks */
		_exit(harness_failures ? 1 : 0);
	}
	int status = -1;
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_EQ(status, 0);
	EXPECT_SYS(chmod(harness_testdir, 0700));
	EXPECT_SYS(chmod(harness_root, 0700));
}

static void check_tmpfile(const char *base)
{
	char dir[PATH_MAX], name[PATH_MAX + 16], proc[64], link[PATH_MAX + 32];
	struct stat st;
	int fd, fd2;

	snprintf(dir, sizeof(dir), "%s/tmpfileXXXXXX", base);
	if (!EXPECT_TRUE(mkdtemp(dir) != NULL))
		return;
	/* Also when /tmp is a gofer volume (integration/volume_syscalls): the
	 * gofer makes the unnamed host file (TMPFILE) and LINK names it. */
	mode_t old = umask(022);
	fd = (int)EXPECT_SYS(open(dir, O_TMPFILE | O_RDWR, 0666));
	umask(old);
	if (fd < 0) {
		rmdir(dir);
		return;
	}
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 0);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_mode & 07777, 0644);
	EXPECT_EQ(write(fd, "tmpdata", 7), 7);
	/* Nameless: the directory stays empty. */
	DIR *d = opendir(dir);
	struct dirent *e;
	int entries = 0;
	while (d && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			entries++;
	if (d)
		closedir(d);
	EXPECT_EQ(entries, 0);
	/* /proc/self/fd shows "<dir>/#<ino> (deleted)". */
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(proc, link, sizeof(link) - 1);
	EXPECT_GT(n, 0);
	if (n > 0) {
		link[n] = '\0';
		snprintf(name, sizeof(name), "%s/#%llu (deleted)", dir,
			 (unsigned long long)st.st_ino);
		EXPECT_STREQ(link, name);
	}
	/* linkat(AT_EMPTY_PATH) gives it a name. */
	snprintf(name, sizeof(name), "%s/named", dir);
	EXPECT_SYS(linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 1);
	char buf[16] = { 0 };
	fd2 = (int)EXPECT_SYS(open(name, O_RDONLY));
	EXPECT_EQ(read(fd2, buf, sizeof(buf)), 7);
	EXPECT_STREQ(buf, "tmpdata");
	close(fd2);
	/* A second name through /proc/self/fd with AT_SYMLINK_FOLLOW. */
	snprintf(name, sizeof(name), "%s/named2", dir);
	EXPECT_SYS(linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_nlink, 2);
	close(fd);

	/* O_EXCL: never linkable. */
	fd = (int)EXPECT_SYS(open(dir, O_TMPFILE | O_WRONLY | O_EXCL, 0600));
	snprintf(name, sizeof(name), "%s/excl", dir);
	EXPECT_ERRNO(linkat(fd, "", AT_FDCWD, name, AT_EMPTY_PATH), ENOENT);
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	EXPECT_ERRNO(linkat(AT_FDCWD, proc, AT_FDCWD, name, AT_SYMLINK_FOLLOW), ENOENT);
	EXPECT_ERRNO(access(name, F_OK), ENOENT);
	close(fd);

	/* Errors: not a directory, read-only, missing directory. */
	snprintf(name, sizeof(name), "%s/named", dir);
	EXPECT_ERRNO(open(name, O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	EXPECT_ERRNO(open(dir, O_TMPFILE | O_RDONLY, 0600), EINVAL);
	snprintf(name, sizeof(name), "%s/missing", dir);
	EXPECT_ERRNO(open(name, O_TMPFILE | O_RDWR, 0600), ENOENT);

	snprintf(name, sizeof(name), "%s/named", dir);
	unlink(name);
	snprintf(name, sizeof(name), "%s/named2", dir);
	unlink(name);
	EXPECT_SYS(rmdir(dir));
}

TEST(o_tmpfile_on_tmpfs_and_tmp)
{
	for (unsigned b = 0; b < 2; b++)
		check_tmpfile(bases[b]);
}

TEST(o_sync_o_dsync_o_largefile)
{
	int fd;

	fd = (int)EXPECT_SYS(open("s", O_CREAT | O_WRONLY | O_SYNC, 0644));
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_SYNC, O_SYNC);
	EXPECT_EQ(write(fd, "x", 1), 1);
	close(fd);
	fd = (int)EXPECT_SYS(open("s", O_WRONLY | O_DSYNC));
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_SYNC, O_DSYNC);
	EXPECT_EQ(write(fd, "y", 1), 1);
	close(fd);
	/* 64-bit: every file is O_LARGEFILE, asked for or not. */
	fd = (int)EXPECT_SYS(open("s", O_RDONLY));
	EXPECT_EQ(fcntl(fd, F_GETFL) & LINUX_O_LARGEFILE, LINUX_O_LARGEFILE);
	close(fd);
	fd = (int)EXPECT_SYS(syscall(SYS_open, "s", O_RDONLY | LINUX_O_LARGEFILE));
	EXPECT_EQ(fcntl(fd, F_GETFL) & LINUX_O_LARGEFILE, LINUX_O_LARGEFILE);
	close(fd);
	/* Unknown high bits are ignored by open (not by openat2). */
	fd = (int)EXPECT_SYS(syscall(SYS_open, "s", O_RDONLY | 0x40000000));
	close(fd);
}
