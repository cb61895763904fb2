/*
 * The sentry confines itself (confine.h, docs/security.md).
 *
 * The seccomp allow-list is the table below. The filter is inherited by the
 * stub processes the sentry forks, so it must also allow what the stubs
 * execute (the syscalls the platform injects, and the stub's own start-up:
 * execveat of the memfd, prctl, its own seccomp filter). Under PTRACE_SYSEMU
 * the application's own syscalls stop before seccomp runs and never reach it.
 *
 * Path-based filesystem calls (open, openat, stat, unlink, ...) fail with
 * EACCES rather than killing: the sentry opens no host path after boot, so a
 * call is a bug, and a lazy open inside libc (locale, timezone) should fail
 * like on a locked-down system instead of crashing the sandbox. Every other
 * syscall not in the table kills the process.
 */
#include "cli/confine.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "util/log.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__)
#define CONFINE_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define CONFINE_SANITIZER 1
#endif
#endif

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Namespace flags a sentry clone() may never carry. */
#define CLONE_NS_FLAGS                                                                             \
	(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | \
	 CLONE_NEWCGROUP | CLONE_NEWTIME)

struct sc_rule {
	const char *name;
	int err; /* 0: allow; else fail with this errno */
	unsigned int argc;
	struct scmp_arg_cmp arg[1];
};

#define ALLOW(n)                                                                                   \
	{                                                                                          \
		n, 0, 0,                                                                           \
		{                                                                                  \
			{                                                                          \
				0                                                                  \
			}                                                                          \
		}                                                                                  \
	}
#define ALLOW_EQ(n, a, v)                                                                          \
	{                                                                                          \
		n, 0, 1,                                                                           \
		{                                                                                  \
			{                                                                          \
				.arg = a, .op = SCMP_CMP_EQ, .datum_a = (v)                        \
			}                                                                          \
		}                                                                                  \
	}
#define ALLOW_MASKED(n, a, m, v)                                                                   \
	{                                                                                          \
		n, 0, 1,                                                                           \
		{                                                                                  \
			{                                                                          \
				.arg = a, .op = SCMP_CMP_MASKED_EQ, .datum_a = (m), .datum_b = (v) \
			}                                                                          \
		}                                                                                  \
	}
#define FAIL(n, e)                                                                                 \
	{                                                                                          \
		n, e, 0,                                                                           \
		{                                                                                  \
			{                                                                          \
				0                                                                  \
			}                                                                          \
		}                                                                                  \
	}

