/*
 * The writable half of the protocol: CREATE, MKDIR, MKNOD, SYMLINK, LINK,
 * UNLINK, RENAME, SETATTR, FSYNC (docs/gofer-protocol.md).
 *
 * Every name is one component validated by body_name(); every operation is
 * relative to a directory fid's descriptor (mkdirat, unlinkat, renameat2...)
 * and never follows a symlink: new files are opened O_NOFOLLOW, attribute
 * changes go through the fid's own O_PATH descriptor (fchownat, utimensat,
 * fchmodat2 with AT_EMPTY_PATH), so they act on exactly the inode the fid
 * names, whatever has been renamed since. A read-only gofer answers EROFS
 * after validating the request (EINVAL/EBADF first).
 */
#include "gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static int rofs(const struct gofer_server *srv)
{
	return srv->cfg->rw ? 0 : -EROFS;
}

/* Give a new file the owner the sentry asked for ((u32)-1: leave it). Done
 * through the O_PATH descriptor, so a symlink itself is changed, and only
 * for ids that differ (a chown clears the set-user-ID bit the file may have
 * been created with). In a set-group-ID directory the group stays the
 * directory's, as Linux gives it. A gofer without CAP_CHOWN (unprivileged)
 * leaves its own ids: EPERM is ignored. */
static int set_owner(int fd, const struct stat *dir_st, uint32_t uid, uint32_t gid)
{
	struct stat st;

	if (dir_st->st_mode & S_ISGID)
		gid = UINT32_MAX;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (uid == st.st_uid)
		uid = UINT32_MAX;
	if (gid == st.st_gid)
		gid = UINT32_MAX;
	if (uid == UINT32_MAX && gid == UINT32_MAX)
		return 0;
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0 && errno != EPERM && errno != EINVAL)
		return -errno;
	return 0;
}

/* After creating name in dir: a fid for it, owned by uid/gid, with fresh
 * attributes in out. */
static int new_entry(struct gofer_server *srv, struct gofer_fid *dir, const char *name,
		     uint32_t uid, uint32_t gid, struct gofer_rwalk *out)
{
	struct stat dst, st;
	struct gofer_fid *f;
	int err;

	if (fstat(dir->fd, &dst) < 0)
		return -errno;
	err = walk_one(srv, dir->fd, &dst, name, out);
	if (err)
		return err;
	f = fid_lookup(out->fid);
	err = set_owner(f->fd, &dst, uid, gid);
	if (!err && fstat(f->fd, &st) < 0)
		err = -errno;
	if (err) {
		fid_free(out->fid);
		return err;
	}
	attr_from_stat(&out->attr, &st);
	return 0;
}

/* CREATE without O_EXCL on an existing name: open it only if it is a
 * regular file (never a device or FIFO), by name, checked against a walk. */
static int open_existing(struct gofer_fid *dir, const char *name, int oflags)
{
	struct stat st;
	int pfd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), fd;

	if (pfd < 0)
		return -errno;
	if (fstat(pfd, &st) < 0) {
		fd = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		fd = -EISDIR;
		goto out;
	}
	if (S_ISLNK(st.st_mode)) {
		fd = -ELOOP;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		fd = -ENXIO;
		goto out;
	}
	fd = openat(dir->fd, name, (oflags & ~(O_CREAT | O_EXCL)) | O_NOFOLLOW);
	if (fd < 0) {
		fd = -errno;
	} else {
		struct stat st2;

		if (fstat(fd, &st2) < 0 || st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
			close(fd);
			fd = -ESTALE;
		}
	}
out:
	close(pfd);
	return fd;
}

