/*
 * inotify: instances (files), watches on inodes, and the event queue the
 * fsnotify hooks (fs/fsnotify.h, fs/fsnotify.c) fill.
 *
 * Watches are keyed by (device, inode number), like file locks, and hold a
 * reference on the inode they were added on. inotify_lock protects the
 * watch hash, every instance's watch list and the watches themselves; an
 * instance's lock protects its event queue. Order: inotify_lock ->
 * instance lock -> the instance's waitq lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "fs/inotify_impl.h"
#include "kernel/task.h"
#include "kernel/waitq.h"
#include "syscalls/sys_fs.h"
#include "vfs/vfs_impl.h"

#define INOTIFY_MAX_EVENTS 16384 /* /proc/sys/fs/inotify/max_queued_events */
/* The sandbox is one user to these limits (Linux's are per user). */
#define INOTIFY_MAX_INSTANCES 128 /* /proc/sys/fs/inotify/max_user_instances */
#define INOTIFY_MAX_WATCHES 65536 /* /proc/sys/fs/inotify/max_user_watches */
#define WATCH_HASH_SIZE 256
#define EVENT_HDR 16 /* sizeof(struct inotify_event) */

struct ievent {
	struct ievent *next;
	int32_t wd;
	uint32_t mask, cookie, len; /* len: name bytes incl. padding */
	char name[];
};

struct inotify_inst {
	pthread_mutex_t lock; /* the event queue */
	pthread_cond_t cond;
	struct waitq wq;
	struct ievent *head, *tail;
	unsigned nevents;
	size_t bytes;
	bool overflowed;	/* an IN_Q_OVERFLOW event is queued */
	struct iwatch *watches; /* inotify_lock */
	int next_wd;		/* inotify_lock */
	int nwatches;		/* inotify_lock */
};

struct iwatch {
	struct iwatch *hnext; /* hash chain */
	struct iwatch *inext; /* the instance's list */
	struct inotify_inst *in;
	int wd;
	uint32_t mask; /* events | IN_ONESHOT | IN_EXCL_UNLINK */
	uint64_t dev, ino;
	struct inode *inode; /* referenced */
};

static pthread_mutex_t inotify_lock = PTHREAD_MUTEX_INITIALIZER;
static struct iwatch *watch_hash[WATCH_HASH_SIZE];
atomic_int inotify_nwatches;
static atomic_int inotify_ninstances;

static unsigned whash(uint64_t dev, uint64_t ino)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ULL) ^ (ino * 0xc2b2ae3d27d4eb4fULL);
	return (unsigned)(h >> 32) % WATCH_HASH_SIZE;
}

/* Queue one event on in (coalescing with an identical last event, as Linux
 * does; an overflow event instead when the queue is full). */
static void queue_event(struct inotify_inst *in, int wd, uint32_t mask, uint32_t cookie,
			const char *name)
{
	size_t nl = name ? strlen(name) : 0;
	uint32_t len = name ? (uint32_t)((nl + 1 + EVENT_HDR - 1) / EVENT_HDR * EVENT_HDR) : 0;
	pthread_mutex_lock(&in->lock);
	struct ievent *t = in->tail;
	if (t && t->wd == wd && t->mask == mask && t->cookie == cookie && t->len == len &&
	    (len == 0 || strcmp(t->name, name) == 0)) {
		pthread_mutex_unlock(&in->lock);
		return;
	}
	bool overflow = in->nevents >= INOTIFY_MAX_EVENTS;
	if (overflow && in->overflowed) {
		pthread_mutex_unlock(&in->lock);
		return;
	}
	if (overflow) {
		wd = -1;
		mask = IN_Q_OVERFLOW;
		cookie = 0;
		len = 0;
	}
	struct ievent *e = calloc(1, sizeof(*e) + len);
	if (!e) {
		pthread_mutex_unlock(&in->lock);
		return; /* dropped, as Linux drops an event it cannot allocate */
	}
	e->wd = wd;
	e->mask = mask;
	e->cookie = cookie;
	e->len = len;
	if (len)
		memcpy(e->name, name, nl);
	if (in->tail)
		in->tail->next = e;
	else
		in->head = e;
	in->tail = e;
	in->nevents++;
	in->bytes += EVENT_HDR + len;
	if (overflow)
		in->overflowed = true;
	pthread_cond_broadcast(&in->cond);
	pthread_mutex_unlock(&in->lock);
	waitq_wake(&in->wq, POLLIN | POLLRDNORM);
}

/* Unhook w from the hash and its instance (inotify_lock held); the caller
 * frees it with watch_free after unlocking. */
static void watch_unhook(struct iwatch *w)
{
	for (struct iwatch **pp = &watch_hash[whash(w->dev, w->ino)]; *pp; pp = &(*pp)->hnext) {
		if (*pp == w) {
			*pp = w->hnext;
			break;
		}
	}
	for (struct iwatch **pp = &w->in->watches; *pp; pp = &(*pp)->inext) {
		if (*pp == w) {
			*pp = w->inext;
			break;
		}
	}
	w->in->nwatches--;
	atomic_fetch_sub(&inotify_nwatches, 1);
}

