/*
 * The generated syscall table (syscall-tables/x86_64.tbl) and --strace.
 *
 * - numbers and names agree with the x86_64 ABI (and with the host's
 *   <sys/syscall.h> where it knows the call);
 * - every row marked implemented/partial has a handler linked into sentrycore,
 *   and every row marked none has none (statuses and code agree, so
 *   docs/compatibility.md tells the truth);
 * - strace lines for known calls, errors, restarts, unknown numbers, strings
 *   and buffers (truncation, escaping, faults), execve and exit_group, read
 *   through a fake application address space.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kernel/strace.h"
#include "kernel/task.h"
#include "syscall_table.h"
#include "util/log.h"

/* --- table ------------------------------------------------------------- */

START_TEST(table_numbers_match_abi)
{
	ck_assert_int_eq(SYSCALL_TABLE_SIZE, 463);
	ck_assert_int_eq(SYSNR_read, 0);
	ck_assert_int_eq(SYSNR_execve, 59);
	ck_assert_int_eq(SYSNR_exit_group, 231);
	ck_assert_int_eq(SYSNR_openat, 257);
	ck_assert_int_eq(SYSNR_rseq, 334);
	ck_assert_int_eq(SYSNR_pidfd_send_signal, 424);
	ck_assert_int_eq(SYSNR_mseal, 462);
	/* The host headers agree where they know the call. */
	ck_assert_int_eq(SYSNR_openat, SYS_openat);
	ck_assert_int_eq(SYSNR_newfstatat, SYS_newfstatat);
	ck_assert_int_eq(SYSNR_clone3, SYS_clone3);
	ck_assert_int_eq(SYSNR_futex_waitv, SYS_futex_waitv);
	ck_assert_int_eq(SYSNR_arch_prctl, SYS_arch_prctl);

	ck_assert_str_eq(syscall_table[SYSNR_read].name, "read");
	ck_assert_str_eq(syscall_table[SYSNR_openat].name, "openat");
	ck_assert_str_eq(syscall_table[SYSNR_mseal].name, "mseal");
	ck_assert_int_eq(syscall_table[SYSNR_openat].nargs, 4);
	ck_assert_int_eq(syscall_table[SYSNR_getpid].nargs, 0);
	ck_assert_int_eq(syscall_table[SYSNR_mmap].nargs, 6);
	ck_assert_int_eq(syscall_table[SYSNR_rseq].status, SYSCALL_NONE);

	/* 335..423 are not syscalls on x86_64; nor is anything outside the table. */
	for (long nr = 335; nr <= 423; nr++)
		ck_assert_ptr_null(syscall_lookup(nr));
	ck_assert_ptr_null(syscall_lookup(-1));
	ck_assert_ptr_null(syscall_lookup(SYSCALL_TABLE_SIZE));
	ck_assert_ptr_null(syscall_lookup(0x40000000L + 1)); /* x32 numbers */
	ck_assert_ptr_eq(syscall_lookup(SYSNR_close), &syscall_table[SYSNR_close]);
}
END_TEST

START_TEST(table_rows_are_well_formed)
{
	int rows = 0;

	for (long nr = 0; nr < SYSCALL_TABLE_SIZE; nr++) {
		const struct syscall_entry *e = &syscall_table[nr];

		if (!e->name) {
			ck_assert_ptr_null(e->handler);
			continue;
		}
		rows++;
		ck_assert_int_le(e->nargs, SYSCALL_MAX_ARGS);
		ck_assert_int_le(e->status, SYSCALL_IMPLEMENTED);
		ck_assert_int_le(e->retfmt, RETFMT_NORETURN);
		for (unsigned i = 0; i < e->nargs; i++) {
			unsigned fmt = e->args[i].fmt;

			ck_assert_msg(fmt <= ARGFMT_ENVP ||
					  (fmt >= ARGFMT_SET_BASE &&
					   fmt < ARGFMT_SET_BASE + STRACE_NFLAGSETS),
				      "%s arg %u: format %u", e->name, i, fmt);
			if (fmt == ARGFMT_BUF_IN || fmt == ARGFMT_BUF_OUT)
				ck_assert_msg(e->args[i].len_arg < e->nargs &&
						  e->args[i].len_arg != i,
					      "%s arg %u: bad length argument", e->name, i);
		}
	}
	ck_assert_int_eq(rows, 374);
}
END_TEST

/* The check the table's status column depends on: a row says implemented or
 * partial exactly when sys_<name> is linked in. */
