#!/bin/bash
# --volume HOST:SANDBOX[:ro] and --root DIR --rw: writes in the sandbox reach
# the host through the gofer, exactly as they would natively; ":ro" refuses
# them; fsync'ed data survives a SIGKILL of the sentry.
source "$(dirname "$0")/lib.sh" "$@"

vol="$WORK/vol"
mkdir -p "$vol"
echo original >"$vol/keep"

# run_vol NAME CMD...: sandboxed with the volume at /mnt/vol (the mount point
# does not exist in the host root: it is created in the overlay).
run_vol() {
	local name=$1
	shift
	sandboxed "$name" --volume "$vol:/mnt/vol" -- "$@"
}

# check DESC CONDITION-COMMAND...: ok if the host-side command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc" "stderr:" "$(excerpt "$WORK/$LAST.err")"; fi
}

# --- name and data operations, checked on the host --------------------------
LAST=ops
run_vol ops /bin/busybox sh -c '
	set -e
	cd /mnt/vol
	echo hello > f
	echo world >> f
	mkdir d d2
	mv f d/g
	echo x > gone && rm gone
	rmdir d2
	ln -s d/g sym
	ln d/g hard
	chmod 640 d/g
	touch -d "2001-02-03 04:05:06" d/g
	echo ok'
check "busybox ops in a volume exit 0" [ "$ST" -eq 0 ]
check "write + append reach the host" [ "$(cat "$vol/d/g" 2>/dev/null)" = "$(printf 'hello\nworld')" ]
check "rename moved the file on the host" [ ! -e "$vol/f" ]
check "unlink removed the file on the host" [ ! -e "$vol/gone" ]
check "rmdir removed the directory on the host" [ ! -e "$vol/d2" ]
check "mkdir made a directory on the host" [ -d "$vol/d" ]
check "symlink on the host" [ "$(readlink "$vol/sym")" = d/g ]
check "hard link on the host (2 links, same inode)" \
	[ "$(stat -c %h:%i "$vol/hard")" = "$(stat -c 2:%i "$vol/d/g")" ]
check "chmod reached the host" [ "$(stat -c %a "$vol/d/g")" = 640 ]
check "utimes reached the host" [ "$(TZ=UTC0 date -r "$vol/d/g" +%s)" = \
	"$(TZ=UTC0 date -d '2001-02-03 04:05:06' +%s)" ]

# New files get the sandbox's umask, not the host's.
LAST=umask
run_vol umask /bin/busybox sh -c 'cd /mnt/vol && umask 000 && : > u0 && mkdir ud0 &&
	umask 077 && : > u77 && mkdir ud77'
check "modes follow the sandbox's umask (000 and 077)" \
	[ "$(stat -c %a "$vol/u0" "$vol/ud0" "$vol/u77" "$vol/ud77" | tr '\n' ' ')" = "666 777 600 700 " ]

# Truncation through an open file whose name is gone; fallocate-free
# growth by ftruncate; st_size as the host has it.
LAST=trunc
run_vol trunc /usr/bin/python3 -c '
import os
f = open("/mnt/vol/t", "w+")
f.write("0123456789")
f.flush()
os.unlink("/mnt/vol/t")
f.truncate(4)
a = os.fstat(f.fileno()).st_size
os.ftruncate(f.fileno(), 100)
f.seek(0)
print(a, os.fstat(f.fileno()).st_size, os.fstat(f.fileno()).st_nlink, repr(f.read(5)))'
check "ftruncate of an unlinked file in a volume" \
	[ "$(cat "$WORK/trunc.out")" = "4 100 0 '0123\\x00'" ]

# The sandbox sees what the host does, stat for stat.
LAST=stat
sandboxed stat --volume "$vol:/mnt/vol" -- /bin/busybox stat -c '%n %s %a %h %Y' \
	/mnt/vol/d/g /mnt/vol/hard
want=$(cd "$vol" && stat -c '/mnt/vol/%n %s %a %h %Y' d/g hard)
check "stat in the sandbox matches the host" [ "$(cat "$WORK/stat.out")" = "$want" ]

