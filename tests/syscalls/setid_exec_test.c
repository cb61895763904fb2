/*
 * execve of set-user-ID / set-group-ID files and the capability rules of
 * exec (security/commoncap.c): ids, AT_SECURE and the AT_*ID auxv entries,
 * permitted/effective capabilities, dumpability, no_new_privs.
 *
 * Each case copies this binary into the scratch directory, gives it an owner
 * and mode, and execs it from a forked child (after dropping to uid 1000)
 * with "--setid-report FD": the re-executed image writes what it sees into
 * the pipe FD before the harness runs (a constructor) and exits.
 * Needs root (to chown, change uid and mount), natively and in the sandbox.
 */
#include <linux/capability.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "harness.h"

struct report {
	uint32_t ruid, euid, suid, rgid, egid, sgid;
	uint64_t at_secure, at_uid, at_euid, at_gid, at_egid;
	uint64_t cap_eff, cap_prm;
	int dumpable, no_new_privs;
};

static int read_caps(uint64_t *eff, uint64_t *prm)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	*eff = d[0].effective | ((uint64_t)d[1].effective << 32);
	*prm = d[0].permitted | ((uint64_t)d[1].permitted << 32);
	return 0;
}

/* The re-executed image: report and exit before main (glibc passes argc and
 * argv to constructors). */
__attribute__((constructor)) static void report_mode(int argc, char **argv)
{
	struct report r = {0};
	if (argc != 3 || strcmp(argv[1], "--setid-report") != 0)
		return;
	int fd = atoi(argv[2]);
	if (getresuid(&r.ruid, &r.euid, &r.suid) || getresgid(&r.rgid, &r.egid, &r.sgid))
		_exit(2);
	r.at_secure = getauxval(AT_SECURE);
	r.at_uid = getauxval(AT_UID);
	r.at_euid = getauxval(AT_EUID);
	r.at_gid = getauxval(AT_GID);
	r.at_egid = getauxval(AT_EGID);
	if (read_caps(&r.cap_eff, &r.cap_prm))
		_exit(3);
	r.dumpable = prctl(PR_GET_DUMPABLE, 0, 0, 0, 0);
	r.no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
	_exit(write(fd, &r, sizeof(r)) == (ssize_t)sizeof(r) ? 0 : 4);
}

/* Copy /proc/self/exe to name in the scratch directory (readable by all). */
static bool copy_self(const char *name)
{
	char buf[65536];
	int in = open("/proc/self/exe", O_RDONLY);
	if (in < 0)
		return FAIL("open /proc/self/exe: %s", strerror(errno));
	int out = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (out < 0) {
		close(in);
		return FAIL("create %s: %s", name, strerror(errno));
	}
	ssize_t n;
	bool ok = true;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			ok = false;
	if (n < 0)
		ok = false;
	close(in);
	if (close(out))
		ok = false;
	return ok ? true : FAIL("copying to %s", name);
}

/* The scratch tree must be searchable by the unprivileged child. */
static bool setup(const char *name, uid_t uid, gid_t gid, mode_t mode)
{
	if (!EXPECT_EQ(geteuid(), 0))
		return FAIL("this test needs root");
	if (EXPECT_SYS(chmod(harness_root, 0755)) < 0 || !copy_self(name))
		return false;
	/* chown clears the set-ID bits: the mode goes last. */
	return EXPECT_SYS(chown(name, uid, gid)) == 0 && EXPECT_SYS(chmod(name, mode)) == 0;
}

enum { AS_ROOT = 0, AS_USER = 1, NNP = 2, AS_GROUP = 4 };