static void watch_free_list(struct iwatch *list)
{
	while (list) {
		struct iwatch *n = list->inext;
		inode_put(list->inode);
		free(list);
		list = n;
	}
}

void inotify_send(uint64_t dev, uint64_t ino, uint32_t mask, uint32_t cookie, const char *name,
		  bool child_unlinked)
{
	struct iwatch *dead = NULL;
	pthread_mutex_lock(&inotify_lock);
	struct iwatch *w = watch_hash[whash(dev, ino)];
	while (w) {
		struct iwatch *next = w->hnext;
		if (w->dev != dev || w->ino != ino) {
			w = next;
			continue;
		}
		bool want = mask & w->mask & IN_ALL_EVENTS;
		if (want && name && child_unlinked && (w->mask & IN_EXCL_UNLINK))
			want = false;
		if (want)
			queue_event(w->in, w->wd, mask, cookie, name);
		/* The inode is gone (IN_DELETE_SELF), or a one-shot watch fired:
		 * the watch ends with IN_IGNORED. */
		if ((!name && (mask & IN_DELETE_SELF)) || (want && (w->mask & IN_ONESHOT))) {
			queue_event(w->in, w->wd, IN_IGNORED, 0, NULL);
			watch_unhook(w);
			w->inext = dead;
			dead = w;
		}
		w = next;
	}
	pthread_mutex_unlock(&inotify_lock);
	watch_free_list(dead);
}

/* --- the instance file --------------------------------------------------- */

static const struct file_operations inotify_fops;

static ssize_t inotify_read(struct file *f, void *buf, size_t n, int64_t *pos)
{
	struct inotify_inst *in = f->priv;
	(void)pos;
	pthread_mutex_lock(&in->lock);
	while (!in->head) {
		if (file_flags(f) & O_NONBLOCK) {
			pthread_mutex_unlock(&in->lock);
			return -EAGAIN;
		}
		int r = task_cond_wait(&in->cond, &in->lock);
		if (r < 0) {
			pthread_mutex_unlock(&in->lock);
			return r;
		}
	}
	size_t limit = n;
	if (in->head && EVENT_HDR + in->head->len > n) {
		pthread_mutex_unlock(&in->lock);
		return -EINVAL; /* the first event does not fit */
	}
	size_t done = 0;
	while (in->head && EVENT_HDR + in->head->len <= limit - done) {
		struct ievent *e = in->head;
		struct inotify_event hdr = {
		    .wd = e->wd, .mask = e->mask, .cookie = e->cookie, .len = e->len};
		memcpy((char *)buf + done, &hdr, EVENT_HDR);
		memcpy((char *)buf + done + EVENT_HDR, e->name, e->len);
		done += EVENT_HDR + e->len;
		in->head = e->next;
		if (!in->head)
			in->tail = NULL;
		in->nevents--;
		in->bytes -= EVENT_HDR + e->len;
		if (e->mask & IN_Q_OVERFLOW)
			in->overflowed = false;
		free(e);
	}
	pthread_mutex_unlock(&in->lock);
	return (ssize_t)done;
}

static unsigned inotify_poll(struct file *f, unsigned events)
{
	struct inotify_inst *in = f->priv;
	(void)events;
	pthread_mutex_lock(&in->lock);
	unsigned r = in->head ? (POLLIN | POLLRDNORM) : 0;
	pthread_mutex_unlock(&in->lock);
	return r;
}

static struct waitq *inotify_waitq(struct file *f)
{
	return &((struct inotify_inst *)f->priv)->wq;
}

static long inotify_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct inotify_inst *in = f->priv;
	if (cmd != FIONREAD)
		return -ENOTTY;
	pthread_mutex_lock(&in->lock);
	int n = (int)in->bytes;
	pthread_mutex_unlock(&in->lock);
	return copy_to_user(t, arg, &n, sizeof(n)) ? -EFAULT : 0;
}

static void inotify_free(struct inotify_inst *in)
{
	while (in->head) {
		struct ievent *e = in->head;
		in->head = e->next;
		free(e);
	}
	waitq_destroy(&in->wq);
	pthread_cond_destroy(&in->cond);
	pthread_mutex_destroy(&in->lock);
	free(in);
	atomic_fetch_sub(&inotify_ninstances, 1);
}

static void inotify_release(struct file *f)
{
	struct inotify_inst *in = f->priv;
	struct iwatch *dead = NULL;
	pthread_mutex_lock(&inotify_lock);
	while (in->watches) {
		struct iwatch *w = in->watches;
		watch_unhook(w);
		w->inext = dead;
		dead = w;
	}
	pthread_mutex_unlock(&inotify_lock);
	watch_free_list(dead);
	inotify_free(in);
}

static const struct file_operations inotify_fops = {
    .read = inotify_read,
    .llseek = no_llseek,
    .ioctl = inotify_ioctl,
    .poll = inotify_poll,
    .waitq = inotify_waitq,
    .release = inotify_release,
};

