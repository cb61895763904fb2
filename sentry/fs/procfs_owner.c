/*
 * Who owns /proc/PID files (Linux's task_dump_owner): the task's effective
 * uid and gid, except that a task that is not dumpable (after a set-ID exec
 * or prctl(PR_SET_DUMPABLE, 0)) or has exited (Linux: no mm) gets root:root on
 * everything but the world-readable-and-searchable directories (mode
 * dr-xr-xr-x: /proc/PID itself, task/, fdinfo/, net/), which keep the
 * effective ids so `ps` can still stat them.
 */
#include <sys/stat.h>

#include "fs/procfs.h"
#include "kernel/task.h"

void procfs_task_owner_locked(struct task *t, uint32_t mode, uint32_t *uid, uint32_t *gid)
{
	*uid = t->creds.euid;
	*gid = t->creds.egid;
	if (mode == (S_IFDIR | 0555))
		return;
	if (t->exited || (t->tg && t->tg->undumpable)) {
		*uid = 0;
		*gid = 0;
	}
}
