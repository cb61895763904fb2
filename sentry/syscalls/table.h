/*
 * The shape of the generated syscall table.
 *
 * syscall-tables/x86_64.tbl is the single source; syscall-tables/gen.py turns
 * it into ${build}/generated/syscall_table.{h,c} (one struct syscall_entry per
 * syscall number, SYSNR_<name> constants, syscall_lookup()) and
 * strace_tables.c (flag names for --strace, errno names). Include the
 * generated "syscall_table.h", which includes this file.
 *
 * Handlers are referenced weakly: a row whose sys_<name> is not linked in has
 * handler == NULL and the dispatcher must return -ENOSYS. The table is
 * read-only after start-up and needs no lock.
 */
#ifndef SENTRY_SYSCALLS_TABLE_H
#define SENTRY_SYSCALLS_TABLE_H

#include <stdint.h>

#include "syscalls/syscalls.h"

#define SYSCALL_MAX_ARGS 6

enum syscall_status {
	SYSCALL_NONE,	     /* no handler: ENOSYS */
	SYSCALL_PARTIAL,     /* handler covers the common uses (see the note) */
	SYSCALL_IMPLEMENTED, /* handler behaves as Linux does */
};

/* How --strace shows one argument. The order matches BUILTIN_FMTS in gen.py.
 * Values from ARGFMT_SET_BASE on name a set of syscall-tables/flags.tbl
 * (ARGFMT_SET_<name> in the generated header). */
enum sysarg_fmt {
	ARGFMT_INT,	/* signed 32-bit decimal */
	ARGFMT_UINT,	/* unsigned 32-bit decimal */
	ARGFMT_HEX,	/* 0x... */
	ARGFMT_PTR,	/* NULL or 0x... */
	ARGFMT_FD,	/* decimal; AT_FDCWD */
	ARGFMT_SIZE,	/* unsigned 64-bit decimal */
	ARGFMT_SSIZE,	/* signed 64-bit decimal */
	ARGFMT_OFF,	/* signed 64-bit decimal */
	ARGFMT_PATH,	/* NUL-terminated string, read at entry */
	ARGFMT_STR_IN,	/* NUL-terminated string, read at entry */
	ARGFMT_BUF_IN,	/* buffer of length args[len_arg], read at entry */
	ARGFMT_BUF_OUT, /* buffer of length = return value, read at exit */
	ARGFMT_MODE,	/* octal */
	ARGFMT_ARGV,	/* ["a", "b"] */
	ARGFMT_ENVP,	/* 0x... / * N vars * / */
	ARGFMT_SET_BASE = 32,
};

/* How --strace shows the return value (errors are always -1 ENAME (msg)). */
enum sysret_fmt {
	RETFMT_INT,
	RETFMT_UINT,
	RETFMT_FD,
	RETFMT_SSIZE,
	RETFMT_OFF,
	RETFMT_HEX,
	RETFMT_MODE,
	RETFMT_NORETURN, /* exit, exit_group: traced at entry as "= ?" */
};

struct sysarg_desc {
	uint8_t fmt;	 /* enum sysarg_fmt or ARGFMT_SET_<name> */
	uint8_t len_arg; /* ARGFMT_BUF_IN/OUT: index of the length argument */
};

struct syscall_entry {
	const char *name;	 /* NULL: no syscall has this number */
	syscall_handler handler; /* NULL: not linked in (ENOSYS) */
	uint8_t nargs;
	uint8_t status; /* enum syscall_status */
	uint8_t retfmt; /* enum sysret_fmt */
	struct sysarg_desc args[SYSCALL_MAX_ARGS];
};

/* One name of a flags.tbl set. In a flags set an entry matches a value v when
 * (v & mask) == value and no earlier match claimed any bit of mask; an entry
 * with value 0 and mask 0 names v == 0. In an enum set, v == value. */
struct strace_flag {
	const char *name;
	uint64_t value, mask;
};

struct strace_flagset {
	const char *name;
	const struct strace_flag *v;
	uint16_t n;
	uint8_t is_flags;    /* flags (A|B) rather than an enumeration */
	uint8_t unknown_hex; /* show unnamed values in hex rather than decimal */
};

struct errno_name {
	const char *name; /* "ENOENT" */
	const char *msg;  /* "No such file or directory" */
};

#endif
