/*
 * AF_UNIX sockets: endpoints, names (filesystem, abstract, autobind),
 * connect/listen/accept, shutdown, release and options. Message queues,
 * send, receive and poll are in unix_msg.c. See unix_impl.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kernel/task.h"
#include "socket/unix_impl.h"
#include "vfs/vfs_ops.h"

pthread_mutex_t unix_lock = PTHREAD_MUTEX_INITIALIZER;

/* Abstract names and filesystem names: short hash tables of bound sockets. */
#define ABS_BUCKETS 64
static struct unix_sock *abs_table[ABS_BUCKETS];
#define INO_BUCKETS 64
static struct unix_sock *ino_table[INO_BUCKETS];
static unsigned autobind_next;

/* --- endpoints ----------------------------------------------------------- */

void unix_wake(struct unix_sock *u, unsigned events)
{
	pthread_cond_broadcast(&u->cond);
	waitq_wake(&u->wq, events);
}

void us_get(struct unix_sock *u)
{
	u->refs++;
}

void unix_addr_put(struct unix_addr *a)
{
	if (a && --a->refs == 0)
		free(a);
}

void us_put(struct unix_sock *u)
{
	if (--u->refs > 0)
		return;
	/* Nothing can be queued: release purged it, and an embryo is
	 * released before its last reference goes. */
	unix_proc_unlink_locked(u);
	unix_addr_put(u->addr);
	pthread_cond_destroy(&u->cond);
	waitq_destroy(&u->wq);
	free(u);
}

static struct unix_sock *us_alloc(int type)
{
	struct unix_sock *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->refs = 1;
	u->type = type;
	u->peek_off = -1;
	pthread_cond_init(&u->cond, NULL);
	waitq_init(&u->wq);
	unix_proc_link(u);
	return u;
}

int unix_sndbuf(struct unix_sock *u)
{
	if (u->sock)
		return atomic_load(&u->sock->sndbuf);
	return u->sndbuf_hint ? u->sndbuf_hint : SOCK_DEFAULT_BUF;
}

bool unix_passcred(struct unix_sock *u)
{
	return u->sock && atomic_load(&u->sock->passcred);
}

void unix_defer_file(struct unix_deferred *d, struct file *f)
{
	if (d->n == d->cap) {
		int nc = d->cap ? d->cap * 2 : 16;
		struct file **nf = realloc(d->files, (size_t)nc * sizeof(*nf));
		if (!nf) {
			/* Out of memory: leak the reference rather than put it
			 * under unix_lock (its release could need the lock). */
			return;
		}
		d->files = nf;
		d->cap = nc;
	}
	d->files[d->n++] = f;
}

void unix_deferred_run(struct unix_deferred *d)
{
	for (int i = 0; i < d->n; i++)
		file_put(d->files[i]);
	free(d->files);
	d->files = NULL;
	d->n = d->cap = 0;
	if (d->path.dentry)
		path_put(&d->path);
}

void unix_task_creds(struct task *t, struct linux_ucred *c)
{
	c->pid = t ? t->tg->tgid : 0;
	c->uid = t ? t->creds.uid : 0;
	c->gid = t ? t->creds.gid : 0;
}

static void set_peercred(struct unix_sock *u, struct task *t)
{
	u->peercred_set = true;
	u->peercred.pid = t ? t->tg->tgid : 0;
	u->peercred.uid = t ? t->creds.euid : 0;
	u->peercred.gid = t ? t->creds.egid : 0;
}

/* Datagram: record u as a sender connected to p (for p's POLLOUT wakes). */
static void dg_link(struct unix_sock *u, struct unix_sock *p)
{
	u->dg_next = p->dg_senders;
	if (p->dg_senders)
		p->dg_senders->dg_pprev = &u->dg_next;
	p->dg_senders = u;
	u->dg_pprev = &p->dg_senders;
}

static void dg_unlink(struct unix_sock *u)
{
	if (!u->dg_pprev)
		return;
	*u->dg_pprev = u->dg_next;
	if (u->dg_next)
		u->dg_next->dg_pprev = u->dg_pprev;
	u->dg_next = NULL;
	u->dg_pprev = NULL;
}

