/*
 * System V shared memory: shmget, shmat, shmdt, shmctl.
 *
 * A segment is an unnamed tmpfs file (a host memfd underneath) made in the
 * sandbox's /dev/shm; shmat maps it MAP_SHARED, so attachments in any
 * process share its pages. Attach counts follow shmat and shmdt (an
 * attachment inherited through fork is not counted).
 *
 * Lock order: shm_lock after kernel.lock; never held across mm calls that
 * the platform serves (attachments are looked up, then mapped unlocked).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <time.h>

#include "kernel/ipc.h"
#include "kernel/kernel_impl.h"
#include "syscalls/sys_fs.h"

#define SHM_MAX_SEGS 4096
#define SHMMAX_ (1ULL << 40)
#define SHMLBA_ 4096ULL

struct shm_seg {
	int id;
	uint64_t size;
	struct ipc_perm_k perm;
	struct file *file;
	uint64_t nattch;
	bool removed;
	int64_t atime, dtime, ctime;
	int cpid, lpid;
};

struct shm_att {
	struct mm *mm;
	uint64_t addr, len;
	struct shm_seg *seg;
	struct shm_att *next;
};

static pthread_mutex_t shm_lock = PTHREAD_MUTEX_INITIALIZER;
static struct shm_seg *segs[SHM_MAX_SEGS];
static struct shm_att *atts;
static int next_seq;

static struct shm_seg *seg_by_id(int id)
{
	if (id < 0)
		return NULL;
	struct shm_seg *s = segs[id % SHM_MAX_SEGS];
	return s && s->id == id ? s : NULL;
}

static void seg_free(struct shm_seg *s)
{
	segs[s->id % SHM_MAX_SEGS] = NULL;
	file_put(s->file);
	free(s);
}

/* shm_lock held */
static void seg_maybe_free(struct shm_seg *s)
{
	if (s->removed && s->nattch == 0)
		seg_free(s);
}

