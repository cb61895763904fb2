/*
 * Extended attributes: GETXATTR, LISTXATTR, SETXATTR, REMOVEXATTR.
 *
 * Only the "user." namespace is served (others: EOPNOTSUPP; a listing shows
 * only user.* names): trusted.* and security.* would let the sandbox read or
 * set host security labels. Like Linux, user attributes exist only on regular
 * files and directories (EPERM elsewhere). The fid is reopened read-only with
 * an identity check (fid_reopen) and the f*xattr calls act on that
 * descriptor: no path is resolved.
 */
#include "gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#define USER_PREFIX "user."

/* The name after the fixed part: namelen bytes, then a NUL. */
static int xattr_name(const void *body, size_t len, size_t fixed, uint32_t namelen,
		      const char **name)
{
	const char *p = (const char *)body + fixed;

	if (namelen < 1 || namelen > GOFER_XATTR_NAME_MAX || len < fixed + namelen + 1)
		return -EINVAL;
	if (p[namelen] || memchr(p, 0, namelen))
		return -EINVAL;
	if (namelen <= strlen(USER_PREFIX) || strncmp(p, USER_PREFIX, strlen(USER_PREFIX)))
		return -EOPNOTSUPP;
	*name = p;
	return 0;
}

/* A read-only descriptor of f for the f*xattr calls. */
static int xattr_fd(struct gofer_fid *f)
{
	if (!S_ISREG(f->mode) && !S_ISDIR(f->mode))
		return -EPERM;
	return fid_reopen(f, O_RDONLY);
}

static int parse_txattr(const void *body, size_t len, bool named, struct gofer_txattr *req,
			struct gofer_fid **f, const char **name)
{
	int err;

	if (len < sizeof(*req))
		return -EINVAL;
	memcpy(req, body, sizeof(*req));
	if (named) {
		if (len != sizeof(*req) + (size_t)req->namelen + 1)
			return -EINVAL;
		if ((err = xattr_name(body, len, sizeof(*req), req->namelen, name)))
			return err;
	} else if (len != sizeof(*req) || req->namelen) {
		return -EINVAL;
	}
	*f = fid_lookup(req->fid);
	return *f ? 0 : -EBADF;
}

int op_getxattr(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_rxattr *out = reply_payload(r);
	struct gofer_txattr req;
	struct gofer_fid *f;
	const char *name;
	size_t want;
	ssize_t n;
	int fd, err;

	(void)srv;
	if ((err = parse_txattr(body, len, true, &req, &f, &name)))
		return err;
	fd = xattr_fd(f);
	if (fd < 0)
		return fd;
	want = req.size > GOFER_XATTR_SIZE_MAX ? GOFER_XATTR_SIZE_MAX : req.size;
	n = fgetxattr(fd, name, want ? out->data : NULL, want);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	memset(out, 0, sizeof(*out));
	out->len = (uint32_t)n;
	return (int)(sizeof(*out) + (want ? (size_t)n : 0));
}

int op_listxattr(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	static char all[65536];
	struct gofer_rxattr *out = reply_payload(r);
	struct gofer_txattr req;
	struct gofer_fid *f;
	size_t used = 0, pos = 0;
	ssize_t n;
	int fd, err;

	(void)srv;
	if ((err = parse_txattr(body, len, false, &req, &f, NULL)))
		return err;
	if (!S_ISREG(f->mode) && !S_ISDIR(f->mode)) {
		memset(out, 0, sizeof(*out));
		return sizeof(*out); /* nothing: user.* exist only on those */
	}
	fd = xattr_fd(f);
	if (fd < 0)
		return fd;
	n = flistxattr(fd, all, sizeof(all));
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	/* Keep the user.* names, in order, NUL-terminated. */
	while (pos < (size_t)n) {
		size_t l = strnlen(all + pos, (size_t)n - pos);

		if (pos + l >= (size_t)n)
			break; /* unterminated: cannot come from Linux */
		if (l > strlen(USER_PREFIX) && !strncmp(all + pos, USER_PREFIX, strlen(USER_PREFIX))) {
			if (req.size && used + l + 1 <= req.size && used + l + 1 <= GOFER_XATTR_SIZE_MAX)
				memcpy(out->data + used, all + pos, l + 1);
			used += l + 1;
		}
		pos += l + 1;
	}
	if (req.size && used > req.size)
		return -ERANGE;
	if (used > GOFER_XATTR_SIZE_MAX)
		return -E2BIG;
	memset(out, 0, sizeof(*out));
	out->len = (uint32_t)used;
	return (int)(sizeof(*out) + (req.size ? used : 0));
}

int op_setxattr(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_tsetxattr req;
	struct gofer_fid *f;
	const char *name, *value;
	int fd, err;

	(void)r;
	if (len < sizeof(req))
		return -EINVAL;
	memcpy(&req, body, sizeof(req));
	if (req.valuelen > GOFER_XATTR_SIZE_MAX ||
	    len != sizeof(req) + (size_t)req.namelen + 1 + req.valuelen)
		return -EINVAL;
	if (req.flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if ((err = xattr_name(body, len, sizeof(req), req.namelen, &name)))
		return err;
	value = name + req.namelen + 1;
	f = fid_lookup(req.fid);
	if (!f)
		return -EBADF;
	if (!srv->cfg->rw)
		return -EROFS;
	fd = xattr_fd(f);
	if (fd < 0)
		return fd;
	err = fsetxattr(fd, name, value, req.valuelen, (int)req.flags) < 0 ? -errno : 0;
	close(fd);
	return err;
}

int op_removexattr(struct gofer_server *srv, const void *body, size_t len,
		   struct gofer_reply *r)
{
	struct gofer_txattr req;
	struct gofer_fid *f;
	const char *name;
	int fd, err;

	(void)r;
	if ((err = parse_txattr(body, len, true, &req, &f, &name)))
		return err;
	if (!srv->cfg->rw)
		return -EROFS;
	fd = xattr_fd(f);
	if (fd < 0)
		return fd;
	err = fremovexattr(fd, name) < 0 ? -errno : 0;
	close(fd);
	return err;
}
