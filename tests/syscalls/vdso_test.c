/*
 * The vDSO: AT_SYSINFO_EHDR names an ELF image whose dynamic symbols
 * (looked up here by parsing it, not through libc) give the same clocks as
 * the syscalls; MONOTONIC never goes backwards across threads; [vvar] cannot
 * be made writable, [vdso] can (privately), and fork keeps both.
 */
#include <elf.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

#include "harness.h"

#define NSEC 1000000000LL
#define TOLERANCE_NS (50 * 1000000LL) /* vDSO vs syscall */

typedef int (*gettime_fn)(clockid_t, struct timespec *);
typedef int (*gettimeofday_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef int (*getcpu_fn)(unsigned *, unsigned *, void *);

struct vdso {
	uintptr_t base, bias;
	const Elf64_Sym *sym;
	const char *str;
	const Elf64_Half *versym;
	const Elf64_Verdef *verdef;
	uint32_t nsyms;
};

static bool vdso_open(struct vdso *v)
{
	memset(v, 0, sizeof(*v));
	v->base = getauxval(AT_SYSINFO_EHDR);
	if (!v->base)
		return false;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)v->base;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_type != ET_DYN || eh->e_machine != EM_X86_64 ||
	    eh->e_phentsize != sizeof(Elf64_Phdr))
		return false;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(v->base + eh->e_phoff);
	const Elf64_Dyn *dyn = NULL;
	bool have_load = false;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			v->bias = v->base + ph[i].p_offset - ph[i].p_vaddr;
			have_load = true;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(v->base + ph[i].p_offset);
		}
	}
	if (!have_load || !dyn)
		return false;
	const Elf32_Word *hash = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		uintptr_t p = v->bias + dyn->d_un.d_ptr;
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			v->sym = (const Elf64_Sym *)p;
			break;
		case DT_STRTAB:
			v->str = (const char *)p;
			break;
		case DT_HASH:
			hash = (const Elf32_Word *)p;
			break;
		case DT_VERSYM:
			v->versym = (const Elf64_Half *)p;
			break;
		case DT_VERDEF:
			v->verdef = (const Elf64_Verdef *)p;
			break;
		}
	}
	if (!v->sym || !v->str || !hash)
		return false;
	v->nsyms = hash[1]; /* nchain */
	return true;
}

/* Does symbol i have version `ver` (through versym and verdef)? */
static bool vdso_sym_version(const struct vdso *v, uint32_t i, const char *ver)
{
	if (!v->versym || !v->verdef)
		return false;
	Elf64_Half want = v->versym[i] & 0x7fff;
	const Elf64_Verdef *d = v->verdef;
	for (;;) {
		if (!(d->vd_flags & VER_FLG_BASE) && (d->vd_ndx & 0x7fff) == want) {
			const Elf64_Verdaux *aux =
			    (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
			return strcmp(v->str + aux->vda_name, ver) == 0;
		}
		if (!d->vd_next)
			return false;
		d = (const Elf64_Verdef *)((const char *)d + d->vd_next);
	}
}

static void *vdso_sym(const struct vdso *v, const char *name)
{
	for (uint32_t i = 1; i < v->nsyms; i++) {
		const Elf64_Sym *s = &v->sym[i];
		if (ELF64_ST_TYPE(s->st_info) != STT_FUNC || s->st_shndx == SHN_UNDEF)
			continue;
		if (ELF64_ST_BIND(s->st_info) != STB_GLOBAL &&
		    ELF64_ST_BIND(s->st_info) != STB_WEAK)
			continue;
		if (strcmp(v->str + s->st_name, name) == 0 && vdso_sym_version(v, i, "LINUX_2.6"))
			return (void *)(v->bias + s->st_value);
	}
	return NULL;
}

static struct vdso V;
static gettime_fn v_gettime, v_getres;
static gettimeofday_fn v_gettimeofday;
static time_fn v_time;
static getcpu_fn v_getcpu;

static bool load_vdso(void)
{
	if (!vdso_open(&V))
		return FAIL("no usable vDSO at AT_SYSINFO_EHDR %#lx", getauxval(AT_SYSINFO_EHDR));
	v_gettime = (gettime_fn)vdso_sym(&V, "__vdso_clock_gettime");
	v_getres = (gettime_fn)vdso_sym(&V, "__vdso_clock_getres");
	v_gettimeofday = (gettimeofday_fn)vdso_sym(&V, "__vdso_gettimeofday");
	v_time = (time_fn)vdso_sym(&V, "__vdso_time");
	v_getcpu = (getcpu_fn)vdso_sym(&V, "__vdso_getcpu");
	return EXPECT_TRUE(v_gettime) && EXPECT_TRUE(v_getres) && EXPECT_TRUE(v_gettimeofday) &&
	       EXPECT_TRUE(v_time) && EXPECT_TRUE(v_getcpu);
}

static long long ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC + ts->tv_nsec;
}

