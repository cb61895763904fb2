/*
 * sysfs: the little of /sys programs look at before they start: the CPU
 * lists (glibc's get_nprocs and sysconf(_SC_NPROCESSORS_*) read them) and an
 * empty class/ directory. The CPU count is the host's, captured at boot by
 * procfs_boot_snapshot().
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/fs.h"
#include "fs/procfs.h"
#include "util/log.h"
#include "vfs/vfs_impl.h"

#define SYSFS_MAGIC 0x62656572

static int show_cpulist(struct inode *inode, struct seq_buf *s)
{
	struct pbuf b;
	pbuf_init(&b);
	procfs_render_cpulist(&b, procfs_host.ncpus);
	pbuf_puts(&b, "\n");
	return procfs_pbuf_to_seq(&b, s);
}

static const struct synth_entry empty_dir[] = {{.name = NULL}};

static const struct synth_entry cpu_entries[] = {
    {.name = "online", .mode = S_IFREG | 0444, .show = show_cpulist},
    {.name = "possible", .mode = S_IFREG | 0444, .show = show_cpulist},
    {.name = "present", .mode = S_IFREG | 0444, .show = show_cpulist},
    {.name = NULL},
};

static const struct synth_entry system_entries[] = {
    {.name = "cpu", .mode = S_IFDIR | 0755, .children = cpu_entries},
    {.name = NULL},
};

static const struct synth_entry devices_entries[] = {
    {.name = "system", .mode = S_IFDIR | 0755, .children = system_entries},
    {.name = NULL},
};

static const struct synth_entry sys_entries[] = {
    {.name = "devices", .mode = S_IFDIR | 0755, .children = devices_entries},
    {.name = "class", .mode = S_IFDIR | 0755, .children = empty_dir},
    {.name = NULL},
};

static const struct synth_entry sys_root_entry = {
    .name = "/",
    .mode = S_IFDIR | 0555,
    .children = sys_entries,
};

int sysfs_mount(void)
{
	procfs_boot_snapshot();
	struct superblock *sb = synth_sb_new("sysfs", SYSFS_MAGIC, SB_RDONLY, &sys_root_entry);
	if (!sb || IS_ERR(sb))
		return sb ? (int)PTR_ERR(sb) : -ENOMEM;
	int r = vfs_mount_at("/sys", sb, "sysfs", MNT_NOSUID | MNT_NODEV | MNT_NOEXEC);
	sb_put(sb);
	if (r < 0)
		log_err("sysfs: mount on /sys: %s", strerror(-r));
	return r;
}
