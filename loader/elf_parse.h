/*
 * The ELF parser of the loader: pure functions over in-memory bytes (no file,
 * no address space), so they can be unit-tested and fuzzed.
 *
 * Everything in the file is hostile. libelf decodes the header and program
 * headers, but only ever sees a private, compact copy (ELF header followed by
 * the program header table, section headers stripped) whose bounds were
 * checked first; the semantic checks are ours and follow Linux's
 * load_elf_binary()/load_elf_phdrs().
 */
#ifndef SENTRY_LOADER_ELF_PARSE_H
#define SENTRY_LOADER_ELF_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_PAGE_SIZE 4096ULL
#define ELF_PAGESTART(x) ((uint64_t)(x) & ~(ELF_PAGE_SIZE - 1))
#define ELF_PAGEOFFSET(x) ((uint64_t)(x) & (ELF_PAGE_SIZE - 1))
#define ELF_PAGEALIGN(x) (((uint64_t)(x) + ELF_PAGE_SIZE - 1) & ~(ELF_PAGE_SIZE - 1))

/* Linux (load_elf_phdrs) refuses program header tables above 64 KiB. */
#define ELF_MAX_PHDR_BYTES 65536
/* Bytes of the file Linux looks at to recognise a format (BINPRM_BUF_SIZE). */
#define ELF_HEAD_BYTES 256

/* One PT_LOAD segment. prot is PROT_* from p_flags. */
struct elf_seg {
	uint64_t vaddr, memsz;
	uint64_t offset, filesz;
	int prot;
};

struct elf_image {
	uint16_t type;	/* ET_EXEC or ET_DYN */
	uint64_t entry; /* e_entry (unbiased) */
	uint64_t phoff; /* e_phoff */
	uint16_t phnum; /* e_phnum */
	int nsegs;	/* PT_LOAD segments with p_memsz > 0, in file order */
	struct elf_seg *segs;
	uint64_t lo, hi;    /* page-aligned span [lo, hi) of the segments (unbiased) */
	uint64_t max_align; /* largest power-of-two p_align of a PT_LOAD (>= page) */
	bool has_interp;    /* the first PT_INTERP: where its path is in the file */
	uint64_t interp_off, interp_len;
	bool stack_exec;    /* the last PT_GNU_STACK has PF_X */
	bool has_phdr_addr; /* the program headers are mapped at phdr_addr (unbiased) */
	uint64_t phdr_addr;
};

/*
 * Check the identification and ELF header at the start of a file (head holds
 * its first len bytes) and say where the program header table is: *phoff and
 * *phsize (<= ELF_MAX_PHDR_BYTES). 0 or -ENOEXEC with a reason in err.
 */
int elf_check_ehdr(const void *head, size_t len, uint64_t *phoff, size_t *phsize, char *err,
		   size_t errlen);

/*
 * Parse and validate the ELF header (from head, as for elf_check_ehdr) and the
 * program header table ph (the phlen bytes found at *phoff). On success img
 * is filled and owns memory: release it with elf_image_release().
 * 0, -ENOEXEC (reason in err) or -ENOMEM.
 */
int elf_parse_image(const void *head, size_t headlen, const void *ph, size_t phlen,
		    struct elf_image *img, char *err, size_t errlen);

/* Both steps from one buffer holding the first len bytes of a file. */
int elf_parse(const void *buf, size_t len, struct elf_image *img, char *err, size_t errlen);

void elf_image_release(struct elf_image *img);

/* Validate a PT_INTERP string as read from the file (img->interp_len bytes):
 * NUL-terminated and non-empty. 0 or -ENOEXEC. */
int elf_check_interp(const char *buf, size_t len, char *err, size_t errlen);

/* Does buf start with the ELF magic? */
bool elf_is_elf(const void *buf, size_t len);

#endif