static long long sys_ns(clockid_t c)
{
	struct timespec ts;
	if (syscall(SYS_clock_gettime, c, &ts) != 0)
		return -1;
	return ts_ns(&ts);
}

static const clockid_t served[] = {CLOCK_REALTIME,	   CLOCK_MONOTONIC,
				   CLOCK_MONOTONIC_RAW,	   CLOCK_REALTIME_COARSE,
				   CLOCK_MONOTONIC_COARSE, CLOCK_BOOTTIME};

TEST(auxv_names_an_elf_image)
{
	if (!load_vdso())
		return;
	/* Every symbol Linux's x86_64 vDSO exports, with the plain aliases. */
	const char *names[] = {"clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!vdso_sym(&V, names[i]))
			FAIL("vDSO lacks %s@LINUX_2.6", names[i]);
	EXPECT_EQ(V.base & 4095, 0);
}

/* /proc/self/maps: [vdso] starts at AT_SYSINFO_EHDR, r-x; [vvar] below it, r--. */
TEST(maps_show_vvar_and_vdso)
{
	uintptr_t base = getauxval(AT_SYSINFO_EHDR);
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool vdso = false, vvar = false;

	if (!EXPECT_TRUE(base) || !EXPECT_TRUE(f))
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8];
		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
			continue;
		if (strstr(line, "[vdso]")) {
			vdso = true;
			EXPECT_EQ(lo, base);
			EXPECT_STREQ(perms, "r-xp");
		} else if (strstr(line, "[vvar]")) {
			vvar = true;
			EXPECT_LT(hi, base + 1);
			EXPECT_STREQ(perms, "r--p");
		}
	}
	fclose(f);
	EXPECT_TRUE(vdso);
	EXPECT_TRUE(vvar);
}

TEST(clock_gettime_agrees_with_syscall)
{
	if (!load_vdso())
		return;
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
		clockid_t c = served[i];
		struct timespec ts = {-1, -1};
		long long before = sys_ns(c);
		int r = v_gettime(c, &ts);
		long long after = sys_ns(c);
		if (!EXPECT_EQ(r, 0))
			continue;
		EXPECT_TRUE(ts.tv_nsec >= 0 && ts.tv_nsec < NSEC);
		long long v = ts_ns(&ts);
		if (v < before - TOLERANCE_NS || v > after + TOLERANCE_NS)
			FAIL("clock %d: vDSO %lld outside syscall [%lld, %lld] +- 50 ms", c, v,
			     before, after);
	}
}

/* Clocks the vDSO does not compute itself still work (through the syscall). */
TEST(cpu_clocks_through_vdso)
{
	struct timespec ts = {-1, -1};
	if (!load_vdso())
		return;
	EXPECT_EQ(v_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), 0);
	EXPECT_TRUE(ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < NSEC);
	EXPECT_EQ(v_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), 0);
	EXPECT_TRUE(ts.tv_sec >= 0 && ts.tv_nsec >= 0 && ts.tv_nsec < NSEC);
}

TEST(invalid_clock_is_einval)
{
	struct timespec ts;
	if (!load_vdso())
		return;
	EXPECT_EQ(v_gettime(12345, &ts), -EINVAL);
	EXPECT_EQ(v_gettime(16, &ts), -EINVAL);
	EXPECT_EQ(v_getres(12345, &ts), -EINVAL);
	/* A CPU clock of a process that does not exist: (~pid << 3) | 2. */
	EXPECT_EQ(v_gettime((clockid_t)((~4194303U << 3) | 2), &ts), -EINVAL);
	EXPECT_ERRNO(clock_gettime(12345, &ts), EINVAL);
}

