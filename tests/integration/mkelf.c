/*
 * Writes a set of hand-made ELF files into a directory, for the loader
 * robustness tests in malformed.sh:
 *
 *   ok_exit42        a valid minimal static ELF: exit(42)
 *   entry_unmapped   valid headers, entry point outside any segment (SIGSEGV)
 *   bad_phoff        program header table offset far past the file
 *   bad_phnum        65535 program headers
 *   bad_phentsize    e_phentsize of 7
 *   no_phdrs         e_phnum == 0
 *   load_past_eof    PT_LOAD whose file range ends past the end of the file
 *   filesz_gt_memsz  PT_LOAD with p_filesz > p_memsz
 *   huge_memsz       PT_LOAD with p_memsz of 2^62
 *   kernel_vaddr     PT_LOAD at a kernel address
 *   wrong_machine    e_machine = AArch64
 *   bad_type         e_type = ET_REL
 *   interp_missing   PT_INTERP naming a file that does not exist
 *   interp_no_nul    PT_INTERP whose string is not NUL-terminated
 *   interp_huge      PT_INTERP with p_filesz of 2^40
 *   truncated_header the first 40 bytes of a valid ELF
 *
 * Usage: mkelf DIR
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define BASE 0x400000UL
#define CODE_OFF 0x200

/* mov edi, 42; mov eax, 60; syscall */
static const unsigned char code_exit42[] = { 0xbf, 0x2a, 0x00, 0x00, 0x00, 0xb8, 0x3c,
					     0x00, 0x00, 0x00, 0x0f, 0x05 };

struct image {
	unsigned char buf[0x1000];
	size_t len;
};

static Elf64_Ehdr *ehdr(struct image *im)
{
	return (Elf64_Ehdr *)im->buf;
}

static Elf64_Phdr *phdr(struct image *im, int i)
{
	return (Elf64_Phdr *)(im->buf + sizeof(Elf64_Ehdr)) + i;
}

/* A valid image: one PT_LOAD (R+X) covering the whole file at BASE. */
static void base_image(struct image *im)
{
	Elf64_Ehdr *e = ehdr(im);
	Elf64_Phdr *p = phdr(im, 0);

	memset(im, 0, sizeof(*im));
	memcpy(e->e_ident, ELFMAG, SELFMAG);
	e->e_ident[EI_CLASS] = ELFCLASS64;
	e->e_ident[EI_DATA] = ELFDATA2LSB;
	e->e_ident[EI_VERSION] = EV_CURRENT;
	e->e_ident[EI_OSABI] = ELFOSABI_SYSV;
	e->e_type = ET_EXEC;
	e->e_machine = EM_X86_64;
	e->e_version = EV_CURRENT;
	e->e_entry = BASE + CODE_OFF;
	e->e_phoff = sizeof(Elf64_Ehdr);
	e->e_ehsize = sizeof(Elf64_Ehdr);
	e->e_phentsize = sizeof(Elf64_Phdr);
	e->e_phnum = 1;
	p->p_type = PT_LOAD;
	p->p_flags = PF_R | PF_X;
	p->p_offset = 0;
	p->p_vaddr = p->p_paddr = BASE;
	p->p_filesz = p->p_memsz = 0x300;
	p->p_align = 0x1000;
	memcpy(im->buf + CODE_OFF, code_exit42, sizeof(code_exit42));
	im->len = 0x300;
}

/* Adds a PT_INTERP header (second phdr) whose string lives at offset 0x280. */
static void add_interp(struct image *im, const char *path, size_t filesz)
{
	Elf64_Phdr *p = phdr(im, 1);

	ehdr(im)->e_phnum = 2;
	memset(p, 0, sizeof(*p));
	p->p_type = PT_INTERP;
	p->p_flags = PF_R;
	p->p_offset = 0x280;
	p->p_vaddr = p->p_paddr = BASE + 0x280;
	p->p_filesz = p->p_memsz = filesz;
	p->p_align = 1;
	memcpy(im->buf + 0x280, path, strlen(path));
}

static int write_image(const char *dir, const char *name, const struct image *im)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(im->buf, 1, im->len, f) != im->len || fclose(f) != 0) {
		fprintf(stderr, "mkelf: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct image im;
	const char *dir;
	int err = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: mkelf DIR\n");
		return 2;
	}
	dir = argv[1];

	base_image(&im);
	err |= write_image(dir, "ok_exit42", &im);

	base_image(&im);
	ehdr(&im)->e_entry = 0x10000000;
	err |= write_image(dir, "entry_unmapped", &im);

	base_image(&im);
	ehdr(&im)->e_phoff = 0xffffffffffff0000ULL;
	err |= write_image(dir, "bad_phoff", &im);

	base_image(&im);
	ehdr(&im)->e_phnum = 0xffff;
	err |= write_image(dir, "bad_phnum", &im);

	base_image(&im);
	ehdr(&im)->e_phentsize = 7;
	err |= write_image(dir, "bad_phentsize", &im);

	base_image(&im);
	ehdr(&im)->e_phnum = 0;
	err |= write_image(dir, "no_phdrs", &im);

	base_image(&im);
	phdr(&im, 0)->p_filesz = phdr(&im, 0)->p_memsz = 0x100000;
	err |= write_image(dir, "load_past_eof", &im);

	base_image(&im);
	phdr(&im, 0)->p_filesz = 0x300;
	phdr(&im, 0)->p_memsz = 0x100;
	err |= write_image(dir, "filesz_gt_memsz", &im);

	base_image(&im);
	phdr(&im, 0)->p_memsz = 1ULL << 62;
	err |= write_image(dir, "huge_memsz", &im);

	base_image(&im);
	phdr(&im, 0)->p_vaddr = phdr(&im, 0)->p_paddr = 0xffff800000000000ULL;
	ehdr(&im)->e_entry = 0xffff800000000000ULL + CODE_OFF;
	err |= write_image(dir, "kernel_vaddr", &im);

	base_image(&im);
	ehdr(&im)->e_machine = EM_AARCH64;
	err |= write_image(dir, "wrong_machine", &im);

	base_image(&im);
	ehdr(&im)->e_type = ET_REL;
	err |= write_image(dir, "bad_type", &im);

	base_image(&im);
	add_interp(&im, "/nonexistent/ld-sentry-test.so", sizeof("/nonexistent/ld-sentry-test.so"));
	err |= write_image(dir, "interp_missing", &im);

	base_image(&im);
	add_interp(&im, "/lib64/ld-linux-x86-64.so.2XXXX", 20); /* cut before the NUL */
	err |= write_image(dir, "interp_no_nul", &im);

	base_image(&im);
	add_interp(&im, "/lib64/ld-linux-x86-64.so.2", 1ULL << 40);
	err |= write_image(dir, "interp_huge", &im);

	base_image(&im);
	im.len = 40;
	err |= write_image(dir, "truncated_header", &im);

	return err;
}
