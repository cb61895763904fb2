/* open(2) corners on tmpfs: O_CREAT through symlinks, O_TMPFILE and linkat,
 * magic links (get_path) to paths and to pathless files, getdents commit,
 * readlink(""), renameat2 flags. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "abi/linux_stat.h"
#include "kernel/task.h"
#include "vfs/vfs_impl.h"
#include "vfs/vfs_ops.h"
#include "vfs_test_util.h"

#ifndef O_TMPFILE
#define O_TMPFILE (020000000 | O_DIRECTORY)
#endif

static void mkdir_ok(struct task *t, const char *path)
{
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, path, VFS_MK_DIR, S_IFDIR | 0755, 0, NULL),
			 0);
}

static void symlink_ok(struct task *t, const char *target, const char *path)
{
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, path, VFS_MK_LNK, S_IFLNK | 0777, 0, target),
			 0);
}

static int open_flags(struct task *t, const char *path, int flags)
{
	struct file *f;
	int err = vfs_openat(t, AT_FDCWD, path, flags, 0644, &f);
	if (err == 0)
		file_put(f);
	return err;
}

START_TEST(test_creat_through_dangling_symlinks)
{
	struct task *t = vt_setup_tmpfs_root();
	mkdir_ok(t, "/d");
	symlink_ok(t, "target", "/d/rel");        /* relative to the link's dir */
	symlink_ok(t, "/d/abs_target", "/abs");   /* absolute */
	symlink_ok(t, "rel", "/d/chain");         /* link to a dangling link */
	symlink_ok(t, "missing_dir/x", "/d/bad"); /* parent of the target missing */
	symlink_ok(t, "sub/", "/d/slash");        /* target with a trailing slash */
	ck_assert_int_eq(open_flags(t, "/d/rel", O_WRONLY | O_CREAT), 0);
	struct kstat st;
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/d/target", 0, &st), 0);
	ck_assert(S_ISREG(st.mode));
	ck_assert_int_eq(st.mode & 07777, 0644 & ~022);
	ck_assert_int_eq(open_flags(t, "/abs", O_WRONLY | O_CREAT), 0);
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/d/abs_target", 0, &st), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/d/target", false), 0);
	ck_assert_int_eq(open_flags(t, "/d/chain", O_RDWR | O_CREAT), 0);
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/d/target", 0, &st), 0);
	/* Existing targets are opened, not recreated. */
	ck_assert_int_eq(vt_write_file(t, "/d/target", "data"), 0);
	ck_assert_int_eq(open_flags(t, "/d/rel", O_RDONLY | O_CREAT), 0);
	ck_assert_int_eq(vt_read_file(t, "/d/rel"), 0);
	ck_assert_str_eq(vt_buf, "data");
	ck_assert_int_eq(open_flags(t, "/d/bad", O_WRONLY | O_CREAT), -ENOENT);
	ck_assert_int_eq(open_flags(t, "/d/slash", O_WRONLY | O_CREAT), -EISDIR);
	ck_assert_int_eq(open_flags(t, "/abs", O_WRONLY | O_CREAT | O_EXCL), -EEXIST);
	ck_assert_int_eq(open_flags(t, "/abs", O_WRONLY | O_CREAT | O_NOFOLLOW), -ELOOP);
	/* A loop is ELOOP, not a creation. */
	symlink_ok(t, "loop2", "/d/loop1");
	symlink_ok(t, "loop1", "/d/loop2");
	ck_assert_int_eq(open_flags(t, "/d/loop1", O_WRONLY | O_CREAT), -ELOOP);
	vt_teardown(t);
}
END_TEST

