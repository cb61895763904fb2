/*
 * Credentials inside the sandbox: set*id, groups and capabilities, with
 * Linux's permission rules (commoncap's uid-change effects included). They
 * never reach the host.
 */
#include <errno.h>
#include <string.h>

#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

#define NO_ID ((uint32_t)-1)
#define CAP_SETPCAP 8
#define CAP_LAST_CAP 40

/* Linux's cap_emulate_setxuid: leaving uid 0 drops capabilities. */
static void fix_caps_after_uid_change(struct creds *c, uint32_t old_ruid, uint32_t old_euid,
				      uint32_t old_suid)
{
	if ((old_ruid == 0 || old_euid == 0 || old_suid == 0) &&
	    (c->uid != 0 && c->euid != 0 && c->suid != 0)) {
		c->cap_permitted = 0;
		c->cap_effective = 0;
		c->cap_ambient = 0;
	}
	if (old_euid == 0 && c->euid != 0)
		c->cap_effective = 0;
	if (old_euid != 0 && c->euid == 0)
		c->cap_effective = c->cap_permitted;
}

/* The user or the group ids of a creds, so one code path serves both. */
struct idset {
	uint32_t *real, *eff, *saved, *fs;
	int cap; /* CAP_SETUID or CAP_SETGID */
};

static struct idset uids(struct creds *c)
{
	return (struct idset){&c->uid, &c->euid, &c->suid, &c->fsuid, CAP_SETUID};
}

static struct idset gids(struct creds *c)
{
	return (struct idset){&c->gid, &c->egid, &c->sgid, &c->fsgid, CAP_SETGID};
}

static bool id_allowed(struct idset ids, uint32_t id)
{
	return id == *ids.real || id == *ids.eff || id == *ids.saved;
}

static void apply_res(struct idset ids, uint32_t r, uint32_t e, uint32_t s)
{
	if (r != NO_ID)
		*ids.real = r;
	if (e != NO_ID)
		*ids.eff = e;
	if (s != NO_ID)
		*ids.saved = s;
	*ids.fs = *ids.eff;
}

static long set_res(struct creds *c, struct idset ids, uint32_t r, uint32_t e, uint32_t s)
{
	if (!creds_capable(c, ids.cap) && ((r != NO_ID && !id_allowed(ids, r)) ||
					   (e != NO_ID && !id_allowed(ids, e)) ||
					   (s != NO_ID && !id_allowed(ids, s))))
		return -EPERM;
	apply_res(ids, r, e, s);
	return 0;
}

/* setreuid/setregid: the saved id follows the new effective one when the
 * real id is set or the effective one differs from the old real id. */
static long set_re(struct creds *c, struct idset ids, uint32_t r, uint32_t e)
{
	if (!creds_capable(c, ids.cap)) {
		if (r != NO_ID && r != *ids.real && r != *ids.eff)
			return -EPERM;
		if (e != NO_ID && !id_allowed(ids, e))
			return -EPERM;
	}
	uint32_t s = NO_ID;
	if (r != NO_ID || (e != NO_ID && e != *ids.real))
		s = e != NO_ID ? e : *ids.eff;
	apply_res(ids, r, e, s);
	return 0;
}

/* setuid/setgid: all three ids with the capability, else the effective one. */
static long set_one(struct creds *c, struct idset ids, uint32_t id)
{
	if (id == NO_ID)
		return -EINVAL;
	if (creds_capable(c, ids.cap))
		return set_res(c, ids, id, id, id);
	if (id != *ids.real && id != *ids.saved)
		return -EPERM;
	return set_res(c, ids, NO_ID, id, NO_ID);
}

static uint32_t set_fs(struct creds *c, struct idset ids, uint32_t id)
{
	uint32_t old = *ids.fs;

	if (id != NO_ID && (creds_capable(c, ids.cap) || id_allowed(ids, id) || id == *ids.fs))
		*ids.fs = id;
	return old;
}

/* A uid change, then Linux's capability effects of it. */
static long uid_change(struct creds *c, long r, uint32_t or, uint32_t oe, uint32_t os)
{
	if (r == 0)
		fix_caps_after_uid_change(c, or, oe, os);
	return r;
}

SYSCALL_DEFINE(setresuid)
{
	struct creds *c = &t->creds;
	uint32_t or = c->uid, oe = c->euid, os = c->suid;
	return uid_change(c, set_res(c, uids(c), (uint32_t)args->a[0], (uint32_t)args->a[1],
				     (uint32_t)args->a[2]),
			  or, oe, os);
}

SYSCALL_DEFINE(setresgid)
{
	return set_res(&t->creds, gids(&t->creds), (uint32_t)args->a[0], (uint32_t)args->a[1],
		       (uint32_t)args->a[2]);
}

SYSCALL_DEFINE(setuid)
{
	struct creds *c = &t->creds;
	uint32_t or = c->uid, oe = c->euid, os = c->suid;
	return uid_change(c, set_one(c, uids(c), (uint32_t)args->a[0]), or, oe, os);
}

SYSCALL_DEFINE(setgid)
{
	return set_one(&t->creds, gids(&t->creds), (uint32_t)args->a[0]);
}