/* The host syscalls the sentry (and its stubs) may make after boot. */
static const struct sc_rule rules[] = {
    /* descriptors the sentry already holds */
    ALLOW("read"),
    ALLOW("write"),
    ALLOW("pread64"),
    ALLOW("pwrite64"),
    ALLOW("readv"),
    ALLOW("writev"),
    ALLOW("preadv"),
    ALLOW("pwritev"),
    ALLOW("preadv2"),
    ALLOW("pwritev2"),
    ALLOW("close"),
    ALLOW("close_range"),
    ALLOW("fstat"),
    ALLOW("fstatfs"),
    ALLOW("lseek"),
    ALLOW("fsync"),
    ALLOW("fdatasync"),
    ALLOW("ftruncate"),
    ALLOW("fallocate"),
    ALLOW("getdents64"),
    ALLOW("ioctl"),
    ALLOW("fcntl"),
    ALLOW("dup"),
    ALLOW("dup2"),
    ALLOW("dup3"),
    ALLOW("memfd_create"),
    ALLOW("pipe2"),
    ALLOW("eventfd2"),
    ALLOW("poll"),
    ALLOW("ppoll"),
    ALLOW("epoll_create1"),
    ALLOW("epoll_ctl"),
    ALLOW("epoll_wait"),
    ALLOW("epoll_pwait"),
    ALLOW("sendfile"),
    ALLOW("copy_file_range"),
    /* fstat spelled as fstatat/statx: only on a descriptor */
    ALLOW_MASKED("newfstatat", 3, AT_EMPTY_PATH, AT_EMPTY_PATH),
    ALLOW_MASKED("statx", 2, AT_EMPTY_PATH, AT_EMPTY_PATH),
    /* memory (also injected into stubs, hence PROT_EXEC is allowed) */
    ALLOW("mmap"),
    ALLOW("munmap"),
    ALLOW("mprotect"),
    ALLOW("mremap"),
    ALLOW("madvise"),
    ALLOW("brk"),
    ALLOW("msync"),
    ALLOW("mincore"),
    /* signals */
    ALLOW("rt_sigaction"),
    ALLOW("rt_sigprocmask"),
    ALLOW("rt_sigreturn"),
    ALLOW("sigaltstack"),
    ALLOW("rt_sigtimedwait"),
    ALLOW("rt_sigsuspend"),
    ALLOW("rt_sigpending"),
    ALLOW("kill"),
    ALLOW("tgkill"),
    ALLOW("tkill"),
    ALLOW("restart_syscall"),
    ALLOW("pidfd_open"),
    ALLOW("pidfd_send_signal"),
    /* threads, synchronisation, scheduling */
    ALLOW("futex"),
    ALLOW("set_robust_list"),
    ALLOW("get_robust_list"),
    ALLOW("rseq"),
    ALLOW("set_tid_address"),
    ALLOW("sched_yield"),
    ALLOW("sched_getaffinity"),
    ALLOW("sched_setaffinity"), /* keep each stub thread on its tracer's CPU */
    ALLOW("getcpu"),
    ALLOW("exit"),
    ALLOW("exit_group"),
    /* processes: threads and stubs, never new namespaces; clone3 hides its
     * flags from seccomp, so it reports ENOSYS and glibc falls back to clone */
    ALLOW_MASKED("clone", 0, CLONE_NS_FLAGS, 0),
    FAIL("clone3", ENOSYS),
    ALLOW("vfork"),
    ALLOW_MASKED("execveat", 4, AT_EMPTY_PATH, AT_EMPTY_PATH),
    ALLOW("wait4"),
    ALLOW("waitid"),
    ALLOW("ptrace"),
    ALLOW("process_vm_readv"),
    ALLOW("process_vm_writev"),
    ALLOW("prctl"),
    ALLOW("arch_prctl"),
    ALLOW_EQ("seccomp", 0, 1 /* SET_MODE_FILTER */),
    ALLOW("setsid"),
    ALLOW("getpid"),
    ALLOW("gettid"),
    ALLOW("getppid"),
    ALLOW("getuid"),
    ALLOW("geteuid"),
    ALLOW("getgid"),
    ALLOW("getegid"),
    ALLOW("getresuid"),
    ALLOW("getresgid"),
    ALLOW("getgroups"),
    ALLOW("getpgid"),
    ALLOW("getsid"),
    ALLOW("prlimit64"),
    ALLOW("getrlimit"),
    ALLOW("getrusage"),
    /* the gofer connection and other socketpairs */
    ALLOW("sendmsg"),
    ALLOW("recvmsg"),
    ALLOW("sendto"),
    ALLOW("recvfrom"),
    ALLOW("shutdown"),
    ALLOW_EQ("socketpair", 0, AF_UNIX),
    /* time and host facts */
    ALLOW("clock_gettime"),
    ALLOW("clock_getres"),
    ALLOW("clock_nanosleep"),
    ALLOW("nanosleep"),
    ALLOW("gettimeofday"),
    ALLOW("time"),
    ALLOW("times"),
    ALLOW("getrandom"),
    ALLOW("sysinfo"),
    ALLOW("uname"),
    ALLOW("getcwd"),
    /* host paths: never, but without killing (see the top of the file) */
    FAIL("open", EACCES),
    FAIL("openat", EACCES),
    FAIL("openat2", EACCES),
    FAIL("creat", EACCES),
    FAIL("stat", EACCES),
    FAIL("lstat", EACCES),
    FAIL("access", EACCES),
    FAIL("faccessat", EACCES),
    FAIL("faccessat2", EACCES),
    FAIL("readlink", EACCES),
    FAIL("readlinkat", EACCES),
    FAIL("unlink", EACCES),
    FAIL("unlinkat", EACCES),
    FAIL("rename", EACCES),
    FAIL("renameat", EACCES),
    FAIL("renameat2", EACCES),
    FAIL("mkdir", EACCES),
    FAIL("mkdirat", EACCES),
    FAIL("rmdir", EACCES),
    FAIL("link", EACCES),
    FAIL("linkat", EACCES),
    FAIL("symlink", EACCES),
    FAIL("symlinkat", EACCES),
    FAIL("chdir", EACCES),
    FAIL("truncate", EACCES),
    FAIL("statfs", EACCES),
};

