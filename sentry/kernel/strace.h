/*
 * --strace: one line per syscall on the log descriptor, as `strace -f` shows
 * it:
 *
 *   [pid 5] openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
 *   [pid 5] read(3, "root:x:0:0:root:/root:/bin/bash\n"..., 4096) = 1024
 *   [pid 5] openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)
 *   [pid 5] syscall_0x190(0x1, 0, 0, 0, 0, 0) = -1 ENOSYS (Function not implemented)
 *
 * Names and argument formats come from syscall-tables/x86_64.tbl. Input
 * arguments (strings, input buffers) are read from the application at entry,
 * because the syscall may overwrite them, and kept in the task's
 * strace_state; output buffers are read at exit; the line is written at exit
 * with one log_write() so lines of different tasks do not interleave.
 * exit/exit_group are written at entry ("= ?"); execve is written at entry as
 * "<unfinished ...>" and completed at exit as "<... execve resumed>) = 0".
 *
 * The dispatcher calls strace_syscall_enter() before the handler and
 * strace_syscall_exit() after it, both on the task's own sentry thread, only
 * when --strace is on (t->strace). No locks: all state is the task's own.
 */
#ifndef SENTRY_KERNEL_STRACE_H
#define SENTRY_KERNEL_STRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct task;
struct sysargs;

#define STRACE_STRLEN 32     /* bytes of a string or buffer shown, like strace -s 32 */
#define STRACE_ARGS 6	     /* == SYSCALL_MAX_ARGS */
#define STRACE_BUF_SIZE 1536 /* argument text kept from entry to exit */

/* Per-task state between entry and exit: struct task's strace_st (own). */
struct strace_state {
	long nr;		   /* the syscall whose entry was captured */
	bool active;		   /* entered and not yet exited */
	uint8_t deferred;	   /* bit i: argument i is rendered at exit */
	uint16_t off[STRACE_ARGS]; /* argument i's text: buf[off[i]..off[i]+len[i]) */
	uint16_t len[STRACE_ARGS];
	char buf[STRACE_BUF_SIZE];
};

void strace_syscall_enter(struct task *t, long nr, const struct sysargs *a);
void strace_syscall_exit(struct task *t, long nr, const struct sysargs *a, long ret);

/* How strace reads application memory; the defaults are copy_from_user and
 * strncpy_from_user (mm/mm.h). Unit tests substitute a fake address space.
 * Pass NULL to restore the defaults. Not thread-safe: set before tracing. */
struct strace_user_access {
	int (*copy)(struct task *t, void *dst, uint64_t src, size_t n);
	long (*strncpy)(struct task *t, char *dst, uint64_t src, size_t size);
};
void strace_set_user_access(const struct strace_user_access *ops);

#endif
