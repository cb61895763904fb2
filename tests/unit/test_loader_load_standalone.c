/*
 * loader_load() end to end over FAKE mm and vfs layers (its own executable,
 * not linked with sentrycore): files are host files, the address space is a
 * VMA list plus sparse pages. This checks what the loader asks of mm and vfs
 * (mappings, zero-fill, brk, stack bytes, auxv, argv rewriting, errors)
 * independently of the real subsystems.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_parse.h"
#include "exec_stack.h"
#include "loader.h"
#include "mm/mm.h"
#include "platform/platform.h"
#include "vfs/vfs.h"

/* ---- fake vfs ----------------------------------------------------------- */

struct file {
	int fd;
	int refs;
	char path[4096];
};

static int open_files;

int vfs_open_exec(struct task *t, const char *path, struct file **out)
{
	struct stat st;
	if (!path[0])
		return -ENOENT;
	if (stat(path, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return -EACCES;
	struct file *f = calloc(1, sizeof(*f));
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(f->fd, 0);
	f->refs = 1;
	snprintf(f->path, sizeof(f->path), "%s", path);
	open_files++;
	*out = f;
	return 0;
}

ssize_t file_pread(struct file *f, void *buf, size_t n, uint64_t off)
{
	ssize_t r = pread(f->fd, buf, n, (off_t)off);
	return r < 0 ? -errno : r;
}

int file_path(struct file *f, char *buf, size_t size)
{
	return snprintf(buf, size, "%s", f->path) < (int)size ? 0 : -ENAMETOOLONG;
}

void file_get(struct file *f)
{
	f->refs++;
}

void file_put(struct file *f)
{
	ck_assert_int_gt(f->refs, 0);
	if (--f->refs == 0) {
		close(f->fd);
		free(f);
		open_files--;
	}
}

/* ---- fake mm ------------------------------------------------------------ */

#define MAXV 256
#define STACK_TOP 0x7feffffde000ULL /* below APP_ADDR_MAX */
#define MMAP_TOP 0x7fefe7fff000ULL

struct vma {
	uint64_t start, end;
	int prot, flags;
	struct file *file;
	uint64_t off;
};

struct page {
	uint64_t addr;
	char data[4096];
};

struct mm {
	struct vma v[MAXV];
	int nv;
	struct page *pages;
	int npages;
	uint64_t next_free, brk_base;
	uint64_t arg_start, arg_end, env_start, env_end;
};

static void vma_remove_range(struct mm *mm, uint64_t s, uint64_t e)
{
	struct vma out[MAXV];
	int n = 0;
	for (int i = 0; i < mm->nv; i++) {
		struct vma a = mm->v[i];
		if (a.end <= s || a.start >= e) {
			out[n++] = a;
			continue;
		}
		if (a.start < s) {
			struct vma l = a;
			l.end = s;
			out[n++] = l;
		}
		if (a.end > e) {
			struct vma r = a;
			if (r.file)
				r.off += e - a.start;
			r.start = e;
			out[n++] = r;
		}
		/* Each remaining piece holds its own reference. */
		if (a.file) {
			if (a.start < s)
				file_get(a.file);
			if (a.end > e)
				file_get(a.file);
			file_put(a.file);
		}
	}
	memcpy(mm->v, out, sizeof(out[0]) * (size_t)n);
	mm->nv = n;
}

static int cmp_vma(const void *a, const void *b)
{
	const struct vma *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags, struct file *file,
	     uint64_t off)
{
	if (!len || addr % 4096 || len % 4096 || off % 4096)
		return -EINVAL;
	len = (len + 4095) & ~4095ULL;
	if (!(flags & MAP_FIXED)) {
		mm->next_free -= len;
		addr = mm->next_free;
	}
	if (addr < APP_ADDR_MIN)
		return -EPERM;
	if (addr + len > APP_ADDR_MAX || addr + len < addr)
		return -ENOMEM;
	vma_remove_range(mm, addr, addr + len);
	ck_assert_int_lt(mm->nv, MAXV);
	if (file)
		file_get(file);
	mm->v[mm->nv++] = (struct vma){addr, addr + len, prot, flags, file, off};
	qsort(mm->v, (size_t)mm->nv, sizeof(mm->v[0]), cmp_vma);
	return (long)addr;
}

int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	if (addr % 4096 || !len)
		return -EINVAL;
	vma_remove_range(mm, addr, addr + ((len + 4095) & ~4095ULL));
	return 0;
}

static struct vma *vma_at(struct mm *mm, uint64_t a)
{
	for (int i = 0; i < mm->nv; i++)
		if (a >= mm->v[i].start && a < mm->v[i].end)
			return &mm->v[i];
	return NULL;
}

/* The page at a, materialized from its VMA (file bytes or zeros). */
static struct page *page_at(struct mm *mm, uint64_t a)
{
	uint64_t pa = a & ~4095ULL;
	for (int i = 0; i < mm->npages; i++)
		if (mm->pages[i].addr == pa)
			return &mm->pages[i];
	struct vma *v = vma_at(mm, pa);
	if (!v)
		return NULL;
	mm->pages = realloc(mm->pages, sizeof(*mm->pages) * (size_t)(mm->npages + 1));
	struct page *p = &mm->pages[mm->npages++];
	p->addr = pa;
	memset(p->data, 0, sizeof(p->data));
	if (v->file) {
		ssize_t r = pread(v->file->fd, p->data, 4096, (off_t)(v->off + pa - v->start));
		ck_assert_int_ge(r, 0);
	}
	return p;
}

int mm_write(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	while (n) {
		struct page *p = page_at(mm, dst);
		if (!p)
			return -EFAULT;
		size_t chunk = 4096 - (dst & 4095);
		if (chunk > n)
			chunk = n;
		memcpy(p->data + (dst & 4095), src, chunk);
		dst += chunk;
		src = (const char *)src + chunk;
		n -= chunk;
	}
	return 0;
}

int mm_read(struct mm *mm, void *dst, uint64_t src, size_t n)
{
	while (n) {
		struct page *p = page_at(mm, src);
		if (!p)
			return -EFAULT;
		size_t chunk = 4096 - (src & 4095);
		if (chunk > n)
			chunk = n;
		memcpy(dst, p->data + (src & 4095), chunk);
		src += chunk;
		dst = (char *)dst + chunk;
		n -= chunk;
	}
	return 0;
}

void mm_set_brk_base(struct mm *mm, uint64_t base)
{
	mm->brk_base = base;
}

uint64_t mm_stack_top(struct mm *mm)
{
	return STACK_TOP;
}

/* The vDSO's address as mm_map_vdso reports it (nothing is mapped). */
#define FAKE_VDSO 0x7f0000123000ULL
long mm_map_vdso(struct mm *mm)
{
	return (long)FAKE_VDSO;
}

void mm_set_args(struct mm *mm, uint64_t as, uint64_t ae, uint64_t es, uint64_t ee)
{
	mm->arg_start = as;
	mm->arg_end = ae;
	mm->env_start = es;
	mm->env_end = ee;
}

static struct mm *fake_mm(void)
{
	struct mm *mm = calloc(1, sizeof(*mm));
	mm->next_free = MMAP_TOP;
	return mm;
}

static void fake_mm_free(struct mm *mm)
{
	vma_remove_range(mm, 0, UINT64_MAX);
	free(mm->pages);
	free(mm);
	ck_assert_int_eq(open_files, 0); /* every file reference was dropped */
}

/* ---- helpers ------------------------------------------------------------ */

static char tmpdir[] = "/tmp/loader_test_XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void teardown(void)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

static char *tmp_path(const char *name)
{
	static char buf[4][256];
	static int k;
	char *p = buf[k++ % 4];
	snprintf(p, 256, "%s/%s", tmpdir, name);
	return p;
}

static void write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	close(fd);
	chmod(path, mode);
}

