/*
 * --strace output. See kernel/strace.h for the line format and when the
 * dispatcher calls in. Everything read from the application is hostile: reads
 * are bounded, a fault shows the address instead, and every string goes
 * through a bounded builder that truncates rather than overflows.
 */
#include "kernel/strace.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kernel/task.h"
#include "mm/mm.h"
#include "syscall_table.h"
#include "util/log.h"

_Static_assert(STRACE_ARGS == SYSCALL_MAX_ARGS, "strace_state holds one slot per argument");
_Static_assert(STRACE_BUF_SIZE < 65536, "offsets are uint16_t");

#define STRACE_LINE_MAX 4096
#define STRACE_ARGV_MAX 32   /* elements of argv shown before "..." */
#define STRACE_ENVP_MAX 4096 /* envp entries counted */
#define STRACE_AT_FDCWD (-100)

static const struct strace_user_access default_access = {
    .copy = copy_from_user,
    .strncpy = strncpy_from_user,
};
static const struct strace_user_access *uaccess = &default_access;

void strace_set_user_access(const struct strace_user_access *ops)
{
	uaccess = ops ? ops : &default_access;
}

/* A bounded string builder: len never exceeds cap - 1; a text that does not
 * fit is cut and `full` is set. */
struct sb {
	char *p;
	size_t cap, len;
	bool full;
};

static void sb_init(struct sb *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->len = 0;
	b->full = false;
	p[0] = '\0';
}

static size_t sb_room(const struct sb *b)
{
	return b->cap - 1 - b->len;
}

static void sb_putn(struct sb *b, const char *s, size_t n)
{
	if (n > sb_room(b)) {
		n = sb_room(b);
		b->full = true;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void sb_puts(struct sb *b, const char *s)
{
	sb_putn(b, s, strlen(s));
}

static void sb_putc(struct sb *b, char c)
{
	sb_putn(b, &c, 1);
}

static void __attribute__((format(printf, 2, 3))) sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, sb_room(b) + 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sb_room(b)) {
		b->len = b->cap - 1;
		b->full = true;
	} else {
		b->len += (size_t)n;
	}
}

static void put_ptr(struct sb *b, uint64_t v)
{
	if (v)
		sb_printf(b, "%#llx", (unsigned long long)v);
	else
		sb_puts(b, "NULL");
}

static void put_hex(struct sb *b, uint64_t v)
{
	if (v)
		sb_printf(b, "%#llx", (unsigned long long)v);
	else
		sb_puts(b, "0");
}

/* Quote and escape n bytes as strace does: C escapes for the usual controls,
 * octal for other non-printables (three digits when an octal digit follows). */
static void put_quoted(struct sb *b, const unsigned char *s, size_t n)
{
	sb_putc(b, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = s[i];

		switch (c) {
		case '"':
			sb_puts(b, "\\\"");
			continue;
		case '\\':
			sb_puts(b, "\\\\");
			continue;
		case '\n':
			sb_puts(b, "\\n");
			continue;
		case '\t':
			sb_puts(b, "\\t");
			continue;
		case '\r':
			sb_puts(b, "\\r");
			continue;
		case '\v':
			sb_puts(b, "\\v");
			continue;
		case '\f':
			sb_puts(b, "\\f");
			continue;
		}
		if (c >= 0x20 && c < 0x7f)
			sb_putc(b, (char)c);
		else if (i + 1 < n && s[i + 1] >= '0' && s[i + 1] <= '7')
			sb_printf(b, "\\%03o", c);
		else
			sb_printf(b, "\\%o", c);
	}
	sb_putc(b, '"');
}

/* A NUL-terminated string at addr: "text" or "first 32 bytes"..., the address
 * if it cannot be read. */
static void put_string(struct sb *b, struct task *t, uint64_t addr)
{
	char tmp[STRACE_STRLEN + 2];
	long n;

	if (!addr) {
		sb_puts(b, "NULL");
		return;
	}
	n = uaccess->strncpy(t, tmp, addr, sizeof(tmp));
	if (n >= 0) {
		if ((size_t)n > sizeof(tmp) - 1)
			n = sizeof(tmp) - 1; /* a buggy reader must not make us overread */
		put_quoted(b, (unsigned char *)tmp,
			   (size_t)n > STRACE_STRLEN ? STRACE_STRLEN : (size_t)n);
		if (n > STRACE_STRLEN)
			sb_puts(b, "...");
		return;
	}
	/* Longer than tmp holds: its first STRACE_STRLEN bytes are readable. */
	if (n == -ENAMETOOLONG && uaccess->copy(t, tmp, addr, STRACE_STRLEN) == 0) {
		put_quoted(b, (unsigned char *)tmp, STRACE_STRLEN);
		sb_puts(b, "...");
		return;
	}
	put_ptr(b, addr);
}

