/*
 * Advisory file locks: POSIX record locks, OFD locks and flock(2), kept by
 * the sentry per (device, inode number). See fs/lock.h for the ownership
 * rules. One global mutex covers every lock list and the list of blocked
 * waiters (Linux's blocked_lock_lock does the same for deadlock detection);
 * blocked waiters sleep on one global condition, broadcast whenever a lock
 * goes away.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "fs/lock.h"
#include "kernel/task.h"
#include "syscalls/syscalls.h"
#include "vfs/vfs_impl.h"

#define OFFSET_MAX INT64_MAX
#define MAX_DEADLK_ITERATIONS 10
#define LOCK_HASH_SIZE 256

/* fcntl commands (x86_64 values; F_GETLK64 and friends are the same). */
#define LINUX_F_GETLK 5
#define LINUX_F_SETLK 6
#define LINUX_F_SETLKW 7
#define LINUX_F_OFD_GETLK 36
#define LINUX_F_OFD_SETLK 37
#define LINUX_F_OFD_SETLKW 38

enum lock_kind { LK_POSIX, LK_OFD, LK_FLOCK };

struct file_lock {
	struct file_lock *next;
	int kind;	    /* LK_* */
	int type;	    /* F_RDLCK / F_WRLCK (F_UNLCK only in requests) */
	const void *owner;  /* fdtable (POSIX) or file (OFD, flock) */
	int pid;	    /* tgid of the locker */
	int64_t start, end; /* inclusive; end OFFSET_MAX: to EOF and beyond */
};

/* The locks of one file; freed when it has neither locks nor waiters. */
struct lock_ctx {
	struct lock_ctx *next; /* hash chain */
	uint64_t dev, ino;
	struct file_lock *posix; /* POSIX and OFD locks, sorted by start */
	struct file_lock *flocks;
	int waiters;
};

/* A task blocked in F_SETLKW (for deadlock detection). */
struct lock_waiter {
	struct lock_waiter *next;
	const void *owner;		  /* the POSIX owner that waits (NULL: OFD, flock) */
	const void *blocker;		  /* the owner of the lock it waits for */
	const struct file_lock *blocking; /* that lock (compared, never read) */
	const struct file_lock *req;	  /* the request (for /proc/locks) */
	const struct lock_ctx *ctx;
};

static pthread_mutex_t file_lock_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t file_lock_cond = PTHREAD_COND_INITIALIZER;
static struct lock_ctx *lock_hash[LOCK_HASH_SIZE];
static struct lock_waiter *lock_waiters;
static atomic_int lock_nctx; /* contexts alive: the close hooks return at once when 0 */

static unsigned hash_key(uint64_t dev, uint64_t ino)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ULL) ^ (ino * 0xc2b2ae3d27d4eb4fULL);
	return (unsigned)(h >> 32) % LOCK_HASH_SIZE;
}

static void file_key(struct file *f, uint64_t *dev, uint64_t *ino)
{
	*dev = f->inode->sb ? f->inode->sb->dev : 0;
	*ino = f->inode->ino;
}

/* Find (or with create, make) the context of f. Mutex held. */
static struct lock_ctx *ctx_find(struct file *f, bool create)
{
	uint64_t dev, ino;
	file_key(f, &dev, &ino);
	unsigned h = hash_key(dev, ino);
	for (struct lock_ctx *c = lock_hash[h]; c; c = c->next)
		if (c->dev == dev && c->ino == ino)
			return c;
	if (!create)
		return NULL;
	struct lock_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->dev = dev;
	c->ino = ino;
	c->next = lock_hash[h];
	lock_hash[h] = c;
	lock_nctx++;
	return c;
}

/* Free c if nothing uses it any more. Mutex held. */
static void ctx_maybe_free(struct lock_ctx *c)
{
	if (c->posix || c->flocks || c->waiters)
		return;
	for (struct lock_ctx **pp = &lock_hash[hash_key(c->dev, c->ino)]; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			lock_nctx--;
			free(c);
			return;
		}
	}
}

