#ifndef SENTRY_CLI_CLI_H
#define SENTRY_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One subcommand: argv[0] is the subcommand's name. Returns the exit status. */
int cmd_run(int argc, char **argv);

/* --volume HOST:SANDBOX[:ro|:rw] (volume.c): one gofer per volume. */
struct gofer_client;
struct vfs_volume;
struct volume_spec {
	char *host; /* realpath of HOST */
	char *path; /* SANDBOX (absolute) */
	bool rw;
	pid_t pid; /* the volume's gofer, -1 before it starts */
	struct gofer_client *gc;
};
/* Parse one --volume argument (HOST must be an existing directory). */
int volume_parse(const char *arg, struct volume_spec *v, char *err, size_t errlen);
/* Start a gofer for each volume and describe them for vfs_boot in out. */
int volumes_start(const char *gofer, struct volume_spec *v, int n, struct vfs_volume *out,
		  char *err, size_t errlen);
/* Close, kill and reap every volume's gofer; free the specs' strings. */
void volumes_stop(struct volume_spec *v, int n);

#endif