/* len bytes at addr, of which the first STRACE_STRLEN are shown. */
static void put_buffer(struct sb *b, struct task *t, uint64_t addr, uint64_t len)
{
	unsigned char tmp[STRACE_STRLEN];
	size_t n = len > STRACE_STRLEN ? STRACE_STRLEN : (size_t)len;

	if (n == 0) {
		sb_puts(b, "\"\"");
		return;
	}
	if (uaccess->copy(t, tmp, addr, n) != 0) {
		put_ptr(b, addr);
		return;
	}
	put_quoted(b, tmp, n);
	if (len > STRACE_STRLEN)
		sb_puts(b, "...");
}

static const struct strace_flagset *flagset(int fmt)
{
	if (fmt < ARGFMT_SET_BASE || fmt - ARGFMT_SET_BASE >= STRACE_NFLAGSETS)
		return NULL;
	return &strace_flagsets[fmt - ARGFMT_SET_BASE];
}

static void put_enum(struct sb *b, int fmt, const struct strace_flagset *s, uint64_t v)
{
	for (unsigned i = 0; i < s->n; i++) {
		if (s->v[i].value == v) {
			sb_puts(b, s->v[i].name);
			return;
		}
	}
	if (fmt == ARGFMT_SET_signum && v >= 32 && v <= 64)
		sb_printf(b, "SIGRT_%d", (int)v - 32);
	else if (s->unknown_hex)
		put_hex(b, v);
	else
		sb_printf(b, "%d", (int)v);
}

static void put_flags(struct sb *b, const struct strace_flagset *s, uint64_t v)
{
	uint64_t claimed = 0, rest;
	bool any = false;

	if (v == 0) {
		for (unsigned i = 0; i < s->n; i++) {
			if (s->v[i].value == 0 && s->v[i].mask == 0) {
				sb_puts(b, s->v[i].name);
				return;
			}
		}
	}
	for (unsigned i = 0; i < s->n; i++) {
		const struct strace_flag *f = &s->v[i];

		if (!f->mask || (claimed & f->mask) || (v & f->mask) != f->value)
			continue;
		if (any)
			sb_putc(b, '|');
		sb_puts(b, f->name);
		claimed |= f->mask;
		any = true;
	}
	rest = v & ~claimed;
	if (rest || !any) {
		if (any)
			sb_putc(b, '|');
		put_hex(b, rest);
	}
}

static void put_set(struct sb *b, int fmt, uint64_t v)
{
	const struct strace_flagset *s = flagset(fmt);

	if (!s) {
		put_hex(b, v);
		return;
	}
	/* clone's low byte is the exit signal. */
	if (fmt == ARGFMT_SET_cloneflags && (v & 0xff)) {
		if (v & ~0xffULL) {
			put_flags(b, s, v & ~0xffULL);
			sb_putc(b, '|');
		}
		put_enum(b, ARGFMT_SET_signum, flagset(ARGFMT_SET_signum), v & 0xff);
		return;
	}
	if (s->is_flags)
		put_flags(b, s, v);
	else
		put_enum(b, fmt, s, v);
}

/* ["a", "b", ...]: the address if the array itself cannot be read. */
static void put_argv(struct sb *b, struct task *t, uint64_t addr)
{
	size_t start = b->len;

	if (!addr) {
		sb_puts(b, "NULL");
		return;
	}
	sb_putc(b, '[');
	for (unsigned i = 0;; i++) {
		uint64_t p;

		if (uaccess->copy(t, &p, addr + 8ULL * i, sizeof(p)) != 0) {
			if (i == 0) {
				b->len = start;
				b->p[start] = '\0';
				put_ptr(b, addr);
				return;
			}
			sb_puts(b, ", ...");
			break;
		}
		if (!p)
			break;
		if (i)
			sb_puts(b, ", ");
		/* Leave room for one more worst-case element and the closing bracket. */
		if (i == STRACE_ARGV_MAX || sb_room(b) < 4 * STRACE_STRLEN + 16) {
			sb_puts(b, "...");
			break;
		}
		put_string(b, t, p);
	}
	sb_putc(b, ']');
}

