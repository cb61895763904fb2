/*
 * The initial stack (see exec_stack.h): argument limits and layout, following
 * fs/exec.c (bprm_stack_limits, copy_strings) and fs/binfmt_elf.c
 * (create_elf_tables) of Linux 6.x.
 */
#include "exec_stack.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

#define MAX_ARG_STRINGS 0x7FFFFFFF

int exec_count(char *const *v)
{
	long n = 0;
	if (!v)
		return 0;
	while (v[n]) {
		if (++n >= MAX_ARG_STRINGS)
			return -E2BIG;
	}
	return (int)n;
}

/* Bytes of a string with its NUL, or 0 when it exceeds MAX_ARG_STRLEN. */
static size_t arg_len(const char *s)
{
	size_t n = strnlen(s, EXEC_MAX_ARG_STRLEN);
	return n < EXEC_MAX_ARG_STRLEN ? n + 1 : 0;
}

int exec_check_args(char *const *argv, int argc, char *const *envp, int envc, const char *execfn,
		    uint64_t stack_limit)
{
	uint64_t limit = (6ULL << 20); /* _STK_LIM / 4 * 3 */
	if (stack_limit / 4 < limit)
		limit = stack_limit / 4;
	if (limit < EXEC_ARG_MAX)
		limit = EXEC_ARG_MAX;
	uint64_t ptr_size = ((uint64_t)(argc > 1 ? argc : 1) + (uint64_t)envc) * sizeof(void *);
	if (limit <= ptr_size)
		return -E2BIG;
	limit -= ptr_size;

	uint64_t total = 0;
	size_t n = arg_len(execfn);
	if (!n)
		return -E2BIG;
	total += n;
	for (int pass = 0; pass < 2; pass++) {
		char *const *v = pass ? envp : argv;
		int c = pass ? envc : argc;
		for (int i = 0; i < c; i++) {
			n = arg_len(v[i]);
			if (!n)
				return -E2BIG;
			total += n;
			if (total > limit)
				return -E2BIG;
		}
	}
	return total > limit ? -E2BIG : 0;
}

struct auxv_ent {
	uint64_t type, val;
};

static int build_auxv(const struct exec_stack_in *in, const struct exec_stack_out *out,
		      struct auxv_ent *a)
{
	const struct exec_auxv *x = &in->aux;
	int n = 0;
	/* The order of Linux's create_elf_tables() on x86_64 (ARCH_DLINFO first). */
	if (x->sysinfo_ehdr)
		a[n++] = (struct auxv_ent){AT_SYSINFO_EHDR, x->sysinfo_ehdr};
	a[n++] = (struct auxv_ent){AT_MINSIGSTKSZ, x->minsigstksz};
	a[n++] = (struct auxv_ent){AT_HWCAP, x->hwcap};
	a[n++] = (struct auxv_ent){AT_PAGESZ, 4096};
	a[n++] = (struct auxv_ent){AT_CLKTCK, 100};
	a[n++] = (struct auxv_ent){AT_PHDR, x->phdr};
	a[n++] = (struct auxv_ent){AT_PHENT, x->phent};
	a[n++] = (struct auxv_ent){AT_PHNUM, x->phnum};
	a[n++] = (struct auxv_ent){AT_BASE, x->base};
	a[n++] = (struct auxv_ent){AT_FLAGS, x->flags};
	a[n++] = (struct auxv_ent){AT_ENTRY, x->entry};
	a[n++] = (struct auxv_ent){AT_UID, x->uid};
	a[n++] = (struct auxv_ent){AT_EUID, x->euid};
	a[n++] = (struct auxv_ent){AT_GID, x->gid};
	a[n++] = (struct auxv_ent){AT_EGID, x->egid};
	a[n++] = (struct auxv_ent){AT_SECURE, x->secure};
	a[n++] = (struct auxv_ent){AT_RANDOM, out->random_addr};
	a[n++] = (struct auxv_ent){AT_HWCAP2, x->hwcap2};
	a[n++] = (struct auxv_ent){AT_EXECFN, out->execfn_addr};
	a[n++] = (struct auxv_ent){AT_PLATFORM, out->platform_addr};
	a[n++] = (struct auxv_ent){AT_NULL, 0};
	return n;
}

