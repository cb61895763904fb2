/* What System V IPC objects (shm, sem, msg) share: their permissions. */
#ifndef SENTRY_KERNEL_IPC_H
#define SENTRY_KERNEL_IPC_H

#include <stdbool.h>
#include <stdint.h>

struct task;

struct ipc_perm_k {
	int32_t key;
	uint32_t uid, gid, cuid, cgid, mode;
};

/* Linux's ipcperms: owner, group or other bits (want: 4 read, 2 write), or
 * CAP_IPC_OWNER. */
bool ipc_may(struct task *t, const struct ipc_perm_k *p, int want);
/* The rights open-style flags (0400, 0200) ask for, as a want. */
int ipc_flags_want(int flags);
/* IPC_SET and IPC_RMID need the owner, the creator or CAP_SYS_ADMIN. */
bool ipc_may_change(struct task *t, const struct ipc_perm_k *p);
/* A new object's permissions for the creating task. */
void ipc_perm_init(struct ipc_perm_k *p, struct task *t, int32_t key, int flags);

#endif
