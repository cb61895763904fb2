#!/bin/bash
# --strace prints the program's syscalls on stderr.
source "$(dirname "$0")/lib.sh" "$@"

sandboxed sandbox --strace -- /bin/true
names=0
for sc in execve exit_group brk mmap openat read close arch_prctl newfstatat fstat mprotect access pread64 set_tid_address; do
	grep -q "\b$sc\b" "$WORK/sandbox.err" && names=$((names + 1))
done
if [ "$ST" -eq 0 ] && sanitizer_clean sandbox; then
	ok "--strace /bin/true exits 0"
else
	not_ok "--strace /bin/true exits 0" "status $ST" "$(excerpt "$WORK/sandbox.err")"
fi
if grep -qE '\b(execve|exit_group)\b' "$WORK/sandbox.err"; then
	ok "--strace mentions execve or exit_group"
else
	not_ok "--strace mentions execve or exit_group" "$(excerpt "$WORK/sandbox.err")"
fi
if [ "$names" -ge 4 ]; then
	ok "--strace names several syscalls ($names)"
else
	not_ok "--strace names several syscalls" "found $names known names" "$(excerpt "$WORK/sandbox.err")"
fi
# The program's own stdout is untouched by tracing.
sandboxed sandbox --strace -- /bin/busybox echo traced
if [ "$(cat "$WORK/sandbox.out")" = traced ] && grep -q write "$WORK/sandbox.err"; then
	ok "--strace keeps stdout clean and shows write"
else
	not_ok "--strace keeps stdout clean and shows write" "stdout: $(cat "$WORK/sandbox.out")"
fi
# Without --strace nothing is traced.
sandboxed sandbox -- /bin/true
if ! grep -qE '\bexit_group\(' "$WORK/sandbox.err"; then
	ok "no trace without --strace"
else
	not_ok "no trace without --strace" "$(excerpt "$WORK/sandbox.err")"
fi

finish