static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	off_t size = lseek(fd, 0, SEEK_END);
	char *buf = malloc((size_t)size);
	ck_assert_int_eq(pread(fd, buf, (size_t)size, 0), size);
	close(fd);
	*len = (size_t)size;
	return buf;
}

struct run {
	struct mm *mm;
	struct loader_result res;
	char err[256];
	int r;
};

static struct run *load(const char *path, char **argv, char **envp)
{
	struct run *run = calloc(1, sizeof(*run));
	struct loader_args args = {.path = path,
				   .argv = argv,
				   .envp = envp,
				   .uid = 1000,
				   .euid = 1000,
				   .gid = 100,
				   .egid = 100};
	run->mm = fake_mm();
	run->r = loader_load(NULL, run->mm, &args, &run->res, run->err, sizeof(run->err));
	return run;
}

static void run_free(struct run *run)
{
	fake_mm_free(run->mm);
	free(run);
}

static uint64_t rd64(struct mm *mm, uint64_t a)
{
	uint64_t v;
	ck_assert_int_eq(mm_read(mm, &v, a, 8), 0);
	return v;
}

static char *rdstr(struct mm *mm, uint64_t a)
{
	static char buf[4096];
	for (size_t i = 0; i < sizeof(buf); i++) {
		ck_assert_int_eq(mm_read(mm, &buf[i], a + i, 1), 0);
		if (!buf[i])
			return buf;
	}
	ck_abort_msg("unterminated string");
	return NULL;
}

