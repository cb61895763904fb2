#!/bin/bash
# Hostile executables: the sentry refuses them with an error status and a
# message, and never crashes (no 128+N status from the sentry, no sanitizer
# report). Native Linux results, for reference, are noted per group.
source "$(dirname "$0")/lib.sh" "$@"

MKELF=${MKELF:?set MKELF to the mkelf helper}
D="$WORK/elf"
mkdir "$D"
if ! "$MKELF" "$D"; then
	not_ok "mkelf generates the test files"
	finish
fi
head -c 4096 /dev/urandom >"$D/random_bytes"
{ printf '\177ELF'; head -c 4000 /dev/urandom; } >"$D/elf_magic_then_random"
head -c 1000 /bin/busybox >"$D/truncated_busybox"
head -c 64 /bin/busybox >"$D/busybox_header_only"
: >"$D/empty_file"
printf '#!/nonexistent/interpreter\n' >"$D/shebang_missing_interp"
printf '#!%s\n' "$D/shebang_loop" >"$D/shebang_loop"
{ printf '#!'; head -c 300 /dev/zero | tr '\0' a; printf '\n'; } >"$D/shebang_too_long"
chmod 0755 "$D"/*

# The generator itself is right: the valid one runs natively.
capture native "$D/ok_exit42"
if [ "$ST" -eq 42 ]; then ok "native ok_exit42 exits 42"; else not_ok "native ok_exit42 exits 42" "got $ST"; fi

# Valid enough to run (Linux runs load_past_eof too: its code is inside the file).
for f in ok_exit42 load_past_eof; do
	expect_sandbox "$f exits 42" 42 "" "$D/$f"
done

# Refused before the program starts (natively: ENOEXEC/ENOENT/ELOOP, shell 126/127).
for f in bad_phoff bad_phnum bad_phentsize no_phdrs wrong_machine bad_type interp_missing \
	interp_no_nul interp_huge truncated_header random_bytes elf_magic_then_random \
	busybox_header_only empty_file shebang_missing_interp shebang_loop \
	shebang_too_long; do
	sandboxed sandbox -- "$D/$f"
	if { [ "$ST" -eq 126 ] || [ "$ST" -eq 127 ]; } && [ -s "$WORK/sandbox.err" ] &&
		sanitizer_clean sandbox; then
		ok "$f refused ($ST)"
	else
		not_ok "$f refused with 126/127 and a message" "status $ST" "$(excerpt "$WORK/sandbox.err")"
	fi
done

# Natively these pass execve and die of SIGSEGV (139) in the new image (a
# truncated busybox still has its program headers in the first 1000 bytes); the
# sentry may do the same or refuse them up front (126). Either way: no crash.
for f in entry_unmapped filesz_gt_memsz huge_memsz kernel_vaddr truncated_busybox; do
	sandboxed sandbox -- "$D/$f"
	if { [ "$ST" -eq 126 ] || [ "$ST" -eq 139 ]; } && sanitizer_clean sandbox; then
		ok "$f fails cleanly ($ST)"
	else
		not_ok "$f fails cleanly with 126 or 139" "status $ST" "$(excerpt "$WORK/sandbox.err")"
	fi
done

# The sentry is still healthy afterwards.
expect_sandbox "sandbox still runs busybox echo" 0 ok /bin/busybox echo ok

finish
