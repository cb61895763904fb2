/* Syscall dispatch through the table generated from syscall-tables/x86_64.tbl. */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>

#include "kernel/kernel_impl.h"
#include "kernel/strace.h"
#include "syscall_table.h"
#include "syscalls/dispatch.h"
#include "util/log.h"

/* Each unimplemented syscall is reported once (shown with --debug). */
static atomic_uchar reported[SYSCALL_TABLE_SIZE + 1];

static bool is_write_family(long nr)
{
	return nr == 1 /* write */ || nr == 18 /* pwrite64 */ || nr == 20 /* writev */ ||
	       nr == 296 /* pwritev */ || nr == 328 /* pwritev2 */;
}

long syscall_dispatch(struct task *t, long nr, const struct sysargs *a)
{
	syscall_handler h = NULL;
	long ret;

	if (nr >= 0 && nr < SYSCALL_TABLE_SIZE)
		h = syscall_table[nr].handler;
	if (t->strace)
		strace_syscall_enter(t, nr, a);
	if (h) {
		ret = h(t, a);
	} else {
		size_t slot = (nr >= 0 && nr < SYSCALL_TABLE_SIZE) ? (size_t)nr
								  : SYSCALL_TABLE_SIZE;
		if (!atomic_exchange(&reported[slot], 1)) {
			const char *name = slot < SYSCALL_TABLE_SIZE && syscall_table[slot].name
						   ? syscall_table[slot].name
						   : "?";
			log_info("unsupported syscall %ld (%s): ENOSYS", nr, name);
		}
		ret = -ENOSYS;
	}
	/* Writing to a broken pipe raises SIGPIPE, as Linux's pipe_write does. */
	if (ret == -EPIPE && is_write_family(nr)) {
		pthread_mutex_lock(&kernel.lock);
		signal_send_task(t, SIGPIPE);
		pthread_mutex_unlock(&kernel.lock);
	}
	if (t->strace)
		strace_syscall_exit(t, nr, a, ret);
	return ret;
}
