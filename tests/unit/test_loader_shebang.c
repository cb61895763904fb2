/*
 * "#!" parsing (loader/shebang.c). Expected values are what Linux's
 * binfmt_script does (checked natively: "#!/bin/echo " without a newline
 * passes an empty argument; "#!\n" is ENOEXEC; a NUL ends the line).
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "shebang.h"

/* Parse a script head given as a string (or n bytes of it). */
static int parse_n(const char *s, size_t n, struct shebang *sb, char *err)
{
	char *copy = malloc(n ? n : 1); /* exact size: ASan catches overreads */
	memcpy(copy, s, n);
	err[0] = '\0';
	int r = shebang_parse(copy, n, sb, err, 128);
	free(copy);
	return r;
}

static int parse(const char *s, struct shebang *sb, char *err)
{
	return parse_n(s, strlen(s), sb, err);
}

static void expect(const char *script, const char *interp, const char *arg)
{
	struct shebang sb;
	char err[128];
	ck_assert_msg(parse(script, &sb, err) == 0, "'%s': %s", script, err);
	ck_assert_str_eq(sb.interp, interp);
	if (arg) {
		ck_assert_ptr_nonnull(sb.arg);
		ck_assert_str_eq(sb.arg, arg);
	} else {
		ck_assert_ptr_null(sb.arg);
	}
}

static void expect_noexec(const char *script, size_t n)
{
	struct shebang sb;
	char err[128];
	ck_assert_int_eq(parse_n(script, n, &sb, err), -ENOEXEC);
	ck_assert(err[0]);
}

START_TEST(shebang_basic)
{
	expect("#!/bin/sh\necho hi\n", "/bin/sh", NULL);
	expect("#!/bin/sh -x\n", "/bin/sh", "-x");
	expect("#! /bin/sh\n", "/bin/sh", NULL);
	expect("#!/bin/sh \t \n", "/bin/sh", NULL);
}
END_TEST

START_TEST(shebang_tabs_and_spaces)
{
	expect("#!\t/usr/bin/env\tpython3 -u \t\n", "/usr/bin/env", "python3 -u");
	/* One argument: inner blanks are kept, not split. */
	expect("#!/usr/bin/awk -f  a b\tc\n", "/usr/bin/awk", "-f  a b\tc");
	expect("#!/bin/echo\t a b \t\n", "/bin/echo", "a b");
}
END_TEST

START_TEST(shebang_no_newline)
{
	expect("#!/bin/sh", "/bin/sh", NULL);
	expect("#!/bin/sh -e", "/bin/sh", "-e");
	/* Linux quirk: trailing blank with no newline gives an empty argument. */
	expect("#!/bin/echo ", "/bin/echo", "");
}
END_TEST

START_TEST(shebang_nul_and_cr)
{
	/* A NUL ends the line (strnchr stops there). */
	static const char nul[] = "#!/bin/echo x\0y z\n";
	struct shebang sb;
	char err[128];
	ck_assert_int_eq(parse_n(nul, sizeof(nul) - 1, &sb, err), 0);
	ck_assert_str_eq(sb.interp, "/bin/echo");
	ck_assert_str_eq(sb.arg, "x");
	/* CR is not a blank: DOS line endings name "/bin/sh\r" as Linux does. */
	expect("#!/bin/sh\r\n", "/bin/sh\r", NULL);
}
END_TEST

START_TEST(shebang_empty_interpreter)
{
	expect_noexec("#!\n", 3);
	expect_noexec("#!   \n", 6);
	expect_noexec("#!\t\t\n", 5);
	/* Only blanks for all 256 bytes: no interpreter. */
	char blanks[SHEBANG_BUF_SIZE + 8];
	memset(blanks, ' ', sizeof(blanks));
	blanks[0] = '#';
	blanks[1] = '!';
	expect_noexec(blanks, sizeof(blanks));
	/* Not a script at all. */
	expect_noexec("#/bin/sh\n", 9);
	expect_noexec("!#/bin/sh\n", 10);
	expect_noexec("#", 1);
	expect_noexec("", 0);
	/* "#!" alone, or blanks without a newline in a short file: the NUL
	 * padding terminates an empty name, which Linux passes on to
	 * open_exec() (natively: EACCES, "" being the cwd). */
	struct shebang sb;
	char err[128];
	ck_assert_int_eq(parse_n("#!", 2, &sb, err), 0);
	ck_assert_str_eq(sb.interp, "");
	ck_assert_int_eq(parse_n("#! \t ", 5, &sb, err), 0);
	ck_assert_str_eq(sb.interp, "");
	ck_assert_ptr_null(sb.arg);
}
END_TEST

