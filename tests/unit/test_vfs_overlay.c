/* Overlay (over a tmpfs lower standing in for the gofer root) and the
 * synthetic filesystem kit. */
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

static struct superblock *lower_sb;

/* Build a lower tree with a task rooted in it, then root an overlay on it. */
static struct task *setup_overlay(void)
{
	lower_sb = tmpfs_new(0);
	sb_get(lower_sb);
	vt_set_root(lower_sb);
	struct task *t = vt_task_new();
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/etc", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL),
			 0);
	ck_assert_int_eq(vt_write_file(t, "/etc/passwd", "root:x:0:0"), 0);
	ck_assert_int_eq(vt_write_file(t, "/etc/hosts", "127.0.0.1"), 0);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/etc/sub", VFS_MK_DIR, S_IFDIR | 0755, 0,
					  NULL), 0);
	ck_assert_int_eq(vt_write_file(t, "/etc/sub/x", "x"), 0);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/link", VFS_MK_LNK, 0, 0, "etc/passwd"), 0);
	vt_task_free(t);
	struct superblock *upper = tmpfs_new(0);
	struct superblock *ovl = overlay_new(lower_sb->root, upper->root);
	sb_put(upper);
	vt_set_root(ovl);
	return vt_task_new();
}

/* Read a file of the lower layer directly. */
static int lower_read(const char *name, char *buf, size_t size)
{
	int err;
	struct dentry *etc = vfs_lookup_one(lower_sb->root, "etc", &err);
	if (!etc)
		return err;
	struct dentry *d = vfs_lookup_one(etc, name, &err);
	dput(etc);
	if (!d)
		return err;
	struct file *f;
	err = vfs_open_d(NULL, d, O_RDONLY, &f);
	dput(d);
	if (err)
		return err;
	memset(buf, 0, size);
	ssize_t n = file_pread(f, buf, size - 1, 0);
	file_put(f);
	return n < 0 ? (int)n : 0;
}

START_TEST(test_overlay_read_and_copy_up)
{
	struct task *t = setup_overlay();
	char buf[64];
	ck_assert_int_eq(vt_read_file(t, "/etc/passwd"), 0);
	ck_assert_str_eq(vt_buf, "root:x:0:0");
	ck_assert_int_eq(vt_read_file(t, "/link"), 0);
	ck_assert_str_eq(vt_buf, "root:x:0:0");
	struct path p;
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/etc/passwd", 0, &p), 0);
	struct kstat before, after;
	vfs_getattr_d(p.dentry, &before);
	path_put(&p);
	/* Open for write copies up; the lower is unchanged. */
	struct file *f;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/etc/passwd", O_WRONLY | O_APPEND, 0, &f), 0);
	ck_assert_int_eq(vfs_write(f, "\nuser", 5), 5);
	file_put(f);
	ck_assert_int_eq(vt_read_file(t, "/etc/passwd"), 0);
	ck_assert_str_eq(vt_buf, "root:x:0:0\nuser");
	ck_assert_int_eq(lower_read("passwd", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "root:x:0:0");
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/etc/passwd", 0, &p), 0);
	vfs_getattr_d(p.dentry, &after);
	path_put(&p);
	ck_assert_int_eq(before.ino, after.ino); /* stable across copy-up */
	ck_assert_int_eq(after.mode, before.mode);
	/* O_TRUNC copies up and truncates only the upper. */
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/etc/hosts", O_WRONLY | O_TRUNC, 0, &f), 0);
	file_put(f);
	ck_assert_int_eq(vt_read_file(t, "/etc/hosts"), 0);
	ck_assert_str_eq(vt_buf, "");
	ck_assert_int_eq(lower_read("hosts", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "127.0.0.1");
	vt_teardown(t);
}
END_TEST

START_TEST(test_overlay_whiteouts_and_readdir)
{
	struct task *t = setup_overlay();
	struct path p;
	char buf[64];
	ck_assert_int_eq(vt_write_file(t, "/etc/new", "n"), 0);
	ck_assert_int_eq(vt_list_dir(t, "/etc"), 0);
	ck_assert_str_eq(vt_buf, ". .. new passwd hosts sub/");
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/etc/passwd", false), 0);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/etc/passwd", 0, &p), -ENOENT);
	ck_assert_int_eq(vt_list_dir(t, "/etc"), 0);
	ck_assert_str_eq(vt_buf, ". .. new hosts sub/");
	ck_assert_int_eq(lower_read("passwd", buf, sizeof(buf)), 0); /* still in the lower */
	/* Recreate over the whiteout. */
	ck_assert_int_eq(vt_write_file(t, "/etc/passwd", "again"), 0);
	ck_assert_int_eq(vt_read_file(t, "/etc/passwd"), 0);
	ck_assert_str_eq(vt_buf, "again");
	/* rmdir of a lower dir with contents: ENOTEMPTY; after emptying: ok,
	 * and a new dir with that name is opaque (empty). */
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/etc/sub", true), -ENOTEMPTY);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/etc/sub/x", false), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/etc/sub", true), 0);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/etc/sub", 0, &p), -ENOENT);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/etc/sub", VFS_MK_DIR, S_IFDIR | 0755, 0,
					  NULL), 0);
	ck_assert_int_eq(vt_list_dir(t, "/etc/sub"), 0);
	ck_assert_str_eq(vt_buf, ". ..");
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/etc/sub/x", 0, &p), -ENOENT);
	vt_teardown(t);
}
END_TEST

