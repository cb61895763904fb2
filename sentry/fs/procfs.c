/*
 * procfs: the /proc root, its system-wide files, the boot-time snapshot of the
 * few host facts it shows (CPU count and description, memory size), and the
 * mount. Per-process directories are in procfs_pid.c, /proc/sys in
 * procfs_sys.c, mounts in procfs_mounts.c, text formats in procfs_render.c.
 *
 * Nothing of the host's processes or mounts is shown: every list comes from
 * the sandbox's own kernel and VFS tables. After boot no host path is opened.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "fs/lock.h"
#include "fs/fs.h"
#include "fs/procfs.h"
#include "kernel/kernel.h"
#include "kernel/kernel_impl.h"
#include "util/log.h"
#include "vfs/vfs_impl.h"

#define PROC_SUPER_MAGIC 0x9fa0
#define CPUINFO_MAX (1u << 20)

struct procfs_host procfs_host = {.ncpus = 1};
static atomic_bool snapshot_done;

/* --- helpers shared by procfs*.c ------------------------------------------- */

int procfs_pbuf_to_seq(struct pbuf *b, struct seq_buf *s)
{
	int err = b->err;
	if (!err && b->len)
		seq_write(s, b->data, b->len);
	pbuf_free(b);
	return err;
}

ssize_t procfs_copy_link(char *buf, size_t size, const char *target)
{
	size_t n = strlen(target);
	if (n > size)
		n = size;
	memcpy(buf, target, n);
	return (ssize_t)n;
}

/* --- boot snapshot ------------------------------------------------------------ */

