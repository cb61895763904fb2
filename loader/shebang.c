/*
 * "#!" parsing, a line-by-line port of Linux's load_script() so that the
 * corner cases match: no newline within 256 bytes is accepted only if the
 * interpreter path is visibly complete; a NUL ends the line; trailing blanks
 * are trimmed; everything after the interpreter (blanks inside kept) is one
 * argument; "#!/bin/sh " without a newline passes an empty argument.
 */
#include "shebang.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reason(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
	return -ENOEXEC;
}

static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

/* First non-blank in [first, last], or NULL. */
static char *next_non_spacetab(char *first, const char *last)
{
	for (; first <= last; first++)
		if (!spacetab(*first))
			return first;
	return NULL;
}

/* First blank or NUL in [first, last], or NULL. */
static char *next_terminator(char *first, const char *last)
{
	for (; first <= last; first++)
		if (spacetab(*first) || !*first)
			return first;
	return NULL;
}

bool shebang_is_script(const void *head, size_t len)
{
	const char *p = head;
	return len >= 2 && p[0] == '#' && p[1] == '!';
}

int shebang_parse(const void *head, size_t len, struct shebang *sb, char *err, size_t errlen)
{
	char *buf = sb->buf;
	char *buf_end = buf + SHEBANG_BUF_SIZE - 1;
	char *i_end, *i_name, *i_sep, *i_arg;

	memset(sb->buf, 0, sizeof(sb->buf));
	sb->interp = sb->arg = NULL;
	memcpy(buf, head, len < SHEBANG_BUF_SIZE ? len : SHEBANG_BUF_SIZE);
	if (!shebang_is_script(buf, SHEBANG_BUF_SIZE))
		return reason(err, errlen, "not a script");

	/* strnchr(buf, 256, '\n'): stops at a NUL. */
	i_end = NULL;
	for (char *p = buf; p <= buf_end && *p; p++) {
		if (*p == '\n') {
			i_end = p;
			break;
		}
	}
	if (!i_end) {
		i_end = next_non_spacetab(buf + 2, buf_end);
		if (!i_end)
			return reason(err, errlen, "no interpreter in #! line");
		/* No blank or NUL after the name: it may be truncated. */
		if (!next_terminator(i_end, buf_end))
			return reason(err, errlen, "#! interpreter path too long");
		i_end = buf_end;
	}
	while (spacetab(i_end[-1]))
		i_end--;

	i_name = next_non_spacetab(buf + 2, i_end);
	if (!i_name || i_name == i_end)
		return reason(err, errlen, "no interpreter in #! line");

	i_arg = NULL;
	i_sep = next_terminator(i_name, i_end);
	if (i_sep && *i_sep != '\0')
		i_arg = next_non_spacetab(i_sep, i_end);

	*i_end = '\0';
	if (i_arg)
		*i_sep = '\0';
	sb->interp = i_name;
	sb->arg = i_arg;
	return 0;
}

char **shebang_argv(const char *interp, const char *arg, const char *script, char *const *argv,
		    int argc, int *newargc)
{
	int rest = argc > 1 ? argc - 1 : 0;
	int n = 2 + (arg ? 1 : 0) + rest;
	char **v = malloc(((size_t)n + 1) * sizeof(*v));
	if (!v)
		return NULL;
	int i = 0;
	v[i++] = (char *)interp;
	if (arg)
		v[i++] = (char *)arg;
	v[i++] = (char *)script;
	for (int j = 1; j < argc; j++)
		v[i++] = argv[j];
	v[i] = NULL;
	*newargc = n;
	return v;
}
