/*
 * System V semaphores: semget, semop, semtimedop, semctl.
 *
 * A set's operations apply all at once or not at all (Linux's semop); a
 * blocked semop sleeps on the set and is woken by every change, by IPC_RMID
 * (EIDRM) and by a signal for the task (EINTR: semop is never restarted).
 * SEM_UNDO keeps, per set and process, the adjustment that undoes the
 * process's operations; sem_exit_undo applies it when the process exits
 * (Linux's exit_sem). SETVAL/SETALL clear the adjustments they override.
 * Processes do not share adjustments (CLONE_SYSVSEM without CLONE_THREAD
 * is not modelled); threads of a process do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

#include "kernel/ipc.h"
#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

#define SEM_MAX_SETS 1024
#define SEMMSL_ 32000
#define SEMOPM_ 500
#define SEMVMX_ 32767

/* One process's adjustments for one set. */
struct sem_undo {
	int tgid;
	int32_t *adj; /* nsems entries */
	struct sem_undo *next;
};

struct sem_set {
	struct sem_undo *undos;
	int id;
	int nsems;
	uint16_t *vals;
	int32_t *pids;
	struct ipc_perm_k perm;
	bool removed;
	int64_t otime, ctime;
	int waiters_n, waiters_z; /* for GETNCNT / GETZCNT (approximate: per set) */
	pthread_cond_t cond;
};

static pthread_mutex_t sem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct sem_set *sets[SEM_MAX_SETS];
static int sem_seq;

static struct sem_set *set_by_id(int id)
{
	if (id < 0)
		return NULL;
	struct sem_set *s = sets[id % SEM_MAX_SETS];
	return s && s->id == id && !s->removed ? s : NULL;
}

static void free_undos(struct sem_set *s)
{
	while (s->undos) {
		struct sem_undo *u = s->undos;
		s->undos = u->next;
		free(u->adj);
		free(u);
	}
}

static void set_free(struct sem_set *s)
{
	free_undos(s);
	pthread_cond_destroy(&s->cond);
	free(s->vals);
	free(s->pids);
	free(s);
}

/* tgid's adjustments in s, created (zeroed) if asked. sem_lock held. */
static struct sem_undo *undo_find(struct sem_set *s, int tgid, bool create)
{
	struct sem_undo *u;

	for (u = s->undos; u; u = u->next)
		if (u->tgid == tgid)
			return u;
	if (!create)
		return NULL;
	u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->adj = calloc((size_t)s->nsems, sizeof(*u->adj));
	if (!u->adj) {
		free(u);
		return NULL;
	}
	u->tgid = tgid;
	u->next = s->undos;
	s->undos = u;
	return u;
}

/* SETVAL (num >= 0) or SETALL (num < 0): the adjustments go. sem_lock held. */
static void undo_clear(struct sem_set *s, int num)
{
	for (struct sem_undo *u = s->undos; u; u = u->next) {
		if (num >= 0)
			u->adj[num] = 0;
		else
			memset(u->adj, 0, (size_t)s->nsems * sizeof(*u->adj));
	}
}

/*
 * Process tgid has exited: apply its adjustments to every set, each value
 * clamped to 0..SEMVMX as Linux's exit_sem, and wake the sets' sleepers.
 * Called with kernel.lock held (kernel.lock before sem_lock).
 */
void sem_exit_undo(int tgid)
{
	pthread_mutex_lock(&sem_lock);
	for (int i = 0; i < SEM_MAX_SETS; i++) {
		struct sem_set *s = sets[i];
		if (!s)
			continue;
		for (struct sem_undo **pp = &s->undos; *pp; pp = &(*pp)->next) {
			struct sem_undo *u = *pp;
			if (u->tgid != tgid)
				continue;
			for (int n = 0; n < s->nsems; n++) {
				if (!u->adj[n])
					continue;
				int v = s->vals[n] + u->adj[n];
				s->vals[n] = (uint16_t)(v < 0 ? 0 : v > SEMVMX_ ? SEMVMX_ : v);
				s->pids[n] = tgid;
			}
			s->otime = time(NULL);
			*pp = u->next;
			free(u->adj);
			free(u);
			pthread_cond_broadcast(&s->cond);
			break;
		}
	}
	pthread_mutex_unlock(&sem_lock);
}