START_TEST(test_overlay_rename_and_attrs)
{
	struct task *t = setup_overlay();
	struct path p;
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/etc/hosts", AT_FDCWD, "/hosts2", 0), 0);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/etc/hosts", 0, &p), -ENOENT);
	ck_assert_int_eq(vt_read_file(t, "/hosts2"), 0);
	ck_assert_str_eq(vt_buf, "127.0.0.1");
	/* Renaming a lower directory: EXDEV (mv copies instead). */
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/etc/sub", AT_FDCWD, "/sub2", 0), -EXDEV);
	/* A new upper dir renames fine. */
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/nd", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL), 0);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/nd", AT_FDCWD, "/etc/nd2", 0), 0);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/etc/nd2", LOOKUP_DIRECTORY, &p), 0);
	path_put(&p);
	/* chmod-like setattr copies up. */
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/etc/sub/x", 0, &p), 0);
	struct iattr ia = {.valid = ATTR_MODE, .mode = 0600};
	ck_assert_int_eq(vfs_setattr_d(p.dentry, &ia), 0);
	struct kstat st;
	vfs_getattr_d(p.dentry, &st);
	ck_assert_int_eq(st.mode & 07777, 0600);
	ck_assert_int_eq(st.dev, p.dentry->sb->dev);
	path_put(&p);
	ck_assert_int_eq(vt_read_file(t, "/etc/sub/x"), 0);
	ck_assert_str_eq(vt_buf, "x");
	vt_teardown(t);
}
END_TEST

/* A merged directory looks like its lower one: copy-up of a child keeps its
 * times; size is the lower's; nlink follows subdirectories in the merged
 * view. */
START_TEST(test_overlay_merged_dir_attrs)
{
	struct task *t = setup_overlay();
	struct kstat low, st;
	/* Give the lower an old mtime so a change is visible. */
	struct dentry *le = NULL;
	int err;
	le = vfs_lookup_one(lower_sb->root, "etc", &err);
	ck_assert_ptr_nonnull(le);
	struct iattr ia = {.valid = ATTR_MTIME | ATTR_ATIME, .mtime = {1000, 0}, .atime = {1000, 0}};
	ck_assert_int_eq(vfs_setattr_d(le, &ia), 0);
	ck_assert_int_eq(vfs_getattr_d(le, &low), 0);
	dput(le);
	struct file *f;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/etc/passwd", O_WRONLY, 0, &f), 0); /* copy-up */
	file_put(f);
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/etc", 0, &st), 0);
	ck_assert_int_eq(st.mtime.tv_sec, 1000);
	ck_assert_int_eq(st.size, low.size);
	ck_assert_int_eq(st.nlink, low.nlink);
	ck_assert_int_eq(low.nlink, 3);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/etc/nd", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL),
			 0);
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/etc", 0, &st), 0);
	ck_assert_int_eq(st.nlink, 4);
	ck_assert_int_ne(st.mtime.tv_sec, 1000); /* a real change */
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/etc/sub/x", false), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/etc/sub", true), 0);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/etc/nd", AT_FDCWD, "/nd", 0), 0);
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/etc", 0, &st), 0);
	ck_assert_int_eq(st.nlink, 2);
	vt_teardown(t);
}
END_TEST

START_TEST(test_overlay_exchange_and_whiteouts)
{
	struct task *t = setup_overlay();
	char buf[64];
	const unsigned EX = LINUX_RENAME_EXCHANGE;
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/etc/passwd", AT_FDCWD, "/etc/hosts", EX), 0);
	ck_assert_int_eq(vt_read_file(t, "/etc/passwd"), 0);
	ck_assert_str_eq(vt_buf, "127.0.0.1");
	ck_assert_int_eq(vt_read_file(t, "/etc/hosts"), 0);
	ck_assert_str_eq(vt_buf, "root:x:0:0");
	ck_assert_int_eq(lower_read("passwd", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "root:x:0:0");
	ck_assert_int_eq(vt_list_dir(t, "/etc"), 0);
	ck_assert_str_eq(vt_buf, ". .. passwd hosts sub/");
	/* A lower directory cannot move, not even by exchange. */
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/etc/sub", AT_FDCWD, "/etc/hosts", EX), -EXDEV);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/etc/passwd", AT_FDCWD, "/etc/none", EX),
			 -ENOENT);
	/* An upper-only file renamed over a lower name, then unlinked: the
	 * lower file must stay hidden. */
	ck_assert_int_eq(vt_write_file(t, "/new", "n"), 0);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/new", AT_FDCWD, "/etc/hosts", 0), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/etc/hosts", false), 0);
	struct path p;
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/etc/hosts", 0, &p), -ENOENT);
	ck_assert_int_eq(vt_list_dir(t, "/etc"), 0);
	ck_assert_str_eq(vt_buf, ". .. passwd sub/");
	vt_teardown(t);
}
END_TEST

