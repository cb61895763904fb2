/*
 * sentry_confine() in a forked child: the root becomes empty, host paths are
 * refused, syscalls outside the allow-list kill, capabilities and
 * no_new_privs are as documented, and a multi-threaded caller is refused.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/confine.h"

/* Run fn in a confined child; returns its wait status. The child writes its
 * sentry_confine() result to *mask through a pipe. */
static int run_confined(const struct confine_config *cfg, int (*fn)(void), int *mask)
{
	int p[2], status;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char err[256] = "";
		int r;

		close(p[0]);
		r = sentry_confine(cfg, err, sizeof(err));
		if (write(p[1], &r, sizeof(r)) != sizeof(r))
			_exit(99);
		if (r < 0) {
			fprintf(stderr, "sentry_confine: %s\n", err);
			_exit(98);
		}
		_exit(fn());
	}
	close(p[1]);
	*mask = -1;
	ck_assert_int_eq(read(p[0], mask, sizeof(*mask)), sizeof(*mask));
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	return status;
}

/* Exit codes: 0 all good, else the number of the check that failed. */
static int confined_checks(void)
{
	struct stat st;
	char buf[16];
	int fd, sv[2];

	if (open("/etc/passwd", O_RDONLY) >= 0 || errno != EACCES)
		return 1;
	if (openat(AT_FDCWD, "/", O_RDONLY) >= 0 || errno != EACCES)
		return 2;
	if (mkdir("/x", 0700) == 0 || errno != EACCES)
		return 3;
	/* Allowed: descriptors, memory, socketpairs, fstat. */
	fd = memfd_create("t", MFD_CLOEXEC);
	if (fd < 0 || write(fd, "ab", 2) != 2 || pread(fd, buf, 2, 0) != 2 || fstat(fd, &st) < 0)
		return 4;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) < 0)
		return 5;
	if (getpid() <= 0)
		return 6;
	/* clone3 is refused with ENOSYS (glibc falls back to clone). */
	if (syscall(SYS_clone3, NULL, 0) != -1 || errno != ENOSYS)
		return 7;
	return 0;
}

static int try_socket(void)
{
	syscall(SYS_socket, AF_INET, SOCK_STREAM, 0); /* not allowed: killed */
	return 0;
}

static int try_execve(void)
{
	char *argv[] = {"/bin/true", NULL};

	syscall(SYS_execve, "/bin/true", argv, NULL);
	return 0;
}

static int try_newns_clone(void)
{
	syscall(SYS_unshare, CLONE_NEWUSER);
	return 0;
}

START_TEST(test_confine_restricts_host_syscalls)
{
	struct confine_config cfg = {.network_none = true};
	int mask, status;

	status = run_confined(&cfg, confined_checks, &mask);
	ck_assert_int_ge(mask, 0);
	ck_assert(mask & CONFINE_SECCOMP);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	if (geteuid() == 0) {
		ck_assert(mask & CONFINE_PIVOT);
		ck_assert(mask & CONFINE_NETNS);
		ck_assert(mask & CONFINE_CAPS);
	}

	status = run_confined(&cfg, try_socket, &mask);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status %#x", status);
	status = run_confined(&cfg, try_execve, &mask);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status %#x", status);
	status = run_confined(&cfg, try_newns_clone, &mask);
	ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS, "status %#x", status);
}
END_TEST

/* Without seccomp, the rest still applies: the root is empty and capabilities
 * are reduced. */
static int check_unfiltered(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	int fd;

	fd = open("/etc/passwd", O_RDONLY);
	if (fd >= 0 || errno != ENOENT)
		return 1; /* the host's files are gone from view */
	if (syscall(SYS_capget, &h, d) < 0)
		return 2;
	if (geteuid() == 0 &&
	    ((uint64_t)d[1].permitted << 32 | d[0].permitted) != confine_kept_caps())
		return 3;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 4;
	return 0;
}

START_TEST(test_confine_no_seccomp_hook)
{
	struct confine_config cfg = {0};
	int mask, status;

	setenv("SENTRY_NO_SECCOMP", "1", 1);
	status = run_confined(&cfg, check_unfiltered, &mask);
	unsetenv("SENTRY_NO_SECCOMP");
	ck_assert_int_ge(mask, 0);
	ck_assert_int_eq(mask & CONFINE_SECCOMP, 0);
	if (geteuid() != 0)
		return; /* an unprivileged host keeps its root */
	ck_assert(mask & (CONFINE_PIVOT | CONFINE_CHROOT));
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
}
END_TEST

static void *sleeper(void *arg)
{
	pause();
	return arg;
}

static int nothing(void)
{
	return 0;
}

START_TEST(test_confine_refuses_multithreaded)
{
	struct confine_config cfg = {0};
	char err[128] = "";
	pthread_t t;
	int mask, status;

	ck_assert_int_eq(pthread_create(&t, NULL, sleeper, NULL), 0);
	ck_assert_int_eq(sentry_confine(&cfg, err, sizeof(err)), -EBUSY);
	ck_assert(strstr(err, "single-threaded") != NULL);
	/* A fresh single-threaded child is fine. */
	status = run_confined(&cfg, nothing, &mask);
	ck_assert_int_ge(mask, 0);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

Suite *confine_suite(void)
{
	Suite *s = suite_create("confine");
	TCase *tc = tcase_create("sentry");

	tcase_add_test(tc, test_confine_restricts_host_syscalls);
	tcase_add_test(tc, test_confine_no_seccomp_hook);
	tcase_add_test(tc, test_confine_refuses_multithreaded);
	suite_add_tcase(s, tc);
	return s;
}