SYSCALL_DEFINE(setreuid)
{
	struct creds *c = &t->creds;
	uint32_t or = c->uid, oe = c->euid, os = c->suid;
	return uid_change(c, set_re(c, uids(c), (uint32_t)args->a[0], (uint32_t)args->a[1]), or,
			  oe, os);
}

SYSCALL_DEFINE(setregid)
{
	return set_re(&t->creds, gids(&t->creds), (uint32_t)args->a[0], (uint32_t)args->a[1]);
}

SYSCALL_DEFINE(setfsuid)
{
	return set_fs(&t->creds, uids(&t->creds), (uint32_t)args->a[0]);
}

SYSCALL_DEFINE(setfsgid)
{
	return set_fs(&t->creds, gids(&t->creds), (uint32_t)args->a[0]);
}

SYSCALL_DEFINE(setgroups)
{
	int n = (int)args->a[0];
	uint32_t groups[CREDS_NGROUPS_MAX];

	if (!creds_capable(&t->creds, CAP_SETGID))
		return -EPERM;
	if (n < 0 || n > 65536)
		return -EINVAL;
	if (n > CREDS_NGROUPS_MAX)
		return -EINVAL; /* the sandbox keeps at most 64 supplementary groups */
	if (n && copy_from_user(t, groups, args->a[1], (size_t)n * 4))
		return -EFAULT;
	memcpy(t->creds.groups, groups, (size_t)n * 4);
	t->creds.ngroups = n;
	return 0;
}

/* Capabilities (struct __user_cap_header_struct / _data_struct). */
#define LINUX_CAPABILITY_VERSION_1 0x19980330
#define LINUX_CAPABILITY_VERSION_2 0x20071026
#define LINUX_CAPABILITY_VERSION_3 0x20080522

struct cap_header {
	uint32_t version;
	int32_t pid;
};

struct cap_data {
	uint32_t effective, permitted, inheritable;
};

static int cap_words(struct task *t, uint64_t uhdr, struct cap_header *h)
{
	if (copy_from_user(t, h, uhdr, sizeof(*h)))
		return -EFAULT;
	switch (h->version) {
	case LINUX_CAPABILITY_VERSION_1:
		return 1;
	case LINUX_CAPABILITY_VERSION_2:
	case LINUX_CAPABILITY_VERSION_3:
		return 2;
	default:
		h->version = LINUX_CAPABILITY_VERSION_3;
		if (copy_to_user(t, uhdr, h, sizeof(*h)))
			return -EFAULT;
		return -EINVAL;
	}
}

SYSCALL_DEFINE(capget)
{
	struct cap_header h;
	struct cap_data d[2];
	struct creds c;
	int n = cap_words(t, args->a[0], &h);

	if (n < 0)
		return args->a[1] || n != -EINVAL ? n : 0;
	if (h.pid < 0)
		return -EINVAL;
	if (h.pid && h.pid != t->tid) {
		pthread_mutex_lock(&kernel.lock);
		struct task *x = task_lookup(h.pid);
		if (x)
			c = x->creds;
		pthread_mutex_unlock(&kernel.lock);
		if (!x)
			return -ESRCH;
	} else {
		c = t->creds;
	}
	if (!args->a[1])
		return 0;
	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(c.cap_effective >> (32 * i));
		d[i].permitted = (uint32_t)(c.cap_permitted >> (32 * i));
		d[i].inheritable = (uint32_t)(c.cap_inheritable >> (32 * i));
	}
	return copy_to_user(t, args->a[1], d, (size_t)n * sizeof(d[0]));
}

SYSCALL_DEFINE(capset)
{
	struct cap_header h;
	struct cap_data d[2] = {0};
	struct creds *c = &t->creds;
	int n = cap_words(t, args->a[0], &h);
	uint64_t eff = 0, prm = 0, inh = 0;

	if (n < 0)
		return n;
	if (h.pid != 0 && h.pid != t->tid)
		return -EPERM;
	if (copy_from_user(t, d, args->a[1], (size_t)n * sizeof(d[0])))
		return -EFAULT;
	for (int i = 0; i < n; i++) {
		eff |= (uint64_t)d[i].effective << (32 * i);
		prm |= (uint64_t)d[i].permitted << (32 * i);
		inh |= (uint64_t)d[i].inheritable << (32 * i);
	}
	uint64_t valid = (1ULL << (CAP_LAST_CAP + 1)) - 1;
	eff &= valid, prm &= valid, inh &= valid;
	/* Linux's cap_capset rules. */
	if (prm & ~c->cap_permitted)
		return -EPERM;
	if (eff & ~prm)
		return -EPERM;
	if (!creds_capable(c, CAP_SETPCAP) &&
	    (inh & ~(c->cap_inheritable | c->cap_permitted)))
		return -EPERM;
	if (inh & ~(c->cap_inheritable | c->cap_bounding))
		return -EPERM;
	c->cap_effective = eff;
	c->cap_permitted = prm;
	c->cap_inheritable = inh;
	c->cap_ambient &= prm & inh;
	return 0;
}