SYSCALL_DEFINE(semget)
{
	int32_t key = (int32_t)args->a[0];
	int nsems = (int)args->a[1], flags = (int)args->a[2];
	struct sem_set *s = NULL;
	long r;

	pthread_mutex_lock(&sem_lock);
	if (key != IPC_PRIVATE) {
		for (int i = 0; i < SEM_MAX_SETS; i++)
			if (sets[i] && sets[i]->perm.key == key) {
				s = sets[i];
				break;
			}
		if (s) {
			if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
				r = -EEXIST;
			else if (nsems > s->nsems)
				r = -EINVAL;
			else if (!ipc_may(t, &s->perm, ipc_flags_want(flags)))
				r = -EACCES;
			else
				r = s->id;
			goto out;
		}
		if (!(flags & IPC_CREAT)) {
			r = -ENOENT;
			goto out;
		}
	}
	if (nsems <= 0 || nsems > SEMMSL_) {
		r = -EINVAL;
		goto out;
	}
	int slot = -1;
	for (int i = 0; i < SEM_MAX_SETS && slot < 0; i++)
		if (!sets[i])
			slot = i;
	if (slot < 0) {
		r = -ENOSPC;
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (s) {
		s->vals = calloc((size_t)nsems, sizeof(*s->vals));
		s->pids = calloc((size_t)nsems, sizeof(*s->pids));
	}
	if (!s || !s->vals || !s->pids) {
		if (s) {
			free(s->vals);
			free(s->pids);
		}
		free(s);
		r = -ENOMEM;
		goto out;
	}
	sem_seq = (sem_seq + 1) % 32768;
	s->id = sem_seq * SEM_MAX_SETS + slot;
	s->nsems = nsems;
	ipc_perm_init(&s->perm, t, key, flags);
	s->ctime = time(NULL);
	pthread_cond_init(&s->cond, NULL);
	sets[slot] = s;
	r = s->id;
out:
	pthread_mutex_unlock(&sem_lock);
	return r;
}

struct guest_sembuf {
	uint16_t num;
	int16_t op;
	int16_t flg;
};

/* Can every op apply now? 0 yes, -EAGAIN would block (*zero tells which kind). */
static int try_ops(struct sem_set *s, const struct guest_sembuf *ops, int n, bool *zero)
{
	for (int i = 0; i < n; i++) {
		int v = s->vals[ops[i].num];
		/* Later ops on the same semaphore see earlier ones' effect. */
		for (int j = 0; j < i; j++)
			if (ops[j].num == ops[i].num)
				v += ops[j].op;
		if (ops[i].op < 0 && v + ops[i].op < 0) {
			*zero = false;
			return -EAGAIN;
		}
		if (ops[i].op == 0 && v != 0) {
			*zero = true;
			return -EAGAIN;
		}
		if (v + ops[i].op > SEMVMX_)
			return -ERANGE;
	}
	return 0;
}

static long do_semop(struct task *t, int id, uint64_t usops, unsigned nsops, uint64_t utimeout)
{
	struct guest_sembuf *ops;
	int64_t deadline = -1;
	long r;

	if (nsops == 0 || nsops > SEMOPM_)
		return nsops == 0 ? -EINVAL : -E2BIG;
	ops = calloc(nsops, sizeof(*ops));
	if (!ops)
		return -ENOMEM;
	if (copy_from_user(t, ops, usops, nsops * sizeof(*ops))) {
		free(ops);
		return -EFAULT;
	}
	if (utimeout) {
		struct {
			int64_t sec, nsec;
		} ts;
		struct timespec now;
		if (copy_from_user(t, &ts, utimeout, sizeof(ts))) {
			free(ops);
			return -EFAULT;
		}
		if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000) {
			free(ops);
			return -EINVAL;
		}
		clock_gettime(CLOCK_REALTIME, &now);
		deadline = (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec +
			   (ts.sec > 1000000000LL ? 1000000000LL * 1000000000LL
						  : ts.sec * 1000000000LL + ts.nsec);
	}
	pthread_mutex_lock(&sem_lock);
	struct sem_set *s = set_by_id(id);
	if (!s) {
		r = -EINVAL;
		goto out;
	}
	bool alter = false;
	for (unsigned i = 0; i < nsops; i++) {
		if (ops[i].num >= s->nsems) {
			r = -EFBIG;
			goto out;
		}
		alter |= ops[i].op != 0;
	}
	if (!ipc_may(t, &s->perm, alter ? 2 : 4)) {
		r = -EACCES;
		goto out;
	}
	for (;;) {
		bool zero = false;
		r = try_ops(s, ops, (int)nsops, &zero);
		if (r != -EAGAIN)
			break;
		bool nowait = false;
		for (unsigned i = 0; i < nsops; i++)
			nowait |= ops[i].flg & IPC_NOWAIT;
		if (nowait)
			break;
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		if (deadline >= 0 && (int64_t)now.tv_sec * 1000000000LL + now.tv_nsec >= deadline)
			break; /* EAGAIN: timed out */
		if (zero)
			s->waiters_z++;
		else
			s->waiters_n++;
		int w = task_cond_wait(&s->cond, &sem_lock);
		if (zero)
			s->waiters_z--;
		else
			s->waiters_n--;
		if (s->removed) {
			r = -EIDRM;
			s = NULL;
			break;
		}
		if (w < 0) {
			r = -EINTR;
			break;
		}
	}
	struct sem_undo *u = NULL;
	if (r == 0 && s) {
		bool undo = false;
		for (unsigned i = 0; i < nsops; i++)
			undo |= (ops[i].flg & SEM_UNDO) && ops[i].op;
		if (undo && !(u = undo_find(s, t->tg->tgid, true)))
			r = -ENOMEM;
		/* Each adjustment must stay within -(SEMVMX+1)..SEMVMX (SEMAEM). */
		for (unsigned i = 0; u && r == 0 && i < nsops; i++) {
			if (!(ops[i].flg & SEM_UNDO))
				continue;
			int32_t a = u->adj[ops[i].num];
			for (unsigned j = 0; j < i; j++)
				if ((ops[j].flg & SEM_UNDO) && ops[j].num == ops[i].num)
					a -= ops[j].op;
			a -= ops[i].op;
			if (a < -SEMVMX_ - 1 || a > SEMVMX_)
				r = -ERANGE;
		}
	}
	if (r == 0 && s) {
		for (unsigned i = 0; i < nsops; i++) {
			s->vals[ops[i].num] = (uint16_t)(s->vals[ops[i].num] + ops[i].op);
			s->pids[ops[i].num] = t->tg->tgid;
			if (u && (ops[i].flg & SEM_UNDO))
				u->adj[ops[i].num] -= ops[i].op;
		}
		s->otime = time(NULL);
		pthread_cond_broadcast(&s->cond);
	}
out:
	pthread_mutex_unlock(&sem_lock);
	free(ops);
	return r;
}

SYSCALL_DEFINE(semop)
{
	return do_semop(t, (int)args->a[0], args->a[1], (unsigned)args->a[2], 0);
}

SYSCALL_DEFINE(semtimedop)
{
	return do_semop(t, (int)args->a[0], args->a[1], (unsigned)args->a[2], args->a[3]);
}

struct guest_semid_ds {
	int32_t key;
	uint32_t uid, gid, cuid, cgid, mode;
	uint16_t seq, pad2;
	uint32_t pad3;
	uint64_t unused1, unused2;
	int64_t otime;
	uint64_t unused3;
	int64_t ctime;
	uint64_t unused4, nsems, unused5, unused6;
};

_Static_assert(sizeof(struct guest_semid_ds) == 104, "semid64_ds");

SYSCALL_DEFINE(semctl)
{
	int id = (int)args->a[0], num = (int)args->a[1], cmd = (int)args->a[2] & ~0x100;
	uint64_t arg = args->a[3];
	struct guest_semid_ds ds;
	uint16_t *all = NULL;
	long r = 0;

	pthread_mutex_lock(&sem_lock);
	struct sem_set *s = set_by_id(id);
	if (!s) {
		pthread_mutex_unlock(&sem_lock);
		return -EINVAL;
	}
	switch (cmd) {
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
		if (num < 0 || num >= s->nsems) {
			r = -EINVAL;
			break;
		}
		if (!ipc_may(t, &s->perm, 4)) {
			r = -EACCES;
			break;
		}
		r = cmd == GETVAL    ? s->vals[num]
		    : cmd == GETPID  ? s->pids[num]
		    : cmd == GETNCNT ? s->waiters_n
				     : s->waiters_z;
		break;
	case SETVAL: {
		int v = (int)arg;
		if (num < 0 || num >= s->nsems || v < 0 || v > SEMVMX_) {
			r = num < 0 || num >= s->nsems ? -EINVAL : -ERANGE;
			break;
		}
		if (!ipc_may(t, &s->perm, 2)) {
			r = -EACCES;
			break;
		}
		s->vals[num] = (uint16_t)v;
		undo_clear(s, num);
		s->pids[num] = t->tg->tgid;
		s->ctime = time(NULL);
		pthread_cond_broadcast(&s->cond);
		break;
	}
	case GETALL:
	case SETALL:
		if (!ipc_may(t, &s->perm, cmd == GETALL ? 4 : 2)) {
			r = -EACCES;
			break;
		}
		all = calloc((size_t)s->nsems, sizeof(*all));
		if (!all) {
			r = -ENOMEM;
			break;
		}
		if (cmd == GETALL) {
			memcpy(all, s->vals, (size_t)s->nsems * sizeof(*all));
			int n = s->nsems;
			pthread_mutex_unlock(&sem_lock);
			r = copy_to_user(t, arg, all, (size_t)n * sizeof(*all));
			free(all);
			return r;
		}
		/* SETALL: read outside the lock would race with RMID; read inside. */
		if (copy_from_user(t, all, arg, (size_t)s->nsems * sizeof(*all))) {
			r = -EFAULT;
			break;
		}
		for (int i = 0; i < s->nsems; i++)
			if (all[i] > SEMVMX_)
				r = -ERANGE;
		if (r == 0) {
			memcpy(s->vals, all, (size_t)s->nsems * sizeof(*all));
			undo_clear(s, -1);
			for (int i = 0; i < s->nsems; i++)
				s->pids[i] = t->tg->tgid;
			s->ctime = time(NULL);
			pthread_cond_broadcast(&s->cond);
		}
		break;
	case IPC_STAT:
		if (!ipc_may(t, &s->perm, 4)) {
			r = -EACCES;
			break;
		}
		memset(&ds, 0, sizeof(ds));
		ds.key = s->perm.key;
		ds.uid = s->perm.uid, ds.gid = s->perm.gid, ds.cuid = s->perm.cuid,
		ds.cgid = s->perm.cgid;
		ds.mode = s->perm.mode;
		ds.seq = (uint16_t)(s->id / SEM_MAX_SETS);
		ds.otime = s->otime;
		ds.ctime = s->ctime;
		ds.nsems = (uint64_t)s->nsems;
		pthread_mutex_unlock(&sem_lock);
		return copy_to_user(t, arg, &ds, sizeof(ds));
	case IPC_SET:
	case IPC_RMID:
		if (!ipc_may_change(t, &s->perm)) {
			r = -EPERM;
			break;
		}
		if (cmd == IPC_SET) {
			if (copy_from_user(t, &ds, arg, sizeof(ds))) {
				r = -EFAULT;
				break;
			}
			s->perm.uid = ds.uid;
			s->perm.gid = ds.gid;
			s->perm.mode = (s->perm.mode & ~0777U) | (ds.mode & 0777);
			s->ctime = time(NULL);
		} else {
			/* Sleepers see removed and leave with EIDRM; the set is
			 * freed when the last of them has gone (a small leak until
			 * then is preferable to a use-after-free). */
			s->removed = true;
			sets[s->id % SEM_MAX_SETS] = NULL;
			pthread_cond_broadcast(&s->cond);
			free_undos(s);
			if (s->waiters_n + s->waiters_z == 0)
				set_free(s);
		}
		break;
	default:
		r = -EINVAL; /* IPC_INFO, SEM_INFO, SEM_STAT: not yet */
	}
	pthread_mutex_unlock(&sem_lock);
	free(all);
	return r;
}