START_TEST(test_tmpfile_and_linkat)
{
	struct task *t = vt_setup_tmpfs_root();
	mkdir_ok(t, "/d");
	struct file *f;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/d", O_TMPFILE | O_RDONLY, 0600, &f), -EINVAL);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/d", 020000000 | O_RDWR, 0600, &f), -EINVAL);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/d", O_TMPFILE | O_CREAT | O_RDWR, 0600, &f),
			 -EINVAL);
	ck_assert_int_eq(vt_write_file(t, "/file", "x"), 0);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/file", O_TMPFILE | O_RDWR, 0600, &f), -ENOTDIR);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/d", O_TMPFILE | O_RDWR, 0640, &f), 0);
	ck_assert_int_eq(vfs_write(f, "tmp", 3), 3);
	struct kstat st;
	ck_assert_int_eq(vfs_fstat(f, &st), 0);
	ck_assert(S_ISREG(st.mode));
	ck_assert_int_eq(st.nlink, 0);
	ck_assert_int_eq(st.mode & 07777, 0640);
	char path[256];
	int n = file_path(f, path, sizeof(path));
	ck_assert_int_gt(n, 0);
	ck_assert_msg(strncmp(path, "/d/#", 4) == 0 && strstr(path, " (deleted)"), "%s", path);
	ck_assert_int_eq(vt_list_dir(t, "/d"), 0);
	ck_assert_str_eq(vt_buf, ". .."); /* unnamed */
	int fd = fd_install(t->fdt, f, false, 0);
	ck_assert_int_ge(fd, 0);
	file_put(f);
	ck_assert_int_eq(vfs_linkat(t, fd, "", AT_FDCWD, "/d/named", LOOKUP_EMPTY), 0);
	ck_assert_int_eq(vt_read_file(t, "/d/named"), 0);
	ck_assert_str_eq(vt_buf, "tmp");
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/d/named", 0, &st), 0);
	ck_assert_int_eq(st.nlink, 1);
	ck_assert_int_eq(fd_close(t->fdt, fd), 0);
	/* O_EXCL: never linkable; an unlinked ordinary file neither. */
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/d", O_TMPFILE | O_EXCL | O_WRONLY, 0600, &f), 0);
	fd = fd_install(t->fdt, f, false, 0);
	file_put(f);
	ck_assert_int_eq(vfs_linkat(t, fd, "", AT_FDCWD, "/d/excl", LOOKUP_EMPTY), -ENOENT);
	fd_close(t->fdt, fd);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/file", O_RDONLY, 0, &f), 0);
	fd = fd_install(t->fdt, f, false, 0);
	file_put(f);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/file", false), 0);
	ck_assert_int_eq(vfs_linkat(t, fd, "", AT_FDCWD, "/again", LOOKUP_EMPTY), -ENOENT);
	fd_close(t->fdt, fd);
	vt_teardown(t);
}
END_TEST

/* --- magic links ----------------------------------------------------------- */

static int reopens;

static ssize_t pipe_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	const char *msg = f->priv ? (const char *)f->priv : "";
	size_t len = strlen(msg) < n ? strlen(msg) : n;
	memcpy(buf, msg, len);
	f->priv = NULL; /* one message per description */
	return (ssize_t)len;
}

static int pipe_reopen(struct file *old, struct file *nf, int flags)
{
	reopens++;
	nf->priv = (void *)"reopened";
	return 0;
}

static const struct file_operations pipe_fops = {.read = pipe_read, .reopen = pipe_reopen};
static const struct file_operations sock_fops = {.read = pipe_read};
static struct file *pathless, *noreopen;

static ssize_t text_link(struct inode *i, char *buf, size_t size)
{
	const char *s = "not-a-real-target";
	size_t n = strlen(s) < size ? strlen(s) : size;
	memcpy(buf, s, n);
	return (ssize_t)n;
}

static int dir_get_path(struct inode *i, struct path *out, struct file **filep)
{
	return vfs_path_lookup(NULL, AT_FDCWD, "/etc", 0, out);
}

static int file_get_path(struct inode *i, struct path *out, struct file **filep)
{
	file_get(pathless);
	*filep = pathless;
	return 0;
}

static int sock_get_path(struct inode *i, struct path *out, struct file **filep)
{
	file_get(noreopen);
	*filep = noreopen;
	return 0;
}

static const struct synth_entry magic_entries[] = {
	{.name = "cwd", .mode = S_IFLNK | 0777, .get_link = text_link, .get_path = dir_get_path},
	{.name = "0", .mode = S_IFLNK | 0700, .get_link = text_link, .get_path = file_get_path},
	{.name = "3", .mode = S_IFLNK | 0700, .get_link = text_link, .get_path = sock_get_path},
	{.name = NULL},
};

