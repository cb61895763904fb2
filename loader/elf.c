/*
 * ELF header and program header validation (see elf.h). The checks follow
 * Linux's fs/binfmt_elf.c (load_elf_binary, load_elf_phdrs, elf_map); where
 * Linux would fail later with EINVAL/EIO we fail here with ENOEXEC and a
 * reason, before anything is mapped.
 */
#include "elf_parse.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "platform/platform.h"

static int reason(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Record a one-line reason and return -ENOEXEC. */
static int reason(char *err, size_t errlen, const char *fmt, ...)
{
	if (err && errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -ENOEXEC;
}

bool elf_is_elf(const void *buf, size_t len)
{
	return len >= SELFMAG && memcmp(buf, ELFMAG, SELFMAG) == 0;
}

int elf_check_ehdr(const void *head, size_t len, uint64_t *phoff, size_t *phsize, char *err,
		   size_t errlen)
{
	Elf64_Ehdr eh;

	if (!elf_is_elf(head, len))
		return reason(err, errlen, "not an ELF file");
	if (len < sizeof(eh))
		return reason(err, errlen, "truncated ELF header");
	memcpy(&eh, head, sizeof(eh));
	/* Like Linux's binfmt_elf we do not look at EI_CLASS, EI_DATA or
	 * EI_VERSION: the header is read as x86_64's native Elf64_Ehdr, and a
	 * real 32-bit file fails the machine or program header size checks. */
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return reason(err, errlen, "not an executable (ELF type %u)", eh.e_type);
	if (eh.e_machine != EM_X86_64)
		return reason(err, errlen, "unsupported machine %u", eh.e_machine);
	if (eh.e_phentsize != sizeof(Elf64_Phdr)) {
		if (eh.e_ident[EI_CLASS] == ELFCLASS32)
			return reason(err, errlen, "32-bit ELF files are not supported");
		return reason(err, errlen, "bad program header size %u", eh.e_phentsize);
	}
	if (eh.e_phnum == 0)
		return reason(err, errlen, "no program headers");
	size_t size = (size_t)eh.e_phnum * sizeof(Elf64_Phdr);
	if (size > ELF_MAX_PHDR_BYTES)
		return reason(err, errlen, "too many program headers (%u)", eh.e_phnum);
	if (eh.e_phoff > (uint64_t)INT64_MAX - size)
		return reason(err, errlen, "program header table offset out of range");
	*phoff = eh.e_phoff;
	*phsize = size;
	return 0;
}

static pthread_once_t libelf_once = PTHREAD_ONCE_INIT;
static bool libelf_ok;

static void libelf_init(void)
{
	libelf_ok = elf_version(EV_CURRENT) != EV_NONE;
}

static int prot_of(uint32_t flags)
{
	return ((flags & PF_R) ? PROT_READ : 0) | ((flags & PF_W) ? PROT_WRITE : 0) |
	       ((flags & PF_X) ? PROT_EXEC : 0);
}

/* Validate one PT_LOAD and append it to img (if it occupies memory). */
static int add_load(struct elf_image *img, const GElf_Phdr *ph, int idx, char *err, size_t errlen)
{
	if (ph->p_filesz > ph->p_memsz)
		return reason(err, errlen, "segment %d: file size larger than memory size", idx);
	if (ph->p_offset > (uint64_t)INT64_MAX - ph->p_filesz)
		return reason(err, errlen, "segment %d: file offset out of range", idx);
	if (ELF_PAGEOFFSET(ph->p_offset) != ELF_PAGEOFFSET(ph->p_vaddr))
		return reason(err, errlen, "segment %d: offset and address differ modulo page size",
			      idx);
	if (ph->p_vaddr >= APP_ADDR_MAX || ph->p_memsz > APP_ADDR_MAX - ph->p_vaddr)
		return reason(err, errlen, "segment %d: outside the user address space", idx);
	/* Linux ignores alignments that are not powers of two. */
	if (ph->p_align && (ph->p_align & (ph->p_align - 1)) == 0 && ph->p_align > img->max_align)
		img->max_align = ph->p_align;
	if (ph->p_memsz == 0)
		return 0;
	struct elf_seg *s = &img->segs[img->nsegs++];
	s->vaddr = ph->p_vaddr;
	s->memsz = ph->p_memsz;
	s->offset = ph->p_offset;
	s->filesz = ph->p_filesz;
	s->prot = prot_of(ph->p_flags);
	return 0;
}

/* Walk the decoded program headers: segments, interpreter, stack, phdr address. */
static int walk_phdrs(Elf *e, struct elf_image *img, char *err, size_t errlen)
{
	bool have_pt_phdr = false;

	for (int i = 0; i < img->phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, i, &ph))
			return reason(err, errlen, "undecodable program header %d", i);
		int r = 0;
		switch (ph.p_type) {
		case PT_LOAD:
			r = add_load(img, &ph, i, err, errlen);
			break;
		case PT_INTERP:
			if (img->has_interp)
				break; /* Linux uses the first one */
			if (ph.p_filesz > PATH_MAX || ph.p_filesz < 2)
				return reason(err, errlen, "bad interpreter path length");
			if (ph.p_offset > (uint64_t)INT64_MAX - ph.p_filesz)
				return reason(err, errlen, "interpreter path offset out of range");
			img->has_interp = true;
			img->interp_off = ph.p_offset;
			img->interp_len = ph.p_filesz;
			break;
		case PT_GNU_STACK:
			img->stack_exec = (ph.p_flags & PF_X) != 0; /* the last one wins */
			break;
		case PT_PHDR:
			if (!have_pt_phdr) {
				have_pt_phdr = true;
				img->has_phdr_addr = true;
				img->phdr_addr = ph.p_vaddr;
			}
			break;
		}
		if (r)
			return r;
	}
	return 0;
}