int op_create(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_rwalk *out = reply_payload(r);
	struct gofer_tcreate req;
	struct gofer_fid *dir;
	const char *name;
	struct stat st;
	int err, fd, oflags;

	err = body_name(body, len, sizeof(req), &name);
	if (err)
		return err;
	memcpy(&req, body, sizeof(req));
	if ((err = get_dir(req.dir, &dir)))
		return err;
	if ((req.flags & ~(uint32_t)GOFER_CREATE_FLAGS) || (req.flags & O_ACCMODE) == O_ACCMODE ||
	    (req.mode & ~07777u))
		return -EINVAL;
	if ((err = rofs(srv)))
		return err;
	/* O_NONBLOCK until the descriptor is known to be a regular file. */
	oflags = (int)(req.flags & ~(uint32_t)O_TRUNC) | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY |
		 O_CLOEXEC | O_NONBLOCK;
	fd = openat(dir->fd, name, oflags, (mode_t)req.mode);
	if (fd < 0 && errno == EEXIST && !(req.flags & O_EXCL))
		fd = open_existing(dir, name, oflags);
	else if (fd < 0)
		fd = -errno;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = -EIO;
		goto out_close;
	}
	if ((req.flags & O_TRUNC) && st.st_size && ftruncate(fd, 0) < 0) {
		err = -errno;
		goto out_close;
	}
	if (!(req.flags & O_NONBLOCK) && fcntl(fd, F_SETFL, oflags & ~O_NONBLOCK) < 0) {
		err = -errno;
		goto out_close;
	}
	err = new_entry(srv, dir, name, req.uid, req.gid, out);
	if (err)
		goto out_close;
	if (out->attr.dev != st.st_dev || out->attr.ino != st.st_ino) {
		/* Replaced between the create and the walk. */
		fid_free(out->fid);
		err = -ESTALE;
		goto out_close;
	}
	r->fd = fd;
	return sizeof(*out);

out_close:
	close(fd);
	return err;
}

/* TMPFILE: an unnamed regular file in dir (openat(".", O_TMPFILE)), owned
 * by uid/gid, opened read-write. Its fid keeps a duplicate of that
 * descriptor (there is no name to reopen by), which LINK can give a name
 * with linkat(AT_EMPTY_PATH). */
int op_tmpfile(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_rwalk *out = reply_payload(r);
	struct gofer_tcreate req;
	struct gofer_fid *dir, *f;
	struct stat dst, st;
	int err, fd, keep;

	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, body, sizeof(req));
	if ((err = get_dir(req.dir, &dir)))
		return err;
	if (req.flags != O_RDWR || (req.mode & ~07777u))
		return -EINVAL;
	if ((err = rofs(srv)))
		return err;
	if (fstat(dir->fd, &dst) < 0)
		return -errno;
	fd = openat(dir->fd, ".", O_TMPFILE | O_RDWR | O_NOFOLLOW | O_CLOEXEC, (mode_t)req.mode);
	if (fd < 0)
		return -errno;
	if ((err = set_owner(fd, &dst, req.uid, req.gid)) < 0)
		goto out_close;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err = -EIO;
		goto out_close;
	}
	keep = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (keep < 0) {
		err = -errno;
		goto out_close;
	}
	err = fid_alloc(keep, -1, NULL, &st, &out->fid);
	if (err)
		goto out_close;
	f = fid_lookup(out->fid);
	if (f)
		f->unnamed = true;
	attr_from_stat(&out->attr, &st);
	r->fd = fd;
	return sizeof(*out);

out_close:
	close(fd);
	return err;
}

static int mknod_common(struct gofer_server *srv, const void *body, size_t len,
			struct gofer_reply *r, bool isdir)
{
	struct gofer_tmknod req;
	struct gofer_fid *dir;
	const char *name;
	int err;

	err = body_name(body, len, sizeof(req), &name);
	if (err)
		return err;
	memcpy(&req, body, sizeof(req));
	if ((err = get_dir(req.dir, &dir)))
		return err;
	if (req.mode & ~(isdir ? 07777u : 07777u | S_IFMT))
		return -EINVAL;
	if (!isdir && !S_ISFIFO(req.mode) && !S_ISSOCK(req.mode))
		return -EPERM;
	if ((err = rofs(srv)))
		return err;
	if (isdir ? mkdirat(dir->fd, name, (mode_t)req.mode)
		  : mknodat(dir->fd, name, (mode_t)req.mode, 0))
		return -errno;
	err = new_entry(srv, dir, name, req.uid, req.gid, reply_payload(r));
	return err ? err : (int)sizeof(struct gofer_rwalk);
}

int op_mkdir(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	return mknod_common(srv, body, len, r, true);
}

/* FIFOs and sockets only: a device node would give the sandbox a host
 * device. */
int op_mknod(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	return mknod_common(srv, body, len, r, false);
}

