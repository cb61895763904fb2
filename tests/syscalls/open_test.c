/* open, openat, creat, umask. */
#include "harness.h"

TEST(create_respects_mode_and_umask)
{
	struct stat st;
	int fd;

	EXPECT_EQ(umask(027), 022); /* the harness sets 022 */
	fd = (int)EXPECT_SYS(open("f", O_WRONLY | O_CREAT, 0666));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_mode & 07777, 0640);
	EXPECT_TRUE(S_ISREG(st.st_mode));
	EXPECT_EQ(st.st_size, 0);
	close(fd);
	EXPECT_EQ(umask(022), 027);
}

TEST(lowest_free_fd_is_returned)
{
	int a, b, c;

	if (!MAKE_FILE("f", "x"))
		return;
	a = (int)EXPECT_SYS(open("f", O_RDONLY));
	b = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_EQ(b, a + 1);
	close(a);
	c = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_EQ(c, a);
	close(b);
	close(c);
}

TEST(o_excl_and_existing)
{
	int fd;

	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(open("f", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
	/* O_CREAT without O_EXCL opens the existing file and keeps its content. */
	fd = (int)EXPECT_SYS(open("f", O_RDONLY | O_CREAT, 0600));
	EXPECT_EQ(lseek(fd, 0, SEEK_END), 1);
	close(fd);
	/* O_EXCL on a dangling symlink fails too: the link itself exists. */
	EXPECT_SYS(symlink("nowhere", "dangling"));
	EXPECT_ERRNO(open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644), EEXIST);
}

TEST(o_creat_through_dangling_symlink_creates_target)
{
	struct stat st;
	int fd;

	EXPECT_SYS(symlink("target", "link"));
	fd = (int)EXPECT_SYS(open("link", O_WRONLY | O_CREAT, 0644));
	close(fd);
	EXPECT_SYS(lstat("target", &st));
	EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST(missing_is_enoent)
{
	EXPECT_ERRNO(open("missing", O_RDONLY), ENOENT);
	EXPECT_ERRNO(open("missing/x", O_RDONLY), ENOENT);
	EXPECT_ERRNO(open("", O_RDONLY), ENOENT);
	EXPECT_ERRNO(open("missing_dir/new", O_WRONLY | O_CREAT, 0644), ENOENT);
}

TEST(file_as_directory_is_enotdir)
{
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(open("f/x", O_RDONLY), ENOTDIR);
	EXPECT_ERRNO(open("f/", O_RDONLY), ENOTDIR);
	EXPECT_ERRNO(open("f", O_RDONLY | O_DIRECTORY), ENOTDIR);
	EXPECT_ERRNO(open("f/new", O_WRONLY | O_CREAT, 0644), ENOTDIR);
}

TEST(directory_for_writing_is_eisdir)
{
	int fd;

	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_ERRNO(open("d", O_WRONLY), EISDIR);
	EXPECT_ERRNO(open("d", O_RDWR), EISDIR);
	EXPECT_ERRNO(open("d", O_WRONLY | O_CREAT, 0644), EISDIR);
	fd = (int)EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	close(fd);
	fd = (int)EXPECT_SYS(open("d/", O_RDONLY));
	close(fd);
}

TEST(symlink_loops_are_eloop)
{
	EXPECT_SYS(symlink("loop2", "loop1"));
	EXPECT_SYS(symlink("loop1", "loop2"));
	EXPECT_SYS(symlink("self", "self"));
	EXPECT_ERRNO(open("loop1", O_RDONLY), ELOOP);
	EXPECT_ERRNO(open("self", O_RDONLY), ELOOP);
	EXPECT_ERRNO(open("loop1/x", O_RDONLY), ELOOP);
	EXPECT_ERRNO(open("self", O_WRONLY | O_CREAT, 0644), ELOOP);
}

TEST(o_nofollow_on_symlink_is_eloop)
{
	int fd;

	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(symlink("f", "link"));
	EXPECT_ERRNO(open("link", O_RDONLY | O_NOFOLLOW), ELOOP);
	/* O_NOFOLLOW only applies to the last component. */
	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(symlink("d", "dlink"));
	if (!MAKE_FILE("d/g", "y"))
		return;
	fd = (int)EXPECT_SYS(open("dlink/g", O_RDONLY | O_NOFOLLOW));
	close(fd);
	/* O_PATH|O_NOFOLLOW opens the link itself. */
	fd = (int)EXPECT_SYS(open("link", O_PATH | O_NOFOLLOW));
	close(fd);
}

TEST(long_names_are_enametoolong)
{
	EXPECT_ERRNO(open(harness_long_name(), O_RDONLY), ENAMETOOLONG);
	EXPECT_ERRNO(open(harness_long_name(), O_WRONLY | O_CREAT, 0644), ENAMETOOLONG);
	EXPECT_ERRNO(open(harness_long_path(), O_RDONLY), ENAMETOOLONG);
}

TEST(bad_path_pointer_is_efault)
{
	EXPECT_ERRNO(syscall(SYS_open, (void *)1, O_RDONLY), EFAULT);
	EXPECT_ERRNO(syscall(SYS_openat, AT_FDCWD, harness_unmapped_page(), O_RDONLY), EFAULT);
	EXPECT_ERRNO(syscall(SYS_creat, (void *)1, 0644), EFAULT);
}

TEST(o_tmpfile_without_write_access_is_einval)
{
	EXPECT_ERRNO(open(".", O_TMPFILE | O_RDONLY, 0600), EINVAL);
}

TEST(openat_relative_to_dirfd)
{
	char buf[8] = {0};
	int dfd, fd;

	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("d/f", "in d"))
		return;
	dfd = (int)EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	fd = (int)EXPECT_SYS(openat(dfd, "f", O_RDONLY));
	EXPECT_EQ(read(fd, buf, sizeof(buf)), 4);
	EXPECT_STREQ(buf, "in d");
	close(fd);
	/* Creating relative to the dirfd. */
	fd = (int)EXPECT_SYS(openat(dfd, "new", O_WRONLY | O_CREAT | O_EXCL, 0644));
	close(fd);
	EXPECT_SYS(access("d/new", F_OK));
	/* ".." from the dirfd. */
	fd = (int)EXPECT_SYS(openat(dfd, "../d/f", O_RDONLY));
	close(fd);
	/* An O_PATH directory descriptor works as a dirfd too. */
	close(dfd);
	dfd = (int)EXPECT_SYS(open("d", O_PATH | O_DIRECTORY));
	fd = (int)EXPECT_SYS(openat(dfd, "f", O_RDONLY));
	close(fd);
	close(dfd);
	fd = (int)EXPECT_SYS(openat(AT_FDCWD, "d/f", O_RDONLY));
	close(fd);
}

TEST(openat_dirfd_errors)
{
	int ffd, fd;

	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(openat(-1, "f", O_RDONLY), EBADF);
	EXPECT_ERRNO(openat(9999, "f", O_RDONLY), EBADF);
	ffd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_ERRNO(openat(ffd, "x", O_RDONLY), ENOTDIR);
	/* An absolute path ignores dirfd, even a bad one. */
	fd = (int)EXPECT_SYS(openat(-1, "/etc/passwd", O_RDONLY));
	close(fd);
	fd = (int)EXPECT_SYS(openat(ffd, "/etc/passwd", O_RDONLY));
	close(fd);
	close(ffd);
}

TEST(o_cloexec_sets_fd_flag)
{
	int fd;

	fd = (int)EXPECT_SYS(open("/etc/passwd", O_RDONLY | O_CLOEXEC));
	EXPECT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	fd = (int)EXPECT_SYS(open("/etc/passwd", O_RDONLY));
	EXPECT_EQ(fcntl(fd, F_GETFD), 0);
	close(fd);
}

TEST(creat_truncates_and_is_write_only)
{
	char c;
	struct stat st;
	int fd;

	if (!MAKE_FILE("f", "old content"))
		return;
	fd = (int)EXPECT_SYS(creat("f", 0644));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 0);
	EXPECT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	EXPECT_ERRNO(read(fd, &c, 1), EBADF);
	close(fd);
	fd = (int)EXPECT_SYS(syscall(SYS_creat, "g", 0600));
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_mode & 0777, 0600);
	close(fd);
}

TEST(absolute_and_dotdot_paths)
{
	char path[PATH_MAX + 16];
	int fd;

	if (!MAKE_FILE("f", "x"))
		return;
	snprintf(path, sizeof(path), "%s/f", harness_testdir);
	fd = (int)EXPECT_SYS(open(path, O_RDONLY));
	close(fd);
	/* ".." of "/" is "/" */
	fd = (int)EXPECT_SYS(open("/../../etc/passwd", O_RDONLY));
	close(fd);
	fd = (int)EXPECT_SYS(open(".//f", O_RDONLY));
	close(fd);
	fd = (int)EXPECT_SYS(open("../absolute_and_dotdot_paths/f", O_RDONLY));
	close(fd);
}

TEST(proc_self_and_system_files)
{
	char buf[64];
	int fd;

	fd = (int)EXPECT_SYS(open("/proc/self/maps", O_RDONLY));
	EXPECT_GT(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	fd = (int)EXPECT_SYS(open("/etc/os-release", O_RDONLY));
	EXPECT_GT(read(fd, buf, sizeof(buf)), 0);
	close(fd);
}
