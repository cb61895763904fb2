/* access, faccessat, faccessat2, and execve's EACCES/ENOEXEC/ENOENT. */
#include "harness.h"

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

TEST(existence_and_permissions)
{
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(access("f", F_OK));
	EXPECT_SYS(access("f", R_OK));
	EXPECT_SYS(access("f", R_OK | W_OK));
	EXPECT_ERRNO(access("missing", F_OK), ENOENT);
	EXPECT_SYS(access("/", R_OK | X_OK));
	EXPECT_SYS(access("/bin/sh", X_OK));
}

TEST(x_ok_needs_an_execute_bit_even_for_root)
{
	if (!MAKE_FILE("f", "x"))
		return;
	/* 0644: nobody may execute it, root included. */
	EXPECT_ERRNO(access("f", X_OK), EACCES);
	EXPECT_ERRNO(access("f", R_OK | X_OK), EACCES);
	EXPECT_SYS(chmod("f", 0744));
	EXPECT_SYS(access("f", X_OK));
	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(access("d", X_OK));
}

TEST(invalid_mode_and_flags_are_einval)
{
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(access("f", 8), EINVAL);
	EXPECT_ERRNO(syscall(SYS_faccessat, AT_FDCWD, "f", 0x10), EINVAL);
	EXPECT_ERRNO(syscall(SYS_faccessat2, AT_FDCWD, "f", F_OK, 0x1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_faccessat2, AT_FDCWD, "f", 0x10, 0), EINVAL);
}

TEST(path_errors)
{
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_SYS(symlink("loop", "loop"));
	EXPECT_ERRNO(access("f/x", F_OK), ENOTDIR);
	EXPECT_ERRNO(access("loop", F_OK), ELOOP);
	EXPECT_ERRNO(access(harness_long_name(), F_OK), ENAMETOOLONG);
	EXPECT_ERRNO(access(harness_long_path(), F_OK), ENAMETOOLONG);
	EXPECT_ERRNO(access("", F_OK), ENOENT);
	EXPECT_ERRNO(syscall(SYS_access, (void *)1, F_OK), EFAULT);
	EXPECT_ERRNO(syscall(SYS_faccessat, AT_FDCWD, (void *)1, F_OK), EFAULT);
}

TEST(faccessat_dirfd)
{
	int dfd, ffd;

	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("d/f", "x"))
		return;
	dfd = (int)EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	ffd = (int)EXPECT_SYS(open("d/f", O_RDONLY));
	EXPECT_SYS(syscall(SYS_faccessat, dfd, "f", R_OK));
	EXPECT_ERRNO(syscall(SYS_faccessat, dfd, "missing", F_OK), ENOENT);
	EXPECT_ERRNO(syscall(SYS_faccessat, -1, "f", F_OK), EBADF);
	EXPECT_ERRNO(syscall(SYS_faccessat, ffd, "f", F_OK), ENOTDIR);
	EXPECT_SYS(syscall(SYS_faccessat, -1, "/etc/passwd", R_OK));
	EXPECT_SYS(faccessat(dfd, "f", R_OK, AT_EACCESS));
	close(ffd);
	close(dfd);
}

TEST(faccessat2_flags)
{
	int fd;

	EXPECT_SYS(symlink("nowhere", "dangling"));
	if (!MAKE_FILE("f", "x"))
		return;
	EXPECT_ERRNO(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0), ENOENT);
	EXPECT_SYS(syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
	EXPECT_SYS(syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK | W_OK, AT_EACCESS));
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_SYS(syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
	EXPECT_ERRNO(syscall(SYS_faccessat2, fd, "", X_OK, AT_EMPTY_PATH), EACCES);
	EXPECT_ERRNO(syscall(SYS_faccessat2, fd, "", R_OK, 0), ENOENT);
	close(fd);
}

/* execve only returns on failure, so these are safe without fork. */
TEST(execve_errors)
{
	char *argv[] = { "x", NULL };
	char *envp[] = { NULL };
	static const char garbage[] = "\x01\x02\x03 this is not an executable\n";

	if (!MAKE_FILE("plain", "#!/bin/sh\necho hi\n"))
		return;
	EXPECT_ERRNO(execve("plain", argv, envp), EACCES); /* mode 0644 */
	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_ERRNO(execve("d", argv, envp), EACCES);
	EXPECT_ERRNO(execve("missing", argv, envp), ENOENT);
	EXPECT_ERRNO(execve("plain/x", argv, envp), ENOTDIR);
	if (!EXPECT_TRUE(harness_write_file("garbage", garbage, sizeof(garbage) - 1, 0755)))
		return;
	EXPECT_ERRNO(execve("garbage", argv, envp), ENOEXEC);
	EXPECT_ERRNO(syscall(SYS_execve, (void *)1, argv, envp), EFAULT);
}
