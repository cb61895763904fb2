/*
 * Pure renderers for procfs text files, in the exact formats Linux uses
 * (fs/proc/array.c, fs/proc/base.c, fs/proc/meminfo.c, fs/proc/stat.c), and
 * the growable buffer they write into. No global state is touched here.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/procfs.h"

#include "kernel/kernel_impl.h" /* SENTRY_UNAME_RELEASE / _VERSION (uname) */
#ifndef SENTRY_UNAME_RELEASE
#define SENTRY_UNAME_RELEASE "5.15.0"
#endif
#ifndef SENTRY_UNAME_VERSION
#define SENTRY_UNAME_VERSION "#1 SMP sentry"
#endif

#define PAGE_SIZE_BYTES 4096ULL
#define USER_HZ 100ULL
#define RLIM64_INF (~0ULL)

/* --- pbuf ---------------------------------------------------------------- */

void pbuf_init(struct pbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void pbuf_free(struct pbuf *b)
{
	free(b->data);
	pbuf_init(b);
}

/* Make room for n more bytes plus a NUL. */
static int pbuf_reserve(struct pbuf *b, size_t n)
{
	if (b->err)
		return b->err;
	if (n > PBUF_MAX || b->len + n > PBUF_MAX) {
		b->err = -EFBIG;
		return b->err;
	}
	size_t need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	char *p = realloc(b->data, cap);
	if (!p) {
		b->err = -ENOMEM;
		return b->err;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

void pbuf_put(struct pbuf *b, const void *p, size_t n)
{
	if (n == 0 || pbuf_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void pbuf_puts(struct pbuf *b, const char *s)
{
	pbuf_put(b, s, strlen(s));
}

void pbuf_printf(struct pbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];

	if (b->err)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		pbuf_put(b, small, (size_t)n);
		return;
	}
	if (pbuf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *pbuf_steal(struct pbuf *b, size_t *len)
{
	if (b->err) {
		int err = b->err;
		pbuf_free(b);
		b->err = err;
		*len = 0;
		return NULL;
	}
	if (!b->data && pbuf_reserve(b, 0)) {
		*len = 0;
		return NULL;
	}
	char *p = b->data;
	*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

/* --- /proc/PID/status ---------------------------------------------------- */

static const char *state_name(char st)
{
	switch (st) {
	case 'R':
		return "R (running)";
	case 'T':
		return "T (stopped)";
	case 'Z':
		return "Z (zombie)";
	case 'X':
		return "X (dead)";
	default:
		return "S (sleeping)";
	}
}

/* Name: escapes '\n' and '\\' as proc_task_name(escape=true) does. */
static void put_escaped_comm(struct pbuf *b, const char *comm)
{
	for (size_t i = 0; i < 16 && comm[i]; i++) {
		if (comm[i] == '\n')
			pbuf_puts(b, "\\n");
		else if (comm[i] == '\\')
			pbuf_puts(b, "\\\\");
		else
			pbuf_put(b, &comm[i], 1);
	}
}

/* Cpus_allowed: a bitmap in 32-bit hex words, most significant first,
 * comma-separated, the first word unpadded (as %*pb prints it). */
static void put_cpumask(struct pbuf *b, int ncpus)
{
	int words = (ncpus + 31) / 32;
	for (int w = words - 1; w >= 0; w--) {
		int bits = ncpus - w * 32;
		uint32_t v = bits >= 32 ? 0xffffffffu : ((1u << bits) - 1);
		if (w == words - 1)
			pbuf_printf(b, "%x", v);
		else
			pbuf_printf(b, ",%08x", v);
	}
}

void procfs_render_cpulist(struct pbuf *b, int ncpus)
{
	if (ncpus <= 1)
		pbuf_puts(b, "0");
	else
		pbuf_printf(b, "0-%d", ncpus - 1);
}

static void put_kb(struct pbuf *b, const char *name, uint64_t bytes)
{
	pbuf_printf(b, "%s:\t%8llu kB\n", name, (unsigned long long)(bytes / 1024));
}

void procfs_render_status(struct pbuf *b, const struct procfs_task_snap *s)
{
	const struct creds *c = &s->creds;

	pbuf_puts(b, "Name:\t");
	put_escaped_comm(b, s->comm);
	pbuf_puts(b, "\n");
	if (s->umask >= 0)
		pbuf_printf(b, "Umask:\t%04o\n", (unsigned)s->umask & 0777);
	pbuf_printf(b, "State:\t%s\n", state_name(s->state));
	pbuf_printf(b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", s->tgid, s->tid,
		    s->ppid);
	pbuf_printf(b, "Uid:\t%u\t%u\t%u\t%u\n", c->uid, c->euid, c->suid, c->fsuid);
	pbuf_printf(b, "Gid:\t%u\t%u\t%u\t%u\n", c->gid, c->egid, c->sgid, c->fsgid);
	pbuf_printf(b, "FDSize:\t%d\n", s->fdsize);
	pbuf_puts(b, "Groups:\t");
	int ng = c->ngroups < 0			  ? 0
		 : c->ngroups > CREDS_NGROUPS_MAX ? CREDS_NGROUPS_MAX
						  : c->ngroups;
	for (int i = 0; i < ng; i++)
		pbuf_printf(b, "%s%u", i ? " " : "", c->groups[i]);
	pbuf_puts(b, " \n");
	pbuf_printf(b, "NStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", s->tgid, s->tid,
		    s->pgid, s->sid);
	if (s->state != 'Z') {
		put_kb(b, "VmPeak", s->vsize);
		put_kb(b, "VmSize", s->vsize);
		put_kb(b, "VmLck", 0);
		put_kb(b, "VmPin", 0);
		put_kb(b, "VmHWM", s->rss_hwm > s->rss ? s->rss_hwm : s->rss);
		put_kb(b, "VmRSS", s->rss);
		put_kb(b, "RssAnon", s->rss_anon);
		put_kb(b, "RssFile", s->rss_file);
		put_kb(b, "RssShmem", s->rss_shmem);
		put_kb(b, "VmData", 0);
		put_kb(b, "VmStk", 0);
		put_kb(b, "VmExe", 0);
		put_kb(b, "VmLib", 0);
		put_kb(b, "VmPTE", 0);
		put_kb(b, "VmSwap", 0);
		put_kb(b, "HugetlbPages", 0);
	}
	pbuf_puts(b, "CoreDumping:\t0\nTHP_enabled:\t1\n");
	pbuf_printf(b, "Threads:\t%d\n", s->nr_threads);
	pbuf_printf(b, "SigQ:\t0/%llu\n", (unsigned long long)s->rlim_cur[11]);
	pbuf_printf(b, "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\n",
		    (unsigned long long)s->sig_pending, (unsigned long long)s->sig_shared,
		    (unsigned long long)s->sig_blocked);
	pbuf_printf(b, "SigIgn:\t%016llx\nSigCgt:\t%016llx\n", (unsigned long long)s->sig_ignored,
		    (unsigned long long)s->sig_caught);
	pbuf_printf(b, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\n",
		    (unsigned long long)c->cap_inheritable, (unsigned long long)c->cap_permitted,
		    (unsigned long long)c->cap_effective);
	pbuf_printf(b, "CapBnd:\t%016llx\nCapAmb:\t%016llx\n", (unsigned long long)c->cap_bounding,
		    (unsigned long long)c->cap_ambient);
	pbuf_printf(b, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n", c->no_new_privs ? 1 : 0);
	pbuf_puts(b, "Cpus_allowed:\t");
	put_cpumask(b, s->ncpus < 1 ? 1 : s->ncpus);
	pbuf_puts(b, "\nCpus_allowed_list:\t");
	procfs_render_cpulist(b, s->ncpus);
	pbuf_puts(b, "\nMems_allowed:\t1\nMems_allowed_list:\t0\n");
	pbuf_puts(b, "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
}

/* --- /proc/PID/stat and statm --------------------------------------------- */

void procfs_render_stat(struct pbuf *b, const struct procfs_task_snap *s)
{
	char comm[17];
	memcpy(comm, s->comm, 16);
	comm[16] = '\0';
	const unsigned long long mask31 = 0x7fffffffULL;

	/* 1-7: pid (comm) state ppid pgrp session tty_nr */
	pbuf_printf(b, "%d (%s) %c %d %d %d %u", s->tid, comm, s->state ? s->state : 'S', s->ppid,
		    s->pgid, s->sid, s->tty_nr);
	/* 8-17: tpgid flags minflt cminflt majflt cmajflt utime stime cutime cstime */
	pbuf_printf(b, " %d 4194304 0 0 0 0 0 0 0 0", s->tpgid);
	/* 18-22: priority nice num_threads itrealvalue starttime */
	pbuf_printf(b, " 20 0 %d 0 %llu", s->nr_threads, (unsigned long long)s->start_ticks);
	/* 23-25: vsize rss rsslim */
	pbuf_printf(b, " %llu %llu %llu", (unsigned long long)s->vsize,
		    (unsigned long long)(s->rss / PAGE_SIZE_BYTES),
		    (unsigned long long)s->rlim_cur[5]);
	/* 26-30: startcode endcode startstack kstkesp kstkeip (not tracked) */
	pbuf_puts(b, " 0 0 0 0 0");
	/* 31-34: signal blocked sigignore sigcatch (obsolete decimal, 31 bits) */
	pbuf_printf(b, " %llu %llu %llu %llu", (unsigned long long)s->sig_pending & mask31,
		    (unsigned long long)s->sig_blocked & mask31,
		    (unsigned long long)s->sig_ignored & mask31,
		    (unsigned long long)s->sig_caught & mask31);
	/* 35-44: wchan nswap cnswap exit_signal processor rt_priority policy
	 * delayacct_blkio_ticks guest_time cguest_time */
	pbuf_puts(b, " 0 0 0 17 0 0 0 0 0 0");
	/* 45-51: start_data end_data start_brk arg_start arg_end env_start env_end */
	pbuf_printf(b, " 0 0 0 %llu %llu %llu %llu", (unsigned long long)s->arg_start,
		    (unsigned long long)s->arg_end, (unsigned long long)s->env_start,
		    (unsigned long long)s->env_end);
	/* 52: exit_code */
	pbuf_printf(b, " %d\n", s->exit_code);
}

void procfs_render_statm(struct pbuf *b, const struct procfs_task_snap *s)
{
	/* size resident shared(file + shmem) text lib(0) data dt(0) */
	pbuf_printf(b, "%llu %llu %llu 0 0 0 0\n", (unsigned long long)(s->vsize / PAGE_SIZE_BYTES),
		    (unsigned long long)(s->rss / PAGE_SIZE_BYTES),
		    (unsigned long long)((s->rss_file + s->rss_shmem) / PAGE_SIZE_BYTES));
}

/* --- /proc/PID/limits ---------------------------------------------------- */

static const struct {
	const char *name, *unit;
} limit_names[16] = {
    {"Max cpu time", "seconds"},     {"Max file size", "bytes"},
    {"Max data size", "bytes"},	     {"Max stack size", "bytes"},
    {"Max core file size", "bytes"}, {"Max resident set", "bytes"},
    {"Max processes", "processes"},  {"Max open files", "files"},
    {"Max locked memory", "bytes"},  {"Max address space", "bytes"},
    {"Max file locks", "locks"},     {"Max pending signals", "signals"},
    {"Max msgqueue size", "bytes"},  {"Max nice priority", NULL},
    {"Max realtime priority", NULL}, {"Max realtime timeout", "us"},
};

void procfs_render_limits(struct pbuf *b, const struct procfs_task_snap *s)
{
	pbuf_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (int i = 0; i < 16; i++) {
		if (s->rlim_cur[i] == RLIM64_INF)
			pbuf_printf(b, "%-25s %-20s ", limit_names[i].name, "unlimited");
		else
			pbuf_printf(b, "%-25s %-20llu ", limit_names[i].name,
				    (unsigned long long)s->rlim_cur[i]);
		if (s->rlim_max[i] == RLIM64_INF)
			pbuf_printf(b, "%-20s ", "unlimited");
		else
			pbuf_printf(b, "%-20llu ", (unsigned long long)s->rlim_max[i]);
		if (limit_names[i].unit)
			pbuf_printf(b, "%-10s\n", limit_names[i].unit);
		else
			pbuf_puts(b, "\n");
	}
}

/* --- /proc/PID/cmdline ---------------------------------------------------- */

void procfs_render_cmdline(struct pbuf *b, const char *args, size_t args_len, const char *env,
			   size_t env_len)
{
	if (args_len == 0)
		return;
	if (args[args_len - 1] == '\0') {
		pbuf_put(b, args, args_len);
		return;
	}
	/* Rewritten title: one string, which may run on into the environment. */
	const char *nul = memchr(args, '\0', args_len);
	if (nul) {
		pbuf_put(b, args, (size_t)(nul - args));
		return;
	}
	pbuf_put(b, args, args_len);
	if (env && env_len) {
		nul = memchr(env, '\0', env_len);
		pbuf_put(b, env, nul ? (size_t)(nul - env) : env_len);
	}
}

/* --- top-level files ------------------------------------------------------ */

static void put_meminfo_kb(struct pbuf *b, const char *name, uint64_t kb)
{
	char label[32];
	snprintf(label, sizeof(label), "%s:", name);
	pbuf_printf(b, "%-16s%8llu kB\n", label, (unsigned long long)kb);
}

void procfs_render_meminfo(struct pbuf *b, const struct procfs_meminfo *m)
{
	uint64_t total = m->total / 1024;
	uint64_t used = m->used / 1024;
	if (used > total)
		used = total;
	uint64_t free_kb = total - used;

	put_meminfo_kb(b, "MemTotal", total);
	put_meminfo_kb(b, "MemFree", free_kb);
	put_meminfo_kb(b, "MemAvailable", free_kb);
	put_meminfo_kb(b, "Buffers", 0);
	put_meminfo_kb(b, "Cached", 0);
	put_meminfo_kb(b, "SwapCached", 0);
	put_meminfo_kb(b, "Active", used);
	put_meminfo_kb(b, "Inactive", 0);
	put_meminfo_kb(b, "Active(anon)", used);
	put_meminfo_kb(b, "Inactive(anon)", 0);
	put_meminfo_kb(b, "Active(file)", 0);
	put_meminfo_kb(b, "Inactive(file)", 0);
	put_meminfo_kb(b, "Unevictable", 0);
	put_meminfo_kb(b, "Mlocked", 0);
	put_meminfo_kb(b, "SwapTotal", 0);
	put_meminfo_kb(b, "SwapFree", 0);
	put_meminfo_kb(b, "Dirty", 0);
	put_meminfo_kb(b, "Writeback", 0);
	put_meminfo_kb(b, "AnonPages", used);
	put_meminfo_kb(b, "Mapped", 0);
	put_meminfo_kb(b, "Shmem", 0);
	put_meminfo_kb(b, "Slab", 0);
	put_meminfo_kb(b, "SReclaimable", 0);
	put_meminfo_kb(b, "SUnreclaim", 0);
	put_meminfo_kb(b, "KernelStack", 0);
	put_meminfo_kb(b, "PageTables", 0);
	put_meminfo_kb(b, "CommitLimit", total);
	put_meminfo_kb(b, "Committed_AS", used);
	put_meminfo_kb(b, "VmallocTotal", 34359738367ULL);
	put_meminfo_kb(b, "VmallocUsed", 0);
	put_meminfo_kb(b, "VmallocChunk", 0);
	pbuf_puts(b, "HugePages_Total:       0\nHugePages_Free:        0\n"
		     "HugePages_Rsvd:        0\nHugePages_Surp:        0\n");
	put_meminfo_kb(b, "Hugepagesize", 2048);
}

void procfs_render_uptime(struct pbuf *b, uint64_t uptime_ns)
{
	uint64_t cs = uptime_ns / 10000000ULL; /* centiseconds */
	/* Idle time is not tracked: report none rather than invent it. */
	pbuf_printf(b, "%llu.%02llu 0.00\n", (unsigned long long)(cs / 100),
		    (unsigned long long)(cs % 100));
}

void procfs_render_loadavg(struct pbuf *b, int running, int nr_tasks, int last_pid)
{
	pbuf_printf(b, "0.00 0.00 0.00 %d/%d %d\n", running, nr_tasks, last_pid);
}

void procfs_render_kstat(struct pbuf *b, int ncpus, uint64_t uptime_ns, uint64_t boot_realtime_ns,
			 int nr_tasks)
{
	if (ncpus < 1)
		ncpus = 1;
	/* CPU time is not accounted yet: every CPU shows as idle since boot. */
	unsigned long long idle = uptime_ns / (1000000000ULL / USER_HZ);
	pbuf_printf(b, "cpu  0 0 0 %llu 0 0 0 0 0 0\n", idle * (unsigned long long)ncpus);
	for (int i = 0; i < ncpus; i++)
		pbuf_printf(b, "cpu%d 0 0 0 %llu 0 0 0 0 0 0\n", i, idle);
	pbuf_puts(b, "intr 0\nctxt 0\n");
	pbuf_printf(b, "btime %llu\n", (unsigned long long)(boot_realtime_ns / 1000000000ULL));
	pbuf_printf(b, "processes %d\nprocs_running 1\nprocs_blocked 0\n", nr_tasks);
	pbuf_puts(b, "softirq 0 0 0 0 0 0 0 0 0 0 0\n");
}

void procfs_format_uuid(char out[37], const uint8_t rnd[16])
{
	uint8_t u[16];
	memcpy(u, rnd, 16);
	u[6] = (uint8_t)((u[6] & 0x0f) | 0x40); /* version 4 */
	u[8] = (uint8_t)((u[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

void procfs_render_cpuinfo_fallback(struct pbuf *b, int ncpus)
{
	for (int i = 0; i < (ncpus < 1 ? 1 : ncpus); i++)
		pbuf_printf(b,
			    "processor\t: %d\nvendor_id\t: unknown\ncpu family\t: 0\nmodel\t\t: 0\n"
			    "model name\t: unknown\nphysical id\t: 0\nsiblings\t: %d\n"
			    "core id\t\t: %d\ncpu cores\t: %d\nflags\t\t: fpu\n\n",
			    i, ncpus, i, ncpus);
}

const char *procfs_release(void)
{
	return SENTRY_UNAME_RELEASE;
}

void procfs_render_version(struct pbuf *b)
{
	pbuf_printf(b, "Linux version %s (sentry@sentry) (gcc) %s\n", SENTRY_UNAME_RELEASE,
		    SENTRY_UNAME_VERSION);
}
