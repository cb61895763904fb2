#ifndef SENTRY_SYSCALLS_DISPATCH_H
#define SENTRY_SYSCALLS_DISPATCH_H

#include "syscalls/syscalls.h"

/* Serve syscall nr for t: look it up in the generated table, trace it with
 * --strace, and return the value for rax (or a restart code / -EJUSTRETURN). */
long syscall_dispatch(struct task *t, long nr, const struct sysargs *a);

#endif