/* --- syscalls ------------------------------------------------------------ */

SYSCALL_DEFINE(inotify_init1)
{
	int flags = (int)args->a[0];
	if (flags & ~(IN_CLOEXEC | IN_NONBLOCK))
		return -EINVAL;
	if (atomic_fetch_add(&inotify_ninstances, 1) >= INOTIFY_MAX_INSTANCES) {
		atomic_fetch_sub(&inotify_ninstances, 1);
		return -EMFILE;
	}
	struct inotify_inst *in = calloc(1, sizeof(*in));
	if (!in) {
		atomic_fetch_sub(&inotify_ninstances, 1);
		return -ENOMEM;
	}
	pthread_mutex_init(&in->lock, NULL);
	pthread_cond_init(&in->cond, NULL);
	waitq_init(&in->wq);
	struct file *f = anon_file_new(0600, &inotify_fops, in, O_RDONLY | (flags & IN_NONBLOCK),
				       "anon_inode:inotify");
	if (!f) {
		inotify_free(in);
		return -ENOMEM;
	}
	int fd = fd_install(t->fdt, f, flags & IN_CLOEXEC, 0);
	file_put(f);
	return fd;
}

SYSCALL_DEFINE(inotify_init)
{
	struct sysargs a = {{0}};
	return sys_inotify_init1(t, &a);
}

/* The instance behind fd (referenced), or NULL with *err. */
static struct file *inotify_fget(struct task *t, int fd, long *err)
{
	struct file *f = sys_fget(t, fd);
	if (!f) {
		*err = -EBADF;
		return NULL;
	}
	if (f->ops != &inotify_fops) {
		file_put(f);
		*err = -EINVAL;
		return NULL;
	}
	return f;
}

SYSCALL_DEFINE(inotify_add_watch)
{
	uint32_t mask = (uint32_t)args->a[2];
	long err;
	if (!(mask & IN_ALL_EVENTS))
		return -EINVAL;
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	struct file *f = inotify_fget(t, sys_fd(args->a[0]), &err);
	if (!f)
		return err;
	struct inotify_inst *in = f->priv;
	int e;
	char *path = sys_getpath(t, args->a[1], &e);
	if (!path) {
		file_put(f);
		return e;
	}
	unsigned lf = (mask & IN_DONT_FOLLOW) ? 0 : LOOKUP_FOLLOW;
	if (mask & IN_ONLYDIR)
		lf |= LOOKUP_DIRECTORY;
	struct path p;
	err = vfs_path_lookup(t, AT_FDCWD, path, lf, &p);
	free(path);
	if (err) {
		file_put(f);
		return err;
	}
	struct inode *inode = p.dentry->inode;
	err = inode_permission(inode, MAY_READ, t);
	if (err)
		goto out;
	uint64_t dev = inode->sb ? inode->sb->dev : 0, ino = inode->ino;
	uint32_t keep = mask & (IN_ALL_EVENTS | IN_ONESHOT | IN_EXCL_UNLINK);
	struct iwatch *nw = calloc(1, sizeof(*nw));
	if (!nw) {
		err = -ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&inotify_lock);
	struct iwatch *w = in->watches;
	while (w && !(w->dev == dev && w->ino == ino))
		w = w->inext;
	if (w && (mask & IN_MASK_CREATE)) {
		err = -EEXIST;
	} else if (w) {
		w->mask = (mask & IN_MASK_ADD) ? (w->mask | keep) : keep;
		err = w->wd;
	} else if (atomic_load(&inotify_nwatches) >= INOTIFY_MAX_WATCHES) {
		err = -ENOSPC;
	} else {
		if (in->next_wd >= INT32_MAX)
			in->next_wd = 0;
		nw->wd = ++in->next_wd;
		nw->in = in;
		nw->mask = keep;
		nw->dev = dev;
		nw->ino = ino;
		nw->inode = inode;
		inode_get(inode);
		unsigned h = whash(dev, ino);
		nw->hnext = watch_hash[h];
		watch_hash[h] = nw;
		nw->inext = in->watches;
		in->watches = nw;
		in->nwatches++;
		atomic_fetch_add(&inotify_nwatches, 1);
		err = nw->wd;
		nw = NULL;
	}
	pthread_mutex_unlock(&inotify_lock);
	free(nw);
out:
	path_put(&p);
	file_put(f);
	return err;
}

SYSCALL_DEFINE(inotify_rm_watch)
{
	long err;
	int wd = (int)args->a[1];
	struct file *f = inotify_fget(t, sys_fd(args->a[0]), &err);
	if (!f)
		return err;
	struct inotify_inst *in = f->priv;
	pthread_mutex_lock(&inotify_lock);
	struct iwatch *w = in->watches;
	while (w && w->wd != wd)
		w = w->inext;
	if (w) {
		queue_event(in, wd, IN_IGNORED, 0, NULL);
		watch_unhook(w);
		w->inext = NULL;
	}
	pthread_mutex_unlock(&inotify_lock);
	file_put(f);
	if (!w)
		return -EINVAL;
	watch_free_list(w);
	return 0;
}
