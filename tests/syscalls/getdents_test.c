/* getdents64 (and readdir on top of it). */
#include <dirent.h>

#include "harness.h"

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Read the whole directory with buffers of `bufsize`; returns the number of
 * entries and records names/types. -1 on error. */
#define MAX_ENTS 512
struct ent {
	char name[64];
	int type;
};

static int read_all(int fd, size_t bufsize, struct ent *ents)
{
	char *buf = malloc(bufsize);
	int n = 0;

	for (;;) {
		long len = syscall(SYS_getdents64, fd, buf, bufsize);
		if (len < 0) {
			free(buf);
			return -1;
		}
		if (len == 0)
			break;
		for (long off = 0; off < len;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			if (d->d_reclen == 0 || d->d_reclen % 8 || off + d->d_reclen > len) {
				FAIL("bad d_reclen %u at %ld/%ld", d->d_reclen, off, len);
				free(buf);
				return -1;
			}
			if (n < MAX_ENTS) {
				snprintf(ents[n].name, sizeof(ents[n].name), "%s", d->d_name);
				ents[n].type = d->d_type;
			}
			n++;
			off += d->d_reclen;
		}
	}
	free(buf);
	return n;
}

static int find(struct ent *ents, int n, const char *name)
{
	int count = 0, type = -1;

	for (int i = 0; i < n && i < MAX_ENTS; i++) {
		if (strcmp(ents[i].name, name) == 0) {
			count++;
			type = ents[i].type;
		}
	}
	return count == 1 ? type : -count - 100;
}

TEST(lists_entries_with_types)
{
	static struct ent ents[MAX_ENTS];
	int fd, n;

	EXPECT_SYS(mkdir("d", 0755));
	EXPECT_SYS(mkdir("d/sub", 0755));
	if (!MAKE_FILE("d/file", "x"))
		return;
	EXPECT_SYS(symlink("file", "d/link"));
	fd = (int)EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	n = read_all(fd, 4096, ents);
	EXPECT_EQ(n, 5);
	EXPECT_EQ(find(ents, n, "."), DT_DIR);
	EXPECT_EQ(find(ents, n, ".."), DT_DIR);
	EXPECT_EQ(find(ents, n, "sub"), DT_DIR);
	EXPECT_EQ(find(ents, n, "file"), DT_REG);
	EXPECT_EQ(find(ents, n, "link"), DT_LNK);
	/* At the end it keeps returning 0. */
	EXPECT_EQ(syscall(SYS_getdents64, fd, (char[256]){0}, 256), 0);
	close(fd);
}

TEST(empty_directory_has_dot_and_dotdot)
{
	static struct ent ents[MAX_ENTS];
	int fd, n;

	EXPECT_SYS(mkdir("e", 0755));
	fd = (int)EXPECT_SYS(open("e", O_RDONLY | O_DIRECTORY));
	n = read_all(fd, 1024, ents);
	EXPECT_EQ(n, 2);
	EXPECT_EQ(find(ents, n, "."), DT_DIR);
	EXPECT_EQ(find(ents, n, ".."), DT_DIR);
	close(fd);
}

TEST(many_entries_small_buffer_and_rewind)
{
	static struct ent ents[MAX_ENTS];
	char name[32];
	int fd, n;

	EXPECT_SYS(mkdir("d", 0755));
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "d/entry_%03d", i);
		if (!MAKE_FILE(name, ""))
			return;
	}
	fd = (int)EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	/* A buffer that holds only a couple of entries forces many calls. */
	n = read_all(fd, 64, ents);
	EXPECT_EQ(n, 302);
	for (int i = 0; i < 300; i += 37) {
		snprintf(name, sizeof(name), "entry_%03d", i);
		EXPECT_EQ(find(ents, n, name), DT_REG);
	}
	/* lseek(0) rewinds. */
	EXPECT_EQ(lseek(fd, 0, SEEK_SET), 0);
	n = read_all(fd, 8192, ents);
	EXPECT_EQ(n, 302);
	EXPECT_EQ(find(ents, n, "entry_299"), DT_REG);
	close(fd);
}

TEST(readdir_via_libc)
{
	DIR *d;
	struct dirent *de;
	int seen = 0;

	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("d/a", "") || !MAKE_FILE("d/b", ""))
		return;
	d = opendir("d");
	if (!EXPECT_TRUE(d != NULL))
		return;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, "a") == 0 || strcmp(de->d_name, "b") == 0)
			seen++;
	EXPECT_EQ(seen, 2);
	closedir(d);
}

TEST(unlinked_entries_disappear)
{
	static struct ent ents[MAX_ENTS];
	int fd, n;

	EXPECT_SYS(mkdir("d", 0755));
	if (!MAKE_FILE("d/keep", "") || !MAKE_FILE("d/gone", ""))
		return;
	EXPECT_SYS(unlink("d/gone"));
	fd = (int)EXPECT_SYS(open("d", O_RDONLY | O_DIRECTORY));
	n = read_all(fd, 4096, ents);
	EXPECT_EQ(n, 3);
	EXPECT_EQ(find(ents, n, "keep"), DT_REG);
	EXPECT_EQ(find(ents, n, "gone"), -100);
	close(fd);
}

TEST(root_directory_lists_etc)
{
	static struct ent ents[MAX_ENTS];
	int fd = (int)EXPECT_SYS(open("/", O_RDONLY | O_DIRECTORY));
	int n = read_all(fd, 4096, ents);

	EXPECT_GT(n, 3);
	EXPECT_EQ(find(ents, n, "etc"), DT_DIR);
	EXPECT_EQ(find(ents, n, "proc"), DT_DIR);
	close(fd);
}

TEST(errors)
{
	char buf[512];
	int fd, dfd;

	if (!MAKE_FILE("f", "x"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_ERRNO(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
	close(fd);
	EXPECT_ERRNO(syscall(SYS_getdents64, -1, buf, sizeof(buf)), EBADF);
	EXPECT_ERRNO(syscall(SYS_getdents64, fd, buf, sizeof(buf)), EBADF);
	dfd = (int)EXPECT_SYS(open(".", O_RDONLY | O_DIRECTORY));
	/* A buffer too small for even one entry. */
	EXPECT_ERRNO(syscall(SYS_getdents64, dfd, buf, 1), EINVAL);
	EXPECT_ERRNO(syscall(SYS_getdents64, dfd, (void *)1, sizeof(buf)), EFAULT);
	EXPECT_ERRNO(syscall(SYS_getdents64, dfd, harness_unmapped_page(), sizeof(buf)), EFAULT);
	close(dfd);
}
