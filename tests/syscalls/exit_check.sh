#!/bin/sh
# Runs exit_test in each of its modes and checks exit status and stdout.
# Usage: exit_check.sh EXIT_TEST [LAUNCHER...]   (e.g. LAUNCHER = sentry run --)
test_bin=$1
shift
passed=0
failed=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT

check() { # mode arg expected_status expected_stdout
	"$@" "$test_bin" "$mode" "$arg" >"$out" 2>/dev/null
	status=$?
	got=$(cat "$out")
	if [ "$status" -eq "$want_status" ] && [ "$got" = "$want_out" ]; then
		echo "[   OK ] $mode $arg -> $status"
		passed=$((passed + 1))
	else
		echo "[ FAIL ] $mode $arg: status $status (want $want_status), stdout '$got' (want '$want_out')"
		failed=$((failed + 1))
	fi
}

mode=--exit-group arg=0   want_status=0  want_out=''                   check "$@"
mode=--exit-group arg=42  want_status=42 want_out=''                   check "$@"
mode=--exit-group arg=300 want_status=44 want_out=''                   check "$@"
mode=--exit       arg=7   want_status=7  want_out=''                   check "$@"
mode=--return     arg=3   want_status=3  want_out='flushed at exit'    check "$@"
mode=--atexit     arg=5   want_status=5  want_out='atexit handler ran' check "$@"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
