/*
 * Gofer confinement, in this order (docs/security.md explains each step):
 *
 *   1. die with the sentry (PR_SET_PDEATHSIG), close every descriptor but the
 *      socket and stderr;
 *   2. if not root, a user namespace (so the next steps can work unprivileged);
 *   3. own mount namespace, / made private recursively, the root bind-mounted
 *      onto itself (read-only unless --rw), pivot_root into it and the old
 *      root detached, so nothing outside the root is reachable; chroot if
 *      pivot_root is refused;
 *   4. own network, IPC and UTS namespaces (no network at all);
 *   5. not dumpable, no_new_privs, capabilities reduced to the file-serving
 *      ones (bounding set, permitted, effective; ambient cleared).
 *
 * Each step that the host refuses is logged and skipped: the gofer still
 * serves (its walk discipline alone keeps it beneath the root), but the
 * seccomp filter that follows (filter.c) is never optional.
 */
#include "gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

static void close_fds(unsigned int lo, unsigned int hi)
{
	unsigned int fd;

	if (lo > hi)
		return;
	if (syscall(SYS_close_range, lo, hi, 0) == 0)
		return;
	for (fd = lo; fd <= hi && fd < 65536; fd++)
		close((int)fd);
}

/* Keep stderr (2) for the log and the socket; close 0, 1 and all else. */
static void close_other_fds(int sock)
{
	unsigned int s = (unsigned int)sock;

	if (sock != 0)
		close(0);
	if (sock != 1)
		close(1);
	if (s > 3)
		close_fds(3, s - 1);
	close_fds(s >= 3 ? s + 1 : 3, ~0u);
}

/* One fid holds up to two descriptors; allow as many as the hard limit. */
static void raise_nofile(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = -EIO;
	close(fd);
	return err;
}

/* Unprivileged: a user namespace mapping only our own ids, in which the
 * mount-namespace steps are allowed. */
static bool enter_userns(void)
{
	char map[64];
	uid_t uid = geteuid();
	gid_t gid = getegid();

	if (unshare(CLONE_NEWUSER) < 0) {
		glog("no user namespace (%s)", strerror(errno));
		return false;
	}
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)uid, (unsigned)uid);
	if (write_file("/proc/self/setgroups", "deny") || write_file("/proc/self/uid_map", map))
		glog("user namespace: cannot map uid %u", (unsigned)uid);
	snprintf(map, sizeof(map), "%u %u 1", (unsigned)gid, (unsigned)gid);
	if (write_file("/proc/self/gid_map", map))
		glog("user namespace: cannot map gid %u", (unsigned)gid);
	return true;
}

/* Keep the mount's locked flags when remounting read-only. */
static unsigned long mount_keep_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;

	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* Steps 3: returns true when the process root is now the served root. */
static bool isolate_root(const struct gofer_config *cfg, const char *root, uint32_t *flags)
{
	if (unshare(CLONE_NEWNS) < 0) {
		glog("no mount namespace (%s); serving without pivot_root", strerror(errno));
		if (chdir(root) == 0 && chroot(".") == 0) {
			*flags |= GOFER_VF_CHROOT;
			return true;
		}
		glog("chroot %s: %s", root, strerror(errno));
		return false;
	}
	*flags |= GOFER_VF_MNTNS;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		glog("make / private: %s", strerror(errno));
		return false;
	}
	if (!strcmp(root, "/")) {
		/* Serving the host root: it already is our root, and a bind of
		 * "/" onto itself could not be entered (a lookup of "/" does not
		 * cross mounts stacked on it). Our copy of the root mount gets
		 * the read-only flag; nothing else to hide. */
		if (!cfg->rw &&
		    mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | mount_keep_flags("/"),
			  NULL) < 0)
			glog("read-only remount of /: %s (the gofer still refuses writes)",
			     strerror(errno));
		*flags |= GOFER_VF_PIVOT;
		return true;
	}
	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0) {
		glog("bind %s: %s", root, strerror(errno));
		return false;
	}
	if (!cfg->rw && mount(NULL, root, NULL,
			      MS_BIND | MS_REMOUNT | MS_RDONLY | mount_keep_flags(root), NULL) < 0)
		glog("read-only remount of %s: %s (the gofer still refuses writes)", root,
		     strerror(errno));
	if (chdir(root) < 0) {
		glog("chdir %s: %s", root, strerror(errno));
		return false;
	}
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		/* The old root is now stacked on "."; detach it. */
		if (umount2(".", MNT_DETACH) < 0) {
			/* The host root stays stacked on ours: give up rather
			 * than serve it. */
			glog("detach old root: %s", strerror(errno));
			exit(1);
		}
		*flags |= GOFER_VF_PIVOT;
		return true;
	}
	glog("pivot_root: %s; using chroot", strerror(errno));
	if (chroot(".") == 0) {
		*flags |= GOFER_VF_CHROOT;
		return true;
	}
	glog("chroot: %s", strerror(errno));
	return false;
}

static void other_namespaces(uint32_t *flags)
{
	if (unshare(CLONE_NEWNET) == 0)
		*flags |= GOFER_VF_NETNS;
	else
		glog("no network namespace: %s", strerror(errno));
	if (unshare(CLONE_NEWIPC) < 0)
		glog("no IPC namespace: %s", strerror(errno));
	if (unshare(CLONE_NEWUTS) < 0)
		glog("no UTS namespace: %s", strerror(errno));
}

/* Capabilities the gofer keeps: enough to serve files of any owner. */
static uint64_t kept_caps(const struct gofer_config *cfg)
{
	uint64_t k =
	    (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_DAC_READ_SEARCH) | (1ull << CAP_FOWNER);

	if (cfg->rw)
		k |= (1ull << CAP_CHOWN) | (1ull << CAP_FSETID);
	return k;
}

static bool drop_caps(const struct gofer_config *cfg)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct d[2];
	uint64_t keep = kept_caps(cfg), perm;
	bool ok = true;
	int cap;

	for (cap = 0; cap < 64; cap++) {
		int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (r < 0)
			break; /* past the last capability */
		if (r == 1 && !(keep & (1ull << cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			ok = false;
	}
	if (!ok)
		glog("cannot shrink the capability bounding set: %s", strerror(errno));
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capget, &h, d) < 0) {
		glog("capget: %s", strerror(errno));
		return false;
	}
	perm = ((uint64_t)d[1].permitted << 32 | d[0].permitted) & keep;
	d[0].effective = d[0].permitted = (uint32_t)perm;
	d[1].effective = d[1].permitted = (uint32_t)(perm >> 32);
	d[0].inheritable = d[1].inheritable = 0;
	if (syscall(SYS_capset, &h, d) < 0) {
		glog("capset: %s", strerror(errno));
		return false;
	}
	return ok;
}

int gofer_confine(const struct gofer_config *cfg, uint32_t *flags)
{
	char root[PATH_MAX];
	bool isolated;
	int fd;

	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	close_other_fds(cfg->sock);
	raise_nofile();
	if (!realpath(cfg->root, root))
		return -errno;

	if (geteuid() != 0 && enter_userns())
		*flags |= GOFER_VF_USERNS;
	isolated = isolate_root(cfg, root, flags);
	if (isolated && chdir("/") < 0)
		return -errno;
	fd = open(isolated ? "/" : root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (!isolated)
		glog("WARNING: host outside %s is reachable by this gofer", root);

	other_namespaces(flags);
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		glog("PR_SET_DUMPABLE: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		glog("PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
	if (drop_caps(cfg))
		*flags |= GOFER_VF_CAPS;
	return fd;
}
