/* Helpers for the VFS unit tests (test_vfs*.c): an in-process root and a
 * fake task with credentials, fd table and fs context. */
#ifndef TESTS_UNIT_VFS_TEST_UTIL_H
#define TESTS_UNIT_VFS_TEST_UTIL_H

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "vfs/vfs_impl.h"

static char vt_buf[8192];

static inline struct task *vt_task_new(void)
{
	struct task *t = calloc(1, sizeof(*t));
	ck_assert_ptr_nonnull(t);
	t->creds.cap_effective = t->creds.cap_permitted = CAP_FULL_SET;
	t->fs = fs_context_new();
	t->fdt = fdtable_new();
	ck_assert_ptr_nonnull(t->fs);
	ck_assert_ptr_nonnull(t->fdt);
	return t;
}

static inline struct task *vt_task_user(uint32_t uid, uint32_t gid)
{
	struct task *t = vt_task_new();
	t->creds.uid = t->creds.euid = t->creds.suid = t->creds.fsuid = uid;
	t->creds.gid = t->creds.egid = t->creds.sgid = t->creds.fsgid = gid;
	t->creds.cap_effective = t->creds.cap_permitted = 0;
	return t;
}

static inline void vt_task_free(struct task *t)
{
	fdtable_put(t->fdt);
	fs_context_put(t->fs);
	free(t);
}

static inline void vt_set_root(struct superblock *sb)
{
	ck_assert_ptr_nonnull(sb);
	ck_assert_int_eq(vfs_set_root(sb, "test"), 0);
	sb_put(sb);
}

static inline struct task *vt_setup_tmpfs_root(void)
{
	vt_set_root(tmpfs_new(0));
	return vt_task_new();
}

static inline void vt_teardown(struct task *t)
{
	vt_task_free(t);
}

static inline int vt_write_file(struct task *t, const char *path, const char *data)
{
	struct file *f;
	int err = vfs_openat(t, AT_FDCWD, path, O_CREAT | O_TRUNC | O_WRONLY, 0644, &f);
	if (err)
		return err;
	ssize_t n = vfs_write(f, data, strlen(data));
	file_put(f);
	return n == (ssize_t)strlen(data) ? 0 : (n < 0 ? (int)n : -EIO);
}

/* Read a whole file into vt_buf (NUL-terminated). */
static inline int vt_read_file(struct task *t, const char *path)
{
	struct file *f;
	int err = vfs_openat(t, AT_FDCWD, path, O_RDONLY, 0, &f);
	if (err)
		return err;
	size_t len = 0;
	for (;;) {
		ssize_t n = vfs_read(f, vt_buf + len, sizeof(vt_buf) - 1 - len);
		if (n < 0) {
			file_put(f);
			return (int)n;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	vt_buf[len] = '\0';
	file_put(f);
	return 0;
}

struct vt_list_ctx {
	struct dir_context ctx;
	size_t len;
	int calls;
};

static inline bool vt_list_actor(struct dir_context *ctx, const char *name, size_t len,
				 uint64_t ino, unsigned dtype, int64_t next)
{
	struct vt_list_ctx *l = (struct vt_list_ctx *)ctx;
	/* Take at most 2 entries per getdents call, to exercise resuming. */
	if (l->calls >= 2)
		return false;
	l->calls++;
	if (l->len + len + 3 >= sizeof(vt_buf))
		return false;
	if (l->len)
		vt_buf[l->len++] = ' ';
	memcpy(vt_buf + l->len, name, len);
	l->len += len;
	if (dtype == 4 /* DT_DIR */ && !(len <= 2 && name[0] == '.'))
		vt_buf[l->len++] = '/';
	vt_buf[l->len] = '\0';
	return true;
}

/* List a directory into vt_buf: "name name dir/ ...", in getdents order. */
static inline int vt_list_dir(struct task *t, const char *path)
{
	struct file *f;
	int err = vfs_openat(t, AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, &f);
	if (err)
		return err;
	struct vt_list_ctx l = {.ctx.actor = vt_list_actor};
	vt_buf[0] = '\0';
	for (int i = 0; i < 1000; i++) {
		l.calls = 0;
		err = vfs_getdents(f, &l.ctx);
		if (err || l.calls == 0)
			break;
	}
	file_put(f);
	return err;
}

#endif