static const struct synth_entry magic_root = {.mode = S_IFDIR | 0555, .children = magic_entries};

START_TEST(test_magic_links)
{
	struct task *t = vt_setup_tmpfs_root();
	mkdir_ok(t, "/etc");
	mkdir_ok(t, "/proc");
	ck_assert_int_eq(vt_write_file(t, "/etc/passwd", "root"), 0);
	symlink_ok(t, "/proc/0", "/stdin");
	struct superblock *sb = synth_sb_new("proc", 0x9fa0, SB_NOCACHE, &magic_root);
	ck_assert_int_eq(vfs_mount_at("/proc", sb, "proc", 0), 0);
	sb_put(sb);
	pathless = anon_file_new(S_IFIFO | 0600, &pipe_fops, (void *)"original", O_RDONLY,
				 "pipe:[1]");
	noreopen = anon_file_new(S_IFSOCK | 0600, &sock_fops, NULL, O_RDWR, "socket:[2]");
	ck_assert_ptr_nonnull(pathless);
	ck_assert_ptr_nonnull(noreopen);
	/* The walk continues at the path itself, not at the text. */
	ck_assert_int_eq(vt_read_file(t, "/proc/cwd/passwd"), 0);
	ck_assert_str_eq(vt_buf, "root");
	char buf[64];
	ck_assert_int_eq(vfs_readlinkat(t, AT_FDCWD, "/proc/cwd", buf, sizeof(buf)), 17);
	/* A pathless file is reopened: a new description with its own state. */
	reopens = 0;
	ck_assert_int_eq(vt_read_file(t, "/stdin"), 0);
	ck_assert_str_eq(vt_buf, "reopened");
	ck_assert_int_eq(reopens, 1);
	char *orig = pathless->priv;
	ck_assert_str_eq(orig, "original");
	struct kstat st;
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/stdin", LOOKUP_FOLLOW, &st), 0);
	ck_assert(S_ISFIFO(st.mode));
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/proc/0", 0, &st), 0);
	ck_assert(S_ISLNK(st.mode));
	struct file *f;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/proc/0", O_WRONLY | O_CREAT | O_TRUNC, 0644, &f),
			 0);
	ck_assert_int_eq(reopens, 2);
	ck_assert_int_eq(file_flags(f) & O_ACCMODE, O_WRONLY);
	file_put(f);
	ck_assert_int_eq(open_flags(t, "/proc/0/x", O_RDONLY), -ENOTDIR);
	ck_assert_int_eq(open_flags(t, "/proc/0", O_RDONLY | O_DIRECTORY), -ENOTDIR);
	ck_assert_int_eq(open_flags(t, "/proc/3", O_RDONLY), -ENXIO);
	file_put(pathless);
	file_put(noreopen);
	vt_teardown(t);
}
END_TEST

/* --- getdents commit, readlink, renameat2 ---------------------------------- */

struct count_ctx {
	struct dir_context ctx;
	int n;
};

static bool count_actor(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
			unsigned dtype, int64_t next)
{
	((struct count_ctx *)ctx)->n++;
	return true;
}

static int64_t commit_nothing(struct dir_context *ctx, int64_t start, void *arg)
{
	return start; /* as when the application's buffer faulted */
}

START_TEST(test_getdents_commit_and_readlink)
{
	struct task *t = vt_setup_tmpfs_root();
	mkdir_ok(t, "/d");
	ck_assert_int_eq(vt_write_file(t, "/d/a", "a"), 0);
	struct file *f;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/d", O_RDONLY | O_DIRECTORY, 0, &f), 0);
	struct count_ctx c = {.ctx.actor = count_actor};
	ck_assert_int_eq(vfs_getdents_commit(f, &c.ctx, commit_nothing, NULL), 0);
	ck_assert_int_eq(c.n, 3);
	ck_assert_int_eq(f->pos, 0);
	c.n = 0;
	ck_assert_int_eq(vfs_getdents(f, &c.ctx), 0);
	ck_assert_int_eq(c.n, 3);
	c.n = 0;
	ck_assert_int_eq(vfs_getdents(f, &c.ctx), 0);
	ck_assert_int_eq(c.n, 0);
	file_put(f);
	char buf[16];
	ck_assert_int_eq(vfs_readlinkat(t, AT_FDCWD, "", buf, sizeof(buf)), -ENOENT);
	ck_assert_int_eq(vfs_readlinkat(t, AT_FDCWD, "/d", buf, sizeof(buf)), -EINVAL);
	vt_teardown(t);
}
END_TEST

