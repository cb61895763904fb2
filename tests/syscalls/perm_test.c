/*
 * DAC permissions: owner/group/other bits (supplementary groups included),
 * root's CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH / CAP_FOWNER / CAP_CHOWN and
 * their loss, chown clearing set-ID bits, umask, sticky and setgid
 * directories, access vs faccessat(AT_EACCESS), execute and search
 * permission. Unprivileged cases run in forked children that drop to other
 * ids (setgroups/setresgid/setresuid) or drop capabilities (capset); a child
 * exits with its number of failed expectations.
 *
 * Every case runs on /tmp (the default overlay in the sandbox) and on
 * /dev/shm (tmpfs), which both exist natively and in the sandbox.
 */
#include "harness.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/time.h>
#include <sys/wait.h>

#define U1 1000
#define U2 1001
#define G1 1000
#define G2 2000

static const char *const bases[] = { "/tmp", "/dev/shm" };
static char scratch[PATH_MAX];

/* A fresh world-accessible directory under base, made our cwd. */
static bool enter_scratch(const char *base)
{
	snprintf(scratch, sizeof(scratch), "%s/permXXXXXX", base);
	if (!mkdtemp(scratch))
		return FAIL("mkdtemp %s: %s", scratch, strerror(errno));
	if (chmod(scratch, 0777) || chdir(scratch))
		return FAIL("chmod/chdir %s: %s", scratch, strerror(errno));
	return true;
}

static void leave_scratch(void)
{
	if (chdir(harness_testdir))
		abort();
	nftw(scratch, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Become uid/gid with the given supplementary groups (all caps are lost). */
static bool become(uid_t uid, gid_t gid, int ngroups, const gid_t *groups)
{
	if (setgroups((size_t)ngroups, groups))
		return FAIL("setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid))
		return FAIL("setresgid: %s", strerror(errno));
	if (setresuid(uid, uid, uid))
		return FAIL("setresuid: %s", strerror(errno));
	return true;
}

/* Drop capability cap from the effective and permitted sets. */
static bool drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return FAIL("capget: %s", strerror(errno));
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	if (syscall(SYS_capset, &h, d))
		return FAIL("capset: %s", strerror(errno));
	return true;
}

/* Run the block in a child; the parent expects it to exit 0. */
#define IN_CHILD(...)                                                          \
	do {                                                                   \
		fflush(stdout);                                                \
		pid_t _pid = fork();                                           \
		if (_pid == 0) {                                               \
			harness_failures = 0;                                  \
			__VA_ARGS__;                                           \
			fflush(stdout);                                        \
			_exit(harness_failures ? 1 : 0);                       \
		}                                                              \
		int _st = -1;                                                  \
		EXPECT_EQ(waitpid(_pid, &_st, 0), _pid);                       \
		EXPECT_EQ(_st, 0);                                             \
	} while (0)

static bool make(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	if (!MAKE_FILE(path, "data"))
		return false;
	return EXPECT_SYS(chown(path, uid, gid)) == 0 && EXPECT_SYS(chmod(path, mode)) == 0;
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return (mode_t)-1;
	return st.st_mode & 07777;
}

TEST(owner_group_other_bits)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		make("f", 0640, U1, G1);
		make("g", 0070, U1, G1); /* the owner class wins: no access */
		IN_CHILD({
			gid_t none[1];
			if (!become(U1, G2, 0, none))
				_exit(1);
			EXPECT_SYS(close(EXPECT_SYS(open("f", O_RDWR))));
			EXPECT_ERRNO(open("g", O_RDONLY), EACCES);
			EXPECT_SYS(access("f", R_OK | W_OK));
			EXPECT_ERRNO(access("f", X_OK), EACCES);
		});
		IN_CHILD({
			gid_t none[1];
			if (!become(U2, G1, 0, none))
				_exit(1);
			EXPECT_SYS(close(EXPECT_SYS(open("f", O_RDONLY))));
			EXPECT_ERRNO(open("f", O_WRONLY), EACCES);
			EXPECT_SYS(close(EXPECT_SYS(open("g", O_RDWR))));
		});
		IN_CHILD({
			gid_t sup[2] = { 3000, G1 };
			if (!become(U2, G2, 2, sup))
				_exit(1);
			EXPECT_SYS(close(EXPECT_SYS(open("f", O_RDONLY))));
			EXPECT_ERRNO(open("f", O_RDWR), EACCES);
		});
		IN_CHILD({
			gid_t none[1];
			if (!become(U2, G2, 0, none))
				_exit(1);
			EXPECT_ERRNO(open("f", O_RDONLY), EACCES);
			EXPECT_ERRNO(access("f", R_OK), EACCES);
			EXPECT_ERRNO(open("g", O_RDONLY), EACCES);
		});
		leave_scratch();
	}
}

