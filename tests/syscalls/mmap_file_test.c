/* File mappings: MAP_SHARED and MAP_PRIVATE of regular files, on the scratch
 * directory (under /tmp: the overlay in the sandbox, a disk filesystem
 * natively), on /dev/shm (tmpfs), on memfds and on a read-only file of the
 * host root (this binary). Coherence of shared mappings with read()/write()
 * and across processes, msync, munmap and exit write-back, copy-on-write,
 * access checks, SIGBUS past end of file (after truncation and for a mapping
 * longer than the file), MAP_POPULATE and mincore.
 *
 * Also a helper for tests/integration/mmap_volume.sh, run before main():
 *   mmap_file_test --volume-helper MODE PATH
 * writes "mapped-MODE" through a MAP_SHARED mapping of PATH (created, one
 * page) and then, by MODE: "msync" msync(MS_SYNC) and exit, "munmap" munmap
 * and exit, "exit" just exit (the mapping is still there);
 *   mmap_file_test --cases DIR
 * runs every case_* below on DIR (a writable volume in the sandbox). */
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "harness.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MFD_CLOEXEC
#define MFD_CLOEXEC 1U
#endif

static long pg;

__attribute__((constructor)) static void init_pg(void)
{
	pg = sysconf(_SC_PAGESIZE);
}

/* --- helpers ------------------------------------------------------------- */

static sigjmp_buf probe_env;
static volatile sig_atomic_t probe_sig, probe_code;
static void *volatile probe_addr;

static void probe_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	probe_sig = sig;
	probe_code = si->si_code;
	probe_addr = si->si_addr;
	siglongjmp(probe_env, 1);
}

/* Touch *p (a read, or a write of v). Returns 0, or the signal it raised
 * (SIGBUS/SIGSEGV), with its si_code and si_addr in probe_code/probe_addr. */
static int probe(volatile char *p, bool write, char v)
{
	struct sigaction sa = {0}, obus, osegv;

	sa.sa_sigaction = probe_handler;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGBUS, &sa, &obus);
	sigaction(SIGSEGV, &sa, &osegv);
	probe_sig = 0;
	probe_code = 0;
	probe_addr = NULL;
	if (sigsetjmp(probe_env, 1) == 0) {
		if (write)
			*p = v;
		else
			(void)*p;
	}
	sigaction(SIGBUS, &obus, NULL);
	sigaction(SIGSEGV, &osegv, NULL);
	return probe_sig;
}

/* dir/name into a static buffer. */
static const char *in(const char *dir, const char *name)
{
	static char buf[2][PATH_MAX];
	static int k;

	k ^= 1;
	snprintf(buf[k], sizeof(buf[k]), "%s/%s", dir, name);
	return buf[k];
}

/* A file of n bytes: byte i is 'a' + i % 26. */
static bool make_pattern(const char *path, long n)
{
	char *d = malloc((size_t)n + 1);
	bool ok;

	if (!d)
		return FAIL("malloc");
	for (long i = 0; i < n; i++)
		d[i] = (char)('a' + i % 26);
	ok = harness_write_file(path, d, (size_t)n, 0644);
	free(d);
	if (!ok)
		return FAIL("creating %s: %s", path, strerror(errno));
	return true;
}

/* Contents of path at [off, off+n) through a fresh descriptor. */
static bool fresh_read(const char *path, char *buf, size_t n, off_t off)
{
	int fd = open(path, O_RDONLY);
	ssize_t r;

	if (fd < 0)
		return FAIL("open %s: %s", path, strerror(errno));
	r = pread(fd, buf, n, off);
	close(fd);
	if (r != (ssize_t)n)
		return FAIL("pread %s: %zd", path, r);
	return true;
}

static char shm_dir[64];

/* A scratch directory on /dev/shm (tmpfs in both worlds), removed at exit. */
static const char *shm(void)
{
	if (!shm_dir[0]) {
		strcpy(shm_dir, "/dev/shm/mmap_file_test.XXXXXX");
		if (!mkdtemp(shm_dir)) {
			FAIL("mkdtemp %s: %s", shm_dir, strerror(errno));
			shm_dir[0] = 0;
			return "/nonexistent";
		}
	}
	return shm_dir;
}