int op_symlink(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_tsymlink req;
	struct gofer_fid *dir;
	const char *name, *target;
	int err;

	if (len < sizeof(req))
		return -EINVAL;
	memcpy(&req, body, sizeof(req));
	if (req.namelen < 1 || req.namelen > GOFER_NAME_MAX || req.targetlen < 1 ||
	    req.targetlen >= GOFER_LINK_MAX ||
	    len != sizeof(req) + req.namelen + 1 + req.targetlen + 1)
		return -EINVAL;
	name = (const char *)body + sizeof(req);
	target = name + req.namelen + 1;
	if (name[req.namelen] || memchr(name, 0, req.namelen) || target[req.targetlen] ||
	    memchr(target, 0, req.targetlen))
		return -EINVAL;
	if ((err = check_name(name, req.namelen)))
		return err;
	if ((err = get_dir(req.dir, &dir)))
		return err;
	if ((err = rofs(srv)))
		return err;
	if (symlinkat(target, dir->fd, name) < 0)
		return -errno;
	err = new_entry(srv, dir, name, req.uid, req.gid, reply_payload(r));
	return err ? err : (int)sizeof(struct gofer_rwalk);
}

/* A hard link to exactly the target fid's inode: linkat(AT_EMPTY_PATH) on
 * its O_PATH descriptor. Without CAP_DAC_READ_SEARCH that is refused; then
 * link by its name in its parent (no symlink is followed) and check the new
 * name is the same inode, undoing the link if not. */
int op_link(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_rwalk *out = reply_payload(r);
	struct gofer_fid *dir, *tf;
	struct gofer_tlink req;
	const char *name;
	int err;

	err = body_name(body, len, sizeof(req), &name);
	if (err)
		return err;
	memcpy(&req, body, sizeof(req));
	if ((err = get_dir(req.dir, &dir)))
		return err;
	tf = fid_lookup(req.target);
	if (!tf)
		return -EBADF;
	if (S_ISDIR(tf->mode))
		return -EPERM;
	if ((err = rofs(srv)))
		return err;
	if (linkat(tf->fd, "", dir->fd, name, AT_EMPTY_PATH) < 0) {
		if (errno != ENOENT && errno != EPERM && errno != EOPNOTSUPP)
			return -errno;
		if (tf->parent_fd < 0 || !tf->name)
			return -ENOENT;
		if (linkat(tf->parent_fd, tf->name, dir->fd, name, 0) < 0)
			return -errno;
		err = new_entry(srv, dir, name, UINT32_MAX, UINT32_MAX, out);
		if (!err && (out->attr.dev != tf->dev || out->attr.ino != tf->ino)) {
			fid_free(out->fid);
			err = -ESTALE;
		}
		if (err) {
			unlinkat(dir->fd, name, 0);
			return err;
		}
		return sizeof(*out);
	}
	err = new_entry(srv, dir, name, UINT32_MAX, UINT32_MAX, out);
	return err ? err : (int)sizeof(*out);
}

int op_unlink(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_tunlink req;
	struct gofer_fid *dir;
	const char *name;
	int err;

	(void)r;
	err = body_name(body, len, sizeof(req), &name);
	if (err)
		return err;
	memcpy(&req, body, sizeof(req));
	if ((err = get_dir(req.dir, &dir)))
		return err;
	if (req.flags & ~(uint32_t)AT_REMOVEDIR)
		return -EINVAL;
	if ((err = rofs(srv)))
		return err;
	if (unlinkat(dir->fd, name, (int)req.flags) < 0)
		return -errno;
	return 0;
}