TEST(root_dac_capabilities_and_their_loss)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		make("f", 0000, U1, G1);
		EXPECT_SYS(mkdir("d", 0700));
		make("d/f", 0644, U1, G1);
		EXPECT_SYS(chown("d", U1, G1));
		EXPECT_SYS(chmod("d", 0000));
		/* Full root: everything but executing a file with no x bit. */
		EXPECT_SYS(close(EXPECT_SYS(open("f", O_RDWR))));
		EXPECT_SYS(close(EXPECT_SYS(open("d/f", O_RDONLY))));
		EXPECT_ERRNO(access("f", X_OK), EACCES);
		IN_CHILD({
			if (!drop_cap(CAP_DAC_OVERRIDE))
				_exit(1);
			/* CAP_DAC_READ_SEARCH: read any file, search/list any dir. */
			EXPECT_SYS(close(EXPECT_SYS(open("f", O_RDONLY))));
			EXPECT_ERRNO(open("f", O_WRONLY), EACCES);
			EXPECT_SYS(close(EXPECT_SYS(open("d/f", O_RDONLY))));
			EXPECT_SYS(close(EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY))));
			EXPECT_ERRNO(open("d/new", O_WRONLY | O_CREAT, 0644), EACCES);
			if (!drop_cap(CAP_DAC_READ_SEARCH))
				_exit(1);
			EXPECT_ERRNO(open("f", O_RDONLY), EACCES);
			EXPECT_ERRNO(open("d/f", O_RDONLY), EACCES);
			EXPECT_ERRNO(open("d", O_RDONLY | O_DIRECTORY), EACCES);
			struct stat st;
			EXPECT_ERRNO(stat("d/f", &st), EACCES);
		});
		EXPECT_SYS(chmod("d", 0755));
		leave_scratch();
	}
}

TEST(fowner_chmod_and_utimes_of_others_files)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		make("f", 0666, U1, G1);
		struct timeval tv[2] = { { 1000, 0 }, { 2000, 0 } };
		/* Root (CAP_FOWNER) may chmod and set times of others' files. */
		EXPECT_SYS(chmod("f", 0664));
		EXPECT_SYS(utimes("f", tv));
		EXPECT_SYS(chmod("f", 0666));
		IN_CHILD({
			if (!drop_cap(CAP_FOWNER))
				_exit(1);
			EXPECT_ERRNO(chmod("f", 0600), EPERM);
			EXPECT_ERRNO(utimes("f", tv), EPERM);
			/* "now" needs only write access (DAC_OVERRIDE here). */
			EXPECT_SYS(utimes("f", NULL));
		});
		IN_CHILD({
			gid_t none[1];
			if (!become(U2, G2, 0, none))
				_exit(1);
			EXPECT_ERRNO(chmod("f", 0600), EPERM);
			EXPECT_ERRNO(utimes("f", tv), EPERM);
			EXPECT_SYS(utimes("f", NULL)); /* mode 0666: writable */
		});
		EXPECT_SYS(chmod("f", 0644));
		IN_CHILD({
			gid_t none[1];
			if (!become(U2, G2, 0, none))
				_exit(1);
			EXPECT_ERRNO(utimes("f", NULL), EACCES);
		});
		IN_CHILD({
			gid_t none[1];
			if (!become(U1, G2, 0, none))
				_exit(1);
			EXPECT_SYS(chmod("f", 0600)); /* the owner */
			EXPECT_SYS(utimes("f", tv));
		});
		EXPECT_EQ(mode_of("f"), 0600);
		leave_scratch();
	}
}

