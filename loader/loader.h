/*
 * The program loader: ELF executables (ET_EXEC and ET_DYN/PIE) with their
 * PT_INTERP dynamic linker, and "#!" scripts, loaded into a fresh address
 * space with the initial stack (argv, envp, auxv) Linux builds.
 */
#ifndef SENTRY_LOADER_LOADER_H
#define SENTRY_LOADER_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "kernel/creds.h"

struct task;
struct mm;
struct file;

struct loader_args {
	const char *path;       /* as given to execve (sandbox path) */
	char **argv;            /* NULL-terminated, sentry memory */
	char **envp;            /* NULL-terminated, sentry memory */
	uint32_t uid, euid, gid, egid;
	int secure;             /* AT_SECURE */
	/* The caller's credentials and how to derive the new ones from the
	 * executable finally loaded (creds_exec_file: set-ID bits,
	 * capabilities; returns AT_SECURE). When both are set, the new ones go
	 * into loader_result.creds and the auxv's ids and AT_SECURE come from
	 * them; uid..secure above are then unused. */
	const struct creds *creds;
	int (*exec_creds)(const struct creds *old, struct file *f, struct creds *new_creds);
};

/* Room for the saved auxv (Linux's AT_VECTOR_SIZE is 2 * (2 + 20 + 1)). */
#define LOADER_AUXV_WORDS 64

struct loader_result {
	uint64_t entry;          /* first instruction (interpreter's entry if any) */
	uint64_t sp;             /* initial stack pointer */
	char exe_path[4096];     /* resolved sandbox path of the executable (for /proc/PID/exe) */
	char comm[16];           /* basename of the executable, truncated */
	struct creds creds;      /* the new credentials (args->creds set) */
	int secure;              /* AT_SECURE as given to the new image */
	/* The auxv written on the stack (type, value pairs up to and with
	 * AT_NULL), for /proc/PID/auxv; auxv_words counts the uint64_t. */
	uint64_t auxv[LOADER_AUXV_WORDS];
	int auxv_words;
};

/*
 * Load args->path into mm (which must be empty), resolving #! scripts (with
 * their optional argument, up to 4 levels deep) and PT_INTERP. On failure
 * returns -errno (-ENOEXEC for a malformed or unsupported file, -ENOENT,
 * -EACCES, ...) and, where useful, writes a one-line reason into err.
 */
int loader_load(struct task *t, struct mm *mm, const struct loader_args *args,
		struct loader_result *res, char *err, size_t errlen);

#endif
