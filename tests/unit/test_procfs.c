/*
 * procfs renderers: the text formats of /proc files, checked against what
 * Linux prints (expected strings taken from a native 6.x kernel's output).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/procfs.h"

static char *render_snap(void (*fn)(struct pbuf *, const struct procfs_task_snap *),
			 const struct procfs_task_snap *s)
{
	struct pbuf b;
	size_t len;
	pbuf_init(&b);
	fn(&b, s);
	char *out = pbuf_steal(&b, &len);
	ck_assert_ptr_nonnull(out);
	ck_assert_uint_eq(strlen(out), len);
	return out;
}

static void sample_snap(struct procfs_task_snap *s)
{
	memset(s, 0, sizeof(*s));
	s->tgid = 42;
	s->tid = 43;
	s->ppid = 1;
	s->pgid = 42;
	s->sid = 7;
	s->tpgid = -1; /* no controlling terminal */
	s->nr_threads = 3;
	strcpy(s->comm, "cat");
	s->state = 'S';
	s->creds.uid = 1;
	s->creds.euid = 2;
	s->creds.suid = 3;
	s->creds.fsuid = 4;
	s->creds.gid = 5;
	s->creds.egid = 6;
	s->creds.sgid = 7;
	s->creds.fsgid = 8;
	s->creds.ngroups = 2;
	s->creds.groups[0] = 10;
	s->creds.groups[1] = 20;
	s->creds.cap_effective = (1ULL << 41) - 1;
	s->umask = 022;
	s->fdsize = 64;
	s->vsize = 3060 * 1024;
	s->rss = 1672 * 1024;
	s->sig_pending = 1ULL << 9;
	s->sig_ignored = 1ULL << 12; /* SIGPIPE */
	s->sig_caught = 1ULL << 16;  /* SIGCHLD */
	for (int i = 0; i < 16; i++) {
		s->rlim_cur[i] = ~0ULL;
		s->rlim_max[i] = ~0ULL;
	}
	s->rlim_cur[7] = 20000;
	s->rlim_max[7] = 20000;
	s->rlim_cur[13] = 0;
	s->rlim_max[13] = 0;
	s->arg_start = 1000;
	s->arg_end = 2000;
	s->env_start = 2000;
	s->env_end = 3000;
	s->ncpus = 2;
}

START_TEST(test_pbuf_grows_and_caps)
{
	struct pbuf b;
	size_t len;
	pbuf_init(&b);
	for (int i = 0; i < 1000; i++)
		pbuf_printf(&b, "%04d,", i);
	ck_assert_int_eq(b.err, 0);
	ck_assert_uint_eq(b.len, 5000);
	ck_assert(memcmp(b.data + 4995, "0999,", 5) == 0);
	char big[600];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	pbuf_printf(&b, "%s", big); /* longer than the small stack buffer */
	ck_assert_uint_eq(b.len, 5000 + 599);
	char *s = pbuf_steal(&b, &len);
	ck_assert_uint_eq(len, 5599);
	ck_assert_uint_eq(strlen(s), 5599);
	free(s);

	/* Past the cap the buffer fails with EFBIG and hands out nothing. */
	pbuf_init(&b);
	pbuf_put(&b, "a", 1);
	pbuf_put(&b, big, PBUF_MAX);
	ck_assert_int_eq(b.err, -EFBIG);
	ck_assert_ptr_null(pbuf_steal(&b, &len));
	ck_assert_uint_eq(len, 0);
	pbuf_free(&b);
}
END_TEST

START_TEST(test_status_format)
{
	struct procfs_task_snap s;
	sample_snap(&s);
	char *out = render_snap(procfs_render_status, &s);
	ck_assert_ptr_eq(strstr(out, "Name:\tcat\nUmask:\t0022\nState:\tS (sleeping)\n"), out);
	ck_assert_ptr_nonnull(
	    strstr(out, "\nTgid:\t42\nNgid:\t0\nPid:\t43\nPPid:\t1\nTracerPid:\t0\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nUid:\t1\t2\t3\t4\nGid:\t5\t6\t7\t8\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nFDSize:\t64\nGroups:\t10 20 \n"));
	ck_assert_ptr_nonnull(strstr(out, "\nVmPeak:\t    3060 kB\nVmSize:\t    3060 kB\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nVmRSS:\t    1672 kB\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nThreads:\t3\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nSigPnd:\t0000000000000200\n"));
	ck_assert_ptr_nonnull(
	    strstr(out, "\nSigIgn:\t0000000000001000\nSigCgt:\t0000000000010000\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nCapEff:\t000001ffffffffff\n"));
	ck_assert_ptr_nonnull(
	    strstr(out, "\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n"));
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	free(out);

	/* Empty groups print a lone space, like Linux; a zombie has no Vm lines;
	 * a name with a newline is escaped. */
	s.creds.ngroups = 0;
	s.state = 'Z';
	strcpy(s.comm, "a\nb\\");
	out = render_snap(procfs_render_status, &s);
	ck_assert_ptr_eq(strstr(out, "Name:\ta\\nb\\\\\n"), out);
	ck_assert_ptr_nonnull(strstr(out, "\nGroups:\t \n"));
	ck_assert_ptr_nonnull(strstr(out, "\nState:\tZ (zombie)\n"));
	ck_assert_ptr_null(strstr(out, "VmSize"));
	free(out);
}
END_TEST