/* 0x7ffd... / * 23 vars * /, as strace shows the environment by default. */
static void put_envp(struct sb *b, struct task *t, uint64_t addr)
{
	unsigned n = 0;

	put_ptr(b, addr);
	if (!addr)
		return;
	for (; n < STRACE_ENVP_MAX; n++) {
		uint64_t p;

		if (uaccess->copy(t, &p, addr + 8ULL * n, sizeof(p)) != 0)
			return;
		if (!p)
			break;
	}
	sb_printf(b, " /* %u%s vars */", n, n == STRACE_ENVP_MAX ? "+" : "");
}

/* Render argument i. ret is the return value when called at exit (buf_out). */
static void put_arg(struct sb *b, struct task *t, const struct syscall_entry *e,
		    const struct sysargs *a, unsigned i, bool at_exit, long ret)
{
	uint64_t v = a->a[i];
	const struct sysarg_desc *d = &e->args[i];

	switch (d->fmt) {
	case ARGFMT_INT:
		sb_printf(b, "%d", (int)v);
		break;
	case ARGFMT_UINT:
		sb_printf(b, "%u", (unsigned)v);
		break;
	case ARGFMT_HEX:
		put_hex(b, v);
		break;
	case ARGFMT_PTR:
		put_ptr(b, v);
		break;
	case ARGFMT_FD:
		if ((int)v == STRACE_AT_FDCWD)
			sb_puts(b, "AT_FDCWD");
		else
			sb_printf(b, "%d", (int)v);
		break;
	case ARGFMT_SIZE:
		sb_printf(b, "%llu", (unsigned long long)v);
		break;
	case ARGFMT_SSIZE:
	case ARGFMT_OFF:
		sb_printf(b, "%lld", (long long)v);
		break;
	case ARGFMT_MODE:
		sb_printf(b, "0%02o", (unsigned)v);
		break;
	case ARGFMT_PATH:
	case ARGFMT_STR_IN:
		put_string(b, t, v);
		break;
	case ARGFMT_BUF_IN:
		put_buffer(b, t, v, a->a[d->len_arg % SYSCALL_MAX_ARGS]);
		break;
	case ARGFMT_BUF_OUT:
		/* Only the bytes the call produced; the address if it failed. */
		if (!at_exit || ret < 0 || !v) {
			put_ptr(b, v);
		} else {
			uint64_t cap = a->a[d->len_arg % SYSCALL_MAX_ARGS];
			put_buffer(b, t, v, (uint64_t)ret < cap ? (uint64_t)ret : cap);
		}
		break;
	case ARGFMT_ARGV:
		put_argv(b, t, v);
		break;
	case ARGFMT_ENVP:
		put_envp(b, t, v);
		break;
	default:
		put_set(b, d->fmt, v);
		break;
	}
}

static bool is_exec(long nr)
{
	return nr == SYSNR_execve || nr == SYSNR_execveat;
}

static void put_ret(struct sb *b, struct task *t, long nr, const struct syscall_entry *e, long ret)
{
	/* The handler set the registers itself: the value the application sees. */
	if (ret == -EJUSTRETURN)
		ret = is_exec(nr) ? 0 : (long)t->regs.rax;
	if (ret < 0 && ret >= -4095) {
		long err = -ret;
		const char *name = err < ERRNO_NAMES_SIZE ? errno_names[err].name : NULL;

		if (!name)
			sb_printf(b, "-1 (errno %ld)", err);
		else if (err >= ERESTARTSYS && err <= ERESTART_RESTARTBLOCK)
			sb_printf(b, "? %s (%s)", name, errno_names[err].msg);
		else
			sb_printf(b, "-1 %s (%s)", name, errno_names[err].msg);
		return;
	}
	switch (e ? e->retfmt : RETFMT_HEX) {
	case RETFMT_HEX:
		put_hex(b, (uint64_t)ret);
		break;
	case RETFMT_MODE:
		sb_printf(b, "0%02lo", (unsigned long)ret);
		break;
	case RETFMT_UINT:
		sb_printf(b, "%lu", (unsigned long)ret);
		break;
	case RETFMT_NORETURN:
		sb_putc(b, '?');
		break;
	default:
		sb_printf(b, "%ld", ret);
		break;
	}
}