__attribute__((destructor)) static void shm_cleanup(void)
{
	if (shm_dir[0])
		nftw(shm_dir, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- cases, each run on a directory ------------------------------------- */

/* Stores through MAP_SHARED are seen by read() at once (no msync), and
 * write() is seen by the mapping. */
static void case_coherent(const char *dir)
{
	const char *f = in(dir, "coh");
	char buf[8] = {0};

	if (!make_pattern(f, 2 * pg))
		return;
	int fd = (int)EXPECT_SYS(open(f, O_RDWR));
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	EXPECT_EQ(p[0], 'a');
	EXPECT_EQ(p[pg + 1], 'a' + (pg + 1) % 26);
	memcpy(p + 10, "MAP", 3);
	memcpy(p + pg, "TWO", 3);
	EXPECT_EQ(pread(fd, buf, 3, 10), 3);
	EXPECT_STREQ(buf, "MAP");
	EXPECT_EQ(pread(fd, buf, 3, pg), 3);
	EXPECT_STREQ(buf, "TWO");
	/* ... and through another open of the same file. */
	if (fresh_read(f, buf, 3, 10))
		EXPECT_STREQ(buf, "MAP");
	EXPECT_EQ(pwrite(fd, "wri", 3, 20), 3);
	EXPECT_MEMEQ(p + 20, "wri", 3);
	EXPECT_EQ(pwrite(fd, "W2", 2, pg + 5), 2);
	EXPECT_MEMEQ(p + pg + 5, "W2", 2);
	/* A write through another descriptor too. */
	int fd2 = (int)EXPECT_SYS(open(f, O_WRONLY));
	EXPECT_EQ(pwrite(fd2, "o", 1, 30), 1);
	close(fd2);
	EXPECT_EQ(p[30], 'o');
	munmap(p, 2 * pg);
	close(fd);
}

/* msync(MS_SYNC), munmap, and close+munmap all leave the data in the file
 * as a fresh open sees it; the mapping outlives the descriptor and the
 * name. */
static void case_writeback(const char *dir)
{
	const char *f = in(dir, "wb");
	char buf[8] = {0};

	if (!make_pattern(f, pg))
		return;
	int fd = (int)EXPECT_SYS(open(f, O_RDWR));
	char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	close(fd);
	memcpy(p, "sync", 4);
	EXPECT_SYS(msync(p, pg, MS_SYNC));
	if (fresh_read(f, buf, 4, 0))
		EXPECT_STREQ(buf, "sync");
	memcpy(p + 4, "ASYN", 4);
	EXPECT_SYS(msync(p, pg, MS_ASYNC));
	EXPECT_SYS(msync(p, pg, MS_INVALIDATE));
	if (fresh_read(f, buf, 4, 4))
		EXPECT_STREQ(buf, "ASYN");
	memcpy(p + 8, "unmp", 4);
	EXPECT_SYS(munmap(p, pg));
	if (fresh_read(f, buf, 4, 8))
		EXPECT_STREQ(buf, "unmp");

	/* Unlinked while mapped: the mapping still works on the same data. */
	fd = (int)EXPECT_SYS(open(f, O_RDWR));
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	EXPECT_SYS(unlink(f));
	p[0] = 'U';
	EXPECT_EQ(pread(fd, buf, 1, 0), 1);
	EXPECT_EQ(buf[0], 'U');
	munmap(p, pg);
	close(fd);
}

/* Two processes: an inherited MAP_SHARED mapping, and a mapping the child
 * makes itself from its own open, both see each other's stores. */
static void case_fork(const char *dir)
{
	const char *f = in(dir, "fork");
	int to_child[2], to_parent[2];
	char c;

	if (!make_pattern(f, pg))
		return;
	int fd = (int)EXPECT_SYS(open(f, O_RDWR));
	volatile char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	if (pipe(to_child) < 0 || pipe(to_parent) < 0) {
		FAIL("pipe: %s", strerror(errno));
		return;
	}
	pid_t pid = fork();
	if (pid == 0) {
		int cfd = open(f, O_RDWR);
		volatile char *q = cfd < 0 ? MAP_FAILED
			: mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
		if (q == MAP_FAILED)
			_exit(10);
		p[0] = 'C';  /* inherited mapping */
		q[1] = 'D';  /* own mapping */
		if (write(to_parent[1], "x", 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(11);
		/* The parent stored 'P' at 2 through its mapping and 'W' at 3 with write(). */
		if (p[2] != 'P' || q[2] != 'P' || p[3] != 'W' || q[3] != 'W')
			_exit(12);
		_exit(0);
	}
	if (!EXPECT_GE(pid, 0))
		return;
	EXPECT_EQ(read(to_parent[0], &c, 1), 1);
	EXPECT_EQ(p[0], 'C');
	EXPECT_EQ(p[1], 'D');
	p[2] = 'P';
	EXPECT_EQ(pwrite(fd, "W", 1, 3), 1);
	EXPECT_EQ(write(to_child[1], "x", 1), 1);
	int st = 0;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_TRUE(WIFEXITED(st));
	EXPECT_EQ(WEXITSTATUS(st), 0);
	char buf[5] = {0};
	if (fresh_read(f, buf, 4, 0))
		EXPECT_STREQ(buf, "CDPW");
	close(to_child[0]);
	close(to_child[1]);
	close(to_parent[0]);
	close(to_parent[1]);
	munmap((void *)p, pg);
	close(fd);
}

/* MAP_PRIVATE: stores stay private; the file and other mappings do not
 * change. */
static void case_private(const char *dir)
{
	const char *f = in(dir, "priv");
	char buf[4] = {0};

	if (!make_pattern(f, pg))
		return;
	int fd = (int)EXPECT_SYS(open(f, O_RDWR));
	char *s = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (!EXPECT_NE(s, MAP_FAILED) || !EXPECT_NE(p, MAP_FAILED))
		return;
	/* Linux: a private page not yet written is the file's page, so it
	 * shows write()s to the file. */
	EXPECT_EQ(p[100], 'a' + 100 % 26);
	EXPECT_EQ(pwrite(fd, "w", 1, 100), 1);
	EXPECT_EQ(p[100], 'w');
	EXPECT_EQ(p[0], 'a');
	p[0] = 'X';
	EXPECT_EQ(s[0], 'a');
	EXPECT_EQ(pread(fd, buf, 1, 0), 1);
	EXPECT_EQ(buf[0], 'a');
	/* After the copy, the file's changes no longer show in that page. */
	s[0] = 'S';
	EXPECT_EQ(p[0], 'X');
	EXPECT_SYS(msync(p, pg, MS_SYNC)); /* nothing to write back */
	EXPECT_EQ(pread(fd, buf, 1, 0), 1);
	EXPECT_EQ(buf[0], 'S');
	/* A private mapping of a read-only descriptor is writable too. */
	int ro = (int)EXPECT_SYS(open(f, O_RDONLY));
	char *r = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0);
	if (EXPECT_NE(r, MAP_FAILED)) {
		r[1] = '!';
		EXPECT_EQ(s[1], 'b');
		munmap(r, pg);
	}
	close(ro);
	munmap(s, pg);
	munmap(p, pg);
	close(fd);
}

/* Access: a shared writable mapping needs a descriptor open for reading
 * and writing; any mapping needs one open for reading. */
static void case_access(const char *dir)
{
	const char *f = in(dir, "acc");

	if (!make_pattern(f, pg))
		return;
	int ro = (int)EXPECT_SYS(open(f, O_RDONLY));
	int wo = (int)EXPECT_SYS(open(f, O_WRONLY));
	int ap = (int)EXPECT_SYS(open(f, O_RDWR | O_APPEND));
	EXPECT_ERRNO(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
	EXPECT_ERRNO(mmap(NULL, pg, PROT_WRITE, MAP_SHARED_VALIDATE, ro, 0), EACCES);
	EXPECT_ERRNO(mmap(NULL, pg, PROT_READ, MAP_SHARED, wo, 0), EACCES);
	EXPECT_ERRNO(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
	EXPECT_ERRNO(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, wo, 0), EACCES);
	/* Read-only shared: fine, but mprotect cannot add PROT_WRITE. */
	char *p = mmap(NULL, pg, PROT_READ, MAP_SHARED, ro, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		EXPECT_EQ(p[0], 'a');
		EXPECT_ERRNO(mprotect(p, pg, PROT_READ | PROT_WRITE), EACCES);
		EXPECT_EQ(probe(p, true, 'z'), SIGSEGV);
		EXPECT_EQ(probe_code, SEGV_ACCERR);
		munmap(p, pg);
	}
	/* O_APPEND does not stop a shared writable mapping (only the inode's
	 * append-only attribute does). */
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ap, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		p[0] = 'A';
		munmap(p, pg);
	}
	/* A read-only shared mapping of a read-write descriptor can be made
	 * writable later. */
	int rw = (int)EXPECT_SYS(open(f, O_RDWR));
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, rw, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		EXPECT_SYS(mprotect(p, pg, PROT_READ | PROT_WRITE));
		p[1] = 'B';
		char buf[3] = {0};
		EXPECT_EQ(pread(ro, buf, 2, 0), 2);
		EXPECT_STREQ(buf, "AB");
		munmap(p, pg);
	}
	close(rw);
	close(ro);
	close(wo);
	close(ap);
}

/* Past end of file: the partial last page is zero-filled after EOF; whole
 * pages past EOF raise SIGBUS (BUS_ADRERR at the address); truncation under
 * a mapping does the same to the pages it cut off; growing the file back
 * makes them readable (zeros). */
static void case_sigbus(const char *dir)
{
	const char *f = in(dir, "bus");

	if (!make_pattern(f, pg + 100))
		return;
	int fd = (int)EXPECT_SYS(open(f, O_RDWR));
	/* Mapping longer than the file: allowed. */
	volatile char *p = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	EXPECT_EQ(probe(p + pg + 99, false, 0), 0);
	EXPECT_EQ(p[pg + 99], 'a' + (pg + 99) % 26);
	EXPECT_EQ(p[pg + 100], 0);
	EXPECT_EQ(p[2 * pg - 1], 0);
	EXPECT_EQ(probe(p + 2 * pg, false, 0), SIGBUS);
	EXPECT_EQ(probe_code, BUS_ADRERR);
	EXPECT_EQ(probe_addr, p + 2 * pg);
	EXPECT_EQ(probe(p + 3 * pg + 7, true, 'x'), SIGBUS);
	EXPECT_EQ(probe_addr, p + 3 * pg + 7);
	/* Stores past EOF in the last page do not grow the file. */
	p[pg + 200] = 'Z';
	struct stat st;
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, pg + 100);

	/* Shrink under the mapping: the first page still works, the second
	 * (now wholly past EOF) faults. */
	EXPECT_SYS(ftruncate(fd, 10));
	EXPECT_EQ(probe(p + 5, false, 0), 0);
	EXPECT_EQ(p[5], 'f');
	EXPECT_EQ(p[10], 0); /* the cut-off tail of the page reads as zeros */
	EXPECT_EQ(probe(p + 1, true, 'Q'), 0);
	EXPECT_EQ(probe(p + pg, false, 0), SIGBUS);
	EXPECT_EQ(probe_code, BUS_ADRERR);
	EXPECT_EQ(probe_addr, p + pg);
	EXPECT_EQ(probe(p + pg + 50, true, 'x'), SIGBUS);
	/* Grow back: zeros, no fault. */
	EXPECT_SYS(ftruncate(fd, 3 * pg));
	EXPECT_EQ(probe(p + pg + 50, false, 0), 0);
	EXPECT_EQ(p[pg + 50], 0);
	EXPECT_EQ(probe(p + 3 * pg, false, 0), SIGBUS);
	char buf[2] = {0};
	EXPECT_EQ(pread(fd, buf, 1, 1), 1);
	EXPECT_EQ(buf[0], 'Q');
	munmap((void *)p, 4 * pg);

	/* A private mapping past EOF faults the same way. */
	volatile char *q = mmap(NULL, 4 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (EXPECT_NE(q, MAP_FAILED)) {
		EXPECT_EQ(probe(q + 2 * pg, true, 'x'), 0);
		EXPECT_EQ(probe(q + 3 * pg, false, 0), SIGBUS);
		EXPECT_EQ(probe_code, BUS_ADRERR);
		munmap((void *)q, 4 * pg);
	}
	close(fd);

	/* Exactly one page: the mapping's second page is past EOF on a page
	 * boundary. */
	const char *g = in(dir, "bus1");
	if (!make_pattern(g, pg))
		return;
	fd = (int)EXPECT_SYS(open(g, O_RDONLY));
	p = mmap(NULL, 2 * pg, PROT_READ, MAP_SHARED, fd, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		EXPECT_EQ(p[pg - 1], 'a' + (pg - 1) % 26);
		EXPECT_EQ(probe(p + pg, false, 0), SIGBUS);
		EXPECT_EQ(probe_code, BUS_ADRERR);
		munmap((void *)p, 2 * pg);
	}
	/* A mapping that starts past EOF is made, and faults. */
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 4 * pg);
	if (EXPECT_NE(p, MAP_FAILED)) {
		EXPECT_EQ(probe(p, false, 0), SIGBUS);
		munmap((void *)p, pg);
	}
	close(fd);

	/* An empty file. */
	const char *e = in(dir, "empty");
	if (!MAKE_FILE(e, ""))
		return;
	fd = (int)EXPECT_SYS(open(e, O_RDWR));
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		EXPECT_EQ(probe(p, true, 'e'), SIGBUS);
		/* Extended by ftruncate: now it is file data. */
		EXPECT_SYS(ftruncate(fd, 3));
		EXPECT_EQ(probe(p, true, 'e'), 0);
		char b = 0;
		EXPECT_EQ(pread(fd, &b, 1, 0), 1);
		EXPECT_EQ(b, 'e');
		munmap((void *)p, pg);
	}
	close(fd);
}