START_TEST(test_status_cpumask_words)
{
	struct procfs_task_snap s;
	sample_snap(&s);
	s.ncpus = 40;
	char *out = render_snap(procfs_render_status, &s);
	ck_assert_ptr_nonnull(
	    strstr(out, "\nCpus_allowed:\tff,ffffffff\nCpus_allowed_list:\t0-39\n"));
	free(out);
}
END_TEST

/* Split a stat line into its 52 fields (comm may contain spaces). */
static int stat_fields(const char *line, char fields[64][64])
{
	const char *open = strchr(line, '(');
	const char *close = strrchr(line, ')');
	int n = 0;
	ck_assert_ptr_nonnull(open);
	ck_assert_ptr_nonnull(close);
	snprintf(fields[n++], 64, "%.*s", (int)(open - line - 1), line);
	snprintf(fields[n++], 64, "%.*s", (int)(close - open + 1), open);
	char *rest = strdup(close + 2);
	char *save = NULL;
	for (char *tok = strtok_r(rest, " \n", &save); tok && n < 64;
	     tok = strtok_r(NULL, " \n", &save))
		snprintf(fields[n++], 64, "%s", tok);
	free(rest);
	return n;
}

START_TEST(test_stat_52_fields)
{
	struct procfs_task_snap s;
	char f[64][64];
	sample_snap(&s);
	strcpy(s.comm, "a b) c");
	char *out = render_snap(procfs_render_stat, &s);
	ck_assert_int_eq(out[strlen(out) - 1], '\n');
	ck_assert_int_eq(stat_fields(out, f), 52);
	ck_assert_str_eq(f[0], "43");
	ck_assert_str_eq(f[1], "(a b) c)");
	ck_assert_str_eq(f[2], "S");
	ck_assert_str_eq(f[3], "1");			 /* ppid */
	ck_assert_str_eq(f[4], "42");			 /* pgrp */
	ck_assert_str_eq(f[5], "7");			 /* session */
	ck_assert_str_eq(f[6], "0");			 /* tty_nr */
	ck_assert_str_eq(f[7], "-1");			 /* tpgid */
	ck_assert_str_eq(f[19], "3");			 /* num_threads */
	ck_assert_str_eq(f[22], "3133440");		 /* vsize bytes */
	ck_assert_str_eq(f[23], "418");			 /* rss pages */
	ck_assert_str_eq(f[24], "18446744073709551615"); /* rsslim */
	ck_assert_str_eq(f[30], "512");			 /* pending, decimal */
	ck_assert_str_eq(f[32], "4096");		 /* ignored */
	ck_assert_str_eq(f[37], "17");			 /* exit_signal */
	ck_assert_str_eq(f[47], "1000");		 /* arg_start */
	ck_assert_str_eq(f[50], "3000");		 /* env_end */
	ck_assert_str_eq(f[51], "0");			 /* exit_code */
	free(out);
}
END_TEST

START_TEST(test_statm)
{
	struct procfs_task_snap s;
	sample_snap(&s);
	char *out = render_snap(procfs_render_statm, &s);
	ck_assert_str_eq(out, "765 418 0 0 0 0 0\n");
	free(out);
}
END_TEST

START_TEST(test_limits_matches_linux_layout)
{
	struct procfs_task_snap s;
	sample_snap(&s);
	char *out = render_snap(procfs_render_limits, &s);
	ck_assert_ptr_eq(strstr(out, "Limit                     Soft Limit           Hard Limit    "
				     "       Units     \n"),
			 out);
	ck_assert_ptr_nonnull(strstr(out, "\nMax cpu time              unlimited            "
					  "unlimited            seconds   \n"));
	ck_assert_ptr_nonnull(strstr(out, "\nMax open files            20000                "
					  "20000                files     \n"));
	ck_assert_ptr_nonnull(strstr(out, "\nMax nice priority         0                    "
					  "0                    \n"));
	int lines = 0;
	for (char *p = out; *p; p++)
		lines += *p == '\n';
	ck_assert_int_eq(lines, 17);
	free(out);
}
END_TEST