/* Read a whole (small) host file: only called before confinement. */
static char *read_host_file(const char *path, size_t max, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t n = 0;

	*len = 0;
	if (fd < 0)
		return NULL;
	buf = malloc(max + 1);
	if (!buf)
		goto out;
	while (n < max) {
		ssize_t r = read(fd, buf + n, max - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	*len = n;
out:
	close(fd);
	return buf;
}

static void fill_random(void *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t r = getrandom((char *)buf + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* getrandom cannot fail after boot on a sane host; never
			 * hand out predictable ids silently */
			die("getrandom: %s", strerror(errno));
		}
		got += (size_t)r;
	}
}

/*
 * Capture the host facts procfs and sysfs show: CPU count, /proc/cpuinfo,
 * total memory, and a boot id. Must run before the sentry confines itself
 * (it opens a host path); procfs_mount() calls it if nobody did. Idempotent.
 */
void procfs_boot_snapshot(void)
{
	struct sysinfo si;
	uint8_t rnd[16];

	if (atomic_exchange(&snapshot_done, true))
		return;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	procfs_host.ncpus = n < 1 ? 1 : n > 4096 ? 4096 : (int)n;
	if (sysinfo(&si) == 0)
		procfs_host.mem_total = (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1);
	if (!procfs_host.mem_total)
		procfs_host.mem_total = 1ULL << 30;
	procfs_host.cpuinfo =
	    read_host_file("/proc/cpuinfo", CPUINFO_MAX, &procfs_host.cpuinfo_len);
	if (!procfs_host.cpuinfo || !procfs_host.cpuinfo_len) {
		struct pbuf b;
		free(procfs_host.cpuinfo);
		pbuf_init(&b);
		procfs_render_cpuinfo_fallback(&b, procfs_host.ncpus);
		procfs_host.cpuinfo = pbuf_steal(&b, &procfs_host.cpuinfo_len);
	}
	fill_random(rnd, sizeof(rnd));
	procfs_format_uuid(procfs_host.boot_id, rnd);
}

/* For /proc/sys/kernel/random/uuid: a fresh UUID per read. */
void procfs_new_uuid(char out[37])
{
	uint8_t rnd[16];
	fill_random(rnd, sizeof(rnd));
	procfs_format_uuid(out, rnd);
}

/* --- system-wide files ---------------------------------------------------------- */

static int show_cpuinfo(struct inode *inode, struct seq_buf *s)
{
	if (procfs_host.cpuinfo)
		seq_write(s, procfs_host.cpuinfo, procfs_host.cpuinfo_len);
	return 0;
}

static int show_meminfo(struct inode *inode, struct seq_buf *s)
{
	struct procfs_meminfo m = {.total = procfs_host.mem_total, .used = procfs_total_rss()};
	struct pbuf b;
	pbuf_init(&b);
	procfs_render_meminfo(&b, &m);
	return procfs_pbuf_to_seq(&b, s);
}

/* /proc/vmstat: the sandbox's page counts from the same figures as
 * meminfo; event counters the sentry does not keep (paging, swapping,
 * faults) read 0, as on a machine that has done none. */
static int show_vmstat(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	uint64_t total = procfs_host.mem_total / 4096, used = procfs_total_rss() / 4096;
	uint64_t free_pages = used < total ? total - used : 0;
	static const char *const zero[] = {
	    "nr_zone_inactive_anon", "nr_zone_active_anon", "nr_zone_inactive_file",
	    "nr_zone_active_file", "nr_mlock", "nr_bounce", "nr_inactive_file", "nr_active_file",
	    "nr_file_pages", "nr_dirty", "nr_writeback", "nr_shmem", "nr_mapped",
	    "pgpgin", "pgpgout", "pswpin", "pswpout", "pgalloc_normal", "pgfree", "pgfault",
	    "pgmajfault", "pgscan_kswapd", "pgscan_direct", "pgsteal_kswapd", "pgsteal_direct",
	    "oom_kill"};
	seq_printf(s, "nr_free_pages %llu\n", (unsigned long long)free_pages);
	seq_printf(s, "nr_anon_pages %llu\n", (unsigned long long)used);
	seq_printf(s, "nr_inactive_anon 0\nnr_active_anon %llu\n", (unsigned long long)used);
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		seq_printf(s, "%s 0\n", zero[i]);
	return 0;
}

static int show_filesystems(struct inode *inode, struct seq_buf *s)
{
	/* The filesystem types the sentry implements. */
	seq_printf(s, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\n"
		      "nodev\tdevpts\nnodev\toverlay\nnodev\t9p\n");
	return 0;
}

static int show_version(struct inode *inode, struct seq_buf *s)
{
	struct pbuf b;
	pbuf_init(&b);
	procfs_render_version(&b);
	return procfs_pbuf_to_seq(&b, s);
}

static int show_uptime(struct inode *inode, struct seq_buf *s)
{
	struct pbuf b;
	pbuf_init(&b);
	procfs_render_uptime(&b, kernel_uptime_ns());
	return procfs_pbuf_to_seq(&b, s);
}

static int show_loadavg(struct inode *inode, struct seq_buf *s)
{
	struct pbuf b;

	pthread_mutex_lock(&kernel.lock);
	int nr = kernel_count_tasks();
	int last = kernel_last_tid();
	pthread_mutex_unlock(&kernel.lock);
	pbuf_init(&b);
	procfs_render_loadavg(&b, 1, nr, last);
	return procfs_pbuf_to_seq(&b, s);
}

static int show_kstat(struct inode *inode, struct seq_buf *s)
{
	struct pbuf b;

	pthread_mutex_lock(&kernel.lock);
	int nr = kernel_last_tid(); /* forks since boot: every tid ever given */
	uint64_t boot = kernel.boot_realtime_ns;
	pthread_mutex_unlock(&kernel.lock);
	pbuf_init(&b);
	procfs_render_kstat(&b, procfs_host.ncpus, kernel_uptime_ns(), boot, nr);
	return procfs_pbuf_to_seq(&b, s);
}

static ssize_t mounts_link(struct inode *inode, char *buf, size_t size)
{
	return procfs_copy_link(buf, size, "self/mounts");
}

#define PROC_FILE(n, fn)                                                                           \
	{                                                                                          \
		.name = n, .mode = S_IFREG | 0444, .show = fn                                      \
	}

static const struct synth_entry proc_root_entries[] = {
    {.name = "self", .mode = S_IFLNK | 0777, .get_link = procfs_self_link},
    {.name = "thread-self", .mode = S_IFLNK | 0777, .get_link = procfs_thread_self_link},
    {.name = "mounts", .mode = S_IFLNK | 0777, .get_link = mounts_link},
    {.name = "net", .mode = S_IFLNK | 0777, .get_link = procfs_net_link},
    PROC_FILE("cpuinfo", show_cpuinfo),
    PROC_FILE("meminfo", show_meminfo),
    PROC_FILE("filesystems", show_filesystems),
    PROC_FILE("version", show_version),
    PROC_FILE("uptime", show_uptime),
    PROC_FILE("loadavg", show_loadavg),
    PROC_FILE("stat", show_kstat),
    PROC_FILE("vmstat", show_vmstat),
    PROC_FILE("locks", locks_show_proc),
    {.name = "sys", .mode = S_IFDIR | 0555, .children = procfs_sys_entries},
    {.name = NULL},
};

static const struct synth_entry proc_root_entry = {
    .name = "/",
    .mode = S_IFDIR | 0555,
    .children = proc_root_entries,
    .dir_ops = &procfs_root_dir_ops,
};

int procfs_mount(void)
{
	procfs_boot_snapshot();
	struct superblock *sb =
	    synth_sb_new("proc", PROC_SUPER_MAGIC, SB_NOCACHE, &proc_root_entry);
	if (!sb || IS_ERR(sb))
		return sb ? (int)PTR_ERR(sb) : -ENOMEM;
	int r = vfs_mount_at("/proc", sb, "proc", MNT_NOSUID | MNT_NODEV | MNT_NOEXEC);
	sb_put(sb);
	if (r < 0)
		log_err("procfs: mount on /proc: %s", strerror(-r));
	return r;
}
