/*
 * The gofer protocol: the wire format between the sentry (client) and the
 * gofer (server). See docs/gofer-protocol.md for the semantics of each
 * message; this header is the single definition of the layout.
 *
 * Transport: one AF_UNIX SOCK_SEQPACKET socket per connection. Every request
 * is exactly one message and gets exactly one reply message, in order. A
 * message is a fixed header followed by len bytes of body. All integers are in
 * host byte order (both ends run on the same machine). Host descriptors are
 * donated with SCM_RIGHTS, only in replies to GOFER_T_OPEN and GOFER_T_CREATE.
 *
 * Replies: header.type = request type | GOFER_REPLY, header.tag = request tag,
 * body starts with struct gofer_rhdr {err}; err is 0 or -errno. The payload
 * (described per message below) follows only when err == 0.
 *
 * Both sides treat the other's messages as hostile: every length, count, name
 * and fid is validated before use.
 */
#ifndef GOFER_PROTOCOL_H
#define GOFER_PROTOCOL_H

#include <stdint.h>

/* 2: the writable messages (CREATE..FSYNC) replaced the reserved ENOSYS.
 * 3: STATAT (revalidating a cached name without a new fid). */
#define GOFER_PROTO_VERSION 4

/* Largest message (header + body) either side sends or accepts. */
#define GOFER_MSG_MAX 65536u
/* Longest name in WALK and GETDENTS (NAME_MAX), not counting the NUL. */
#define GOFER_NAME_MAX 255u
/* Longest symlink target READLINK returns (PATH_MAX). */
#define GOFER_LINK_MAX 4096u
/* Most fids one connection may hold at once (-ENFILE beyond). */
#define GOFER_MAX_FIDS (1u << 20)
/* Fid value that never names a file. */
#define GOFER_FID_NONE 0ull

enum gofer_msg_type {
	GOFER_T_VERSION = 1,  /* {u32 version, u32 pad} -> {u32 version, u32 flags} */
	GOFER_T_ROOT = 2,     /* {} -> {u64 fid, attr} */
	GOFER_T_WALK = 3,     /* {u64 dir, name NUL} -> {u64 fid, attr} */
	GOFER_T_STAT = 4,     /* {u64 fid} -> {attr} */
	GOFER_T_OPEN = 5,     /* {u64 fid, u32 flags, u32 pad} -> {} + 1 fd */
	GOFER_T_READLINK = 6, /* {u64 fid} -> {u32 len, u32 pad, target[len]} */
	GOFER_T_GETDENTS = 7, /* {u64 dir, u64 off, u32 max, u32 pad} -> {u32 n, u32 pad, ents} */
	GOFER_T_STATFS = 8,   /* {u64 fid} -> {statfs} */
	GOFER_T_CLUNK = 9,    /* {u64 fid} -> {} */
	GOFER_T_STATAT = 10,  /* {u64 dir, name NUL} (as WALK) -> {attr}; no fid */

	/* The writable protocol (every one -EROFS on a read-only gofer). */
	GOFER_T_CREATE = 32,	  /* {tcreate, name NUL} -> {u64 fid, attr} + 1 fd */
	GOFER_T_MKDIR = 33,	  /* {tmknod, name NUL} -> {u64 fid, attr} */
	GOFER_T_UNLINK = 34,	  /* {tunlink, name NUL} -> {} */
	GOFER_T_RENAME = 35,	  /* {trename, old NUL, new NUL} -> {} */
	GOFER_T_SYMLINK = 36,	  /* {tsymlink, name NUL, target NUL} -> {u64 fid, attr} */
	GOFER_T_LINK = 37,	  /* {tlink, name NUL} -> {u64 fid, attr} */
	GOFER_T_SETATTR = 38,	  /* {tsetattr} -> {attr} */
	GOFER_T_MKNOD = 39,	  /* {tmknod, name NUL} -> {u64 fid, attr}; FIFO/socket only */
	GOFER_T_SETXATTR = 40,	  /* {tsetxattr, name NUL, value} -> {} */
	GOFER_T_GETXATTR = 41,	  /* {txattr, name NUL} -> {u32 len, u32 pad, value} */
	GOFER_T_LISTXATTR = 42,	  /* {txattr} -> {u32 len, u32 pad, names} */
	GOFER_T_REMOVEXATTR = 43, /* {txattr, name NUL} -> {} */
	GOFER_T_FSYNC = 44,	  /* {u64 fid, u32 datasync, u32 pad} -> {} */
	/* Reserved: the gofer answers -ENOSYS. */
	GOFER_T_CONNECT = 45, /* connect to a host unix socket file */
	GOFER_T_TMPFILE = 46, /* {tcreate} (no name) -> {u64 fid, attr} + 1 fd: O_TMPFILE */
	GOFER_T_RESERVED_LAST = 63,

