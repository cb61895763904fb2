/*
 * More /proc/PID files (the tables are in procfs_pid.c): auxv, io,
 * personality, loginuid, sessionid, and /proc/PID/task/TID/children; the
 * sandbox's total RSS for /proc/meminfo.
 *
 * Each file looks its task up under kernel.lock, copies what it shows, and
 * formats it after dropping the lock where that matters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs/procfs.h"
#include "kernel/kernel.h"
#include "kernel/task.h"
#include "mm/mm.h"
#include "vfs/vfs_impl.h"

/* /proc/PID/auxv: the auxv the loader wrote at the last exec (binary
 * type, value pairs ending with AT_NULL), as Linux's mm->saved_auxv. */
int procfs_show_auxv(struct inode *inode, struct seq_buf *s)
{
	uint64_t auxv[sizeof(((struct thread_group *)0)->saved_auxv) / sizeof(uint64_t)];
	struct thread_group *tg;
	int words = 0;

	pthread_mutex_lock(&kernel.lock);
	struct task *t = procfs_inode_task_locked(inode, &tg);
	if (t) {
		words = tg->saved_auxv_words;
		if (words < 0 || words > (int)(sizeof(auxv) / sizeof(auxv[0])))
			words = 0;
		memcpy(auxv, tg->saved_auxv, (size_t)words * sizeof(uint64_t));
	}
	pthread_mutex_unlock(&kernel.lock);
	if (!t)
		return -ESRCH;
	seq_write(s, auxv, (size_t)words * sizeof(uint64_t));
	return 0;
}

/* /proc/PID/io: I/O accounting is not kept, so every counter reads 0. */
int procfs_show_io(struct inode *inode, struct seq_buf *s)
{
	pthread_mutex_lock(&kernel.lock);
	struct task *t = procfs_inode_task_locked(inode, NULL);
	pthread_mutex_unlock(&kernel.lock);
	if (!t)
		return -ESRCH;
	seq_printf(s, "rchar: 0\nwchar: 0\nsyscr: 0\nsyscw: 0\nread_bytes: 0\nwrite_bytes: 0\n"
		      "cancelled_write_bytes: 0\n");
	return 0;
}

/* /proc/PID/personality: personality(2) is not modelled: PER_LINUX. */
int procfs_show_personality(struct inode *inode, struct seq_buf *s)
{
	pthread_mutex_lock(&kernel.lock);
	struct task *t = procfs_inode_task_locked(inode, NULL);
	pthread_mutex_unlock(&kernel.lock);
	if (!t)
		return -ESRCH;
	seq_printf(s, "%08x\n", 0u);
	return 0;
}

/* /proc/PID/loginuid and sessionid: no audit login, so both are unset
 * ((uid_t)-1 and AUDIT_SID_UNSET), printed without a newline as Linux. */
static int show_unset(struct inode *inode, struct seq_buf *s)
{
	pthread_mutex_lock(&kernel.lock);
	struct task *t = procfs_inode_task_locked(inode, NULL);
	pthread_mutex_unlock(&kernel.lock);
	if (!t)
		return -ESRCH;
	seq_printf(s, "%u", 4294967295u);
	return 0;
}

int procfs_show_loginuid(struct inode *inode, struct seq_buf *s)
{
	return show_unset(inode, s);
}

int procfs_show_sessionid(struct inode *inode, struct seq_buf *s)
{
	return show_unset(inode, s);
}

/*
 * /proc/PID/task/TID/children: "pid pid ... " (each followed by a space, no
 * newline). Linux lists the children that thread TID created; children are
 * only recorded per process here, so the leader thread shows all of the
 * process's children (zombies included, as Linux) and other threads none.
 */
int procfs_show_children(struct inode *inode, struct seq_buf *s)
{
	struct pbuf b;

	pbuf_init(&b);
	pthread_mutex_lock(&kernel.lock);
	struct thread_group *tg;
	struct task *t = procfs_inode_task_locked(inode, &tg);
	if (t && t == tg->leader)
		for (struct thread_group *c = tg->children; c; c = c->sibling)
			pbuf_printf(&b, "%d ", c->tgid);
	pthread_mutex_unlock(&kernel.lock);
	if (!t) {
		pbuf_free(&b);
		return -ESRCH;
	}
	return procfs_pbuf_to_seq(&b, s);
}

/* --- meminfo support ---------------------------------------------------------- */

/* The address spaces of the live processes, referenced, each asked for a
 * residency sample (rss.c); collected without kernel.lock. Processes sharing
 * one mm (CLONE_VM without CLONE_THREAD) count it once. */
struct rss_list {
	struct mm **mms;
	size_t n, cap;
};

static int add_rss(struct thread_group *tg, void *arg)
{
	struct rss_list *l = arg;
	for (struct task *t = tg->leader; t; t = t->next_in_tg) {
		if (t->exited || !t->mm)
			continue;
		for (size_t i = 0; i < l->n; i++)
			if (l->mms[i] == t->mm)
				return 0;
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			struct mm **n = realloc(l->mms, cap * sizeof(*n));
			if (!n)
				return 0; /* ENOMEM: this one goes uncounted */
			l->mms = n;
			l->cap = cap;
		}
		mm_get(t->mm);
		mm_rss_request(t->mm, t);
		l->mms[l->n++] = t->mm;
		break;
	}
	return 0;
}

uint64_t procfs_total_rss(void)
{
	struct rss_list l = {NULL, 0, 0};
	uint64_t sum = 0;

	pthread_mutex_lock(&kernel.lock);
	kernel_for_each_tg(add_rss, &l);
	pthread_mutex_unlock(&kernel.lock);
	for (size_t i = 0; i < l.n; i++) {
		struct mm_rss_info ri;
		mm_rss_get(l.mms[i], &ri);
		sum += ri.rss;
		mm_put(l.mms[i]);
	}
	free(l.mms);
	return sum;
}
