/*
 * devfs: the sandbox's /dev. Memory devices (null, zero, full, random,
 * urandom) are served by the sentry itself; tty is the caller's controlling
 * terminal and ptmx makes pty pairs (fs/tty.c, fs/devpts.c); fd and
 * std{in,out,err} are the usual /proc/self links; shm gets a tmpfs, pts
 * devpts.
 *
 * Device numbers and modes are Linux's (drivers/char/mem.c, tty_io.c).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fs/fs.h"
#include "fs/procfs.h"
#include "fs/tty.h"
#include "util/log.h"
#include "vfs/vfs_impl.h"

#define DEVFS_MAGIC 0x1021994 /* TMPFS_MAGIC, as devtmpfs reports */
/* One read of /dev/{u,}random returns at most this much (Linux returns
 * short reads for huge requests too, at signal checks). */
#define RANDOM_READ_MAX (1u << 20)

/* --- null, zero, full ------------------------------------------------------- */

static ssize_t null_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	return 0;
}

static ssize_t null_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	return (ssize_t)n;
}

/* null_lseek: every seek succeeds and leaves the position at 0. */
static int64_t null_llseek(struct file *f, int64_t off, int whence)
{
	f->pos = 0;
	return 0;
}

static ssize_t zero_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	if (n > SSIZE_MAX)
		n = SSIZE_MAX;
	memset(buf, 0, n);
	return (ssize_t)n;
}

static ssize_t full_write(struct file *f, const void *buf, size_t n, int64_t *pos)
{
	return -ENOSPC;
}

static const struct file_operations null_fops = {
    .read = null_read,
    .write = null_write,
    .llseek = null_llseek,
};

static const struct file_operations zero_fops = {
    .read = zero_read,
    .write = null_write,
    .llseek = null_llseek,
};

static const struct file_operations full_fops = {
    .read = zero_read,
    .write = full_write,
    .llseek = null_llseek,
};

/* --- random, urandom ------------------------------------------------------------ */

/* Both devices read the host's CSPRNG (getrandom(2), which never blocks
 * after the host's boot); a partial result is returned as a short read. */
static ssize_t random_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	size_t got = 0;

	if (n > RANDOM_READ_MAX)
		n = RANDOM_READ_MAX;
	while (got < n) {
		ssize_t r = getrandom((char *)buf + got, n - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return got ? (ssize_t)got : -errno;
		}
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* noop_llseek: seeks succeed and keep the position. */
static int64_t noop_llseek(struct file *f, int64_t off, int whence)
{
	return f->pos;
}

/* One ops table for both devices. Writing mixes data into Linux's pool
 * without crediting entropy; the host pool is not ours to feed, so the data
 * is accepted and dropped. */
static const struct file_operations random_fops = {
    .read = random_read,
    .write = null_write,
    .llseek = noop_llseek,
};

/* --- tty, ptmx ------------------------------------------------------------------------ */

/* The synth kit has no open hook for devices, so these inodes get their own
 * inode_operations when created (fill_attr runs after the kit's defaults):
 * /dev/tty opens the caller's controlling terminal (ENXIO without one),
 * /dev/ptmx a new pty pair (fs/devpts.c). Attributes stay generic. */
static const struct inode_operations tty_iops = {.open = devpts_tty_open};
static const struct inode_operations ptmx_iops = {.open = devpts_ptmx_open};

static void tty_fill_attr(struct inode *inode)
{
	inode->iops = &tty_iops;
}

static void ptmx_fill_attr(struct inode *inode)
{
	inode->iops = &ptmx_iops;
}

/* --- links --------------------------------------------------------------------------- */

static ssize_t link_fd(struct inode *i, char *buf, size_t size)
{
	return procfs_copy_link(buf, size, "/proc/self/fd");
}

static ssize_t link_stdin(struct inode *i, char *buf, size_t size)
{
	return procfs_copy_link(buf, size, "/proc/self/fd/0");
}

static ssize_t link_stdout(struct inode *i, char *buf, size_t size)
{
	return procfs_copy_link(buf, size, "/proc/self/fd/1");
}

static ssize_t link_stderr(struct inode *i, char *buf, size_t size)
{
	return procfs_copy_link(buf, size, "/proc/self/fd/2");
}

/* --- the tree -------------------------------------------------------------------------- */

/* makedev() for majors < 4096 and minors < 256, as a constant expression. */
#define DEVNUM(maj, min) (((uint64_t)(maj) << 8) | (uint64_t)(min))
#define CHRDEV(n, fo, maj, min)                                                                    \
	{                                                                                          \
		.name = n, .mode = S_IFCHR | 0666, .fops = &(fo), .rdev = DEVNUM(maj, min)         \
	}
#define LINK(n, fn)                                                                                \
	{                                                                                          \
		.name = n, .mode = S_IFLNK | 0777, .get_link = fn                                  \
	}

static const struct synth_entry empty_dir[] = {{.name = NULL}};

static const struct synth_entry dev_entries[] = {
    CHRDEV("null", null_fops, 1, 3),
    CHRDEV("zero", zero_fops, 1, 5),
    CHRDEV("full", full_fops, 1, 7),
    CHRDEV("random", random_fops, 1, 8),
    CHRDEV("urandom", random_fops, 1, 9),
    {.name = "tty", .mode = S_IFCHR | 0666, .rdev = DEVNUM(5, 0), .fill_attr = tty_fill_attr},
    {.name = "ptmx", .mode = S_IFCHR | 0666, .rdev = DEVNUM(5, 2), .fill_attr = ptmx_fill_attr},
    LINK("fd", link_fd),
    LINK("stdin", link_stdin),
    LINK("stdout", link_stdout),
    LINK("stderr", link_stderr),
    {.name = "shm", .mode = S_IFDIR | 01777, .children = empty_dir},
    {.name = "pts", .mode = S_IFDIR | 0755, .children = empty_dir},
    {.name = NULL},
};

static const struct synth_entry dev_root_entry = {
    .name = "/",
    .mode = S_IFDIR | 0755,
    .children = dev_entries,
};

/* tmpfs on /dev/shm (mode 1777 like Linux's). A failure only loses POSIX
 * shared memory, so it is logged, not fatal. */
static void mount_shm(void)
{
	struct superblock *sb = tmpfs_new(0); /* its root is 1777 */

	if (!sb || IS_ERR(sb)) {
		log_warn("devfs: no tmpfs for /dev/shm");
		return;
	}
	int r = vfs_mount_at("/dev/shm", sb, "shm", MNT_NOSUID | MNT_NODEV);
	sb_put(sb);
	if (r < 0)
		log_warn("devfs: mount /dev/shm: %s", strerror(-r));
}

int devfs_mount(void)
{
	struct superblock *sb = synth_sb_new("devtmpfs", DEVFS_MAGIC, 0, &dev_root_entry);
	if (!sb || IS_ERR(sb))
		return sb ? (int)PTR_ERR(sb) : -ENOMEM;
	int r = vfs_mount_at("/dev", sb, "devtmpfs", MNT_NOSUID);
	sb_put(sb);
	if (r < 0) {
		log_err("devfs: mount on /dev: %s", strerror(-r));
		return r;
	}
	mount_shm();
	return devpts_mount();
}
