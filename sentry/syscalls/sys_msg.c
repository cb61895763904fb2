/*
 * System V message queues: msgget, msgsnd, msgrcv, msgctl.
 * Messages are kept in FIFO order in the sentry; msgrcv's msgtyp selects
 * as Linux (0: first, > 0: first of that type, or with MSG_EXCEPT the first
 * of another, < 0: lowest type <= |msgtyp|).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <time.h>

#include "kernel/ipc.h"
#include "kernel/kernel_impl.h"
#include "mm/mm.h"
#include "syscalls/syscalls.h"

#define MSG_MAX_QUEUES 1024
#define MSGMAX_ 8192
#define MSGMNB_ 16384
#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

struct msg {
	int64_t type;
	size_t len;
	struct msg *next;
	char data[];
};

struct msg_queue {
	int id;
	struct ipc_perm_k perm;
	struct msg *head, **tail;
	size_t bytes, count, qbytes;
	int64_t stime, rtime, ctime;
	int lspid, lrpid;
	bool removed;
	int sleepers;
	pthread_cond_t cond;
};

static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct msg_queue *queues[MSG_MAX_QUEUES];
static int msg_seq;

static struct msg_queue *queue_by_id(int id)
{
	if (id < 0)
		return NULL;
	struct msg_queue *q = queues[id % MSG_MAX_QUEUES];
	return q && q->id == id && !q->removed ? q : NULL;
}

static void queue_free(struct msg_queue *q)
{
	while (q->head) {
		struct msg *m = q->head;
		q->head = m->next;
		free(m);
	}
	pthread_cond_destroy(&q->cond);
	free(q);
}

SYSCALL_DEFINE(msgget)
{
	int32_t key = (int32_t)args->a[0];
	int flags = (int)args->a[1];
	struct msg_queue *q = NULL;
	long r;

	pthread_mutex_lock(&msg_lock);
	if (key != IPC_PRIVATE) {
		for (int i = 0; i < MSG_MAX_QUEUES; i++)
			if (queues[i] && queues[i]->perm.key == key) {
				q = queues[i];
				break;
			}
		if (q) {
			if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
				r = -EEXIST;
			else if (!ipc_may(t, &q->perm, ipc_flags_want(flags)))
				r = -EACCES;
			else
				r = q->id;
			goto out;
		}
		if (!(flags & IPC_CREAT)) {
			r = -ENOENT;
			goto out;
		}
	}
	int slot = -1;
	for (int i = 0; i < MSG_MAX_QUEUES && slot < 0; i++)
		if (!queues[i])
			slot = i;
	if (slot < 0) {
		r = -ENOSPC;
		goto out;
	}
	q = calloc(1, sizeof(*q));
	if (!q) {
		r = -ENOMEM;
		goto out;
	}
	msg_seq = (msg_seq + 1) % 32768;
	q->id = msg_seq * MSG_MAX_QUEUES + slot;
		ipc_perm_init(&q->perm, t, key, flags);
	q->tail = &q->head;
	q->qbytes = MSGMNB_;
	q->ctime = time(NULL);
	pthread_cond_init(&q->cond, NULL);
	queues[slot] = q;
	r = q->id;
out:
	pthread_mutex_unlock(&msg_lock);
	return r;
}

/* Sleep once on q (msg_lock held): 0 to look again, -EIDRM if the queue
 * went meanwhile (freed with its last sleeper), -EINTR for a signal. */
static int queue_sleep(struct msg_queue *q)
{
	q->sleepers++;
	int w = task_cond_wait(&q->cond, &msg_lock);
	q->sleepers--;
	if (q->removed) {
		if (q->sleepers == 0)
			queue_free(q);
		return -EIDRM;
	}
	return w < 0 ? -EINTR : 0;
}

SYSCALL_DEFINE(msgsnd)
{
	int id = (int)args->a[0], flags = (int)args->a[3];
	size_t sz = args->a[2];
	struct msg *m;
	long r = 0;

	if ((int64_t)sz < 0 || sz > MSGMAX_)
		return -EINVAL;
	m = malloc(sizeof(*m) + sz);
	if (!m)
		return -ENOMEM;
	if (copy_from_user(t, &m->type, args->a[1], 8) ||
	    copy_from_user(t, m->data, args->a[1] + 8, sz)) {
		free(m);
		return -EFAULT;
	}
	if (m->type < 1) {
		free(m);
		return -EINVAL;
	}
	m->len = sz;
	m->next = NULL;
	pthread_mutex_lock(&msg_lock);
	struct msg_queue *q = queue_by_id(id);
	if (!q) {
		r = -EINVAL;
		goto out;
	}
	if (!ipc_may(t, &q->perm, 2)) {
		r = -EACCES;
		goto out;
	}
	while (q->bytes + sz > q->qbytes) {
		if (flags & IPC_NOWAIT) {
			r = -EAGAIN;
			goto out;
		}
		if ((r = queue_sleep(q)) < 0)
			goto out;
	}
	*q->tail = m;
	q->tail = &m->next;
	q->bytes += sz;
	q->count++;
	q->stime = time(NULL);
	q->lspid = t->tg->tgid;
	m = NULL;
	pthread_cond_broadcast(&q->cond);
out:
	pthread_mutex_unlock(&msg_lock);
	free(m);
	return r;
}

