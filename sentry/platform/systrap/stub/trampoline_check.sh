#!/bin/sh
# trampoline_check.sh SENTRY CHECK: the systrap stub's filter stops a hostile
# application that jumps into the stub's code (see trampoline_check.c).
sentry=$1
check=$2
fail=0
out=$("$sentry" run --platform=systrap -- "$check" ok 2>&1)
st=$?
if [ $st -ne 0 ] || [ "$out" != "trapped" ]; then
	echo "FAIL ok: status $st, output: $out"
	fail=1
fi
for c in unmap map protect remap clone thread getpid slots; do
	out=$("$sentry" run --platform=systrap -- "$check" $c 2>&1)
	st=$?
	# The sandboxed process dies of SIGKILL: the sentry exits 128+9.
	if [ $st -ne 137 ] || [ -n "$out" ]; then
		echo "FAIL $c: status $st (want 137), output: $out"
		fail=1
	else
		echo "ok   $c: killed"
	fi
done
exit $fail
