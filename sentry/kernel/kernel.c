/* Global kernel state: thread-group and task tables, TID allocation. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kernel/kernel.h"
#include "kernel/kernel_impl.h"

struct kernel kernel = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.hostname = "sandbox",
	.domainname = "(none)",
	.init_tgid = 1,
};

/* All thread groups, sorted by tgid (kernel.lock). */
static struct thread_group **tgs;
static int ntgs, tgs_cap;
/* All tasks (kernel.lock). */
static struct task **tasks;
static int ntasks, tasks_cap;
static int next_tid = 1;

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;
	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void kernel_init(void)
{
	kernel.boot_realtime_ns = now_ns(CLOCK_REALTIME);
	kernel.boot_monotonic_ns = now_ns(CLOCK_MONOTONIC);
}

uint64_t kernel_uptime_ns(void)
{
	return now_ns(CLOCK_MONOTONIC) - kernel.boot_monotonic_ns;
}

static bool tid_in_use(int tid)
{
	for (int i = 0; i < ntasks; i++)
		if (tasks[i]->tid == tid)
			return true;
	for (int i = 0; i < ntgs; i++)
		if (tgs[i]->tgid == tid || tgs[i]->pgid == tid || tgs[i]->sid == tid)
			return true;
	return false;
}

int kernel_alloc_tid(void)
{
	for (int tries = 0; tries < KERNEL_PID_MAX; tries++) {
		int tid = next_tid++;
		if (next_tid >= KERNEL_PID_MAX)
			next_tid = 2;
		if (!tid_in_use(tid))
			return tid;
	}
	return -EAGAIN;
}

int kernel_add_task(struct task *t)
{
	if (ntasks == tasks_cap) {
		int cap = tasks_cap ? tasks_cap * 2 : 64;
		struct task **n = realloc(tasks, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		tasks = n;
		tasks_cap = cap;
	}
	tasks[ntasks++] = t;
	return 0;
}

void kernel_remove_task(struct task *t)
{
	for (int i = 0; i < ntasks; i++) {
		if (tasks[i] == t) {
			tasks[i] = tasks[--ntasks];
			return;
		}
	}
}

int kernel_add_tg(struct thread_group *tg)
{
	int i;

	if (ntgs == tgs_cap) {
		int cap = tgs_cap ? tgs_cap * 2 : 64;
		struct thread_group **n = realloc(tgs, (size_t)cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		tgs = n;
		tgs_cap = cap;
	}
	for (i = ntgs; i > 0 && tgs[i - 1]->tgid > tg->tgid; i--)
		tgs[i] = tgs[i - 1];
	tgs[i] = tg;
	ntgs++;
	return 0;
}

void kernel_remove_tg(struct thread_group *tg)
{
	for (int i = 0; i < ntgs; i++) {
		if (tgs[i] == tg) {
			memmove(&tgs[i], &tgs[i + 1], (size_t)(ntgs - i - 1) * sizeof(*tgs));
			ntgs--;
			return;
		}
	}
}

struct task *task_lookup(int tid)
{
	for (int i = 0; i < ntasks; i++)
		if (tasks[i]->tid == tid && !tasks[i]->exited)
			return tasks[i];
	return NULL;
}

struct thread_group *tg_lookup(int tgid)
{
	for (int i = 0; i < ntgs; i++)
		if (tgs[i]->tgid == tgid)
			return tgs[i];
	return NULL;
}

int kernel_for_each_tg(int (*fn)(struct thread_group *tg, void *arg), void *arg)
{
	for (int i = 0; i < ntgs; i++) {
		int r = fn(tgs[i], arg);
		if (r)
			return r;
	}
	return 0;
}

int kernel_count_tasks(void)
{
	return ntasks;
}

int kernel_last_tid(void)
{
	return next_tid - 1;
}
