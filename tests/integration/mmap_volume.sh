#!/bin/bash
# MAP_SHARED mappings of files on a writable volume (goferfs files, each
# open its own donated host descriptor): stores reach the host file after
# msync, after munmap, and after a plain exit; the mapping cases of
# tests/syscalls/mmap_file_test.c (coherence with read/write, fork, SIGBUS
# after truncation, MAP_POPULATE, mincore, ...) pass on the volume as they do
# natively on the same host directory.
#
# The helper is the syscall test binary's script mode
# (mmap_file_test --volume-helper / --cases); $MMAP_FILE_TEST overrides its
# path (default: the build tree's tests/syscalls/mmap_file_test).
source "$(dirname "$0")/lib.sh" "$@"

HELPER=${MMAP_FILE_TEST:-$SCRATCH_BASE/../syscalls/mmap_file_test}
HELPER=$(realpath -m "$HELPER")
if [ ! -x "$HELPER" ]; then
	not_ok "helper $HELPER exists (build the mmap_file_test target)"
	finish
fi

vol="$WORK/vol"
mkdir -p "$vol"
PG=$(getconf PAGESIZE)

check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc" "stdout:" "$(excerpt "$WORK/$LAST.out")" \
		"stderr:" "$(excerpt "$WORK/$LAST.err")"; fi
}

# The host's view of the file: its first bytes up to the first NUL, and size.
host_head() { head -c 32 "$1" 2>/dev/null | tr -d '\0'; }
host_size() { stat -c %s "$1" 2>/dev/null; }

for mode in msync munmap exit; do
	LAST=$mode
	sandboxed "$mode" --volume "$vol:/mnt/vol" -- "$HELPER" --volume-helper "$mode" \
		"/mnt/vol/$mode.dat"
	check "helper ($mode) exits 0 in the sandbox" [ "$ST" -eq 0 ]
	check "MAP_SHARED store reaches the host file after $mode" \
		[ "$(host_head "$vol/$mode.dat")" = "mapped-$mode" ]
	check "the file keeps its size ($mode)" [ "$(host_size "$vol/$mode.dat")" = "$PG" ]
done

# A host file changed by the host after the sandbox made it: the sandbox
# maps what the host wrote, and its store lands next to it.
LAST=hostfile
printf 'host-data' >"$vol/h.dat"
truncate -s "$PG" "$vol/h.dat"
sandboxed hostfile --volume "$vol:/mnt/vol" -- /usr/bin/python3 -c '
import mmap, os
fd = os.open("/mnt/vol/h.dat", os.O_RDWR)
m = mmap.mmap(fd, 0, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
print(m[:9].decode())
m[100:104] = b"SBOX"
m.flush()
m.close()
os.close(fd)'
check "python mmap in a volume exits 0" [ "$ST" -eq 0 ]
check "the mapping shows the host's bytes" [ "$(cat "$WORK/hostfile.out")" = host-data ]
check "the sandbox's store is in the host file" \
	[ "$(dd if="$vol/h.dat" bs=1 skip=100 count=4 status=none)" = SBOX ]

# Every mapping case, natively on a host directory and in the sandbox on
# the volume.
mkdir -p "$WORK/native_cases" "$vol/cases"
LAST=native_cases
capture native_cases "$HELPER" --cases "$WORK/native_cases"
check "mapping cases pass natively" [ "$ST" -eq 0 ]
LAST=cases
sandboxed cases --volume "$vol:/mnt/vol" -- "$HELPER" --cases /mnt/vol/cases
check "mapping cases pass on a volume in the sandbox" [ "$ST" -eq 0 ]
check "no sanitizer report from the sentry" sanitizer_clean cases
check "as many cases ran in the sandbox as natively" \
	[ "$(grep -c '^\[' "$WORK/cases.out")" = "$(grep -c '^\[' "$WORK/native_cases.out")" ]

finish