/* The sanitizer runtimes' own needs (reports, stack traces). */
static const char *const sanitizer_extra[] = {"sched_getparam", "getpriority", "mlock",
					      "munlock",	"membarrier",  NULL};

uint64_t confine_kept_caps(void)
{
	return (1ull << CAP_SYS_PTRACE) | (1ull << CAP_KILL);
}

static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

/* In a new mount namespace: the root becomes an empty, read-only tmpfs and
 * the host's mounts are detached. */
static int empty_root_pivot(const char *scratch)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mount("sentry-root", scratch, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,nr_inodes=1,mode=0555") < 0)
		return -errno;
	if (chdir(scratch) < 0)
		return -errno;
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return -errno;
	if (umount2(".", MNT_DETACH) < 0)
		return -errno;
	if (chdir("/") < 0)
		return -errno;
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  NULL) < 0)
		log_warn("confine: read-only remount of the empty root: %s", strerror(errno));
	return 0;
}

/* Without a mount namespace: chroot into an empty directory that is removed
 * first, so nothing can ever be created in it. */
static int empty_root_chroot(const char *scratch)
{
	char path[4096];
	int fd, err = 0;

	snprintf(path, sizeof(path), "%s/sentry-root.XXXXXX", scratch);
	if (!mkdtemp(path))
		return -errno;
	fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		err = -errno;
	if (rmdir(path) < 0 && !err)
		err = -errno;
	if (err)
		goto out;
	if (fchdir(fd) < 0 || chroot(".") < 0 || chdir("/") < 0)
		err = -errno;
out:
	if (fd >= 0)
		close(fd);
	return err;
}

static int drop_caps(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	uint64_t keep = confine_kept_caps(), perm;
	int cap, err = 0;

	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	perm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	/* Shrinking the bounding set needs CAP_SETPCAP; without it there is
	 * nothing this process could gain back anyway (no_new_privs). */
	if (perm & (1ull << CAP_SETPCAP)) {
		for (cap = 0; cap < 64; cap++) {
			int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

			if (r < 0)
				break;
			if (r == 1 && !(keep & (1ull << cap)) &&
			    prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
				err = -errno;
		}
	}
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	perm &= keep;
	d[0].effective = d[0].permitted = (uint32_t)perm;
	d[1].effective = d[1].permitted = (uint32_t)(perm >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return err;
}

static int add_rule(scmp_filter_ctx ctx, const char *name, int e, unsigned int argc,
		    const struct scmp_arg_cmp *arg)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	return seccomp_rule_add_array(ctx, e ? SCMP_ACT_ERRNO((uint32_t)e) : SCMP_ACT_ALLOW, nr,
				      argc, arg);
}

static int install_filter(const struct confine_config *cfg, char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	const char *const *x;
	size_t i;
	int r = 0;

	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -ENOMEM;
	}
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]) && !r; i++) {
		r = add_rule(ctx, rules[i].name, rules[i].err, rules[i].argc, rules[i].arg);
		if (r)
			snprintf(err, errlen, "seccomp rule for %s: %s", rules[i].name,
				 strerror(-r));
	}
	for (x = cfg->extra_syscalls; x && *x && !r; x++) {
		r = add_rule(ctx, *x, 0, 0, NULL);
		if (r)
			snprintf(err, errlen, "seccomp rule for %s: %s", *x, strerror(-r));
	}
