/*
 * procfs, sysfs and devfs internals (private to sentry/fs/procfs*.c, sysfs.c,
 * devfs.c and their unit tests).
 *
 * The text of every generated file is produced in two steps: a snapshot of
 * the kernel state is taken under kernel.lock (procfs_pid.c), then a pure
 * renderer (procfs_render.c) formats it into a growable buffer. The renderers
 * touch no global state, so the unit tests call them directly.
 *
 * Lock order: kernel.lock, then mm->lock (taken inside mm_*), then vfs locks.
 * No procfs lock exists: the boot snapshot is written once before any task
 * runs and read-only afterwards.
 */
#ifndef SENTRY_FS_PROCFS_H
#define SENTRY_FS_PROCFS_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kernel/creds.h"
#include "vfs/vfs_impl.h"

/* --- growable text buffer -------------------------------------------------- */

/* Hard cap for one generated file: a renderer fails with -EFBIG rather than
 * grow past it (the largest real files, maps and cmdline, stay far below). */
#define PBUF_MAX (16u << 20)

struct pbuf {
	char *data;
	size_t len, cap;
	int err; /* first error (-ENOMEM, -EFBIG); sticky */
};

void pbuf_init(struct pbuf *b);
void pbuf_free(struct pbuf *b);
void pbuf_put(struct pbuf *b, const void *p, size_t n);
void pbuf_puts(struct pbuf *b, const char *s);
void pbuf_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the bytes over (malloc'd, NUL-terminated); the buffer is reset. NULL
 * and *len = 0 on error (b->err says which). */
char *pbuf_steal(struct pbuf *b, size_t *len);

/* --- snapshot of one task, taken under kernel.lock ------------------------- */

struct procfs_task_snap {
	int tgid, tid, ppid, pgid, sid;
	int nr_threads;
	uint32_t tty_nr; /* controlling terminal's device (new_encode_dev), 0: none */
	int tpgid;       /* its foreground process group, -1: none */
	char comm[16];
	char state; /* 'R', 'S', 'Z' */
	struct creds creds;
	int umask;	/* -1: unknown */
	int fdsize;	/* size of the fd table */
	uint64_t vsize; /* bytes */
	uint64_t rss;	/* bytes (sampled: mm_rss_get) */
	uint64_t rss_anon, rss_file, rss_shmem, rss_hwm; /* bytes */
	uint64_t sig_pending, sig_shared, sig_blocked, sig_ignored, sig_caught;
	uint64_t rlim_cur[16], rlim_max[16];
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t start_ticks; /* start time in clock ticks since boot */
	int exit_code;
	int ncpus;
};

/* --- host facts captured once at boot (procfs_boot_snapshot) --------------- */

struct procfs_host {
	int ncpus;	    /* >= 1 */
	uint64_t mem_total; /* bytes */
	char *cpuinfo;	    /* host /proc/cpuinfo, or synthesized */
	size_t cpuinfo_len;
	char boot_id[37]; /* random UUID made at boot */
};

extern struct procfs_host procfs_host;

/* --- renderers (procfs_render.c) ------------------------------------------- */

void procfs_render_status(struct pbuf *b, const struct procfs_task_snap *s);
void procfs_render_stat(struct pbuf *b, const struct procfs_task_snap *s);
void procfs_render_statm(struct pbuf *b, const struct procfs_task_snap *s);
void procfs_render_limits(struct pbuf *b, const struct procfs_task_snap *s);
/* Linux's cmdline rule: args is the [arg_start, arg_end) area, env the area
 * that follows; when args does not end with NUL (the process rewrote it with
 * setproctitle), the string continues into env up to the first NUL. */
void procfs_render_cmdline(struct pbuf *b, const char *args, size_t args_len, const char *env,
			   size_t env_len);
/* "0-N" style list of CPUs 0..n-1 */
void procfs_render_cpulist(struct pbuf *b, int ncpus);

struct procfs_meminfo {
	uint64_t total, used; /* bytes */
};
void procfs_render_meminfo(struct pbuf *b, const struct procfs_meminfo *m);
void procfs_render_uptime(struct pbuf *b, uint64_t uptime_ns);
void procfs_render_loadavg(struct pbuf *b, int running, int nr_tasks, int last_pid);
void procfs_render_kstat(struct pbuf *b, int ncpus, uint64_t uptime_ns, uint64_t boot_realtime_ns,
			 int nr_tasks);
/* A version 4 UUID from 16 random bytes into out[37]. */
void procfs_format_uuid(char out[37], const uint8_t rnd[16]);
/* A fresh random UUID (procfs.c; host getrandom). */
void procfs_new_uuid(char out[37]);
/* Synthesized /proc/cpuinfo (when the host's could not be read). */
void procfs_render_cpuinfo_fallback(struct pbuf *b, int ncpus);

/* The kernel's release strings, for /proc/version and sys/kernel/osrelease. */
void procfs_render_version(struct pbuf *b);
const char *procfs_release(void);

/* --- glue between procfs*.c, devfs.c, sysfs.c (need vfs_impl.h types) ---- */

/* Move b's bytes into s and free b; returns 0 or b's error. */
int procfs_pbuf_to_seq(struct pbuf *b, struct seq_buf *s);
/* Copy a computed symlink target into get_link's buffer (truncating like
 * readlink); returns the length copied. */
ssize_t procfs_copy_link(char *buf, size_t size, const char *target);

/* procfs_pid.c: the /proc/PID directories, listed and looked up by the root. */
extern const struct synth_dir_ops procfs_root_dir_ops;
ssize_t procfs_self_link(struct inode *inode, char *buf, size_t size);
ssize_t procfs_thread_self_link(struct inode *inode, char *buf, size_t size);
/* Sum of the resident sizes of every address space (for meminfo). */
uint64_t procfs_total_rss(void);
/* The task a /proc/PID or /proc/PID/task/TID inode describes (for the
 * PID view: the first live thread, else the leader); kernel.lock held. */
struct task;
struct thread_group;
struct task *procfs_inode_task_locked(struct inode *inode, struct thread_group **tgp);

/* procfs_pid2.c: more /proc/PID files (shown through procfs_pid.c's tables). */
int procfs_show_auxv(struct inode *inode, struct seq_buf *s);
int procfs_show_io(struct inode *inode, struct seq_buf *s);
int procfs_show_personality(struct inode *inode, struct seq_buf *s);
int procfs_show_loginuid(struct inode *inode, struct seq_buf *s);
int procfs_show_sessionid(struct inode *inode, struct seq_buf *s);
/* /proc/PID/task/TID/children */
int procfs_show_children(struct inode *inode, struct seq_buf *s);

/* procfs_mounts.c: /proc/PID/mounts and mountinfo (one mount namespace). */
int procfs_render_mounts(struct pbuf *b, int mountinfo);
/* The same for the namespace and root of fs (a reference the call drops;
 * NULL: -EINVAL, the process is gone). */
struct fs_context;
int procfs_render_task_mounts(struct pbuf *b, int mountinfo, struct fs_context *fs);
/* /proc/PID/ns/mnt's inode number: boot_ino for the boot namespace, a
 * distinct one per namespace made since (fs: a reference the call drops). */
unsigned long long procfs_mnt_ns_ino(struct fs_context *fs, unsigned long long boot_ino);
/* procfs_owner.c: the owner of a /proc/PID inode of this mode (Linux's
 * task_dump_owner: root:root when t is not dumpable). kernel.lock held. */
struct task;
void procfs_task_owner_locked(struct task *t, uint32_t mode, uint32_t *uid, uint32_t *gid);
/* The id /proc/PID/mountinfo shows for m (1 if it is not mounted). */
int procfs_mount_id(const struct mount *m);

/* procfs_net.c: /proc/PID/net (and the /proc/net symlink's target). */
extern const struct synth_entry procfs_net_entries[];
ssize_t procfs_net_link(struct inode *inode, char *buf, size_t size);
/* Its renderers, for unit tests. */
struct unix_proc_entry;
struct inet_proc_sock;
void procfs_net_render_unix(struct seq_buf *s, const struct unix_proc_entry *v, size_t n);
void procfs_net_render_inet(struct seq_buf *s, int family, int proto, int index,
			    const struct inet_proc_sock *k);

/* procfs_sys.c: /proc/sys */
extern const struct synth_entry procfs_sys_entries[];

#endif