TEST(clock_getres_agrees_with_syscall)
{
	if (!load_vdso())
		return;
	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
		struct timespec a = {-1, -1}, b = {-2, -2};
		EXPECT_EQ(v_getres(served[i], &a), 0);
		EXPECT_EQ(syscall(SYS_clock_getres, served[i], &b), 0);
		EXPECT_EQ(a.tv_sec, b.tv_sec);
		EXPECT_EQ(a.tv_nsec, b.tv_nsec);
	}
	EXPECT_EQ(v_getres(CLOCK_MONOTONIC, NULL), 0);
}

TEST(gettimeofday_and_time_agree_with_realtime)
{
	struct timeval tv = {-1, -1};
	struct timezone tz = {-1, -1};
	if (!load_vdso())
		return;
	long long before = sys_ns(CLOCK_REALTIME);
	EXPECT_EQ(v_gettimeofday(&tv, &tz), 0);
	time_t t1 = v_time(NULL), t2 = -1;
	time_t t3 = v_time(&t2);
	long long after = sys_ns(CLOCK_REALTIME);

	EXPECT_TRUE(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	long long v = tv.tv_sec * NSEC + tv.tv_usec * 1000LL;
	if (v < before - TOLERANCE_NS || v > after + TOLERANCE_NS)
		FAIL("gettimeofday %lld outside [%lld, %lld] +- 50 ms", v, before, after);
	struct timezone stz = {-2, -2};
	EXPECT_EQ(syscall(SYS_gettimeofday, NULL, &stz), 0);
	EXPECT_EQ(tz.tz_minuteswest, stz.tz_minuteswest);
	EXPECT_EQ(tz.tz_dsttime, stz.tz_dsttime);
	EXPECT_EQ(t2, t3);
	EXPECT_GE(t1, (before - TOLERANCE_NS) / NSEC);
	EXPECT_LE(t3, (after + TOLERANCE_NS) / NSEC);
	EXPECT_LE(t1, t3);
	EXPECT_EQ(v_gettimeofday(NULL, NULL), 0);
}

TEST(getcpu_gives_an_allowed_cpu)
{
	unsigned cpu = ~0u, node = ~0u;
	cpu_set_t set;
	if (!load_vdso())
		return;
	EXPECT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	EXPECT_EQ(v_getcpu(&cpu, &node, NULL), 0);
	EXPECT_LT(cpu, CPU_SETSIZE);
	EXPECT_LT(node, 1024);
	if (cpu < CPU_SETSIZE)
		EXPECT_TRUE(CPU_ISSET(cpu, &set));
	EXPECT_EQ(v_getcpu(NULL, NULL, NULL), 0);
}

/* MONOTONIC never decreases, within a thread or across threads: each read
 * must be at least the largest value any thread published before it. */
#define MONO_READS 500000L
#define MONO_MIN_NS (700 * 1000000LL) /* spans several of the sentry's updates */
static _Atomic long long mono_max;
static atomic_int mono_bad;

static void *mono_reader(void *arg)
{
	clockid_t c = (clockid_t)(intptr_t)arg;
	struct timespec ts;
	long long start = -1, prev = -1;

	for (long i = 0;; i++) {
		long long seen = atomic_load(&mono_max);
		if (v_gettime(c, &ts) != 0) {
			atomic_fetch_add(&mono_bad, 1);
			break;
		}
		long long now = ts_ns(&ts);
		if (now < seen || now < prev) {
			atomic_fetch_add(&mono_bad, 1);
			printf("  clock %d went back: %lld after %lld (thread) / %lld (all)\n", c,
			       now, prev, seen);
			break;
		}
		prev = now;
		while (seen < now && !atomic_compare_exchange_weak(&mono_max, &seen, now))
			;
		if (start < 0)
			start = now;
		if (i >= MONO_READS && now - start >= MONO_MIN_NS)
			break;
	}
	return NULL;
}

static void mono_check(clockid_t c)
{
	pthread_t th[2];
	atomic_store(&mono_max, 0);
	atomic_store(&mono_bad, 0);
	for (int i = 0; i < 2; i++)
		EXPECT_EQ(pthread_create(&th[i], NULL, mono_reader, (void *)(intptr_t)c), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	EXPECT_EQ(atomic_load(&mono_bad), 0);
}

TEST(monotonic_never_decreases_across_threads)
{
	if (!load_vdso())
		return;
	mono_check(CLOCK_MONOTONIC);
}

TEST(monotonic_raw_and_boottime_never_decrease)
{
	if (!load_vdso())
		return;
	mono_check(CLOCK_MONOTONIC_RAW);
	mono_check(CLOCK_BOOTTIME);
}

/* The range of the mapping named name ("[vvar]"), from /proc/self/maps. */
static bool find_named(const char *name, uintptr_t *lo, uintptr_t *hi)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, name) && sscanf(line, "%lx-%lx", lo, hi) == 2) {
			found = true;
			break;
		}
	fclose(f);
	return found;
}