static bool ranges_overlap(const struct file_lock *a, const struct file_lock *b)
{
	return a->start <= b->end && b->start <= a->end;
}

static bool locks_conflict(const struct file_lock *held, const struct file_lock *req)
{
	if (held->owner == req->owner)
		return false;
	if (held->type != F_WRLCK && req->type != F_WRLCK)
		return false;
	return req->kind == LK_FLOCK || ranges_overlap(held, req);
}

static struct file_lock *find_conflict(struct file_lock *list, const struct file_lock *req)
{
	for (struct file_lock *l = list; l; l = l->next)
		if (locks_conflict(l, req))
			return l;
	return NULL;
}

/*
 * Set (or with F_UNLCK clear) req's range for req's owner in the record
 * list, as Linux's posix_lock_inode: the owner's locks under the range are
 * cut or split, adjacent or overlapping locks of the same type merge with
 * the new one. Conflicts have been checked. Mutex held. 0 or -ENOLCK (then
 * nothing changed).
 */
static int posix_apply(struct lock_ctx *c, const struct file_lock *req)
{
	/* At most one new lock and one split-off right part are needed. */
	struct file_lock *spare[2] = {malloc(sizeof(struct file_lock)),
				      malloc(sizeof(struct file_lock))};
	int nspare = 2;
	if (!spare[0] || !spare[1]) {
		free(spare[0]);
		free(spare[1]);
		return -ENOLCK;
	}
	int64_t s = req->start, e = req->end;
	struct file_lock *keep = NULL, **tail = &keep;
	struct file_lock *l = c->posix;
	c->posix = NULL;
	while (l) {
		struct file_lock *next = l->next;
		l->next = NULL;
		bool overlap = l->start <= e && s <= l->end;
		bool adjacent = (s > 0 && l->end == s - 1) || (e < OFFSET_MAX && l->start == e + 1);
		if (l->owner != req->owner || (!overlap && !adjacent)) {
			*tail = l;
			tail = &l->next;
		} else if (req->type != F_UNLCK && l->type == req->type) {
			/* Same type, touching: absorb it into the new range. */
			if (l->start < s)
				s = l->start;
			if (l->end > e)
				e = l->end;
			free(l);
		} else if (!overlap) {
			*tail = l; /* adjacent, other type (or unlock): untouched */
			tail = &l->next;
		} else {
			/* Cut the part under [s, e]; keep what sticks out. */
			struct file_lock *right = NULL;
			if (l->end > e) {
				right = spare[--nspare];
				*right = *l;
				right->start = e + 1;
				right->next = NULL;
			}
			if (l->start < s) {
				l->end = s - 1;
				*tail = l;
				tail = &l->next;
			} else {
				free(l);
			}
			if (right) {
				*tail = right;
				tail = &right->next;
			}
		}
		l = next;
	}
	if (req->type != F_UNLCK) {
		struct file_lock *n = spare[--nspare];
		*n = *req;
		n->start = s;
		n->end = e;
		n->next = NULL;
		*tail = n;
	}
	while (nspare > 0)
		free(spare[--nspare]);
	/* Keep the list sorted by start (insertion sort of a short list). */
	struct file_lock *sorted = NULL;
	while (keep) {
		struct file_lock *n = keep;
		keep = keep->next;
		struct file_lock **pp = &sorted;
		while (*pp && (*pp)->start <= n->start)
			pp = &(*pp)->next;
		n->next = *pp;
		*pp = n;
	}
	c->posix = sorted;
	pthread_cond_broadcast(&file_lock_cond);
	return 0;
}

/* Would owner (waiting for blocker) close a cycle of POSIX waiters? */
static bool posix_deadlock(const void *owner, const void *blocker)
{
	for (int i = 0; i <= MAX_DEADLK_ITERATIONS; i++) {
		struct lock_waiter *w = lock_waiters;
		while (w && w->owner != blocker)
			w = w->next;
		if (!w)
			return false;
		blocker = w->blocker;
		if (blocker == owner)
			return true;
	}
	return false;
}