int op_rename(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_fid *od, *nd;
	struct gofer_trename req;
	const char *oldname, *newname;
	int err;

	(void)r;
	if (len < sizeof(req))
		return -EINVAL;
	memcpy(&req, body, sizeof(req));
	if (req.oldlen < 1 || req.newlen < 1 || req.oldlen > GOFER_NAME_MAX ||
	    req.newlen > GOFER_NAME_MAX ||
	    len != sizeof(req) + (size_t)req.oldlen + 1 + (size_t)req.newlen + 1)
		return -EINVAL;
	oldname = (const char *)body + sizeof(req);
	newname = oldname + req.oldlen + 1;
	if (oldname[req.oldlen] || memchr(oldname, 0, req.oldlen) || newname[req.newlen] ||
	    memchr(newname, 0, req.newlen))
		return -EINVAL;
	if ((err = check_name(oldname, req.oldlen)) || (err = check_name(newname, req.newlen)))
		return err;
	if (req.flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    req.flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	if ((err = get_dir(req.olddir, &od)) || (err = get_dir(req.newdir, &nd)))
		return err;
	if ((err = rofs(srv)))
		return err;
	if (syscall(SYS_renameat2, od->fd, oldname, nd->fd, newname, req.flags) < 0)
		return -errno;
	fid_renamed(od, oldname, nd, newname, req.flags & RENAME_EXCHANGE);
	return 0;
}

static bool time_ok(uint32_t nsec)
{
	return nsec < 1000000000u || nsec == GOFER_UTIME_NOW || nsec == GOFER_UTIME_OMIT;
}

/* Change attributes in Linux's notify_change order: size, owner, mode,
 * times. Size needs a descriptor open for writing (reopened with an
 * identity check); the rest act on the O_PATH descriptor itself. */
int op_setattr(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_tsetattr req;
	struct gofer_fid *f;
	struct stat st;
	int err;

	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, body, sizeof(req));
	f = fid_lookup(req.fid);
	if (!f)
		return -EBADF;
	if ((req.valid & ~GOFER_SETATTR_ALL) || (req.mode & ~07777u) ||
	    ((req.valid & GOFER_SETATTR_ATIME) && !time_ok(req.atime_nsec)) ||
	    ((req.valid & GOFER_SETATTR_MTIME) && !time_ok(req.mtime_nsec)) ||
	    ((req.valid & GOFER_SETATTR_SIZE) && req.size > INT64_MAX))
		return -EINVAL;
	if ((err = rofs(srv)))
		return err;
	if (req.valid & GOFER_SETATTR_SIZE) {
		int fd;

		if (S_ISDIR(f->mode))
			return -EISDIR;
		if (!S_ISREG(f->mode))
			return -EINVAL;
		fd = fid_reopen(f, O_WRONLY);
		if (fd < 0)
			return fd;
		err = ftruncate(fd, (off_t)req.size) < 0 ? -errno : 0;
		close(fd);
		if (err)
			return err;
	}
	if (req.valid & (GOFER_SETATTR_UID | GOFER_SETATTR_GID)) {
		uid_t u = (req.valid & GOFER_SETATTR_UID) ? req.uid : (uid_t)-1;
		gid_t g = (req.valid & GOFER_SETATTR_GID) ? req.gid : (gid_t)-1;

		if (fchownat(f->fd, "", u, g, AT_EMPTY_PATH) < 0)
			return -errno;
	}
	if (req.valid & GOFER_SETATTR_MODE) {
		if (S_ISLNK(f->mode))
			return -EOPNOTSUPP;
		if (syscall(SYS_fchmodat2, f->fd, "", req.mode, AT_EMPTY_PATH) < 0)
			return -errno;
	}
	if (req.valid & (GOFER_SETATTR_ATIME | GOFER_SETATTR_MTIME)) {
		struct timespec ts[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};

		if (req.valid & GOFER_SETATTR_ATIME)
			ts[0] = (struct timespec){req.atime_sec, req.atime_nsec};
		if (req.valid & GOFER_SETATTR_MTIME)
			ts[1] = (struct timespec){req.mtime_sec, req.mtime_nsec};
		if (utimensat(f->fd, "", ts, AT_EMPTY_PATH) < 0)
			return -errno;
	}
	if (fstat(f->fd, &st) < 0)
		return -errno;
	attr_from_stat(reply_payload(r), &st);
	return sizeof(struct gofer_wire_attr);
}

/* Files are synced by the sentry through their donated descriptors; this is
 * for directories (and files it has no descriptor for). */
int op_fsync(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_tfsync req;
	struct gofer_fid *f;
	int fd, err;

	(void)srv;
	(void)r;
	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, body, sizeof(req));
	f = fid_lookup(req.fid);
	if (!f)
		return -EBADF;
	if (req.datasync > 1)
		return -EINVAL;
	if (!S_ISDIR(f->mode) && !S_ISREG(f->mode))
		return -EINVAL;
	fd = fid_reopen(f, O_RDONLY);
	if (fd < 0)
		return fd;
	err = (req.datasync ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
	close(fd);
	return err;
}
