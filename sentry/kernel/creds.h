#ifndef SENTRY_KERNEL_CREDS_H
#define SENTRY_KERNEL_CREDS_H

#include <stdbool.h>
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
	uint32_t securebits;          /* SECBIT_* (prctl PR_SET_SECUREBITS); 0 as Linux */
	/* PR_SET_NO_NEW_PRIVS. A task attribute in Linux, kept here because it
	 * follows the same rules: per thread, inherited by clone and fork. */
	bool no_new_privs;
};

#define CREDS_SECBIT_NOROOT 0x1
#define CREDS_SECBIT_KEEP_CAPS 0x10

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

/* What exec needs of the executable (the ELF finally loaded, after #!). */
struct creds_exec_file {
	uint32_t mode, uid, gid; /* the inode's */
	bool nosuid;             /* its mount (or superblock) is nosuid */
};

/*
 * The credentials after exec of file, as Linux's prepare_exec_creds,
 * bprm_fill_uid and cap_bprm_creds_from_file for a binary without file
 * capabilities: set-user-ID / set-group-ID bits (unless nosuid or
 * no_new_privs), root's full permitted/effective sets, a non-root caller's
 * cleared ones (but for ambient capabilities). Returns 1 when the exec is
 * "secure" (AT_SECURE: set-ID or capabilities gained), else 0.
 */
int creds_exec(const struct creds *old, const struct creds_exec_file *file, struct creds *new_creds);

/* creds_exec for an opened executable: its inode's mode and owner, its
 * mount's nosuid (the loader's loader_args.exec_creds). */
struct file;
int creds_exec_file(const struct creds *old, struct file *f, struct creds *new_creds);

#endif