/* --- names --------------------------------------------------------------- */

static unsigned abs_hash(int type, const unsigned char *name, size_t n)
{
	unsigned h = 2166136261u ^ (unsigned)type;
	for (size_t i = 0; i < n; i++)
		h = (h ^ name[i]) * 16777619u;
	return h % ABS_BUCKETS;
}

static struct unix_sock *abs_find(int type, const struct unix_addr *a)
{
	unsigned b = abs_hash(type, a->sa + 2, a->len - 2);
	for (struct unix_sock *u = abs_table[b]; u; u = u->abs_next)
		if (u->type == type && u->addr->len == a->len &&
		    memcmp(u->addr->sa, a->sa, a->len) == 0)
			return u;
	return NULL;
}

static void abs_insert(struct unix_sock *u)
{
	unsigned b = abs_hash(u->type, u->addr->sa + 2, u->addr->len - 2);
	u->abs_next = abs_table[b];
	abs_table[b] = u;
	u->in_abs_table = true;
}

static void abs_remove(struct unix_sock *u)
{
	if (!u->in_abs_table)
		return;
	unsigned b = abs_hash(u->type, u->addr->sa + 2, u->addr->len - 2);
	for (struct unix_sock **pp = &abs_table[b]; *pp; pp = &(*pp)->abs_next)
		if (*pp == u) {
			*pp = u->abs_next;
			break;
		}
	u->in_abs_table = false;
}

static unsigned ino_hash(const struct superblock *sb, uint64_t ino)
{
	uint64_t h = ((uintptr_t)sb >> 4) * 0x9e3779b97f4a7c15ULL ^ ino * 0xff51afd7ed558ccdULL;
	return (unsigned)(h >> 32) % INO_BUCKETS;
}

static struct unix_sock *ino_find(const struct superblock *sb, uint64_t ino)
{
	for (struct unix_sock *u = ino_table[ino_hash(sb, ino)]; u; u = u->ino_next)
		if (u->bound_sb == sb && u->bound_ino == ino)
			return u;
	return NULL;
}

static void ino_insert(struct unix_sock *u, struct superblock *sb, uint64_t ino)
{
	unsigned b = ino_hash(sb, ino);
	u->bound_sb = sb;
	u->bound_ino = ino;
	u->ino_next = ino_table[b];
	ino_table[b] = u;
	u->in_ino_table = true;
}

static void ino_remove(struct unix_sock *u)
{
	if (!u->in_ino_table)
		return;
	for (struct unix_sock **pp = &ino_table[ino_hash(u->bound_sb, u->bound_ino)]; *pp;
	     pp = &(*pp)->ino_next)
		if (*pp == u) {
			*pp = u->ino_next;
			break;
		}
	u->in_ino_table = false;
}

/*
 * Check a sockaddr_un (Linux's unix_validate_addr) and make the canonical
 * address: a filesystem name is cut at its NUL and given length
 * offsetof(sun_path) + strlen + 1; an abstract one keeps its length.
 */
static int parse_addr(const void *addr, uint32_t len, struct unix_addr *out, bool *abstract)
{
	uint16_t fam;
	if (len < 2 || len > 110)
		return -EINVAL;
	memcpy(&fam, addr, 2);
	if (fam != LINUX_AF_UNIX)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(out->sa, addr, len);
	if (len == 2) {
		out->len = 2;
		*abstract = false;
		return 0;
	}
	*abstract = out->sa[2] == 0;
	if (*abstract) {
		out->len = len;
	} else {
		size_t n = strnlen((const char *)out->sa + 2, len - 2);
		out->sa[2 + n] = 0;
		out->len = (uint32_t)(2 + n + 1);
	}
	return 0;
}

static struct unix_addr *addr_dup(const struct unix_addr *a)
{
	struct unix_addr *n = malloc(sizeof(*n));
	if (!n)
		return NULL;
	*n = *a;
	n->refs = 1;
	return n;
}

