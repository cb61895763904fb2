/* VFS core: tmpfs, path resolution, mounts, fd tables, permissions. Each
 * test runs in its own forked child, so it builds its own root. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "vfs/vfs_impl.h"
#include "vfs/vfs_ops.h"
#include "vfs_test_util.h"

START_TEST(test_tmpfs_create_write_read)
{
	struct task *t = vt_setup_tmpfs_root();
	struct file *f;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/hello", O_CREAT | O_RDWR, 0644, &f), 0);
	ck_assert_int_eq(vfs_write(f, "hello world", 11), 11);
	char buf[32] = {0};
	ck_assert_int_eq(vfs_pread(f, buf, sizeof(buf), 6), 5);
	ck_assert_str_eq(buf, "world");
	struct kstat st;
	ck_assert_int_eq(vfs_fstat(f, &st), 0);
	ck_assert_int_eq(st.size, 11);
	ck_assert(S_ISREG(st.mode));
	ck_assert_int_eq(st.mode & 07777, 0644 & ~022);
	/* Sparse: truncate up reads zeros; lseek SEEK_HOLE/DATA. */
	ck_assert_int_eq(vfs_ftruncate(f, 1 << 20), 0);
	ck_assert_int_eq(vfs_pread(f, buf, 4, (1 << 20) - 4), 4);
	ck_assert_int_eq(buf[0] | buf[1] | buf[2] | buf[3], 0);
	ck_assert_int_eq(vfs_llseek(f, 0, SEEK_END), 1 << 20);
	ck_assert_int_eq(vfs_llseek(f, 5, SEEK_HOLE), 1 << 20);
	ck_assert_int_eq(vfs_llseek(f, 1 << 20, SEEK_DATA), -ENXIO);
	ck_assert_int_eq(vfs_llseek(f, -1, SEEK_SET), -EINVAL);
	file_put(f);
	/* O_EXCL on existing, EISDIR on writing a dir, O_DIRECTORY on a file. */
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/hello", O_CREAT | O_EXCL | O_RDWR, 0644, &f),
			 -EEXIST);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/", O_WRONLY, 0, &f), -EISDIR);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/hello", O_RDONLY | O_DIRECTORY, 0, &f),
			 -ENOTDIR);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/nope", O_RDONLY, 0, &f), -ENOENT);
	/* O_TRUNC empties it. */
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/hello", O_WRONLY | O_TRUNC, 0, &f), 0);
	ck_assert_int_eq(vfs_fstat(f, &st), 0);
	ck_assert_int_eq(st.size, 0);
	/* Reading a write-only file is EBADF. */
	ck_assert_int_eq(vfs_read(f, buf, 1), -EBADF);
	file_put(f);
	vt_teardown(t);
}
END_TEST

START_TEST(test_append)
{
	struct task *t = vt_setup_tmpfs_root();
	struct file *f, *g;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/log", O_CREAT | O_WRONLY, 0600, &f), 0);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/log", O_WRONLY | O_APPEND, 0, &g), 0);
	ck_assert_int_eq(vfs_write(f, "aaaa", 4), 4);
	ck_assert_int_eq(vfs_write(g, "bb", 2), 2);
	ck_assert_int_eq(vt_read_file(t, "/log"), 0);
	ck_assert_str_eq(vt_buf, "aaaabb");
	file_put(f);
	file_put(g);
	vt_teardown(t);
}
END_TEST

