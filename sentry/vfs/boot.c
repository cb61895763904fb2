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

/* A volume: a goferfs (read-only unless rw) at its sandbox path. The mount
 * point is created when missing: in the overlay's memory under the default
 * root, on the host under a --rw root. */
static int mount_volume(const struct vfs_volume *v)
{
	int err = 0;
	struct superblock *sb = goferfs_new(v->gofer, v->rw, &err);
	if (!sb)
		return err ? err : -ENOMEM;
	goferfs_set_shared(sb, true, v->cache_ms); /* the host changes it too */
	err = vfs_mount_at(v->path, sb, v->source, MNT_NODEV | (v->rw ? 0 : MNT_RDONLY));
	sb_put(sb);
	return err;
}

/* Number of components in an absolute path ("/a//b/" is 2). */
static int path_depth(const char *p)
{
	int n = 0;
	for (; *p; p++)
		if (*p != '/' && (p[1] == '/' || p[1] == '\0'))
			n++;
	return n;
}

int vfs_boot(const struct vfs_boot_config *cfg)
{
	int err = 0;
	struct superblock *lower = goferfs_new(cfg->gofer, cfg->rw && !cfg->overlay, &err);
	if (!lower) {
		log_err("vfs: gofer root: %s", strerror(-err));
		return err;
	}
	/* The root's files are not expected to change behind the sandbox's
	 * back: cache them (volumes stay shared; docs/vfs.md). */
	goferfs_set_shared(lower, false, 0);
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
	/* Volumes by depth of their mount point (stable: same depth in the order
	 * given), so /a is mounted before /a/b, which then lands inside it. */
	for (int depth = 0; depth <= VFS_PATH_MAX / 2; depth++) {
		bool deeper = false;
		for (int i = 0; i < cfg->nvolumes; i++) {
			const struct vfs_volume *v = &cfg->volumes[i];
			int d = path_depth(v->path);
			deeper |= d > depth;
			if (d != depth)
				continue;
			if ((err = mount_volume(v)) < 0) {
				log_err("vfs: volume %s at %s: %s", v->source, v->path,
					strerror(-err));
				return err;
			}
		}
		if (!deeper)
			break;
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