/* MAP_POPULATE makes every page of the file resident; mincore reports the
 * file's cached pages; its arguments are checked. */
static void case_populate_mincore(const char *dir)
{
	const char *f = in(dir, "pop");
	unsigned char vec[4];

	if (!make_pattern(f, 3 * pg))
		return;
	int fd = (int)EXPECT_SYS(open(f, O_RDWR));
	for (int shared = 0; shared < 2; shared++) {
		char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
			       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_POPULATE, fd, 0);
		if (!EXPECT_NE(p, MAP_FAILED))
			continue;
		memset(vec, 0xee, sizeof(vec));
		EXPECT_SYS(mincore(p, 3 * pg, vec));
		for (int i = 0; i < 3; i++)
			EXPECT_EQ(vec[i], 1);
		EXPECT_EQ(vec[3], 0xee);
		EXPECT_EQ(p[2 * pg], 'a' + (2 * pg) % 26);
		EXPECT_ERRNO(mincore(p + 1, pg, vec), EINVAL);
		EXPECT_ERRNO(syscall(SYS_mincore, p, pg, (void *)1), EFAULT);
		munmap(p, 3 * pg);
		EXPECT_ERRNO(mincore(p, pg, vec), ENOMEM);
	}
	/* Data just written through write() is in the cache, mapped page
	 * touched or not. */
	char *p = mmap(NULL, 3 * pg, PROT_READ, MAP_SHARED, fd, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		EXPECT_EQ(pwrite(fd, "x", 1, pg), 1);
		memset(vec, 0xee, sizeof(vec));
		EXPECT_SYS(mincore(p, 3 * pg, vec));
		EXPECT_EQ(vec[1] & 1, 1);
		EXPECT_EQ(vec[3], 0xee);
		munmap(p, 3 * pg);
	}
	close(fd);
}

