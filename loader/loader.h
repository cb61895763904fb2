/*
 * The program loader: ELF executables (ET_EXEC and ET_DYN/PIE) with their
 * PT_INTERP dynamic linker, and "#!" scripts, loaded into a fresh address
 * space with the initial stack (argv, envp, auxv) Linux builds.
 */
#ifndef SENTRY_LOADER_LOADER_H
#define SENTRY_LOADER_LOADER_H

#include <stddef.h>
#include <stdint.h>

struct task;
struct mm;

struct loader_args {
	const char *path;       /* as given to execve (sandbox path) */
	char **argv;            /* NULL-terminated, sentry memory */
	char **envp;            /* NULL-terminated, sentry memory */
	uint32_t uid, euid, gid, egid;
	int secure;             /* AT_SECURE */
};

struct loader_result {
	uint64_t entry;          /* first instruction (interpreter's entry if any) */
	uint64_t sp;             /* initial stack pointer */
	char exe_path[4096];     /* resolved sandbox path of the executable (for /proc/PID/exe) */
	char comm[16];           /* basename of the executable, truncated */
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