TEST(vvar_cannot_be_made_writable)
{
	uintptr_t lo, hi;
	if (!EXPECT_TRUE(find_named("[vvar]", &lo, &hi)))
		return;
	EXPECT_ERRNO(mprotect((void *)lo, 4096, PROT_READ | PROT_WRITE), EACCES);
	EXPECT_ERRNO(mprotect((void *)lo, 4096, PROT_READ | PROT_EXEC), EACCES);
	EXPECT_EQ(mprotect((void *)lo, 4096, PROT_READ), 0);
}

/* Run fn in a forked child; its exit status must be 0. */
static void in_child(int (*fn)(void))
{
	pid_t p = fork();
	int st;
	if (p == 0)
		_exit(fn());
	if (!EXPECT_TRUE(p > 0))
		return;
	EXPECT_EQ(waitpid(p, &st, 0), p);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		FAIL("child status %#x", st);
}

/*
 * A debugger's breakpoint: the whole [vdso] can be made writable, and the
 * write stays in the process. (Recent Linux, 6.18 here, forbids splitting special
 * mappings, EINVAL, so the range is always the whole VMA.)
 */
static int write_vdso_child(void)
{
	uintptr_t lo, hi;
	if (!find_named("[vdso]", &lo, &hi))
		return 1;
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE) != 0)
		return 2;
	((volatile char *)lo)[0x20] ^= 0x55; /* e_phoff's bytes, unused after load */
	return mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC) == 0 ? 0 : 3;
}

static int use_vdso_child(void)
{
	struct timespec ts;
	if (v_gettime(CLOCK_MONOTONIC, &ts) != 0)
		return 1;
	long long a = ts_ns(&ts), b = sys_ns(CLOCK_MONOTONIC);
	return a <= b + TOLERANCE_NS && a >= b - 2 * TOLERANCE_NS ? 0 : 2;
}

static int unmap_vdso_child(void)
{
	uintptr_t lo, hi;
	if (!find_named("[vdso]", &lo, &hi))
		return 1;
	if (munmap((void *)lo, hi - lo) != 0)
		return 2;
	return find_named("[vdso]", &lo, &hi) ? 3 : 0;
}

/* mremap moves [vdso] (CRIU does it), and /proc/self/maps follows. */
static int move_vdso_child(void)
{
	uintptr_t lo, hi, nlo, nhi;
	if (!find_named("[vdso]", &lo, &hi))
		return 1;
	char *area = mmap(NULL, 1 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (area == MAP_FAILED)
		return 2;
	void *to = area + 0x10000;
	if (mremap((void *)lo, hi - lo, hi - lo, MREMAP_MAYMOVE | MREMAP_FIXED, to) != to)
		return 3;
	if (!find_named("[vdso]", &nlo, &nhi) || nlo != (uintptr_t)to || nhi - nlo != hi - lo)
		return 4;
	return memcmp(to, "\177ELF", 4) == 0 ? 0 : 5;
}

TEST(vdso_writes_are_private_and_fork_keeps_it)
{
	if (!load_vdso())
		return;
	char before = ((volatile char *)V.base)[0x20];
	in_child(write_vdso_child);
	EXPECT_EQ(((volatile char *)V.base)[0x20], before);
	in_child(use_vdso_child);
	in_child(unmap_vdso_child);
	in_child(move_vdso_child);
	struct timespec ts;
	EXPECT_EQ(v_gettime(CLOCK_MONOTONIC, &ts), 0);
}
