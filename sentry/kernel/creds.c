#include "kernel/creds.h"

int creds_in_group(const struct creds *c, uint32_t gid)
{
	if (c->fsgid == gid)
		return 1;
	for (int i = 0; i < c->ngroups && i < CREDS_NGROUPS_MAX; i++)
		if (c->groups[i] == gid)
			return 1;
	return 0;
}
