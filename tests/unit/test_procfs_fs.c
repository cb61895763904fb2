/*
 * /dev, /proc and /sys through the VFS: each test mounts them over a tmpfs
 * root (in check's forked child, so the global VFS and kernel tables start
 * empty) and uses them the way syscall handlers do.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fs/fs.h"
#include "fs/procfs.h"
#include "kernel/kernel.h"
#include "kernel/kernel_impl.h"
#include "vfs/vfs_impl.h"

static void setup(void)
{
	struct superblock *sb = tmpfs_new(0);
	ck_assert_ptr_nonnull(sb);
	ck_assert_int_eq(vfs_set_root(sb, "tmpfs"), 0);
	sb_put(sb);
	ck_assert_int_eq(devfs_mount(), 0);
	ck_assert_int_eq(procfs_mount(), 0);
	ck_assert_int_eq(sysfs_mount(), 0);
}

static struct file *open_path(const char *path, int flags)
{
	struct file *f = NULL;
	int r = vfs_openat(NULL, AT_FDCWD, path, flags, 0, &f);
	ck_assert_msg(r == 0, "open %s: %d", path, r);
	return f;
}

/* Whole content of a file (NUL-terminated), or NULL with *err set. */
static char *read_file_err(const char *path, size_t *len, int *err)
{
	struct file *f = NULL;
	size_t cap = 4096, n = 0;
	*err = vfs_openat(NULL, AT_FDCWD, path, O_RDONLY, 0, &f);
	if (*err)
		return NULL;
	char *buf = malloc(cap + 1);
	for (;;) {
		if (n == cap)
			buf = realloc(buf, (cap *= 2) + 1);
		ssize_t r = vfs_read(f, buf + n, cap - n);
		ck_assert_int_ge(r, 0);
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	file_put(f);
	if (len)
		*len = n;
	return buf;
}

static char *read_file(const char *path)
{
	int err;
	char *s = read_file_err(path, NULL, &err);
	ck_assert_msg(s != NULL, "read %s: %d", path, err);
	return s;
}

static ssize_t readlink_path(const char *path, char *buf, size_t size)
{
	struct path p;
	int r = vfs_path_lookup(NULL, AT_FDCWD, path, 0, &p);
	if (r)
		return r;
	ssize_t n = vfs_readlink_d(p.dentry, buf, size - 1);
	path_put(&p);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int stat_path(const char *path, struct kstat *st)
{
	struct path p;
	int r = vfs_path_lookup(NULL, AT_FDCWD, path, 0, &p);
	if (r)
		return r;
	r = vfs_getattr_d(p.dentry, st);
	path_put(&p);
	return r;
}

struct names {
	char buf[8192];
	size_t len;
};

struct names_ctx {
	struct dir_context ctx; /* first: the actor gets its address */
	struct names *n;
};

static bool collect_name(struct dir_context *ctx, const char *name, size_t namelen, uint64_t ino,
			 unsigned dtype, int64_t next_pos)
{
	struct names *n = ((struct names_ctx *)ctx)->n;
	if (n->len + namelen + 2 >= sizeof(n->buf))
		return false;
	n->buf[n->len++] = '|';
	memcpy(n->buf + n->len, name, namelen);
	n->len += namelen;
	n->buf[n->len] = '\0';
	return true;
}

/* "|.|..|a|b" for a directory listing */
static void list_dir(const char *path, struct names *out)
{
	struct names_ctx c = {{.actor = collect_name, .pos = 0}, out};
	memset(out, 0, sizeof(*out));
	struct file *f = open_path(path, O_RDONLY | O_DIRECTORY);
	ck_assert_int_eq(vfs_getdents(f, &c.ctx), 0);
	file_put(f);
}

/* A process as the kernel keeps it, without an address space. */
static struct task *fake_process(int tgid, const char *comm)
{
	struct task *t = calloc(1, sizeof(*t));
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg = tg_new(tgid, NULL);
	ck_assert_ptr_nonnull(tg);
	tg->leader = t;
	tg->nr_threads = 1;
	t->tid = tgid;
	t->tg = tg;
	snprintf(t->comm, sizeof(t->comm), "%s", comm);
	t->creds.uid = t->creds.euid = 1000;
	t->fdt = fdtable_new();
	t->fs = fs_context_new();
	ck_assert_int_eq(kernel_add_tg(tg), 0);
	ck_assert_int_eq(kernel_add_task(t), 0);
	pthread_mutex_unlock(&kernel.lock);
	return t;
}

START_TEST(test_dev_null_zero_full)
{
	char buf[64];
	struct kstat st;

	struct file *f = open_path("/dev/null", O_RDWR);
	ck_assert_int_eq(vfs_write(f, "hello", 5), 5);
	ck_assert_int_eq(vfs_read(f, buf, sizeof(buf)), 0);
	file_put(f);
	ck_assert_int_eq(stat_path("/dev/null", &st), 0);
	ck_assert_uint_eq(st.mode, S_IFCHR | 0666);
	ck_assert_uint_eq(st.rdev, makedev(1, 3));

	f = open_path("/dev/zero", O_RDWR);
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(vfs_read(f, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 0);
	ck_assert_int_eq(vfs_write(f, buf, 3), 3);
	file_put(f);

	f = open_path("/dev/full", O_RDWR);
	ck_assert_int_eq(vfs_write(f, "x", 1), -ENOSPC);
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(vfs_read(f, buf, 8), 8);
	ck_assert_int_eq(buf[7], 0);
	file_put(f);

	ck_assert_int_eq(stat_path("/dev/zero", &st), 0);
	ck_assert_uint_eq(st.rdev, makedev(1, 5));
	ck_assert_int_eq(stat_path("/dev/full", &st), 0);
	ck_assert_uint_eq(st.rdev, makedev(1, 7));
}
END_TEST

START_TEST(test_dev_random_tty_links)
{
	unsigned char buf[64] = {0};
	struct kstat st;
	char link[256];

	struct file *f = open_path("/dev/urandom", O_RDONLY);
	ck_assert_int_eq(vfs_read(f, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	int nonzero = 0;
	for (size_t i = 0; i < sizeof(buf); i++)
		nonzero |= buf[i];
	ck_assert_int_ne(nonzero, 0);
	file_put(f);
	ck_assert_int_eq(stat_path("/dev/random", &st), 0);
	ck_assert_uint_eq(st.rdev, makedev(1, 8));
	ck_assert_int_eq(stat_path("/dev/urandom", &st), 0);
	ck_assert_uint_eq(st.rdev, makedev(1, 9));

	ck_assert_int_eq(stat_path("/dev/tty", &st), 0);
	ck_assert_uint_eq(st.mode, S_IFCHR | 0666);
	ck_assert_uint_eq(st.rdev, makedev(5, 0));
	f = NULL;
	ck_assert_int_eq(vfs_openat(NULL, AT_FDCWD, "/dev/tty", O_RDWR, 0, &f), -ENXIO);

	ck_assert_int_eq(readlink_path("/dev/stdout", link, sizeof(link)), 15);
	ck_assert_str_eq(link, "/proc/self/fd/1");
	ck_assert_int_gt(readlink_path("/dev/fd", link, sizeof(link)), 0);
	ck_assert_str_eq(link, "/proc/self/fd");

	struct names n;
	list_dir("/dev", &n);
	ck_assert_str_eq(n.buf,
			 "|.|..|null|zero|full|random|urandom|tty|ptmx|fd|stdin|stdout|stderr|shm|pts");
	ck_assert_int_eq(stat_path("/dev/shm", &st), 0);
	ck_assert_uint_eq(st.mode, S_IFDIR | 01777);
}
END_TEST

START_TEST(test_proc_top_level)
{
	char link[64];
	char *s;

	/* No current task on the test thread: self has no target. */
	ck_assert_int_eq(readlink_path("/proc/self", link, sizeof(link)), -ENOENT);
	ck_assert_int_eq(readlink_path("/proc/mounts", link, sizeof(link)), 11);
	ck_assert_str_eq(link, "self/mounts");

	s = read_file("/proc/version");
	ck_assert_ptr_eq(strstr(s, "Linux version "), s);
	free(s);
	s = read_file("/proc/sys/kernel/osrelease");
	ck_assert_int_eq(strncmp(s, SENTRY_UNAME_RELEASE "\n", strlen(s)), 0);
	free(s);
	s = read_file("/proc/meminfo");
	ck_assert_ptr_eq(strstr(s, "MemTotal:"), s);
	free(s);
	s = read_file("/proc/cpuinfo");
	ck_assert_ptr_nonnull(strstr(s, "processor"));
	free(s);
	s = read_file("/proc/sys/kernel/random/boot_id");
	ck_assert_uint_eq(strlen(s), 37);
	char *s2 = read_file("/proc/sys/kernel/random/boot_id");
	ck_assert_str_eq(s, s2); /* stable */
	free(s2);
	s2 = read_file("/proc/sys/kernel/random/uuid");
	ck_assert_str_ne(s, s2); /* fresh each read */
	free(s2);
	free(s);
	s = read_file("/proc/sys/fs/file-max");
	ck_assert_str_eq(s, "9223372036854775807\n");
	free(s);

	/* hostname is writable and reaches the kernel's UTS name */
	s = read_file("/proc/sys/kernel/hostname");
	ck_assert_str_eq(s, "sandbox\n");
	free(s);
	struct file *f = open_path("/proc/sys/kernel/hostname", O_WRONLY | O_TRUNC);
	ck_assert_int_eq(vfs_write(f, "box2\n", 5), 5);
	file_put(f);
	ck_assert_str_eq(kernel.hostname, "box2");

	struct kstat st;
	ck_assert_int_eq(stat_path("/proc/version", &st), 0);
	ck_assert_uint_eq(st.mode, S_IFREG | 0444);
	/* root may open a read-only file for writing (as in Linux); the write
	 * itself fails */
	f = open_path("/proc/version", O_WRONLY);
	ck_assert_int_eq(vfs_write(f, "x", 1), -EINVAL);
	file_put(f);
}
END_TEST

START_TEST(test_proc_mounts_and_sys)
{
	char *s = read_file("/proc/sys/kernel/ostype");
	ck_assert_str_eq(s, "Linux\n");
	free(s);

	s = read_file("/sys/devices/system/cpu/online");
	char want[32];
	if (procfs_host.ncpus == 1)
		snprintf(want, sizeof(want), "0\n");
	else
		snprintf(want, sizeof(want), "0-%d\n", procfs_host.ncpus - 1);
	ck_assert_str_eq(s, want);
	free(s);
	struct names n;
	list_dir("/sys", &n);
	ck_assert_str_eq(n.buf, "|.|..|devices|class");

	/* /proc/PID/mounts needs a process: make one */
	fake_process(42, "fake");
	s = read_file("/proc/42/mounts");
	ck_assert_ptr_eq(strstr(s, "tmpfs / tmpfs rw,relatime 0 0\n"), s);
	ck_assert_ptr_nonnull(strstr(s, "\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nshm /dev/shm tmpfs rw,nosuid,nodev,relatime 0 0\n"));
	ck_assert_ptr_nonnull(
	    strstr(s, "\nsysfs /sys sysfs ro,nosuid,nodev,noexec,relatime 0 0\n"));
	free(s);
	s = read_file("/proc/42/mountinfo");
	ck_assert_ptr_nonnull(
	    strstr(s, " / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw\n"));
	/* The root: its own (stable, VFS-assigned) id, parent 1. */
	int mid = 0, mparent = 0;
	ck_assert_int_eq(sscanf(s, "%d %d ", &mid, &mparent), 2);
	ck_assert_int_gt(mid, 20);
	ck_assert_int_eq(mparent, 1);
	free(s);
}
END_TEST

START_TEST(test_proc_pid_dirs)
{
	struct task *t = fake_process(42, "fake");
	struct names n;
	char link[256];
	char *s;

	list_dir("/proc", &n);
	ck_assert_ptr_nonnull(strstr(n.buf, "|self|thread-self|"));
	ck_assert_ptr_nonnull(strstr(n.buf, "|sys|42"));

	s = read_file("/proc/42/status");
	ck_assert_ptr_eq(strstr(s, "Name:\tfake\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t42\n"),
			 s);
	ck_assert_ptr_nonnull(strstr(s, "\nUid:\t1000\t1000\t0\t0\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nThreads:\t1\n"));
	free(s);
	s = read_file("/proc/42/stat");
	ck_assert_ptr_eq(strstr(s, "42 (fake) S 0 42 42 0 -1 "), s);
	free(s);
	s = read_file("/proc/42/comm");
	ck_assert_str_eq(s, "fake\n");
	free(s);
	s = read_file("/proc/42/cgroup");
	ck_assert_str_eq(s, "0::/\n");
	free(s);
	s = read_file("/proc/42/cmdline"); /* no address space: empty */
	ck_assert_str_eq(s, "");
	free(s);
	s = read_file("/proc/42/limits");
	ck_assert_ptr_nonnull(
	    strstr(s, "\nMax open files            1024                 1048576  "));
	free(s);

	/* the files are owned by the process's euid */
	struct kstat st;
	ck_assert_int_eq(stat_path("/proc/42/status", &st), 0);
	ck_assert_uint_eq(st.uid, 1000);
	ck_assert_int_eq(stat_path("/proc/42", &st), 0);
	ck_assert_uint_eq(st.mode, S_IFDIR | 0555);

	ck_assert_int_eq(readlink_path("/proc/42/cwd", link, sizeof(link)), 1);
	ck_assert_str_eq(link, "/");
	ck_assert_int_eq(readlink_path("/proc/42/exe", link, sizeof(link)), -ENOENT);
	snprintf(t->tg->exe_path, sizeof(t->tg->exe_path), "/bin/fake");
	ck_assert_int_eq(readlink_path("/proc/42/exe", link, sizeof(link)), 9);
	ck_assert_str_eq(link, "/bin/fake");

	/* fd/ lists the open descriptors with their paths */
	struct file *null = open_path("/dev/null", O_WRONLY);
	ck_assert_int_eq(fd_install(t->fdt, null, false, 0), 0);
	ck_assert_int_eq(fd_install(t->fdt, null, false, 5), 5);
	file_put(null);
	list_dir("/proc/42/fd", &n);
	ck_assert_str_eq(n.buf, "|.|..|0|5");
	ck_assert_int_eq(readlink_path("/proc/42/fd/5", link, sizeof(link)), 9);
	ck_assert_str_eq(link, "/dev/null");
	ck_assert_int_eq(stat_path("/proc/42/fd/5", &st), 0);
	ck_assert_uint_eq(st.mode & 0777, 0300); /* l-wx------ */
	ck_assert_int_eq(readlink_path("/proc/42/fd/4", link, sizeof(link)), -ENOENT);
	ck_assert_int_eq(readlink_path("/proc/42/fd/05", link, sizeof(link)), -ENOENT);

	list_dir("/proc/42/task", &n);
	ck_assert_str_eq(n.buf, "|.|..|42");
	s = read_file("/proc/42/task/42/status");
	ck_assert_ptr_nonnull(strstr(s, "\nPid:\t42\n"));
	free(s);
	ck_assert_int_eq(stat_path("/proc/42/task/43", &st), -ENOENT);
	ck_assert_int_eq(stat_path("/proc/43", &st), -ENOENT);
	ck_assert_int_eq(stat_path("/proc/042", &st), -ENOENT);

	/* a process that is gone: its files fail, its directory disappears */
	pthread_mutex_lock(&kernel.lock);
	kernel_remove_task(t);
	kernel_remove_tg(t->tg);
	pthread_mutex_unlock(&kernel.lock);
	ck_assert_int_eq(stat_path("/proc/42", &st), -ENOENT);
	list_dir("/proc", &n);
	ck_assert_ptr_null(strstr(n.buf, "|42"));
}
END_TEST

START_TEST(test_proc_threads)
{
	struct task *t = fake_process(42, "main");
	struct task *t2 = calloc(1, sizeof(*t2));
	struct names n;
	struct kstat st;

	pthread_mutex_lock(&kernel.lock);
	t2->tid = 44;
	t2->tg = t->tg;
	snprintf(t2->comm, sizeof(t2->comm), "worker");
	t->next_in_tg = t2;
	t->tg->nr_threads = 2;
	ck_assert_int_eq(kernel_add_task(t2), 0);
	pthread_mutex_unlock(&kernel.lock);

	list_dir("/proc/42/task", &n);
	ck_assert_str_eq(n.buf, "|.|..|42|44");
	char *s = read_file("/proc/42/task/44/status");
	ck_assert_ptr_eq(strstr(s, "Name:\tworker\n"), s);
	ck_assert_ptr_nonnull(strstr(s, "\nTgid:\t42\nNgid:\t0\nPid:\t44\n"));
	ck_assert_ptr_nonnull(strstr(s, "\nThreads:\t2\n"));
	free(s);
	/* a thread's tid works under /proc but is not listed there */
	ck_assert_int_eq(stat_path("/proc/44/status", &st), 0);
	list_dir("/proc", &n);
	ck_assert_ptr_null(strstr(n.buf, "|44"));
	/* task/TID has no task/ of its own */
	ck_assert_int_eq(stat_path("/proc/42/task/44/task", &st), -ENOENT);

	/* once the leader has exited, the process view shows a live thread */
	pthread_mutex_lock(&kernel.lock);
	t->exited = true;
	kernel_remove_task(t);
	pthread_mutex_unlock(&kernel.lock);
	s = read_file("/proc/42/comm");
	ck_assert_str_eq(s, "worker\n");
	free(s);
	list_dir("/proc/42/task", &n);
	ck_assert_str_eq(n.buf, "|.|..|44");
}
END_TEST

Suite *procfs_fs_suite(void)
{
	Suite *s = suite_create("procfs_fs");
	TCase *tc = tcase_create("mounted");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_dev_null_zero_full);
	tcase_add_test(tc, test_dev_random_tty_links);
	tcase_add_test(tc, test_proc_top_level);
	tcase_add_test(tc, test_proc_mounts_and_sys);
	tcase_add_test(tc, test_proc_pid_dirs);
	tcase_add_test(tc, test_proc_threads);
	suite_add_tcase(s, tc);
	return s;
}