	/* Sent by the gofer when a request was too short to carry a header. */
	GOFER_T_ERROR = 0x7fffffff,
};

#define GOFER_REPLY 0x80000000u

/* Flags in the VERSION reply: what the gofer serves and which of its
 * confinement steps took effect (so the sentry can log a degraded gofer). */
#define GOFER_VF_RW (1u << 0)
#define GOFER_VF_MNTNS (1u << 1)   /* own mount namespace */
#define GOFER_VF_PIVOT (1u << 2)   /* process root is the served root (pivot_root) */
#define GOFER_VF_CHROOT (1u << 3)  /* chroot fallback */
#define GOFER_VF_NETNS (1u << 4)   /* own empty network namespace */
#define GOFER_VF_CAPS (1u << 5)	   /* capabilities reduced */
#define GOFER_VF_SECCOMP (1u << 6) /* always set: the gofer never runs without */
#define GOFER_VF_USERNS (1u << 7)  /* unprivileged: own user namespace */

struct gofer_hdr {
	uint32_t type;
	uint32_t tag;
	uint32_t len; /* body bytes after this header */
};

struct gofer_rhdr {
	int32_t err; /* 0 or -errno */
	uint32_t pad;
};

/* File attributes: the host's struct stat, fixed-width. */
struct gofer_wire_attr {
	uint64_t dev, ino, nlink, size, blocks, rdev;
	uint32_t mode, uid, gid, blksize;
	int64_t atime_sec, mtime_sec, ctime_sec;
	uint32_t atime_nsec, mtime_nsec, ctime_nsec, pad;
};

struct gofer_wire_statfs {
	uint64_t type, bsize, blocks, bfree, bavail, files, ffree, namelen, frsize, flags;
};

/* --- requests (body layouts) ---------------------------------------------- */

struct gofer_tversion {
	uint32_t version;
	uint32_t pad;
};

/* WALK: the name follows the fixed part and fills the rest of the body; it is
 * 1..GOFER_NAME_MAX bytes plus one terminating NUL, which is the body's last
 * byte, and contains no other NUL. */
struct gofer_twalk {
	uint64_t dir;
	char name[];
};

struct gofer_tfid { /* STAT, READLINK, STATFS, CLUNK */
	uint64_t fid;
};

struct gofer_topen {
	uint64_t fid;
	uint32_t flags; /* x86_64 Linux O_* values; see GOFER_OPEN_FLAGS */
	uint32_t pad;
};

struct gofer_tgetdents {
	uint64_t dir;
	uint64_t off; /* 0 or a next_off cookie from an earlier reply */
	uint32_t max; /* most entries wanted (>= 1) */
	uint32_t pad;
};

/* CREATE: flags are GOFER_CREATE_FLAGS (the gofer adds O_CREAT, O_NOFOLLOW,
 * O_CLOEXEC); mode is the permission bits; uid/gid the owner to give the new
 * file, (u32)-1 for the gofer's own. The name (1..255 bytes, NUL) follows. */
struct gofer_tcreate {
	uint64_t dir;
	uint32_t flags;
	uint32_t mode;
	uint32_t uid, gid;
};

/* MKDIR (mode: permission bits) and MKNOD (mode: S_IFIFO or S_IFSOCK |
 * permission bits); the name follows. */
struct gofer_tmknod {
	uint64_t dir;
	uint32_t mode;
	uint32_t uid, gid;
	uint32_t pad;
};

