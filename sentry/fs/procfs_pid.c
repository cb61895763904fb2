/*
 * /proc/PID and /proc/PID/task/TID: one directory per thread group (and a
 * hidden one per thread), generated from the kernel's task tables.
 *
 * Inode keys: key0 = tgid; key1 low 32 bits = tid (0 = the thread-group
 * view, shown by the leader or, once it has exited, the first live thread);
 * key1 high 32 bits = the fd number for /proc/PID/fd/N links.
 *
 * Nothing is cached: every read looks the process up again under
 * kernel.lock, so a file of a process that has gone fails with ESRCH/ENOENT.
 * Objects used after kernel.lock is dropped (mm, fd table, fs context) are
 * referenced while it is held. Application memory is read (cmdline, environ)
 * without kernel.lock, as the kernel's lock rules require.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs/procfs.h"
#include "fs/tty.h"
#include "kernel/kernel.h"
#include "kernel/task.h"
#include "mm/mm.h"
#include "vfs/vfs_impl.h"

/* Largest argv/environment area read for cmdline/environ. */
#define PROCFS_ARGS_MAX (PBUF_MAX / 2)

static int key_tgid(struct inode *inode)
{
	return (int)synth_i(inode)->key0;
}

static int key_tid(struct inode *inode)
{
	return (int)(synth_i(inode)->key1 & 0xffffffff);
}

static int key_fd(struct inode *inode)
{
	return (int)((uint64_t)synth_i(inode)->key1 >> 32);
}

