/*
 * The initial stack image (loader/exec_stack.c): layout, alignment, auxv, and
 * Linux's argument limits.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "exec_stack.h"

#define TOP 0x7ffffffde000ULL

/* Read a u64 / string of the image at a stack address. */
static uint64_t u64_at(const struct exec_stack_out *o, uint64_t addr)
{
	ck_assert_uint_ge(addr, o->sp);
	ck_assert_uint_le(addr + 8, o->sp + o->size);
	uint64_t v;
	memcpy(&v, (char *)o->image + (addr - o->sp), 8);
	return v;
}

static const char *str_at(const struct exec_stack_out *o, uint64_t addr)
{
	ck_assert_uint_ge(addr, o->sp);
	ck_assert_uint_lt(addr, o->sp + o->size);
	const char *s = (char *)o->image + (addr - o->sp);
	ck_assert_ptr_nonnull(memchr(s, 0, o->sp + o->size - addr));
	return s;
}

static uint64_t auxv_get(const struct exec_stack_out *o, uint64_t auxv, uint64_t type, int *found)
{
	for (int i = 0; i < 64; i++) {
		uint64_t t = u64_at(o, auxv + 16 * i);
		if (t == type) {
			*found = 1;
			return u64_at(o, auxv + 16 * i + 8);
		}
		if (t == AT_NULL)
			break;
	}
	*found = 0;
	return 0;
}

static void fill_in(struct exec_stack_in *in, char **argv, int argc, char **envp, int envc)
{
	memset(in, 0, sizeof(*in));
	in->argv = argv;
	in->argc = argc;
	in->envp = envp;
	in->envc = envc;
	in->execfn = "/usr/bin/prog";
	in->platform = "x86_64";
	for (int i = 0; i < 16; i++)
		in->random[i] = (uint8_t)(0xa0 + i);
	in->aux = (struct exec_auxv){.phdr = 0x555555554040,
				     .phent = 56,
				     .phnum = 13,
				     .base = 0x7ffff7fc3000,
				     .entry = 0x5555555563d0,
				     .uid = 1000,
				     .euid = 1001,
				     .gid = 100,
				     .egid = 101,
				     .hwcap = 0x178bfbff,
				     .hwcap2 = 2,
				     .minsigstksz = 1776};
}

