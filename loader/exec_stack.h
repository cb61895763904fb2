/*
 * The initial process stack as Linux's create_elf_tables() lays it out, built
 * in a sentry buffer (pure, testable) and written to the stack in one copy.
 *
 * From the top down:  8 zero bytes | execfn | envp strings | argv strings |
 * random 0..8191 bytes (16-aligned) | platform string | 16 random bytes |
 * padding | auxv | NULL | envp[] | NULL | argv[] | argc  <- sp (16-aligned)
 */
#ifndef SENTRY_LOADER_EXEC_STACK_H
#define SENTRY_LOADER_EXEC_STACK_H

#include <stddef.h>
#include <stdint.h>

#define EXEC_STACK_SIZE (8ULL << 20)	/* the stack we map: RLIMIT_STACK's default */
#define EXEC_MAX_ARG_STRLEN (32 * 4096) /* MAX_ARG_STRLEN, including the NUL */
#define EXEC_ARG_MAX (32 * 4096)	/* ARG_MAX: the smallest total limit */

/* Values of the auxiliary vector the loader knows in advance. */
struct exec_auxv {
	uint64_t phdr, phent, phnum, base, flags, entry;
	uint64_t uid, euid, gid, egid, secure;
	uint64_t hwcap, hwcap2, minsigstksz;
	uint64_t sysinfo_ehdr; /* the vDSO's address; 0: no vDSO, no AT_SYSINFO_EHDR */
};

struct exec_stack_in {
	char *const *argv;
	int argc;
	char *const *envp;
	int envc;
	const char *execfn;   /* the path given to execve (AT_EXECFN) */
	const char *platform; /* AT_PLATFORM string, "x86_64" */
	uint8_t random[16];   /* AT_RANDOM bytes */
	uint32_t align_rnd;   /* randomness for arch_align_stack() */
	struct exec_auxv aux;
};

struct exec_stack_out {
	void *image; /* malloc'd: the bytes of [sp, top) */
	size_t size;
	uint64_t sp;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t execfn_addr, platform_addr, random_addr;
};

/*
 * Linux's argument limits (fs/exec.c): each string at most MAX_ARG_STRLEN
 * bytes with its NUL, and all strings (argv, envp, execfn) plus the pointer
 * vectors within a quarter of the stack limit (at least ARG_MAX).
 * 0 or -E2BIG.
 */
int exec_check_args(char *const *argv, int argc, char *const *envp, int envc, const char *execfn,
		    uint64_t stack_limit);

/* Lay out the stack ending at top (page-aligned). 0, -E2BIG, or -ENOMEM. */
int exec_stack_build(const struct exec_stack_in *in, uint64_t top, uint64_t stack_size,
		     struct exec_stack_out *out);
void exec_stack_release(struct exec_stack_out *out);

/* Number of entries in a NULL-terminated vector (NULL counts as empty), or
 * -E2BIG beyond MAX_ARG_STRINGS. */
int exec_count(char *const *v);

#endif