START_TEST(test_cmdline_rules)
{
	struct pbuf b;
	size_t len;
	const char args[] = "ls\0-l\0";
	const char env[] = "A=1\0B=2\0";

	pbuf_init(&b);
	procfs_render_cmdline(&b, args, sizeof(args) - 1, env, sizeof(env) - 1);
	char *out = pbuf_steal(&b, &len);
	ck_assert_uint_eq(len, 6);
	ck_assert(memcmp(out, "ls\0-l\0", 6) == 0);
	free(out);

	/* setproctitle overwrote the NULs: one string running into env */
	const char title[] = "worker: idle";
	pbuf_init(&b);
	procfs_render_cmdline(&b, title, sizeof(title) - 1, "xyz\0more", 8);
	out = pbuf_steal(&b, &len);
	ck_assert_uint_eq(len, strlen("worker: idlexyz"));
	ck_assert(memcmp(out, "worker: idlexyz", len) == 0);
	free(out);

	/* a NUL inside args ends the rewritten title there */
	pbuf_init(&b);
	procfs_render_cmdline(&b, "abc\0def", 7, env, sizeof(env) - 1);
	out = pbuf_steal(&b, &len);
	ck_assert_uint_eq(len, 3);
	free(out);
}
END_TEST

START_TEST(test_meminfo_uptime_loadavg)
{
	struct pbuf b;
	size_t len;
	struct procfs_meminfo m = {.total = 24684096ULL * 1024, .used = 6004ULL * 1024};

	pbuf_init(&b);
	procfs_render_meminfo(&b, &m);
	char *out = pbuf_steal(&b, &len);
	ck_assert_ptr_eq(strstr(out, "MemTotal:       24684096 kB\nMemFree:        24678092 kB\n"),
			 out);
	ck_assert_ptr_nonnull(strstr(out, "\nActive(anon):       6004 kB\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nHugePages_Total:       0\n"));
	free(out);

	pbuf_init(&b);
	procfs_render_uptime(&b, 560560000000ULL + 9999999ULL);
	out = pbuf_steal(&b, &len);
	ck_assert_str_eq(out, "560.56 0.00\n");
	free(out);

	pbuf_init(&b);
	procfs_render_loadavg(&b, 1, 94, 6268);
	out = pbuf_steal(&b, &len);
	ck_assert_str_eq(out, "0.00 0.00 0.00 1/94 6268\n");
	free(out);
}
END_TEST

START_TEST(test_kstat_and_cpulist)
{
	struct pbuf b;
	size_t len;

	pbuf_init(&b);
	procfs_render_kstat(&b, 2, 10ULL * 1000000000ULL, 1700000000ULL * 1000000000ULL, 5);
	char *out = pbuf_steal(&b, &len);
	ck_assert_ptr_eq(strstr(out, "cpu  0 0 0 2000 0 0 0 0 0 0\ncpu0 0 0 0 1000 "), out);
	ck_assert_ptr_nonnull(strstr(out, "\ncpu1 0 0 0 1000 0 0 0 0 0 0\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nbtime 1700000000\n"));
	ck_assert_ptr_nonnull(strstr(out, "\nprocesses 5\n"));
	free(out);

	pbuf_init(&b);
	procfs_render_cpulist(&b, 1);
	pbuf_puts(&b, "|");
	procfs_render_cpulist(&b, 8);
	out = pbuf_steal(&b, &len);
	ck_assert_str_eq(out, "0|0-7");
	free(out);
}
END_TEST

START_TEST(test_uuid_and_version)
{
	uint8_t rnd[16];
	char u[37];
	memset(rnd, 0xff, sizeof(rnd));
	procfs_format_uuid(u, rnd);
	ck_assert_uint_eq(strlen(u), 36);
	ck_assert_str_eq(u, "ffffffff-ffff-4fff-bfff-ffffffffffff");
	memset(rnd, 0, sizeof(rnd));
	procfs_format_uuid(u, rnd);
	ck_assert_str_eq(u, "00000000-0000-4000-8000-000000000000");

	struct pbuf b;
	size_t len;
	pbuf_init(&b);
	procfs_render_version(&b);
	char *out = pbuf_steal(&b, &len);
	ck_assert_ptr_eq(strstr(out, "Linux version "), out);
	ck_assert_ptr_nonnull(strstr(out, procfs_release()));
	ck_assert_int_eq(out[len - 1], '\n');
	free(out);
}
END_TEST

Suite *procfs_suite(void)
{
	Suite *s = suite_create("procfs");
	TCase *tc = tcase_create("render");
	tcase_add_test(tc, test_pbuf_grows_and_caps);
	tcase_add_test(tc, test_status_format);
	tcase_add_test(tc, test_status_cpumask_words);
	tcase_add_test(tc, test_stat_52_fields);
	tcase_add_test(tc, test_statm);
	tcase_add_test(tc, test_limits_matches_linux_layout);
	tcase_add_test(tc, test_cmdline_rules);
	tcase_add_test(tc, test_meminfo_uptime_loadavg);
	tcase_add_test(tc, test_kstat_and_cpulist);
	tcase_add_test(tc, test_uuid_and_version);
	suite_add_tcase(s, tc);
	return s;
}