/* UNLINK: flags 0 or AT_REMOVEDIR (0x200); the name follows. */
struct gofer_tunlink {
	uint64_t dir;
	uint32_t flags;
	uint32_t pad;
};

/* RENAME: flags 0, RENAME_NOREPLACE (1) or RENAME_EXCHANGE (2). oldlen and
 * newlen count the names without their NULs; the body is exactly
 * sizeof(trename) + oldlen + 1 + newlen + 1. */
struct gofer_trename {
	uint64_t olddir, newdir;
	uint32_t flags;
	uint16_t oldlen, newlen;
};

/* SYMLINK: namelen/targetlen without NULs; target is 1..GOFER_LINK_MAX-1
 * bytes. Body: sizeof(tsymlink) + namelen + 1 + targetlen + 1. */
struct gofer_tsymlink {
	uint64_t dir;
	uint32_t uid, gid;
	uint32_t namelen, targetlen;
};

/* LINK: a new name in dir for the non-directory target; the name follows. */
struct gofer_tlink {
	uint64_t dir;
	uint64_t target;
};

/* SETATTR: valid is GOFER_SETATTR_* bits. Times are utimensat's: nsec may be
 * GOFER_UTIME_NOW or GOFER_UTIME_OMIT. The reply is the new attributes. */
#define GOFER_SETATTR_MODE (1u << 0)
#define GOFER_SETATTR_UID (1u << 1)
#define GOFER_SETATTR_GID (1u << 2)
#define GOFER_SETATTR_SIZE (1u << 3)
#define GOFER_SETATTR_ATIME (1u << 4)
#define GOFER_SETATTR_MTIME (1u << 5)
#define GOFER_SETATTR_ALL 0x3fu
#define GOFER_UTIME_NOW ((1u << 30) - 1u)
#define GOFER_UTIME_OMIT ((1u << 30) - 2u)
struct gofer_tsetattr {
	uint64_t fid;
	uint32_t valid;
	uint32_t mode; /* permission bits (07777) */
	uint32_t uid, gid;
	uint64_t size;
	int64_t atime_sec, mtime_sec;
	uint32_t atime_nsec, mtime_nsec;
};

/* GETXATTR / LISTXATTR / REMOVEXATTR: size is the most value bytes wanted
 * (0: only the length, as getxattr(2) with size 0); namelen counts the name
 * (1..GOFER_XATTR_NAME_MAX, "user." names only) that follows with its NUL;
 * LISTXATTR has no name (namelen 0, nothing follows). */
#define GOFER_XATTR_NAME_MAX 255u
#define GOFER_XATTR_SIZE_MAX 65000u /* value or list bytes in one reply */
struct gofer_txattr {
	uint64_t fid;
	uint32_t size;
	uint32_t namelen;
};

/* SETXATTR: flags 0, XATTR_CREATE (1) or XATTR_REPLACE (2); the name (with
 * NUL) then valuelen value bytes follow. */
struct gofer_tsetxattr {
	uint64_t fid;
	uint32_t flags;
	uint32_t namelen;
	uint32_t valuelen;
	uint32_t pad;
};

struct gofer_tfsync {
	uint64_t fid;
	uint32_t datasync;
	uint32_t pad;
};

/* --- replies (payload after struct gofer_rhdr) ---------------------------- */

struct gofer_rversion {
	uint32_t version;
	uint32_t flags; /* GOFER_VF_* */
};

struct gofer_rwalk { /* ROOT and WALK */
	uint64_t fid;
	struct gofer_wire_attr attr;
};

struct gofer_rreadlink {
	uint32_t len; /* 1..GOFER_LINK_MAX bytes of target follow (no NUL) */
	uint32_t pad;
	char target[];
};

struct gofer_rxattr { /* GETXATTR, LISTXATTR */
	uint32_t len; /* the value's (list's) length; bytes follow if size was >= len */
	uint32_t pad;
	char data[];
};

struct gofer_rgetdents {
	uint32_t count; /* entries that follow, back to back */
	uint32_t pad;
};