TEST(chown_rules_and_setid_clearing)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		make("f", 0644, U1, G1);
		IN_CHILD({
			gid_t sup[1] = { G2 };
			if (!become(U1, G1, 1, sup))
				_exit(1);
			EXPECT_ERRNO(chown("f", U2, -1), EPERM);
			EXPECT_SYS(chown("f", U1, -1));   /* to itself: allowed */
			EXPECT_SYS(chown("f", -1, G2));   /* a group it is in */
			EXPECT_ERRNO(chown("f", -1, 3000), EPERM);
		});
		IN_CHILD({
			gid_t none[1];
			if (!become(U2, G2, 0, none))
				_exit(1);
			EXPECT_ERRNO(chown("f", -1, G2), EPERM); /* not the owner */
		});
		struct stat st;
		EXPECT_SYS(stat("f", &st));
		EXPECT_EQ(st.st_uid, U1);
		EXPECT_EQ(st.st_gid, G2);
		IN_CHILD({
			if (!drop_cap(CAP_CHOWN))
				_exit(1);
			EXPECT_ERRNO(chown("f", U2, -1), EPERM);
			EXPECT_ERRNO(chown("f", -1, 3000), EPERM);
		});
		/* chown clears setuid, and setgid when group-executable. */
		EXPECT_SYS(chmod("f", 06755));
		EXPECT_SYS(chown("f", U2, G1));
		EXPECT_EQ(mode_of("f"), 0755);
		EXPECT_SYS(chmod("f", 02644)); /* setgid without group x stays */
		EXPECT_SYS(chown("f", U1, -1));
		EXPECT_EQ(mode_of("f"), 02644);
		/* A directory keeps its bits. */
		EXPECT_SYS(mkdir("d", 02755));
		EXPECT_SYS(chmod("d", 06755));
		EXPECT_SYS(chown("d", U1, G1));
		EXPECT_EQ(mode_of("d"), 06755);
		/* An unprivileged write clears setuid (and group-x setgid). */
		make("w", 06777, U1, G1);
		IN_CHILD({
			gid_t none[1];
			if (!become(U2, G2, 0, none))
				_exit(1);
			int fd = (int)EXPECT_SYS(open("w", O_WRONLY));
			EXPECT_EQ(write(fd, "x", 1), 1);
			close(fd);
		});
		EXPECT_EQ(mode_of("w"), 0777);
		leave_scratch();
	}
}

TEST(umask_applies_to_creation)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		mode_t old = umask(027);
		EXPECT_SYS(close(EXPECT_SYS(open("f", O_CREAT | O_WRONLY, 0666))));
		EXPECT_SYS(mkdir("d", 0777));
		EXPECT_SYS(mknod("p", S_IFIFO | 0666, 0));
		EXPECT_EQ(umask(old), 027);
		EXPECT_EQ(mode_of("f"), 0640);
		EXPECT_EQ(mode_of("d"), 0750);
		EXPECT_EQ(mode_of("p"), 0640);
		leave_scratch();
	}
}

TEST(sticky_directory)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		EXPECT_SYS(mkdir("s", 0777));
		EXPECT_SYS(chmod("s", 01777));
		EXPECT_SYS(chown("s", 3000, 3000));
		make("s/a", 0666, U1, G1);
		make("s/b", 0666, U2, G2);
		make("s/c", 0666, U1, G1);
		IN_CHILD({
			gid_t none[1];
			if (!become(U2, G2, 0, none))
				_exit(1);
			EXPECT_ERRNO(unlink("s/a"), EPERM);
			EXPECT_ERRNO(rename("s/a", "s/z"), EPERM);
			EXPECT_ERRNO(rename("s/b", "s/a"), EPERM); /* over another's file */
			EXPECT_SYS(rename("s/b", "s/b2"));         /* its own */
			EXPECT_SYS(unlink("s/b2"));
		});
		IN_CHILD({
			gid_t none[1];
			if (!become(U1, G1, 0, none))
				_exit(1);
			EXPECT_SYS(unlink("s/a")); /* the file's owner */
		});
		IN_CHILD({
			gid_t none[1];
			if (!become(3000, 3000, 0, none))
				_exit(1);
			EXPECT_SYS(unlink("s/c")); /* the directory's owner */
		});
		make("s/d", 0666, U1, G1);
		IN_CHILD({
			if (!drop_cap(CAP_FOWNER))
				_exit(1);
			EXPECT_ERRNO(unlink("s/d"), EPERM);
		});
		EXPECT_SYS(unlink("s/d")); /* root with CAP_FOWNER */
		leave_scratch();
	}
}