/* unix_lock held. Bind u to a free "\0XXXXX" name. */
static int autobind_locked(struct unix_sock *u)
{
	struct unix_addr a = {.len = 8};
	if (u->addr)
		return 0;
	a.sa[0] = LINUX_AF_UNIX;
	for (unsigned tries = 0; tries < 0x100000; tries++) {
		unsigned n = (autobind_next++) & 0xfffff;
		char hex[8];
		snprintf(hex, sizeof(hex), "%05x", n);
		memcpy(a.sa + 3, hex, 5);
		if (!abs_find(u->type, &a)) {
			u->addr = addr_dup(&a);
			if (!u->addr)
				return -ENOMEM;
			abs_insert(u);
			return 0;
		}
	}
	return -ENOSPC;
}

int unix_autobind(struct unix_sock *u)
{
	pthread_mutex_lock(&unix_lock);
	int err = autobind_locked(u);
	pthread_mutex_unlock(&unix_lock);
	return err;
}

static int unix_bind(struct socket *s, struct task *t, const void *addr, uint32_t len)
{
	struct unix_sock *u = s->sk;
	struct unix_addr a;
	bool abstract;
	int err = parse_addr(addr, len, &a, &abstract);
	if (err)
		return err;
	if (a.len == 2)
		return unix_autobind(u);
	pthread_mutex_lock(&unix_lock);
	if (abstract && u->addr) {
		pthread_mutex_unlock(&unix_lock);
		return -EINVAL;
	}
	if (abstract) {
		if (abs_find(u->type, &a)) {
			err = -EADDRINUSE;
		} else if (!(u->addr = addr_dup(&a))) {
			err = -ENOMEM;
		} else {
			abs_insert(u);
		}
		pthread_mutex_unlock(&unix_lock);
		return err;
	}
	pthread_mutex_unlock(&unix_lock);

	/* A filesystem name: make the inode (as mknod: umask applies), then
	 * attach the socket to it. As Linux, the name is made before the
	 * already-bound check, and removed again if that fails. */
	const char *path = (const char *)a.sa + 2;
	err = vfs_mknodat_kind(t, AT_FDCWD, path, VFS_MK_NOD, S_IFSOCK | 0777, 0, NULL);
	if (err == -EEXIST)
		return -EADDRINUSE;
	if (err)
		return err;
	struct path p;
	err = vfs_path_lookup(t, AT_FDCWD, path, 0, &p);
	if (err)
		return err;
	pthread_mutex_lock(&unix_lock);
	if (u->addr) {
		err = -EINVAL; /* bound meanwhile by another thread */
	} else if (!S_ISSOCK(p.dentry->inode->mode) ||
		   ino_find(p.dentry->inode->sb, p.dentry->inode->ino)) {
		err = -EADDRINUSE;
	} else if (!(u->addr = addr_dup(&a))) {
		err = -ENOMEM;
	} else {
		u->path = p;
		ino_insert(u, p.dentry->inode->sb, p.dentry->inode->ino);
		p.mnt = NULL;
		p.dentry = NULL;
	}
	pthread_mutex_unlock(&unix_lock);
	if (p.dentry)
		path_put(&p);
	if (err == -EINVAL)
		vfs_unlinkat(t, AT_FDCWD, path, false);
	return err;
}

