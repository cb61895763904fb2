/* brk. The raw syscall returns the new break, or the old one on failure.
 * glibc's malloc may use brk too, so every test returns the break to where it
 * found it before reporting (printing can allocate). */
#include <sys/mman.h>

#include "harness.h"

static unsigned long sys_brk(unsigned long addr)
{
	return (unsigned long)syscall(SYS_brk, addr);
}

TEST(query_grow_use_shrink)
{
	unsigned long start = sys_brk(0), grown, shrunk, after;
	unsigned char *p = (unsigned char *)start;
	bool all_zero = true, writes_ok;

	grown = sys_brk(start + 256 * 1024);
	if (grown == start + 256 * 1024) {
		for (size_t i = 0; i < 256 * 1024; i += 4096)
			all_zero &= p[i] == 0;
		memset(p, 0xcd, 256 * 1024);
		writes_ok = p[256 * 1024 - 1] == 0xcd;
	} else {
		writes_ok = false;
	}
	shrunk = sys_brk(start);
	after = sys_brk(0);
	EXPECT_NE(start, 0);
	EXPECT_EQ(grown, start + 256 * 1024);
	EXPECT_TRUE(all_zero);
	EXPECT_TRUE(writes_ok);
	EXPECT_EQ(shrunk, start);
	EXPECT_EQ(after, start);
}

TEST(memory_is_zero_again_after_shrink_and_regrow)
{
	unsigned long start = sys_brk(0);
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	/* Work on whole pages above the first page boundary past the break. */
	unsigned long base = (start + page - 1) & ~(page - 1);
	unsigned char *p = (unsigned char *)base;
	unsigned long g1, s1, g2;
	int val = -1;

	g1 = sys_brk(base + 4 * page);
	if (g1 == base + 4 * page)
		memset(p, 0xee, 4 * page);
	s1 = sys_brk(base);
	g2 = sys_brk(base + 4 * page);
	if (g2 == base + 4 * page)
		val = p[2 * page];
	sys_brk(start);
	EXPECT_EQ(g1, base + 4 * page);
	EXPECT_EQ(s1, base);
	EXPECT_EQ(g2, base + 4 * page);
	EXPECT_EQ(val, 0);
	EXPECT_EQ(sys_brk(0), start);
}

TEST(heap_shows_in_proc_self_maps)
{
	unsigned long start = sys_brk(0);
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	unsigned long target = ((start + page - 1) & ~(page - 1)) + 2 * page;
	unsigned long lo, hi, g;
	char line[512], found[512] = "";
	FILE *f;

	g = sys_brk(target);
	/* Read maps with a raw fd so stdio's allocation can't move the break. */
	int fd = open("/proc/self/maps", O_RDONLY);
	static char maps[1 << 16];
	ssize_t n, total = 0;
	while (fd >= 0 && (n = read(fd, maps + total, sizeof(maps) - 1 - (size_t)total)) > 0)
		total += n;
	maps[total] = '\0';
	if (fd >= 0)
		close(fd);
	sys_brk(start);

	EXPECT_EQ(g, target);
	f = fmemopen(maps, (size_t)total + 1, "r");
	if (!EXPECT_TRUE(f != NULL))
		return;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 && lo < target && hi >= target)
			snprintf(found, sizeof(found), "%s", line);
	fclose(f);
	EXPECT_TRUE(strstr(found, "[heap]") != NULL);
	EXPECT_TRUE(strstr(found, " rw-p ") != NULL);
}

TEST(impossible_requests_leave_the_break_alone)
{
	unsigned long start = sys_brk(0);
	unsigned long r1 = sys_brk(0x1000);          /* below the program */
	unsigned long r2 = sys_brk(start + (1UL << 46)); /* far beyond any sane size */
	unsigned long r3 = sys_brk((unsigned long)-4096); /* kernel space */
	unsigned long after = sys_brk(0);

	EXPECT_EQ(r1, start);
	EXPECT_EQ(r2, start);
	EXPECT_EQ(r3, start);
	EXPECT_EQ(after, start);
}

TEST(growing_into_a_mapping_fails)
{
	unsigned long start = sys_brk(0);
	unsigned long page = (unsigned long)sysconf(_SC_PAGESIZE);
	unsigned long base = ((start + page - 1) & ~(page - 1)) + 16 * page;
	void *block = (void *)syscall(SYS_mmap, base, page, 0x1, 0x22 | 0x100000 /* NOREPLACE */,
				      -1, 0);
	unsigned long r = 0;

	if (block == (void *)base)
		r = sys_brk(base + 2 * page);
	sys_brk(start);
	if (!EXPECT_EQ(block, (void *)base))
		return;
	EXPECT_EQ(r, start);
	EXPECT_SYS(munmap(block, page));
}
