/*
 * --volume HOST:SANDBOX[:ro|:rw]: host directories mounted into the sandbox.
 *
 * Each volume gets its own gofer process (gofer_spawn with HOST as its root),
 * so every gofer keeps the simple confinement of one served tree: it
 * pivot_roots into HOST and cannot name anything outside it, and a ":ro"
 * volume's gofer runs without --rw (it refuses every write with EROFS and its
 * seccomp filter has no name-changing calls). vfs_boot mounts them in the
 * order given, after /tmp, /dev, /proc and /sys.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli/cli.h"
#include "fs/gofer_client.h"
#include "vfs/vfs.h"

int volume_parse(const char *arg, struct volume_spec *v, char *err, size_t errlen)
{
	char *copy = strdup(arg), *host, *path, *mode;
	struct stat st;

	memset(v, 0, sizeof(*v));
	v->pid = -1;
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	host = copy;
	path = strchr(host, ':');
	if (!path || path == host) {
		snprintf(err, errlen, "--volume %s: expected HOST:SANDBOX[:ro]", arg);
		goto bad;
	}
	*path++ = '\0';
	mode = strchr(path, ':');
	if (mode) {
		*mode++ = '\0';
		if (strcmp(mode, "ro") && strcmp(mode, "rw")) {
			snprintf(err, errlen, "--volume %s: unknown option '%s' (ro or rw)", arg,
				 mode);
			goto bad;
		}
	}
	v->rw = !mode || !strcmp(mode, "rw");
	if (path[0] != '/' || strlen(path) >= PATH_MAX) {
		snprintf(err, errlen, "--volume %s: the sandbox path must be absolute", arg);
		goto bad;
	}
	if (strspn(path, "/") == strlen(path)) {
		snprintf(err, errlen, "--volume %s: cannot mount over / (use --root)", arg);
		goto bad;
	}
	v->host = realpath(host, NULL);
	if (!v->host || stat(v->host, &st) < 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--volume %s: %s is not a directory", arg, host);
		free(v->host);
		v->host = NULL;
		goto bad;
	}
	v->path = strdup(path);
	free(copy);
	if (!v->path) {
		free(v->host);
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	return 0;
bad:
	free(copy);
	return -EINVAL;
}

int volumes_start(const char *gofer, struct volume_spec *v, int n, struct vfs_volume *out,
		  char *err, size_t errlen)
{
	for (int i = 0; i < n; i++) {
		char e[256] = "";
		v[i].gc = gofer_spawn(gofer, v[i].host, v[i].rw, &v[i].pid, e, sizeof(e));
		if (!v[i].gc) {
			v[i].pid = -1;
			snprintf(err, errlen, "cannot start the gofer for volume %s: %s", v[i].host,
				 e);
			return -EIO;
		}
		out[i] = (struct vfs_volume){
		    .gofer = v[i].gc, .path = v[i].path, .source = v[i].host, .rw = v[i].rw};
	}
	return 0;
}

void volumes_stop(struct volume_spec *v, int n)
{
	for (int i = 0; i < n; i++) {
		/* Shut down, not freed: mounted superblocks keep the client,
		 * and a task thread may still be inside a request. */
		gofer_client_shutdown(v[i].gc);
		v[i].gc = NULL;
		if (v[i].pid > 0) {
			kill(v[i].pid, SIGKILL);
			while (waitpid(v[i].pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		v[i].pid = -1;
		free(v[i].host);
		free(v[i].path);
		v[i].host = v[i].path = NULL;
	}
}