START_TEST(test_path_resolution)
{
	struct task *t = vt_setup_tmpfs_root();
	struct path p;
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/a", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL), 0);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/a/b", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL),
			 0);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/a", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL),
			 -EEXIST);
	ck_assert_int_eq(vt_write_file(t, "/a/b/f", "x"), 0);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/l1", VFS_MK_LNK, 0, 0, "/l2"), 0);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/l2", VFS_MK_LNK, 0, 0, "/l1"), 0);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/a/lb", VFS_MK_LNK, 0, 0, "b"), 0);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/dangle", VFS_MK_LNK, 0, 0, "/nowhere"), 0);

	/* Loops and limits. */
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/l1", LOOKUP_FOLLOW, &p), -ELOOP);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/l1/x", 0, &p), -ELOOP);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/l1", 0, &p), 0); /* nofollow */
	ck_assert(S_ISLNK(p.dentry->inode->mode));
	path_put(&p);
	/* Relative symlink inside a dir; trailing slash on a file. */
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/a/lb/f", LOOKUP_FOLLOW, &p), 0);
	ck_assert(S_ISREG(p.dentry->inode->mode));
	path_put(&p);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/a/b/f/", LOOKUP_FOLLOW, &p), -ENOTDIR);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/a/b/f/x", LOOKUP_FOLLOW, &p), -ENOTDIR);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/a/lb/", 0, &p), 0); /* slash follows */
	ck_assert(S_ISDIR(p.dentry->inode->mode));
	path_put(&p);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/dangle", LOOKUP_FOLLOW, &p), -ENOENT);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "", LOOKUP_FOLLOW, &p), -ENOENT);

	/* NAME_MAX and PATH_MAX. */
	char name[300];
	memset(name, 'n', 257); /* "/" + 256 chars */
	name[0] = '/';
	name[257] = '\0';
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, name, 0, &p), -ENAMETOOLONG);
	char *longp = malloc(5000);
	for (int i = 0; i < 4999; i++)
		longp[i] = (i % 2) ? '/' : '.';
	longp[4999] = '\0';
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, longp, 0, &p), -ENAMETOOLONG);
	free(longp);

	/* ".." never climbs above the root. */
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/../../a/../..", 0, &p), 0);
	ck_assert_ptr_eq(p.dentry, vfs_root_mount->root);
	path_put(&p);

	/* Relative to cwd and to a dirfd. */
	ck_assert_int_eq(fs_context_chdir(t, "/a"), 0);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "b/f", 0, &p), 0);
	path_put(&p);
	struct file *d;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/a/b", O_RDONLY | O_DIRECTORY, 0, &d), 0);
	int dfd = fd_install(t->fdt, d, false, 0);
	ck_assert_int_ge(dfd, 0);
	ck_assert_int_eq(vfs_path_lookup(t, dfd, "f", 0, &p), 0);
	path_put(&p);
	ck_assert_int_eq(vfs_path_lookup(t, dfd, "", LOOKUP_EMPTY, &p), 0);
	ck_assert_ptr_eq(p.dentry, d->path.dentry);
	path_put(&p);
	ck_assert_int_eq(vfs_path_lookup(t, 99, "f", 0, &p), -EBADF);
	file_put(d);
	vt_teardown(t);
}
END_TEST

START_TEST(test_unlink_rename)
{
	struct task *t = vt_setup_tmpfs_root();
	struct path p;
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/d", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL), 0);
	ck_assert_int_eq(vt_write_file(t, "/d/f", "data"), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/d", true), -ENOTEMPTY);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/d", false), -EISDIR);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/d/f", true), -ENOTDIR);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/d/f", AT_FDCWD, "/g", 0), 0);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/d/f", 0, &p), -ENOENT);
	ck_assert_int_eq(vt_read_file(t, "/g"), 0);
	ck_assert_str_eq(vt_buf, "data");
	/* A dir into its own subtree; a dir over a file; NOREPLACE. */
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/d/sub", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL),
			 0);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/d", AT_FDCWD, "/d/sub/x", 0), -EINVAL);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/d", AT_FDCWD, "/g", 0), -ENOTDIR);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/g", AT_FDCWD, "/d", 0), -EISDIR);
	ck_assert_int_eq(vt_write_file(t, "/h", "hh"), 0);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/g", AT_FDCWD, "/h", 1 /*NOREPLACE*/), -EEXIST);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/g", AT_FDCWD, "/h", 0), 0);
	ck_assert_int_eq(vt_read_file(t, "/h"), 0);
	ck_assert_str_eq(vt_buf, "data");
	/* An open file survives unlink. */
	struct file *f;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/h", O_RDONLY, 0, &f), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/h", false), 0);
	char buf[8] = {0};
	ck_assert_int_eq(vfs_read(f, buf, 8), 4);
	char pbuf[64];
	ck_assert_int_gt(file_path(f, pbuf, sizeof(pbuf)), 0);
	ck_assert_str_eq(pbuf, "/h (deleted)");
	file_put(f);
	/* Renaming a directory moves its subtree. */
	ck_assert_int_eq(vt_write_file(t, "/d/sub/z", "z"), 0);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/d", AT_FDCWD, "/e", 0), 0);
	ck_assert_int_eq(vt_read_file(t, "/e/sub/z"), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/e/sub/z", false), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/e/sub", true), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/e", true), 0);
	/* Hard links share the inode. */
	ck_assert_int_eq(vt_write_file(t, "/x", "x"), 0);
	ck_assert_int_eq(vfs_linkat(t, AT_FDCWD, "/x", AT_FDCWD, "/y", 0), 0);
	struct kstat st;
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/y", 0, &p), 0);
	vfs_getattr_d(p.dentry, &st);
	ck_assert_int_eq(st.nlink, 2);
	path_put(&p);
	vt_teardown(t);
}
END_TEST

