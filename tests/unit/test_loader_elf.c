/*
 * The loader's ELF parser (loader/elf.c) against real binaries, every
 * truncation of their headers, random bytes, and hand-made hostile headers.
 */
#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#include "elf_parse.h"
#include "platform/platform.h"

/* ---- helpers ------------------------------------------------------------ */

/* Read a whole host file into malloc'd memory. */
static char *slurp(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "open %s", path);
	off_t size = lseek(fd, 0, SEEK_END);
	ck_assert_int_gt(size, 0);
	char *buf = malloc((size_t)size);
	ck_assert_ptr_nonnull(buf);
	ck_assert_int_eq(pread(fd, buf, (size_t)size, 0), size);
	close(fd);
	*len = (size_t)size;
	return buf;
}

/* A synthetic ELF: header + up to 8 program headers right after it. */
struct fake {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[8];
};

static void fake_init(struct fake *f, int type)
{
	memset(f, 0, sizeof(*f));
	memcpy(f->eh.e_ident, ELFMAG, SELFMAG);
	f->eh.e_ident[EI_CLASS] = ELFCLASS64;
	f->eh.e_ident[EI_DATA] = ELFDATA2LSB;
	f->eh.e_ident[EI_VERSION] = EV_CURRENT;
	f->eh.e_type = type;
	f->eh.e_machine = EM_X86_64;
	f->eh.e_version = EV_CURRENT;
	f->eh.e_entry = 0x401000;
	f->eh.e_phoff = sizeof(Elf64_Ehdr);
	f->eh.e_ehsize = sizeof(Elf64_Ehdr);
	f->eh.e_phentsize = sizeof(Elf64_Phdr);
	f->eh.e_phnum = 2;
	/* text: the headers and code; data: with .bss */
	f->ph[0] = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_flags = PF_R | PF_X,
				.p_offset = 0,
				.p_vaddr = 0x400000,
				.p_filesz = 0x2000,
				.p_memsz = 0x2000,
				.p_align = 0x1000};
	f->ph[1] = (Elf64_Phdr){.p_type = PT_LOAD,
				.p_flags = PF_R | PF_W,
				.p_offset = 0x2100,
				.p_vaddr = 0x403100,
				.p_filesz = 0x100,
				.p_memsz = 0x5000,
				.p_align = 0x1000};
}

/* Parse a fake from an exactly-sized heap copy (so ASan sees overreads). */
static int fake_parse(const struct fake *f, struct elf_image *img, char *err, size_t errlen)
{
	size_t len = sizeof(Elf64_Ehdr) +
		     (size_t)(f->eh.e_phnum < 8 ? f->eh.e_phnum : 8) * sizeof(Elf64_Phdr);
	char *copy = malloc(len);
	ck_assert_ptr_nonnull(copy);
	memcpy(copy, f, len);
	err[0] = '\0';
	int r = elf_parse(copy, len, img, err, errlen);
	free(copy);
	return r;
}

/* Expect -ENOEXEC with a reason containing want. */
static void expect_noexec(const struct fake *f, const char *want)
{
	struct elf_image img;
	char err[128];
	int r = fake_parse(f, &img, err, sizeof(err));
	ck_assert_int_eq(r, -ENOEXEC);
	ck_assert_msg(strstr(err, want), "reason '%s' lacks '%s'", err, want);
	ck_assert_ptr_null(img.segs);
}

/* Invariants every successfully parsed image must satisfy. */
static void check_invariants(const struct elf_image *img)
{
	ck_assert(img->type == ET_EXEC || img->type == ET_DYN);
	ck_assert_int_gt(img->nsegs, 0);
	ck_assert_int_le(img->nsegs, img->phnum);
	ck_assert_uint_le(img->hi, APP_ADDR_MAX);
	ck_assert_uint_lt(img->lo, img->hi);
	ck_assert_uint_eq(img->lo % ELF_PAGE_SIZE, 0);
	ck_assert_uint_eq(img->hi % ELF_PAGE_SIZE, 0);
	for (int i = 0; i < img->nsegs; i++) {
		const struct elf_seg *s = &img->segs[i];
		ck_assert_uint_le(s->filesz, s->memsz);
		ck_assert_uint_gt(s->memsz, 0);
		ck_assert_uint_le(s->vaddr + s->memsz, APP_ADDR_MAX);
		ck_assert_uint_eq(s->vaddr % ELF_PAGE_SIZE, s->offset % ELF_PAGE_SIZE);
		ck_assert_uint_le(s->offset + s->filesz, (uint64_t)INT64_MAX);
	}
	if (img->has_interp) {
		ck_assert_uint_ge(img->interp_len, 2);
		ck_assert_uint_le(img->interp_len, PATH_MAX);
	}
	ck_assert_uint_ge(img->max_align, ELF_PAGE_SIZE);
}