static uint64_t auxv(struct mm *mm, uint64_t sp, uint64_t type)
{
	uint64_t argc = rd64(mm, sp);
	uint64_t p = sp + 8 + (argc + 1) * 8;
	while (rd64(mm, p))
		p += 8;
	for (p += 8;; p += 16) {
		uint64_t t = rd64(mm, p);
		if (t == type)
			return rd64(mm, p + 8);
		if (t == AT_NULL)
			return (uint64_t)-1;
	}
}

static void check_argv(struct mm *mm, uint64_t sp, char **want, int n)
{
	ck_assert_uint_eq(rd64(mm, sp), (uint64_t)n);
	for (int i = 0; i < n; i++)
		ck_assert_str_eq(rdstr(mm, rd64(mm, sp + 8 + 8 * (uint64_t)i)), want[i]);
	ck_assert_uint_eq(rd64(mm, sp + 8 + 8 * (uint64_t)n), 0);
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(load_static_exec_busybox)
{
	char *argv[] = {"busybox", "echo", "hi", NULL};
	char *envp[] = {"A=1", NULL};
	struct run *run = load("/bin/busybox", argv, envp);
	ck_assert_msg(run->r == 0, "%d %s", run->r, run->err);
	struct mm *mm = run->mm;
	ck_assert_uint_eq(run->res.entry, 0x40ebf0);
	ck_assert_str_eq(run->res.comm, "busybox");
	ck_assert_str_eq(run->res.exe_path, "/bin/busybox");
	/* The layout native Linux gives (see /proc/self/maps of busybox). */
	struct vma *v = vma_at(mm, 0x400000);
	ck_assert_ptr_nonnull(v);
	ck_assert_uint_eq(v->end, 0x401000);
	ck_assert_int_eq(v->prot, PROT_READ);
	ck_assert_uint_eq(v->off, 0);
	v = vma_at(mm, 0x401000);
	ck_assert_int_eq(v->prot, PROT_READ | PROT_EXEC);
	v = vma_at(mm, 0x5db000);
	ck_assert_ptr_nonnull(v->file);
	ck_assert_int_eq(v->prot, PROT_READ | PROT_WRITE);
	ck_assert_uint_eq(v->start, 0x5db000);
	ck_assert_uint_eq(v->end, 0x5e5000);
	ck_assert_uint_eq(v->off, 0x1da000);
	/* .bss: zeroed tail of the last file page, then anonymous pages. */
	char tail[0x5e5000 - 0x5e4710];
	ck_assert_int_eq(mm_read(mm, tail, 0x5e4710, sizeof(tail)), 0);
	for (size_t i = 0; i < sizeof(tail); i++)
		ck_assert_int_eq(tail[i], 0);
	v = vma_at(mm, 0x5e5000);
	ck_assert_ptr_null(v->file);
	ck_assert_uint_eq(v->end, 0x5ec000);
	ck_assert_int_eq(v->prot, PROT_READ | PROT_WRITE);
	/* brk: a page after .bss, randomized within 32 MiB. */
	ck_assert_uint_ge(mm->brk_base, 0x5ec000 + 4096);
	ck_assert_uint_lt(mm->brk_base, 0x5ed000 + (32 << 20));
	ck_assert_uint_eq(mm->brk_base % 4096, 0);
	/* Stack: 8 MiB GROWSDOWN ending at the stack top. */
	v = vma_at(mm, STACK_TOP - 1);
	ck_assert_uint_eq(v->start, STACK_TOP - EXEC_STACK_SIZE);
	ck_assert(v->flags & MAP_GROWSDOWN);
	ck_assert_int_eq(v->prot, PROT_READ | PROT_WRITE);
	uint64_t sp = run->res.sp;
	ck_assert_uint_eq(sp % 16, 0);
	ck_assert_uint_gt(sp, STACK_TOP - 65536);
	check_argv(mm, sp, argv, 3);
	ck_assert_uint_eq(auxv(mm, sp, AT_BASE), 0);
	ck_assert_uint_eq(auxv(mm, sp, AT_ENTRY), 0x40ebf0);
	ck_assert_uint_eq(auxv(mm, sp, AT_PHDR), 0x400040);
	ck_assert_uint_eq(auxv(mm, sp, AT_UID), 1000);
	ck_assert_str_eq(rdstr(mm, auxv(mm, sp, AT_EXECFN)), "/bin/busybox");
	ck_assert_str_eq(rdstr(mm, auxv(mm, sp, AT_PLATFORM)), "x86_64");
	ck_assert_uint_eq(auxv(mm, sp, AT_SYSINFO_EHDR), FAKE_VDSO);
	ck_assert_str_eq(rdstr(mm, mm->arg_start), "busybox");
	ck_assert_uint_eq(mm->arg_end, mm->env_start);
	ck_assert_str_eq(rdstr(mm, mm->env_start), "A=1");
	ck_assert_uint_eq(mm->env_end, mm->env_start + 4);
	run_free(run);
}
END_TEST

START_TEST(load_pie_with_interpreter)
{
	char *argv[] = {"true", NULL};
	struct run *run = load("/bin/true", argv, NULL);
	ck_assert_msg(run->r == 0, "%d %s", run->r, run->err);
	struct mm *mm = run->mm;
	uint64_t sp = run->res.sp;
	uint64_t base = auxv(mm, sp, AT_PHDR) - 0x40;
	/* ELF_ET_DYN_BASE plus up to 2^28 random pages. */
	ck_assert_uint_ge(base, 0x555555554000ULL);
	ck_assert_uint_lt(base, 0x555555555000ULL + (1ULL << 40));
	ck_assert_uint_eq(base % 4096, 0);
	ck_assert_uint_eq(auxv(mm, sp, AT_ENTRY), base + 0x23d0);
	struct vma *v = vma_at(mm, base);
	ck_assert_ptr_nonnull(v);
	ck_assert_ptr_nonnull(v->file);
	ck_assert_int_eq(v->prot, PROT_READ);
	/* The interpreter, where "mmap" put it: the fake's top-down allocator. */
	uint64_t ibase = auxv(mm, sp, AT_BASE);
	ck_assert_uint_lt(ibase, MMAP_TOP);
	ck_assert_uint_eq(run->res.entry, ibase + 0x1ab70);
	v = vma_at(mm, ibase + 0x1000);
	ck_assert_int_eq(v->prot, PROT_READ | PROT_EXEC);
	ck_assert_uint_eq(v->off, 0x1000);
	/* ld.so's data: its .bss ends within the last file page. */
	v = vma_at(mm, ibase + 0x31000);
	ck_assert_int_eq(v->prot, PROT_READ | PROT_WRITE);
	ck_assert_uint_eq(v->end, ibase + 0x35000);
	/* No holes between the interpreter's segments are left reserved. */
	for (int i = 0; i < mm->nv; i++)
		ck_assert_int_ne(mm->v[i].prot, PROT_NONE);
	ck_assert_uint_ge(mm->brk_base, base + 0xa000);
	ck_assert_str_eq(run->res.comm, "true");
	check_argv(mm, sp, argv, 1);
	ck_assert_uint_eq(auxv(mm, sp, AT_PHNUM), 13);
	ck_assert_uint_eq(auxv(mm, sp, AT_PAGESZ), 4096);
	run_free(run);
}
END_TEST

START_TEST(load_script_rewrites_argv)
{
	const char *s = "#!/bin/true  -x  y \n";
	char *path = tmp_path("script.sh");
	write_file(path, s, strlen(s), 0755);
	char *argv[] = {"whatever", "a1", "a2", NULL};
	struct run *run = load(path, argv, NULL);
	ck_assert_msg(run->r == 0, "%d %s", run->r, run->err);
	char *want[] = {"/bin/true", "-x  y", path, "a1", "a2"};
	check_argv(run->mm, run->res.sp, want, 5);
	ck_assert_str_eq(run->res.comm, "script.sh");
	ck_assert_str_eq(run->res.exe_path, "/bin/true");
	/* AT_EXECFN stays the path execve was given. */
	ck_assert_str_eq(rdstr(run->mm, auxv(run->mm, run->res.sp, AT_EXECFN)), path);
	run_free(run);
}
END_TEST

/* Five nested scripts work, six are ELOOP (as natively). */
START_TEST(load_script_nesting_limit)
{
	char prev[256] = "/bin/true";
	for (int i = 1; i <= 6; i++) {
		char name[16], body[300];
		snprintf(name, sizeof(name), "s%d", i);
		snprintf(body, sizeof(body), "#!%s\n", prev);
		char *p = tmp_path(name);
		write_file(p, body, strlen(body), 0755);
		snprintf(prev, sizeof(prev), "%s", p);
		char *argv[] = {name, NULL};
		struct run *run = load(p, argv, NULL);
		if (i <= 5) {
			ck_assert_msg(run->r == 0, "depth %d: %d %s", i, run->r, run->err);
			ck_assert_uint_eq(rd64(run->mm, run->res.sp), (uint64_t)i + 1);
		} else {
			ck_assert_int_eq(run->r, -ELOOP);
		}
		run_free(run);
	}
}
END_TEST

START_TEST(load_errors)
{
	char *argv[] = {"x", NULL};
	struct run *run;

	run = load(tmp_path("nonexistent"), argv, NULL);
	ck_assert_int_eq(run->r, -ENOENT);
	run_free(run);

	run = load(tmpdir, argv, NULL); /* a directory */
	ck_assert_int_eq(run->r, -EACCES);
	run_free(run);

	char *p = tmp_path("noexec");
	write_file(p, "#!/bin/true\n", 12, 0644);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -EACCES);
	run_free(run);

	p = tmp_path("empty");
	write_file(p, "", 0, 0755);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -ENOEXEC);
	run_free(run);

	char rnd[4096];
	for (size_t i = 0; i < sizeof(rnd); i++)
		rnd[i] = (char)(i * 7919 + 13);
	p = tmp_path("random");
	write_file(p, rnd, sizeof(rnd), 0755);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -ENOEXEC);
	ck_assert_str_eq(run->err, "not an ELF executable or #! script");
	run_free(run);

	p = tmp_path("badinterp");
	write_file(p, "#!/nonexistent/sh -e\n", 21, 0755);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -ENOENT);
	ck_assert_str_eq(run->err, "interpreter /nonexistent/sh not found");
	run_free(run);

	p = tmp_path("emptyinterp");
	write_file(p, "#!\n", 3, 0755);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -ENOEXEC);
	run_free(run);
}
END_TEST