START_TEST(test_mounts)
{
	struct task *t = vt_setup_tmpfs_root();
	struct superblock *sb = tmpfs_new(0);
	ck_assert_int_eq(vfs_mount_at("/mnt/inner", sb, "tmpfs", 0), 0); /* creates the dirs */
	sb_put(sb);
	ck_assert_int_eq(vt_write_file(t, "/mnt/inner/f", "m"), 0);
	struct path p, q;
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/mnt/inner/f", 0, &p), 0);
	ck_assert_ptr_eq(p.dentry->sb, p.mnt->sb);
	ck_assert_ptr_ne(p.mnt, vfs_root_mount);
	char buf[256];
	bool unreach;
	struct path root = {vfs_root_mount, vfs_root_mount->root};
	ck_assert_int_eq(vfs_path_string(&p, &root, buf, sizeof(buf), &unreach), 12);
	ck_assert_str_eq(buf, "/mnt/inner/f");
	ck_assert(!unreach);
	path_put(&p);
	/* ".." from the mount root goes back out to the parent mount. */
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/mnt/inner/..", 0, &p), 0);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/mnt", 0, &q), 0);
	ck_assert(p.mnt == q.mnt && p.dentry == q.dentry);
	path_put(&p);
	path_put(&q);
	/* A mountpoint cannot be removed or renamed; cross-mount rename EXDEV. */
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/mnt/inner", true), -EBUSY);
	ck_assert_int_eq(vfs_renameat(t, AT_FDCWD, "/mnt/inner/f", AT_FDCWD, "/f", 0), -EXDEV);
	/* getcwd-style path of a cwd outside the root is unreachable. */
	ck_assert_int_eq(fs_context_chdir(t, "/mnt/inner"), 0);
	struct path cwd;
	fs_context_cwd(t->fs, &cwd);
	ck_assert_int_eq(vfs_path_string(&cwd, &root, buf, sizeof(buf), &unreach), 10);
	ck_assert_str_eq(buf, "/mnt/inner");
	struct path sub = {cwd.mnt, cwd.dentry};
	ck_assert_int_gt(vfs_path_string(&root, &sub, buf, sizeof(buf), &unreach), 0);
	ck_assert(unreach);
	ck_assert_int_eq(vfs_path_string(&cwd, &root, buf, 5, &unreach), -ENAMETOOLONG);
	path_put(&cwd);
	vt_teardown(t);
}
END_TEST

START_TEST(test_permissions)
{
	struct task *t = vt_setup_tmpfs_root();
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/priv", VFS_MK_DIR, S_IFDIR | 0700, 0, NULL),
			 0);
	ck_assert_int_eq(vt_write_file(t, "/priv/secret", "s"), 0);
	ck_assert_int_eq(vt_write_file(t, "/noexec", "#!"), 0);
	struct task *u = vt_task_user(1000, 1000);
	struct path p;
	struct file *f;
	ck_assert_int_eq(vfs_path_lookup(u, AT_FDCWD, "/priv/secret", 0, &p), -EACCES);
	ck_assert_int_eq(vfs_openat(u, AT_FDCWD, "/priv/new", O_CREAT | O_WRONLY, 0600, &f),
			 -EACCES);
	ck_assert_int_eq(vfs_faccessat(u, AT_FDCWD, "/noexec", R_OK, 0), 0);
	ck_assert_int_eq(vfs_faccessat(u, AT_FDCWD, "/noexec", W_OK, 0), -EACCES);
	ck_assert_int_eq(vfs_openat(u, AT_FDCWD, "/noexec", O_WRONLY, 0, &f), -EACCES);
	/* Root bypasses with CAP_DAC_OVERRIDE, but exec needs an x bit. */
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/priv/secret", 0, &p), 0);
	path_put(&p);
	ck_assert_int_eq(vfs_open_exec(t, "/noexec", &f), -EACCES);
	ck_assert_int_eq(vfs_open_exec(t, "/priv", &f), -EACCES);
	/* The sticky /tmp-like root: user files in a 1777 dir. */
	ck_assert_int_eq(vfs_openat(u, AT_FDCWD, "/mine", O_CREAT | O_WRONLY, 0644, &f), 0);
	file_put(f);
	struct kstat st;
	ck_assert_int_eq(vfs_path_lookup(u, AT_FDCWD, "/mine", 0, &p), 0);
	vfs_getattr_d(p.dentry, &st);
	ck_assert_int_eq(st.uid, 1000);
	path_put(&p);
	ck_assert_int_eq(vfs_unlinkat(u, AT_FDCWD, "/noexec", false), -EPERM); /* sticky */
	ck_assert_int_eq(vfs_unlinkat(u, AT_FDCWD, "/mine", false), 0);
	vt_task_free(u);
	vt_teardown(t);
}
END_TEST

