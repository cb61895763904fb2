/*
 * The sentry's gofer client (gofer_client.h, docs/gofer-protocol.md).
 *
 * One request is in flight at a time: gc->lock is held from sendmsg to the
 * matching recvmsg. Every reply is checked against the request (type, tag),
 * its exact length, its payload and its descriptors; anything unexpected
 * returns -EIO and marks the connection dead (a gofer that misbehaves once
 * is not trusted again). No other lock is taken while gc->lock is held.
 */
#include "fs/gofer_client.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/protocol.h"
#include "util/log.h"

#define GOFER_CHILD_FD 3
#define RECV_FDS_MAX 8

struct gofer_client {
	int sock;
	pthread_mutex_t lock;
	uint32_t next_tag;
	uint32_t vflags; /* GOFER_VF_* from the VERSION reply */
	bool dead;
};

struct gofer_client *gofer_client_new(int sock)
{
	struct gofer_client *gc = calloc(1, sizeof(*gc));

	if (!gc)
		return NULL;
	gc->sock = sock;
	pthread_mutex_init(&gc->lock, NULL);
	return gc;
}

void gofer_client_close(struct gofer_client *gc)
{
	if (!gc)
		return;
	close(gc->sock);
	pthread_mutex_destroy(&gc->lock);
	free(gc);
}

void gofer_client_shutdown(struct gofer_client *gc)
{
	if (gc)
		shutdown(gc->sock, SHUT_RDWR);
}

uint32_t gofer_client_flags(struct gofer_client *gc)
{
	return gc->vflags;
}

/* Close every descriptor in a received message; returns how many; the first
 * one is stored in *first (if not NULL) instead of being closed. */
static int collect_fds(struct msghdr *msg, int *first)
{
	struct cmsghdr *c;
	int count = 0;

	for (c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
		size_t i, nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < nfd; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (count == 0 && first)
				*first = fd;
			else
				close(fd);
			count++;
		}
	}
	return count;
}

/*
 * One request/reply. The payload (after the error word) lands in resp and
 * must be between resp_min and resp_max bytes; *resp_len gets its size. If
 * fd is not NULL a successful reply must carry exactly one descriptor.
 * Returns the gofer's 0/-errno, or -EIO.
 */
