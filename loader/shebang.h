/*
 * "#!" scripts, parsed exactly as Linux's fs/binfmt_script.c does: the first
 * line of the first 256 bytes (BINPRM_BUF_SIZE) names the interpreter and at
 * most ONE argument (the rest of the line, trimmed, spaces kept).
 */
#ifndef SENTRY_LOADER_SHEBANG_H
#define SENTRY_LOADER_SHEBANG_H

#include <stdbool.h>
#include <stddef.h>

#define SHEBANG_BUF_SIZE 256 /* BINPRM_BUF_SIZE */

struct shebang {
	char buf[SHEBANG_BUF_SIZE + 1]; /* the file's head, NUL-padded */
	const char *interp;		/* into buf */
	const char *arg;		/* into buf, or NULL */
};

/* Does the head of a file start with "#!"? */
bool shebang_is_script(const void *head, size_t len);

/* Parse the "#!" line from the first len bytes of a file (only the first
 * SHEBANG_BUF_SIZE count). 0, or -ENOEXEC with a reason in err. */
int shebang_parse(const void *head, size_t len, struct shebang *sb, char *err, size_t errlen);

/*
 * The argv the interpreter gets: [interp, (arg), script, argv[1..argc-1]].
 * Returns a malloc'd NULL-terminated vector of the given pointers (strings are
 * not copied) and its length in *newargc, or NULL on ENOMEM.
 */
char **shebang_argv(const char *interp, const char *arg, const char *script, char *const *argv,
		    int argc, int *newargc);

#endif