int unix_find_other(struct task *t, int type, const void *addr, uint32_t len,
		    struct unix_sock **out)
{
	struct unix_addr a;
	bool abstract;
	int err = parse_addr(addr, len, &a, &abstract);
	if (err)
		return err;
	if (a.len == 2)
		return -EINVAL;
	if (abstract) {
		pthread_mutex_lock(&unix_lock);
		struct unix_sock *o = abs_find(type, &a);
		if (o)
			us_get(o);
		pthread_mutex_unlock(&unix_lock);
		if (!o)
			return -ECONNREFUSED;
		*out = o;
		return 0;
	}
	struct path p;
	err = vfs_path_lookup(t, AT_FDCWD, (const char *)a.sa + 2, LOOKUP_FOLLOW, &p);
	if (err)
		return err;
	struct inode *inode = p.dentry->inode;
	err = inode_permission(inode, MAY_WRITE, t);
	if (!err && !S_ISSOCK(inode->mode))
		err = -ECONNREFUSED;
	if (!err) {
		pthread_mutex_lock(&unix_lock);
		struct unix_sock *o = ino_find(inode->sb, inode->ino);
		if (!o || o->dead)
			err = -ECONNREFUSED;
		else if (o->type != type)
			err = -EPROTOTYPE;
		else
			us_get(o), *out = o;
		pthread_mutex_unlock(&unix_lock);
	}
	path_put(&p);
	return err;
}

static int unix_getname(struct socket *s, void *addr, bool peer)
{
	struct unix_sock *u = s->sk;
	int len;
	pthread_mutex_lock(&unix_lock);
	struct unix_sock *w = u;
	if (peer) {
		w = u->peer;
		if (!w || (u->type != LINUX_SOCK_DGRAM && u->state != US_CONNECTED)) {
			pthread_mutex_unlock(&unix_lock);
			return -ENOTCONN;
		}
	}
	if (w->addr) {
		memcpy(addr, w->addr->sa, w->addr->len);
		len = (int)w->addr->len;
	} else {
		uint16_t fam = LINUX_AF_UNIX;
		memcpy(addr, &fam, 2);
		len = 2;
	}
	pthread_mutex_unlock(&unix_lock);
	return len;
}

/* --- life cycle ---------------------------------------------------------- */

static int unix_create(struct socket *s)
{
	if (s->protocol != 0 && s->protocol != LINUX_AF_UNIX)
		return -EPROTONOSUPPORT;
	switch (s->type) {
	case LINUX_SOCK_RAW:
		s->type = LINUX_SOCK_DGRAM; /* as Linux does */
		break;
	case LINUX_SOCK_STREAM:
	case LINUX_SOCK_DGRAM:
	case LINUX_SOCK_SEQPACKET:
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	struct unix_sock *u = us_alloc(s->type);
	if (!u)
		return -ENOMEM;
	u->sock = s;
	s->sk = u;
	return 0;
}

static int unix_socketpair(struct socket *a, struct socket *b)
{
	struct unix_sock *ua = a->sk, *ub = b->sk;
	struct task *t = task_current();
	pthread_mutex_lock(&unix_lock);
	us_get(ub);
	ua->peer = ub;
	us_get(ua);
	ub->peer = ua;
	if (ua->type != LINUX_SOCK_DGRAM) {
		ua->state = ub->state = US_CONNECTED;
	} else {
		dg_link(ua, ub);
		dg_link(ub, ua);
	}
	set_peercred(ua, t);
	set_peercred(ub, t);
	pthread_mutex_unlock(&unix_lock);
	return 0;
}

/* unix_lock held: u is closed (its file is gone) or, with embryo, a
 * connection nobody accepted. Linux's unix_release_sock. */
static void release_locked(struct unix_sock *u, bool embryo, struct unix_deferred *d)
{
	u->dead = true;
	u->sock = NULL;
	abs_remove(u);
	if (u->in_ino_table) {
		ino_remove(u);
		d->path = u->path;
		u->path.mnt = NULL;
		u->path.dentry = NULL;
	}
	bool unread = u->qhead != NULL;
	struct unix_sock *p = u->peer;
	u->peer = NULL;
	if (p) {
		if (u->type != LINUX_SOCK_DGRAM) {
			p->shutdown = SHUTDOWN_MASK;
			if (unread || embryo)
				p->err = ECONNRESET;
		}
		dg_unlink(u);
		unix_wake(p, 0);
		us_put(p);
	}
	/* Datagram senders connected to us learn it at their next send. */
	while (u->dg_senders) {
		struct unix_sock *sn = u->dg_senders;
		dg_unlink(sn);
		unix_wake(sn, UNIX_EV_OUT);
	}
	struct unix_skb *skb;
	while ((skb = unix_dequeue(u))) {
		if (skb->embryo) {
			struct unix_sock *e = skb->embryo;
			skb->embryo = NULL;
			release_locked(e, true, d);
			us_put(e);
		}
		unix_skb_free(skb, d);
	}
	u->state = US_UNCONNECTED;
	u->shutdown = SHUTDOWN_MASK;
	unix_wake(u, 0);
}

static void unix_release(struct socket *s)
{
	struct unix_sock *u = s->sk;
	struct unix_deferred d = {0};
	if (!u)
		return;
	pthread_mutex_lock(&unix_lock);
	release_locked(u, false, &d);
	s->sk = NULL;
	us_put(u);
	pthread_mutex_unlock(&unix_lock);
	unix_deferred_run(&d);
	unix_gc(); /* as Linux's unix_release_sock */
}

/* --- connections --------------------------------------------------------- */

static int unix_listen(struct socket *s, struct task *t, int backlog)
{
	struct unix_sock *u = s->sk;
	int err = 0;
	if (u->type == LINUX_SOCK_DGRAM)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&unix_lock);
	if (!u->addr || (u->state != US_UNCONNECTED && u->state != US_LISTEN)) {
		err = -EINVAL;
	} else {
		if ((unsigned)backlog > SOCK_MAXCONN)
			backlog = SOCK_MAXCONN;
		u->backlog = backlog;
		if (u->state != US_LISTEN)
			set_peercred(u, t);
		u->state = US_LISTEN;
		unix_wake(u, 0);
	}
	pthread_mutex_unlock(&unix_lock);
	return err;
}

