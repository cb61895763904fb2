/*
 * Resident set sizes (/proc/PID/{stat,statm,status,smaps}, /proc/meminfo).
 *
 * Application memory is host memory of the stub processes and the sentry
 * sees no page faults, so residency is sampled: the platform's mincore op,
 * injected into the address space, writes one byte per page into a scratch
 * vector that the sampler maps for the purpose in a free gap of the VMA set
 * (and unmaps before mm->lock is dropped, so the application never sees it),
 * and the sentry reads the vector back. Adjacent VMAs are sampled with one
 * mincore call (one injection, ~15 us on ptrace) per RSS_SCRATCH_MAX pages;
 * PROT_NONE VMAs (reservations) are not sampled and count as not resident.
 * Runs are sampled smallest first within RSS_MAX_CALLS vector-fuls (64 GiB
 * of address space); a run beyond that (a sanitizer's terabytes of shadow)
 * keeps its previous figures, or counts as not resident.
 *
 * Only a sentry thread that serves a task of the address space can inject
 * into it (platform.h), and after boot the sentry opens no host path, so it
 * cannot read the stub's /proc/PID/statm. Hence:
 *  - a reader in the same mm (/proc/self/...) samples at once;
 *  - another reader asks (mm_rss_request, under kernel.lock): unless a sample
 *    younger than RSS_FRESH_NS exists, it raises the mm's `wanted` flag and
 *    kicks one task of the mm (task_interrupt: a spurious wake every sleep
 *    already tolerates); the task's sentry thread takes the sample at its
 *    next stop or in its sleep loop (mm_rss_service, hooked into the run loop
 *    and the central sleeps), and the reader waits up to RSS_WAIT_NS for it
 *    (mm_rss_get), answering requests for its own mm meanwhile;
 *  - a reader that gets no sample in time uses the last one (however old),
 *    or, if the mm was never sampled, the mapped size (an upper bound).
 * Nothing is sampled while nobody reads.
 *
 * Attribution by VMA kind: private anonymous -> RssAnon, shared anonymous ->
 * RssShmem, file mappings -> RssFile. For file mappings mincore reports the
 * file's page cache, not only the pages this process touched, so RssFile
 * (and the file VMAs' smaps Rss) can be higher than Linux's.
 *
 * Locking: mm->lock (held while sampling, for the VMA set and the scratch
 * gap) -> mm_rss_state.lock (a leaf; readers wait on its cond).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "kernel/task.h"
#include "mm/mm_impl.h"

#define RSS_FRESH_NS 500000000LL   /* a sample this young answers other readers */
#define RSS_WAIT_NS 250000000LL    /* how long a reader waits for a requested sample */
#define RSS_WAIT_SLICE_NS 5000000LL /* ... re-checking its own mm's requests this often */
#define RSS_SCRATCH_MAX (256 * 1024) /* vector bytes per mincore call: 1 GiB of pages */
#define RSS_MAX_CALLS 64           /* vector-fuls per sample: 64 GiB of address space */

enum { RSS_ANON, RSS_FILE, RSS_SHMEM };

struct rss_vma {
	uint64_t start, end, pages;
};

struct mm_rss_state {
	pthread_mutex_t lock; /* leaf, after mm->lock */
	pthread_cond_t cond;  /* (CLOCK_MONOTONIC) broadcast when a sample is stored */
	atomic_int wanted;    /* a reader waits for a sample from the mm's own tasks */
	/* lock: the last sample */
	bool have;
	bool exact;          /* every run was sampled (else some kept old figures) */
	int64_t when;        /* CLOCK_MONOTONIC ns */
	uint64_t pages[3];   /* resident pages by kind */
	uint64_t hwm;        /* highest rss seen, bytes */
	struct rss_vma *v;   /* per VMA, sorted (smaps) */
	int nv;
};

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int vma_kind(const struct vma *v)
{
	if (v->file)
		return RSS_FILE;
	return (v->flags & MAP_SHARED) ? RSS_SHMEM : RSS_ANON;
}

/* The mm's state, created on first use (published with a CAS, so no lock is
 * needed; safe under kernel.lock). NULL only on ENOMEM. */
