/*
 * The gofer: the only process that touches host files. It serves one
 * connection (a SOCK_SEQPACKET socket inherited from the sentry) with a
 * single-threaded loop: receive one request, answer it, repeat; it exits when
 * the sentry closes its end. Being single-threaded, it needs no locks.
 *
 * Files: main.c (arguments, start-up, loop), confine.c (namespaces,
 * pivot_root, capabilities), filter.c (seccomp allow-list), fid.c (the fid
 * table), ops.c (the read-only request handlers and the dispatch),
 * ops_write.c (create, mkdir, unlink, rename, link, setattr...), ops_xattr.c
 * (extended attributes).
 */
#ifndef GOFER_GOFER_H
#define GOFER_GOFER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "protocol.h"

/* Built with AddressSanitizer (gcc spells it one way, clang the other). */
#if defined(__SANITIZE_ADDRESS__)
#define GOFER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GOFER_ASAN 1
#endif
#endif

struct gofer_config {
	const char *root; /* host directory served */
	bool rw;	  /* writable; read-only otherwise */
	int sock;	  /* the connection */
};

/* Log to stderr (the only descriptor kept besides the socket). */
void glog(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Confine the process (see docs/security.md) and open the root: on success
 * returns an O_PATH descriptor of the root directory and ORs GOFER_VF_* bits
 * into *flags. Failures of optional steps are logged and skipped; returns
 * -errno only when the root cannot be served at all. */
int gofer_confine(const struct gofer_config *cfg, uint32_t *flags);
/* Load the seccomp allow-list; the gofer never serves without it. */
int gofer_install_filter(const struct gofer_config *cfg);

/* --- fids ----------------------------------------------------------------- */

struct gofer_fid {
	int fd;	       /* O_PATH|O_NOFOLLOW descriptor; -1 when the slot is free */
	int parent_fd; /* O_PATH descriptor of the parent directory (non-dirs), or -1 */
	char *name;    /* name in the parent (non-dirs), or NULL */
	uint32_t gen;  /* generation: a reused slot gets new fid values */
	uint32_t next_free;
	uint64_t dev, ino; /* identity at walk time, to detect replaced files */
	uint64_t pdev, pino; /* the parent directory's identity (non-dirs) */
	uint32_t mode;
	bool unnamed; /* TMPFILE: fd is the file's own O_RDWR descriptor */
};

/* Allocate a fid taking ownership of fd, parent_fd and name (freed on error). */
int fid_alloc(int fd, int parent_fd, char *name, const struct stat *st, uint64_t *out);
struct gofer_fid *fid_lookup(uint64_t fid);
int fid_free(uint64_t fid);
void fid_table_destroy(void);
/* After a rename of olddir/oldname to newdir/newname (RENAME_EXCHANGE: and
 * back), make the non-directory fids that named the moved file(s) name them
 * at their new place, so OPEN keeps reopening the right file. */
void fid_renamed(const struct gofer_fid *olddir, const char *oldname,
		 const struct gofer_fid *newdir, const char *newname, bool exchange);

/* --- requests -------------------------------------------------------------- */

struct gofer_reply {
	struct gofer_hdr hdr;
	int fd; /* descriptor to donate, or -1 */
	size_t len;
	/* body: struct gofer_rhdr then payload; 8-aligned */
	uint64_t body[GOFER_MSG_MAX / 8];
};

struct gofer_server {
	const struct gofer_config *cfg;
	int root_fd;
	uint32_t vflags;
};

/* Shared by the handlers (ops.c): the payload area of a reply; a name check
 * (one component, 1..255 bytes, not "." or ".."); a name that fills a body
 * after a fixed part of size fixed (exactly one NUL, the last byte); a
 * directory fid (-EBADF, -ENOTDIR); walking one component into a new fid;
 * reopening a fid for I/O with an identity check (-ESTALE). */
void *reply_payload(struct gofer_reply *r);
int check_name(const char *name, size_t n);
int body_name(const void *body, size_t len, size_t fixed, const char **name);
int get_dir(uint64_t fid, struct gofer_fid **out);
int walk_one(struct gofer_server *srv, int dir_fd, const struct stat *dir_st, const char *name,
	     struct gofer_rwalk *out);
int fid_reopen(struct gofer_fid *f, int flags);
void attr_from_stat(struct gofer_wire_attr *a, const struct stat *st);

/* Handlers in ops_write.c and ops_xattr.c: return -errno, or the payload
 * size. */
int op_create(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_tmpfile(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_mkdir(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_mknod(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_symlink(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_link(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_unlink(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_rename(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_setattr(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_fsync(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_getxattr(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_listxattr(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_setxattr(struct gofer_server *srv, const void *body, size_t len, struct gofer_reply *r);
int op_removexattr(struct gofer_server *srv, const void *body, size_t len,
		   struct gofer_reply *r);

/* Handle one request body; fills r (err + payload) and never fails. */
void gofer_handle(struct gofer_server *srv, uint32_t type, const void *body, size_t len,
		  struct gofer_reply *r);

#endif