/* Parse a decimal name ("0" or no leading zero, no sign); -1 if not one. */
static long parse_num(const char *name, long max)
{
	long v = 0;
	if (!name[0] || (name[0] == '0' && name[1]))
		return -1;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* The task an inode describes; kernel.lock held. For the thread-group view
 * a zombie group is described by its (exited) leader. */
static struct task *find_task_locked(int tgid, int tid, struct thread_group **tgp)
{
	struct thread_group *tg = tg_lookup(tgid);
	struct task *t = NULL;

	if (!tg)
		return NULL;
	if (tid) {
		t = task_lookup(tid);
		if (!t || t->tg != tg)
			return NULL;
	} else {
		for (struct task *x = tg->leader; x; x = x->next_in_tg) {
			if (!x->exited) {
				t = x;
				break;
			}
		}
		if (!t)
			t = tg->leader;
	}
	if (tgp)
		*tgp = tg;
	return t;
}

static struct task *inode_task_locked(struct inode *inode, struct thread_group **tgp)
{
	return find_task_locked(key_tgid(inode), key_tid(inode), tgp);
}

struct task *procfs_inode_task_locked(struct inode *inode, struct thread_group **tgp)
{
	return inode_task_locked(inode, tgp);
}

/* --- snapshots and referenced objects ------------------------------------ */

static int take_snap(struct inode *inode, struct procfs_task_snap *s)
{
	struct thread_group *tg;
	struct task *t;

	memset(s, 0, sizeof(*s));
	pthread_mutex_lock(&kernel.lock);
	t = inode_task_locked(inode, &tg);
	if (!t) {
		pthread_mutex_unlock(&kernel.lock);
		return -ESRCH;
	}
	s->tgid = tg->tgid;
	s->tid = key_tid(inode) ? key_tid(inode) : tg->tgid;
	s->ppid = tg->parent ? tg->parent->tgid : 0;
	s->pgid = tg->pgid;
	s->sid = tg->sid;
	s->nr_threads = tg->nr_threads;
	s->tty_nr = tty_nr_locked(tg);
	s->tpgid = -1;
	struct tty *ctty = tty_ctty_locked(tg);
	if (ctty) {
		if (ctty->pgrp > 0)
			s->tpgid = ctty->pgrp;
		tty_put(ctty);
	}
	memcpy(s->comm, t->comm, sizeof(s->comm));
	s->comm[sizeof(s->comm) - 1] = '\0';
	struct task *cur = task_current();
	if (tg->zombie)
		s->state = 'Z';
	else if (tg->stopped)
		s->state = 'T';
	else if (t == cur || (cur && !key_tid(inode) && cur->tg == tg))
		s->state = 'R'; /* the reader itself is running */
	else
		s->state = 'S';
	s->creds = t->creds;
	s->umask = -1;
	if (t->fs) {
		pthread_mutex_lock(&t->fs->lock);
		s->umask = (int)(t->fs->umask & 0777);
		pthread_mutex_unlock(&t->fs->lock);
	}
	if (t->fdt) {
		pthread_mutex_lock(&t->fdt->lock);
		s->fdsize = t->fdt->size;
		pthread_mutex_unlock(&t->fdt->lock);
	}
	struct mm *rss_mm = NULL;
	if (t->mm && !t->exited) {
		/* RSS is sampled by the mm's own tasks: ask now, collect below
		 * without kernel.lock (rss.c). */
		rss_mm = t->mm;
		mm_get(rss_mm);
		mm_rss_request(rss_mm, t);
		mm_get_args(t->mm, &s->arg_start, &s->arg_end, &s->env_start, &s->env_end);
	}
	s->sig_pending = t->pending;
	s->sig_shared = tg->shared_pending;
	s->sig_blocked = t->sigmask;
	for (int sig = 1; sig < KERNEL_NSIG; sig++) {
		uint64_t h = tg->sigactions[sig].handler;
		if (h == (uint64_t)(uintptr_t)SIG_IGN)
			s->sig_ignored |= 1ULL << (sig - 1);
		else if (h != (uint64_t)(uintptr_t)SIG_DFL)
			s->sig_caught |= 1ULL << (sig - 1);
	}
	for (int i = 0; i < 16; i++) {
		s->rlim_cur[i] = tg->rlimits[i].cur;
		s->rlim_max[i] = tg->rlimits[i].max;
	}
	s->exit_code = tg->zombie ? tg->exit_code : 0;
	pthread_mutex_unlock(&kernel.lock);
	if (rss_mm) {
		struct mm_rss_info ri;
		mm_rss_get(rss_mm, &ri);
		mm_put(rss_mm);
		s->vsize = ri.vsize;
		s->rss = ri.rss;
		s->rss_anon = ri.anon;
		s->rss_file = ri.file;
		s->rss_shmem = ri.shmem;
		s->rss_hwm = ri.hwm;
	}
	s->ncpus = procfs_host.ncpus;
	return 0;
}

static struct mm *get_task_mm(struct inode *inode)
{
	struct mm *mm = NULL;

	pthread_mutex_lock(&kernel.lock);
	struct task *t = inode_task_locked(inode, NULL);
	if (t && !t->exited && t->mm) {
		mm = t->mm;
		mm_get(mm);
	}
	pthread_mutex_unlock(&kernel.lock);
	return mm;
}

static struct fdtable *get_task_fdt(struct inode *inode)
{
	struct fdtable *fdt = NULL;

	pthread_mutex_lock(&kernel.lock);
	struct task *t = inode_task_locked(inode, NULL);
	if (t && !t->exited && t->fdt) {
		fdt = t->fdt;
		fdtable_get(fdt);
	}
	pthread_mutex_unlock(&kernel.lock);
	return fdt;
}

static struct fs_context *get_task_fs(struct inode *inode)
{
	struct fs_context *fs = NULL;

	pthread_mutex_lock(&kernel.lock);
	struct task *t = inode_task_locked(inode, NULL);
	if (t && !t->exited && t->fs) {
		fs = t->fs;
		fs_context_get(fs);
	}
	pthread_mutex_unlock(&kernel.lock);
	return fs;
}

/* Owner of /proc/PID files: the task's effective ids, as in Linux. */
static void pid_fill_attr(struct inode *inode)
{
	pthread_mutex_lock(&kernel.lock);
	struct task *t = inode_task_locked(inode, NULL);
	if (t)
		procfs_task_owner_locked(t, inode->mode, &inode->uid, &inode->gid);
	pthread_mutex_unlock(&kernel.lock);
}

/* --- regular files -------------------------------------------------------- */

typedef void (*snap_renderer)(struct pbuf *b, const struct procfs_task_snap *s);

static int show_snap(struct inode *inode, struct seq_buf *sb, snap_renderer fn)
{
	struct procfs_task_snap snap;
	struct pbuf b;
	int r = take_snap(inode, &snap);

	if (r < 0)
		return r;
	pbuf_init(&b);
	fn(&b, &snap);
	return procfs_pbuf_to_seq(&b, sb);
}

static int show_status(struct inode *inode, struct seq_buf *s)
{
	return show_snap(inode, s, procfs_render_status);
}

static int show_stat(struct inode *inode, struct seq_buf *s)
{
	return show_snap(inode, s, procfs_render_stat);
}

static int show_statm(struct inode *inode, struct seq_buf *s)
{
	return show_snap(inode, s, procfs_render_statm);
}

static int show_limits(struct inode *inode, struct seq_buf *s)
{
	return show_snap(inode, s, procfs_render_limits);
}

static void render_comm(struct pbuf *b, const struct procfs_task_snap *s)
{
	pbuf_printf(b, "%s\n", s->comm);
}

static int show_comm(struct inode *inode, struct seq_buf *s)
{
	return show_snap(inode, s, render_comm);
}

/* Writing comm renames the thread; only threads of the caller's own process
 * may be renamed (Linux: -EINVAL otherwise). */
static ssize_t store_comm(struct inode *inode, const char *buf, size_t n)
{
	struct task *cur = task_current();
	char name[TASK_COMM_LEN];
	size_t len = n < TASK_COMM_LEN - 1 ? n : TASK_COMM_LEN - 1;
	ssize_t r = (ssize_t)n;

	memset(name, 0, sizeof(name));
	memcpy(name, buf, len);
	name[strcspn(name, "\n")] = '\0';
	pthread_mutex_lock(&kernel.lock);
	struct task *t = inode_task_locked(inode, NULL);
	if (!t || t->exited)
		r = -ESRCH;
	else if (!cur || cur->tg != t->tg)
		r = -EINVAL;
	else
		memcpy(t->comm, name, sizeof(t->comm));
	pthread_mutex_unlock(&kernel.lock);
	return r;
}

static int show_maps(struct inode *inode, struct seq_buf *s)
{
	struct mm *mm = get_task_mm(inode);
	size_t len = 0;

	if (!mm)
		return 0; /* zombies and exited threads: empty, as in Linux */
	char *text = mm_render_maps(mm, &len);
	mm_put(mm);
	if (!text)
		return -ENOMEM;
	seq_write(s, text, len);
	free(text);
	return 0;
}

static int show_smaps(struct inode *inode, struct seq_buf *s)
{
	struct mm *mm = NULL;
	struct mm_rss_info ri;
	size_t len = 0;

	/* A fresh residency sample first (rss.c), for the Rss lines. */
	pthread_mutex_lock(&kernel.lock);
	struct task *t = inode_task_locked(inode, NULL);
	if (t && !t->exited && t->mm) {
		mm = t->mm;
		mm_get(mm);
		mm_rss_request(mm, t);
	}
	pthread_mutex_unlock(&kernel.lock);
	if (!mm)
		return 0;
	mm_rss_get(mm, &ri);
	char *text = mm_render_smaps(mm, &len);
	mm_put(mm);
	if (!text)
		return -ENOMEM;
	seq_write(s, text, len);
	free(text);
	return 0;
}

/* The sandbox has no way to sleep in a kernel function a user could name. */
static int show_wchan(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	seq_putc(s, '0');
	return 0;
}

/* Read [start, end) of mm into a malloc'd buffer (*len = bytes readable
 * before the first fault). */
static char *read_area(struct mm *mm, uint64_t start, uint64_t end, size_t *len)
{
	*len = 0;
	if (end <= start)
		return NULL;
	size_t n = end - start > PROCFS_ARGS_MAX ? PROCFS_ARGS_MAX : (size_t)(end - start);
	char *p = malloc(n);
	if (!p)
		return NULL;
	ssize_t got = mm_read_partial(mm, p, start, n);
	if (got <= 0) {
		free(p);
		return NULL;
	}
	*len = (size_t)got;
	return p;
}

static int show_cmdline(struct inode *inode, struct seq_buf *s)
{
	uint64_t as, ae, es, ee;
	size_t alen, elen = 0;
	struct pbuf b;
	struct mm *mm = get_task_mm(inode);

	if (!mm)
		return 0;
	mm_get_args(mm, &as, &ae, &es, &ee);
	char *args = read_area(mm, as, ae, &alen);
	char *env = NULL;
	if (args && alen && args[alen - 1] != '\0')
		env = read_area(mm, es, ee, &elen);
	mm_put(mm);
	pbuf_init(&b);
	if (args)
		procfs_render_cmdline(&b, args, alen, env, elen);
	free(args);
	free(env);
	return procfs_pbuf_to_seq(&b, s);
}

static int show_environ(struct inode *inode, struct seq_buf *s)
{
	uint64_t as, ae, es, ee;
	size_t len;
	struct mm *mm = get_task_mm(inode);

	if (!mm)
		return 0;
	mm_get_args(mm, &as, &ae, &es, &ee);
	char *env = read_area(mm, es, ee, &len);
	mm_put(mm);
	if (env)
		seq_write(s, env, len);
	free(env);
	return 0;
}

static int show_mounts(struct inode *inode, struct seq_buf *s)
{
	struct pbuf b;
	pbuf_init(&b);
	int r = procfs_render_task_mounts(&b, 0, get_task_fs(inode));
	if (r < 0) {
		pbuf_free(&b);
		return r;
	}
	return procfs_pbuf_to_seq(&b, s);
}

static int show_mountinfo(struct inode *inode, struct seq_buf *s)
{
	struct pbuf b;
	pbuf_init(&b);
	int r = procfs_render_task_mounts(&b, 1, get_task_fs(inode));
	if (r < 0) {
		pbuf_free(&b);
		return r;
	}
	return procfs_pbuf_to_seq(&b, s);
}

static int show_cgroup(struct inode *inode, struct seq_buf *s)
{
	seq_printf(s, "0::/\n");
	return 0;
}

static int show_oom_score_adj(struct inode *inode, struct seq_buf *s)
{
	seq_printf(s, "0\n");
	return 0;
}

/* --- symlinks ------------------------------------------------------------- */

static ssize_t exe_link(struct inode *inode, char *buf, size_t size)
{
	char path[sizeof(((struct thread_group *)0)->exe_path)];
	struct thread_group *tg;

	path[0] = '\0';
	pthread_mutex_lock(&kernel.lock);
	struct task *t = inode_task_locked(inode, &tg);
	if (t && !tg->zombie)
		memcpy(path, tg->exe_path, sizeof(path));
	pthread_mutex_unlock(&kernel.lock);
	path[sizeof(path) - 1] = '\0';
	if (!path[0])
		return -ENOENT;
	return procfs_copy_link(buf, size, path);
}

/* cwd or root of the task, as a path seen from the reader's root. */
static ssize_t fs_link(struct inode *inode, char *buf, size_t size, bool cwd)
{
	struct fs_context *fs = get_task_fs(inode);
	struct task *cur = task_current();
	struct path p, root;
	bool unreachable = false;
	char *path;
	ssize_t r;

	if (!fs)
		return -ENOENT;
	if (cwd)
		fs_context_cwd(fs, &p);
	else
		fs_context_root(fs, &p);
	if (cur && cur->fs)
		fs_context_root(cur->fs, &root);
	else
		fs_context_root(fs, &root);
	fs_context_put(fs);
	path = malloc(VFS_PATH_MAX);
	if (!path) {
		r = -ENOMEM;
		goto out;
	}
	r = vfs_path_string(&p, &root, path, VFS_PATH_MAX, &unreachable);
	if (r >= 0) {
		if (unreachable) {
			char *full = malloc(VFS_PATH_MAX + 16);
			if (!full) {
				r = -ENOMEM;
				goto out_path;
			}
			snprintf(full, VFS_PATH_MAX + 16, "(unreachable)%s", path);
			r = procfs_copy_link(buf, size, full);
			free(full);
		} else {
			r = procfs_copy_link(buf, size, path);
		}
	}
out_path:
	free(path);
out:
	path_put(&p);
	path_put(&root);
	return r;
}

static ssize_t cwd_link(struct inode *inode, char *buf, size_t size)
{
	return fs_link(inode, buf, size, true);
}

static ssize_t root_link(struct inode *inode, char *buf, size_t size)
{
	return fs_link(inode, buf, size, false);
}

static ssize_t fd_link(struct inode *inode, char *buf, size_t size)
{
	struct fdtable *fdt = get_task_fdt(inode);
	char path[VFS_PATH_MAX];
	ssize_t r;

	if (!fdt)
		return -ENOENT;
	struct file *f = fd_get(fdt, key_fd(inode));
	fdtable_put(fdt);
	if (!f)
		return -ENOENT;
	r = file_path(f, path, sizeof(path));
	file_put(f);
	if (r < 0)
		return r;
	path[sizeof(path) - 1] = '\0';
	return procfs_copy_link(buf, size, path);
}

/*
 * Magic links: what the path walk follows (vfs_impl.h get_path). Like
 * Linux's proc_fd_link / proc_cwd_link, they give the object itself, not a
 * re-resolution of the text readlink shows: the open file (its path, or the
 * file when it has none: pipes, host descriptors), the task's cwd or root.
 */
static int fd_get_path(struct inode *inode, struct path *out, struct file **filep)
{
	struct fdtable *fdt = get_task_fdt(inode);
	if (!fdt)
		return -ENOENT;
	struct file *f = fd_get(fdt, key_fd(inode));
	fdtable_put(fdt);
	if (!f)
		return -ENOENT;
	if (f->path.dentry) {
		*out = f->path;
		path_get(out);
		file_put(f);
	} else {
		*filep = f;
	}
	return 0;
}

static int fs_get_path(struct inode *inode, struct path *out, bool cwd)
{
	struct fs_context *fs = get_task_fs(inode);
	if (!fs)
		return -ENOENT;
	if (cwd)
		fs_context_cwd(fs, out);
	else
		fs_context_root(fs, out);
	fs_context_put(fs);
	return 0;
}

static int cwd_get_path(struct inode *inode, struct path *out, struct file **filep)
{
	return fs_get_path(inode, out, true);
}

static int root_get_path(struct inode *inode, struct path *out, struct file **filep)
{
	return fs_get_path(inode, out, false);
}

/* The kernel keeps the executable's path, not its file: walk it from the
 * task's root (a renamed or deleted executable is not found). */
static int exe_get_path(struct inode *inode, struct path *out, struct file **filep)
{
	char *path = malloc(sizeof(((struct thread_group *)0)->exe_path));
	struct thread_group *tg;
	struct path root;
	if (!path)
		return -ENOMEM;
	path[0] = '\0';
	pthread_mutex_lock(&kernel.lock);
	struct task *t = inode_task_locked(inode, &tg);
	if (t && !tg->zombie)
		memcpy(path, tg->exe_path, sizeof(tg->exe_path));
	pthread_mutex_unlock(&kernel.lock);
	path[sizeof(((struct thread_group *)0)->exe_path) - 1] = '\0';
	int err = path[0] ? fs_get_path(inode, &root, false) : -ENOENT;
	if (err == 0) {
		err = vfs_path_lookup_root(&root, path, LOOKUP_FOLLOW, out);
		path_put(&root);
	}
	free(path);
	return err;
}

ssize_t procfs_self_link(struct inode *inode, char *buf, size_t size)
{
	struct task *t = task_current();
	char s[16];

	if (!t)
		return -ENOENT;
	snprintf(s, sizeof(s), "%d", t->tg->tgid);
	return procfs_copy_link(buf, size, s);
}

ssize_t procfs_thread_self_link(struct inode *inode, char *buf, size_t size)
{
	struct task *t = task_current();
	char s[40];

	if (!t)
		return -ENOENT;
	snprintf(s, sizeof(s), "%d/task/%d", t->tg->tgid, t->tid);
	return procfs_copy_link(buf, size, s);
}

/* --- /proc/PID/fd ---------------------------------------------------------- */

/* The link's mode shows the open mode: lr-x, l-wx or lrwx for the owner. */
static const struct synth_entry fd_link_entries[3] = {
    {.name = "fd", .mode = S_IFLNK | 0500, .get_link = fd_link, .get_path = fd_get_path,
     .fill_attr = pid_fill_attr},
    {.name = "fd", .mode = S_IFLNK | 0300, .get_link = fd_link, .get_path = fd_get_path,
     .fill_attr = pid_fill_attr},
    {.name = "fd", .mode = S_IFLNK | 0700, .get_link = fd_link, .get_path = fd_get_path,
     .fill_attr = pid_fill_attr},
};

static int fd_list_one(int fd, struct file *f, void *arg)
{
	char name[16];
	snprintf(name, sizeof(name), "%d", fd);
	return synth_dirlist_add(arg, name, DT_LNK, 0);
}

static int fd_dir_readdir(struct inode *dir, struct synth_dirlist *l)
{
	struct fdtable *fdt = get_task_fdt(dir);
	if (!fdt)
		return 0;
	int r = fdtable_for_each(fdt, fd_list_one, l);
	fdtable_put(fdt);
	return r < 0 ? r : 0;
}

static int fd_dir_lookup(struct inode *dir, const char *name, struct inode **out)
{
	long fd = parse_num(name, 0x7fffffff);
	struct fdtable *fdt;
	struct file *f;

	if (fd < 0)
		return -ENOENT;
	fdt = get_task_fdt(dir);
	if (!fdt)
		return -ENOENT;
	f = fd_get(fdt, (int)fd);
	fdtable_put(fdt);
	if (!f)
		return -ENOENT;
	int acc = file_flags(f) & O_ACCMODE;
	file_put(f);
	const struct synth_entry *e = &fd_link_entries[acc == O_RDONLY	 ? 0
						       : acc == O_WRONLY ? 1
									 : 2];
	int64_t key1 = (int64_t)(((uint64_t)fd << 32) | (uint32_t)key_tid(dir));
	struct inode *inode = synth_inode_new(dir->sb, e, key_tgid(dir), key1);
	if (!inode)
		return -ENOMEM;
	*out = inode;
	return 0;
}

static const struct synth_dir_ops fd_dir_ops = {
    .readdir = fd_dir_readdir,
    .lookup = fd_dir_lookup,
};

/* /proc/PID/fdinfo/N: position, flags (octal, O_CLOEXEC from the table),
 * mount id and inode number of the open file. */
static int show_fdinfo(struct inode *inode, struct seq_buf *s)
{
	struct fdtable *fdt = get_task_fdt(inode);
	int fd = key_fd(inode);

	if (!fdt)
		return -ENOENT;
	struct file *f = fd_get(fdt, fd);
	int cloexec = fd_get_cloexec(fdt, fd);
	fdtable_put(fdt);
	if (!f)
		return -ENOENT;
	pthread_mutex_lock(&f->pos_lock);
	int64_t pos = f->pos;
	pthread_mutex_unlock(&f->pos_lock);
	unsigned flags = (unsigned)file_flags(f) | (cloexec > 0 ? O_CLOEXEC : 0);
	seq_printf(s, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%llu\n", (long long)pos,
		   flags, procfs_mount_id(f->path.mnt), (unsigned long long)f->inode->ino);
	file_put(f);
	return 0;
}

static const struct synth_entry fdinfo_entry = {
    .name = "fdinfo", .mode = S_IFREG | 0444, .show = show_fdinfo, .fill_attr = pid_fill_attr};

static int fdinfo_list_one(int fd, struct file *f, void *arg)
{
	(void)f;
	char name[16];
	snprintf(name, sizeof(name), "%d", fd);
	return synth_dirlist_add(arg, name, DT_REG, 0);
}

static int fdinfo_dir_readdir(struct inode *dir, struct synth_dirlist *l)
{
	struct fdtable *fdt = get_task_fdt(dir);
	if (!fdt)
		return 0;
	int r = fdtable_for_each(fdt, fdinfo_list_one, l);
	fdtable_put(fdt);
	return r < 0 ? r : 0;
}

static int fdinfo_dir_lookup(struct inode *dir, const char *name, struct inode **out)
{
	long fd = parse_num(name, 0x7fffffff);
	struct fdtable *fdt;
	struct file *f;

	if (fd < 0 || !(fdt = get_task_fdt(dir)))
		return -ENOENT;
	f = fd_get(fdt, (int)fd);
	fdtable_put(fdt);
	if (!f)
		return -ENOENT;
	file_put(f);
	int64_t key1 = (int64_t)(((uint64_t)fd << 32) | (uint32_t)key_tid(dir));
	struct inode *inode = synth_inode_new(dir->sb, &fdinfo_entry, key_tgid(dir), key1);
	if (!inode)
		return -ENOMEM;
	*out = inode;
	return 0;
}

static const struct synth_dir_ops fdinfo_dir_ops = {
    .readdir = fdinfo_dir_readdir,
    .lookup = fdinfo_dir_lookup,
};

/* /proc/PID/ns: the sandbox's own namespaces, one of each kind, shown with
 * fixed inode numbers (the host's are never shown). Readable links only:
 * opening them (for setns) is not supported. */
#define NS_INO_BASE 4026532100ULL
static const char *const ns_names[] = {"cgroup", "ipc", "mnt", "net", "pid", "pid_for_children",
				       "time", "time_for_children", "user", "uts"};
static const unsigned ns_ino_index[] = {0, 1, 2, 3, 4, 4, 5, 5, 6, 7};

static ssize_t ns_link(struct inode *inode, char *buf, size_t size)
{
	const char *name = synth_i(inode)->entry->name;
	for (size_t i = 0; i < sizeof(ns_names) / sizeof(ns_names[0]); i++) {
		if (strcmp(name, ns_names[i]) != 0)
			continue;
		size_t kind_len = strcspn(name, "_");
		int n = snprintf(buf, size, "%.*s:[%llu]", (int)kind_len, name,
				 i == 2 ? procfs_mnt_ns_ino(get_task_fs(inode), NS_INO_BASE + 2)
					: NS_INO_BASE + ns_ino_index[i]);
		return n < 0 ? -EINVAL : (size_t)n < size ? n : (ssize_t)size;
	}
	return -ENOENT;
}

#define NS_LINK(n) {.name = n, .mode = S_IFLNK | 0777, .get_link = ns_link, .fill_attr = pid_fill_attr}
static const struct synth_entry ns_entries[] = {
    NS_LINK("cgroup"), NS_LINK("ipc"),	NS_LINK("mnt"),		     NS_LINK("net"),
    NS_LINK("pid"),    NS_LINK("pid_for_children"), NS_LINK("time"), NS_LINK("time_for_children"),
    NS_LINK("user"),   NS_LINK("uts"),	{.name = NULL},
};

/* --- the per-process and per-thread tables ---------------------------------- */

#define PID_FILE(n, m, fn)                                                                         \
	{                                                                                          \
		.name = n, .mode = S_IFREG | (m), .show = fn, .fill_attr = pid_fill_attr           \
	}
#define PID_LINK(n, fn, gp)                                                                        \
	{                                                                                          \
		.name = n, .mode = S_IFLNK | 0777, .get_link = fn, .get_path = gp,                 \
		.fill_attr = pid_fill_attr                                                         \
	}

#define PID_COMMON_ENTRIES                                                                         \
	PID_LINK("exe", exe_link, exe_get_path), PID_LINK("cwd", cwd_link, cwd_get_path),          \
	    PID_LINK("root", root_link, root_get_path),                                            \
	    {.name = "fd",                                                                         \
	     .mode = S_IFDIR | 0500,                                                               \
	     .dir_ops = &fd_dir_ops,                                                               \
	     .fill_attr = pid_fill_attr},                                                          \
	    PID_FILE("maps", 0444, show_maps), PID_FILE("cmdline", 0444, show_cmdline),            \
	    PID_FILE("environ", 0400, show_environ),                                               \
	    {.name = "comm",                                                                       \
	     .mode = S_IFREG | 0644,                                                               \
	     .show = show_comm,                                                                    \
	     .store = store_comm,                                                                  \
	     .fill_attr = pid_fill_attr},                                                          \
	    PID_FILE("status", 0444, show_status), PID_FILE("stat", 0444, show_stat),              \
	    PID_FILE("statm", 0444, show_statm), PID_FILE("limits", 0444, show_limits),            \
	    PID_FILE("mounts", 0444, show_mounts), PID_FILE("mountinfo", 0444, show_mountinfo),    \
	    PID_FILE("cgroup", 0444, show_cgroup),                                                 \
	    PID_FILE("oom_score_adj", 0444, show_oom_score_adj),                                   \
	    PID_FILE("smaps", 0444, show_smaps), PID_FILE("wchan", 0444, show_wchan),              \
	    {.name = "fdinfo",                                                                     \
	     .mode = S_IFDIR | 0555,                                                               \
	     .dir_ops = &fdinfo_dir_ops,                                                           \
	     .fill_attr = pid_fill_attr},                                                          \
	    {.name = "ns", .mode = S_IFDIR | 0511, .children = ns_entries, .fill_attr = pid_fill_attr}, \
	    {.name = "net", .mode = S_IFDIR | 0555, .children = procfs_net_entries,               \
	     .fill_attr = pid_fill_attr},                                                          \
	    PID_FILE("auxv", 0400, procfs_show_auxv), PID_FILE("io", 0400, procfs_show_io),        \
	    PID_FILE("personality", 0400, procfs_show_personality),                                \
	    PID_FILE("loginuid", 0644, procfs_show_loginuid),                                      \
	    PID_FILE("sessionid", 0444, procfs_show_sessionid)

static const struct synth_entry tid_entries[] = {
    PID_COMMON_ENTRIES,
    PID_FILE("children", 0444, procfs_show_children),
    {.name = NULL},
};

static const struct synth_entry tid_dir_entry = {
    .name = "task", /* the name is the tid, given at lookup */
    .mode = S_IFDIR | 0555,
    .children = tid_entries,
    .fill_attr = pid_fill_attr,
};

static int task_dir_readdir(struct inode *dir, struct synth_dirlist *l)
{
	int tids[256], n = 0, more = 1;
	int after = 0;

	/* Collect under kernel.lock in batches, add names without it. */
	while (more) {
		more = 0;
		n = 0;
		pthread_mutex_lock(&kernel.lock);
		struct thread_group *tg = tg_lookup(key_tgid(dir));
		for (struct task *x = tg ? tg->leader : NULL; x; x = x->next_in_tg) {
			if (x->exited || x->tid <= after)
				continue;
			if (n == (int)(sizeof(tids) / sizeof(tids[0]))) {
				more = 1;
				break;
			}
			tids[n++] = x->tid;
		}
		pthread_mutex_unlock(&kernel.lock);
		/* next batch: tids above the largest listed (threads are kept
		 * in creation order, so tids grow along the list) */
		for (int i = 0; i < n; i++) {
			char name[16];
			snprintf(name, sizeof(name), "%d", tids[i]);
			int r = synth_dirlist_add(l, name, DT_DIR, 0);
			if (r < 0)
				return r;
			if (tids[i] > after)
				after = tids[i];
		}
	}
	return 0;
}

static int task_dir_lookup(struct inode *dir, const char *name, struct inode **out)
{
	long tid = parse_num(name, KERNEL_PID_MAX);
	int tgid = key_tgid(dir);

	if (tid <= 0)
		return -ENOENT;
	pthread_mutex_lock(&kernel.lock);
	struct task *t = task_lookup((int)tid);
	bool ok = t && t->tg->tgid == tgid;
	pthread_mutex_unlock(&kernel.lock);
	if (!ok)
		return -ENOENT;
	struct inode *inode = synth_inode_new(dir->sb, &tid_dir_entry, tgid, tid);
	if (!inode)
		return -ENOMEM;
	*out = inode;
	return 0;
}

static const struct synth_dir_ops task_dir_ops = {
    .readdir = task_dir_readdir,
    .lookup = task_dir_lookup,
};

static const struct synth_entry tgid_entries[] = {
    PID_COMMON_ENTRIES,
    {.name = "task", .mode = S_IFDIR | 0555, .dir_ops = &task_dir_ops, .fill_attr = pid_fill_attr},
    {.name = NULL},
};

static const struct synth_entry tgid_dir_entry = {
    .name = "pid", /* the name is the pid, given at lookup */
    .mode = S_IFDIR | 0555,
    .children = tgid_entries,
    .fill_attr = pid_fill_attr,
};

/* --- the numeric entries of /proc ------------------------------------------ */

struct tg_list {
	int *ids;
	int n, cap;
	int err;
};

static int collect_tg(struct thread_group *tg, void *arg)
{
	struct tg_list *l = arg;
	if (l->n == l->cap) {
		int cap = l->cap ? l->cap * 2 : 64;
		int *p = realloc(l->ids, (size_t)cap * sizeof(*p));
		if (!p) {
			l->err = -ENOMEM;
			return 1;
		}
		l->ids = p;
		l->cap = cap;
	}
	l->ids[l->n++] = tg->tgid;
	return 0;
}

static int root_readdir(struct inode *dir, struct synth_dirlist *l)
{
	struct tg_list tl = {0};
	int r = 0;

	pthread_mutex_lock(&kernel.lock);
	kernel_for_each_tg(collect_tg, &tl);
	pthread_mutex_unlock(&kernel.lock);
	for (int i = 0; i < tl.n && r >= 0; i++) {
		char name[16];
		snprintf(name, sizeof(name), "%d", tl.ids[i]);
		r = synth_dirlist_add(l, name, DT_DIR, 0);
	}
	free(tl.ids);
	if (tl.err)
		return tl.err;
	return r < 0 ? r : 0;
}

/* /proc/N: a thread group, or (not listed, as in Linux) any thread's tid. */
static int root_lookup(struct inode *dir, const char *name, struct inode **out)
{
	long id = parse_num(name, KERNEL_PID_MAX);
	int tgid = 0, tid = 0;

	if (id <= 0)
		return -ENOENT;
	pthread_mutex_lock(&kernel.lock);
	if (tg_lookup((int)id)) {
		tgid = (int)id;
	} else {
		struct task *t = task_lookup((int)id);
		if (t) {
			tgid = t->tg->tgid;
			tid = (int)id;
		}
	}
	pthread_mutex_unlock(&kernel.lock);
	if (!tgid)
		return -ENOENT;
	struct inode *inode = synth_inode_new(dir->sb, &tgid_dir_entry, tgid, tid);
	if (!inode)
		return -ENOMEM;
	*out = inode;
	return 0;
}

const struct synth_dir_ops procfs_root_dir_ops = {
    .readdir = root_readdir,
    .lookup = root_lookup,
};
