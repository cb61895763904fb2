/*
 * Syscall handlers. Each handler decodes its arguments, copies memory in and
 * out, and calls into the subsystems. It returns a value or -errno.
 *
 * The dispatch table, --strace names/argument formats and docs/compatibility.md
 * are generated from syscall-tables/x86_64.tbl.
 */
#ifndef SENTRY_SYSCALLS_SYSCALLS_H
#define SENTRY_SYSCALLS_SYSCALLS_H

#include <errno.h>
#include <stdint.h>

#include "kernel/task.h"

struct sysargs {
	uint64_t a[6];
};

typedef long (*syscall_handler)(struct task *t, const struct sysargs *args);

#define SYSCALL_DEFINE(name) long sys_##name(struct task *t, const struct sysargs *args)

/* Kernel-internal restart codes: never seen by the application. */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516
/* The handler has set t->regs itself (execve, rt_sigreturn): leave rax alone. */
#define EJUSTRETURN 1000

#endif