/* Sleep for a conflict with l to go (mutex held): -ERESTARTSYS or 0. */
static int lock_wait(struct lock_ctx *c, const struct file_lock *req, const struct file_lock *l);

static void waiter_remove(struct lock_waiter *w)
{
	for (struct lock_waiter **pp = &lock_waiters; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			return;
		}
	}
}

static int lock_wait(struct lock_ctx *c, const struct file_lock *req, const struct file_lock *l)
{
	struct lock_waiter w = {.owner = req->kind == LK_POSIX ? req->owner : NULL,
				.blocker = l->owner,
				.blocking = l,
				.req = req,
				.ctx = c};
	w.next = lock_waiters;
	lock_waiters = &w;
	c->waiters++;
	int err = task_cond_wait(&file_lock_cond, &file_lock_mutex);
	c->waiters--;
	waiter_remove(&w);
	return err;
}

/* Convert the application's struct flock to a range, as Linux's
 * flock_to_posix_lock. */
static int flock_to_range(struct file *f, const struct linux_flock *fl, struct file_lock *req)
{
	int64_t base;
	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		pthread_mutex_lock(&f->pos_lock);
		base = f->pos;
		pthread_mutex_unlock(&f->pos_lock);
		break;
	case SEEK_END: {
		struct kstat st;
		int err = vfs_fstat(f, &st);
		if (err)
			return err;
		base = st.size > (uint64_t)OFFSET_MAX ? OFFSET_MAX : (int64_t)st.size;
		break;
	}
	default:
		return -EINVAL;
	}
	if (fl->l_start > 0 && fl->l_start > OFFSET_MAX - base)
		return -EOVERFLOW;
	int64_t start = base + fl->l_start;
	if (start < 0)
		return -EINVAL;
	int64_t end;
	if (fl->l_len > 0) {
		if (fl->l_len - 1 > OFFSET_MAX - start)
			return -EOVERFLOW;
		end = start + (fl->l_len - 1);
	} else if (fl->l_len < 0) {
		if (start + fl->l_len < 0)
			return -EINVAL;
		end = start - 1;
		start += fl->l_len;
	} else {
		end = OFFSET_MAX;
	}
	req->start = start;
	req->end = end;
	return 0;
}

static int task_tgid(struct task *t)
{
	return t && t->tg ? t->tg->tgid : 0;
}

/* F_GETLK / F_OFD_GETLK. */
static long lock_test(struct file *f, struct file_lock *req, struct linux_flock *fl)
{
	if (req->type == F_UNLCK)
		return -EINVAL;
	pthread_mutex_lock(&file_lock_mutex);
	struct lock_ctx *c = ctx_find(f, false);
	struct file_lock *l = c ? find_conflict(c->posix, req) : NULL;
	if (l) {
		fl->l_type = (int16_t)l->type;
		fl->l_whence = SEEK_SET;
		fl->l_start = l->start;
		fl->l_len = l->end == OFFSET_MAX ? 0 : l->end - l->start + 1;
		fl->l_pid = l->kind == LK_OFD ? -1 : l->pid;
	} else {
		fl->l_type = F_UNLCK;
	}
	pthread_mutex_unlock(&file_lock_mutex);
	return 0;
}

/* Set a record lock, waiting for conflicts to go if wait. */
static long lock_set(struct file *f, struct file_lock *req, bool wait)
{
	long err = 0;
	pthread_mutex_lock(&file_lock_mutex);
	struct lock_ctx *c = ctx_find(f, req->type != F_UNLCK);
	if (!c) {
		pthread_mutex_unlock(&file_lock_mutex);
		return req->type == F_UNLCK ? 0 : -ENOLCK;
	}
	for (;;) {
		struct file_lock *l = req->type == F_UNLCK ? NULL : find_conflict(c->posix, req);
		if (!l) {
			err = posix_apply(c, req);
			break;
		}
		if (!wait) {
			err = -EAGAIN;
			break;
		}
		if (req->kind == LK_POSIX && posix_deadlock(req->owner, l->owner)) {
			err = -EDEADLK;
			break;
		}
		err = lock_wait(c, req, l);
		if (err)
			break; /* -ERESTARTSYS: restarted with SA_RESTART, as Linux */
	}
	ctx_maybe_free(c);
	pthread_mutex_unlock(&file_lock_mutex);
	return err;
}