START_TEST(shebang_256_byte_limit)
{
	char buf[600];
	struct shebang sb;
	char err[128];

	/* A path running past byte 256 without a terminator: truncated. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "#!/", 3);
	ck_assert_int_eq(parse_n(buf, sizeof(buf), &sb, err), -ENOEXEC);
	ck_assert_str_eq(err, "#! interpreter path too long");
	/* ... also when the newline comes just after the limit. */
	buf[SHEBANG_BUF_SIZE] = '\n';
	ck_assert_int_eq(parse_n(buf, sizeof(buf), &sb, err), -ENOEXEC);

	/* Newline at the last byte of the buffer: the whole path fits. */
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "#!/", 3);
	buf[SHEBANG_BUF_SIZE - 1] = '\n';
	ck_assert_int_eq(parse_n(buf, sizeof(buf), &sb, err), 0);
	ck_assert_uint_eq(strlen(sb.interp), SHEBANG_BUF_SIZE - 3);
	ck_assert_ptr_null(sb.arg);

	/* The path ends inside the buffer but the argument runs past it: the
	 * argument is truncated at byte 255 (the interpreter re-reads it). */
	memset(buf, 'b', sizeof(buf));
	memcpy(buf, "#!/bin/sh ", 10);
	ck_assert_int_eq(parse_n(buf, sizeof(buf), &sb, err), 0);
	ck_assert_str_eq(sb.interp, "/bin/sh");
	ck_assert_uint_eq(strlen(sb.arg), SHEBANG_BUF_SIZE - 1 - 10);

	/* Bytes after the 256th never matter. */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, "#!/bin/sh", 9);
	memset(buf + 9, ' ', SHEBANG_BUF_SIZE - 9);
	memcpy(buf + SHEBANG_BUF_SIZE, "-x\n", 3);
	ck_assert_int_eq(parse_n(buf, sizeof(buf), &sb, err), 0);
	ck_assert_str_eq(sb.interp, "/bin/sh");
	ck_assert_ptr_null(sb.arg);
}
END_TEST

START_TEST(shebang_argv_rewrite)
{
	char *argv[] = {"./script", "one", "two", NULL};
	int n;
	char **v = shebang_argv("/bin/sh", "-e", "/tmp/script", argv, 3, &n);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(n, 5);
	ck_assert_str_eq(v[0], "/bin/sh");
	ck_assert_str_eq(v[1], "-e");
	ck_assert_str_eq(v[2], "/tmp/script"); /* the path execve got, not argv[0] */
	ck_assert_str_eq(v[3], "one");
	ck_assert_str_eq(v[4], "two");
	ck_assert_ptr_null(v[5]);
	free(v);

	v = shebang_argv("/bin/sh", NULL, "s", argv, 1, &n);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(v[0], "/bin/sh");
	ck_assert_str_eq(v[1], "s");
	ck_assert_ptr_null(v[2]);
	free(v);

	/* An empty argv (argc 0) loses nothing. */
	v = shebang_argv("/bin/sh", "", "s", argv, 0, &n);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(v[1], "");
	ck_assert_ptr_null(v[3]);
	free(v);
}
END_TEST

START_TEST(shebang_random_heads)
{
	unsigned char buf[300];
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand() % (int)sizeof(buf));
		for (size_t k = 0; k < n; k++) {
			/* Mostly the interesting characters. */
			static const char alpha[] = " \t\n\0/ab-";
			buf[k] =
			    (rand() & 1) ? (unsigned char)rand() : (unsigned char)alpha[rand() % 9];
		}
		if (n >= 2 && (i & 1)) {
			buf[0] = '#';
			buf[1] = '!';
		}
		struct shebang sb;
		char err[128];
		int r = parse_n((char *)buf, n, &sb, err);
		ck_assert(r == 0 || r == -ENOEXEC);
		if (r == 0) {
			/* Results point into the buffer and are terminated within it. */
			ck_assert(sb.interp >= sb.buf && sb.interp < sb.buf + SHEBANG_BUF_SIZE);
			ck_assert(!strchr(sb.interp, '\n'));
			ck_assert(!strchr(sb.interp, ' ') && !strchr(sb.interp, '\t'));
			if (sb.arg) {
				ck_assert(sb.arg > sb.interp && sb.arg < sb.buf + SHEBANG_BUF_SIZE);
				ck_assert(!strchr(sb.arg, '\n'));
			}
		}
	}
}
END_TEST

Suite *loader_shebang_suite(void)
{
	Suite *s = suite_create("loader_shebang");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, shebang_basic);
	tcase_add_test(tc, shebang_tabs_and_spaces);
	tcase_add_test(tc, shebang_no_newline);
	tcase_add_test(tc, shebang_nul_and_cr);
	tcase_add_test(tc, shebang_empty_interpreter);
	tcase_add_test(tc, shebang_256_byte_limit);
	tcase_add_test(tc, shebang_argv_rewrite);
	tcase_add_test(tc, shebang_random_heads);
	suite_add_tcase(s, tc);
	return s;
}