static int dgram_connect(struct unix_sock *u, struct task *t, const void *addr, uint32_t len)
{
	uint16_t fam = 0xffff;
	struct unix_sock *o = NULL;
	int err;
	if (len >= 2)
		memcpy(&fam, addr, 2);
	if (fam == LINUX_AF_UNSPEC) {
		/* Dissolve the association. */
		pthread_mutex_lock(&unix_lock);
		struct unix_sock *old = u->peer;
		u->peer = NULL;
		if (old) {
			dg_unlink(u);
			unix_wake(old, UNIX_EV_OUT);
			us_put(old);
		}
		pthread_mutex_unlock(&unix_lock);
		return 0;
	}
	err = unix_find_other(t, u->type, addr, len, &o);
	if (err)
		return err;
	if (unix_passcred(u) && !u->addr && (err = unix_autobind(u))) {
		pthread_mutex_lock(&unix_lock);
		us_put(o);
		pthread_mutex_unlock(&unix_lock);
		return err;
	}
	pthread_mutex_lock(&unix_lock);
	if (o->dead) {
		err = -ECONNREFUSED;
		us_put(o);
	} else {
		struct unix_sock *old = u->peer;
		if (old) {
			dg_unlink(u);
			unix_wake(old, UNIX_EV_OUT);
			us_put(old);
		}
		u->peer = o; /* takes the lookup's reference */
		dg_link(u, o);
	}
	pthread_mutex_unlock(&unix_lock);
	return err;
}

static bool backlog_full(struct unix_sock *l)
{
	return l->qlen > (size_t)l->backlog;
}

