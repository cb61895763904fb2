/* goferfs and the default overlay over the real gofer: a host tree made by
 * gofer_test_make_tree, served read-only, written through a tmpfs upper. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs/gofer_client.h"
#include "kernel/task.h"
#include "test_gofer.h"
#include "vfs/vfs_impl.h"
#include "vfs/vfs_ops.h"
#include "vfs_test_util.h"

#ifdef GOFER_PATH
static char dir[256];
static pid_t gpid;
static struct gofer_client *gc;

static struct task *setup(bool overlay)
{
	char err[256] = "";
	gofer_test_make_tree(dir, sizeof(dir));
	gc = gofer_spawn(GOFER_PATH, dir, false, &gpid, err, sizeof(err));
	ck_assert_msg(gc != NULL, "gofer_spawn: %s", err);
	int e;
	struct superblock *g = goferfs_new(gc, false, &e);
	ck_assert_msg(g != NULL, "goferfs_new: %d", e);
	if (overlay) {
		struct superblock *up = tmpfs_new(0);
		struct superblock *o = overlay_new(g->root, up->root);
		sb_put(up);
		sb_put(g);
		g = o;
	}
	vt_set_root(g);
	return vt_task_new();
}

static void teardown(struct task *t)
{
	vt_task_free(t);
	gofer_test_remove_tree(dir);
	/* The sandbox's fids keep the gofer alive; kill it (the test's child
	 * exits right after). */
	kill(gpid, SIGKILL);
	waitpid(gpid, NULL, 0);
}

START_TEST(test_goferfs_read_only)
{
	struct task *t = setup(false);
	ck_assert_int_eq(vt_read_file(t, "/hello"), 0);
	ck_assert_str_eq(vt_buf, "hello world\n");
	ck_assert_int_eq(vt_read_file(t, "/sub/inner"), 0);
	ck_assert_str_eq(vt_buf, "inner\n");
	/* Symlinks resolve inside the sandbox: ../../.. stays at the root. */
	struct path p, root;
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/up/sub", LOOKUP_FOLLOW, &p), 0);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/sub", 0, &root), 0);
	ck_assert_ptr_eq(p.dentry, root.dentry);
	path_put(&p);
	path_put(&root);
	/* dev is the sandbox's, ino the host's. */
	struct stat hs;
	char hp[300];
	snprintf(hp, sizeof(hp), "%s/hello", dir);
	ck_assert_int_eq(stat(hp, &hs), 0);
	ck_assert_int_eq(vfs_path_lookup(t, AT_FDCWD, "/hello", 0, &p), 0);
	struct kstat st;
	ck_assert_int_eq(vfs_getattr_d(p.dentry, &st), 0);
	ck_assert_int_eq(st.ino, hs.st_ino);
	ck_assert_int_ne(st.dev, hs.st_dev);
	ck_assert_int_eq(st.size, 12);
	path_put(&p);
	struct file *f;
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/hello", O_WRONLY, 0, &f), -EROFS);
	ck_assert_int_eq(vfs_openat(t, AT_FDCWD, "/new", O_CREAT | O_WRONLY, 0644, &f), -EROFS);
	ck_assert_int_eq(vt_list_dir(t, "/sub"), 0);
	ck_assert_ptr_nonnull(strstr(vt_buf, "inner"));
	/* A big directory lists completely across many getdents calls. */
	ck_assert_int_eq(vt_list_dir(t, "/many"), 0);
	int n = 0;
	for (char *s = vt_buf; (s = strstr(s, "file-")); s++)
		n++;
	ck_assert_int_gt(n, 10);
	teardown(t);
}
END_TEST

START_TEST(test_overlay_on_gofer)
{
	struct task *t = setup(true);
	ck_assert_int_eq(vt_write_file(t, "/hello", "changed"), 0);
	ck_assert_int_eq(vt_read_file(t, "/hello"), 0);
	ck_assert_str_eq(vt_buf, "changed");
	/* The host file is untouched. */
	char hp[300], buf[64] = {0};
	snprintf(hp, sizeof(hp), "%s/hello", dir);
	int fd = open(hp, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(read(fd, buf, sizeof(buf)), 12);
	close(fd);
	ck_assert_str_eq(buf, "hello world\n");
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/sub/inner", false), 0);
	ck_assert_int_eq(vfs_unlinkat(t, AT_FDCWD, "/sub", true), 0);
	snprintf(hp, sizeof(hp), "%s/sub/inner", dir);
	ck_assert_int_eq(access(hp, F_OK), 0);
	ck_assert_int_eq(vt_list_dir(t, "/"), 0);
	ck_assert_ptr_null(strstr(vt_buf, "sub"));
	ck_assert_ptr_nonnull(strstr(vt_buf, "hello"));
	teardown(t);
}
END_TEST
#endif

Suite *vfs_gofer_suite(void)
{
	Suite *s = suite_create("vfs_gofer");
	TCase *tc = tcase_create("goferfs");
	tcase_set_timeout(tc, 20);
#ifdef GOFER_PATH
	tcase_add_test(tc, test_goferfs_read_only);
	tcase_add_test(tc, test_overlay_on_gofer);
#endif
	suite_add_tcase(s, tc);
	return s;
}
