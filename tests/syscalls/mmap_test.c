/* mmap, munmap, mprotect, mremap, madvise, mincore, /proc/self/maps.
 * No signal handlers: protections are checked through /proc/self/maps. */
#include <sys/mman.h>

#include "harness.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

static long pg;

static void *raw_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

/* The permission string ("rw-p") of the /proc/self/maps line containing addr,
 * and optionally its path. Returns false if no line contains it. */
static bool maps_lookup(const void *addr, char perms[5], char *path, size_t pathlen)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	if (!f)
		return FAIL("fopen /proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char p[5];
		int off = 0;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s%n", &lo, &hi, p, &off) < 3)
			continue;
		if ((unsigned long)addr < lo || (unsigned long)addr >= hi)
			continue;
		memcpy(perms, p, 5);
		if (path) {
			const char *s = line + off;
			while (*s == ' ')
				s++;
			snprintf(path, pathlen, "%s", s);
			path[strcspn(path, "\n")] = '\0';
		}
		found = true;
		break;
	}
	fclose(f);
	return found;
}

static const char *perms_of(const void *addr)
{
	static char p[5];

	if (!maps_lookup(addr, p, NULL, 0))
		return "none";
	return p;
}

__attribute__((constructor)) static void init_pg(void)
{
	pg = sysconf(_SC_PAGESIZE);
}

TEST(anonymous_private_is_zeroed_and_writable)
{
	unsigned char *p = raw_mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	EXPECT_EQ((unsigned long)p % pg, 0);
	for (long i = 0; i < 4 * pg; i += 512)
		if (!EXPECT_EQ(p[i], 0))
			break;
	memset(p, 0xab, 4 * pg);
	EXPECT_EQ(p[4 * pg - 1], 0xab);
	EXPECT_STREQ(perms_of(p), "rw-p");
	EXPECT_SYS(munmap(p, 4 * pg));
	EXPECT_STREQ(perms_of(p), "none");
}

TEST(anonymous_shared)
{
	unsigned char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	p[0] = 1;
	EXPECT_STREQ(perms_of(p), "rw-s");
	munmap(p, pg);
}

TEST(length_not_page_multiple_is_rounded_up)
{
	unsigned char *p = mmap(NULL, 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	p[pg - 1] = 1; /* the whole page is mapped */
	EXPECT_STREQ(perms_of(p + pg - 1), "rw-p");
	EXPECT_SYS(munmap(p, 10));
	EXPECT_STREQ(perms_of(p), "none");
}

TEST(invalid_arguments)
{
	int fd;

	EXPECT_ERRNO(syscall(SYS_mmap, NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		     EINVAL);
	/* Neither MAP_SHARED nor MAP_PRIVATE. */
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, pg, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	/* Both. */
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, pg, PROT_READ, MAP_SHARED | MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0), EINVAL);
	/* MAP_FIXED at an unaligned address. */
	EXPECT_ERRNO(syscall(SYS_mmap, (void *)0x10001, pg, PROT_READ,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), EINVAL);
	/* Unaligned file offset. */
	if (!MAKE_FILE("f", "data"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, pg, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
	/* A file mapping of a bad descriptor. */
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, pg, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, pg, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
	/* Absurd length. */
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, 1UL << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
			     -1, 0), ENOMEM);
	close(fd);
}

TEST(file_mapping_permissions_follow_the_descriptor)
{
	int ro, wo;

	if (!MAKE_FILE("f", "data"))
		return;
	ro = (int)EXPECT_SYS(open("f", O_RDONLY));
	wo = (int)EXPECT_SYS(open("f", O_WRONLY));
	/* Writable shared mapping of a read-only descriptor: EACCES even for root. */
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
	/* Any mapping needs a readable descriptor. */
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, pg, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
	/* Private writable mapping of a read-only descriptor is fine (copy on write). */
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	EXPECT_NE(p, MAP_FAILED);
	munmap(p, pg);
	/* A directory cannot be mapped. */
	int dfd = (int)EXPECT_SYS(open(".", O_RDONLY | O_DIRECTORY));
	EXPECT_ERRNO(syscall(SYS_mmap, NULL, pg, PROT_READ, MAP_PRIVATE, dfd, 0), ENODEV);
	close(dfd);
	close(ro);
	close(wo);
}

