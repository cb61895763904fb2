/*
 * Tiny conformance-test harness, shared by every tests/syscalls/<family>_test.c.
 *
 * Each test binary is one translation unit that includes this header, so
 * everything here is static, and main() is defined here too. The same binary
 * runs natively and under the sentry; a test that fails natively is a broken
 * test.
 *
 *   TEST(name) { ... }            registers a test (runs in file order)
 *   EXPECT_EQ(a, b) ...           compare as long long, report file:line + values
 *   EXPECT_ERRNO(call, ERR)       call must return -1 with errno == ERR
 *   EXPECT_SYS(call)              call must not return -1; evaluates to its value
 *
 * Every EXPECT_* evaluates to true/false (or to the value for EXPECT_SYS), so a
 * test stops early with an explicit `if (!EXPECT_...) return;` -- no macro hides
 * a return.
 *
 * Before each test the harness creates a fresh directory named after the test
 * inside a per-binary mkdtemp() directory under /tmp and chdir()s into it, so
 * tests use relative scratch paths. The whole tree is removed at the end.
 *
 * Usage: <binary> [test-name...]   (no names: run all tests)
 * Output ends with "N passed, M failed"; exit status 1 if any test failed.
 */
#ifndef SENTRY_TESTS_HARNESS_H
#define SENTRY_TESTS_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#define HARNESS_MAX_TESTS 256
#define HARNESS_UNUSED __attribute__((unused))

struct harness_test {
	const char *name;
	void (*fn)(void);
};

static HARNESS_UNUSED struct harness_test harness_tests[HARNESS_MAX_TESTS];
static HARNESS_UNUSED int harness_ntests;
static HARNESS_UNUSED int harness_failures;            /* failed expectations in the current test */
static HARNESS_UNUSED char harness_root[64];           /* per-binary scratch directory */
static HARNESS_UNUSED char harness_testdir[PATH_MAX];  /* the current test's scratch directory */

static HARNESS_UNUSED void harness_register(const char *name, void (*fn)(void))
{
	if (harness_ntests >= HARNESS_MAX_TESTS) {
		fprintf(stderr, "harness: too many tests (max %d)\n", HARNESS_MAX_TESTS);
		abort();
	}
	harness_tests[harness_ntests].name = name;
	harness_tests[harness_ntests].fn = fn;
	harness_ntests++;
}