static int rpc(struct gofer_client *gc, uint32_t type, const void *req, size_t reqlen, void *resp,
	       size_t resp_min, size_t resp_max, size_t *resp_len, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * RECV_FDS_MAX)];
		struct cmsghdr align;
	} cm;
	struct gofer_hdr hdr, rhdr;
	struct gofer_rhdr rh;
	struct iovec siov[2] = {{.iov_base = &hdr, .iov_len = sizeof(hdr)},
				{.iov_base = (void *)req, .iov_len = reqlen}};
	struct iovec riov[3] = {{.iov_base = &rhdr, .iov_len = sizeof(rhdr)},
				{.iov_base = &rh, .iov_len = sizeof(rh)},
				{.iov_base = resp, .iov_len = resp_max}};
	struct msghdr smsg = {.msg_iov = siov, .msg_iovlen = 2};
	struct msghdr rmsg;
	int rfd = -1, nfds, ret = -EIO;
	ssize_t n;

	if (fd)
		*fd = -1;
	if (reqlen > GOFER_MSG_MAX - sizeof(hdr))
		return -EINVAL;
	pthread_mutex_lock(&gc->lock);
	if (gc->dead)
		goto out_unlock;
	hdr.type = type;
	hdr.tag = ++gc->next_tag;
	hdr.len = (uint32_t)reqlen;
	do {
		n = sendmsg(gc->sock, &smsg, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)(sizeof(hdr) + reqlen))
		goto out_dead;

	do {
		memset(&rmsg, 0, sizeof(rmsg));
		rmsg.msg_iov = riov;
		rmsg.msg_iovlen = 3;
		rmsg.msg_control = cm.buf;
		rmsg.msg_controllen = sizeof(cm.buf);
		n = recvmsg(gc->sock, &rmsg, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	if (n <= 0)
		goto out_dead;
	nfds = collect_fds(&rmsg, &rfd);
	if (rmsg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		goto out_bad;
	if ((size_t)n < sizeof(rhdr) + sizeof(rh) || rhdr.len != (size_t)n - sizeof(rhdr) ||
	    rhdr.type != (type | GOFER_REPLY) || rhdr.tag != hdr.tag)
		goto out_bad;
	if (rh.err != 0) {
		/* An error carries nothing but a valid -errno. */
		if (rh.err >= 0 || rh.err < -4095 || (size_t)n != sizeof(rhdr) + sizeof(rh) ||
		    nfds != 0)
			goto out_bad;
		ret = rh.err;
		goto out_unlock;
	}
	n -= (ssize_t)(sizeof(rhdr) + sizeof(rh));
	if ((size_t)n < resp_min || (size_t)n > resp_max || nfds != (fd ? 1 : 0))
		goto out_bad;
	if (resp_len)
		*resp_len = (size_t)n;
	if (fd) {
		*fd = rfd;
		rfd = -1;
	}
	ret = 0;
	goto out_unlock;

out_bad:
	log_warn("gofer: malformed reply to request type %u; connection dropped", type);
	if (rfd >= 0)
		close(rfd);
out_dead:
	gc->dead = true;
	ret = -EIO;
out_unlock:
	pthread_mutex_unlock(&gc->lock);
	return ret;
}

/* A reply that passed the framing checks but carries nonsense: the gofer is
 * not trusted again. */
static int poison(struct gofer_client *gc)
{
	pthread_mutex_lock(&gc->lock);
	gc->dead = true;
	pthread_mutex_unlock(&gc->lock);
	return -EIO;
}

static int attr_from_wire(struct gofer_attr *a, const struct gofer_wire_attr *w)
{
	if (w->atime_nsec >= 1000000000u || w->mtime_nsec >= 1000000000u ||
	    w->ctime_nsec >= 1000000000u)
		return -EIO;
	if (!a)
		return 0;
	a->dev = w->dev;
	a->ino = w->ino;
	a->nlink = w->nlink;
	a->size = w->size;
	a->blocks = w->blocks;
	a->rdev = w->rdev;
	a->mode = w->mode;
	a->uid = w->uid;
	a->gid = w->gid;
	a->blksize = w->blksize;
	a->atime_sec = w->atime_sec;
	a->mtime_sec = w->mtime_sec;
	a->ctime_sec = w->ctime_sec;
	a->atime_nsec = w->atime_nsec;
	a->mtime_nsec = w->mtime_nsec;
	a->ctime_nsec = w->ctime_nsec;
	return 0;
}

/* Common tail of ROOT and WALK: a new fid that must be usable. */
static int walk_reply(struct gofer_client *gc, const struct gofer_rwalk *rw, gofer_fid *out,
		      struct gofer_attr *attr)
{
	if (rw->fid == GOFER_FID_NONE || attr_from_wire(attr, &rw->attr)) {
		if (rw->fid != GOFER_FID_NONE)
			gofer_clunk(gc, rw->fid);
		return poison(gc);
	}
	*out = rw->fid;
	return 0;
}

int gofer_version(struct gofer_client *gc, uint32_t *flags)
{
	struct gofer_tversion req = {.version = GOFER_PROTO_VERSION};
	struct gofer_rversion rv;
	int err =
	    rpc(gc, GOFER_T_VERSION, &req, sizeof(req), &rv, sizeof(rv), sizeof(rv), NULL, NULL);

	if (err)
		return err;
	if (rv.version != GOFER_PROTO_VERSION)
		return poison(gc);
	gc->vflags = rv.flags;
	if (flags)
		*flags = rv.flags;
	return 0;
}

int gofer_root(struct gofer_client *gc, gofer_fid *out, struct gofer_attr *attr)
{
	struct gofer_rwalk rw;
	int err = rpc(gc, GOFER_T_ROOT, NULL, 0, &rw, sizeof(rw), sizeof(rw), NULL, NULL);

	return err ? err : walk_reply(gc, &rw, out, attr);
}

/* One path component: what the gofer would refuse, refused here first. */
static int check_name(const char *name, size_t n)
{
	if (n == 0 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	if (n > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* A WALK-shaped request (dir fid, then one checked name) of type, with a
 * reply of exactly rlen bytes into reply. */
static int dir_name_rpc(struct gofer_client *gc, uint32_t type, gofer_fid dir, const char *name,
			void *reply, size_t rlen)
{
	struct {
		uint64_t dir;
		char name[GOFER_NAME_MAX + 1];
	} req;
	size_t n = strnlen(name, GOFER_NAME_MAX + 1);
	int err = check_name(name, n);

	if (err)
		return err;
	req.dir = dir;
	memcpy(req.name, name, n + 1);
	return rpc(gc, type, &req, sizeof(req.dir) + n + 1, reply, rlen, rlen, NULL, NULL);
}

int gofer_walk(struct gofer_client *gc, gofer_fid dir, const char *name, gofer_fid *out,
	       struct gofer_attr *attr)
{
	struct gofer_rwalk rw;
	int err = dir_name_rpc(gc, GOFER_T_WALK, dir, name, &rw, sizeof(rw));

	return err ? err : walk_reply(gc, &rw, out, attr);
}

int gofer_statat(struct gofer_client *gc, gofer_fid dir, const char *name,
		 struct gofer_attr *attr)
{
	struct gofer_wire_attr wa;
	int err = dir_name_rpc(gc, GOFER_T_STATAT, dir, name, &wa, sizeof(wa));

	if (!err && attr_from_wire(attr, &wa))
		err = poison(gc);
	return err;
}

int gofer_stat(struct gofer_client *gc, gofer_fid fid, struct gofer_attr *attr)
{
	struct gofer_tfid req = {.fid = fid};
	struct gofer_wire_attr wa;
	int err = rpc(gc, GOFER_T_STAT, &req, sizeof(req), &wa, sizeof(wa), sizeof(wa), NULL, NULL);

	if (!err && attr_from_wire(attr, &wa))
		err = poison(gc);
	return err;
}

int gofer_open(struct gofer_client *gc, gofer_fid fid, int flags, int *host_fd)
{
	struct gofer_topen req = {.fid = fid, .flags = (uint32_t)flags};
	struct stat st;
	int fd, fl, err;

	*host_fd = -1;
	err = rpc(gc, GOFER_T_OPEN, &req, sizeof(req), NULL, 0, 0, NULL, &fd);
	if (err)
		return err;
	/* The descriptor must be what was asked for: a regular file or a
	 * directory, opened for I/O (not O_PATH) with the requested access. */
	fl = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) < 0 || fl < 0 || (fl & O_PATH) ||
	    (fl & O_ACCMODE) != (flags & O_ACCMODE) ||
	    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		log_warn("gofer: donated descriptor does not match the OPEN request");
		close(fd);
		return poison(gc);
	}
	*host_fd = fd;
	return 0;
}

ssize_t gofer_readlink(struct gofer_client *gc, gofer_fid fid, char *buf, size_t size)
{
	uint64_t r[(sizeof(struct gofer_rreadlink) + GOFER_LINK_MAX) / 8];
	const char *target = (const char *)r + sizeof(struct gofer_rreadlink);
	struct gofer_tfid req = {.fid = fid};
	struct gofer_rreadlink h;
	size_t got, n;
	int err =
	    rpc(gc, GOFER_T_READLINK, &req, sizeof(req), r, sizeof(h) + 1, sizeof(r), &got, NULL);

	if (err)
		return err;
	memcpy(&h, r, sizeof(h));
	if (h.len == 0 || h.len > GOFER_LINK_MAX || got != sizeof(h) + h.len ||
	    memchr(target, '\0', h.len))
		return poison(gc);
	n = h.len < size ? h.len : size;
	memcpy(buf, target, n);
	if (n < size)
		buf[n] = '\0';
	return (ssize_t)n;
}

/* Decode and check every entry of a GETDENTS payload. */
static int parse_dirents(const char *p, size_t len, struct gofer_dirent *ents, int max)
{
	struct gofer_rgetdents rg;
	size_t off = sizeof(rg);
	uint32_t i;

	memcpy(&rg, p, sizeof(rg));
	if (rg.count > (uint32_t)max)
		return -EIO;
	for (i = 0; i < rg.count; i++) {
		struct gofer_wire_dirent we;
		const char *name;
		size_t rec;

		if (len - off < sizeof(we))
			return -EIO;
		memcpy(&we, p + off, sizeof(we));
		if (we.namelen == 0 || we.namelen > GOFER_NAME_MAX || we.type > 15)
			return -EIO;
		rec = GOFER_DIRENT_RECLEN(we.namelen);
		if (len - off < rec)
			return -EIO;
		name = p + off + sizeof(we);
		if (memchr(name, '\0', we.namelen) || memchr(name, '/', we.namelen) ||
		    name[we.namelen] != '\0')
			return -EIO;
		ents[i].ino = we.ino;
		ents[i].next_off = we.next_off;
		ents[i].type = we.type;
		memcpy(ents[i].name, name, (size_t)we.namelen + 1);
		off += rec;
	}
	if (off != len)
		return -EIO;
	return (int)rg.count;
}

int gofer_getdents(struct gofer_client *gc, gofer_fid dir, uint64_t off, struct gofer_dirent *ents,
		   int max)
{
	struct gofer_tgetdents req = {.dir = dir, .off = off, .max = (uint32_t)max};
	const size_t cap = GOFER_MSG_MAX - sizeof(struct gofer_hdr) - sizeof(struct gofer_rhdr);
	size_t got;
	char *buf;
	int ret;

	if (max <= 0)
		return -EINVAL;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	ret = rpc(gc, GOFER_T_GETDENTS, &req, sizeof(req), buf, sizeof(struct gofer_rgetdents), cap,
		  &got, NULL);
	if (ret == 0) {
		ret = parse_dirents(buf, got, ents, max);
		if (ret < 0) {
			log_warn("gofer: malformed directory entries");
			ret = poison(gc);
		}
	}
	free(buf);
	return ret;
}

int gofer_statfs(struct gofer_client *gc, gofer_fid fid, struct gofer_statfs *st)
{
	struct gofer_tfid req = {.fid = fid};
	struct gofer_wire_statfs w;
	int err = rpc(gc, GOFER_T_STATFS, &req, sizeof(req), &w, sizeof(w), sizeof(w), NULL, NULL);

	if (err)
		return err;
	st->type = w.type;
	st->bsize = w.bsize;
	st->blocks = w.blocks;
	st->bfree = w.bfree;
	st->bavail = w.bavail;
	st->files = w.files;
	st->ffree = w.ffree;
	st->namelen = w.namelen;
	st->frsize = w.frsize;
	st->flags = w.flags;
	return 0;
}

void gofer_clunk(struct gofer_client *gc, gofer_fid fid)
{
	struct gofer_tfid req = {.fid = fid};

	rpc(gc, GOFER_T_CLUNK, &req, sizeof(req), NULL, 0, 0, NULL, NULL);
}

/* --- the writable protocol ------------------------------------------------ */

/* A request body: a fixed part then up to two NUL-terminated strings and an
 * optional blob. */
struct req_buf {
	uint64_t b[(GOFER_MSG_MAX - sizeof(struct gofer_hdr)) / 8];
	size_t len;
};

static int req_put(struct req_buf *rb, const void *p, size_t n)
{
	if (n > sizeof(rb->b) - rb->len)
		return -E2BIG;
	memcpy((char *)rb->b + rb->len, p, n);
	rb->len += n;
	return 0;
}

/* Fixed part + a checked name (with its NUL). */
static int req_named(struct req_buf *rb, const void *fixed, size_t flen, const char *name)
{
	size_t n = strnlen(name, GOFER_NAME_MAX + 1);
	int err = check_name(name, n);

	rb->len = 0;
	if (err)
		return err;
	err = req_put(rb, fixed, flen);
	return err ? err : req_put(rb, name, n + 1);
}

/* Requests answered with {u64 fid, attr}. */
static int new_fid_rpc(struct gofer_client *gc, uint32_t type, const struct req_buf *rb,
		       gofer_fid *out, struct gofer_attr *attr, int *fd)
{
	struct gofer_rwalk rw;
	int err = rpc(gc, type, rb->b, rb->len, &rw, sizeof(rw), sizeof(rw), NULL, fd);

	if (err)
		return err;
	err = walk_reply(gc, &rw, out, attr);
	if (err && fd && *fd >= 0) {
		close(*fd);
		*fd = -1;
	}
	return err;
}

/*
 * CREATE and TMPFILE (name NULL): the request, then the donated descriptor
 * checked to be a regular file opened with the requested access, as the
 * attributes say (else the connection is poisoned: no CLUNK, it is not
 * used again).
 */
static int create_rpc(struct gofer_client *gc, uint32_t type, const struct gofer_tcreate *req,
		      const char *name, gofer_fid *out, struct gofer_attr *attr, int *host_fd)
{
	struct req_buf *rb = malloc(sizeof(*rb));
	struct gofer_attr a;
	struct stat st;
	int err, fd = -1, fl;

	*host_fd = -1;
	if (!rb)
		return -ENOMEM;
	rb->len = 0;
	err = name ? req_named(rb, req, sizeof(*req), name) : req_put(rb, req, sizeof(*req));
	if (!err)
		err = new_fid_rpc(gc, type, rb, out, &a, &fd);
	free(rb);
	if (err)
		return err;
	fl = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) < 0 || fl < 0 || (fl & O_PATH) ||
	    (fl & O_ACCMODE) != (int)(req->flags & O_ACCMODE) || !S_ISREG(st.st_mode) ||
	    !S_ISREG(a.mode) || (!name && st.st_ino != a.ino)) {
		log_warn("gofer: donated descriptor does not match the %s request",
			 name ? "CREATE" : "TMPFILE");
		close(fd);
		return poison(gc);
	}
	if (attr)
		*attr = a;
	*host_fd = fd;
	return 0;
}

int gofer_create(struct gofer_client *gc, gofer_fid dir, const char *name, int flags,
		 uint32_t mode, uint32_t uid, uint32_t gid, gofer_fid *out, struct gofer_attr *attr,
		 int *host_fd)
{
	struct gofer_tcreate req = {.dir = dir, .flags = (uint32_t)flags & ~(uint32_t)O_CREAT,
				    .mode = mode & 07777, .uid = uid, .gid = gid};

	return create_rpc(gc, GOFER_T_CREATE, &req, name, out, attr, host_fd);
}

int gofer_tmpfile(struct gofer_client *gc, gofer_fid dir, uint32_t mode, uint32_t uid,
		  uint32_t gid, gofer_fid *out, struct gofer_attr *attr, int *host_fd)
{
	struct gofer_tcreate req = {.dir = dir, .flags = O_RDWR, .mode = mode & 07777,
				    .uid = uid, .gid = gid};

	return create_rpc(gc, GOFER_T_TMPFILE, &req, NULL, out, attr, host_fd);
}

static int mknod_rpc(struct gofer_client *gc, uint32_t type, gofer_fid dir, const char *name,
		     uint32_t mode, uint32_t uid, uint32_t gid, gofer_fid *out,
		     struct gofer_attr *attr)
{
	struct gofer_tmknod req = {.dir = dir, .mode = mode, .uid = uid, .gid = gid};
	struct req_buf *rb = malloc(sizeof(*rb));
	int err;

	if (!rb)
		return -ENOMEM;
	err = req_named(rb, &req, sizeof(req), name);
	if (!err)
		err = new_fid_rpc(gc, type, rb, out, attr, NULL);
	free(rb);
	return err;
}

int gofer_mkdir(struct gofer_client *gc, gofer_fid dir, const char *name, uint32_t mode,
		uint32_t uid, uint32_t gid, gofer_fid *out, struct gofer_attr *attr)
{
	return mknod_rpc(gc, GOFER_T_MKDIR, dir, name, mode & 07777, uid, gid, out, attr);
}

int gofer_mknod(struct gofer_client *gc, gofer_fid dir, const char *name, uint32_t mode,
		uint32_t uid, uint32_t gid, gofer_fid *out, struct gofer_attr *attr)
{
	if (!S_ISFIFO(mode) && !S_ISSOCK(mode))
		return -EPERM;
	return mknod_rpc(gc, GOFER_T_MKNOD, dir, name, mode & (S_IFMT | 07777), uid, gid, out,
			 attr);
}

int gofer_symlink(struct gofer_client *gc, gofer_fid dir, const char *name, const char *target,
		  uint32_t uid, uint32_t gid, gofer_fid *out, struct gofer_attr *attr)
{
	size_t n = strnlen(name, GOFER_NAME_MAX + 1), tl = strnlen(target, GOFER_LINK_MAX);
	struct gofer_tsymlink req = {.dir = dir, .uid = uid, .gid = gid};
	struct req_buf *rb;
	int err = check_name(name, n);

	if (err)
		return err;
	if (tl == 0)
		return -ENOENT;
	if (tl >= GOFER_LINK_MAX)
		return -ENAMETOOLONG;
	req.namelen = (uint32_t)n;
	req.targetlen = (uint32_t)tl;
	rb = malloc(sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->len = 0;
	err = req_put(rb, &req, sizeof(req));
	err = err ?: req_put(rb, name, n + 1);
	err = err ?: req_put(rb, target, tl + 1);
	if (!err)
		err = new_fid_rpc(gc, GOFER_T_SYMLINK, rb, out, attr, NULL);
	free(rb);
	return err;
}

int gofer_link(struct gofer_client *gc, gofer_fid dir, const char *name, gofer_fid target,
	       gofer_fid *out, struct gofer_attr *attr)
{
	struct gofer_tlink req = {.dir = dir, .target = target};
	struct req_buf *rb = malloc(sizeof(*rb));
	int err;

	if (!rb)
		return -ENOMEM;
	err = req_named(rb, &req, sizeof(req), name);
	if (!err)
		err = new_fid_rpc(gc, GOFER_T_LINK, rb, out, attr, NULL);
	free(rb);
	return err;
}

int gofer_unlink(struct gofer_client *gc, gofer_fid dir, const char *name, int flags)
{
	struct gofer_tunlink req = {.dir = dir, .flags = (uint32_t)flags};
	struct req_buf *rb = malloc(sizeof(*rb));
	int err;

	if (!rb)
		return -ENOMEM;
	err = req_named(rb, &req, sizeof(req), name);
	if (!err)
		err = rpc(gc, GOFER_T_UNLINK, rb->b, rb->len, NULL, 0, 0, NULL, NULL);
	free(rb);
	return err;
}

int gofer_rename(struct gofer_client *gc, gofer_fid olddir, const char *oldname,
		 gofer_fid newdir, const char *newname, unsigned flags)
{
	size_t on = strnlen(oldname, GOFER_NAME_MAX + 1), nn = strnlen(newname, GOFER_NAME_MAX + 1);
	struct gofer_trename req = {.olddir = olddir, .newdir = newdir, .flags = flags};
	struct req_buf *rb;
	int err = check_name(oldname, on);

	err = err ?: check_name(newname, nn);
	if (err)
		return err;
	req.oldlen = (uint16_t)on;
	req.newlen = (uint16_t)nn;
	rb = malloc(sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->len = 0;
	err = req_put(rb, &req, sizeof(req));
	err = err ?: req_put(rb, oldname, on + 1);
	err = err ?: req_put(rb, newname, nn + 1);
	if (!err)
		err = rpc(gc, GOFER_T_RENAME, rb->b, rb->len, NULL, 0, 0, NULL, NULL);
	free(rb);
	return err;
}

int gofer_setattr(struct gofer_client *gc, gofer_fid fid, const struct gofer_setattr *sa,
		  struct gofer_attr *attr)
{
	struct gofer_tsetattr req = {.fid = fid,
				     .valid = sa->valid & GOFER_SETATTR_ALL,
				     .mode = sa->mode & 07777,
				     .uid = sa->uid,
				     .gid = sa->gid,
				     .size = sa->size,
				     .atime_sec = sa->atime_sec,
				     .mtime_sec = sa->mtime_sec,
				     .atime_nsec = sa->atime_nsec,
				     .mtime_nsec = sa->mtime_nsec};
	struct gofer_wire_attr wa;
	int err =
	    rpc(gc, GOFER_T_SETATTR, &req, sizeof(req), &wa, sizeof(wa), sizeof(wa), NULL, NULL);

	if (!err && attr_from_wire(attr, &wa))
		err = poison(gc);
	return err;
}

int gofer_fsync(struct gofer_client *gc, gofer_fid fid, bool datasync)
{
	struct gofer_tfsync req = {.fid = fid, .datasync = datasync ? 1 : 0};

	return rpc(gc, GOFER_T_FSYNC, &req, sizeof(req), NULL, 0, 0, NULL, NULL);
}

/* Common to GETXATTR and LISTXATTR: the reply is {len, pad} and, when size
 * was not 0, exactly len bytes that fit in size. */
static ssize_t xattr_reply(struct gofer_client *gc, uint32_t type, const struct req_buf *rb,
			   void *buf, size_t size)
{
	const size_t cap = sizeof(struct gofer_rxattr) + GOFER_XATTR_SIZE_MAX;
	struct gofer_rxattr h;
	size_t got;
	char *r = malloc(cap);
	ssize_t ret;

	if (!r)
		return -ENOMEM;
	ret = rpc(gc, type, rb->b, rb->len, r, sizeof(h), cap, &got, NULL);
	if (ret == 0) {
		memcpy(&h, r, sizeof(h));
		if (size == 0 ? got != sizeof(h)
			      : (h.len > size || got != sizeof(h) + h.len))
			ret = poison(gc);
		else if (type == GOFER_T_LISTXATTR && size && h.len &&
			 r[sizeof(h) + h.len - 1] != '\0')
			ret = poison(gc); /* names are NUL-terminated */
		else {
			if (size)
				memcpy(buf, r + sizeof(h), h.len);
			ret = (ssize_t)h.len;
		}
	}
	free(r);
	return ret;
}

static int xattr_req(struct req_buf *rb, gofer_fid fid, const char *name, size_t size)
{
	struct gofer_txattr req = {.fid = fid,
				   .size = size > GOFER_XATTR_SIZE_MAX ? GOFER_XATTR_SIZE_MAX
								: (uint32_t)size};
	size_t n = name ? strnlen(name, GOFER_XATTR_NAME_MAX + 1) : 0;

	if (name && (n == 0 || n > GOFER_XATTR_NAME_MAX))
		return -ERANGE;
	req.namelen = (uint32_t)n;
	rb->len = 0;
	if (req_put(rb, &req, sizeof(req)))
		return -E2BIG;
	return name ? req_put(rb, name, n + 1) : 0;
}

/* GETXATTR (name) or LISTXATTR (name NULL): request, reply, value. */
static ssize_t xattr_get_or_list(struct gofer_client *gc, uint32_t type, gofer_fid fid,
				 const char *name, void *buf, size_t size)
{
	struct req_buf *rb = malloc(sizeof(*rb));
	ssize_t ret;

	if (!rb)
		return -ENOMEM;
	ret = xattr_req(rb, fid, name, size);
	if (ret == 0)
		ret = xattr_reply(gc, type, rb, buf,
				  size > GOFER_XATTR_SIZE_MAX ? GOFER_XATTR_SIZE_MAX : size);
	free(rb);
	return ret;
}

ssize_t gofer_getxattr(struct gofer_client *gc, gofer_fid fid, const char *name, void *buf,
		       size_t size)
{
	return xattr_get_or_list(gc, GOFER_T_GETXATTR, fid, name, buf, size);
}

ssize_t gofer_listxattr(struct gofer_client *gc, gofer_fid fid, char *buf, size_t size)
{
	return xattr_get_or_list(gc, GOFER_T_LISTXATTR, fid, NULL, buf, size);
}

int gofer_setxattr(struct gofer_client *gc, gofer_fid fid, const char *name, const void *value,
		   size_t size, int flags)
{
	struct gofer_tsetxattr req = {.fid = fid, .flags = (uint32_t)flags};
	size_t n = strnlen(name, GOFER_XATTR_NAME_MAX + 1);
	struct req_buf *rb;
	int err;

	if (n == 0 || n > GOFER_XATTR_NAME_MAX)
		return -ERANGE;
	if (size > GOFER_XATTR_SIZE_MAX)
		return -E2BIG;
	req.namelen = (uint32_t)n;
	req.valuelen = (uint32_t)size;
	rb = malloc(sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->len = 0;
	err = req_put(rb, &req, sizeof(req));
	err = err ?: req_put(rb, name, n + 1);
	err = err ?: req_put(rb, value, size);
	if (!err)
		err = rpc(gc, GOFER_T_SETXATTR, rb->b, rb->len, NULL, 0, 0, NULL, NULL);
	free(rb);
	return err;
}

int gofer_removexattr(struct gofer_client *gc, gofer_fid fid, const char *name)
{
	struct req_buf *rb = malloc(sizeof(*rb));
	int err;

	if (!rb)
		return -ENOMEM;
	err = xattr_req(rb, fid, name, 0);
	if (!err)
		err = rpc(gc, GOFER_T_REMOVEXATTR, rb->b, rb->len, NULL, 0, 0, NULL, NULL);
	free(rb);
	return err;
}

/*
 * Fork and exec the gofer with one end of a SOCK_SEQPACKET socketpair as its
 * descriptor 3. The child gets an empty environment and dies with the calling
 * thread (PR_SET_PDEATHSIG is tied to the thread that forked it: spawn from the
 * sentry's main thread). Between fork and exec only async-signal-safe calls.
 */
int gofer_spawn_fd(const char *gofer_path, const char *root, bool rw, pid_t *pid, char *err,
		   size_t errlen)
{
	char *argv[] = {(char *)gofer_path, "--root", (char *)root, "--fd", "3",
			rw ? "--rw" : NULL, NULL};
	char *envp[] = {NULL};
	pid_t parent = getpid(), child;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -errno;
	}
	child = fork();
	if (child < 0) {
		int e = errno;

		snprintf(err, errlen, "fork: %s", strerror(e));
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (child == 0) {
		/* dup2 clears FD_CLOEXEC on the copy; if sv[1] is already 3,
		 * clear it by hand. */
		if (sv[1] == GOFER_CHILD_FD) {
			if (fcntl(sv[1], F_SETFD, 0) < 0)
				_exit(127);
		} else if (dup2(sv[1], GOFER_CHILD_FD) < 0) {
			_exit(127);
		}
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent)
			_exit(127);
		execve(gofer_path, argv, envp);
		_exit(127);
	}
	close(sv[1]);
	*pid = child;
	return sv[0];
}

struct gofer_client *gofer_spawn(const char *gofer_path, const char *root, bool rw, pid_t *pid,
				 char *err, size_t errlen)
{
	struct gofer_client *gc;
	uint32_t flags;
	int sock, e;

	sock = gofer_spawn_fd(gofer_path, root, rw, pid, err, errlen);
	if (sock < 0)
		return NULL;
	gc = gofer_client_new(sock);
	if (!gc) {
		close(sock);
		snprintf(err, errlen, "out of memory");
		goto out_kill;
	}
	/* The handshake also waits until the gofer is confined and serving. */
	e = gofer_version(gc, &flags);
	if (e) {
		snprintf(err, errlen, "gofer %s for %s did not start: %s", gofer_path, root,
			 e == -EIO ? "exited during start-up (see its log)" : strerror(-e));
		gofer_client_close(gc);
		goto out_kill;
	}
	if (!(flags & GOFER_VF_PIVOT))
		log_warn("gofer: not pivoted into %s (%s); relying on its walk discipline", root,
			 flags & GOFER_VF_CHROOT ? "chroot only" : "no isolation");
	if (!(flags & GOFER_VF_NETNS))
		log_warn("gofer: no network namespace");
	return gc;

out_kill:
	kill(*pid, SIGKILL);
	waitpid(*pid, NULL, 0);
	return NULL;
}