SYSCALL_DEFINE(shmget)
{
	int32_t key = (int32_t)args->a[0];
	uint64_t size = args->a[1];
	int flags = (int)args->a[2];
	struct shm_seg *s = NULL;
	long r;

	pthread_mutex_lock(&shm_lock);
	if (key != IPC_PRIVATE) {
		for (int i = 0; i < SHM_MAX_SEGS; i++)
			if (segs[i] && !segs[i]->removed && segs[i]->perm.key == key) {
				s = segs[i];
				break;
			}
		if (s) {
			if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
				r = -EEXIST;
			else if (size > s->size)
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
	if (size < 1 || size > SHMMAX_) {
		r = -EINVAL;
		goto out;
	}
	int slot = -1;
	for (int i = 0; i < SHM_MAX_SEGS; i++)
		if (!segs[i]) {
			slot = i;
			break;
		}
	if (slot < 0) {
		r = -ENOSPC;
		goto out;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	r = vfs_openat(t, AT_FDCWD, "/dev/shm", O_TMPFILE | O_RDWR, 0600, &s->file);
	if (r == 0)
		r = vfs_ftruncate(s->file, size);
	if (r < 0) {
		if (s->file)
			file_put(s->file);
		free(s);
		r = r == -ENOENT ? -ENOSPC : r;
		goto out;
	}
	next_seq = (next_seq + 1) % 32768;
	s->id = next_seq * SHM_MAX_SEGS + slot;
		s->size = size;
	ipc_perm_init(&s->perm, t, key, flags);
	s->ctime = time(NULL);
	s->cpid = t->tg->tgid;
	segs[slot] = s;
	r = s->id;
out:
	pthread_mutex_unlock(&shm_lock);
	return r;
}

SYSCALL_DEFINE(shmat)
{
	int id = (int)args->a[0], flags = (int)args->a[2];
	uint64_t addr = args->a[1];
	struct shm_seg *s;
	struct file *file;
	uint64_t len;
	long r;

	if (addr & (SHMLBA_ - 1)) {
		if (!(flags & SHM_RND))
			return -EINVAL;
		addr &= ~(SHMLBA_ - 1);
	}
	int prot = (flags & SHM_RDONLY) ? PROT_READ : PROT_READ | PROT_WRITE;
	if (flags & SHM_EXEC)
		prot |= PROT_EXEC;
	pthread_mutex_lock(&shm_lock);
	s = seg_by_id(id);
	if (!s) {
		pthread_mutex_unlock(&shm_lock);
		return -EINVAL;
	}
	if (!ipc_may(t, &s->perm, (flags & SHM_RDONLY) ? 4 : 6)) {
		pthread_mutex_unlock(&shm_lock);
		return -EACCES;
	}
	file = s->file;
	file_get(file);
	len = (s->size + 4095) & ~4095ULL;
	s->nattch++; /* held while mapping, so the segment stays */
	pthread_mutex_unlock(&shm_lock);

	int mflags = MAP_SHARED | (addr ? ((flags & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE) : 0);
	r = mm_mmap(t->mm, addr, len, prot, mflags, file, 0);
	if (r == -EEXIST)
		r = -EINVAL;
	file_put(file);

	pthread_mutex_lock(&shm_lock);
	struct shm_att *a = r >= 0 ? calloc(1, sizeof(*a)) : NULL;
	if (r >= 0 && !a) {
		pthread_mutex_unlock(&shm_lock);
		mm_munmap(t->mm, (uint64_t)r, len);
		pthread_mutex_lock(&shm_lock);
		r = -ENOMEM;
	}
	if (r < 0) {
		s->nattch--;
		seg_maybe_free(s);
	} else {
		*a = (struct shm_att){.mm = t->mm, .addr = (uint64_t)r, .len = len, .seg = s,
				      .next = atts};
		atts = a;
		s->atime = time(NULL);
		s->lpid = t->tg->tgid;
	}
	pthread_mutex_unlock(&shm_lock);
	return r;
}

SYSCALL_DEFINE(shmdt)
{
	uint64_t addr = args->a[0];
	struct shm_att *a = NULL;

	if (addr & 4095)
		return -EINVAL;
	pthread_mutex_lock(&shm_lock);
	for (struct shm_att **pp = &atts; *pp; pp = &(*pp)->next)
		if ((*pp)->mm == t->mm && (*pp)->addr == addr) {
			a = *pp;
			*pp = a->next;
			break;
		}
	if (!a) {
		pthread_mutex_unlock(&shm_lock);
		return -EINVAL;
	}
	a->seg->nattch--;
	a->seg->dtime = time(NULL);
	a->seg->lpid = t->tg->tgid;
	seg_maybe_free(a->seg);
	pthread_mutex_unlock(&shm_lock);
	mm_munmap(t->mm, a->addr, a->len);
	free(a);
	return 0;
}

struct guest_shmid_ds {
	int32_t key;
	uint32_t uid, gid, cuid, cgid, mode;
	uint16_t seq, pad2;
	uint32_t pad3;
	uint64_t unused1, unused2;
	uint64_t segsz;
	int64_t atime, dtime, ctime;
	int32_t cpid, lpid;
	uint64_t nattch, unused4, unused5;
};

_Static_assert(sizeof(struct guest_shmid_ds) == 112, "shmid64_ds");

SYSCALL_DEFINE(shmctl)
{
	int id = (int)args->a[0], cmd = (int)args->a[1] & ~0x100 /* IPC_64 */;
	struct guest_shmid_ds ds;
	struct shm_seg *s;
	long r = 0;

	if (cmd == IPC_SET && copy_from_user(t, &ds, args->a[2], sizeof(ds)))
		return -EFAULT;
	pthread_mutex_lock(&shm_lock);
	s = seg_by_id(id);
	if (!s) {
		pthread_mutex_unlock(&shm_lock);
		return cmd == IPC_STAT || cmd == IPC_SET || cmd == IPC_RMID ? -EINVAL : -EINVAL;
	}
	switch (cmd) {
	case IPC_STAT:
		if (!ipc_may(t, &s->perm, 4)) {
			r = -EACCES;
			break;
		}
		memset(&ds, 0, sizeof(ds));
		ds.key = s->removed ? IPC_PRIVATE : s->perm.key;
		ds.uid = s->perm.uid, ds.gid = s->perm.gid, ds.cuid = s->perm.cuid, ds.cgid = s->perm.cgid;
		ds.mode = s->perm.mode | (s->removed ? 01000 /* SHM_DEST */ : 0);
		ds.seq = (uint16_t)(s->id / SHM_MAX_SEGS);
		ds.segsz = s->size;
		ds.atime = s->atime, ds.dtime = s->dtime, ds.ctime = s->ctime;
		ds.cpid = s->cpid, ds.lpid = s->lpid;
		ds.nattch = s->nattch;
		break;
	case IPC_SET:
	case IPC_RMID:
		if (!ipc_may_change(t, &s->perm)) {
			r = -EPERM;
			break;
		}
		if (cmd == IPC_SET) {
			s->perm.uid = ds.uid;
			s->perm.gid = ds.gid;
			s->perm.mode = (s->perm.mode & ~0777U) | (ds.mode & 0777);
			s->ctime = time(NULL);
		} else {
			s->removed = true;
			seg_maybe_free(s);
		}
		break;
	default:
		r = -EINVAL; /* SHM_LOCK, IPC_INFO, SHM_INFO, SHM_STAT: not yet */
	}
	pthread_mutex_unlock(&shm_lock);
	if (r == 0 && cmd == IPC_STAT && copy_to_user(t, args->a[2], &ds, sizeof(ds)))
		return -EFAULT;
	return r;
}