#ifdef CONFINE_SANITIZER
	for (x = sanitizer_extra; *x && !r; x++)
		r = add_rule(ctx, *x, 0, 0, NULL);
#else
	(void)sanitizer_extra;
#endif
	/* All threads (there is one) and any later ones get the filter. */
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!r) {
		r = seccomp_load(ctx);
		if (r)
			snprintf(err, errlen, "seccomp_load: %s", strerror(-r));
	}
	seccomp_release(ctx);
	return r;
}

/* Optional steps: log and go on, or fail when cfg->strict. */
static int soft_fail(const struct confine_config *cfg, int e, const char *what, char *err,
		     size_t errlen)
{
	if (cfg->strict) {
		snprintf(err, errlen, "%s: %s", what, strerror(-e));
		return e;
	}
	log_warn("confine: %s: %s (continuing)", what, strerror(-e));
	return 0;
}

int sentry_confine(const struct confine_config *cfg, char *err, size_t errlen)
{
	const char *scratch = cfg->scratch_dir ? cfg->scratch_dir : "/tmp";
	const char *env = getenv("SENTRY_NO_SECCOMP");
	int done = 0, r, n;

	/* A thread that was just joined can linger in /proc for a moment. */
	n = count_threads();
	for (int tries = 0; n > 1 && tries < 100; tries++) {
		usleep(1000);
		n = count_threads();
	}
	if (n > 1) {
		snprintf(err, errlen, "must be called single-threaded (%d threads)", n);
		return -EBUSY;
	}
	if (n < 0)
		log_warn("confine: cannot count threads (%s); assuming one", strerror(-n));

	if (unshare(CLONE_NEWNS) == 0) {
		done |= CONFINE_MNTNS;
		r = empty_root_pivot(scratch);
		if (r == 0)
			done |= CONFINE_PIVOT;
		else if ((r = soft_fail(cfg, r, "empty root (pivot_root)", err, errlen)))
			return r;
	} else if ((r = soft_fail(cfg, -errno, "mount namespace", err, errlen))) {
		return r;
	}
	if (!(done & CONFINE_PIVOT)) {
		r = empty_root_chroot(scratch);
		if (r == 0)
			done |= CONFINE_CHROOT;
		else if ((r = soft_fail(cfg, r, "chroot into an empty directory", err, errlen)))
			return r;
	}
	if (unshare(CLONE_NEWIPC) == 0)
		done |= CONFINE_IPCNS;
	else if ((r = soft_fail(cfg, -errno, "IPC namespace", err, errlen)))
		return r;
	if (unshare(CLONE_NEWUTS) == 0)
		done |= CONFINE_UTSNS;
	else if ((r = soft_fail(cfg, -errno, "UTS namespace", err, errlen)))
		return r;
	if (cfg->network_none) {
		if (unshare(CLONE_NEWNET) == 0)
			done |= CONFINE_NETNS;
		else if ((r = soft_fail(cfg, -errno, "network namespace", err, errlen)))
			return r;
	}

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		log_warn("confine: PR_SET_DUMPABLE: %s", strerror(errno));
	r = drop_caps();
	if (r == 0)
		done |= CONFINE_CAPS;
	else if ((r = soft_fail(cfg, r, "dropping capabilities", err, errlen)))
		return r;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		snprintf(err, errlen, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
		return -errno;
	}

	if (cfg->no_seccomp || (env && !strcmp(env, "1"))) {
		log_warn("confine: SECCOMP FILTER DISABLED (debugging only): the host kernel's "
			 "whole syscall surface is exposed");
		return done;
	}
	r = install_filter(cfg, err, errlen);
	if (r)
		return r;
	return done | CONFINE_SECCOMP;
}