/* Like strace, open and openat show the mode only when it is used. */
static unsigned shown_nargs(long nr, const struct syscall_entry *e, const struct sysargs *a)
{
	const uint64_t creat_flags = 0x40 | 0x400000; /* O_CREAT, __O_TMPFILE */

	if (nr == SYSNR_open && !(a->a[1] & creat_flags))
		return 2;
	if (nr == SYSNR_openat && !(a->a[2] & creat_flags))
		return 3;
	return e->nargs;
}

/* "name(arg, arg" for a known syscall, from the text kept at entry where
 * there is some. */
static void put_call(struct sb *b, struct task *t, long nr, const struct syscall_entry *e,
		     const struct sysargs *a, bool at_exit, long ret)
{
	const struct strace_state *st = &t->strace_st;
	bool kept = st->active && st->nr == nr;

	if (!e) {
		sb_printf(b, "syscall_%#lx(", (unsigned long)nr);
		for (unsigned i = 0; i < SYSCALL_MAX_ARGS; i++) {
			if (i)
				sb_puts(b, ", ");
			put_hex(b, a->a[i]);
		}
		return;
	}
	sb_printf(b, "%s(", e->name);
	for (unsigned i = 0; i < shown_nargs(nr, e, a) && i < SYSCALL_MAX_ARGS; i++) {
		if (i)
			sb_puts(b, ", ");
		if (kept && !(st->deferred & (1u << i)) &&
		    st->off[i] + st->len[i] <= STRACE_BUF_SIZE)
			sb_putn(b, st->buf + st->off[i], st->len[i]);
		else
			put_arg(b, t, e, a, i, at_exit, ret);
	}
}

static void emit(struct sb *b)
{
	/* A cut line still ends the line. */
	if (b->full && b->len >= 4)
		memcpy(b->p + b->len - 4, "...\n", 4);
	else
		sb_putc(b, '\n');
	log_write(b->p, b->len);
}

void strace_syscall_enter(struct task *t, long nr, const struct sysargs *a)
{
	struct strace_state *st = &t->strace_st;
	const struct syscall_entry *e = syscall_lookup(nr);
	char line[STRACE_LINE_MAX];
	struct sb b, lb;

	st->nr = nr;
	st->active = true;
	st->deferred = 0;
	memset(st->off, 0, sizeof(st->off));
	memset(st->len, 0, sizeof(st->len));
	if (!e)
		return; /* shown at exit as raw registers */

	sb_init(&b, st->buf, sizeof(st->buf));
	for (unsigned i = 0; i < e->nargs && i < SYSCALL_MAX_ARGS; i++) {
		st->off[i] = (uint16_t)b.len;
		if (e->args[i].fmt == ARGFMT_BUF_OUT) {
			st->deferred |= 1u << i;
			continue;
		}
		put_arg(&b, t, e, a, i, false, 0);
		st->len[i] = (uint16_t)(b.len - st->off[i]);
	}

	if (e->retfmt != RETFMT_NORETURN && !is_exec(nr))
		return;
	sb_init(&lb, line, sizeof(line));
	sb_printf(&lb, "[pid %d] ", t->tid);
	put_call(&lb, t, nr, e, a, false, 0);
	if (e->retfmt == RETFMT_NORETURN) {
		sb_puts(&lb, ") = ?");
		st->active = false;
	} else {
		sb_puts(&lb, " <unfinished ...>");
	}
	emit(&lb);
}

void strace_syscall_exit(struct task *t, long nr, const struct sysargs *a, long ret)
{
	struct strace_state *st = &t->strace_st;
	const struct syscall_entry *e = syscall_lookup(nr);
	bool entered = st->active && st->nr == nr;
	char line[STRACE_LINE_MAX];
	struct sb b;

	if (e && e->retfmt == RETFMT_NORETURN)
		return; /* written at entry */
	sb_init(&b, line, sizeof(line));
	sb_printf(&b, "[pid %d] ", t->tid);
	if (e && entered && is_exec(nr))
		sb_printf(&b, "<... %s resumed>", e->name);
	else
		put_call(&b, t, nr, e, a, true, ret);
	sb_puts(&b, ") = ");
	put_ret(&b, t, nr, e, ret);
	st->active = false;
	emit(&b);
}