# O_APPEND from two processes at once: every line lands whole (the host's
# O_APPEND, not an offset the sentry computes).
LAST=append
run_vol append /bin/busybox sh -c '
	cd /mnt/vol
	(for i in $(seq 200); do echo aaaaaaaaaaaaaaaa >> app; done) &
	for i in $(seq 200); do echo bbbbbbbbbbbbbbbb >> app; done
	wait'
check "concurrent appends: 400 whole lines" \
	[ "$(grep -cxE 'a{16}|b{16}' "$vol/app" 2>/dev/null)" = 400 ]
check "concurrent appends: nothing else" [ "$(wc -l <"$vol/app")" = 400 ]

# --- tar -xzf of real files: same tree as a native extraction ---------------
src="$WORK/src"
mkdir -p "$src"
# A few hundred real files (symlinks included) from /usr/share/doc, plus
# hard links, a FIFO and unusual modes.
n=0
for d in /usr/share/doc/*; do
	cp -a "$d" "$src/" 2>/dev/null
	n=$(find "$src" | wc -l)
	[ "$n" -ge 400 ] && break
done
echo data >"$src/h1" && ln "$src/h1" "$src/h2" && ln "$src/h1" "$src/h3"
mkfifo "$src/pipe"
chmod 600 "$src/h1"
mkdir -p "$src/private" && chmod 700 "$src/private"
mkdir -p "$src/sgid" && chmod 2755 "$src/sgid"
tar -czf "$WORK/src.tgz" -C "$src" .
mkdir -p "$WORK/native" "$vol/tree"
tar -xzf "$WORK/src.tgz" -C "$WORK/native"
LAST=tar
run_vol tar /usr/bin/tar -xzf "$WORK/src.tgz" -C /mnt/vol/tree
check "tar -xzf in the volume exits 0 ($n entries)" [ "$ST" -eq 0 ]
# (diff cannot compare FIFOs' contents; the listing below checks the FIFO.)
if diff -r --no-dereference -x pipe "$WORK/native" "$vol/tree" >"$WORK/diff.out" 2>&1; then
	ok "diff -r: the extracted tree equals the native extraction"
else
	not_ok "diff -r: the extracted tree equals the native extraction" "$(excerpt "$WORK/diff.out")"
fi
listing() {
	(cd "$1" && find . -printf '%p %y %M %n %s %u %g %T@ %l\n' | sort)
}
listing "$WORK/native" >"$WORK/native.list"
listing "$vol/tree" >"$WORK/vol.list"
if cmp -s "$WORK/native.list" "$WORK/vol.list"; then
	ok "types, modes, link counts, sizes, owners, mtimes, targets all equal"
else
	not_ok "types, modes, link counts, sizes, owners, mtimes, targets all equal" \
		"$(diff "$WORK/native.list" "$WORK/vol.list" | head -20)"
fi

# --- :ro refuses writes (EROFS) and the host is unchanged --------------------
before=$(cd "$vol" && find . -printf '%p %M %s %T@\n' | sort | sha256sum)
sum_keep=$(sha256sum <"$vol/keep")
LAST=ro
sandboxed ro --volume "$vol:/mnt/ro:ro" -- /usr/bin/python3 -c '
import errno, os
def err(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
print(err(lambda: open("/mnt/ro/keep", "w").write("x")),
      err(lambda: open("/mnt/ro/new", "w")),
      err(lambda: os.mkdir("/mnt/ro/dir")),
      err(lambda: os.unlink("/mnt/ro/keep")),
      err(lambda: os.rename("/mnt/ro/keep", "/mnt/ro/k2")),
      err(lambda: os.chmod("/mnt/ro/keep", 0o777)),
      err(lambda: os.utime("/mnt/ro/keep", (1, 1))),
      err(lambda: os.symlink("x", "/mnt/ro/l")),
      err(lambda: os.truncate("/mnt/ro/keep", 0)),
      open("/mnt/ro/keep").read().strip(),
      "ro" if os.statvfs("/mnt/ro").f_flag & os.ST_RDONLY else "rw")'
check "every write on a :ro volume fails with EROFS" [ "$(cat "$WORK/ro.out")" = \
	"EROFS EROFS EROFS EROFS EROFS EROFS EROFS EROFS EROFS original ro" ]
after=$(cd "$vol" && find . -printf '%p %M %s %T@\n' | sort | sha256sum)
check "the :ro volume's host tree is unchanged" [ "$before" = "$after" ]
check "the :ro volume's host file is unchanged" [ "$sum_keep" = "$(sha256sum <"$vol/keep")" ]

# --- durability: write + fsync, then SIGKILL the sentry ----------------------
# The program writes 4 MiB, fsyncs, says so, and waits to be killed.
"$SENTRY" run --volume "$vol:/mnt/vol" -- /usr/bin/python3 -c '
import os, sys, time
fd = os.open("/mnt/vol/durable", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
block = bytes(range(256)) * 4096
for i in range(4):
    os.write(fd, block)
os.fsync(fd)
print("synced", flush=True)
time.sleep(60)' >"$WORK/dur.out" 2>"$WORK/dur.err" </dev/null &
spid=$!
for i in $(seq 100); do
	grep -q synced "$WORK/dur.out" 2>/dev/null && break
	sleep 0.2
done
LAST=dur
check "the program fsynced before the kill" grep -q synced "$WORK/dur.out"
{
	kill -9 $spid
	wait $spid
} 2>/dev/null
python3 -c "
import sys
want = bytes(range(256)) * 4096 * 4
got = open('$vol/durable', 'rb').read()
sys.exit(0 if got == want else 1)"
check "after fsync and SIGKILL the host file has every byte" [ $? -eq 0 ]

# --- bad --volume arguments ----------------------------------------------------
for bad in "$WORK/nonexistent:/x" "$vol:relative" "$vol:/x:rx" "$vol:/" "$vol"; do
	capture badvol "$SENTRY" run --volume "$bad" -- /bin/true
	if [ "$ST" -eq 2 ] && grep -q -- "--volume" "$WORK/badvol.err"; then
		ok "--volume ${bad//$WORK/WORK}: usage error (2)"
	else
		not_ok "--volume ${bad//$WORK/WORK}: usage error (2)" "status $ST" \
			"$(excerpt "$WORK/badvol.err")"
	fi
done
capture badvol "$SENTRY" run --volume "$vol:/etc/passwd" -- /bin/true
[ "$ST" -eq 125 ] && grep -q "Not a directory" "$WORK/badvol.err" &&
	ok "--volume onto a file: boot fails (125)" ||
	not_ok "--volume onto a file: boot fails (125)" "status $ST" "$(excerpt "$WORK/badvol.err")"
# Nested volumes: the shallower one first, the deeper inside it (its mount
# point made on the host in the outer volume, as a container runtime does).
mkdir -p "$WORK/outer" "$WORK/inner" && echo in >"$WORK/inner/f"
LAST=nested
sandboxed nested --volume "$WORK/inner:/mnt/o/i" --volume "$WORK/outer:/mnt/o" -- \
	/bin/busybox cat /mnt/o/i/f
check "nested volumes mount outer first" [ "$(cat "$WORK/nested.out")" = in ] && [ -d "$WORK/outer/i" ]

# --- --root DIR --rw is fully writable ---------------------------------------
rootfs="$WORK/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/etc"
cp /bin/busybox "$rootfs/bin/busybox"
LAST=rootrw
sandboxed rootrw --root "$rootfs" --rw -- /bin/busybox sh -c '
	set -e
	mkdir /data
	echo one > /data/a
	mv /data/a /data/b
	ln -s b /data/c
	echo two >> /data/c
	rm /etc/../bin/../etc/../data/b 2>/dev/null || true
	echo three > /data/b
	chmod 600 /data/b
	cat /data/b'
check "--root --rw: create/rename/symlink/chmod succeed" \
	[ "$ST" -eq 0 ] && [ "$(cat "$WORK/rootrw.out")" = three ]
check "--root --rw: the files are on the host" \
	[ "$(cat "$rootfs/data/b" 2>/dev/null)" = three ] && [ "$(readlink "$rootfs/data/c")" = b ]
check "--root --rw: mode on the host" [ "$(stat -c %a "$rootfs/data/b")" = 600 ]

finish
