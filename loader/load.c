/*
 * loader_load(): execve's loading half, after Linux's fs/exec.c,
 * fs/binfmt_script.c and fs/binfmt_elf.c (6.x):
 *
 *  1. open the file (vfs_open_exec), read its first 256 bytes;
 *  2. "#!" scripts restart with the interpreter and a new argv (at most six
 *     binfmt passes, so five nested scripts, as Linux's exec_binprm);
 *  3. ELF: read and validate the program headers and the PT_INTERP
 *     interpreter's before mapping anything;
 *  4. map the stack, the executable (ET_DYN at a randomized ELF_ET_DYN_BASE
 *     when it has an interpreter, else where mm_mmap puts it), the
 *     interpreter (where mm_mmap puts it), set the randomized brk base, map
 *     the vDSO (mm_map_vdso) and write argv/envp/auxv onto the stack.
 *
 * The caller gives an empty mm and throws it away if we fail, so nothing is
 * undone here on error.
 */
#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "elf_parse.h"
#include "exec_stack.h"
#include "loader.h"
#include "mm/mm.h"
#include "platform/platform.h"
#include "shebang.h"
#include "vfs/vfs.h"

#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

/* x86_64's ELF_ET_DYN_BASE: 2/3 of the 47-bit user window (not page-aligned,
 * as in Linux; randomize_page() and the bias computation align it). */
#define ELF_ET_DYN_BASE ((0x7ffffffff000ULL / 3) * 2)
#define MMAP_RND_BITS 28	    /* x86_64 default mmap_rnd_bits */
#define BRK_RND_RANGE (32ULL << 20) /* arch_randomize_brk() */
#define MAX_BINFMT_DEPTH 5	    /* exec_binprm(): "depth > 5" is ELOOP */
#define MAX_SCRIPT_STRINGS (2 * (MAX_BINFMT_DEPTH + 1))

struct exec_state {
	struct task *t;
	struct mm *mm;
	const struct loader_args *args;
	char **argv; /* current argument vector (argv[0] included) */
	int argc;
	char **argv_alloc;		 /* malloc'd vector from a #! rewrite, or NULL */
	char *owned[MAX_SCRIPT_STRINGS]; /* interpreter names and arguments from #! lines */
	int nowned;
	char *err;
	size_t errlen;
	uint64_t stack_lo, stack_hi; /* the stack mapping, made first */
};

/* One ELF file mapped into the address space. */
struct loaded {
	struct elf_image img;
	uint64_t bias; /* added to every p_vaddr */
};

