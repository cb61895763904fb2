/*
 * Request handlers. Each validates its body completely (exact length, names,
 * fids) before touching the host and answers -errno on anything off.
 *
 * Files are reached one component at a time relative to descriptors:
 * openat(dir_fd, name, O_PATH|O_NOFOLLOW), never a joined path, so neither
 * ".." nor a host symlink can lead outside the root.
 *
 * Opening for I/O (OPEN): a directory is reopened with
 * openat(fid_fd, ".", ...), which names the same inode without any lookup
 * that could be redirected. A non-directory is reopened by name in its parent
 * directory, openat(parent_fd, name, flags|O_NOFOLLOW|O_NONBLOCK), and the
 * result is checked to be the same inode (dev, ino) as the fid: if the name
 * was replaced in the meantime the answer is -ESTALE. This needs no /proc in
 * the gofer's namespace (the /proc/self/fd/N reopen trick would need a procfs
 * descriptor, through which /proc/PID/root of other processes is reachable).
 * O_NONBLOCK keeps a FIFO swapped in under the name from blocking the gofer;
 * O_TRUNC is applied with ftruncate only after the identity check.
 */
#include "gofer.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

void *reply_payload(struct gofer_reply *r)
{
	return (char *)r->body + sizeof(struct gofer_rhdr);
}

static void reply_set(struct gofer_reply *r, int err, size_t payload)
{
	struct gofer_rhdr rh = {.err = err};

	memcpy(r->body, &rh, sizeof(rh));
	r->len = sizeof(rh) + (err ? 0 : payload);
}

void attr_from_stat(struct gofer_wire_attr *a, const struct stat *st)
{
	memset(a, 0, sizeof(*a));
	a->dev = st->st_dev;
	a->ino = st->st_ino;
	a->nlink = st->st_nlink;
	a->size = (uint64_t)st->st_size;
	a->blocks = (uint64_t)st->st_blocks;
	a->rdev = st->st_rdev;
	a->mode = st->st_mode;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->blksize = (uint32_t)st->st_blksize;
	a->atime_sec = st->st_atim.tv_sec;
	a->atime_nsec = (uint32_t)st->st_atim.tv_nsec;
	a->mtime_sec = st->st_mtim.tv_sec;
	a->mtime_nsec = (uint32_t)st->st_mtim.tv_nsec;
	a->ctime_sec = st->st_ctim.tv_sec;
	a->ctime_nsec = (uint32_t)st->st_ctim.tv_nsec;
}

/* Kernel pseudo filesystems the gofer never serves, even if they are mounted
 * under the root: their regular files are kernel knobs, not data. */
static bool fs_forbidden(int fd)
{
	static const unsigned long bad[] = {
	    PROC_SUPER_MAGIC,	SYSFS_MAGIC,
	    DEBUGFS_MAGIC,	SECURITYFS_MAGIC,
	    CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC,
	    TRACEFS_MAGIC,	BPF_FS_MAGIC,
	    SELINUX_MAGIC,	SMACK_MAGIC,
	    EFIVARFS_MAGIC,	PSTOREFS_MAGIC,
	    NSFS_MAGIC,		0x62656570 /* configfs */,
	};
	struct statfs sfs;
	size_t i;

	if (fstatfs(fd, &sfs) < 0)
		return true;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if ((unsigned long)sfs.f_type == bad[i])
			return true;
	return false;
}

/* A fid given in a request; -EBADF if it names nothing. */
static int get_fid(const void *body, size_t len, size_t want, struct gofer_fid **out)
{
	uint64_t fid;

	if (len != want)
		return -EINVAL;
	memcpy(&fid, body, sizeof(fid));
	*out = fid_lookup(fid);
	return *out ? 0 : -EBADF;
}

/* Open one component below dir_fd without following anything and register it
 * as a new fid. */
int walk_one(struct gofer_server *srv, int dir_fd, const struct stat *dir_st, const char *name,
	     struct gofer_rwalk *out)
{
	struct stat st;
	char *dup_name = NULL;
	int fd, pfd = -1, err;

	fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out_close;
	}
	if (st.st_dev != dir_st->st_dev && fs_forbidden(fd)) {
		err = -EACCES;
		goto out_close;
	}
	if (!S_ISDIR(st.st_mode)) {
		/* Keep the parent and name to reopen the file for I/O. */
		dup_name = strdup(name);
		pfd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
		if (!dup_name || pfd < 0) {
			err = dup_name ? -errno : -ENOMEM;
			goto out_close;
		}
	}
	err = fid_alloc(fd, pfd, dup_name, &st, &out->fid);
	if (err)
		return err; /* fid_alloc released fd, pfd, dup_name */
	if (pfd >= 0) {
		struct gofer_fid *f = fid_lookup(out->fid);

		f->pdev = dir_st->st_dev;
		f->pino = dir_st->st_ino;
	}
	attr_from_stat(&out->attr, &st);
	return 0;

out_close:
	free(dup_name);
	if (pfd >= 0)
		close(pfd);
	close(fd);
	return err;
}

static int op_root(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_rwalk *out = reply_payload(r);
	struct stat st;
	int fd, err;

	if (len != 0)
		return -EINVAL;
	fd = openat(srv->root_fd, ".", O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	err = fid_alloc(fd, -1, NULL, &st, &out->fid);
	if (err)
		return err;
	attr_from_stat(&out->attr, &st);
	return sizeof(*out);
}

/* Names must be exactly one component: no '/', not "", "." or "..". */
int check_name(const char *name, size_t n)
{
	if (n == 0 || memchr(name, '/', n))
		return -EINVAL;
	if ((n == 1 && name[0] == '.') || (n == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	if (n > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

int body_name(const void *body, size_t len, size_t fixed, const char **name)
{
	const char *p = (const char *)body + fixed;
	size_t n;

	if (len < fixed + 1 || len > fixed + GOFER_NAME_MAX + 2)
		return len > fixed + GOFER_NAME_MAX + 2 ? -ENAMETOOLONG : -EINVAL;
	n = len - fixed - 1;
	if (p[n] != '\0' || memchr(p, '\0', n))
		return -EINVAL;
	*name = p;
	return check_name(p, n);
}

int get_dir(uint64_t fid, struct gofer_fid **out)
{
	*out = fid_lookup(fid);
	if (!*out)
		return -EBADF;
	return S_ISDIR((*out)->mode) ? 0 : -ENOTDIR;
}

/* A WALK-shaped request (struct gofer_twalk, then one NUL-terminated name):
 * the directory fid, its attributes and the checked name. */
static int dir_name_req(const void *body, size_t len, struct gofer_fid **dir, struct stat *dst,
			const char **name)
{
	size_t n;
	uint64_t fid;
	int err;

	*name = (const char *)body + sizeof(struct gofer_twalk);
	if (len < sizeof(struct gofer_twalk) + 1 || len > sizeof(struct gofer_twalk) + 4096)
		return -EINVAL;
	n = len - sizeof(struct gofer_twalk) - 1;
	if ((*name)[n] != '\0' || memchr(*name, '\0', n))
		return -EINVAL;
	err = check_name(*name, n);
	if (err)
		return err;
	memcpy(&fid, body, sizeof(fid));
	err = get_dir(fid, dir);
	if (err)
		return err;
	return fstat((*dir)->fd, dst) < 0 ? -errno : 0;
}

static int op_walk(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_fid *dir;
	struct stat dst;
	const char *name;
	int err = dir_name_req(body, len, &dir, &dst, &name);

	if (err)
		return err;
	err = walk_one(srv, dir->fd, &dst, name, reply_payload(r));
	return err ? err : (int)sizeof(struct gofer_rwalk);
}

/* STATAT: the attributes WALK would return for dir/name, without keeping a
 * fid (the sentry revalidates a cached name with it: same dev/ino/type, or
 * stale). Same validation and same host calls as WALK (openat O_PATH|
 * O_NOFOLLOW, fstat, the pseudo filesystem check), so it needs nothing more
 * from the seccomp filter and reveals nothing WALK would not. */
static int op_statat(struct gofer_server *srv, const void *body, size_t len,
		     struct gofer_reply *r)
{
	struct gofer_fid *dir;
	struct stat dst, st;
	const char *name;
	int fd, err = dir_name_req(body, len, &dir, &dst, &name);

	(void)srv;
	if (err)
		return err;
	fd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		err = -errno;
	else if (st.st_dev != dst.st_dev && fs_forbidden(fd))
		err = -EACCES;
	close(fd);
	if (err)
		return err;
	attr_from_stat(reply_payload(r), &st);
	return sizeof(struct gofer_wire_attr);
}

static int op_stat(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_fid *f;
	struct stat st;
	int err = get_fid(body, len, sizeof(struct gofer_tfid), &f);

	if (err)
		return err;
	if (fstat(f->fd, &st) < 0)
		return -errno;
	attr_from_stat(reply_payload(r), &st);
	return sizeof(struct gofer_wire_attr);
}

static int op_statfs(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_wire_statfs *out = reply_payload(r);
	struct gofer_fid *f;
	struct statfs s;
	int err = get_fid(body, len, sizeof(struct gofer_tfid), &f);

	if (err)
		return err;
	if (fstatfs(f->fd, &s) < 0)
		return -errno;
	memset(out, 0, sizeof(*out));
	out->type = (uint64_t)s.f_type;
	out->bsize = (uint64_t)s.f_bsize;
	out->blocks = s.f_blocks;
	out->bfree = s.f_bfree;
	out->bavail = s.f_bavail;
	out->files = s.f_files;
	out->ffree = s.f_ffree;
	out->namelen = (uint64_t)s.f_namelen;
	out->frsize = (uint64_t)s.f_frsize;
	out->flags = (uint64_t)s.f_flags;
	if (!srv->cfg->rw)
		out->flags |= ST_RDONLY;
	return sizeof(*out);
}

static int op_readlink(struct gofer_server *srv, const void *body, size_t len,
		       struct gofer_reply *r)
{
	struct gofer_rreadlink *out = reply_payload(r);
	struct gofer_fid *f;
	ssize_t n;
	int err = get_fid(body, len, sizeof(struct gofer_tfid), &f);

	if (err)
		return err;
	if (!S_ISLNK(f->mode))
		return -EINVAL;
	n = readlinkat(f->fd, "", out->target, GOFER_LINK_MAX);
	if (n < 0)
		return -errno;
	if (n == 0)
		return -EIO;
	memset(out, 0, sizeof(*out));
	out->len = (uint32_t)n;
	return (int)(sizeof(*out) + (size_t)n);
}

static int op_clunk(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	uint64_t fid;

	if (len != sizeof(struct gofer_tfid))
		return -EINVAL;
	memcpy(&fid, body, sizeof(fid));
	return fid_free(fid);
}

/* Open the file a fid names for I/O (see the top of the file): the
 * directory itself through ".", or a non-directory by name in its parent,
 * non-blocking, checked to be the same inode. Returns the descriptor (with
 * O_NONBLOCK) or -errno. */
int fid_reopen(struct gofer_fid *f, int flags)
{
	int oflags = flags | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK, fd, err;
	struct stat st;

	if (S_ISDIR(f->mode))
		fd = openat(f->fd, ".", oflags | O_DIRECTORY);
	else if (f->parent_fd >= 0 && f->name)
		fd = openat(f->parent_fd, f->name, oflags);
	else if (f->unnamed)
		/* TMPFILE: no name to reopen by; its own read-write descriptor
		 * (the same open file: flags set on it are shared). */
		fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	else
		return -EIO;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	if (st.st_dev != f->dev || st.st_ino != f->ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

/* See the top of the file for why OPEN works this way. */
static int op_open(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_topen req;
	struct gofer_fid *f;
	struct stat st;
	int acc, oflags, fd, err;

	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, body, sizeof(req));
	f = fid_lookup(req.fid);
	if (!f)
		return -EBADF;
	if (req.flags & ~(uint32_t)GOFER_OPEN_FLAGS)
		return -EINVAL;
	acc = (int)req.flags & O_ACCMODE;
	if (acc == O_ACCMODE)
		return -EINVAL;
	if (!srv->cfg->rw && (acc != O_RDONLY || (req.flags & O_TRUNC)))
		return -EROFS;
	if (S_ISLNK(f->mode))
		return -ELOOP;
	if ((req.flags & O_DIRECTORY) && !S_ISDIR(f->mode))
		return -ENOTDIR;
	if (S_ISDIR(f->mode) && (acc != O_RDONLY || (req.flags & O_TRUNC)))
		return -EISDIR;
	if (!S_ISDIR(f->mode) && !S_ISREG(f->mode))
		return -ENXIO; /* devices, FIFOs, sockets: the sentry's business */

	fd = fid_reopen(f, (int)(req.flags & ~(uint32_t)O_TRUNC));
	if (fd < 0)
		return fd;
	oflags = (int)(req.flags & ~(uint32_t)O_TRUNC) | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto out_close;
	}
	if (!(req.flags & O_NONBLOCK) && fcntl(fd, F_SETFL, oflags & ~O_NONBLOCK) < 0) {
		err = -errno;
		goto out_close;
	}
	if ((req.flags & O_TRUNC) && S_ISREG(st.st_mode) && ftruncate(fd, 0) < 0) {
		err = -errno;
		goto out_close;
	}
	r->fd = fd;
	return 0;

out_close:
	close(fd);
	return err;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Copy host entries into the reply until max entries, the end of the
 * directory, or a full reply. Offsets are the host's d_off cookies. */
static int op_getdents(struct gofer_server *srv, const void *body, size_t len,
		       struct gofer_reply *r)
{
	static uint64_t hbuf[32768 / 8];
	char *payload = reply_payload(r);
	size_t room = GOFER_MSG_MAX - sizeof(struct gofer_hdr) - sizeof(struct gofer_rhdr);
	size_t used = sizeof(struct gofer_rgetdents);
	struct gofer_rgetdents rg = {0};
	struct gofer_tgetdents req;
	struct gofer_fid *f;
	int fd, err = 0;
	bool full = false;

	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, body, sizeof(req));
	f = fid_lookup(req.dir);
	if (!f)
		return -EBADF;
	if (req.max == 0 || req.off > INT64_MAX)
		return -EINVAL;
	if (!S_ISDIR(f->mode))
		return -ENOTDIR;
	fd = openat(f->fd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (lseek(fd, (off_t)req.off, SEEK_SET) < 0) {
		err = -errno;
		goto out;
	}
	while (!full && rg.count < req.max) {
		long n = syscall(SYS_getdents64, fd, hbuf, sizeof(hbuf));
		long pos = 0;

		if (n < 0) {
			err = -errno;
			goto out;
		}
		if (n == 0)
			break;
		while (pos < n && rg.count < req.max) {
			const struct linux_dirent64 *d = (const void *)((char *)hbuf + pos);
			const size_t hdr = offsetof(struct linux_dirent64, d_name);
			struct gofer_wire_dirent we = {0};
			size_t nl, rec;

			if (d->d_reclen <= hdr || d->d_reclen > n - pos) {
				err = -EIO;
				goto out;
			}
			nl = strnlen(d->d_name, d->d_reclen - hdr);
			rec = GOFER_DIRENT_RECLEN(nl);
			pos += d->d_reclen;
			if (nl == 0 || nl > GOFER_NAME_MAX)
				continue; /* cannot happen on Linux; never send it */
			if (used + rec > room) {
				full = true;
				break;
			}
			we.ino = d->d_ino;
			we.next_off = (uint64_t)d->d_off;
			we.type = d->d_type;
			we.namelen = (uint16_t)nl;
			memset(payload + used, 0, rec);
			memcpy(payload + used, &we, sizeof(we));
			memcpy(payload + used + sizeof(we), d->d_name, nl);
			used += rec;
			rg.count++;
		}
		/* Entries read from the host but not sent are simply read again
		 * from the last cookie by the next request. */
	}
	if (rg.count == 0 && full)
		err = -EIO; /* unreachable: one entry always fits */
	memcpy(payload, &rg, sizeof(rg));
out:
	close(fd);
	return err ? err : (int)used;
}

static int op_version(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r)
{
	struct gofer_tversion req;
	struct gofer_rversion out = {.version = GOFER_PROTO_VERSION, .flags = srv->vflags};

	if (len != sizeof(req))
		return -EINVAL;
	memcpy(&req, body, sizeof(req));
	if (req.version != GOFER_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	memcpy(reply_payload(r), &out, sizeof(out));
	return sizeof(out);
}

void gofer_handle(struct gofer_server *srv, uint32_t type, const void *body, size_t len,
		  struct gofer_reply *r)
{
	int ret;

	r->fd = -1;
	switch (type) {
	case GOFER_T_VERSION:
		ret = op_version(srv, body, len, r);
		break;
	case GOFER_T_ROOT:
		ret = op_root(srv, body, len, r);
		break;
	case GOFER_T_WALK:
		ret = op_walk(srv, body, len, r);
		break;
	case GOFER_T_STAT:
		ret = op_stat(srv, body, len, r);
		break;
	case GOFER_T_STATAT:
		ret = op_statat(srv, body, len, r);
		break;
	case GOFER_T_OPEN:
		ret = op_open(srv, body, len, r);
		break;
	case GOFER_T_READLINK:
		ret = op_readlink(srv, body, len, r);
		break;
	case GOFER_T_GETDENTS:
		ret = op_getdents(srv, body, len, r);
		break;
	case GOFER_T_STATFS:
		ret = op_statfs(srv, body, len, r);
		break;
	case GOFER_T_CLUNK:
		ret = op_clunk(srv, body, len, r);
		break;
	case GOFER_T_CREATE:
		ret = op_create(srv, body, len, r);
		break;
	case GOFER_T_TMPFILE:
		ret = op_tmpfile(srv, body, len, r);
		break;
	case GOFER_T_MKDIR:
		ret = op_mkdir(srv, body, len, r);
		break;
	case GOFER_T_MKNOD:
		ret = op_mknod(srv, body, len, r);
		break;
	case GOFER_T_SYMLINK:
		ret = op_symlink(srv, body, len, r);
		break;
	case GOFER_T_LINK:
		ret = op_link(srv, body, len, r);
		break;
	case GOFER_T_UNLINK:
		ret = op_unlink(srv, body, len, r);
		break;
	case GOFER_T_RENAME:
		ret = op_rename(srv, body, len, r);
		break;
	case GOFER_T_SETATTR:
		ret = op_setattr(srv, body, len, r);
		break;
	case GOFER_T_FSYNC:
		ret = op_fsync(srv, body, len, r);
		break;
	case GOFER_T_GETXATTR:
		ret = op_getxattr(srv, body, len, r);
		break;
	case GOFER_T_LISTXATTR:
		ret = op_listxattr(srv, body, len, r);
		break;
	case GOFER_T_SETXATTR:
		ret = op_setxattr(srv, body, len, r);
		break;
	case GOFER_T_REMOVEXATTR:
		ret = op_removexattr(srv, body, len, r);
		break;
	default:
		ret = (type >= GOFER_T_CONNECT && type <= GOFER_T_RESERVED_LAST) ? -ENOSYS : -EINVAL;
		break;
	}
	reply_set(r, ret < 0 ? ret : 0, ret < 0 ? 0 : (size_t)ret);
}
