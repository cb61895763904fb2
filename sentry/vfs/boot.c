/* vfs_boot: mount the sandbox's filesystems in a fixed, visible order. */
#include <errno.h>
#include <string.h>

#include "fs/fs.h"
#include "util/log.h"
#include "vfs/vfs_internal.h"

/* Weak so the sentry links before devfs/procfs/sysfs exist. */
int devfs_mount(void);
int procfs_mount(void);
int sysfs_mount(void);

struct path vfs_boot_cwd;

static int mount_tmpfs(const char *path, const char *source)
{
	struct superblock *sb = tmpfs_new(0);
	if (!sb)
		return -ENOMEM;
	int err = vfs_mount_at(path, sb, source, MNT_NOSUID | MNT_NODEV);
	sb_put(sb);
	return err;
}

int vfs_boot(const struct vfs_boot_config *cfg)
{
	int err = 0;
	struct superblock *lower = goferfs_new(cfg->gofer, cfg->rw && !cfg->overlay, &err);
	if (!lower) {
		log_err("vfs: gofer root: %s", strerror(-err));
		return err;
	}
	struct superblock *root = lower;
	struct superblock *upper = NULL;
	if (cfg->overlay) {
		upper = tmpfs_new(0);
		root = upper ? overlay_new(lower->root, upper->root) : NULL;
		if (!root) {
			if (upper)
				sb_put(upper);
			sb_put(lower);
			return -ENOMEM;
		}
	}
	err = vfs_set_root(root, cfg->overlay ? "overlay" : "gofer");
	if (cfg->overlay) {
		sb_put(upper);
		sb_put(lower);
	}
	sb_put(root);
	if (err)
		return err;

	static const struct {
		const char *name;
		int (*fn)(void);
	} mounts[] = {
		{"devfs", devfs_mount},
		{"procfs", procfs_mount},
		{"sysfs", sysfs_mount},
	};
	/*
	 * Under the default overlay, /tmp is the overlay's: the host's files
	 * show through read-only and writes stay in the sentry's memory (a
	 * program built under the host's /tmp still runs). A writable root gets
	 * a private tmpfs, as a container does.
	 */
	if (!cfg->overlay && (err = mount_tmpfs("/tmp", "tmpfs")) < 0) {
		log_err("vfs: mount /tmp: %s", strerror(-err));
		return err;
	}
	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		if ((err = mounts[i].fn()) < 0) {
			log_err("vfs: %s: %s", mounts[i].name, strerror(-err));
			return err;
		}
	}
	if (cfg->cwd && cfg->cwd[0]) {
		struct path p;
		err = vfs_path_lookup(NULL, -100, cfg->cwd, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
		if (err == 0)
			vfs_boot_cwd = p;
		else
			log_warn("vfs: cwd %s: %s; using /", cfg->cwd, strerror(-err));
	}
	return 0;
}
