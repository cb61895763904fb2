/*
 * The gofer: the only process that touches host files. It serves one
 * connection (a SOCK_SEQPACKET socket inherited from the sentry) with a
 * single-threaded loop: receive one request, answer it, repeat; it exits when
 * the sentry closes its end. Being single-threaded, it needs no locks.
 *
 * Files: main.c (arguments, start-up, loop), confine.c (namespaces,
 * pivot_root, capabilities), filter.c (seccomp allow-list), fid.c (the fid
 * table), ops.c (the request handlers).
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
	uint32_t mode;
};

/* Allocate a fid taking ownership of fd, parent_fd and name (freed on error). */
int fid_alloc(int fd, int parent_fd, char *name, const struct stat *st, uint64_t *out);
struct gofer_fid *fid_lookup(uint64_t fid);
int fid_free(uint64_t fid);
void fid_table_destroy(void);

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

/* Handle one request body; fills r (err + payload) and never fails. */
void gofer_handle(struct gofer_server *srv, uint32_t type, const void *body, size_t len,
		  struct gofer_reply *r);

#endif
