/*
 * Guest ABI (x86_64) structures for the stat/statx/statfs/getdents family,
 * defined here rather than taken from the host's headers.
 */
#ifndef SENTRY_ABI_LINUX_STAT_H
#define SENTRY_ABI_LINUX_STAT_H

#include <stdint.h>

/* struct stat as x86_64 Linux's stat/fstat/lstat/newfstatat write it. */
struct linux_stat {
	uint64_t st_dev;
	uint64_t st_ino;
	uint64_t st_nlink;
	uint32_t st_mode;
	uint32_t st_uid;
	uint32_t st_gid;
	uint32_t __pad0;
	uint64_t st_rdev;
	int64_t st_size;
	int64_t st_blksize;
	int64_t st_blocks;
	uint64_t st_atime_sec, st_atime_nsec;
	uint64_t st_mtime_sec, st_mtime_nsec;
	uint64_t st_ctime_sec, st_ctime_nsec;
	int64_t __unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "struct stat is 144 bytes on x86_64");

struct linux_statx_timestamp {
	int64_t tv_sec;
	uint32_t tv_nsec;
	int32_t __reserved;
};

struct linux_statx {
	uint32_t stx_mask;
	uint32_t stx_blksize;
	uint64_t stx_attributes;
	uint32_t stx_nlink;
	uint32_t stx_uid;
	uint32_t stx_gid;
	uint16_t stx_mode;
	uint16_t __spare0;
	uint64_t stx_ino;
	uint64_t stx_size;
	uint64_t stx_blocks;
	uint64_t stx_attributes_mask;
	struct linux_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
	uint32_t stx_rdev_major, stx_rdev_minor;
	uint32_t stx_dev_major, stx_dev_minor;
	uint64_t stx_mnt_id;
	uint32_t stx_dio_mem_align, stx_dio_offset_align;
	uint64_t __spare3[12];
};
_Static_assert(sizeof(struct linux_statx) == 256, "struct statx is 256 bytes");

#define LINUX_STATX_TYPE 0x0001U
#define LINUX_STATX_MODE 0x0002U
#define LINUX_STATX_NLINK 0x0004U
#define LINUX_STATX_UID 0x0008U
#define LINUX_STATX_GID 0x0010U
#define LINUX_STATX_ATIME 0x0020U
#define LINUX_STATX_MTIME 0x0040U
#define LINUX_STATX_CTIME 0x0080U
#define LINUX_STATX_INO 0x0100U
#define LINUX_STATX_SIZE 0x0200U
#define LINUX_STATX_BLOCKS 0x0400U
#define LINUX_STATX_BASIC_STATS 0x07ffU
#define LINUX_STATX_BTIME 0x0800U
#define LINUX_STATX_MNT_ID 0x1000U
#define LINUX_STATX__RESERVED 0x80000000U

#define LINUX_AT_STATX_SYNC_TYPE 0x6000

struct linux_statfs {
	int64_t f_type;
	int64_t f_bsize;
	uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
	struct {
		int32_t val[2];
	} f_fsid;
	int64_t f_namelen;
	int64_t f_frsize;
	int64_t f_flags;
	int64_t f_spare[4];
};
_Static_assert(sizeof(struct linux_statfs) == 120, "struct statfs is 120 bytes");

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

/* renameat2 flags */
#define LINUX_RENAME_NOREPLACE 1
#define LINUX_RENAME_EXCHANGE 2
#define LINUX_RENAME_WHITEOUT 4

/* statfs f_type magics */
#define LINUX_TMPFS_MAGIC 0x01021994
#define LINUX_OVERLAYFS_MAGIC 0x794c7630
#define LINUX_V9FS_MAGIC 0x01021997
#define LINUX_ANON_INODE_FS_MAGIC 0x09041934

/* ST_* statfs flags */
#define LINUX_ST_RDONLY 0x0001
#define LINUX_ST_NOSUID 0x0002
#define LINUX_ST_NODEV 0x0004
#define LINUX_ST_NOEXEC 0x0008

#endif
