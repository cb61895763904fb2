/*
 * /proc/PID/maps and smaps: renderings of the VMA set (split from mm.c).
 * The resident sizes come from rss.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "mm/mm_impl.h"
#include "vfs/vfs.h"

/* The smaps block after a maps line. Rss is the VMA's resident size in the
 * last residency sample (rss.c; the reader asked for a fresh one), or its
 * mapped size (an upper bound) if that sample does not know the VMA. Private
 * file pages count as clean, anonymous ones as dirty; Pss = Rss (sharing
 * with other processes is not known). mm->lock held. */
static int render_smaps_block(struct mm *mm, char *out, size_t room, const struct vma *v)
{
	unsigned long size = (unsigned long)((v->end - v->start) >> 10);
	int64_t res = mm_rss_vma_locked(mm, v->start, v->end);
	unsigned long kb = res < 0 ? size : (unsigned long)(res >> 10);
	bool anon = !v->file;
	bool shared = v->flags & MAP_SHARED;
	unsigned long sh_clean = shared && !anon ? kb : 0, sh_dirty = shared && anon ? kb : 0;
	unsigned long pr_clean = !shared && !anon ? kb : 0, pr_dirty = !shared && anon ? kb : 0;

	return snprintf(out, room,
			"Size:           %8lu kB\nKernelPageSize: %8d kB\nMMUPageSize:    %8d kB\n"
			"Rss:            %8lu kB\nPss:            %8lu kB\nPss_Dirty:      %8lu kB\n"
			"Shared_Clean:   %8lu kB\nShared_Dirty:   %8lu kB\n"
			"Private_Clean:  %8lu kB\nPrivate_Dirty:  %8lu kB\n"
			"Referenced:     %8lu kB\nAnonymous:      %8lu kB\nKSM:            %8d kB\n"
			"LazyFree:       %8d kB\nAnonHugePages:  %8d kB\nShmemPmdMapped: %8d kB\n"
			"FilePmdMapped:  %8d kB\nShared_Hugetlb: %8d kB\nPrivate_Hugetlb:%8d kB\n"
			"Swap:           %8d kB\nSwapPss:        %8d kB\nLocked:         %8d kB\n"
			"THPeligible:    %d\nVmFlags:%s%s%s%s mr mw me%s%s\n",
			size, 4, 4, kb, kb, sh_dirty + pr_dirty, sh_clean, sh_dirty, pr_clean, pr_dirty, kb,
			anon && !shared ? kb : 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
			v->prot & PROT_READ ? " rd" : "", v->prot & PROT_WRITE ? " wr" : "",
			v->prot & PROT_EXEC ? " ex" : "", shared ? " sh" : "", shared ? " ms" : "",
			v->flags & MAP_GROWSDOWN ? " gd" : "");
}

static char *render_maps(struct mm *mm, size_t *lenp, bool smaps)
{
	size_t cap = 4096, len = 0;
	char *out = malloc(cap);
	char path[4096];

	if (!out)
		return NULL;
	pthread_mutex_lock(&mm->lock);
	for (int i = 0; i < mm->nvmas; i++) {
		const struct vma *v = &mm->vmas[i];
		uint64_t dev = 0, ino = 0;
		const char *name = v->name ? v->name : "";
		if (v->file) {
			file_ids(v->file, &dev, &ino);
			if (file_path(v->file, path, sizeof(path)) >= 0)
				name = path;
		}
		if (cap - len < 4096 + 1400) {
			char *n = realloc(out, cap * 2);
			if (!n) {
				free(out);
				out = NULL;
				break;
			}
			out = n;
			cap *= 2;
		}
		int n = snprintf(out + len, cap - len, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu",
				 (unsigned long)v->start, (unsigned long)v->end,
				 v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
				 v->prot & PROT_EXEC ? 'x' : '-',
				 v->flags & MAP_SHARED ? 's' : 'p', (unsigned long)v->off,
				 (unsigned)((dev >> 8) & 0xfff), (unsigned)(dev & 0xff),
				 (unsigned long)ino);
		if (n < 0)
			continue;
		len += (size_t)n;
		if (*name) {
			int pad = 73 - n;
			n = snprintf(out + len, cap - len, "%*s%s", pad > 1 ? pad : 1, "", name);
			if (n > 0)
				len += (size_t)n;
		}
		out[len++] = '\n';
		out[len] = 0;
		if (smaps) {
			n = render_smaps_block(mm, out + len, cap - len, v);
			if (n > 0 && (size_t)n < cap - len)
				len += (size_t)n;
		}
	}
	pthread_mutex_unlock(&mm->lock);
	if (out && lenp)
		*lenp = len;
	return out;
}

char *mm_render_maps(struct mm *mm, size_t *lenp)
{
	return render_maps(mm, lenp, false);
}

char *mm_render_smaps(struct mm *mm, size_t *lenp)
{
	return render_maps(mm, lenp, true);
}
