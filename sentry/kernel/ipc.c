#include "kernel/ipc.h"
#include "kernel/task.h"

bool ipc_may(struct task *t, const struct ipc_perm_k *p, int want)
{
	uint32_t bits;

	if (creds_capable(&t->creds, 15 /* CAP_IPC_OWNER */))
		return true;
	if (t->creds.euid == p->uid || t->creds.euid == p->cuid)
		bits = p->mode >> 6;
	else if (creds_in_group(&t->creds, p->gid) || creds_in_group(&t->creds, p->cgid))
		bits = p->mode >> 3;
	else
		bits = p->mode;
	return (bits & (uint32_t)want) == (uint32_t)want;
}

int ipc_flags_want(int flags)
{
	return (flags & 0400 ? 4 : 0) | (flags & 0200 ? 2 : 0);
}

bool ipc_may_change(struct task *t, const struct ipc_perm_k *p)
{
	return t->creds.euid == p->uid || t->creds.euid == p->cuid ||
	       creds_capable(&t->creds, 21 /* CAP_SYS_ADMIN */);
}

void ipc_perm_init(struct ipc_perm_k *p, struct task *t, int32_t key, int flags)
{
	p->key = key;
	p->mode = (uint32_t)flags & 0777;
	p->uid = p->cuid = t->creds.euid;
	p->gid = p->cgid = t->creds.egid;
}