/* ---- real binaries ------------------------------------------------------ */

START_TEST(elf_parse_bin_true_is_pie_with_interp)
{
	size_t len;
	char *buf = slurp("/bin/true", &len);
	Elf64_Ehdr eh;
	memcpy(&eh, buf, sizeof(eh));
	struct elf_image img;
	char err[128] = "";

	ck_assert_int_eq(elf_parse(buf, len, &img, err, sizeof(err)), 0);
	check_invariants(&img);
	ck_assert_uint_eq(img.type, ET_DYN);
	ck_assert_uint_eq(img.entry, eh.e_entry);
	ck_assert_uint_eq(img.phnum, eh.e_phnum);
	ck_assert_uint_eq(img.phoff, eh.e_phoff);
	ck_assert(img.has_interp);
	ck_assert_uint_le(img.interp_off + img.interp_len, len);
	ck_assert_int_eq(elf_check_interp(buf + img.interp_off, img.interp_len, err, sizeof(err)),
			 0);
	ck_assert_str_eq(buf + img.interp_off, "/lib64/ld-linux-x86-64.so.2");
	ck_assert(!img.stack_exec);
	/* PT_PHDR says where the headers are: right after the ELF header. */
	ck_assert(img.has_phdr_addr);
	ck_assert_uint_eq(img.phdr_addr, eh.e_phoff);
	ck_assert_uint_eq(img.lo, 0);
	elf_image_release(&img);
	free(buf);
}
END_TEST

START_TEST(elf_parse_static_busybox_is_exec)
{
	size_t len;
	char *buf = slurp("/bin/busybox", &len);
	struct elf_image img;
	char err[128] = "";

	ck_assert_int_eq(elf_parse(buf, len, &img, err, sizeof(err)), 0);
	check_invariants(&img);
	ck_assert_uint_eq(img.type, ET_EXEC);
	ck_assert(!img.has_interp);
	ck_assert_uint_eq(img.lo, 0x400000);
	ck_assert_uint_ge(img.nsegs, 2);
	/* The data segment has a .bss: memsz beyond filesz. */
	const struct elf_seg *last = &img.segs[img.nsegs - 1];
	ck_assert_uint_gt(last->memsz, last->filesz);
	ck_assert_int_eq(last->prot, PROT_READ | PROT_WRITE);
	ck_assert(img.has_phdr_addr);
	ck_assert_uint_eq(img.phdr_addr, 0x400000 + img.phoff);
	elf_image_release(&img);
	free(buf);
}
END_TEST