/* Stream and seqpacket connect (Linux's unix_stream_connect). */
static int unix_connect(struct socket *s, struct task *t, const void *addr, uint32_t len,
			bool nonblock)
{
	struct unix_sock *u = s->sk, *l = NULL;
	int err;
	if (u->type == LINUX_SOCK_DGRAM)
		return dgram_connect(u, t, addr, len);
	struct unix_addr chk;
	bool abstract;
	if ((err = parse_addr(addr, len, &chk, &abstract)))
		return err;
	if (unix_passcred(u) && !u->addr && (err = unix_autobind(u)))
		return err;
	err = unix_find_other(t, u->type, addr, len, &l);
	if (err)
		return err;
	struct unix_sock *e = us_alloc(u->type);
	struct unix_skb *skb = calloc(1, sizeof(*skb));
	if (!e || !skb) {
		free(skb);
		pthread_mutex_lock(&unix_lock);
		if (e)
			us_put(e);
		us_put(l);
		pthread_mutex_unlock(&unix_lock);
		return -ENOMEM;
	}
	int64_t deadline = sock_deadline(atomic_load(&s->sndtimeo_ns));
	pthread_mutex_lock(&unix_lock);
	for (;;) {
		if (u->state == US_CONNECTED) {
			err = -EISCONN;
			break;
		}
		if (u->state == US_LISTEN) {
			err = -EINVAL;
			break;
		}
		if (l->dead || l->state != US_LISTEN) {
			err = -ECONNREFUSED;
			break;
		}
		if (!backlog_full(l)) {
			err = 0;
			break;
		}
		if (nonblock) {
			err = -EAGAIN;
			break;
		}
		if ((err = sock_wait(&l->cond, &unix_lock, deadline)) < 0)
			break;
	}
	if (err) {
		us_put(e);
		us_put(l);
		pthread_mutex_unlock(&unix_lock);
		free(skb);
		return err;
	}
	/* The server end: connected to u, named like the listener, with the
	 * connecting task's credentials as its peer's. */
	e->state = US_CONNECTED;
	e->peer = u;
	us_get(u);
	e->addr = l->addr;
	if (e->addr)
		e->addr->refs++;
	e->sndbuf_hint = l->sock ? atomic_load(&l->sock->sndbuf) : 0;
	set_peercred(e, t);
	e->peercred_set = true;
	u->peer = e;
	us_get(e);
	u->state = US_CONNECTED;
	u->peercred = l->peercred;
	u->peercred_set = l->peercred_set;
	skb->embryo = e; /* takes the allocation's reference */
	unix_enqueue(l, skb);
	unix_wake(l, UNIX_EV_IN);
	unix_wake(u, 0);
	us_put(l);
	pthread_mutex_unlock(&unix_lock);
	return 0;
}

static int unix_accept(struct socket *s, struct socket *ns, bool nonblock)
{
	struct unix_sock *u = s->sk;
	int err = 0;
	if (u->type == LINUX_SOCK_DGRAM)
		return -EOPNOTSUPP;
	int64_t deadline = sock_deadline(atomic_load(&s->rcvtimeo_ns));
	pthread_mutex_lock(&unix_lock);
	for (;;) {
		if (u->state != US_LISTEN) {
			err = -EINVAL;
			break;
		}
		if (u->qhead)
			break;
		if (nonblock) {
			err = -EAGAIN;
			break;
		}
		if ((err = sock_wait(&u->cond, &unix_lock, deadline)) < 0)
			break;
	}
	if (err) {
		pthread_mutex_unlock(&unix_lock);
		return err;
	}
	struct unix_skb *skb = unix_dequeue(u);
	struct unix_sock *e = skb->embryo;
	skb->embryo = NULL;
	struct unix_deferred d = {0};
	unix_skb_free(skb, &d);
	/* ns was created with its own endpoint: replace it by the embryo. */
	struct unix_sock *fresh = ns->sk;
	ns->sk = e;
	e->sock = ns;
	atomic_store(&ns->passcred, atomic_load(&s->passcred));
	pthread_cond_broadcast(&u->cond); /* a connect waiting for backlog room */
	unix_wake(e, 0);
	if (fresh)
		us_put(fresh);
	pthread_mutex_unlock(&unix_lock);
	unix_deferred_run(&d);
	return 0;
}

static int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = s->sk;
	if (how < LINUX_SHUT_RD || how > LINUX_SHUT_RDWR)
		return -EINVAL;
	int mode = (how + 1) & SHUTDOWN_MASK; /* SHUT_RD -> RCV, SHUT_WR -> SEND */
	pthread_mutex_lock(&unix_lock);
	u->shutdown |= mode;
	unix_wake(u, 0);
	struct unix_sock *p = u->peer;
	if (p && u->type != LINUX_SOCK_DGRAM) {
		int pm = 0;
		if (mode & RCV_SHUTDOWN)
			pm |= SEND_SHUTDOWN;
		if (mode & SEND_SHUTDOWN)
			pm |= RCV_SHUTDOWN;
		p->shutdown |= pm;
		unix_wake(p, 0);
	}
	pthread_mutex_unlock(&unix_lock);
	return 0;
}