TEST(setgid_directory_inheritance)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		struct stat st;
		EXPECT_SYS(mkdir("g", 0777));
		EXPECT_SYS(chown("g", 0, 3000));
		EXPECT_SYS(chmod("g", 02777));
		EXPECT_SYS(close(EXPECT_SYS(open("g/f", O_CREAT | O_WRONLY, 0644))));
		EXPECT_SYS(mkdir("g/sub", 0755));
		EXPECT_SYS(stat("g/f", &st));
		EXPECT_EQ(st.st_gid, 3000);
		EXPECT_EQ(st.st_mode & S_ISGID, 0);
		EXPECT_SYS(stat("g/sub", &st));
		EXPECT_EQ(st.st_gid, 3000);
		EXPECT_EQ(st.st_mode & S_ISGID, S_ISGID);
		EXPECT_SYS(close(EXPECT_SYS(open("g/rootsx", O_CREAT | O_WRONLY, 02755))));
		EXPECT_EQ(mode_of("g/rootsx"), 02755); /* CAP_FSETID */
		IN_CHILD({
			gid_t none[1];
			if (!become(U1, G1, 0, none))
				_exit(1);
			struct stat cs;
			EXPECT_SYS(close(EXPECT_SYS(open("g/u", O_CREAT | O_WRONLY, 0644))));
			EXPECT_SYS(mkdir("g/usub", 0755));
			EXPECT_SYS(stat("g/u", &cs));
			EXPECT_EQ(cs.st_uid, U1);
			EXPECT_EQ(cs.st_gid, 3000);
			EXPECT_SYS(stat("g/usub", &cs));
			EXPECT_EQ(cs.st_gid, 3000);
			EXPECT_EQ(cs.st_mode & S_ISGID, S_ISGID);
			/* A setgid executable made there by a non-member: no S_ISGID. */
			EXPECT_SYS(close(EXPECT_SYS(open("g/sx", O_CREAT | O_WRONLY, 02755))));
			EXPECT_SYS(stat("g/sx", &cs));
			EXPECT_EQ(cs.st_mode & 07777, 0755);
			EXPECT_SYS(mkdir("plain", 0755)); /* cwd is not setgid */
			EXPECT_SYS(stat("plain", &cs));
			EXPECT_EQ(cs.st_gid, G1);
		});
		leave_scratch();
	}
}

TEST(access_uses_real_ids_faccessat_eaccess_effective)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		make("f", 0600, 0, 0);
		IN_CHILD({
			/* real 1000, effective 0: access checks as 1000 (no caps). */
			if (setresuid(U1, 0, 0))
				_exit(1);
			EXPECT_ERRNO(access("f", R_OK), EACCES);
			EXPECT_SYS(faccessat(AT_FDCWD, "f", R_OK | W_OK, AT_EACCESS));
		});
		IN_CHILD({
			/* real 0, effective 1000: access has root's permitted caps. */
			if (setresuid(0, U1, 0))
				_exit(1);
			EXPECT_SYS(access("f", R_OK | W_OK));
			EXPECT_ERRNO(faccessat(AT_FDCWD, "f", R_OK, AT_EACCESS), EACCES);
			EXPECT_ERRNO(open("f", O_RDONLY), EACCES);
		});
		leave_scratch();
	}
}

TEST(execute_permission)
{
	char *argv[] = { "x", NULL };
	char *envp[] = { NULL };

	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		if (!EXPECT_TRUE(harness_write_file("s", "#!/bin/sh\nexit 0\n", 17, 0744)))
			return;
		/* An ELF: a copy of /bin/true. */
		int in = open("/bin/true", O_RDONLY), out = open("e", O_CREAT | O_WRONLY, 0700);
		char buf[65536];
		ssize_t n;
		EXPECT_GE(in, 0);
		EXPECT_GE(out, 0);
		while ((n = read(in, buf, sizeof(buf))) > 0)
			EXPECT_EQ(write(out, buf, (size_t)n), n);
		close(in);
		close(out);
		IN_CHILD({
			gid_t none[1];
			if (!become(U1, G1, 0, none))
				_exit(1);
			EXPECT_ERRNO(execve("s", argv, envp), EACCES); /* other: r-- */
			EXPECT_ERRNO(execve("e", argv, envp), EACCES); /* other: --- */
			EXPECT_ERRNO(access("e", X_OK), EACCES);
		});
		/* --x for others is enough for an ELF (no read needed). */
		EXPECT_SYS(chmod("e", 0711));
		IN_CHILD({
			gid_t none[1];
			if (!become(U1, G1, 0, none))
				_exit(1);
			EXPECT_ERRNO(open("e", O_RDONLY), EACCES);
			execve("e", argv, envp);
			FAIL("execve e: %s", strerror(errno));
		});
		/* The script runs once executable by root too. */
		IN_CHILD({
			execve("s", argv, envp);
			FAIL("execve s: %s", strerror(errno));
		});
		leave_scratch();
	}
}