START_TEST(load_truncated_and_hostile_elfs)
{
	size_t len;
	char *buf = slurp("/bin/true", &len);
	char *argv[] = {"x", NULL};
	char *p = tmp_path("trunc");
	/* Every truncation inside the headers is ENOEXEC, never a crash. */
	for (size_t n = 0; n < 64 + 13 * 56; n += 7) {
		write_file(p, buf, n, 0755);
		struct run *run = load(p, argv, NULL);
		ck_assert_msg(run->r == -ENOEXEC, "len %zu: %d", n, run->r);
		ck_assert(run->err[0]);
		run_free(run);
	}
	/* Truncated before the PT_INTERP string (at 0x318). */
	write_file(p, buf, 0x320, 0755);
	struct run *run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -EIO); /* as Linux's elf_read() */
	ck_assert_str_eq(run->err, "truncated interpreter path");
	run_free(run);

	/* A missing PT_INTERP interpreter is ENOENT with the path. */
	char *copy = malloc(len);
	memcpy(copy, buf, len);
	ck_assert_str_eq(copy + 0x318, "/lib64/ld-linux-x86-64.so.2");
	memcpy(copy + 0x318, "/lib64/ld-nonexistent.so.2", 27);
	write_file(p, copy, len, 0755);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -ENOENT);
	ck_assert_str_eq(run->err, "interpreter /lib64/ld-nonexistent.so.2 not found");
	run_free(run);

	/* An interpreter that is not an ELF file: ELIBBAD; one shorter than an
	 * ELF header: EIO (Linux's elf_read() of the header). */
	char *sh = tmp_path("f");
	char script[200];
	memset(script, '#', sizeof(script));
	memcpy(script, "#!/bin/true\n", 12);
	write_file(sh, script, sizeof(script), 0755);
	memset(copy + 0x318, 0, 28);
	ck_assert_uint_lt(strlen(sh), 28);
	memcpy(copy + 0x318, sh, strlen(sh));
	write_file(p, copy, len, 0755);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -ELIBBAD);
	ck_assert_ptr_nonnull(strstr(run->err, "is not an ELF file"));
	run_free(run);
	write_file(sh, script, 40, 0755);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -EIO);
	ck_assert_ptr_nonnull(strstr(run->err, "truncated ELF header"));
	run_free(run);

	/* A static executable placed over the stack: EEXIST, stack intact. */
	size_t blen;
	char *bb = slurp("/bin/busybox", &blen);
	Elf64_Ehdr beh;
	memcpy(&beh, bb, sizeof(beh));
	for (int i = 0; i < beh.e_phnum; i++) {
		Elf64_Phdr ph;
		memcpy(&ph, bb + beh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD)
			ph.p_vaddr += STACK_TOP - 0x800000 - 0x400000;
		memcpy(bb + beh.e_phoff + (size_t)i * sizeof(ph), &ph, sizeof(ph));
	}
	beh.e_entry += STACK_TOP - 0x800000 - 0x400000;
	memcpy(bb, &beh, sizeof(beh));
	write_file(p, bb, blen, 0755);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -EEXIST);
	ck_assert_str_eq(run->err, "executable overlaps the stack");
	ck_assert(vma_at(run->mm, STACK_TOP - 1)->flags & MAP_GROWSDOWN);
	run_free(run);
	free(bb);

	/* Absurd program headers: phnum beyond 64 KiB worth. */
	memcpy(copy, buf, len);
	uint16_t phnum = 0xffff;
	memcpy(copy + offsetof(Elf64_Ehdr, e_phnum), &phnum, 2);
	write_file(p, copy, len, 0755);
	run = load(p, argv, NULL);
	ck_assert_int_eq(run->r, -ENOEXEC);
	ck_assert_ptr_nonnull(strstr(run->err, "too many program headers"));
	run_free(run);
	free(copy);
	free(buf);
}
END_TEST

