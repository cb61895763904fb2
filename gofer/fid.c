/*
 * The fid table: per-connection handles for host files the gofer holds.
 *
 * A fid value is (generation << 32) | (slot + 1), so 0 is never valid and a
 * stale fid whose slot was reused does not name the new file. The table grows
 * by doubling up to GOFER_MAX_FIDS slots; free slots form a list.
 */
#include "gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FID_NIL UINT32_MAX

static struct gofer_fid *fids;
static uint32_t fid_cap;
static uint32_t free_head = FID_NIL;

static void fid_release(struct gofer_fid *f)
{
	if (f->fd >= 0)
		close(f->fd);
	if (f->parent_fd >= 0)
		close(f->parent_fd);
	free(f->name);
	f->fd = -1;
	f->parent_fd = -1;
	f->name = NULL;
}

static int fid_grow(void)
{
	uint32_t ncap = fid_cap ? fid_cap * 2 : 64, i;
	struct gofer_fid *n;

	if (fid_cap >= GOFER_MAX_FIDS)
		return -ENFILE;
	if (ncap > GOFER_MAX_FIDS)
		ncap = GOFER_MAX_FIDS;
	n = realloc(fids, (size_t)ncap * sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (i = ncap; i > fid_cap; i--) {
		struct gofer_fid *f = &n[i - 1];

		f->fd = -1;
		f->parent_fd = -1;
		f->name = NULL;
		f->gen = 1;
		f->next_free = free_head;
		free_head = i - 1;
	}
	fids = n;
	fid_cap = ncap;
	return 0;
}

int fid_alloc(int fd, int parent_fd, char *name, const struct stat *st, uint64_t *out)
{
	struct gofer_fid *f;
	uint32_t slot;
	int err;

	if (free_head == FID_NIL) {
		err = fid_grow();
		if (err) {
			struct gofer_fid tmp = {.fd = fd, .parent_fd = parent_fd, .name = name};

			fid_release(&tmp);
			return err;
		}
	}
	slot = free_head;
	f = &fids[slot];
	free_head = f->next_free;
	f->fd = fd;
	f->parent_fd = parent_fd;
	f->name = name;
	f->dev = st->st_dev;
	f->ino = st->st_ino;
	f->pdev = 0;
	f->pino = 0;
	f->mode = st->st_mode;
	f->unnamed = false;
	*out = ((uint64_t)f->gen << 32) | (uint64_t)(slot + 1);
	return 0;
}

struct gofer_fid *fid_lookup(uint64_t fid)
{
	uint32_t idx = (uint32_t)fid, gen = (uint32_t)(fid >> 32);
	struct gofer_fid *f;

	if (idx == 0 || idx > fid_cap)
		return NULL;
	f = &fids[idx - 1];
	if (f->fd < 0 || f->gen != gen)
		return NULL;
	return f;
}

int fid_free(uint64_t fid)
{
	struct gofer_fid *f = fid_lookup(fid);
	uint32_t slot;

	if (!f)
		return -EBADF;
	slot = (uint32_t)(f - fids);
	fid_release(f);
	f->gen++;
	if (f->gen == 0)
		f->gen = 1;
	f->next_free = free_head;
	free_head = slot;
	return 0;
}

void fid_table_destroy(void)
{
	uint32_t i;

	for (i = 0; i < fid_cap; i++)
		fid_release(&fids[i]);
	free(fids);
	fids = NULL;
	fid_cap = 0;
	free_head = FID_NIL;
}

/* Point f at (dir, name): a new parent descriptor and name, or leave it as
 * it was if that cannot be allocated (a later OPEN then fails with ESTALE
 * rather than reaching another file). */
static void fid_move(struct gofer_fid *f, const struct gofer_fid *dir, const char *name)
{
	char *n = strdup(name);
	int pfd = fcntl(dir->fd, F_DUPFD_CLOEXEC, 0);

	if (!n || pfd < 0) {
		free(n);
		if (pfd >= 0)
			close(pfd);
		return;
	}
	close(f->parent_fd);
	free(f->name);
	f->parent_fd = pfd;
	f->name = n;
	f->pdev = dir->dev;
	f->pino = dir->ino;
}

static bool fid_names(const struct gofer_fid *f, const struct gofer_fid *dir, const char *name)
{
	return f->fd >= 0 && f->parent_fd >= 0 && f->name && f->pdev == dir->dev &&
	       f->pino == dir->ino && strcmp(f->name, name) == 0;
}

void fid_renamed(const struct gofer_fid *olddir, const char *oldname,
		 const struct gofer_fid *newdir, const char *newname, bool exchange)
{
	uint32_t i;
	/* Mark first, then move: with RENAME_EXCHANGE a fid moved to the new
	 * name must not be moved back by the second test. */
	uint8_t *which = calloc(fid_cap ? fid_cap : 1, 1);

	if (!which)
		return;
	for (i = 0; i < fid_cap; i++) {
		if (fid_names(&fids[i], olddir, oldname))
			which[i] = 1;
		else if (exchange && fid_names(&fids[i], newdir, newname))
			which[i] = 2;
	}
	for (i = 0; i < fid_cap; i++) {
		if (which[i] == 1)
			fid_move(&fids[i], newdir, newname);
		else if (which[i] == 2)
			fid_move(&fids[i], olddir, oldname);
	}
	free(which);
}
