/*
 * sethostname(2), setdomainname(2) and the places that show the names:
 * uname(2), gethostname/getdomainname, /proc/sys/kernel/{hostname,domainname}.
 *
 * Every test runs in a child. Natively the child first moves into its own
 * UTS namespace (unshare(CLONE_NEWUTS), as root) so the host's names are
 * never changed; in the sandbox, whose one UTS namespace is its own,
 * unshare(CLONE_NEWUTS) is EINVAL and the child uses the sandbox's (the
 * tests put the names back before they exit).
 */
#include <sched.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "harness.h"

/* 0: the child may change the names. */
static int private_uts(void)
{
	if (unshare(CLONE_NEWUTS) == 0)
		return 0;
	if (errno == EINVAL)
		return 0; /* the sandbox: its own names */
	fprintf(stderr, "uts_test: unshare(CLONE_NEWUTS): %s (run as root)\n", strerror(errno));
	return -1;
}

/* Run fn in a child in a private UTS namespace; the test fails if the child
 * fails any expectation. */
static void in_child(void (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		if (private_uts() < 0)
			_exit(2);
		fn();
		_exit(harness_failures ? 1 : 0);
	}
	int st = 0;
	if (!EXPECT_SYS(pid))
		return;
	EXPECT_SYS(waitpid(pid, &st, 0));
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
}

static void read_proc(const char *path, char *buf, size_t size)
{
	buf[0] = 0;
	int fd = open(path, O_RDONLY);
	if (!EXPECT_SYS(fd))
		return;
	ssize_t n = read(fd, buf, size - 1);
	EXPECT_GE(n, 0);
	buf[n > 0 ? n : 0] = 0;
	close(fd);
}

static void hostname_round_trip(void)
{
	struct utsname u;
	char old[65] = {0}, buf[128];

	EXPECT_SYS(gethostname(old, sizeof(old)));
	EXPECT_SYS(sethostname("uts-test.example", strlen("uts-test.example")));
	EXPECT_SYS(uname(&u));
	EXPECT_STREQ(u.nodename, "uts-test.example");
	EXPECT_SYS(gethostname(buf, sizeof(buf)));
	EXPECT_STREQ(buf, "uts-test.example");
	read_proc("/proc/sys/kernel/hostname", buf, sizeof(buf));
	EXPECT_STREQ(buf, "uts-test.example\n");
	/* Only len bytes count: the rest of the field is cleared. */
	EXPECT_SYS(sethostname("abcdef", 3));
	EXPECT_SYS(uname(&u));
	EXPECT_STREQ(u.nodename, "abc");
	EXPECT_SYS(sethostname(old, strlen(old)));
}

TEST(sethostname_shows_in_uname_gethostname_and_proc)
{
	in_child(hostname_round_trip);
}

static void domainname_round_trip(void)
{
	struct utsname u;
	char old[65] = {0}, buf[128];

	EXPECT_SYS(getdomainname(old, sizeof(old)));
	EXPECT_SYS(setdomainname("example.org", strlen("example.org")));
	EXPECT_SYS(uname(&u));
	EXPECT_STREQ(u.domainname, "example.org");
	EXPECT_SYS(getdomainname(buf, sizeof(buf)));
	EXPECT_STREQ(buf, "example.org");
	read_proc("/proc/sys/kernel/domainname", buf, sizeof(buf));
	EXPECT_STREQ(buf, "example.org\n");
	EXPECT_SYS(setdomainname(old, strlen(old)));
}

TEST(setdomainname_shows_in_uname_getdomainname_and_proc)
{
	in_child(domainname_round_trip);
}

static void lengths(void)
{
	char old[65] = {0}, name[80];
	struct utsname u;

	EXPECT_SYS(gethostname(old, sizeof(old)));
	memset(name, 'h', sizeof(name));
	/* 64 bytes (no NUL) is the most a name may have. */
	EXPECT_SYS(syscall(SYS_sethostname, name, 64));
	EXPECT_SYS(uname(&u));
	EXPECT_EQ(strlen(u.nodename), 64);
	EXPECT_ERRNO(syscall(SYS_sethostname, name, 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_sethostname, name, -1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_setdomainname, name, 65), EINVAL);
	EXPECT_ERRNO(syscall(SYS_setdomainname, name, -1), EINVAL);
	/* The EINVAL left the name as it was. */
	EXPECT_SYS(uname(&u));
	EXPECT_EQ(strlen(u.nodename), 64);
	/* An empty name is allowed. */
	EXPECT_SYS(syscall(SYS_sethostname, name, 0));
	EXPECT_SYS(uname(&u));
	EXPECT_STREQ(u.nodename, "");
	EXPECT_SYS(sethostname(old, strlen(old)));
}

TEST(length_limit_is_64_and_negative_is_einval)
{
	in_child(lengths);
}

static void bad_pointer(void)
{
	char old[65] = {0};
	struct utsname u;

	EXPECT_SYS(gethostname(old, sizeof(old)));
	EXPECT_ERRNO(syscall(SYS_sethostname, harness_unmapped_page(), 8), EFAULT);
	EXPECT_ERRNO(syscall(SYS_setdomainname, harness_unmapped_page(), 8), EFAULT);
	/* length 0 copies nothing: a bad pointer is fine */
	EXPECT_SYS(syscall(SYS_sethostname, harness_unmapped_page(), 0));
	EXPECT_SYS(uname(&u));
	EXPECT_STREQ(u.nodename, "");
	EXPECT_SYS(sethostname(old, strlen(old)));
}

TEST(bad_pointer_is_efault)
{
	in_child(bad_pointer);
}

static void proc_write(void)
{
	char old[65] = {0};
	struct utsname u;

	EXPECT_SYS(gethostname(old, sizeof(old)));
	int fd = open("/proc/sys/kernel/hostname", O_WRONLY);
	if (!EXPECT_SYS(fd))
		return;
	EXPECT_EQ(write(fd, "viaproc\n", 8), 8);
	close(fd);
	EXPECT_SYS(uname(&u));
	EXPECT_STREQ(u.nodename, "viaproc");
	EXPECT_SYS(sethostname(old, strlen(old)));
}

TEST(proc_sys_kernel_hostname_write_shows_in_uname)
{
	in_child(proc_write);
}

static void unprivileged(void)
{
	char before[65] = {0}, after[65] = {0}, name[100];

	EXPECT_SYS(gethostname(before, sizeof(before)));
	/* Dropping to a non-root uid clears every capability. */
	if (!EXPECT_SYS(setresgid(65534, 65534, 65534)) ||
	    !EXPECT_SYS(setresuid(65534, 65534, 65534)))
		return;
	EXPECT_ERRNO(sethostname("nope", 4), EPERM);
	EXPECT_ERRNO(setdomainname("nope", 4), EPERM);
	/* EPERM comes before EINVAL and EFAULT. */
	memset(name, 'x', sizeof(name));
	EXPECT_ERRNO(syscall(SYS_sethostname, name, 100), EPERM);
	EXPECT_ERRNO(syscall(SYS_sethostname, harness_unmapped_page(), 8), EPERM);
	EXPECT_SYS(gethostname(after, sizeof(after)));
	EXPECT_STREQ(after, before);
}

TEST(without_cap_sys_admin_is_eperm)
{
	in_child(unprivileged);
}