START_TEST(test_renameat2_tmpfs)
{
	struct task *t = vt_setup_tmpfs_root();
	const unsigned NR = LINUX_RENAME_NOREPLACE, EX = LINUX_RENAME_EXCHANGE;
	mkdir_ok(t, "/a");
	mkdir_ok(t, "/b");
	mkdir_ok(t, "/a/sub");
	ck_assert_int_eq(vt_write_file(t, "/b/f", "F"), 0);
	ck_assert_int_eq(vt_write_file(t, "/a/g", "G"), 0);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/a/g", AT_FDCWD, "/b/f", NR), -EEXIST);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/a/g", AT_FDCWD, "/b/f", NR | EX), -EINVAL);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/a/g", AT_FDCWD, "/b/f", 8), -EINVAL);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/a/g", AT_FDCWD, "/b/none", EX), -ENOENT);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/a/.", AT_FDCWD, "/c", 0), -EBUSY);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/a/g", AT_FDCWD, "/b/..", 0), -EBUSY);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/a/g", AT_FDCWD, "/b/..", NR), -EEXIST);
	/* Swap two files in different directories. */
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/a/g", AT_FDCWD, "/b/f", EX), 0);
	ck_assert_int_eq(vt_read_file(t, "/a/g"), 0);
	ck_assert_str_eq(vt_buf, "F");
	ck_assert_int_eq(vt_read_file(t, "/b/f"), 0);
	ck_assert_str_eq(vt_buf, "G");
	/* Swap a directory with a file across parents: links move. */
	struct kstat sa, sb;
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/a", 0, &sa), 0);
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/b", 0, &sb), 0);
	ck_assert_int_eq(sa.nlink, 3);
	ck_assert_int_eq(sb.nlink, 2);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/a/sub", AT_FDCWD, "/b/f", EX), 0);
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/b/f", 0, &sb), 0);
	ck_assert(S_ISDIR(sb.mode));
	ck_assert_int_eq(vt_read_file(t, "/a/sub"), 0);
	ck_assert_str_eq(vt_buf, "G");
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/a", 0, &sa), 0);
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/b", 0, &sb), 0);
	ck_assert_int_eq(sa.nlink, 2);
	ck_assert_int_eq(sb.nlink, 3);
	/* The dentries moved too: a file inside the swapped dir resolves. */
	ck_assert_int_eq(vt_write_file(t, "/b/f/inner", "I"), 0);
	ck_assert_int_eq(vt_read_file(t, "/b/f/inner"), 0);
	ck_assert_int_eq(vt_list_dir(t, "/a"), 0);
	ck_assert_str_eq(vt_buf, ". .. sub g");
	/* A directory into its own subtree: EINVAL, also for an exchange. */
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/b", AT_FDCWD, "/b/f/inner", EX), -EINVAL);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/b/f/inner", AT_FDCWD, "/b", EX), -EINVAL);
	vt_teardown(t);
}
END_TEST

Suite *vfs_open_suite(void)
{
	Suite *s = suite_create("vfs_open");
	TCase *tc = tcase_create("open");
	tcase_add_test(tc, test_creat_through_dangling_symlinks);
	tcase_add_test(tc, test_tmpfile_and_linkat);
	tcase_add_test(tc, test_magic_links);
	tcase_add_test(tc, test_getdents_commit_and_readlink);
	tcase_add_test(tc, test_renameat2_tmpfs);
	suite_add_tcase(s, tc);
	return s;
}