/* MAP_POPULATE on a sparse file (nothing cached yet): every page of the
 * mapping is brought in. Without it, untouched holes are not resident. */
static void case_populate_sparse(const char *dir)
{
	const char *f = in(dir, "sparse");
	unsigned char vec[4];

	int fd = (int)EXPECT_SYS(open(f, O_RDWR | O_CREAT | O_TRUNC, 0644));
	if (fd < 0)
		return;
	EXPECT_SYS(ftruncate(fd, 4 * pg));
	char *p = mmap(NULL, 4 * pg, PROT_READ, MAP_SHARED, fd, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		memset(vec, 0xee, sizeof(vec));
		EXPECT_SYS(mincore(p, 4 * pg, vec));
		for (int i = 0; i < 4; i++)
			EXPECT_EQ(vec[i], 0);
		EXPECT_EQ(p[pg], 0); /* a read fault brings one page in */
		EXPECT_SYS(mincore(p, 4 * pg, vec));
		EXPECT_EQ(vec[1], 1);
		munmap(p, 4 * pg);
	}
	for (int shared = 0; shared < 2; shared++) {
		p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
			 (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_POPULATE, fd, 2 * pg);
		if (!EXPECT_NE(p, MAP_FAILED))
			continue;
		memset(vec, 0xee, sizeof(vec));
		EXPECT_SYS(mincore(p, 2 * pg, vec));
		EXPECT_EQ(vec[0], 1);
		EXPECT_EQ(vec[1], 1);
		EXPECT_EQ(vec[2], 0xee);
		EXPECT_EQ(p[pg + 5], 0);
		munmap(p, 2 * pg);
	}
	/* madvise(MADV_POPULATE_READ/WRITE) does the same on demand, and says
	 * EFAULT where an access would fault (past EOF). */
	EXPECT_SYS(ftruncate(fd, 8 * pg));
	p = mmap(NULL, 5 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4 * pg);
	if (EXPECT_NE(p, MAP_FAILED)) {
		EXPECT_SYS(madvise(p, pg, MADV_POPULATE_READ));
		EXPECT_SYS(madvise(p + pg, pg, MADV_POPULATE_WRITE));
		memset(vec, 0xee, sizeof(vec));
		EXPECT_SYS(mincore(p, 4 * pg, vec));
		EXPECT_EQ(vec[0], 1);
		EXPECT_EQ(vec[1], 1); /* (read-ahead may bring in more) */
		EXPECT_ERRNO(madvise(p + 4 * pg, pg, MADV_POPULATE_READ), EFAULT);
		munmap(p, 5 * pg);
	}
	close(fd);
}