static int fail(struct exec_state *st, int r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a one-line reason and return r. */
static int fail(struct exec_state *st, int r, const char *fmt, ...)
{
	if (st->err && st->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(st->err, st->errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

static int random_bytes(void *buf, size_t n)
{
	char *p = buf;
	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static int random_u64(uint64_t *v)
{
	return random_bytes(v, sizeof(*v));
}

/* Read up to n bytes at off; fewer only at end of file. Bytes or -errno. */
static ssize_t read_full(struct file *f, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = file_pread(f, (char *)buf + done, n - done, off + done);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

/* Linux's randomize_page(): a page-aligned address in [start, start+range). */
static uint64_t randomize_page(uint64_t start, uint64_t range, uint64_t rnd)
{
	if (ELF_PAGEOFFSET(start)) {
		range -= ELF_PAGEALIGN(start) - start;
		start = ELF_PAGEALIGN(start);
	}
	range >>= 12;
	if (!range)
		return start;
	return start + ((rnd % range) << 12);
}

/* ---- mapping ELF images ------------------------------------------------- */

/* Map one PT_LOAD at bias + p_vaddr as Linux's elf_load(): the file pages,
 * the rest of the last file page zeroed (if writable), anonymous pages for
 * the remaining .bss. */
static int map_segment(struct mm *mm, struct file *f, const struct elf_seg *s, uint64_t bias)
{
	static const char zeros[ELF_PAGE_SIZE];
	uint64_t addr = bias + s->vaddr;
	uint64_t zero_start, zero_end;
	long r;

	if (s->filesz) {
		uint64_t size = ELF_PAGEALIGN(s->filesz + ELF_PAGEOFFSET(s->vaddr));
		uint64_t off = s->offset - ELF_PAGEOFFSET(s->vaddr);
		r = mm_mmap(mm, ELF_PAGESTART(addr), size, s->prot, MAP_PRIVATE | MAP_FIXED, f,
			    off);
		if (r < 0)
			return (int)r;
		zero_start = addr + s->filesz;
		zero_end = addr + s->memsz;
		/* padzero(): Linux ignores the failure on a read-only segment,
		 * so there the file's bytes stay; we do not try. */
		if (s->memsz > s->filesz && ELF_PAGEOFFSET(zero_start) && (s->prot & PROT_WRITE)) {
			r = mm_write(mm, zero_start, zeros,
				     ELF_PAGE_SIZE - ELF_PAGEOFFSET(zero_start));
			if (r)
				return -EFAULT;
		}
	} else {
		zero_start = ELF_PAGESTART(addr);
		zero_end = zero_start + ELF_PAGEOFFSET(s->vaddr) + s->memsz;
	}
	if (s->memsz > s->filesz) {
		zero_start = ELF_PAGEALIGN(zero_start);
		zero_end = ELF_PAGEALIGN(zero_end);
		/* vm_brk_flags(): read-write, executable only if the segment is. */
		if (zero_end > zero_start) {
			r = mm_mmap(mm, zero_start, zero_end - zero_start,
				    PROT_READ | PROT_WRITE | (s->prot & PROT_EXEC),
				    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
			if (r < 0)
				return (int)r;
		}
	}
	return 0;
}

static int cmp_u64_pair(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;
	return x[0] < y[0] ? -1 : x[0] > y[0];
}

/* Map every segment of l->img at l->bias. When the span was reserved first
 * (gaps == true), unmap the holes between segments as Linux leaves them. */
static int map_image(struct mm *mm, struct file *f, struct loaded *l, bool gaps)
{
	const struct elf_image *img = &l->img;
	for (int i = 0; i < img->nsegs; i++) {
		int r = map_segment(mm, f, &img->segs[i], l->bias);
		if (r)
			return r;
	}
	if (!gaps)
		return 0;
	uint64_t(*iv)[2] = calloc((size_t)img->nsegs, sizeof(*iv));
	if (!iv)
		return -ENOMEM;
	for (int i = 0; i < img->nsegs; i++) {
		iv[i][0] = ELF_PAGESTART(l->bias + img->segs[i].vaddr);
		iv[i][1] = ELF_PAGEALIGN(l->bias + img->segs[i].vaddr + img->segs[i].memsz);
	}
	qsort(iv, (size_t)img->nsegs, sizeof(*iv), cmp_u64_pair);
	int r = 0;
	uint64_t end = iv[0][1];
	for (int i = 1; i < img->nsegs && !r; i++) {
		if (iv[i][0] > end)
			r = mm_munmap(mm, end, iv[i][0] - end);
		if (iv[i][1] > end)
			end = iv[i][1];
	}
	free(iv);
	return r;
}

/* Let mm pick a free range for the image's span (aligned to align) and
 * reserve it; sets l->bias. */
static int reserve_free(struct mm *mm, struct loaded *l, uint64_t align)
{
	uint64_t span = l->img.hi - l->img.lo;
	uint64_t extra = align > ELF_PAGE_SIZE ? align - ELF_PAGE_SIZE : 0;
	long a = mm_mmap(mm, 0, span + extra, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	if (a < 0)
		return (int)a;
	uint64_t start = ((uint64_t)a + align - 1) & ~(align - 1);
	int r = 0;
	if (start > (uint64_t)a)
		r = mm_munmap(mm, (uint64_t)a, start - (uint64_t)a);
	if (!r && (uint64_t)a + span + extra > start + span)
		r = mm_munmap(mm, start + span, (uint64_t)a + span + extra - (start + span));
	l->bias = start - l->img.lo;
	return r;
}

/* A fixed placement must not replace the stack: Linux maps executables
 * with MAP_FIXED_NOREPLACE, which fails with EEXIST there. */
static int check_fixed(struct exec_state *st, uint64_t start, uint64_t end)
{
	if (start < st->stack_hi && end > st->stack_lo)
		return fail(st, -EEXIST, "executable overlaps the stack");
	return 0;
}

/* Map the main executable. */
static int map_main(struct exec_state *st, struct file *f, struct loaded *exe, bool has_interp)
{
	struct elf_image *img = &exe->img;
	int r;

	if (img->type == ET_EXEC) {
		exe->bias = 0;
		r = check_fixed(st, img->lo, img->hi);
		return r ? r : map_image(st->mm, f, exe, false);
	}
	if (!has_interp) {
		/* Static PIE: wherever mmap puts it (Linux loads it with a zero
		 * load_bias, i.e. at the mmap base). */
		r = reserve_free(st->mm, exe, img->max_align);
		return r ? r : map_image(st->mm, f, exe, true);
	}
	uint64_t rnd;
	r = random_u64(&rnd);
	if (r)
		return r;
	uint64_t base = ELF_ET_DYN_BASE + ((rnd & ((1ULL << MMAP_RND_BITS) - 1)) << 12);
	base &= ~(img->max_align - 1);
	base = ELF_PAGESTART(base);
	if (base > APP_ADDR_MAX || img->hi - img->lo > APP_ADDR_MAX - base)
		return fail(st, -ENOMEM, "executable does not fit in the address space");
	exe->bias = base - img->lo;
	r = check_fixed(st, base, base + (img->hi - img->lo));
	return r ? r : map_image(st->mm, f, exe, false);
}

/* Map the PT_INTERP interpreter. */
static int map_interp(struct exec_state *st, struct file *f, struct loaded *in)
{
	if (in->img.type == ET_EXEC) {
		in->bias = 0;
		return map_image(st->mm, f, in, false);
	}
	int r = reserve_free(st->mm, in, ELF_PAGE_SIZE);
	return r ? r : map_image(st->mm, f, in, true);
}

/* ---- reading and validating ELF files ----------------------------------- */

/* Read and validate the program headers of an ELF file whose head is read. */
static int read_image(struct file *f, const char *head, size_t headlen, struct elf_image *img,
		      char *err, size_t errlen)
{
	uint64_t phoff;
	size_t phsize;
	int r = elf_check_ehdr(head, headlen, &phoff, &phsize, err, errlen);
	if (r)
		return r;
	char *ph = malloc(phsize);
	if (!ph)
		return -ENOMEM;
	ssize_t n = read_full(f, ph, phsize, phoff);
	if (n < 0)
		r = (int)n;
	else if ((size_t)n < phsize) {
		r = -ENOEXEC;
		if (err && errlen)
			snprintf(err, errlen, "truncated program header table");
	} else
		r = elf_parse_image(head, headlen, ph, phsize, img, err, errlen);
	free(ph);
	return r;
}

/* Open, read and validate the interpreter named by the executable's PT_INTERP.
 * As Linux: a short header is EIO, an interpreter that is not a valid x86_64
 * ELF file is ELIBBAD. */
static int open_interp(struct exec_state *st, struct file *exe_file, const struct elf_image *exe,
		       struct file **out, struct elf_image *img)
{
	char head[ELF_HEAD_BYTES];
	char why[160];
	char *path = malloc(exe->interp_len);
	int r;

	if (!path)
		return -ENOMEM;
	ssize_t n = read_full(exe_file, path, exe->interp_len, exe->interp_off);
	if (n < 0) {
		r = (int)n;
		goto out_path;
	}
	if ((uint64_t)n < exe->interp_len) {
		r = fail(st, -EIO, "truncated interpreter path"); /* Linux's elf_read() */
		goto out_path;
	}
	r = elf_check_interp(path, exe->interp_len, st->err, st->errlen);
	if (r)
		goto out_path;
	if (!path[0]) {
		r = fail(st, -ENOENT, "empty interpreter path");
		goto out_path;
	}
	r = vfs_open_exec(st->t, path, out);
	if (r) {
		if (r == -ENOENT)
			fail(st, r, "interpreter %s not found", path);
		else
			fail(st, r, "interpreter %s: cannot open (%s)", path, strerror(-r));
		goto out_path;
	}
	n = read_full(*out, head, sizeof(head), 0);
	if (n < 0)
		r = (int)n;
	else if ((size_t)n < sizeof(Elf64_Ehdr)) /* Linux's elf_read() of the header */
		r = fail(st, -EIO, "interpreter %s: truncated ELF header", path);
	else if (!elf_is_elf(head, (size_t)n))
		r = fail(st, -ELIBBAD, "interpreter %s is not an ELF file", path);
	else if ((r = read_image(*out, head, (size_t)n, img, why, sizeof(why))) == -ENOEXEC)
		r = fail(st, -ELIBBAD, "interpreter %s: %s", path, why);
	if (r) {
		file_put(*out);
		*out = NULL;
	}
out_path:
	free(path);
	return r;
}

/* ---- the initial stack -------------------------------------------------- */

static uint64_t host_hwcap(void)
{
	unsigned int a, b, c, d;
	if (!__get_cpuid(1, &a, &b, &c, &d))
		return 0;
	return d; /* Linux's ELF_HWCAP on x86: CPUID.1:EDX */
}

static int map_stack(struct exec_state *st, bool exec)
{
	uint64_t top = ELF_PAGESTART(mm_stack_top(st->mm));
	if (top < EXEC_STACK_SIZE + APP_ADDR_MIN || top > APP_ADDR_MAX)
		return fail(st, -ENOMEM, "bad stack top");
	long r = mm_mmap(st->mm, top - EXEC_STACK_SIZE, EXEC_STACK_SIZE,
			 PROT_READ | PROT_WRITE | (exec ? PROT_EXEC : 0),
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, NULL, 0);
	if (r < 0)
		return (int)r;
	st->stack_lo = top - EXEC_STACK_SIZE;
	st->stack_hi = top;
	return 0;
}

/* Keep a copy of the auxv just laid out (for /proc/PID/auxv, as Linux's
 * mm->saved_auxv): it follows argc, argv[], NULL, envp[], NULL. */
static void save_auxv(const struct exec_stack_out *out, int argc, int envc,
		      struct loader_result *res)
{
	const uint64_t *w = out->image;
	size_t nw = out->size / sizeof(uint64_t);
	size_t i = (size_t)argc + (size_t)envc + 3;

	res->auxv_words = 0;
	while (i + 1 < nw && res->auxv_words + 2 <= LOADER_AUXV_WORDS) {
		res->auxv[res->auxv_words++] = w[i];
		res->auxv[res->auxv_words++] = w[i + 1];
		if (w[i] == AT_NULL)
			break;
		i += 2;
	}
}

/* The credentials after exec of f (set-ID bits, capabilities), and whether
 * the exec is secure: Linux's begin_new_exec -> bprm_creds_from_file. */
static void exec_creds(struct exec_state *st, struct file *f, struct loader_result *res)
{
	const struct loader_args *a = st->args;

	if (a->creds && a->exec_creds)
		res->secure = a->exec_creds(a->creds, f, &res->creds);
	else
		res->secure = a->secure;
}

static int write_stack(struct exec_state *st, const struct loaded *exe, const struct loaded *interp,
		       uint64_t vdso, struct loader_result *res)
{
	const struct loader_args *a = st->args;
	struct exec_stack_in in = {
	    .argv = st->argv,
	    .argc = st->argc,
	    .envp = a->envp,
	    .envc = exec_count(a->envp),
	    .execfn = a->path,
	    .platform = "x86_64",
	};
	struct exec_stack_out out;
	uint64_t top = ELF_PAGESTART(mm_stack_top(st->mm));
	int r;

	r = random_bytes(in.random, sizeof(in.random));
	if (!r)
		r = random_bytes(&in.align_rnd, sizeof(in.align_rnd));
	if (r)
		return r;
	in.aux = (struct exec_auxv){
	    .phdr = exe->bias + (exe->img.has_phdr_addr ? exe->img.phdr_addr : 0),
	    .phent = sizeof(Elf64_Phdr),
	    .phnum = exe->img.phnum,
	    .base = interp ? interp->bias : 0, /* load_elf_interp()'s load_addr */
	    .flags = 0,
	    .entry = exe->bias + exe->img.entry,
	    .uid = a->uid,
	    .euid = a->euid,
	    .gid = a->gid,
	    .egid = a->egid,
	    .secure = a->secure ? 1 : 0,
	    .hwcap = host_hwcap(),
	    .hwcap2 = getauxval(AT_HWCAP2),
	    .minsigstksz = getauxval(AT_MINSIGSTKSZ),
	    .sysinfo_ehdr = vdso,
	};
	if (a->creds && a->exec_creds) {
		in.aux.uid = res->creds.uid;
		in.aux.euid = res->creds.euid;
		in.aux.gid = res->creds.gid;
		in.aux.egid = res->creds.egid;
		in.aux.secure = res->secure ? 1 : 0;
	}
	r = exec_stack_build(&in, top, EXEC_STACK_SIZE, &out);
	if (r)
		return r == -E2BIG ? fail(st, r, "argument list too long") : r;
	save_auxv(&out, in.argc, in.envc, res);
	r = mm_write(st->mm, out.sp, out.image, out.size);
	if (!r) {
		mm_set_args(st->mm, out.arg_start, out.arg_end, out.env_start, out.env_end);
		res->sp = out.sp;
	}
	exec_stack_release(&out);
	return r;
}

/* ---- ELF executables ---------------------------------------------------- */

static int load_elf(struct exec_state *st, struct file *f, const char *head, size_t headlen,
		    struct loader_result *res)
{
	struct loaded exe = {0}, interp = {0};
	struct file *ifile = NULL;
	uint64_t rnd, brk;
	int r;

	r = read_image(f, head, headlen, &exe.img, st->err, st->errlen);
	if (r)
		return r;
	if (exe.img.has_interp) {
		r = open_interp(st, f, &exe.img, &ifile, &interp.img);
		if (r)
			goto out;
	}

	/* The stack first, so that mmap never places anything where it goes. */
	r = map_stack(st, exe.img.stack_exec);
	if (r)
		goto out;
	r = map_main(st, f, &exe, ifile != NULL);
	if (r)
		goto out;
	uint64_t entry = exe.bias + exe.img.entry;
	if (entry >= APP_ADDR_MAX) {
		r = fail(st, -ENOEXEC, "entry point outside the user address space");
		goto out;
	}

	/* brk: after the executable's .bss (plus a guard page), or for a static
	 * PIE in the unused ELF_ET_DYN_BASE region; then randomized. */
	if (exe.img.type == ET_DYN && !ifile)
		brk = ELF_ET_DYN_BASE;
	else
		brk = exe.bias + exe.img.hi + ELF_PAGE_SIZE;
	r = random_u64(&rnd);
	if (r)
		goto out;
	mm_set_brk_base(st->mm, randomize_page(brk, BRK_RND_RANGE, rnd));

	if (ifile) {
		r = map_interp(st, ifile, &interp);
		if (r)
			goto out;
		entry = interp.bias + interp.img.entry;
		if (entry >= APP_ADDR_MAX) {
			r = fail(st, -ENOEXEC, "interpreter entry point outside the address space");
			goto out;
		}
	}
	/* The vDSO last, as Linux's arch_setup_additional_pages(): just below
	 * the interpreter. */
	long vdso = mm_map_vdso(st->mm);
	if (vdso < 0) {
		r = (int)vdso;
		goto out;
	}
	exec_creds(st, f, res);
	r = write_stack(st, &exe, ifile ? &interp : NULL, (uint64_t)vdso, res);
	if (r)
		goto out;
	res->entry = entry;
	r = file_path(f, res->exe_path, sizeof(res->exe_path));
	if (r > 0)
		r = 0;
out:
	if (ifile)
		file_put(ifile);
	elf_image_release(&interp.img);
	elf_image_release(&exe.img);
	return r;
}

/* ---- scripts ------------------------------------------------------------ */

/* Rewrite argv for a "#!" script at path; *next is the interpreter to run. */
static int rewrite_script(struct exec_state *st, const char *path, const char *head, size_t len,
			  const char **next)
{
	struct shebang sb;
	int r = shebang_parse(head, len, &sb, st->err, st->errlen);
	if (r)
		return r;
	if (st->nowned + 2 > MAX_SCRIPT_STRINGS)
		return -ELOOP;
	char *interp = strdup(sb.interp);
	if (!interp)
		return -ENOMEM;
	st->owned[st->nowned++] = interp;
	char *arg = NULL;
	if (sb.arg) {
		arg = strdup(sb.arg);
		if (!arg)
			return -ENOMEM;
		st->owned[st->nowned++] = arg;
	}
	int argc;
	char **v = shebang_argv(interp, arg, path, st->argv, st->argc, &argc);
	if (!v)
		return -ENOMEM;
	free(st->argv_alloc);
	st->argv = st->argv_alloc = v;
	st->argc = argc;
	*next = interp;
	return 0;
}

static void set_comm(char *comm, const char *path)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(comm, 16, "%s", base);
}

int loader_load(struct task *t, struct mm *mm, const struct loader_args *args,
		struct loader_result *res, char *err, size_t errlen)
{
	static char empty[] = "";
	static char *empty_argv[] = {empty, NULL};
	struct exec_state st = {.t = t, .mm = mm, .args = args, .err = err, .errlen = errlen};
	const char *path = args->path;
	char head[ELF_HEAD_BYTES];
	int r, envc;

	if (err && errlen)
		err[0] = '\0';
	st.argc = exec_count(args->argv);
	envc = exec_count(args->envp);
	if (st.argc < 0 || envc < 0)
		return fail(&st, -E2BIG, "argument list too long");
	st.argv = args->argv;
	if (st.argc == 0) {
		/* Linux >= 5.18 runs an empty argv as { "" }. */
		st.argv = empty_argv;
		st.argc = 1;
	}

	for (int depth = 0;; depth++) {
		struct file *f;

		r = exec_check_args(st.argv, st.argc, args->envp, envc, args->path,
				    EXEC_STACK_SIZE);
		if (r) {
			fail(&st, r, "argument list too long");
			break;
		}
		if (depth > MAX_BINFMT_DEPTH) {
			r = fail(&st, -ELOOP, "too many levels of #! interpreters");
			break;
		}
		r = vfs_open_exec(t, path, &f);
		if (r) {
			if (depth > 0 && r == -ENOENT)
				fail(&st, r, "interpreter %s not found", path);
			break;
		}
		ssize_t n = read_full(f, head, sizeof(head), 0);
		if (n < 0) {
			r = (int)n;
		} else if (shebang_is_script(head, (size_t)n)) {
			r = rewrite_script(&st, path, head, (size_t)n, &path);
			file_put(f);
			if (r)
				break;
			continue;
		} else if (elf_is_elf(head, (size_t)n)) {
			r = load_elf(&st, f, head, (size_t)n, res);
		} else {
			r = fail(&st, -ENOEXEC, "not an ELF executable or #! script");
		}
		file_put(f);
		break;
	}
	if (!r)
		set_comm(res->comm, args->path);
	free(st.argv_alloc);
	for (int i = 0; i < st.nowned; i++)
		free(st.owned[i]);
	return r;
}