#define TEST(name)                                                          \
	static void test_##name(void);                                      \
	__attribute__((constructor)) static void harness_reg_##name(void)   \
	{                                                                   \
		harness_register(#name, test_##name);                       \
	}                                                                   \
	static void test_##name(void)

static HARNESS_UNUSED const char *harness_errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

static HARNESS_UNUSED void harness_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#include <stdarg.h>
static HARNESS_UNUSED void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	harness_failures++;
	printf("  %s:%d: FAILED: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

/* Report an arbitrary failure with a message (evaluates to false). */
#define FAIL(...) ({ harness_fail(__FILE__, __LINE__, __VA_ARGS__); false; })

#define HARNESS_CMP(a, b, op)                                                     \
	({                                                                        \
		long long _a = (long long)(a), _b = (long long)(b);               \
		bool _ok = _a op _b;                                              \
		if (!_ok)                                                         \
			harness_fail(__FILE__, __LINE__,                          \
				     "%s " #op " %s: %lld (0x%llx) vs %lld (0x%llx)", \
				     #a, #b, _a, (unsigned long long)_a, _b,      \
				     (unsigned long long)_b);                     \
		_ok;                                                              \
	})

#define EXPECT_EQ(a, b) HARNESS_CMP(a, b, ==)
#define EXPECT_NE(a, b) HARNESS_CMP(a, b, !=)
#define EXPECT_LT(a, b) HARNESS_CMP(a, b, <)
#define EXPECT_LE(a, b) HARNESS_CMP(a, b, <=)
#define EXPECT_GT(a, b) HARNESS_CMP(a, b, >)
#define EXPECT_GE(a, b) HARNESS_CMP(a, b, >=)

#define EXPECT_TRUE(cond)                                                     \
	({                                                                    \
		bool _ok = !!(cond);                                          \
		if (!_ok)                                                     \
			harness_fail(__FILE__, __LINE__, "expected true: %s", #cond); \
		_ok;                                                          \
	})

#define EXPECT_STREQ(a, b)                                                     \
	({                                                                     \
		const char *_a = (a), *_b = (b);                               \
		bool _ok = _a && _b && strcmp(_a, _b) == 0;                    \
		if (!_ok)                                                      \
			harness_fail(__FILE__, __LINE__, "%s == %s: \"%s\" vs \"%s\"", \
				     #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); \
		_ok;                                                           \
	})

#define EXPECT_MEMEQ(a, b, n)                                                  \
	({                                                                     \
		bool _ok = memcmp((a), (b), (n)) == 0;                         \
		if (!_ok)                                                      \
			harness_fail(__FILE__, __LINE__, "memory differs: %s vs %s (%zu bytes)", \
				     #a, #b, (size_t)(n));                     \
		_ok;                                                           \
	})

/* `call` must fail with -1 and errno == err. */
#define EXPECT_ERRNO(call, err)                                                \
	({                                                                     \
		errno = 0;                                                     \
		long long _r = (long long)(call);                              \
		int _e = errno;                                                \
		bool _ok = _r == -1 && _e == (err);                            \
		if (!_ok)                                                      \
			harness_fail(__FILE__, __LINE__,                       \
				     "%s: expected -1/%s, got %lld/%s", #call, \
				     harness_errname(err), _r,                 \
				     _r == -1 ? harness_errname(_e) : "no error"); \
		_ok;                                                           \
	})

/* `call` must succeed (not return -1); evaluates to the call's value. */
#define EXPECT_SYS(call)                                                       \
	({                                                                     \
		errno = 0;                                                     \
		long long _r = (long long)(call);                              \
		if (_r == -1)                                                  \
			harness_fail(__FILE__, __LINE__, "%s failed: %s (%s)", #call, \
				     harness_errname(errno), strerror(errno)); \
		_r;                                                            \
	})

/* ---- helpers ---------------------------------------------------------- */

/* Create a file (relative to the test's scratch dir) holding `data`. */
static HARNESS_UNUSED bool harness_write_file(const char *path, const void *data, size_t len,
					      mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	const char *p = data;

	if (fd < 0)
		return false;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n <= 0) {
			close(fd);
			return false;
		}
		p += n;
		len -= (size_t)n;
	}
	return close(fd) == 0;
}

#define MAKE_FILE(path, str)                                                   \
	({                                                                     \
		bool _ok = harness_write_file((path), (str), strlen(str), 0644);\
		if (!_ok)                                                      \
			harness_fail(__FILE__, __LINE__, "creating %s: %s", (path), \
				     strerror(errno));                         \
		_ok;                                                           \
	})

/* An address that is guaranteed unmapped: a page we mapped and unmapped. */
static HARNESS_UNUSED void *harness_unmapped_page(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = (void *)syscall(SYS_mmap, NULL, pg, 0x3 /* RW */, 0x22 /* PRIVATE|ANON */,
				  -1, 0);

	if (p == (void *)-1)
		abort();
	syscall(SYS_munmap, p, pg);
	return p;
}

/* A path component longer than NAME_MAX (static buffer). */
static HARNESS_UNUSED const char *harness_long_name(void)
{
	static char buf[NAME_MAX + 2];

	memset(buf, 'a', NAME_MAX + 1);
	buf[NAME_MAX + 1] = '\0';
	return buf;
}

/* A path longer than PATH_MAX made of short components (static buffer). */
static HARNESS_UNUSED const char *harness_long_path(void)
{
	static char buf[PATH_MAX + 64];
	size_t i;

	for (i = 0; i + 2 < sizeof(buf) - 1; i += 2) {
		buf[i] = 'a';
		buf[i + 1] = '/';
	}
	buf[i] = '\0';
	return buf;
}

/* ---- runner ----------------------------------------------------------- */

static HARNESS_UNUSED int harness_rm_cb(const char *path, const struct stat *sb HARNESS_UNUSED,
					 int flag, struct FTW *ftw HARNESS_UNUSED)
{
	if (flag == FTW_DP)
		return rmdir(path) == 0 || errno == ENOENT ? 0 : (perror(path), 0);
	return unlink(path) == 0 || errno == ENOENT ? 0 : (perror(path), 0);
}

static HARNESS_UNUSED bool harness_wanted(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return true;
	return false;
}

#ifndef HARNESS_NO_MAIN
int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	setvbuf(stdout, NULL, _IONBF, 0);
	umask(022);
	strcpy(harness_root, "/tmp/sentry-test-XXXXXX");
	if (!mkdtemp(harness_root)) {
		perror("mkdtemp");
		return 2;
	}
	for (int i = 0; i < harness_ntests; i++) {
		const struct harness_test *t = &harness_tests[i];

		if (!harness_wanted(argc, argv, t->name))
			continue;
		snprintf(harness_testdir, sizeof(harness_testdir), "%s/%s", harness_root, t->name);
		if (mkdir(harness_testdir, 0755) != 0 || chdir(harness_testdir) != 0) {
			printf("[ FAIL ] %s: cannot set up %s: %s\n", t->name, harness_testdir,
			       strerror(errno));
			failed++;
			continue;
		}
		printf("[ RUN  ] %s\n", t->name);
		harness_failures = 0;
		t->fn();
		if (harness_failures) {
			printf("[ FAIL ] %s\n", t->name);
			failed++;
		} else {
			printf("[   OK ] %s\n", t->name);
			passed++;
		}
	}
	if (chdir("/") != 0)
		perror("chdir /");
	if (nftw(harness_root, harness_rm_cb, 16, FTW_DEPTH | FTW_PHYS) != 0)
		perror("cleanup");
	printf("%d passed, %d failed\n", passed, failed);
	return failed ? 1 : (passed ? 0 : 1);
}
#endif

#endif /* SENTRY_TESTS_HARNESS_H */