long file_lock_fcntl(struct task *t, int fd, struct file *f, int cmd, struct linux_flock *fl)
{
	bool ofd =
	    cmd == LINUX_F_OFD_GETLK || cmd == LINUX_F_OFD_SETLK || cmd == LINUX_F_OFD_SETLKW;
	int flags = file_flags(f);
	if (flags & O_PATH)
		return -EBADF;
	if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && fl->l_type != F_UNLCK)
		return -EINVAL;
	if (ofd && fl->l_pid != 0)
		return -EINVAL;
	struct file_lock req = {
	    .kind = ofd ? LK_OFD : LK_POSIX,
	    .type = fl->l_type,
	    .owner = ofd ? (const void *)f : (const void *)t->fdt,
	    .pid = task_tgid(t),
	};
	int err = flock_to_range(f, fl, &req);
	if (err)
		return err;
	if (cmd == LINUX_F_GETLK || cmd == LINUX_F_OFD_GETLK)
		return lock_test(f, &req, fl);
	int acc = flags & O_ACCMODE;
	if (req.type == F_RDLCK && acc != O_RDONLY && acc != O_RDWR)
		return -EBADF;
	if (req.type == F_WRLCK && acc != O_WRONLY && acc != O_RDWR)
		return -EBADF;
	bool wait = cmd == LINUX_F_SETLKW || cmd == LINUX_F_OFD_SETLKW;
	long r = lock_set(f, &req, wait);
	if (r == 0 && !ofd && req.type != F_UNLCK && t->fdt) {
		/* A close of fd raced with us: drop what we just took. */
		struct file *cur = fd_get(t->fdt, fd);
		if (cur != f) {
			req.type = F_UNLCK;
			lock_set(f, &req, false);
			r = -EBADF;
		}
		if (cur)
			file_put(cur);
	}
	return r;
}

long file_flock(struct task *t, struct file *f, unsigned operation)
{
	bool nb = operation & LOCK_NB;
	int type;
	switch (operation & ~(unsigned)LOCK_NB) {
	case LOCK_SH:
		type = F_RDLCK;
		break;
	case LOCK_EX:
		type = F_WRLCK;
		break;
	case LOCK_UN:
		type = F_UNLCK;
		break;
	default:
		return -EINVAL;
	}
	if (file_flags(f) & O_PATH)
		return -EBADF;
	struct file_lock req = {.kind = LK_FLOCK,
				.type = type,
				.owner = f,
				.pid = task_tgid(t),
				.start = 0,
				.end = OFFSET_MAX};
	long err = 0;
	pthread_mutex_lock(&file_lock_mutex);
	struct lock_ctx *c = ctx_find(f, type != F_UNLCK);
	if (!c) {
		pthread_mutex_unlock(&file_lock_mutex);
		return type == F_UNLCK ? 0 : -ENOLCK;
	}
	/* An existing lock of this description: same type is done; otherwise
	 * it goes first (conversion is not atomic in Linux either). */
	for (struct file_lock **pp = &c->flocks; *pp; pp = &(*pp)->next) {
		struct file_lock *l = *pp;
		if (l->owner != f)
			continue;
		if (l->type == type)
			goto out;
		*pp = l->next;
		free(l);
		pthread_cond_broadcast(&file_lock_cond);
		break;
	}
	if (type == F_UNLCK)
		goto out;
	for (;;) {
		struct file_lock *l = find_conflict(c->flocks, &req);
		if (!l)
			break;
		if (nb) {
			err = -EWOULDBLOCK;
			goto out;
		}
		err = lock_wait(c, &req, l);
		if (err)
			goto out;
	}
	struct file_lock *n = malloc(sizeof(*n));
	if (!n) {
		err = -ENOLCK;
		goto out;
	}
	*n = req;
	n->next = c->flocks;
	c->flocks = n;
out:
	ctx_maybe_free(c);
	pthread_mutex_unlock(&file_lock_mutex);
	return err;
}