/* msync's checks. */
static void case_msync_args(const char *dir)
{
	const char *f = in(dir, "ms");

	if (!make_pattern(f, 2 * pg))
		return;
	int fd = (int)EXPECT_SYS(open(f, O_RDWR));
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	EXPECT_ERRNO(msync(p + 1, pg, MS_SYNC), EINVAL);
	EXPECT_ERRNO(msync(p, pg, MS_SYNC | MS_ASYNC), EINVAL);
	EXPECT_ERRNO(msync(p, pg, 0x100), EINVAL);
	EXPECT_SYS(msync(p, 0, MS_SYNC));
	EXPECT_SYS(msync(p, 1, MS_SYNC)); /* length rounds up */
	EXPECT_SYS(msync(p, 2 * pg, 0));  /* no flag: as MS_ASYNC */
	EXPECT_SYS(munmap(p + pg, pg));
	EXPECT_ERRNO(msync(p, 2 * pg, MS_SYNC), ENOMEM);
	munmap(p, pg);
	close(fd);
}

/* mremap of a shared file mapping: growing shows more of the file; moving
 * keeps the sharing. */
static void case_mremap(const char *dir)
{
	const char *f = in(dir, "mrm");

	if (!make_pattern(f, 3 * pg))
		return;
	int fd = (int)EXPECT_SYS(open(f, O_RDWR));
	char *p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	char *q = mremap(p, pg, 3 * pg, MREMAP_MAYMOVE);
	if (!EXPECT_NE(q, MAP_FAILED))
		return;
	EXPECT_EQ(q[2 * pg + 1], 'a' + (2 * pg + 1) % 26);
	q[2 * pg] = 'M';
	char b = 0;
	EXPECT_EQ(pread(fd, &b, 1, 2 * pg), 1);
	EXPECT_EQ(b, 'M');
	munmap(q, 3 * pg);
	close(fd);
}