/* One directory entry. The record is GOFER_DIRENT_RECLEN(namelen) bytes: the
 * fixed part, namelen name bytes, a NUL, zero padding to 8 bytes. */
struct gofer_wire_dirent {
	uint64_t ino;
	uint64_t next_off;
	uint8_t type; /* DT_* */
	uint8_t pad;
	uint16_t namelen; /* 1..GOFER_NAME_MAX */
	uint32_t pad2;
	char name[];
};

#define GOFER_DIRENT_RECLEN(namelen)                                                               \
	((sizeof(struct gofer_wire_dirent) + (size_t)(namelen) + 1 + 7) & ~(size_t)7)

/* OPEN flags the gofer accepts (host O_* values). Anything else is -EINVAL;
 * O_CREAT/O_EXCL/O_TMPFILE belong to CREATE, O_PATH to WALK. The gofer always
 * adds O_NOFOLLOW, O_NOCTTY and O_CLOEXEC. */
#define GOFER_OPEN_FLAGS                                                                           \
	(00000003 /* O_ACCMODE */ | 00001000 /* O_TRUNC */ | 00002000 /* O_APPEND */ |             \
	 00004000 /* O_NONBLOCK */ | 00010000 /* O_DSYNC */ | 00040000 /* O_DIRECT */ |            \
	 00100000 /* O_LARGEFILE */ | 00200000 /* O_DIRECTORY */ | 00400000 /* O_NOFOLLOW */ |     \
	 01000000 /* O_NOATIME */ | 02000000 /* O_CLOEXEC */ | 04000000 /* __O_SYNC */ |           \
	 00000400 /* O_NOCTTY */)

/* CREATE flags: access mode, O_TRUNC, O_APPEND, O_EXCL and the I/O flags of
 * OPEN (O_DIRECTORY excluded). */
#define GOFER_CREATE_FLAGS ((GOFER_OPEN_FLAGS & ~00200000u) | 00000200 /* O_EXCL */)

_Static_assert(sizeof(struct gofer_tcreate) == 24, "gofer_tcreate layout");
_Static_assert(sizeof(struct gofer_tmknod) == 24, "gofer_tmknod layout");
_Static_assert(sizeof(struct gofer_tunlink) == 16, "gofer_tunlink layout");
_Static_assert(sizeof(struct gofer_trename) == 24, "gofer_trename layout");
_Static_assert(sizeof(struct gofer_tsymlink) == 24, "gofer_tsymlink layout");
_Static_assert(sizeof(struct gofer_tlink) == 16, "gofer_tlink layout");
_Static_assert(sizeof(struct gofer_tsetattr) == 56, "gofer_tsetattr layout");
_Static_assert(sizeof(struct gofer_txattr) == 16, "gofer_txattr layout");
_Static_assert(sizeof(struct gofer_tsetxattr) == 24, "gofer_tsetxattr layout");
_Static_assert(sizeof(struct gofer_tfsync) == 16, "gofer_tfsync layout");
_Static_assert(sizeof(struct gofer_rxattr) == 8, "gofer_rxattr layout");
_Static_assert(sizeof(struct gofer_hdr) == 12, "gofer_hdr layout");
_Static_assert(sizeof(struct gofer_rhdr) == 8, "gofer_rhdr layout");
_Static_assert(sizeof(struct gofer_wire_attr) == 104, "gofer_wire_attr layout");
_Static_assert(sizeof(struct gofer_wire_statfs) == 80, "gofer_wire_statfs layout");
_Static_assert(sizeof(struct gofer_twalk) == 8, "gofer_twalk layout");
_Static_assert(sizeof(struct gofer_topen) == 16, "gofer_topen layout");
_Static_assert(sizeof(struct gofer_tgetdents) == 24, "gofer_tgetdents layout");
_Static_assert(sizeof(struct gofer_rwalk) == 112, "gofer_rwalk layout");
_Static_assert(sizeof(struct gofer_rreadlink) == 8, "gofer_rreadlink layout");
_Static_assert(sizeof(struct gofer_wire_dirent) == 24, "gofer_wire_dirent layout");

#endif