/* Every prefix shorter than the headers is refused, none is overread. */
START_TEST(elf_parse_every_truncation_of_real_binaries)
{
	const char *paths[] = {"/bin/true", "/bin/busybox"};
	for (size_t p = 0; p < 2; p++) {
		size_t len;
		char *buf = slurp(paths[p], &len);
		Elf64_Ehdr eh;
		memcpy(&eh, buf, sizeof(eh));
		size_t need = eh.e_phoff + (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
		for (size_t n = 0; n <= need; n++) {
			char *copy = malloc(n ? n : 1);
			memcpy(copy, buf, n);
			struct elf_image img;
			char err[128] = "";
			int r = elf_parse(copy, n, &img, err, sizeof(err));
			if (n < need) {
				ck_assert_msg(r == -ENOEXEC, "%s len %zu: %d", paths[p], n, r);
				ck_assert_msg(err[0], "no reason at len %zu", n);
				if (n < SELFMAG)
					ck_assert_str_eq(err, "not an ELF file");
				else if (n < sizeof(Elf64_Ehdr))
					ck_assert_str_eq(err, "truncated ELF header");
				else
					ck_assert_str_eq(err, "truncated program header table");
			} else {
				ck_assert_int_eq(r, 0);
				elf_image_release(&img);
			}
			free(copy);
		}
		free(buf);
	}
}
END_TEST

/* The two-step API: program headers read separately from the head. */
START_TEST(elf_parse_image_with_separate_phdrs)
{
	size_t len;
	char *buf = slurp("/bin/true", &len);
	uint64_t phoff;
	size_t phsize;
	char err[128] = "";
	ck_assert_int_eq(elf_check_ehdr(buf, ELF_HEAD_BYTES, &phoff, &phsize, err, sizeof(err)), 0);
	char *ph = malloc(phsize);
	memcpy(ph, buf + phoff, phsize);
	struct elf_image img;
	ck_assert_int_eq(
	    elf_parse_image(buf, sizeof(Elf64_Ehdr), ph, phsize, &img, err, sizeof(err)), 0);
	check_invariants(&img);
	elf_image_release(&img);
	ck_assert_int_eq(
	    elf_parse_image(buf, sizeof(Elf64_Ehdr), ph, phsize - 1, &img, err, sizeof(err)),
	    -ENOEXEC);
	ck_assert_str_eq(err, "truncated program header table");
	free(ph);
	free(buf);
}
END_TEST

/* ---- random input ------------------------------------------------------- */

START_TEST(elf_parse_random_bytes)
{
	unsigned char *buf = malloc(4096);
	for (int iter = 0; iter < 3000; iter++) {
		size_t len;
		ck_assert_int_eq(getrandom(&len, sizeof(len), 0), sizeof(len));
		len %= 4096;
		ck_assert_int_eq(getrandom(buf, len, 0), (ssize_t)len);
		/* Mostly garbage; then a valid identification; then a valid
		 * header with garbage program headers. */
		struct fake f;
		fake_init(&f, (iter & 1) ? ET_DYN : ET_EXEC);
		if (iter % 3 >= 1 && len >= EI_NIDENT)
			memcpy(buf, f.eh.e_ident, EI_NIDENT);
		if (iter % 3 == 2 && len >= sizeof(Elf64_Ehdr)) {
			f.eh.e_phnum = (uint16_t)((len - sizeof(Elf64_Ehdr)) / sizeof(Elf64_Phdr));
			memcpy(buf, &f.eh, sizeof(f.eh));
		}
		unsigned char *copy = malloc(len ? len : 1);
		memcpy(copy, buf, len);
		struct elf_image img;
		char err[128] = "";
		int r = elf_parse(copy, len, &img, err, sizeof(err));
		ck_assert_msg(r == 0 || r == -ENOEXEC, "unexpected %d", r);
		if (r == 0) {
			check_invariants(&img);
			elf_image_release(&img);
		} else {
			ck_assert(err[0]);
		}
		free(copy);
	}
	free(buf);
}
END_TEST

/* Random mutations of a valid header: flip bytes, parse, check. */
START_TEST(elf_parse_mutated_headers)
{
	size_t len;
	char *orig = slurp("/bin/true", &len);
	size_t need = sizeof(Elf64_Ehdr) + 13 * sizeof(Elf64_Phdr);
	ck_assert_uint_le(need, len);
	char *buf = malloc(need);
	int ok = 0;
	for (int iter = 0; iter < 5000; iter++) {
		memcpy(buf, orig, need);
		unsigned char r8[8];
		ck_assert_int_eq(getrandom(r8, sizeof(r8), 0), sizeof(r8));
		for (int k = 0; k < 1 + r8[0] % 4; k++) {
			uint16_t pos;
			memcpy(&pos, r8 + 1 + k, 2);
			buf[pos % need] ^= (char)(r8[5 + (k % 3)] | 1);
		}
		struct elf_image img;
		char err[128] = "";
		int r = elf_parse(buf, need, &img, err, sizeof(err));
		ck_assert_msg(r == 0 || r == -ENOEXEC, "unexpected %d", r);
		if (r == 0) {
			ok++;
			check_invariants(&img);
			elf_image_release(&img);
		}
	}
	/* Many mutations hit fields the loader does not care about. */
	ck_assert_int_gt(ok, 0);
	free(buf);
	free(orig);
}
END_TEST

/* ---- hostile headers ---------------------------------------------------- */

START_TEST(elf_parse_fake_valid)
{
	struct fake f;
	struct elf_image img;
	char err[128];
	fake_init(&f, ET_EXEC);
	ck_assert_int_eq(fake_parse(&f, &img, err, sizeof(err)), 0);
	check_invariants(&img);
	ck_assert_int_eq(img.nsegs, 2);
	ck_assert_uint_eq(img.lo, 0x400000);
	ck_assert_uint_eq(img.hi, ELF_PAGEALIGN(0x403100 + 0x5000));
	ck_assert_int_eq(img.segs[0].prot, PROT_READ | PROT_EXEC);
	ck_assert_int_eq(img.segs[1].prot, PROT_READ | PROT_WRITE);
	/* No PT_PHDR: found in the first segment's file range. */
	ck_assert(img.has_phdr_addr);
	ck_assert_uint_eq(img.phdr_addr, 0x400000 + sizeof(Elf64_Ehdr));
	ck_assert(!img.has_interp);
	ck_assert(!img.stack_exec);
	elf_image_release(&img);
}
END_TEST

START_TEST(elf_parse_identification_as_linux)
{
	struct fake f;
	struct elf_image img;
	char err[128];
	fake_init(&f, ET_EXEC);
	f.eh.e_ident[EI_MAG1] = 'e';
	expect_noexec(&f, "not an ELF file");
	/* Linux's binfmt_elf ignores class, data and version: such files run
	 * natively (checked with tests/security/gen_bad_elfs.py --native). */
	fake_init(&f, ET_EXEC);
	f.eh.e_ident[EI_CLASS] = ELFCLASS32;
	ck_assert_int_eq(fake_parse(&f, &img, err, sizeof(err)), 0);
	ck_assert_int_eq(img.nsegs, 2);
	elf_image_release(&img);
	fake_init(&f, ET_EXEC);
	f.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	f.eh.e_ident[EI_VERSION] = 7;
	ck_assert_int_eq(fake_parse(&f, &img, err, sizeof(err)), 0);
	ck_assert_uint_eq(img.lo, 0x400000); /* still decoded little-endian */
	elf_image_release(&img);
	/* A real 32-bit file has 32-byte program headers. */
	fake_init(&f, ET_EXEC);
	f.eh.e_ident[EI_CLASS] = ELFCLASS32;
	f.eh.e_phentsize = 32;
	expect_noexec(&f, "32-bit ELF files are not supported");
}
END_TEST

START_TEST(elf_parse_rejects_wrong_type_and_machine)
{
	struct fake f;
	fake_init(&f, ET_REL);
	expect_noexec(&f, "not an executable");
	fake_init(&f, ET_CORE);
	expect_noexec(&f, "not an executable");
	fake_init(&f, ET_EXEC);
	f.eh.e_machine = EM_386;
	expect_noexec(&f, "unsupported machine");
	fake_init(&f, ET_EXEC);
	f.eh.e_machine = EM_AARCH64;
	expect_noexec(&f, "unsupported machine");
}
END_TEST

START_TEST(elf_parse_rejects_absurd_phdr_tables)
{
	struct fake f;
	fake_init(&f, ET_EXEC);
	f.eh.e_phentsize = 32;
	expect_noexec(&f, "program header size");
	fake_init(&f, ET_EXEC);
	f.eh.e_phnum = 0;
	expect_noexec(&f, "no program headers");
	fake_init(&f, ET_EXEC);
	f.eh.e_phnum = 0xffff; /* PN_XNUM */
	expect_noexec(&f, "too many program headers");
	fake_init(&f, ET_EXEC);
	f.eh.e_phnum = ELF_MAX_PHDR_BYTES / sizeof(Elf64_Phdr) + 1;
	expect_noexec(&f, "too many program headers");
	/* The largest table Linux accepts is only "truncated" here. */
	fake_init(&f, ET_EXEC);
	f.eh.e_phnum = ELF_MAX_PHDR_BYTES / sizeof(Elf64_Phdr);
	expect_noexec(&f, "truncated program header table");
	fake_init(&f, ET_EXEC);
	f.eh.e_phoff = UINT64_MAX - 8;
	expect_noexec(&f, "offset out of range");
	fake_init(&f, ET_EXEC);
	f.eh.e_phoff = 1ULL << 40;
	expect_noexec(&f, "truncated program header table");
	/* A table overlapping the ELF header is decoded from the file's bytes:
	 * entry 0 is e_ident's padding (PT_NULL), entry 1 the real ph[0]. */
	fake_init(&f, ET_EXEC);
	f.eh.e_phoff = 8;
	struct elf_image img;
	char err[128];
	ck_assert_int_eq(fake_parse(&f, &img, err, sizeof(err)), 0);
	ck_assert_int_eq(img.nsegs, 1);
	ck_assert_uint_eq(img.segs[0].vaddr, 0x400000);
	elf_image_release(&img);
}
END_TEST

START_TEST(elf_parse_rejects_bad_segments)
{
	struct fake f;
	fake_init(&f, ET_EXEC);
	f.ph[1].p_filesz = f.ph[1].p_memsz + 1;
	expect_noexec(&f, "file size larger than memory size");

	fake_init(&f, ET_EXEC);
	f.ph[1].p_memsz = UINT64_MAX - 0x1000; /* vaddr + memsz overflows */
	expect_noexec(&f, "outside the user address space");

	fake_init(&f, ET_EXEC);
	f.ph[1].p_vaddr = APP_ADDR_MAX - 0x1000 + 0x100; /* ends above APP_ADDR_MAX */
	f.ph[1].p_offset = 0x2100;
	expect_noexec(&f, "outside the user address space");

	fake_init(&f, ET_EXEC);
	f.ph[0].p_vaddr = UINT64_MAX & ~0xfffULL;
	expect_noexec(&f, "outside the user address space");

	fake_init(&f, ET_EXEC);
	f.ph[1].p_offset = 0x2200; /* 0x200 vs 0x100 in the page */
	expect_noexec(&f, "differ modulo page size");

	fake_init(&f, ET_EXEC);
	f.ph[1].p_offset = UINT64_MAX - 0xeff; /* congruent but offset+filesz overflows */
	expect_noexec(&f, "file offset out of range");

	/* Huge alignments only matter (and are refused) for ET_DYN. */
	fake_init(&f, ET_DYN);
	f.ph[1].p_align = 1ULL << 40;
	expect_noexec(&f, "alignment too large");
	fake_init(&f, ET_EXEC);
	f.ph[1].p_align = 1ULL << 40;
	struct elf_image img;
	char err[128];
	ck_assert_int_eq(fake_parse(&f, &img, err, sizeof(err)), 0);
	ck_assert_uint_eq(img.max_align, ELF_PAGE_SIZE);
	elf_image_release(&img);

	fake_init(&f, ET_EXEC);
	f.ph[0].p_type = PT_NOTE;
	f.ph[1].p_type = PT_NULL;
	expect_noexec(&f, "no loadable segments");

	fake_init(&f, ET_EXEC);
	f.ph[0].p_memsz = f.ph[0].p_filesz = 0; /* empty PT_LOADs only */
	f.ph[1].p_memsz = f.ph[1].p_filesz = 0;
	expect_noexec(&f, "no loadable segments");

	fake_init(&f, ET_EXEC);
	f.eh.e_entry = APP_ADDR_MAX;
	expect_noexec(&f, "entry point");
}
END_TEST

START_TEST(elf_parse_interp_and_stack)
{
	struct fake f;
	struct elf_image img;
	char err[128];

	fake_init(&f, ET_DYN);
	f.eh.e_phnum = 6;
	f.ph[2] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0x300, .p_filesz = 28};
	f.ph[3] = (Elf64_Phdr){.p_type = PT_INTERP, .p_offset = 0x400, .p_filesz = 10};
	f.ph[4] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W};
	f.ph[5] = (Elf64_Phdr){.p_type = PT_GNU_STACK, .p_flags = PF_R | PF_W | PF_X};
	ck_assert_int_eq(fake_parse(&f, &img, err, sizeof(err)), 0);
	/* The first PT_INTERP counts; the last PT_GNU_STACK does (as Linux). */
	ck_assert(img.has_interp);
	ck_assert_uint_eq(img.interp_off, 0x300);
	ck_assert_uint_eq(img.interp_len, 28);
	ck_assert(img.stack_exec);
	elf_image_release(&img);

	f.ph[2].p_filesz = 1;
	expect_noexec(&f, "interpreter path length");
	f.ph[2].p_filesz = PATH_MAX + 1;
	expect_noexec(&f, "interpreter path length");
	f.ph[2].p_filesz = 16;
	f.ph[2].p_offset = UINT64_MAX - 4;
	expect_noexec(&f, "interpreter path offset");

	ck_assert_int_eq(elf_check_interp("/lib/ld.so", 11, err, sizeof(err)), 0);
	ck_assert_int_eq(elf_check_interp("/lib/ld.so", 10, err, sizeof(err)), -ENOEXEC);
	ck_assert_str_eq(err, "interpreter path not NUL-terminated");
	ck_assert_int_eq(elf_check_interp("x", 1, err, sizeof(err)), -ENOEXEC);
}
END_TEST