/* --- options ------------------------------------------------------------- */

static int unix_getsockopt(struct socket *s, int level, int name, void *val, uint32_t *len)
{
	struct unix_sock *u = s->sk;
	int v;
	if (level != LINUX_SOL_SOCKET)
		return -EOPNOTSUPP;
	switch (name) {
	case LINUX_SO_PEERCRED: {
		struct linux_ucred c = {0, (uint32_t)-1, (uint32_t)-1};
		pthread_mutex_lock(&unix_lock);
		if (u->peercred_set)
			c = u->peercred;
		pthread_mutex_unlock(&unix_lock);
		uint32_t n = *len < sizeof(c) ? *len : sizeof(c);
		memcpy(val, &c, n);
		*len = n;
		return 0;
	}
	case LINUX_SO_ERROR:
		pthread_mutex_lock(&unix_lock);
		v = u->err;
		u->err = 0;
		pthread_mutex_unlock(&unix_lock);
		break;
	case LINUX_SO_ACCEPTCONN:
		pthread_mutex_lock(&unix_lock);
		v = u->state == US_LISTEN;
		pthread_mutex_unlock(&unix_lock);
		break;
	case LINUX_SO_PEEK_OFF:
		pthread_mutex_lock(&unix_lock);
		v = u->peek_off;
		pthread_mutex_unlock(&unix_lock);
		break;
	default:
		return -ENOPROTOOPT;
	}
	uint32_t n = *len < sizeof(int) ? *len : sizeof(int);
	memcpy(val, &v, n);
	*len = n;
	return 0;
}

static int unix_setsockopt(struct socket *s, int level, int name, const void *val, uint32_t len)
{
	struct unix_sock *u = s->sk;
	int v;
	if (level != LINUX_SOL_SOCKET)
		return -EOPNOTSUPP;
	switch (name) {
	case LINUX_SO_PEEK_OFF:
		if (len < sizeof(int))
			return -EINVAL;
		memcpy(&v, val, sizeof(v));
		pthread_mutex_lock(&unix_lock);
		u->peek_off = v < 0 ? -1 : v;
		pthread_mutex_unlock(&unix_lock);
		return 0;
	}
	return -ENOPROTOOPT;
}

/* A bigger SO_SNDBUF may let blocked writers and pollers go on. */
static void unix_sockopt_changed(struct socket *s, int name)
{
	if (name != LINUX_SO_SNDBUF && name != LINUX_SO_SNDBUFFORCE)
		return;
	pthread_mutex_lock(&unix_lock);
	unix_wake(s->sk, UNIX_EV_OUT);
	pthread_mutex_unlock(&unix_lock);
}

static struct waitq *unix_waitq(struct socket *s)
{
	struct unix_sock *u = s->sk;
	return u ? &u->wq : NULL;
}

static bool unix_is_stream(struct socket *s)
{
	return s->type == LINUX_SOCK_STREAM;
}

const struct proto_ops unix_proto_ops = {
	.family = LINUX_AF_UNIX,
	.create = unix_create,
	.socketpair = unix_socketpair,
	.release = unix_release,
	.bind = unix_bind,
	.connect = unix_connect,
	.listen = unix_listen,
	.accept = unix_accept,
	.getname = unix_getname,
	.sendmsg = unix_sendmsg,
	.recvmsg = unix_recvmsg,
	.shutdown = unix_shutdown,
	.poll = unix_poll,
	.waitq = unix_waitq,
	.getsockopt = unix_getsockopt,
	.setsockopt = unix_setsockopt,
	.sockopt_changed = unix_sockopt_changed,
	.ioctl = unix_ioctl,
	.is_stream = unix_is_stream,
};
