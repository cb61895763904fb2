/*
 * libFuzzer harness for the loader's parsers (loader/elf.c, loader/shebang.c,
 * loader/exec_stack.c's limits are not input-driven). Build with clang:
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
 *     -Iloader -Isentry -I. tests/security/fuzz_elf.c loader/elf.c \
 *     loader/shebang.c -lelf -o fuzz_elf && ./fuzz_elf -max_total_time=60
 *
 * or through tests/security/fuzz_elf.cmake (SENTRY_FUZZ=ON with clang).
 * Seed it with real binaries and the files of gen_bad_elfs.py.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf_parse.h"
#include "shebang.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	struct elf_image img;

	int r = elf_parse(data, size, &img, err, sizeof(err));
	if (r == 0) {
		/* What the loader relies on after a successful parse. */
		if (img.nsegs <= 0 || img.hi <= img.lo || !img.segs)
			abort();
		for (int i = 0; i < img.nsegs; i++)
			if (img.segs[i].filesz > img.segs[i].memsz)
				abort();
		elf_image_release(&img);
	} else if (r != -ENOEXEC && r != -ENOMEM) {
		abort();
	}
	if (size >= 2 && data[0] == '#' && data[1] == '!') {
		struct shebang sb;
		r = shebang_parse(data, size, &sb, err, sizeof(err));
		if (r == 0 && (!sb.interp || strlen(sb.interp) >= SHEBANG_BUF_SIZE))
			abort();
	}
	return 0;
}