START_TEST(statuses_agree_with_handlers)
{
	char missing[4096] = "", extra[4096] = "";
	int nmissing = 0, nextra = 0;

	for (long nr = 0; nr < SYSCALL_TABLE_SIZE; nr++) {
		const struct syscall_entry *e = &syscall_table[nr];
		size_t l;

		if (!e->name)
			continue;
		if (e->status != SYSCALL_NONE && !e->handler) {
			nmissing++;
			l = strlen(missing);
			snprintf(missing + l, sizeof(missing) - l, " %s", e->name);
		} else if (e->status == SYSCALL_NONE && e->handler) {
			nextra++;
			l = strlen(extra);
			snprintf(extra + l, sizeof(extra) - l, " %s", e->name);
		}
	}
	ck_assert_msg(nmissing == 0 && nextra == 0,
		      "x86_64.tbl and the handlers disagree. Marked implemented/partial but no "
		      "sys_<name> linked (%d):%s. Have a handler but marked none (%d):%s",
		      nmissing, missing, nextra, extra);
}
END_TEST

/* --- strace, through a fake address space ------------------------------- */

#define FAKE_BASE 0x10000000ULL
#define FAKE_SIZE 4096
static unsigned char fake_mem[FAKE_SIZE];

static int fake_copy(struct task *t, void *dst, uint64_t src, size_t n)
{
	if (src < FAKE_BASE || src - FAKE_BASE > FAKE_SIZE || n > FAKE_SIZE - (src - FAKE_BASE))
		return -EFAULT;
	memcpy(dst, fake_mem + (src - FAKE_BASE), n);
	return 0;
}

static long fake_strncpy(struct task *t, char *dst, uint64_t src, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		if (fake_copy(t, dst + i, src + i, 1))
			return -EFAULT;
		if (!dst[i])
			return (long)i;
	}
	return -ENAMETOOLONG;
}

static const struct strace_user_access fake_access = {fake_copy, fake_strncpy};
static struct task *task;
static FILE *log_file;

static void strace_setup(void)
{
	memset(fake_mem, 0, sizeof(fake_mem));
	task = calloc(1, sizeof(*task));
	ck_assert_ptr_nonnull(task);
	task->tid = 7;
	log_file = tmpfile();
	ck_assert_ptr_nonnull(log_file);
	log_set_fd(fileno(log_file));
	strace_set_user_access(&fake_access);
}

static void strace_teardown(void)
{
	strace_set_user_access(NULL);
	log_set_fd(2);
	fclose(log_file);
	free(task);
}

/* Put bytes into the fake address space at offset off; returns their address. */
static uint64_t put(size_t off, const void *p, size_t n)
{
	ck_assert_uint_le(off + n, FAKE_SIZE);
	memcpy(fake_mem + off, p, n);
	return FAKE_BASE + off;
}

static uint64_t put_str(size_t off, const char *s)
{
	return put(off, s, strlen(s) + 1);
}

/* Everything logged since the last call. */
static char *logged(void)
{
	static char buf[8192];
	long end = lseek(fileno(log_file), 0, SEEK_END);
	ssize_t n;

	ck_assert_int_ge(end, 0);
	ck_assert_int_lt(end, (long)sizeof(buf));
	n = pread(fileno(log_file), buf, (size_t)end, 0);
	ck_assert_int_eq(n, end);
	buf[n] = '\0';
	ck_assert_int_eq(ftruncate(fileno(log_file), 0), 0);
	lseek(fileno(log_file), 0, SEEK_SET);
	return buf;
}

static void trace(long nr, const struct sysargs *a, long ret)
{
	strace_syscall_enter(task, nr, a);
	strace_syscall_exit(task, nr, a, ret);
}