#define MAX_AUXV 24

int exec_stack_build(const struct exec_stack_in *in, uint64_t top, uint64_t stack_size,
		     struct exec_stack_out *out)
{
	memset(out, 0, sizeof(*out));
	if (in->argc < 0 || in->envc < 0 || top < stack_size)
		return -EINVAL;
	uint64_t bottom = top - stack_size;

	/* Strings: sizes already bounded by exec_check_args, but do not rely on it
	 * for memory safety: every step below is checked against the stack. */
	uint64_t argbytes = 0, envbytes = 0;
	for (int i = 0; i < in->argc; i++)
		argbytes += strlen(in->argv[i]) + 1;
	for (int i = 0; i < in->envc; i++)
		envbytes += strlen(in->envp[i]) + 1;
	uint64_t fnbytes = strlen(in->execfn) + 1;
	uint64_t platbytes = strlen(in->platform) + 1;
	uint64_t strbytes = 8 + fnbytes + envbytes + argbytes;
	uint64_t items = (uint64_t)in->argc + 1 + (uint64_t)in->envc + 1 + 1;
	/* Worst case below the strings: alignment, platform, random, auxv, vectors. */
	uint64_t below = 8192 + 16 + platbytes + 16 + MAX_AUXV * 16 + items * 8 + 16;
	if (strbytes > stack_size || below > stack_size - strbytes)
		return -E2BIG;

	uint64_t p = top - 8;
	p -= fnbytes;
	out->execfn_addr = p;
	p -= envbytes;
	out->env_start = p;
	out->env_end = p + envbytes;
	p -= argbytes;
	out->arg_start = p;
	out->arg_end = out->env_start;
	uint64_t strings = p;

	p = (p - in->align_rnd % 8192) & ~15ULL; /* arch_align_stack() */
	p -= platbytes;
	out->platform_addr = p;
	p -= 16;
	out->random_addr = p;

	struct auxv_ent aux[MAX_AUXV];
	int naux = build_auxv(in, out, aux);
	uint64_t sp = p - (uint64_t)naux * sizeof(aux[0]);
	sp = (sp - items * 8) & ~15ULL; /* STACK_ROUND */
	if (sp < bottom)
		return -E2BIG;

	out->sp = sp;
	out->size = top - sp;
	char *img = calloc(1, out->size);
	if (!img)
		return -ENOMEM;
	out->image = img;
#define AT(addr) (img + ((addr)-sp))

	/* Strings, in ascending address order: argv, envp, execfn. */
	char *s = AT(strings);
	uint64_t *argvp = (uint64_t *)AT(sp + 8), *envpp = argvp + in->argc + 1;
	for (int i = 0; i < in->argc; i++) {
		size_t n = strlen(in->argv[i]) + 1;
		memcpy(s, in->argv[i], n);
		argvp[i] = sp + (uint64_t)(s - img);
		s += n;
	}
	for (int i = 0; i < in->envc; i++) {
		size_t n = strlen(in->envp[i]) + 1;
		memcpy(s, in->envp[i], n);
		envpp[i] = sp + (uint64_t)(s - img);
		s += n;
	}
	memcpy(s, in->execfn, fnbytes);
	memcpy(AT(out->platform_addr), in->platform, platbytes);
	memcpy(AT(out->random_addr), in->random, 16);

	/* argc, argv[], NULL, envp[], NULL, auxv; calloc left the NULLs. */
	uint64_t argc = (uint64_t)in->argc;
	memcpy(img, &argc, 8);
	memcpy(envpp + in->envc + 1, aux, (size_t)naux * sizeof(aux[0]));
#undef AT
	return 0;
}

void exec_stack_release(struct exec_stack_out *out)
{
	free(out->image);
	out->image = NULL;
}
