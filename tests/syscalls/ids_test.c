/* getpid, getppid, gettid, set_tid_address, uid/gid families, getgroups, umask. */
#include <grp.h>
#include <sys/wait.h>

#include "harness.h"

TEST(pids)
{
	pid_t pid = getpid();

	EXPECT_GT(pid, 0);
	EXPECT_EQ(syscall(SYS_getpid), pid);
	EXPECT_EQ(syscall(SYS_getpid), pid); /* stable */
	EXPECT_GE(getppid(), 0);
	EXPECT_NE(getppid(), pid);
	/* Single-threaded: the thread id is the process id. */
	EXPECT_EQ(syscall(SYS_gettid), pid);
	EXPECT_EQ(gettid(), pid);
}

TEST(set_tid_address_returns_tid)
{
	static int word;

	EXPECT_EQ(syscall(SYS_set_tid_address, &word), getpid());
	/* Any pointer is accepted; it is only used at thread exit. */
	EXPECT_EQ(syscall(SYS_set_tid_address, NULL), getpid());
}

TEST(process_groups_and_sessions)
{
	/*
	 * The group and session we were started in may be led by a process
	 * outside our PID namespace, in which case Linux reports 0; only a
	 * session we create ourselves has a known id.
	 */
	EXPECT_GE(getpgrp(), 0);
	EXPECT_EQ(getpgid(0), getpgrp());
	EXPECT_GE(getsid(0), 0);
	EXPECT_EQ(getpgid(getpid()), getpgrp());
	EXPECT_ERRNO(getpgid(0x3fffffff), ESRCH);
	EXPECT_ERRNO(getsid(0x3fffffff), ESRCH);

	pid_t child = fork();
	if (child == 0) {
		pid_t self = getpid();
		int ok = setsid() == self && getsid(0) == self &&
			 getpgrp() == self && getpgid(0) == self &&
			 getsid(getppid()) != self;
		_exit(ok ? 0 : 1);
	}
	EXPECT_GT(child, 0);
	int status = -1;
	EXPECT_EQ(waitpid(child, &status, 0), child);
	EXPECT_EQ(status, 0);
}

TEST(user_and_group_ids)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;

	EXPECT_SYS(getresuid(&r, &e, &s));
	EXPECT_EQ(r, getuid());
	EXPECT_EQ(e, geteuid());
	EXPECT_EQ(syscall(SYS_getuid), getuid());
	EXPECT_EQ(syscall(SYS_geteuid), geteuid());
	EXPECT_SYS(getresgid(&gr, &ge, &gs));
	EXPECT_EQ(gr, getgid());
	EXPECT_EQ(ge, getegid());
	EXPECT_EQ(syscall(SYS_getgid), getgid());
	EXPECT_EQ(syscall(SYS_getegid), getegid());
	EXPECT_ERRNO(syscall(SYS_getresuid, (void *)1, &e, &s), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getresgid, &gr, &ge, (void *)1), EFAULT);
}

TEST(setuid_to_self_is_allowed)
{
	EXPECT_SYS(setuid(getuid()));
	EXPECT_SYS(setgid(getgid()));
	EXPECT_SYS(setresuid(-1, -1, -1));
	EXPECT_EQ(getuid(), geteuid());
}

TEST(getgroups)
{
	gid_t groups[256];
	int n = (int)EXPECT_SYS(getgroups(0, NULL));

	EXPECT_GE(n, 0);
	EXPECT_LE(n, 256);
	EXPECT_EQ(getgroups(256, groups), n);
	/* A buffer too small for the list is EINVAL (size 0 just counts). */
	if (n >= 2)
		EXPECT_ERRNO(getgroups(n - 1, groups), EINVAL);
	else
		EXPECT_EQ(getgroups(0, groups), n);
	EXPECT_ERRNO(syscall(SYS_getgroups, -1, groups), EINVAL);
}

TEST(umask_returns_previous)
{
	EXPECT_EQ(umask(077), 022);
	EXPECT_EQ(umask(0777 | 07000), 077); /* only the permission bits are kept */
	EXPECT_EQ(umask(022), 0777);
	EXPECT_EQ(syscall(SYS_umask, 022), 022);
}
