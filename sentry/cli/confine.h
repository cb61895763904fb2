/*
 * The sentry's self-confinement (docs/security.md), applied once at boot after
 * the gofer is spawned, the stub image is prepared and the VFS is mounted,
 * and before the first application thread starts:
 *
 *   new mount/IPC/UTS namespaces (and network, if networking is none) where
 *   the host allows them; the root becomes an empty read-only tmpfs
 *   (pivot_root; or chroot into a deleted directory when there is no mount
 *   namespace); capabilities reduced to those the ptrace platform needs;
 *   not dumpable; no_new_privs; a seccomp allow-list of host syscalls.
 *
 * It must be called while the sentry is single-threaded: namespaces, root,
 * capabilities and no_new_privs are per-thread in Linux, so a thread created
 * earlier would stay unconfined. sentry_confine() refuses (-EBUSY) otherwise.
 */
#ifndef SENTRY_CLI_CONFINE_H
#define SENTRY_CLI_CONFINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct confine_config {
	/* --network=none: also a new, empty network namespace. */
	bool network_none;
	/* Debugging only: no seccomp filter (also SENTRY_NO_SECCOMP=1 in the
	 * environment). Logged loudly. */
	bool no_seccomp;
	/* Fail (instead of logging and continuing) when a namespace or the
	 * empty root cannot be set up. */
	bool strict;
	/* Existing directory to mount the empty root on, inside the new mount
	 * namespace (the host does not see it); NULL means "/tmp". */
	const char *scratch_dir;
	/* Extra syscall names to allow with any arguments (NULL-terminated),
	 * e.g. for --network=host. */
	const char *const *extra_syscalls;
};

/* What sentry_confine() achieved (CONFINE_* bits), for logs and tests. */
#define CONFINE_MNTNS (1u << 0)
#define CONFINE_PIVOT (1u << 1)	 /* root is an empty tmpfs, host mounts detached */
#define CONFINE_CHROOT (1u << 2) /* root is a deleted empty directory */
#define CONFINE_NETNS (1u << 3)
#define CONFINE_CAPS (1u << 4)
#define CONFINE_SECCOMP (1u << 5)
#define CONFINE_IPCNS (1u << 6)
#define CONFINE_UTSNS (1u << 7)

/* Returns a CONFINE_* mask (>= 0) or -errno with a message in err. */
int sentry_confine(const struct confine_config *cfg, char *err, size_t errlen);

/* The capabilities the sentry keeps (CAP_SYS_PTRACE, CAP_KILL) as a mask. */
uint64_t confine_kept_caps(void);

#endif