/* MADV_REMOVE punches the range out of the file behind a shared writable
 * mapping; mremap with old_size 0 maps the same shared pages again. */
static void case_remove_dup(const char *dir)
{
	const char *f = in(dir, "rmdup");
	char b = 1;

	if (!make_pattern(f, 2 * pg))
		return;
	int fd = (int)EXPECT_SYS(open(f, O_RDWR));
	int ro = (int)EXPECT_SYS(open(f, O_RDONLY));
	volatile char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	char *q = mremap((void *)(p + pg), 0, pg, MREMAP_MAYMOVE);
	if (EXPECT_NE(q, MAP_FAILED)) {
		EXPECT_NE(q, p + pg);
		EXPECT_EQ(q[0], 'a' + pg % 26);
		q[1] = 'D';
		EXPECT_EQ(p[pg + 1], 'D');
		p[pg + 2] = 'E';
		EXPECT_EQ(q[2], 'E');
		munmap(q, pg);
		EXPECT_EQ(p[pg + 1], 'D'); /* the original mapping stays */
	}
	EXPECT_ERRNO(mremap((void *)p, 0, pg, 0), ENOMEM);
	/* At a fixed address, replacing what was there. */
	char *spot = mmap(NULL, 2 * pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (EXPECT_NE(spot, MAP_FAILED)) {
		q = mremap((void *)p, 0, pg, MREMAP_MAYMOVE | MREMAP_FIXED, spot + pg);
		if (EXPECT_EQ(q, spot + pg)) {
			q[3] = 'F';
			EXPECT_EQ(p[3], 'F');
			EXPECT_EQ(spot[0], 0); /* the rest of the old mapping stays */
		}
		munmap(spot, 2 * pg);
	}

	EXPECT_SYS(madvise((void *)p, pg, MADV_REMOVE));
	EXPECT_EQ(p[0], 0);
	EXPECT_EQ(p[pg - 1], 0);
	EXPECT_EQ(p[pg], 'a' + pg % 26);
	EXPECT_EQ(pread(fd, &b, 1, 5), 1);
	EXPECT_EQ(b, 0);
	struct stat st;
	EXPECT_SYS(fstat(fd, &st));
	EXPECT_EQ(st.st_size, 2 * pg); /* a hole, not a truncation */
	munmap((void *)p, 2 * pg);

	char *r = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (EXPECT_NE(r, MAP_FAILED)) {
		EXPECT_ERRNO(madvise(r, pg, MADV_REMOVE), EACCES);
		EXPECT_ERRNO(mremap(r, 0, pg, MREMAP_MAYMOVE), EINVAL);
		munmap(r, pg);
	}
	r = mmap(NULL, pg, PROT_READ, MAP_SHARED, ro, 0);
	if (EXPECT_NE(r, MAP_FAILED)) {
		EXPECT_ERRNO(madvise(r, pg, MADV_REMOVE), EACCES);
		munmap(r, pg);
	}
	close(ro);
	close(fd);
}

#define ON_EACH_FS(c)                                  \
	TEST(c##_scratch) { c(harness_testdir); }      \
	TEST(c##_dev_shm) { c(shm()); }

ON_EACH_FS(case_coherent)
ON_EACH_FS(case_writeback)
ON_EACH_FS(case_fork)
ON_EACH_FS(case_private)
ON_EACH_FS(case_access)
ON_EACH_FS(case_sigbus)
ON_EACH_FS(case_populate_mincore)
ON_EACH_FS(case_populate_sparse)
ON_EACH_FS(case_msync_args)
ON_EACH_FS(case_mremap)
ON_EACH_FS(case_remove_dup)

/* memfd_create: the same sharing between a write() and a mapping, across
 * fork, and SIGBUS after shrinking. */
TEST(memfd_shared)
{
	int fd = (int)EXPECT_SYS(syscall(SYS_memfd_create, "mmapfile", MFD_CLOEXEC));
	if (fd < 0)
		return;
	EXPECT_SYS(ftruncate(fd, 2 * pg));
	volatile char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (!EXPECT_NE(p, MAP_FAILED))
		return;
	EXPECT_EQ(pwrite(fd, "mem", 3, 0), 3);
	EXPECT_EQ(p[2], 'm');
	pid_t pid = fork();
	if (pid == 0) {
		p[pg] = 'k';
		_exit(p[0] == 'm' ? 0 : 1);
	}
	int st = 0;
	EXPECT_EQ(waitpid(pid, &st, 0), pid);
	EXPECT_EQ(st, 0);
	char b = 0;
	EXPECT_EQ(pread(fd, &b, 1, pg), 1);
	EXPECT_EQ(b, 'k');
	EXPECT_SYS(ftruncate(fd, pg));
	EXPECT_EQ(probe(p + pg, false, 0), SIGBUS);
	EXPECT_EQ(probe_code, BUS_ADRERR);
	munmap((void *)p, 2 * pg);
	close(fd);
}

/* Shared anonymous memory: MADV_REMOVE frees it (zeros after), mremap with
 * old_size 0 shares it; private anonymous memory has neither. An O_PATH
 * descriptor cannot be mapped. */
TEST(anonymous_remove_dup_and_o_path)
{
	volatile char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		p[0] = 'a';
		p[pg] = 'b';
		volatile char *q = mremap((void *)p, 0, 2 * pg, MREMAP_MAYMOVE);
		if (EXPECT_NE(q, MAP_FAILED)) {
			EXPECT_EQ(q[pg], 'b');
			q[1] = 'c';
			EXPECT_EQ(p[1], 'c');
			pid_t pid = fork();
			if (pid == 0)
				_exit(q[0] == 'a' && (p[2] = 'f') ? 0 : 1);
			int st = -1;
			EXPECT_EQ(waitpid(pid, &st, 0), pid);
			EXPECT_EQ(st, 0);
			EXPECT_EQ(q[2], 'f');
		}
		EXPECT_SYS(madvise((void *)p, pg, MADV_REMOVE));
		EXPECT_EQ(p[0], 0);
		if (q != MAP_FAILED) {
			EXPECT_EQ(q[1], 0);
			munmap((void *)q, 2 * pg);
		}
		EXPECT_EQ(p[pg], 'b');
		munmap((void *)p, 2 * pg);
	}
	char *r = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (EXPECT_NE(r, MAP_FAILED)) {
		EXPECT_ERRNO(madvise(r, pg, MADV_REMOVE), EINVAL);
		EXPECT_ERRNO(mremap(r, 0, pg, MREMAP_MAYMOVE), EINVAL);
		munmap(r, pg);
	}
	if (!MAKE_FILE("f", "data"))
		return;
	int fd = (int)EXPECT_SYS(open("f", O_PATH));
	EXPECT_ERRNO(mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0), EBADF);
	EXPECT_ERRNO(mmap(NULL, pg, PROT_READ, MAP_PRIVATE, fd, 0), EBADF);
	close(fd);
}

/* A read-only file of the root filesystem (this program): a shared
 * read-only mapping shows the file's bytes; a writable shared one is
 * refused on a read-only descriptor; a private copy can be written without
 * changing the file. */
/* Anonymous MAP_POPULATE: every page is resident at once. */
TEST(anonymous_populate)
{
	unsigned char vec[3] = {0xee, 0xee, 0xee};
	for (int shared = 0; shared < 2; shared++) {
		char *p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
			       (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_POPULATE,
			       -1, 0);
		if (!EXPECT_NE(p, MAP_FAILED))
			continue;
		EXPECT_SYS(mincore(p, 3 * pg, vec));
		for (int i = 0; i < 3; i++)
			EXPECT_EQ(vec[i], 1);
		munmap(p, 3 * pg);
	}
}

TEST(root_file)
{
	unsigned char head[64], *p;
	int fd = (int)EXPECT_SYS(open("/proc/self/exe", O_RDONLY));

	if (fd < 0)
		return;
	if (!EXPECT_EQ(pread(fd, head, sizeof(head), 0), (ssize_t)sizeof(head)))
		return;
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		EXPECT_MEMEQ(p, head, sizeof(head));
		EXPECT_MEMEQ(p, "\x7f" "ELF", 4);
		munmap(p, pg);
	}
	EXPECT_ERRNO(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE, fd, 0);
	if (EXPECT_NE(p, MAP_FAILED)) {
		p[0] = 0;
		unsigned char b = 0;
		EXPECT_EQ(pread(fd, &b, 1, 0), 1);
		EXPECT_EQ(b, 0x7f);
		munmap(p, pg);
	}
	close(fd);
}

