/*
 * Owner of /proc/PID files (Linux's task_dump_owner): the task's effective
 * ids while it is dumpable; root:root once it is not (prctl(PR_SET_DUMPABLE,
 * 0)), except for the dr-xr-xr-x directories such as /proc/PID itself.
 * Runs as root (it changes a child's ids).
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness.h"

static bool owner_is(pid_t pid, const char *rel, uid_t uid, gid_t gid)
{
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "/proc/%d%s%s", (int)pid, rel[0] ? "/" : "", rel);
	if (lstat(path, &st) != 0) {
		fprintf(stderr, "  lstat %s: %s\n", path, strerror(errno));
		return false;
	}
	if (st.st_uid != uid || st.st_gid != gid)
		fprintf(stderr, "  %s: owner %u:%u, want %u:%u\n", path, st.st_uid, st.st_gid,
			uid, gid);
	return st.st_uid == uid && st.st_gid == gid;
}

TEST(undumpable_files_owned_by_root)
{
	int ready[2], go[2];
	char c;
	EXPECT_SYS(pipe(ready));
	EXPECT_SYS(pipe(go));
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(2000, 2000, 2000) != 0 || setresuid(1000, 1000, 1000) != 0)
			_exit(1);
		/* Changing ids made us undumpable (Linux); be dumpable first. */
		if (prctl(PR_SET_DUMPABLE, 1) != 0)
			_exit(2);
		if (write(ready[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(3);
		if (prctl(PR_SET_DUMPABLE, 0) != 0 || prctl(PR_GET_DUMPABLE) != 0)
			_exit(4);
		if (write(ready[1], "x", 1) != 1 || read(go[0], &c, 1) != 1)
			_exit(5);
		_exit(0);
	}
	if (!EXPECT_GT(pid, 0))
		return;
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	EXPECT_TRUE(owner_is(pid, "", 1000, 2000));
	EXPECT_TRUE(owner_is(pid, "status", 1000, 2000));
	EXPECT_TRUE(owner_is(pid, "environ", 1000, 2000));
	EXPECT_TRUE(owner_is(pid, "fd", 1000, 2000));
	EXPECT_TRUE(owner_is(pid, "cwd", 1000, 2000));
	EXPECT_EQ(write(go[1], "x", 1), 1);
	EXPECT_EQ(read(ready[0], &c, 1), 1);
	/* Not dumpable: files, links and private directories are root's. */
	EXPECT_TRUE(owner_is(pid, "status", 0, 0));
	EXPECT_TRUE(owner_is(pid, "environ", 0, 0));
	EXPECT_TRUE(owner_is(pid, "fd", 0, 0));
	EXPECT_TRUE(owner_is(pid, "cwd", 0, 0));
	EXPECT_TRUE(owner_is(pid, "mountinfo", 0, 0));
	/* The dr-xr-xr-x directories keep the effective ids. */
	EXPECT_TRUE(owner_is(pid, "", 1000, 2000));
	EXPECT_TRUE(owner_is(pid, "task", 1000, 2000));
	EXPECT_EQ(write(go[1], "x", 1), 1);
	int st = 0;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
}