/* Check one built stack against its inputs. */
static void check_stack(const struct exec_stack_in *in, const struct exec_stack_out *o)
{
	ck_assert_uint_eq(o->sp % 16, 0);
	ck_assert_uint_eq(o->sp + o->size, TOP);
	ck_assert_uint_eq(u64_at(o, o->sp), (uint64_t)in->argc);
	uint64_t p = o->sp + 8;
	/* argv: contiguous strings from arg_start to arg_end. */
	uint64_t expect = o->arg_start;
	for (int i = 0; i < in->argc; i++, p += 8) {
		uint64_t a = u64_at(o, p);
		ck_assert_uint_eq(a, expect);
		ck_assert_str_eq(str_at(o, a), in->argv[i]);
		expect += strlen(in->argv[i]) + 1;
	}
	ck_assert_uint_eq(u64_at(o, p), 0);
	p += 8;
	ck_assert_uint_eq(expect, o->arg_end);
	ck_assert_uint_eq(o->arg_end, o->env_start);
	for (int i = 0; i < in->envc; i++, p += 8) {
		uint64_t a = u64_at(o, p);
		ck_assert_uint_eq(a, expect);
		ck_assert_str_eq(str_at(o, a), in->envp[i]);
		expect += strlen(in->envp[i]) + 1;
	}
	ck_assert_uint_eq(u64_at(o, p), 0);
	p += 8;
	ck_assert_uint_eq(expect, o->env_end);
	/* execfn right after the environment, then 8 zero bytes to the top. */
	ck_assert_uint_eq(o->execfn_addr, o->env_end);
	ck_assert_str_eq(str_at(o, o->execfn_addr), in->execfn);
	ck_assert_uint_eq(o->execfn_addr + strlen(in->execfn) + 1, TOP - 8);
	ck_assert_uint_eq(u64_at(o, TOP - 8), 0);

	/* auxv right after envp's NULL. */
	uint64_t auxv = p;
	int found;
	/* Linux's order on x86_64: ARCH_DLINFO (the vDSO, AT_MINSIGSTKSZ) first. */
	if (in->aux.sysinfo_ehdr) {
		ck_assert_uint_eq(u64_at(o, auxv), AT_SYSINFO_EHDR);
		ck_assert_uint_eq(u64_at(o, auxv + 8), in->aux.sysinfo_ehdr);
		ck_assert_uint_eq(u64_at(o, auxv + 16), AT_MINSIGSTKSZ);
	} else {
		ck_assert_uint_eq(u64_at(o, auxv), AT_MINSIGSTKSZ);
	}
	ck_assert_uint_eq(auxv_get(o, auxv, AT_MINSIGSTKSZ, &found), 1776);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_PAGESZ, &found), 4096);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_CLKTCK, &found), 100);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_PHDR, &found), in->aux.phdr);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_PHENT, &found), 56);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_PHNUM, &found), 13);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_BASE, &found), in->aux.base);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_ENTRY, &found), in->aux.entry);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_UID, &found), 1000);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_EUID, &found), 1001);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_GID, &found), 100);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_EGID, &found), 101);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_SECURE, &found), 0);
	ck_assert(found);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_HWCAP, &found), 0x178bfbff);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_HWCAP2, &found), 2);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_FLAGS, &found), 0);
	ck_assert(found);
	ck_assert_uint_eq(auxv_get(o, auxv, AT_EXECFN, &found), o->execfn_addr);
	uint64_t plat = auxv_get(o, auxv, AT_PLATFORM, &found);
	ck_assert_uint_eq(plat, o->platform_addr);
	ck_assert_str_eq(str_at(o, plat), "x86_64");
	uint64_t rnd = auxv_get(o, auxv, AT_RANDOM, &found);
	ck_assert_uint_eq(rnd, o->random_addr);
	ck_assert_int_eq(memcmp((char *)o->image + (rnd - o->sp), in->random, 16), 0);
	auxv_get(o, auxv, AT_SYSINFO_EHDR, &found);
	ck_assert(found == (in->aux.sysinfo_ehdr != 0)); /* only with a vDSO */
	/* The random bytes and platform string lie above the auxv, below argv's strings. */
	ck_assert_uint_lt(rnd + 16, plat + 1);
	ck_assert_uint_le(plat + 7, o->arg_start);
}

START_TEST(stack_layout_basic)
{
	char *argv[] = {"prog", "-v", "file with spaces", NULL};
	char *envp[] = {"PATH=/bin", "HOME=/root", NULL};
	struct exec_stack_in in;
	struct exec_stack_out o;
	fill_in(&in, argv, 3, envp, 2);
	ck_assert_int_eq(exec_stack_build(&in, TOP, EXEC_STACK_SIZE, &o), 0);
	check_stack(&in, &o);
	exec_stack_release(&o);
	ck_assert_ptr_null(o.image);
}
END_TEST

/* sp is 16-aligned for every parity of argc/envc and every alignment offset. */
START_TEST(stack_alignment_all_shapes)
{
	char *argv[] = {"a", "bb", "ccc", "dddd", NULL};
	char *envp[] = {"E=1", "FF=22", "GGG=333", NULL};
	for (int argc = 1; argc <= 4; argc++) {
		for (int envc = 0; envc <= 3; envc++) {
			for (uint32_t rnd = 0; rnd < 8192 * 2; rnd += 1237) {
				struct exec_stack_in in;
				struct exec_stack_out o;
				fill_in(&in, argv, argc, envp, envc);
				in.align_rnd = rnd;
				ck_assert_int_eq(exec_stack_build(&in, TOP, EXEC_STACK_SIZE, &o),
						 0);
				check_stack(&in, &o);
				exec_stack_release(&o);
			}
		}
	}
}
END_TEST

START_TEST(stack_layout_with_vdso)
{
	char *argv[] = {"prog", NULL};
	char *envp[] = {"A=b", NULL};
	struct exec_stack_in in;
	struct exec_stack_out o;
	fill_in(&in, argv, 1, envp, 1);
	in.aux.sysinfo_ehdr = 0x7ffff7fc1000;
	ck_assert_int_eq(exec_stack_build(&in, TOP, EXEC_STACK_SIZE, &o), 0);
	check_stack(&in, &o);
	exec_stack_release(&o);
}
END_TEST