START_TEST(strace_simple_calls)
{
	struct sysargs a = {{3}};

	trace(SYSNR_close, &a, 0);
	ck_assert_str_eq(logged(), "[pid 7] close(3) = 0\n");

	memset(&a, 0, sizeof(a));
	trace(SYSNR_getpid, &a, 1);
	ck_assert_str_eq(logged(), "[pid 7] getpid() = 1\n");

	a = (struct sysargs){{0, 4096, 3, 0x22, (uint64_t)-1, 0}};
	trace(SYSNR_mmap, &a, 0x7f0000001000L);
	ck_assert_str_eq(logged(), "[pid 7] mmap(NULL, 4096, PROT_READ|PROT_WRITE, "
				   "MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0000001000\n");

	a = (struct sysargs){{0x12345, 0}};
	trace(SYSNR_brk, &a, 0x12345);
	ck_assert_str_eq(logged(), "[pid 7] brk(0x12345) = 0x12345\n");

	a = (struct sysargs){{022}};
	trace(SYSNR_umask, &a, 077);
	ck_assert_str_eq(logged(), "[pid 7] umask(022) = 077\n");

	a = (struct sysargs){{0x1200011, 0, 0, FAKE_BASE, 0}};
	trace(SYSNR_clone, &a, 8);
	ck_assert_str_eq(logged(), "[pid 7] clone(CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD, "
				   "0, NULL, 0x10000000, 0) = 8\n");

	a = (struct sysargs){{9, 0x81, 1, 0, 0, 0}};
	trace(SYSNR_futex, &a, 1);
	ck_assert_str_eq(
	    logged(), "[pid 7] futex(0x9, FUTEX_WAKE|FUTEX_PRIVATE_FLAG, 1, NULL, NULL, 0) = 1\n");

	a = (struct sysargs){{5, 40}};
	trace(SYSNR_kill, &a, 0);
	ck_assert_str_eq(logged(), "[pid 7] kill(5, SIGRT_8) = 0\n");
}
END_TEST

START_TEST(strace_paths_and_flags)
{
	struct sysargs a = {{(uint64_t)-100, put_str(0, "/etc/passwd"), 0x80000, 0}};

	trace(SYSNR_openat, &a, 3);
	ck_assert_str_eq(logged(),
			 "[pid 7] openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC) = 3\n");

	a = (struct sysargs){{(uint64_t)-100, put_str(0, "/nope"), 0x241, 0644}};
	trace(SYSNR_openat, &a, -ENOENT);
	ck_assert_str_eq(logged(), "[pid 7] openat(AT_FDCWD, \"/nope\", O_WRONLY|O_CREAT|O_TRUNC, "
				   "0644) = -1 ENOENT (No such file or directory)\n");

	/* Unknown flag bits, a pointer that faults, NULL. */
	a = (struct sysargs){{5, 0x10000000801ULL, 0}};
	trace(SYSNR_open, &a, -EFAULT);
	ck_assert_str_eq(logged(), "[pid 7] open(0x5, O_WRONLY|O_NONBLOCK|0x10000000000) = "
				   "-1 EFAULT (Bad address)\n");
	a = (struct sysargs){{0}};
	trace(SYSNR_chdir, &a, -EFAULT);
	ck_assert_str_eq(logged(), "[pid 7] chdir(NULL) = -1 EFAULT (Bad address)\n");

	/* Longer than 32 bytes: cut, with "..." after the quote. */
	a = (struct sysargs){{put_str(0, "/a/very/long/path/that/goes/on/and/on")}};
	trace(SYSNR_unlink, &a, 0);
	ck_assert_str_eq(logged(), "[pid 7] unlink(\"/a/very/long/path/that/goes/on/a\"...) = 0\n");
	/* Exactly 32 bytes: whole. */
	a = (struct sysargs){{put_str(0, "0123456789abcdef0123456789abcdef")}};
	trace(SYSNR_rmdir, &a, 0);
	ck_assert_str_eq(logged(), "[pid 7] rmdir(\"0123456789abcdef0123456789abcdef\") = 0\n");
	/* A string running into the end of the address space without a NUL. */
	memset(fake_mem + FAKE_SIZE - 10, 'x', 10);
	a = (struct sysargs){{FAKE_BASE + FAKE_SIZE - 10}};
	trace(SYSNR_rmdir, &a, 0);
	ck_assert_str_eq(logged(), "[pid 7] rmdir(0x10000ff6) = 0\n");
}
END_TEST

START_TEST(strace_captures_input_at_entry)
{
	uint64_t p = put_str(0, "before");
	struct sysargs a = {{p}};

	strace_syscall_enter(task, SYSNR_unlink, &a);
	put_str(0, "after!"); /* the call (or another thread) changed it */
	strace_syscall_exit(task, SYSNR_unlink, &a, 0);
	ck_assert_str_eq(logged(), "[pid 7] unlink(\"before\") = 0\n");
}
END_TEST