START_TEST(elf_parse_pt_phdr_and_alignment)
{
	struct fake f;
	struct elf_image img;
	char err[128];

	fake_init(&f, ET_DYN);
	f.eh.e_phnum = 3;
	f.ph[0].p_vaddr = 0;
	f.ph[1].p_vaddr = 0x3100;
	f.ph[0].p_align = 0x200000;
	f.ph[1].p_align = 0x3000; /* not a power of two: ignored as Linux does */
	f.ph[2] = (Elf64_Phdr){.p_type = PT_PHDR, .p_offset = 0x40, .p_vaddr = 0x1040};
	ck_assert_int_eq(fake_parse(&f, &img, err, sizeof(err)), 0);
	ck_assert_uint_eq(img.phdr_addr, 0x1040); /* PT_PHDR wins over the segment */
	ck_assert_uint_eq(img.max_align, 0x200000);
	ck_assert_uint_eq(img.lo, 0);
	elf_image_release(&img);

	/* A zero-sized PT_LOAD is not a segment to map. */
	fake_init(&f, ET_EXEC);
	f.eh.e_phnum = 3;
	f.ph[2] = (Elf64_Phdr){.p_type = PT_LOAD, .p_vaddr = 0x900000, .p_align = 0x1000};
	ck_assert_int_eq(fake_parse(&f, &img, err, sizeof(err)), 0);
	ck_assert_int_eq(img.nsegs, 2);
	ck_assert_uint_lt(img.hi, 0x900000);
	elf_image_release(&img);
}
END_TEST

Suite *loader_elf_suite(void)
{
	Suite *s = suite_create("loader_elf");
	TCase *tc = tcase_create("parse");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, elf_parse_bin_true_is_pie_with_interp);
	tcase_add_test(tc, elf_parse_static_busybox_is_exec);
	tcase_add_test(tc, elf_parse_every_truncation_of_real_binaries);
	tcase_add_test(tc, elf_parse_image_with_separate_phdrs);
	tcase_add_test(tc, elf_parse_random_bytes);
	tcase_add_test(tc, elf_parse_mutated_headers);
	tcase_add_test(tc, elf_parse_fake_valid);
	tcase_add_test(tc, elf_parse_identification_as_linux);
	tcase_add_test(tc, elf_parse_rejects_wrong_type_and_machine);
	tcase_add_test(tc, elf_parse_rejects_absurd_phdr_tables);
	tcase_add_test(tc, elf_parse_rejects_bad_segments);
	tcase_add_test(tc, elf_parse_interp_and_stack);
	tcase_add_test(tc, elf_parse_pt_phdr_and_alignment);
	suite_add_tcase(s, tc);
	return s;
}