/* Exec name in a child with the given flags; fill *r. */
static bool run(const char *name, int how, struct report *r)
{
	int p[2];
	if (EXPECT_SYS(pipe(p)) < 0)
		return false;
	pid_t pid = EXPECT_SYS(fork());
	if (pid < 0)
		return false;
	if (pid == 0) {
		char fdstr[16], path[PATH_MAX + 64];
		close(p[0]);
		snprintf(fdstr, sizeof(fdstr), "%d", p[1]);
		snprintf(path, sizeof(path), "%s/%s", harness_testdir, name);
		if ((how & AS_GROUP) && setresgid(1000, 1000, 1000))
			_exit(10);
		if ((how & AS_USER) && setresuid(1000, 1000, 1000))
			_exit(11);
		if ((how & NNP) && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(12);
		char *argv[] = {path, "--setid-report", fdstr, NULL};
		execv(path, argv);
		fprintf(stderr, "execv %s: %s\n", path, strerror(errno));
		_exit(13);
	}
	close(p[1]);
	memset(r, 0, sizeof(*r));
	ssize_t n = read(p[0], r, sizeof(*r));
	close(p[0]);
	int st;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	if (!EXPECT_TRUE(WIFEXITED(st)) || !EXPECT_EQ(WEXITSTATUS(st), 0))
		return false;
	return EXPECT_EQ(n, (ssize_t)sizeof(*r));
}

TEST(setuid_exec_sets_euid_and_suid)
{
	struct report r;
	if (!setup("suid", 1234, 0, 04755) || !run("suid", AS_USER, &r))
		return;
	EXPECT_EQ(r.ruid, 1000);
	EXPECT_EQ(r.euid, 1234);
	EXPECT_EQ(r.suid, 1234);
	EXPECT_EQ(r.egid, 0);
	EXPECT_EQ(r.at_secure, 1);
	EXPECT_EQ(r.at_uid, 1000);
	EXPECT_EQ(r.at_euid, 1234);
	EXPECT_EQ(r.cap_eff, 0);
	EXPECT_EQ(r.cap_prm, 0);
	EXPECT_EQ(r.dumpable, 0);
}

TEST(setgid_exec_sets_egid_and_sgid)
{
	struct report r;
	if (!setup("sgid", 0, 2345, 02755) || !run("sgid", AS_USER | AS_GROUP, &r))
		return;
	EXPECT_EQ(r.ruid, 1000);
	EXPECT_EQ(r.euid, 1000);
	EXPECT_EQ(r.rgid, 1000);
	EXPECT_EQ(r.egid, 2345);
	EXPECT_EQ(r.sgid, 2345);
	EXPECT_EQ(r.at_secure, 1);
	EXPECT_EQ(r.at_gid, 1000);
	EXPECT_EQ(r.at_egid, 2345);
	EXPECT_EQ(r.dumpable, 0);
}

TEST(setgid_without_group_exec_is_ignored)
{
	struct report r;
	if (!setup("sgid_nox", 0, 2345, 02745) || !run("sgid_nox", AS_USER | AS_GROUP, &r))
		return;
	EXPECT_EQ(r.egid, 1000);
	EXPECT_EQ(r.sgid, 1000);
	EXPECT_EQ(r.at_secure, 0);
	EXPECT_EQ(r.dumpable, 1);
}

TEST(no_new_privs_keeps_ids)
{
	struct report r;
	if (!setup("suid_nnp", 1234, 2345, 06755) || !run("suid_nnp", AS_USER | AS_GROUP | NNP, &r))
		return;
	EXPECT_EQ(r.no_new_privs, 1);
	EXPECT_EQ(r.euid, 1000);
	EXPECT_EQ(r.suid, 1000);
	EXPECT_EQ(r.egid, 1000);
	EXPECT_EQ(r.at_euid, 1000);
	EXPECT_EQ(r.at_secure, 0);
	EXPECT_EQ(r.dumpable, 1);
}

TEST(setuid_root_gives_full_capabilities)
{
	struct report r;
	uint64_t eff = 0, prm = 0;
	if (EXPECT_SYS(read_caps(&eff, &prm)) < 0)
		return;
	if (!setup("suid_root", 0, 0, 04755) || !run("suid_root", AS_USER, &r))
		return;
	EXPECT_EQ(r.ruid, 1000);
	EXPECT_EQ(r.euid, 0);
	EXPECT_EQ(r.at_secure, 1);
	/* pP' = pI | bounding, pE' = pP' for an effective root */
	EXPECT_NE(r.cap_prm, 0);
	EXPECT_EQ(r.cap_prm, prm);
	EXPECT_EQ(r.cap_eff, r.cap_prm);
}

TEST(root_exec_keeps_full_capabilities)
{
	struct report r;
	uint64_t eff = 0, prm = 0;
	if (EXPECT_SYS(read_caps(&eff, &prm)) < 0)
		return;
	if (!setup("plain", 0, 0, 0755) || !run("plain", AS_ROOT, &r))
		return;
	EXPECT_EQ(r.ruid, 0);
	EXPECT_EQ(r.euid, 0);
	EXPECT_EQ(r.at_secure, 0);
	EXPECT_NE(r.cap_prm, 0);
	EXPECT_EQ(r.cap_prm, prm);
	EXPECT_EQ(r.cap_eff, prm);
	EXPECT_EQ(r.dumpable, 1);
}

TEST(non_root_exec_has_no_capabilities)
{
	struct report r;
	if (!setup("plain_user", 0, 0, 0755) || !run("plain_user", AS_USER | AS_GROUP, &r))
		return;
	EXPECT_EQ(r.ruid, 1000);
	EXPECT_EQ(r.euid, 1000);
	EXPECT_EQ(r.at_secure, 0);
	EXPECT_EQ(r.cap_prm, 0);
	EXPECT_EQ(r.cap_eff, 0);
	EXPECT_EQ(r.dumpable, 1);
}

/* Last: it moves the test process into a private mount namespace. */
TEST(nosuid_mount_ignores_setid_bits)
{
	struct report r;
	if (!EXPECT_EQ(geteuid(), 0))
		return;
	if (EXPECT_SYS(unshare(CLONE_NEWNS)) < 0 ||
	    EXPECT_SYS(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) < 0 ||
	    EXPECT_SYS(mkdir("mnt", 0755)) < 0 ||
	    EXPECT_SYS(mount("tmpfs", "mnt", "tmpfs", MS_NOSUID, "mode=0755")) < 0)
		return;
	if (setup("mnt/suid", 1234, 2345, 06755) && run("mnt/suid", AS_USER | AS_GROUP, &r)) {
		EXPECT_EQ(r.euid, 1000);
		EXPECT_EQ(r.suid, 1000);
		EXPECT_EQ(r.egid, 1000);
		EXPECT_EQ(r.at_secure, 0);
	}
	/* The same file on a mount without nosuid takes effect. */
	if (EXPECT_SYS(mkdir("mnt2", 0755)) == 0 &&
	    EXPECT_SYS(mount("tmpfs", "mnt2", "tmpfs", 0, "mode=0755")) == 0) {
		if (setup("mnt2/suid", 1234, 2345, 06755) &&
		    run("mnt2/suid", AS_USER | AS_GROUP, &r)) {
			EXPECT_EQ(r.euid, 1234);
			EXPECT_EQ(r.egid, 2345);
			EXPECT_EQ(r.at_secure, 1);
		}
		EXPECT_SYS(umount("mnt2"));
	}
	EXPECT_SYS(umount("mnt"));
}