/* --- synthetic fs ---------------------------------------------------------- */

static int show_hello(struct inode *i, struct seq_buf *s)
{
	seq_printf(s, "hello %lld\n", (long long)synth_i(i)->key0);
	return 0;
}

static ssize_t link_self(struct inode *i, char *buf, size_t size)
{
	const char *target = "7";
	size_t n = strlen(target) < size ? strlen(target) : size;
	memcpy(buf, target, n);
	return (ssize_t)n;
}

static const struct synth_entry pid_entries[] = {
	{.name = "status", .mode = S_IFREG | 0444, .show = show_hello},
	{.name = NULL},
};

static int pids_readdir(struct inode *dir, struct synth_dirlist *l)
{
	synth_dirlist_add(l, "7", 4, 0);
	synth_dirlist_add(l, "9", 4, 0);
	return 0;
}

static const struct synth_entry pid_dir = {.mode = S_IFDIR | 0555, .children = pid_entries};

static int pids_lookup(struct inode *dir, const char *name, struct inode **out)
{
	if (strcmp(name, "7") && strcmp(name, "9"))
		return -ENOENT;
	*out = synth_inode_new(dir->sb, &pid_dir, atoi(name), 0);
	return *out ? 0 : -ENOMEM;
}

static const struct synth_dir_ops pids_ops = {.readdir = pids_readdir, .lookup = pids_lookup};

static const struct synth_entry root_entries[] = {
	{.name = "self", .mode = S_IFLNK | 0777, .get_link = link_self},
	{.name = "hello", .mode = S_IFREG | 0444, .show = show_hello},
	{.name = NULL},
};

static const struct synth_entry synth_root = {
	.mode = S_IFDIR | 0555, .children = root_entries, .dir_ops = &pids_ops};

START_TEST(test_synth)
{
	struct task *t = vt_setup_tmpfs_root();
	struct superblock *sb = synth_sb_new("proc", 0x9fa0, SB_NOCACHE, &synth_root);
	ck_assert_int_eq(vfs_mount_at("/proc", sb, "proc", 0), 0);
	sb_put(sb);
	ck_assert_int_eq(vt_read_file(t, "/proc/hello"), 0);
	ck_assert_str_eq(vt_buf, "hello 0\n");
	ck_assert_int_eq(vt_read_file(t, "/proc/self/status"), 0);
	ck_assert_str_eq(vt_buf, "hello 7\n");
	ck_assert_int_eq(vt_read_file(t, "/proc/9/status"), 0);
	ck_assert_str_eq(vt_buf, "hello 9\n");
	struct path p;
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/proc/8", 0, &p), -ENOENT);
	ck_assert_int_eq(vt_list_dir(t, "/proc"), 0);
	ck_assert_str_eq(vt_buf, ". .. self hello 7/ 9/");
	struct kstat st;
	ck_assert_int_eq(vfs_statat(t, AT_FDCWD, "/proc", 0, &st), 0);
	ck_assert_int_eq(st.nlink, 4); /* 2 + the dynamic directories 7 and 9 */
	struct file *f;
	/* Root may open a 0444 generated file for writing; writing fails. */
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/proc/hello", O_WRONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_write(f, "x", 1), -EINVAL);
	file_put(f);
	struct task *u = vt_task_user(1000, 1000);
	ck_assert_int_eq(vfs_openat(u, AT_FDCWD, "/proc/hello", O_WRONLY, 0, &f), -EACCES);
	vt_task_free(u);
	char buf[16];
	ck_assert_int_eq(vfs_readlinkat(t, AT_FDCWD, "/proc/self", buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], '7');
	vt_teardown(t);
}
END_TEST

Suite *vfs_overlay_suite(void)
{
	Suite *s = suite_create("vfs_overlay");
	TCase *tc = tcase_create("overlay");
	tcase_add_test(tc, test_overlay_read_and_copy_up);
	tcase_add_test(tc, test_overlay_whiteouts_and_readdir);
	tcase_add_test(tc, test_overlay_rename_and_attrs);
	tcase_add_test(tc, test_overlay_merged_dir_attrs);
	tcase_add_test(tc, test_overlay_exchange_and_whiteouts);
	tcase_add_test(tc, test_synth);
	suite_add_tcase(s, tc);
	return s;
}