/* --- modes for tests/integration/mmap_volume.sh -------------------------- */

static void volume_helper(char **argv)
{
	const char *mode = argv[2], *path = argv[3];
	char msg[64];
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || ftruncate(fd, sysconf(_SC_PAGESIZE)) < 0) {
		perror(path);
		_exit(2);
	}
	char *p = mmap(NULL, (size_t)sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		_exit(2);
	}
	close(fd); /* the mapping keeps the file */
	snprintf(msg, sizeof(msg), "mapped-%s", mode);
	memcpy(p, msg, strlen(msg));
	if (strcmp(mode, "msync") == 0) {
		if (msync(p, (size_t)sysconf(_SC_PAGESIZE), MS_SYNC) < 0) {
			perror("msync");
			_exit(2);
		}
	} else if (strcmp(mode, "munmap") == 0) {
		if (munmap(p, (size_t)sysconf(_SC_PAGESIZE)) < 0) {
			perror("munmap");
			_exit(2);
		}
	} else if (strcmp(mode, "exit") != 0) {
		fprintf(stderr, "unknown mode %s\n", mode);
		_exit(2);
	}
	_exit(0);
}

/* Every case on DIR (a directory that exists); exit status 0 if all pass. */
static void run_cases(const char *dir)
{
	static const struct {
		const char *name;
		void (*fn)(const char *);
	} cases[] = {
		{"coherent", case_coherent},
		{"writeback", case_writeback},
		{"fork", case_fork},
		{"private", case_private},
		{"access", case_access},
		{"sigbus", case_sigbus},
		{"populate_mincore", case_populate_mincore},
		{"populate_sparse", case_populate_sparse},
		{"msync_args", case_msync_args},
		{"mremap", case_mremap},
		{"remove_dup", case_remove_dup},
	};
	int failed = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		harness_failures = 0;
		cases[i].fn(dir);
		printf("[ %s ] %s on %s\n", harness_failures ? "FAIL" : "  OK", cases[i].name, dir);
		failed += harness_failures != 0;
	}
	printf("%d cases failed\n", failed);
	_exit(failed ? 1 : 0);
}

/* Before main: the script's modes (the harness's main would take the
 * arguments for test names). */
__attribute__((constructor)) static void script_modes(int argc, char **argv, char **envp)
{
	(void)envp;
	pg = sysconf(_SC_PAGESIZE);
	if (argc == 4 && strcmp(argv[1], "--volume-helper") == 0)
		volume_helper(argv);
	if (argc == 3 && strcmp(argv[1], "--cases") == 0)
		run_cases(argv[2]);
}