TEST(search_permission_in_path_walks)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		EXPECT_SYS(mkdir("a", 0755));
		EXPECT_SYS(mkdir("a/b", 0755));
		make("a/b/f", 0644, 0, 0);
		EXPECT_SYS(mkdir("r", 0755));
		make("r/f", 0644, 0, 0);
		EXPECT_SYS(mkdir("x", 0755));
		make("x/f", 0644, 0, 0);
		EXPECT_SYS(chmod("a", 0700));
		EXPECT_SYS(chmod("r", 0744)); /* read, no search */
		EXPECT_SYS(chmod("x", 0711)); /* search, no read */
		IN_CHILD({
			gid_t none[1];
			if (!become(U1, G1, 0, none))
				_exit(1);
			struct stat st;
			EXPECT_ERRNO(stat("a/b/f", &st), EACCES);
			EXPECT_ERRNO(open("a/b/f", O_RDONLY), EACCES);
			EXPECT_ERRNO(chdir("a"), EACCES);
			EXPECT_ERRNO(stat("r/f", &st), EACCES);
			EXPECT_SYS(close(EXPECT_SYS(open("r", O_RDONLY | O_DIRECTORY))));
			EXPECT_ERRNO(chdir("r"), EACCES);
			EXPECT_SYS(stat("x/f", &st));
			EXPECT_ERRNO(open("x", O_RDONLY | O_DIRECTORY), EACCES);
			EXPECT_SYS(chdir("x"));
			EXPECT_SYS(close(EXPECT_SYS(open("f", O_RDONLY))));
			/* an absolute walk checks every component */
			char abs[PATH_MAX + 8];
			snprintf(abs, sizeof(abs), "%s/a/b", scratch);
			EXPECT_ERRNO(access(abs, F_OK), EACCES);
		});
		leave_scratch();
	}
}

/* O_NOATIME: only the owner or CAP_FOWNER. */
TEST(o_noatime_needs_ownership)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		make("f", 0644, U1, G1);
		EXPECT_SYS(close(EXPECT_SYS(open("f", O_RDONLY | O_NOATIME))));
		IN_CHILD({
			gid_t none[1];
			if (!become(U2, G2, 0, none))
				_exit(1);
			EXPECT_ERRNO(open("f", O_RDONLY | O_NOATIME), EPERM);
			int fd = (int)EXPECT_SYS(open("f", O_RDONLY));
			EXPECT_ERRNO(fcntl(fd, F_SETFL, O_NOATIME), EPERM);
			close(fd);
		});
		IN_CHILD({
			gid_t none[1];
			if (!become(U1, G2, 0, none))
				_exit(1);
			int fd = (int)EXPECT_SYS(open("f", O_RDONLY | O_NOATIME));
			EXPECT_EQ(fcntl(fd, F_GETFL) & O_NOATIME, O_NOATIME);
			close(fd);
		});
		leave_scratch();
	}
}

/* fs.protected_hardlinks = 1 (systemd's default, and this host's): a
 * non-owner may only link a regular, non-set-ID file it can read and write. */
TEST(protected_hardlinks)
{
	for (unsigned b = 0; b < 2; b++) {
		if (!enter_scratch(bases[b]))
			return;
		make("ro", 0644, U1, G1);
		make("rw", 0666, U1, G1);
		make("suid", 04777, U1, G1);
		EXPECT_SYS(mknod("fifo", S_IFIFO | 0666, 0));
		EXPECT_SYS(chown("fifo", U1, G1));
		IN_CHILD({
			gid_t none[1];
			if (!become(U2, G2, 0, none))
				_exit(1);
			EXPECT_ERRNO(link("ro", "l1"), EPERM);
			EXPECT_ERRNO(link("suid", "l2"), EPERM);
			EXPECT_ERRNO(link("fifo", "l3"), EPERM);
			EXPECT_SYS(link("rw", "l4"));
		});
		IN_CHILD({
			gid_t none[1];
			if (!become(U1, G1, 0, none))
				_exit(1);
			EXPECT_SYS(link("ro", "l5")); /* the owner */
		});
		EXPECT_SYS(link("ro", "l6")); /* CAP_FOWNER */
		leave_scratch();
	}
}