START_TEST(stack_too_small_is_e2big)
{
	char *argv[] = {"prog", NULL};
	struct exec_stack_in in;
	struct exec_stack_out o;
	fill_in(&in, argv, 1, NULL, 0);
	ck_assert_int_eq(exec_stack_build(&in, TOP, 4096, &o), -E2BIG);
	ck_assert_ptr_null(o.image);
}
END_TEST

START_TEST(args_per_string_limit)
{
	char *big = malloc(EXEC_MAX_ARG_STRLEN + 1);
	memset(big, 'x', EXEC_MAX_ARG_STRLEN);
	big[EXEC_MAX_ARG_STRLEN - 1] = '\0'; /* 131071 chars + NUL: fits */
	char *argv[] = {"prog", big, NULL};
	ck_assert_int_eq(exec_check_args(argv, 2, NULL, 0, "/p", EXEC_STACK_SIZE), 0);
	big[EXEC_MAX_ARG_STRLEN - 1] = 'x';
	big[EXEC_MAX_ARG_STRLEN] = '\0'; /* 131072 chars: too long */
	ck_assert_int_eq(exec_check_args(argv, 2, NULL, 0, "/p", EXEC_STACK_SIZE), -E2BIG);
	char *envp[] = {big, NULL};
	ck_assert_int_eq(exec_check_args(argv, 1, envp, 1, "/p", EXEC_STACK_SIZE), -E2BIG);
	ck_assert_int_eq(exec_check_args(argv, 1, NULL, 0, big, EXEC_STACK_SIZE), -E2BIG);
	free(big);
}
END_TEST

START_TEST(args_total_limit)
{
	/* 8 MiB stack: the limit is 2 MiB of strings and pointers. */
	enum { N = 20 };
	char *strs[N + 1];
	for (int i = 0; i < N; i++) {
		strs[i] = malloc(100000);
		memset(strs[i], 'a' + i, 99999);
		strs[i][99999] = '\0';
	}
	strs[N] = NULL;
	/* 20 * 100000 = 2,000,000 bytes < 2 MiB (2,097,152): fits. */
	ck_assert_int_eq(exec_check_args(strs, N, NULL, 0, "/p", EXEC_STACK_SIZE), 0);
	/* The same against a 4 MiB stack limit (1 MiB allowed): too big. */
	ck_assert_int_eq(exec_check_args(strs, N, NULL, 0, "/p", 4ULL << 20), -E2BIG);
	/* Split between argv and envp counts the same. */
	ck_assert_int_eq(exec_check_args(strs, 10, strs + 10, 10, "/p", 4ULL << 20), -E2BIG);
	/* The layout works for the largest accepted size. */
	struct exec_stack_in in;
	struct exec_stack_out o;
	fill_in(&in, strs, N, NULL, 0);
	ck_assert_int_eq(exec_stack_build(&in, TOP, EXEC_STACK_SIZE, &o), 0);
	check_stack(&in, &o);
	exec_stack_release(&o);
	for (int i = 0; i < N; i++)
		free(strs[i]);
}
END_TEST

START_TEST(args_pointer_limit)
{
	/* 300,000 empty strings: 2.4 MB of pointers alone exceed 2 MiB. */
	int n = 300000;
	char **v = calloc((size_t)n + 1, sizeof(*v));
	for (int i = 0; i < n; i++)
		v[i] = "";
	ck_assert_int_eq(exec_count(v), n);
	ck_assert_int_eq(exec_check_args(v, n, NULL, 0, "/p", EXEC_STACK_SIZE), -E2BIG);
	ck_assert_int_eq(exec_check_args(v, 1000, NULL, 0, "/p", EXEC_STACK_SIZE), 0);
	free(v);
	ck_assert_int_eq(exec_count(NULL), 0);
}
END_TEST

Suite *loader_stack_suite(void)
{
	Suite *s = suite_create("loader_stack");
	TCase *tc = tcase_create("stack");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, stack_layout_basic);
	tcase_add_test(tc, stack_alignment_all_shapes);
	tcase_add_test(tc, stack_layout_with_vdso);
	tcase_add_test(tc, stack_too_small_is_e2big);
	tcase_add_test(tc, args_per_string_limit);
	tcase_add_test(tc, args_total_limit);
	tcase_add_test(tc, args_pointer_limit);
	suite_add_tcase(s, tc);
	return s;
}
