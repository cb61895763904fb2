#ifndef SENTRY_KERNEL_CREDS_H
#define SENTRY_KERNEL_CREDS_H

#include <stdint.h>
#include <sys/types.h>

#define CREDS_NGROUPS_MAX 64

/* Credentials as the sandbox sees them. They never reach the host. */
struct creds {
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	int ngroups;
	uint32_t groups[CREDS_NGROUPS_MAX];
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
};

#define CAP_CHOWN 0
#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2
#define CAP_FOWNER 3
#define CAP_FSETID 4
#define CAP_KILL 5
#define CAP_SETGID 6
#define CAP_SETUID 7
#define CAP_SYS_ADMIN 21
#define CAP_FULL_SET ((1ULL << 41) - 1)

static inline int creds_capable(const struct creds *c, int cap)
{
	return (c->cap_effective >> cap) & 1;
}

/* Is gid the caller's fsgid or one of its supplementary groups? */
int creds_in_group(const struct creds *c, uint32_t gid);

#endif