START_TEST(test_fdtable)
{
	struct task *t = vt_setup_tmpfs_root();
	struct file *f;
	ck_assert_int_eq(vt_write_file(t, "/f", "x"), 0);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/f", O_RDONLY, 0, &f), 0);
	ck_assert_int_eq(fd_install(t->fdt, f, false, 0), 0);
	ck_assert_int_eq(fd_install(t->fdt, f, true, 0), 1);
	ck_assert_int_eq(fd_install(t->fdt, f, false, 100), 100); /* grows */
	ck_assert_int_eq(fd_get_cloexec(t->fdt, 1), 1);
	ck_assert_int_eq(fd_close(t->fdt, 0), 0);
	ck_assert_int_eq(fd_close(t->fdt, 0), -EBADF);
	ck_assert_int_eq(fd_install(t->fdt, f, false, 0), 0); /* lowest free */
	ck_assert_int_eq(fd_install_at(t->fdt, 5, f, false, 1024), 5);
	ck_assert_int_eq(fd_install_at(t->fdt, 2000, f, false, 1024), -EBADF);
	struct fdtable *copy = fdtable_dup(t->fdt);
	struct file *c100 = fd_get(copy, 100);
	ck_assert_ptr_eq(c100, f);
	file_put(c100);
	fdtable_close_on_exec(t->fdt);
	ck_assert_ptr_null(fd_get(t->fdt, 1));
	struct file *g = fd_get(copy, 1);
	ck_assert_ptr_nonnull(g); /* the copy keeps its own */
	file_put(g);
	fdtable_put(copy);
	/* RLIMIT_NOFILE caps fd numbers. */
	struct thread_group tg = {0};
	tg.rlimits[7].cur = 4;
	t->tg = &tg;
	ck_assert_int_eq(task_nofile(t), 4);
	tg.rlimits[7].cur = 0;
	ck_assert_int_eq(task_nofile(t), 1048576);
	t->tg = NULL;
	ck_assert_int_eq(atomic_load(&f->refs), 4); /* ours + fds 0, 5, 100 */
	file_put(f);
	vt_teardown(t);
}
END_TEST

START_TEST(test_getdents)
{
	struct task *t = vt_setup_tmpfs_root();
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/d", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL), 0);
	ck_assert_int_eq(vt_write_file(t, "/d/a", "1"), 0);
	ck_assert_int_eq(vt_write_file(t, "/d/b", "2"), 0);
	ck_assert_int_eq(vfs_mknodat_kind(t, AT_FDCWD, "/d/c", VFS_MK_DIR, S_IFDIR | 0755, 0, NULL),
			 0);
	ck_assert_int_eq(vt_list_dir(t, "/d"), 0);
	ck_assert_str_eq(vt_buf, ". .. a b c/");
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/d/a", false), 0);
	ck_assert_int_eq(vt_list_dir(t, "/d"), 0);
	ck_assert_str_eq(vt_buf, ". .. b c/");
	vt_teardown(t);
}
END_TEST

Suite *vfs_suite(void)
{
	Suite *s = suite_create("vfs");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_tmpfs_create_write_read);
	tcase_add_test(tc, test_append);
	tcase_add_test(tc, test_path_resolution);
	tcase_add_test(tc, test_unlink_rename);
	tcase_add_test(tc, test_mounts);
	tcase_add_test(tc, test_permissions);
	tcase_add_test(tc, test_fdtable);
	tcase_add_test(tc, test_getdents);
	suite_add_tcase(s, tc);
	return s;
}