static bool type_matches(int64_t type, int64_t want, int flags)
{
	if (want == 0)
		return true;
	if (want > 0)
		return (flags & MSG_EXCEPT) ? type != want : type == want;
	return type <= -want;
}

SYSCALL_DEFINE(msgrcv)
{
	int id = (int)args->a[0], flags = (int)args->a[4];
	size_t sz = args->a[2];
	int64_t want = (int64_t)args->a[3];
	struct msg *m = NULL;
	long r;

	if ((int64_t)sz < 0)
		return -EINVAL;
	if (flags & MSG_COPY)
		return -ENOSYS; /* checkpoint/restore's MSG_COPY: not yet */
	pthread_mutex_lock(&msg_lock);
	struct msg_queue *q = queue_by_id(id);
	if (!q) {
		r = -EINVAL;
		goto out;
	}
	if (!ipc_may(t, &q->perm, 4)) {
		r = -EACCES;
		goto out;
	}
	for (;;) {
		struct msg **pick = NULL;
		for (struct msg **pp = &q->head; *pp; pp = &(*pp)->next) {
			if (!type_matches((*pp)->type, want, flags))
				continue;
			if (want >= 0) {
				pick = pp;
				break;
			}
			if (!pick || (*pp)->type < (*pick)->type)
				pick = pp; /* the lowest type, first of them */
		}
		if (pick) {
			if ((*pick)->len > sz && !(flags & MSG_NOERROR)) {
				r = -E2BIG;
				goto out;
			}
			m = *pick;
			*pick = m->next;
			if (q->tail == &m->next)
				q->tail = pick;
			q->bytes -= m->len;
			q->count--;
			q->rtime = time(NULL);
			q->lrpid = t->tg->tgid;
			pthread_cond_broadcast(&q->cond);
			break;
		}
		if (flags & IPC_NOWAIT) {
			r = -ENOMSG;
			goto out;
		}
		if ((r = queue_sleep(q)) < 0)
			goto out;
	}
	pthread_mutex_unlock(&msg_lock);
	size_t n = m->len < sz ? m->len : sz;
	if (copy_to_user(t, args->a[1], &m->type, 8) || copy_to_user(t, args->a[1] + 8, m->data, n))
		r = -EFAULT; /* the message is gone, as on Linux */
	else
		r = (long)n;
	free(m);
	return r;
out:
	pthread_mutex_unlock(&msg_lock);
	return r;
}

struct guest_msqid_ds {
	int32_t key;
	uint32_t uid, gid, cuid, cgid, mode;
	uint16_t seq, pad2;
	uint32_t pad3;
	uint64_t unused1, unused2;
	int64_t stime, rtime, ctime;
	uint64_t cbytes, qnum, qbytes;
	int32_t lspid, lrpid;
	uint64_t unused4, unused5;
};

_Static_assert(sizeof(struct guest_msqid_ds) == 120, "msqid64_ds");

SYSCALL_DEFINE(msgctl)
{
	int id = (int)args->a[0], cmd = (int)args->a[1] & ~0x100;
	struct guest_msqid_ds ds;
	long r = 0;

	if (cmd == IPC_SET && copy_from_user(t, &ds, args->a[2], sizeof(ds)))
		return -EFAULT;
	pthread_mutex_lock(&msg_lock);
	struct msg_queue *q = queue_by_id(id);
	if (!q) {
		pthread_mutex_unlock(&msg_lock);
		return -EINVAL;
	}
	switch (cmd) {
	case IPC_STAT:
		if (!ipc_may(t, &q->perm, 4)) {
			r = -EACCES;
			break;
		}
		memset(&ds, 0, sizeof(ds));
		ds.key = q->perm.key;
		ds.uid = q->perm.uid, ds.gid = q->perm.gid, ds.cuid = q->perm.cuid, ds.cgid = q->perm.cgid;
		ds.mode = q->perm.mode;
		ds.seq = (uint16_t)(q->id / MSG_MAX_QUEUES);
		ds.stime = q->stime, ds.rtime = q->rtime, ds.ctime = q->ctime;
		ds.cbytes = q->bytes, ds.qnum = q->count, ds.qbytes = q->qbytes;
		ds.lspid = q->lspid, ds.lrpid = q->lrpid;
		pthread_mutex_unlock(&msg_lock);
		return copy_to_user(t, args->a[2], &ds, sizeof(ds));
	case IPC_SET:
	case IPC_RMID:
		if (!ipc_may_change(t, &q->perm)) {
			r = -EPERM;
			break;
		}
		if (cmd == IPC_SET) {
			if (ds.qbytes > MSGMNB_ && !creds_capable(&t->creds, 24)) {
				r = -EPERM;
				break;
			}
			q->perm.uid = ds.uid;
			q->perm.gid = ds.gid;
			q->perm.mode = (q->perm.mode & ~0777U) | (ds.mode & 0777);
			q->qbytes = ds.qbytes;
			q->ctime = time(NULL);
		} else {
			q->removed = true;
			queues[q->id % MSG_MAX_QUEUES] = NULL;
			pthread_cond_broadcast(&q->cond);
			if (q->sleepers == 0)
				queue_free(q);
		}
		break;
	default:
		r = -EINVAL; /* IPC_INFO, MSG_INFO, MSG_STAT: not yet */
	}
	pthread_mutex_unlock(&msg_lock);
	return r;
}
