#!/bin/bash
# Exit statuses: the program's own, death by signal (128+N), and the sentry's
# own errors (126 cannot execute, 127 not found).
source "$(dirname "$0")/lib.sh" "$@"

NULLDEREF=${NULLDEREF:?set NULLDEREF to the nullderef test program}

expect_sandbox "busybox true exits 0" 0 "" /bin/busybox true
expect_sandbox "busybox false exits 1" 1 "" /bin/busybox false
expect_sandbox "sh -c 'exit 42'" 42 "" /bin/busybox sh -c 'exit 42'
expect_sandbox "exit status is taken mod 256" 44 "" /bin/busybox sh -c 'exit 300'

capture native "$NULLDEREF"
if [ "$ST" -eq 139 ]; then ok "NULL dereference natively: 139"; else not_ok "NULL dereference natively: 139" "got $ST"; fi
expect_sandbox "NULL dereference in the sandbox: 139" 139 "" "$NULLDEREF"

# Missing program: 127 and a message.
for prog in /nonexistent/program sentry-itest-no-such-program; do
	sandboxed sandbox -- "$prog"
	if [ "$ST" -eq 127 ] && [ -s "$WORK/sandbox.err" ] && sanitizer_clean sandbox; then
		ok "missing program $prog: 127 with a message"
	else
		not_ok "missing program $prog: 127 with a message" "status $ST" "$(excerpt "$WORK/sandbox.err")"
	fi
done

# Not executable: 126 and a message.
printf 'echo should not run\n' >"$WORK/plain.txt"
chmod 0644 "$WORK/plain.txt"
mkdir "$WORK/adir"
for prog in "$WORK/plain.txt" "$WORK/adir"; do
	sandboxed sandbox -- "$prog"
	if [ "$ST" -eq 126 ] && [ -s "$WORK/sandbox.err" ] && sanitizer_clean sandbox &&
		! grep -q "should not run" "$WORK/sandbox.out"; then
		ok "non-executable $(basename "$prog"): 126 with a message"
	else
		not_ok "non-executable $(basename "$prog"): 126 with a message" "status $ST" \
			"$(excerpt "$WORK/sandbox.err")"
	fi
done

# A #! script runs through its interpreter.
printf '#!/bin/busybox sh\necho "script args: $*"\nexit 3\n' >"$WORK/script.sh"
chmod 0755 "$WORK/script.sh"
expect_sandbox "#! script with arguments" 3 "script args: a b" "$WORK/script.sh" a b

finish