START_TEST(strace_buffers)
{
	static const char data[] = "\x7f"
				   "ELF\x02\x01\x01\0\0\0\x03"
				   "7\t\"\\";
	uint64_t buf = put(100, data, sizeof(data) - 1);
	struct sysargs a = {{3, buf, 832}};

	/* read: shown at exit, only the bytes read. */
	strace_syscall_enter(task, SYSNR_read, &a);
	ck_assert_str_eq(logged(), "");
	strace_syscall_exit(task, SYSNR_read, &a, 15);
	ck_assert_str_eq(
	    logged(),
	    "[pid 7] read(3, \"\\177ELF\\2\\1\\1\\0\\0\\0\\0037\\t\\\"\\\\\", 832) = 15\n");
	/* a failed read shows the address */
	trace(SYSNR_read, &a, -EAGAIN);
	ck_assert_str_eq(logged(), "[pid 7] read(3, 0x10000064, 832) = -1 EAGAIN "
				   "(Resource temporarily unavailable)\n");

	/* write: shown at entry, first 32 of len bytes */
	memset(fake_mem + 200, 'a', 100);
	a = (struct sysargs){{1, FAKE_BASE + 200, 100}};
	trace(SYSNR_write, &a, 100);
	ck_assert_str_eq(logged(),
			 "[pid 7] write(1, \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"..., 100) = 100\n");
	a = (struct sysargs){{1, FAKE_BASE + 200, 0}};
	trace(SYSNR_write, &a, 0);
	ck_assert_str_eq(logged(), "[pid 7] write(1, \"\", 0) = 0\n");
	/* an unreadable buffer */
	a = (struct sysargs){{1, 0xdead0000, 5}};
	trace(SYSNR_write, &a, -EFAULT);
	ck_assert_str_eq(logged(), "[pid 7] write(1, 0xdead0000, 5) = -1 EFAULT (Bad address)\n");
}
END_TEST

START_TEST(strace_errors_and_restarts)
{
	struct sysargs a = {{0}};

	trace(SYSNR_pause, &a, -ERESTARTNOHAND);
	ck_assert_str_eq(logged(),
			 "[pid 7] pause() = ? ERESTARTNOHAND (To be restarted if no handler)\n");
	a = (struct sysargs){{3, 0, 0}};
	trace(SYSNR_read, &a, -ERESTARTSYS);
	ck_assert_str_eq(
	    logged(),
	    "[pid 7] read(3, NULL, 0) = ? ERESTARTSYS (To be restarted if SA_RESTART is set)\n");
	trace(SYSNR_read, &a, -41); /* no name on x86_64 */
	ck_assert_str_eq(logged(), "[pid 7] read(3, NULL, 0) = -1 (errno 41)\n");
	/* rt_sigreturn: the handler set the registers; show the restored rax. */
	task->regs.rax = 42;
	trace(SYSNR_rt_sigreturn, &a, -EJUSTRETURN);
	ck_assert_str_eq(logged(), "[pid 7] rt_sigreturn() = 42\n");
}
END_TEST

START_TEST(strace_unknown_numbers)
{
	struct sysargs a = {{1, 2, 0, 0, 0, 0xff}};

	trace(0x190, &a, -ENOSYS);
	ck_assert_str_eq(logged(), "[pid 7] syscall_0x190(0x1, 0x2, 0, 0, 0, 0xff) = "
				   "-1 ENOSYS (Function not implemented)\n");
	trace(100000, &a, -ENOSYS);
	ck_assert_str_eq(logged(), "[pid 7] syscall_0x186a0(0x1, 0x2, 0, 0, 0, 0xff) = "
				   "-1 ENOSYS (Function not implemented)\n");
	/* Enter without exit, then another call: no stale text is reused. */
	a = (struct sysargs){{put_str(0, "stale")}};
	strace_syscall_enter(task, SYSNR_unlink, &a);
	a = (struct sysargs){{4}};
	trace(SYSNR_close, &a, 0);
	ck_assert_str_eq(logged(), "[pid 7] close(4) = 0\n");
}
END_TEST

START_TEST(strace_exit_and_execve)
{
	struct sysargs a = {{3}};
	uint64_t argv[4], envp[3];

	strace_syscall_enter(task, SYSNR_exit_group, &a);
	ck_assert_str_eq(logged(), "[pid 7] exit_group(3) = ?\n");
	strace_syscall_exit(task, SYSNR_exit_group, &a, 0);
	ck_assert_str_eq(logged(), "");

	argv[0] = put_str(0, "/bin/ls");
	argv[1] = put_str(16, "-l");
	argv[2] = put_str(32, "a\nb");
	argv[3] = 0;
	envp[0] = put_str(48, "A=1");
	envp[1] = put_str(64, "B=2");
	envp[2] = 0;
	a = (struct sysargs){{argv[0], put(128, argv, sizeof(argv)), put(256, envp, sizeof(envp))}};
	strace_syscall_enter(task, SYSNR_execve, &a);
	ck_assert_str_eq(logged(), "[pid 7] execve(\"/bin/ls\", [\"/bin/ls\", \"-l\", \"a\\nb\"], "
				   "0x10000100 /* 2 vars */ <unfinished ...>\n");
	strace_syscall_exit(task, SYSNR_execve, &a, 0);
	ck_assert_str_eq(logged(), "[pid 7] <... execve resumed>) = 0\n");
	trace(SYSNR_execve, &a, -ENOENT);
	logged();
	/* argv that cannot be read */
	a.a[1] = 0xdead0000;
	strace_syscall_enter(task, SYSNR_execve, &a);
	ck_assert_str_eq(logged(), "[pid 7] execve(\"/bin/ls\", 0xdead0000, "
				   "0x10000100 /* 2 vars */ <unfinished ...>\n");
	strace_syscall_exit(task, SYSNR_execve, &a, -EFAULT);
	ck_assert_str_eq(logged(), "[pid 7] <... execve resumed>) = -1 EFAULT (Bad address)\n");
}
END_TEST

