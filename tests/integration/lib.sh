# Shared helpers for the integration tests. Each test script sources this file:
#
#   source "$(dirname "$0")/lib.sh" "$@"
#
# The sentry binary comes from $1 or $SENTRY (CMake passes both). Scratch files
# go under $SCRATCH_BASE (default: the current directory), NOT /tmp: the
# sandbox has its own /tmp, and these files must be visible inside it through
# the host root. Each script ends with `finish`, which prints
# "N passed, M failed" and exits non-zero on any failure.

set -u

SENTRY=${1:-${SENTRY:-}}
if [ -z "$SENTRY" ] || [ ! -x "$SENTRY" ]; then
	echo "usage: $0 PATH_TO_SENTRY (or set SENTRY)" >&2
	exit 2
fi
SCRATCH_BASE=${SCRATCH_BASE:-$PWD}
WORK=$(mktemp -d "$SCRATCH_BASE/itest.XXXXXX") || exit 2
trap 'rm -rf "$WORK"' EXIT
# Per-command limit so one hang cannot eat the whole ctest timeout.
LIMIT=${SENTRY_TEST_TIMEOUT:-30}
PASSED=0
FAILED=0
ST=0

ok() {
	echo "[   OK ] $1"
	PASSED=$((PASSED + 1))
}

# not_ok DESC [DETAIL...]
not_ok() {
	echo "[ FAIL ] $1"
	shift
	local line
	for line in "$@"; do
		[ -n "$line" ] && printf '         %s\n' "$line"
	done
	FAILED=$((FAILED + 1))
}

# capture NAME CMD...: run CMD with stdin from /dev/null; stdout/stderr go to
# $WORK/NAME.out and $WORK/NAME.err, the exit status to $ST.
capture() {
	local name=$1
	shift
	timeout -k 5 "$LIMIT" "$@" <"$WORK/empty" >"$WORK/$name.out" 2>"$WORK/$name.err"
	ST=$?
}
: >"$WORK/empty"

# sandboxed NAME [SENTRY_RUN_FLAGS...] -- CMD...: capture, under the sentry.
sandboxed() {
	local name=$1
	shift
	capture "$name" "$SENTRY" run "$@"
}

# sanitizer_clean NAME: no ASan/UBSan/LSan report in $WORK/NAME.err.
sanitizer_clean() {
	! grep -qE 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
		"$WORK/$1.err"
}

# excerpt FILE: the head of a file, for failure messages.
excerpt() {
	head -c 1500 "$1" | sed 's/^/| /'
}

# same_as_native DESC CMD...: stdout and exit status in the sandbox equal the
# native run's.
same_as_native() {
	local desc=$1 nst sst
	shift
	capture native "$@"
	nst=$ST
	sandboxed sandbox -- "$@"
	sst=$ST
	if [ "$nst" -eq "$sst" ] && cmp -s "$WORK/native.out" "$WORK/sandbox.out" &&
		sanitizer_clean sandbox; then
		ok "$desc"
	else
		not_ok "$desc" "exit status: native $nst, sandbox $sst" \
			"$(diff "$WORK/native.out" "$WORK/sandbox.out" | head -20)" \
			"sandbox stderr:" "$(excerpt "$WORK/sandbox.err")"
	fi
}

# expect_sandbox DESC STATUS STDOUT CMD...: the sandboxed CMD exits with
# STATUS and prints exactly STDOUT (use '*' to ignore stdout).
expect_sandbox() {
	local desc=$1 want=$2 wantout=$3 got
	shift 3
	sandboxed sandbox -- "$@"
	got=$(cat "$WORK/sandbox.out")
	if [ "$ST" -eq "$want" ] && { [ "$wantout" = '*' ] || [ "$got" = "$wantout" ]; } &&
		sanitizer_clean sandbox; then
		ok "$desc"
	else
		not_ok "$desc" "exit status $ST (want $want), stdout '$got' (want '$wantout')" \
			"stderr:" "$(excerpt "$WORK/sandbox.err")"
	fi
}

finish() {
	echo "$PASSED passed, $FAILED failed"
	[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
	exit $?
}