/* Span, entry and AT_PHDR checks once all segments are known. */
static int check_layout(struct elf_image *img, char *err, size_t errlen)
{
	if (img->nsegs == 0)
		return reason(err, errlen, "no loadable segments");
	uint64_t lo = UINT64_MAX, hi = 0;
	for (int i = 0; i < img->nsegs; i++) {
		const struct elf_seg *s = &img->segs[i];
		if (s->vaddr < lo)
			lo = s->vaddr;
		if (s->vaddr + s->memsz > hi)
			hi = s->vaddr + s->memsz;
	}
	img->lo = ELF_PAGESTART(lo);
	img->hi = ELF_PAGEALIGN(hi);
	if (img->hi - img->lo > APP_ADDR_MAX - APP_ADDR_MIN)
		return reason(err, errlen, "segments span too large");
	if (img->entry >= APP_ADDR_MAX)
		return reason(err, errlen, "entry point outside the user address space");
	/* The alignment only places ET_DYN files (Linux ignores it for ET_EXEC);
	 * a huge one would push the load address to 0. */
	if (img->type == ET_EXEC || img->max_align < ELF_PAGE_SIZE)
		img->max_align = ELF_PAGE_SIZE;
	if (img->max_align > (1ULL << 30))
		return reason(err, errlen, "segment alignment too large");
	if (!img->has_phdr_addr) {
		/* As Linux: the PT_LOAD whose file range holds e_phoff. */
		for (int i = 0; i < img->nsegs; i++) {
			const struct elf_seg *s = &img->segs[i];
			if (s->offset <= img->phoff && img->phoff - s->offset < s->filesz) {
				img->has_phdr_addr = true;
				img->phdr_addr = img->phoff - s->offset + s->vaddr;
				break;
			}
		}
	}
	return 0;
}

int elf_parse_image(const void *head, size_t headlen, const void *ph, size_t phlen,
		    struct elf_image *img, char *err, size_t errlen)
{
	uint64_t phoff;
	size_t phsize;
	int r;

	memset(img, 0, sizeof(*img));
	r = elf_check_ehdr(head, headlen, &phoff, &phsize, err, errlen);
	if (r)
		return r;
	if (phlen < phsize)
		return reason(err, errlen, "truncated program header table");

	pthread_once(&libelf_once, libelf_init);
	if (!libelf_ok)
		return reason(err, errlen, "libelf unavailable");

	/* libelf only sees this compact copy: ELF header (no sections, program
	 * headers right after it) followed by the table we already bounded. */
	size_t size = sizeof(Elf64_Ehdr) + phsize;
	char *image = malloc(size);
	if (!image)
		return -ENOMEM;
	Elf64_Ehdr eh;
	memcpy(&eh, head, sizeof(eh));
	eh.e_ident[EI_CLASS] = ELFCLASS64; /* what Linux reads it as (see above) */
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_phoff = sizeof(Elf64_Ehdr);
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shentsize = 0;
	eh.e_shstrndx = SHN_UNDEF;
	memcpy(image, &eh, sizeof(eh));
	memcpy(image + sizeof(eh), ph, phsize);

	Elf *e = elf_memory(image, size);
	if (!e) {
		r = reason(err, errlen, "undecodable ELF header");
		goto out_image;
	}
	GElf_Ehdr geh;
	size_t n;
	if (elf_kind(e) != ELF_K_ELF || gelf_getclass(e) != ELFCLASS64 || !gelf_getehdr(e, &geh) ||
	    elf_getphdrnum(e, &n) != 0 || n != eh.e_phnum) {
		r = reason(err, errlen, "undecodable ELF header");
		goto out_elf;
	}
	img->type = geh.e_type;
	img->entry = geh.e_entry;
	img->phoff = phoff; /* the file's, not the compact copy's */
	img->phnum = geh.e_phnum;
	img->segs = calloc(img->phnum, sizeof(*img->segs));
	if (!img->segs) {
		r = -ENOMEM;
		goto out_elf;
	}
	r = walk_phdrs(e, img, err, errlen);
	if (!r)
		r = check_layout(img, err, errlen);
	if (r)
		elf_image_release(img);
out_elf:
	elf_end(e);
out_image:
	free(image);
	return r;
}

int elf_parse(const void *buf, size_t len, struct elf_image *img, char *err, size_t errlen)
{
	uint64_t phoff = 0;
	size_t phsize = 0;

	memset(img, 0, sizeof(*img));
	int r = elf_check_ehdr(buf, len, &phoff, &phsize, err, errlen);
	if (r)
		return r;
	if (phoff > len || len - phoff < phsize)
		return reason(err, errlen, "truncated program header table");
	return elf_parse_image(buf, len, (const char *)buf + phoff, phsize, img, err, errlen);
}

void elf_image_release(struct elf_image *img)
{
	free(img->segs);
	img->segs = NULL;
	img->nsegs = 0;
}

int elf_check_interp(const char *buf, size_t len, char *err, size_t errlen)
{
	if (len < 2 || len > PATH_MAX)
		return reason(err, errlen, "bad interpreter path length");
	if (buf[len - 1] != '\0')
		return reason(err, errlen, "interpreter path not NUL-terminated");
	return 0;
}