TEST(file_private_mapping)
{
	char path[PATH_MAX + 8], perms[5], mpath[PATH_MAX];
	char buf[16] = {0};
	char *p;
	int fd;

	if (!MAKE_FILE("f", "hello mapped file"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	EXPECT_MEMEQ(p, "hello mapped file", 17);
	/* Past EOF within the page reads as zeros. */
	EXPECT_EQ(p[17], 0);
	EXPECT_EQ(p[pg - 1], 0);
	/* Writes are private: the file does not change. */
	p[0] = 'J';
	EXPECT_EQ(pread(fd, buf, 5, 0), 5);
	EXPECT_STREQ(buf, "hello");
	/* /proc/self/maps names the file. */
	snprintf(path, sizeof(path), "%s/f", harness_testdir);
	if (EXPECT_TRUE(maps_lookup(p, perms, mpath, sizeof(mpath)))) {
		EXPECT_STREQ(perms, "rw-p");
		EXPECT_STREQ(mpath, path);
	}
	munmap(p, pg);
	close(fd);
}

TEST(file_shared_mapping_writes_through)
{
	char buf[8] = {0};
	char *p;
	int fd;

	if (!MAKE_FILE("f", "abcdefgh"))
		return;
	fd = (int)EXPECT_SYS(open("f", O_RDWR));
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	memcpy(p, "XY", 2);
	EXPECT_SYS(msync(p, pg, MS_SYNC));
	EXPECT_EQ(pread(fd, buf, 4, 0), 4);
	EXPECT_STREQ(buf, "XYcd");
	/* And write() shows up in the mapping. */
	EXPECT_EQ(pwrite(fd, "Q", 1, 3), 1);
	EXPECT_EQ(p[3], 'Q');
	EXPECT_STREQ(perms_of(p), "rw-s");
	munmap(p, pg);
	close(fd);
}

TEST(file_mapping_with_offset)
{
	char *data = malloc(3 * pg), *p;
	int fd;

	for (long i = 0; i < 3 * pg; i++)
		data[i] = (char)('a' + i / pg);
	if (!EXPECT_TRUE(harness_write_file("f", data, 3 * pg, 0644)))
		return free(data);
	fd = (int)EXPECT_SYS(open("f", O_RDONLY));
	p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 2 * pg);
	if (EXPECT_NE(p, MAP_FAILED)) {
		EXPECT_EQ(p[0], 'c');
		EXPECT_STREQ(perms_of(p), "r--p");
		munmap(p, pg);
	}
	close(fd);
	free(data);
}

TEST(map_fixed_replaces_and_noreplace_refuses)
{
	unsigned char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	unsigned char *q;

	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	memset(p, 0x5a, 3 * pg);
	/* MAP_FIXED over the middle page: fresh zero page, neighbours intact. */
	q = raw_mmap(p + pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	EXPECT_EQ(q, p + pg);
	EXPECT_EQ(p[pg], 0);
	EXPECT_EQ(p[0], 0x5a);
	EXPECT_EQ(p[2 * pg], 0x5a);
	EXPECT_STREQ(perms_of(p), "rw-p");
	EXPECT_STREQ(perms_of(p + pg), "r--p");
	EXPECT_STREQ(perms_of(p + 2 * pg), "rw-p");
	/* MAP_FIXED_NOREPLACE over an existing mapping. */
	EXPECT_ERRNO(syscall(SYS_mmap, p + pg, pg, PROT_READ,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	/* ... partly overlapping also counts. */
	EXPECT_SYS(munmap(p + 2 * pg, pg));
	EXPECT_ERRNO(syscall(SYS_mmap, p + pg, 2 * pg, PROT_READ,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	/* ... and into a hole it works. */
	q = raw_mmap(p + 2 * pg, pg, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	EXPECT_EQ(q, p + 2 * pg);
	munmap(p, 3 * pg);
}

TEST(munmap_semantics)
{
	unsigned char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	/* Punch a hole in the middle. */
	EXPECT_SYS(munmap(p + pg, pg));
	EXPECT_STREQ(perms_of(p), "rw-p");
	EXPECT_STREQ(perms_of(p + pg), "none");
	EXPECT_STREQ(perms_of(p + 2 * pg), "rw-p");
	/* Unmapping something already unmapped succeeds. */
	EXPECT_SYS(munmap(p + pg, pg));
	EXPECT_ERRNO(munmap(p, 0), EINVAL);
	EXPECT_ERRNO(munmap(p + 1, pg), EINVAL);
	/* Touching the unmapped page through the kernel: EFAULT. */
	EXPECT_ERRNO(syscall(SYS_getcwd, p + pg, 64), EFAULT);
	EXPECT_SYS(munmap(p, 3 * pg));
}

TEST(mprotect)
{
	unsigned char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	strcpy((char *)p, "kept");
	EXPECT_SYS(mprotect(p, pg, PROT_READ));
	EXPECT_STREQ(perms_of(p), "r--p");
	EXPECT_STREQ(perms_of(p + pg), "rw-p");
	EXPECT_STREQ((char *)p, "kept"); /* still readable, contents kept */
	/* The kernel may not write into a read-only page either. */
	EXPECT_ERRNO(syscall(SYS_getcwd, p, 64), EFAULT);
	EXPECT_SYS(mprotect(p, pg, PROT_NONE));
	EXPECT_STREQ(perms_of(p), "---p");
	/* Nor read from a PROT_NONE page. */
	EXPECT_ERRNO(syscall(SYS_write, 1, p, 4), EFAULT);
	EXPECT_SYS(mprotect(p, 2 * pg, PROT_READ | PROT_WRITE | PROT_EXEC));
	EXPECT_STREQ(perms_of(p), "rwxp");
	EXPECT_STREQ((char *)p, "kept");
	EXPECT_ERRNO(mprotect(p + 1, pg, PROT_READ), EINVAL);
	EXPECT_ERRNO(mprotect(p, pg, 0x100 /* unknown bit */), EINVAL);
	EXPECT_SYS(munmap(p + pg, pg));
	EXPECT_ERRNO(mprotect(p, 2 * pg, PROT_READ), ENOMEM); /* range has a hole */
	EXPECT_ERRNO(mprotect(p + pg, pg, PROT_READ), ENOMEM);
	munmap(p, pg);
}

TEST(mremap)
{
	unsigned char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0), *q;

	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	memset(p, 0x11, 3 * pg);
	/* Growing the first page into the (occupied) second without MAYMOVE: ENOMEM. */
	EXPECT_EQ(syscall(SYS_mremap, p, pg, 2 * pg, 0), -1);
	EXPECT_EQ(errno, ENOMEM);
	/* Shrinking in place. */
	EXPECT_EQ(mremap(p, 3 * pg, 2 * pg, 0), p);
	EXPECT_STREQ(perms_of(p + 2 * pg), "none");
	/* Growing into the freed page in place. */
	EXPECT_EQ(mremap(p, 2 * pg, 3 * pg, 0), p);
	EXPECT_EQ(p[pg], 0x11);
	EXPECT_EQ(p[2 * pg], 0); /* new memory is zero */
	/* Growing big with MAYMOVE keeps the contents. */
	q = mremap(p, 3 * pg, 64 * pg, MREMAP_MAYMOVE);
	if (!EXPECT_NE(q, MAP_FAILED))
		return;
	EXPECT_EQ(q[0], 0x11);
	EXPECT_EQ(q[pg + 5], 0x11);
	EXPECT_EQ(q[63 * pg], 0);
	q[63 * pg] = 7;
	EXPECT_ERRNO(syscall(SYS_mremap, q, pg, 2 * pg, 0x80), EINVAL);     /* unknown flag */
	EXPECT_ERRNO(syscall(SYS_mremap, q + 1, pg, 2 * pg, 0), EINVAL);    /* unaligned */
	EXPECT_ERRNO(syscall(SYS_mremap, q, pg, 2 * pg, MREMAP_FIXED, q + 100 * pg), EINVAL);
	EXPECT_ERRNO(syscall(SYS_mremap, q, pg, 0, MREMAP_MAYMOVE), EINVAL); /* new_len 0 */
	munmap(q, 64 * pg);
	/* Remapping something unmapped. */
	EXPECT_ERRNO(syscall(SYS_mremap, q, pg, 2 * pg, MREMAP_MAYMOVE), EFAULT);
}

TEST(madvise_dontneed_zeroes_private_anonymous_memory)
{
	unsigned char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);

	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	memset(p, 0x77, 2 * pg);
	EXPECT_SYS(madvise(p, pg, MADV_DONTNEED));
	EXPECT_EQ(p[0], 0);
	EXPECT_EQ(p[pg - 1], 0);
	EXPECT_EQ(p[pg], 0x77); /* the second page is untouched */
	EXPECT_SYS(madvise(p, 2 * pg, MADV_WILLNEED));
	EXPECT_SYS(madvise(p, 2 * pg, MADV_NORMAL));
	EXPECT_ERRNO(madvise(p + 1, pg, MADV_DONTNEED), EINVAL);
	EXPECT_ERRNO(madvise(p, pg, 12345), EINVAL);
	munmap(p, 2 * pg);
	EXPECT_ERRNO(madvise(p, pg, MADV_WILLNEED), ENOMEM);
}

TEST(mincore)
{
	unsigned char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
				-1, 0);
	unsigned char vec[2] = { 0xff, 0xff };

	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	p[0] = 1; /* fault in the first page only */
	EXPECT_SYS(mincore(p, 2 * pg, vec));
	EXPECT_EQ(vec[0] & 1, 1);
	EXPECT_EQ(vec[1] & 1, 0);
	EXPECT_ERRNO(mincore(p + 1, pg, vec), EINVAL);
	EXPECT_ERRNO(syscall(SYS_mincore, p, pg, (void *)1), EFAULT);
	munmap(p, 2 * pg);
	EXPECT_ERRNO(mincore(p, pg, vec), ENOMEM);
}

TEST(proc_self_maps_lists_stack_and_executable)
{
	char perms[5], path[PATH_MAX];
	int local = 0;

	if (EXPECT_TRUE(maps_lookup(&local, perms, path, sizeof(path)))) {
		EXPECT_STREQ(perms, "rw-p");
		EXPECT_STREQ(path, "[stack]");
	}
	if (EXPECT_TRUE(maps_lookup((void *)&maps_lookup, perms, path, sizeof(path)))) {
		EXPECT_EQ(perms[2], 'x');
		EXPECT_TRUE(strstr(path, "mmap_test") != NULL);
	}
}