/* A hostile argv (huge, all long strings) makes a bounded line. */
START_TEST(strace_huge_argv_is_bounded)
{
	uint64_t argv[200];
	struct sysargs a;
	char *out;

	memset(fake_mem, 'z', 1000);
	fake_mem[1000] = '\0';
	for (int i = 0; i < 199; i++)
		argv[i] = FAKE_BASE + (uint64_t)(i % 900);
	argv[199] = 0;
	a = (struct sysargs){{FAKE_BASE, put(1024, argv, sizeof(argv)), 0}};
	trace(SYSNR_execve, &a, -E2BIG);
	out = logged();
	ck_assert_ptr_nonnull(strstr(out, "<unfinished ...>\n"));
	ck_assert_ptr_nonnull(strstr(out, "...]"));
	ck_assert_ptr_nonnull(
	    strstr(out, "<... execve resumed>) = -1 E2BIG (Argument list too long)\n"));
	ck_assert_uint_lt(strlen(out), 4096);
}
END_TEST

/* Every row, and numbers around the table, with arguments that are random
 * values or point at random bytes (half of them running off the end of the
 * fake address space): each call makes one bounded, terminated line. */
START_TEST(strace_random_arguments_make_bounded_lines)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	for (size_t i = 0; i < FAKE_SIZE; i++) {
		seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
		fake_mem[i] = (unsigned char)(seed >> 56);
	}
	for (long nr = -2; nr < SYSCALL_TABLE_SIZE + 2; nr++) {
		for (int round = 0; round < 8; round++) {
			struct sysargs a;
			char *out;
			long ret;

			for (int i = 0; i < 6; i++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				if ((seed >> 60) & 1)
					a.a[i] = FAKE_BASE + (seed >> 20) % (FAKE_SIZE + 64);
				else
					a.a[i] = seed;
			}
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			ret = (round & 1) ? -(long)((seed >> 40) % 600) : (long)(seed >> 40);
			trace(nr, &a, ret);
			out = logged();
			if (nr >= 0 && nr < SYSCALL_TABLE_SIZE &&
			    syscall_table[nr].retfmt == RETFMT_NORETURN) {
				ck_assert_ptr_nonnull(strstr(out, ") = ?\n"));
				continue;
			}
			ck_assert_uint_gt(strlen(out), 10);
			ck_assert_uint_lt(strlen(out), 2 * 4096);
			ck_assert_msg(strncmp(out, "[pid 7] ", 8) == 0, "nr %ld: %s", nr, out);
			ck_assert_msg(out[strlen(out) - 1] == '\n', "nr %ld: %s", nr, out);
		}
	}
}
END_TEST

Suite *syscall_table_suite(void)
{
	Suite *s = suite_create("syscall_table");
	TCase *tc = tcase_create("table");
	tcase_add_test(tc, table_numbers_match_abi);
	tcase_add_test(tc, table_rows_are_well_formed);
	tcase_add_test(tc, statuses_agree_with_handlers);
	suite_add_tcase(s, tc);

	tc = tcase_create("strace");
	tcase_add_checked_fixture(tc, strace_setup, strace_teardown);
	tcase_add_test(tc, strace_simple_calls);
	tcase_add_test(tc, strace_paths_and_flags);
	tcase_add_test(tc, strace_captures_input_at_entry);
	tcase_add_test(tc, strace_buffers);
	tcase_add_test(tc, strace_errors_and_restarts);
	tcase_add_test(tc, strace_unknown_numbers);
	tcase_add_test(tc, strace_exit_and_execve);
	tcase_add_test(tc, strace_huge_argv_is_bounded);
	tcase_add_test(tc, strace_random_arguments_make_bounded_lines);
	suite_add_tcase(s, tc);
	return s;
}