/* Remove the locks of owner from *list; true if any went. Mutex held. */
static bool remove_owner(struct file_lock **list, const void *owner)
{
	bool any = false;
	for (struct file_lock **pp = list; *pp;) {
		struct file_lock *l = *pp;
		if (l->owner == owner) {
			*pp = l->next;
			free(l);
			any = true;
		} else {
			pp = &l->next;
		}
	}
	return any;
}

void locks_remove_posix(struct fdtable *fdt, struct file *f)
{
	if (!f || !f->inode || !fdt || !atomic_load(&lock_nctx))
		return;
	pthread_mutex_lock(&file_lock_mutex);
	struct lock_ctx *c = ctx_find(f, false);
	if (c) {
		if (remove_owner(&c->posix, fdt))
			pthread_cond_broadcast(&file_lock_cond);
		ctx_maybe_free(c);
	}
	pthread_mutex_unlock(&file_lock_mutex);
}

void locks_remove_file(struct file *f)
{
	if (!f || !f->inode || !atomic_load(&lock_nctx))
		return;
	pthread_mutex_lock(&file_lock_mutex);
	struct lock_ctx *c = ctx_find(f, false);
	if (c) {
		bool a = remove_owner(&c->posix, f);
		bool b = remove_owner(&c->flocks, f);
		if (a || b)
			pthread_cond_broadcast(&file_lock_cond);
		ctx_maybe_free(c);
	}
	pthread_mutex_unlock(&file_lock_mutex);
}

/* One /proc/locks line, in Linux's lock_get_status format (pfx " ->" for
 * a blocked request, listed under the lock it waits for). */
static void show_lock(struct seq_buf *s, int id, const char *pfx, const struct lock_ctx *c,
		      const struct file_lock *l)
{
	const char *kind = l->kind == LK_FLOCK ? "FLOCK  ADVISORY  "
			   : l->kind == LK_OFD ? "OFDLCK ADVISORY  "
					       : "POSIX  ADVISORY  ";
	seq_printf(s, "%d:%s %s%s %d %02x:%02x:%llu ", id, pfx, kind,
		   l->type == F_WRLCK ? "WRITE" : "READ", l->kind == LK_OFD ? -1 : l->pid,
		   major(c->dev), minor(c->dev), (unsigned long long)c->ino);
	if (l->kind == LK_FLOCK || l->end == OFFSET_MAX)
		seq_printf(s, "%lld EOF\n", (long long)(l->kind == LK_FLOCK ? 0 : l->start));
	else
		seq_printf(s, "%lld %lld\n", (long long)l->start, (long long)l->end);
}

static void show_with_waiters(struct seq_buf *s, int id, const struct lock_ctx *c,
			      const struct file_lock *l)
{
	show_lock(s, id, "", c, l);
	for (struct lock_waiter *w = lock_waiters; w; w = w->next)
		if (w->blocking == l)
			show_lock(s, id, " ->", w->ctx, w->req);
}

int locks_show_proc(struct inode *inode, struct seq_buf *s)
{
	(void)inode;
	int id = 1;
	pthread_mutex_lock(&file_lock_mutex);
	for (int h = 0; h < LOCK_HASH_SIZE; h++) {
		for (struct lock_ctx *c = lock_hash[h]; c; c = c->next) {
			for (struct file_lock *l = c->flocks; l; l = l->next)
				show_with_waiters(s, id++, c, l);
			for (struct file_lock *l = c->posix; l; l = l->next)
				show_with_waiters(s, id++, c, l);
		}
	}
	pthread_mutex_unlock(&file_lock_mutex);
	return 0;
}