START_TEST(load_e2big_and_empty_argv)
{
	char *big = malloc(EXEC_MAX_ARG_STRLEN + 1);
	memset(big, 'x', EXEC_MAX_ARG_STRLEN);
	big[EXEC_MAX_ARG_STRLEN] = '\0';
	char *argv[] = {"x", big, NULL};
	struct run *run = load("/bin/busybox", argv, NULL);
	ck_assert_int_eq(run->r, -E2BIG);
	run_free(run);
	free(big);

	/* argc == 0 runs with argv = { "" } as Linux >= 5.18 does. */
	char *none[] = {NULL};
	run = load("/bin/busybox", none, NULL);
	ck_assert_int_eq(run->r, 0);
	char *want[] = {""};
	check_argv(run->mm, run->res.sp, want, 1);
	run_free(run);
}
END_TEST

/* Every file of tests/security/gen_bad_elfs.py gives the MANIFEST's result. */
START_TEST(load_security_corpus)
{
	static const struct {
		const char *name;
		int err;
	} errs[] = {{"ENOEXEC", ENOEXEC}, {"EACCES", EACCES},	{"ENOENT", ENOENT},
		    {"EIO", EIO},	  {"ELIBBAD", ELIBBAD}, {"ELOOP", ELOOP}};
	char cmd[512], line[512];
	snprintf(cmd, sizeof(cmd), "python3 %s %s", GEN_BAD_ELFS, tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	FILE *m = fopen(tmp_path("MANIFEST"), "r");
	ck_assert_ptr_nonnull(m);
	int n = 0;
	while (fgets(line, sizeof(line), m)) {
		char name[64], expected[32], native[32], reason[256];
		line[strcspn(line, "\n")] = '\0';
		ck_assert_int_eq(
		    sscanf(line, "%63s %31s %31s %255[^\n]", name, expected, native, reason), 4);
		char *argv[] = {name, NULL};
		struct run *run = load(tmp_path(name), argv, NULL);
		if (!strncmp(expected, "exit:", 5)) {
			ck_assert_msg(run->r == 0, "%s: %d %s", name, run->r, run->err);
		} else {
			int want = 0;
			for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++)
				if (!strcmp(errs[i].name, expected))
					want = errs[i].err;
			ck_assert_msg(want, "%s: unknown errno %s", name, expected);
			ck_assert_msg(run->r == -want, "%s: got %d (%s), want -%s", name, run->r,
				      run->err, expected);
			if (strcmp(reason, "-"))
				ck_assert_msg(strstr(run->err, reason),
					      "%s: reason '%s' lacks '%s'", name, run->err, reason);
		}
		run_free(run);
		n++;
	}
	fclose(m);
	ck_assert_int_gt(n, 30);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("loader_load");
	TCase *tc = tcase_create("load");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, load_static_exec_busybox);
	tcase_add_test(tc, load_pie_with_interpreter);
	tcase_add_test(tc, load_script_rewrites_argv);
	tcase_add_test(tc, load_script_nesting_limit);
	tcase_add_test(tc, load_errors);
	tcase_add_test(tc, load_truncated_and_hostile_elfs);
	tcase_add_test(tc, load_e2big_and_empty_argv);
	tcase_add_test(tc, load_security_corpus);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	int run = srunner_ntests_run(sr);
	srunner_free(sr);
	return failed == 0 && run > 0 ? 0 : 1;
}
