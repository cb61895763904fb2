#!/bin/bash
# The syscall conformance suite (tests/syscalls) run with /tmp a writable
# gofer volume: every test works in its own mkdtemp() directory under /tmp,
# so its files, directories, renames and links all go through the gofer to
# the host. The binaries themselves are copied into the volume and executed
# from it.
source "$(dirname "$0")/lib.sh" "$@"

bindir="${SYSCALL_TEST_DIR:-$SCRATCH_BASE/../syscalls}"
vol="$WORK/tmpvol"
mkdir -p "$vol/bin"
n=0
for t in "$bindir"/*_test; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	# exit_test needs its wrapper's arguments (exit_check.sh).
	[ "$name" = exit_test ] && continue
	# Tests the platform under test does not pass at all (CMake lists them,
	# e.g. futex_atomic_test on systrap): they fail in ctest's own runs.
	case " ${SYSCALL_TESTS_EXCLUDE:-} " in *" $name "*)
		echo "note: $name not run here (excluded on this platform)"
		continue ;;
	esac
	cp "$t" "$vol/bin/"
	n=$((n + 1))
done
if [ "$n" -lt 10 ]; then
	not_ok "found the syscall test binaries in $bindir ($n)"
	finish
fi
# Each test must pass with the volume (and, to tell a gofer problem from
# another, is run again without it when it fails). A passing test leaves
# nothing behind on the host.
for t in "$vol"/bin/*_test; do
	name=$(basename "$t")
	sandboxed "$name" --cwd / --volume "$vol:/tmp" -- "/tmp/bin/$name"
	left=$(cd "$vol" && ls -A | grep -vx bin)
	rm -rf "${vol:?}"/sentry-test-*
	if [ "$ST" -eq 0 ] && grep -q ' 0 failed' "$WORK/$name.out" && sanitizer_clean "$name"; then
		if [ -z "$left" ]; then
			ok "$name with /tmp a writable volume"
		else
			not_ok "$name with /tmp a writable volume: left $left on the host"
		fi
		continue
	fi
	cp "$WORK/$name.out" "$WORK/$name.vol.out"
	cp "$WORK/$name.err" "$WORK/$name.vol.err"
	vst=$ST
	sandboxed "$name.plain" -- "$t"
	if [ "$ST" -ne 0 ]; then
		not_ok "$name fails with and without the volume (status $vst / $ST)" \
			"$(grep -E 'FAIL|failed' "$WORK/$name.vol.out" | head -10)"
	else
		not_ok "$name with /tmp a writable volume (passes without it)" "exit status $vst" \
			"$(grep -E 'FAIL|failed' "$WORK/$name.vol.out" | head -10)" \
			"$(excerpt "$WORK/$name.vol.err")"
	fi
done

finish
