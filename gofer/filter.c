/*
 * The gofer's seccomp allow-list: exactly the host syscalls its serving loop
 * makes (checked with strace -f on the unit tests), with arguments pinned
 * where that narrows what a compromised gofer could do. Anything else kills
 * the process.
 *
 *   recvmsg/sendmsg   only on the connection socket
 *   write             only to stderr (the log)
 *   openat            always with O_NOFOLLOW; O_TMPFILE only as exactly
 *                     O_TMPFILE|O_RDWR|O_NOFOLLOW|O_CLOEXEC and only with
 *                     --rw; in read-only mode never O_CREAT, for writing
 *                     or O_TRUNC
 *   newfstatat        only with AT_EMPTY_PATH (that is, fstat)
 *   fcntl             F_GETFL, F_SETFL, F_DUPFD_CLOEXEC
 *   mmap/mprotect     never PROT_EXEC
 *   fsync, fdatasync, fgetxattr, flistxattr
 *                     on descriptors the gofer opened (FSYNC, GETXATTR...)
 *
 * Only with --rw (ops_write.c, ops_xattr.c):
 *   ftruncate, mkdirat, unlinkat, renameat2, symlinkat, fsetxattr,
 *   fremovexattr     any arguments (all relative to the gofer's descriptors)
 *   mknodat           only S_IFIFO or S_IFSOCK modes
 *   linkat            flags 0 or AT_EMPTY_PATH (never AT_SYMLINK_FOLLOW)
 *   fchownat, utimensat, fchmodat2
 *                     only AT_EMPTY_PATH (the fid's own O_PATH descriptor)
 */
#include "gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* The bit of O_TMPFILE that is not O_DIRECTORY (glibc's __O_TMPFILE
 * includes O_DIRECTORY, which the gofer does use). */
#define TMPFILE_BIT 020000000

/* Syscalls allowed with any arguments. */
static const char *const plain[] = {
    "close",	  "fstat",	  "fstatfs",	    "readlinkat",
    "getdents64", "lseek",	  "munmap",	    "mremap",
    "brk",	  "madvise",	  "exit",	    "exit_group",
    "getpid",	  "rt_sigreturn", "rt_sigprocmask", "restart_syscall",
    "fsync",	  "fdatasync",	  "fgetxattr",	    "flistxattr",
};

/* With --rw: the name operations, all relative to descriptors. */
static const char *const plain_rw[] = {
    "ftruncate", "mkdirat", "unlinkat", "renameat2", "symlinkat", "fsetxattr", "fremovexattr",
};

#ifdef GOFER_ASAN
/* What ASan/UBSan's runtime needs for its own bookkeeping and reports. */
static const char *const sanitizer_extra[] = {
    "gettid", "sigaltstack", "rt_sigaction", "prctl",	 "sched_yield",
    "futex",  "getrlimit",   "prlimit64",    "readlink", "open",
    "read",   "nanosleep",   "tgkill",	     "kill",	 "clock_gettime",
};
#endif

static int add(scmp_filter_ctx ctx, const char *name, unsigned int n, const struct scmp_arg_cmp *c)
{
	int nr = seccomp_syscall_resolve_name(name);

	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, c);
}

static int add_rw_rules(scmp_filter_ctx ctx)
{
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(plain_rw) / sizeof(plain_rw[0]) && !err; i++)
		err = add(ctx, plain_rw[i], 0, NULL);
	{
		struct scmp_arg_cmp fifo[] = {SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, S_IFIFO)};
		struct scmp_arg_cmp sock[] = {SCMP_A2(SCMP_CMP_MASKED_EQ, S_IFMT, S_IFSOCK)};

		err = err ?: add(ctx, "mknodat", 1, fifo);
		err = err ?: add(ctx, "mknodat", 1, sock);
	}
	{
		struct scmp_arg_cmp none[] = {SCMP_A4(SCMP_CMP_EQ, 0)};
		struct scmp_arg_cmp empty[] = {SCMP_A4(SCMP_CMP_EQ, AT_EMPTY_PATH)};

		err = err ?: add(ctx, "linkat", 1, none);
		err = err ?: add(ctx, "linkat", 1, empty);
		err = err ?: add(ctx, "fchownat", 1, empty);
	}
	{
		struct scmp_arg_cmp empty3[] = {SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH)};

		err = err ?: add(ctx, "utimensat", 1, empty3);
		err = err ?: add(ctx, "fchmodat2", 1, empty3);
	}
	return err;
}

static int add_rules(scmp_filter_ctx ctx, const struct gofer_config *cfg)
{
	const uint64_t sock = (uint64_t)cfg->sock;
	uint64_t omask = O_NOFOLLOW | TMPFILE_BIT;
	size_t i;
	int err = 0;

	for (i = 0; i < sizeof(plain) / sizeof(plain[0]) && !err; i++)
		err = add(ctx, plain[i], 0, NULL);
#ifdef GOFER_ASAN
	for (i = 0; i < sizeof(sanitizer_extra) / sizeof(sanitizer_extra[0]) && !err; i++)
		err = add(ctx, sanitizer_extra[i], 0, NULL);
#endif
	if (err)
		return err;

	{
		struct scmp_arg_cmp c[] = {SCMP_A0(SCMP_CMP_EQ, sock)};

		err = err ?: add(ctx, "recvmsg", 1, c);
		err = err ?: add(ctx, "sendmsg", 1, c);
	}
	{
		struct scmp_arg_cmp c[] = {SCMP_A0(SCMP_CMP_EQ, 2)};

		err = err ?: add(ctx, "write", 1, c);
	}
	{
		struct scmp_arg_cmp c[1];

		if (!cfg->rw)
			omask |= O_ACCMODE | O_TRUNC | O_CREAT;
		c[0] = SCMP_A2(SCMP_CMP_MASKED_EQ, omask, O_NOFOLLOW);
		err = err ?: add(ctx, "openat", 1, c);
	}
	if (cfg->rw) {
		/* TMPFILE (ops_write.c): exactly O_TMPFILE|O_RDWR|O_NOFOLLOW|
		 * O_CLOEXEC, an unnamed file in a directory fid. */
		const uint64_t want = TMPFILE_BIT | O_DIRECTORY | O_RDWR | O_NOFOLLOW | O_CLOEXEC;
		struct scmp_arg_cmp c[] = {SCMP_A2(SCMP_CMP_EQ, want)};

		err = err ?: add(ctx, "openat", 1, c);
	}
	{
		struct scmp_arg_cmp c[] = {SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH)};

		err = err ?: add(ctx, "newfstatat", 1, c);
	}
	{
		static const int cmds[] = {F_GETFL, F_SETFL, F_DUPFD_CLOEXEC};

		for (i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
			struct scmp_arg_cmp c[] = {SCMP_A1(SCMP_CMP_EQ, (uint64_t)cmds[i])};

			err = err ?: add(ctx, "fcntl", 1, c);
		}
	}
	{
		struct scmp_arg_cmp c[] = {SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0)};

		err = err ?: add(ctx, "mmap", 1, c);
		err = err ?: add(ctx, "mprotect", 1, c);
	}
	if (cfg->rw)
		err = err ?: add_rw_rules(ctx);
	return err;
}

int gofer_install_filter(const struct gofer_config *cfg)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int err;

	if (!ctx)
		return -ENOMEM;
	err = add_rules(ctx, cfg);
	if (!err)
		err = seccomp_load(ctx);
	seccomp_release(ctx);
	return err;
}