static struct mm_rss_state *rss_state(struct mm *mm)
{
	struct mm_rss_state *st = __atomic_load_n(&mm->rss, __ATOMIC_ACQUIRE), *exp = NULL;
	pthread_condattr_t ca;

	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	pthread_mutex_init(&st->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (__atomic_compare_exchange_n(&mm->rss, &exp, st, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return st;
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
	free(st);
	return exp;
}

void mm_rss_release(struct mm *mm)
{
	struct mm_rss_state *st = mm->rss;

	if (!st)
		return;
	free(st->v);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
	free(st);
	mm->rss = NULL;
}

/* A run of adjacent, sampled (not PROT_NONE) VMAs i..j-1: one mincore
 * range, since mincore fails on holes. */
struct rss_run {
	int i, j;
	uint64_t pages;
};

static int run_cmp(const void *a, const void *b)
{
	const struct rss_run *x = a, *y = b;
	return x->pages < y->pages ? -1 : x->pages > y->pages;
}

/* The previous sample's figure for a VMA that could not be sampled now
 * (same bounds), else 0. mm->lock held, which keeps st->v stable. */
static uint64_t previous_pages(struct mm_rss_state *st, uint64_t start, uint64_t end)
{
	if (!st || !st->have)
		return 0;
	for (int i = 0; i < st->nv; i++)
		if (st->v[i].start == start && st->v[i].end == end)
			return st->v[i].pages;
	return 0;
}

/* mincore [a, a+len) of the run's VMAs from k on, adding resident pages to
 * v; scratch at addr, buf local. Returns the VMA index reached, or -1. */
static int sample_range(struct mm *mm, struct rss_vma *v, int k, uint64_t a, uint64_t len,
			uint64_t addr, unsigned char *buf)
{
	size_t np = (size_t)(len / PAGE_SIZE);

	if (platform->mincore(mm->as, a, len, addr) < 0 ||
	    platform->read(mm->as, buf, addr, np) != (ssize_t)np)
		return -1;
	for (size_t p = 0; p < np;) {
		uint64_t pa = a + p * PAGE_SIZE;
		while (mm->vmas[k].end <= pa)
			k++;
		size_t lim = (size_t)((mm->vmas[k].end - a) / PAGE_SIZE), cnt = 0;
		if (lim > np)
			lim = np;
		for (; p < lim; p++)
			cnt += buf[p] & 1;
		v[k].pages += cnt;
	}
	return k;
}

/*
 * Sample every VMA's residency into v (nvmas entries); mm->lock held, on a
 * sentry thread whose platform thread is in mm. Runs are sampled smallest
 * first within a budget of RSS_MAX_CALLS vector-fuls, so that huge sparse
 * reservations (a sanitizer's shadow, a JIT's heap) cannot starve the rest;
 * a run that is over budget or fails keeps its previous sample's figures
 * (else 0) and *exact is cleared. Returns 0 or -errno.
 */
static int sample_locked(struct mm *mm, struct mm_rss_state *st, struct rss_vma *v, bool *exact)
{
	uint64_t budget = (uint64_t)RSS_MAX_CALLS * RSS_SCRATCH_MAX, need = 0, biggest = 0;
	uint64_t scratch = 0, addr = 0;
	struct rss_run *runs;
	unsigned char *buf = NULL;
	int nruns = 0, r = 0;

	*exact = true;
	for (int i = 0; i < mm->nvmas; i++)
		v[i] = (struct rss_vma){mm->vmas[i].start, mm->vmas[i].end, 0};
	runs = malloc((mm->nvmas > 0 ? (size_t)mm->nvmas : 1) * sizeof(*runs));
	if (!runs)
		return -ENOMEM;
	for (int i = 0; i < mm->nvmas;) {
		if (mm->vmas[i].prot == PROT_NONE) {
			i++;
			continue;
		}
		int j = i + 1;
		while (j < mm->nvmas && mm->vmas[j].start == mm->vmas[j - 1].end &&
		       mm->vmas[j].prot != PROT_NONE)
			j++;
		runs[nruns++] = (struct rss_run){i, j,
						 (mm->vmas[j - 1].end - mm->vmas[i].start) / PAGE_SIZE};
		i = j;
	}
	qsort(runs, (size_t)nruns, sizeof(*runs), run_cmp);
	/* The runs that fit the budget (a prefix), and the biggest of them. */
	for (int n = 0; n < nruns && runs[n].pages <= budget - need; n++) {
		need += runs[n].pages;
		biggest = runs[n].pages;
	}
	if (need) {
		scratch = PAGE_ALIGN(biggest < RSS_SCRATCH_MAX ? biggest : RSS_SCRATCH_MAX);
		buf = malloc(scratch);
		addr = buf ? find_free(mm, scratch, 0) : 0;
		r = !buf ? -ENOMEM : !addr ? -ENOMEM
			: platform->map_anon(mm->as, addr, scratch, PROT_READ | PROT_WRITE, 0);
		if (r < 0)
			goto out;
	}
	for (int n = 0; n < nruns; n++) {
		int i = runs[n].i, j = runs[n].j, k = i;
		uint64_t a = mm->vmas[i].start, end = mm->vmas[j - 1].end;
		bool ok = runs[n].pages <= budget;
		if (ok)
			budget -= runs[n].pages;
		while (ok && a < end) {
			uint64_t len = end - a;
			if (len > scratch * PAGE_SIZE)
				len = scratch * PAGE_SIZE;
			k = sample_range(mm, v, k, a, len, addr, buf);
			ok = k >= 0;
			a += len;
		}
		if (!ok) {
			*exact = false;
			for (k = i; k < j; k++)
				v[k].pages = previous_pages(st, v[k].start, v[k].end);
		}
	}
	if (need)
		platform->unmap(mm->as, addr, scratch);
out:
	free(buf);
	free(runs);
	return r;
}

/* Take a sample of mm and store it; the caller serves a task of mm and holds
 * no lock. force: even if no reader asked (a reader in the same mm). */
static void refresh(struct mm *mm, struct mm_rss_state *st, bool force)
{
	struct rss_vma *v = NULL;
	uint64_t pages[3] = {0, 0, 0};
	bool exact = false;
	int r, n;

	pthread_mutex_lock(&mm->lock);
	/* Another thread of the mm may have answered while this one waited. */
	if (!force && !atomic_load(&st->wanted)) {
		pthread_mutex_unlock(&mm->lock);
		return;
	}
	n = mm->nvmas;
	v = calloc(n > 0 ? (size_t)n : 1, sizeof(*v));
	r = v ? sample_locked(mm, st, v, &exact) : -ENOMEM;
	if (r == 0)
		for (int i = 0; i < n; i++)
			pages[vma_kind(&mm->vmas[i])] += v[i].pages;

	/* Stored with mm->lock still held: st->v changes only under both. */
	pthread_mutex_lock(&st->lock);
	if (r == 0) {
		uint64_t rss = (pages[0] + pages[1] + pages[2]) * PAGE_SIZE;
		free(st->v);
		st->v = v;
		st->nv = n;
		v = NULL;
		memcpy(st->pages, pages, sizeof(pages));
		st->have = true;
		st->exact = exact;
		st->when = mono_ns();
		if (rss > st->hwm)
			st->hwm = rss;
	}
	/* Answered (or failed: the waiting readers fall back at once). */
	atomic_store(&st->wanted, 0);
	pthread_cond_broadcast(&st->cond);
	pthread_mutex_unlock(&st->lock);
	pthread_mutex_unlock(&mm->lock);
	free(v);
}

bool mm_rss_pending(struct mm *mm)
{
	struct mm_rss_state *st = mm ? __atomic_load_n(&mm->rss, __ATOMIC_ACQUIRE) : NULL;

	return st && atomic_load(&st->wanted);
}

void mm_rss_service(struct task *t)
{
	if (!t || t != task_current() || !mm_rss_pending(t->mm))
		return;
	refresh(t->mm, t->mm->rss, false);
}

void mm_rss_request(struct mm *mm, struct task *t)
{
	struct task *cur = task_current();
	struct mm_rss_state *st;
	bool fresh;

	if (!mm || !t || t->exited || (cur && cur->mm == mm))
		return;
	st = rss_state(mm);
	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	fresh = st->have && mono_ns() - st->when < RSS_FRESH_NS;
	pthread_mutex_unlock(&st->lock);
	if (fresh)
		return;
	atomic_store(&st->wanted, 1);
	task_interrupt(t);
}

static uint64_t mapped_size(struct mm *mm)
{
	uint64_t total = 0;

	pthread_mutex_lock(&mm->lock);
	for (int i = 0; i < mm->nvmas; i++)
		total += mm->vmas[i].end - mm->vmas[i].start;
	pthread_mutex_unlock(&mm->lock);
	return total;
}

static uint64_t cap(uint64_t x, uint64_t lim)
{
	return x < lim ? x : lim;
}

/* Fill out from st's sample (st->lock held) or the bound. */
static void fill(struct mm_rss_state *st, uint64_t vsize, struct mm_rss_info *out)
{
	memset(out, 0, sizeof(*out));
	out->vsize = vsize;
	if (!st || !st->have) {
		out->rss = out->anon = out->hwm = vsize;
		return;
	}
	out->sampled = true;
	out->anon = cap(st->pages[RSS_ANON] * PAGE_SIZE, vsize);
	out->file = cap(st->pages[RSS_FILE] * PAGE_SIZE, vsize - out->anon);
	out->shmem = cap(st->pages[RSS_SHMEM] * PAGE_SIZE, vsize - out->anon - out->file);
	out->rss = out->anon + out->file + out->shmem;
	out->hwm = st->hwm > out->rss ? st->hwm : out->rss;
}

void mm_rss_get(struct mm *mm, struct mm_rss_info *out)
{
	struct task *cur = task_current();
	struct mm_rss_state *st = rss_state(mm);
	uint64_t vsize;

	if (st && cur && cur->mm == mm) {
		refresh(mm, st, true);
	} else if (st && atomic_load(&st->wanted)) {
		int64_t until = mono_ns() + RSS_WAIT_NS, now;
		/* In slices: a reader whose own mm is asked for meanwhile (two
		 * processes reading each other) answers between them. */
		while (atomic_load(&st->wanted) && (now = mono_ns()) < until) {
			int64_t w = now + RSS_WAIT_SLICE_NS < until ? now + RSS_WAIT_SLICE_NS : until;
			struct timespec ts = {w / 1000000000LL, w % 1000000000LL};
			pthread_mutex_lock(&st->lock);
			if (atomic_load(&st->wanted))
				pthread_cond_timedwait(&st->cond, &st->lock, &ts);
			pthread_mutex_unlock(&st->lock);
			mm_rss_service(cur);
		}
	}
	vsize = mapped_size(mm);
	if (st)
		pthread_mutex_lock(&st->lock);
	fill(st, vsize, out);
	if (st)
		pthread_mutex_unlock(&st->lock);
}

void mm_stats(struct mm *mm, uint64_t *vsize, uint64_t *rss)
{
	struct mm_rss_state *st = __atomic_load_n(&mm->rss, __ATOMIC_ACQUIRE);
	struct task *cur = task_current();
	struct mm_rss_info info;

	/* The caller's own mm (getrusage): refresh a missing or stale sample. */
	if (cur && cur->mm == mm && (st || (st = rss_state(mm)))) {
		pthread_mutex_lock(&st->lock);
		bool stale = !st->have || mono_ns() - st->when >= RSS_FRESH_NS;
		pthread_mutex_unlock(&st->lock);
		if (stale)
			refresh(mm, st, true);
	}

	*vsize = mapped_size(mm);
	if (st)
		pthread_mutex_lock(&st->lock);
	fill(st, *vsize, &info);
	if (st)
		pthread_mutex_unlock(&st->lock);
	*rss = info.rss;
}

/* For smaps rendering (mm->lock held): the resident bytes of [start, end)
 * in the last sample, or -1 when it has no such VMA (not sampled). */
int64_t mm_rss_vma_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	struct mm_rss_state *st = __atomic_load_n(&mm->rss, __ATOMIC_ACQUIRE);
	int64_t r = -1;

	if (!st)
		return -1;
	pthread_mutex_lock(&st->lock);
	int lo = 0, hi = st->have ? st->nv : 0;
	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (st->v[mid].end <= start)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < (st->have ? st->nv : 0) && st->v[lo].start == start && st->v[lo].end == end)
		r = (int64_t)(st->v[lo].pages * PAGE_SIZE);
	pthread_mutex_unlock(&st->lock);
	return r;
}
