#!/bin/bash
# Escape attempts through a writable volume. Symlinks in a volume are resolved
# by the sentry inside the sandbox's tree, never by the host: links to
# /etc/shadow, ../../.. and /proc/self/root/etc, hard links, ".." walks, and
# directories swapped for symlinks while the sandbox writes through them (from
# the host and from inside) all fail or stay inside. Host files outside the
# volume are checksummed before and after.
source "$(dirname "$0")/lib.sh" "$@"

rootfs="$WORK/rootfs"
vol="$WORK/vol"
outside="$WORK/outside"
mkdir -p "$rootfs/bin" "$rootfs/etc" "$vol/d" "$vol/race" "$outside"
cp /bin/busybox "$rootfs/bin/busybox"
echo sandbox-shadow >"$rootfs/etc/shadow"
echo secret >"$outside/target"
echo inside >"$vol/race/target"
ln -s /etc/shadow "$vol/shadow"
ln -s ../../.. "$vol/up"
ln -s /proc/self/root/etc "$vol/procroot"
ln -s "$outside" "$vol/abs"
ln -s "$outside/target" "$vol/abstarget"

# Everything outside the volume that a escape would touch.
snapshot() {
	{
		sha256sum /etc/shadow /etc/passwd "$outside/target" 2>&1
		find "$rootfs" "$outside" -printf '%p %M %s %T@\n' | sort
		ls -d /escaped "$(dirname "$(dirname "$WORK")")/escaped" 2>&1
	} | sha256sum
}
before=$(snapshot)

LAST=links
sandboxed links --root "$rootfs" --volume "$vol:/vol" -- /bin/busybox sh -c '
	r() { if out=$("$@" 2>/dev/null); then echo "$out"; else echo FAIL; fi; }
	r cat /vol/shadow
	echo pwned > /vol/shadow; r cat /etc/shadow
	r cat /vol/procroot/shadow
	r ls /vol/up/bin
	echo x > /vol/up/escaped; r ls /escaped
	r cat /vol/abs/target
	r cat /vol/abstarget
	cd /vol/../../../..; r pwd; r ls /vol/../../etc/shadow
	ln /vol/shadow /vol/hl && echo y > /vol/hl; r cat /vol/hl
	if ln /etc/shadow /vol/p 2>/dev/null; then echo LINKED; else echo nolink; fi
	if ln /vol/d/../../vol/shadow /etc/x 2>/dev/null; then echo LINKED; else echo nolink; fi
	mkdir /vol/d/sub; cd /vol/d/sub; r cat ../../../../../etc/shadow
	echo done'
expected='sandbox-shadow
pwned
pwned
busybox
/escaped
FAIL
FAIL
/
/vol/../../etc/shadow
y
nolink
nolink
y
done'
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/links.out")" = "$expected" ]; then
	ok "symlinks, hard links and .. resolve inside the sandbox"
else
	not_ok "symlinks, hard links and .. resolve inside the sandbox" \
		"$(diff <(echo "$expected") "$WORK/links.out")" "$(excerpt "$WORK/links.err")"
fi
[ ! -e "$vol/escaped" ] && [ ! -e "$(dirname "$(dirname "$WORK")")/escaped" ] &&
	ok "no file escaped through ../../.." || not_ok "no file escaped through ../../.."
[ "$(cat "$rootfs/etc/shadow")" = sandbox-shadow ] &&
	ok "the sandbox root's own files are untouched (overlay)" ||
	not_ok "the sandbox root's own files are untouched (overlay)"
[ "$(readlink "$vol/shadow")" = /etc/shadow ] && [ "$(stat -c %h "$vol/hl")" = 2 ] &&
	ok "the hard link links the symlink itself" || not_ok "the hard link links the symlink itself"

# With the host root as the sandbox root (read-only + overlay), an absolute
# symlink to a host path reaches the host file read-only: writes stay in
# the sandbox's memory.
sandboxed hostroot --volume "$vol:/vol" -- /bin/busybox sh -c \
	'cat /vol/abstarget; echo pwned > /vol/abstarget; cat /vol/abs/target'
if [ "$(cat "$WORK/hostroot.out")" = "$(printf 'secret\npwned')" ] &&
	[ "$(cat "$outside/target")" = secret ]; then
	ok "absolute symlink to a host file: written only in the overlay"
else
	not_ok "absolute symlink to a host file: written only in the overlay" \
		"$(excerpt "$WORK/hostroot.out")" "$(excerpt "$WORK/hostroot.err")"
fi

# Race 1: the host swaps vol/race between the real directory and a symlink
# to the outside directory while the sandbox writes through vol/race/target.
swap_host() {
	local end=$((SECONDS + 4))
	while [ $SECONDS -lt $end ]; do
		mv -T "$vol/race" "$vol/race.real" 2>/dev/null
		ln -sfn "$outside" "$vol/race" 2>/dev/null
		rm -f "$vol/race" 2>/dev/null
		mv -T "$vol/race.real" "$vol/race" 2>/dev/null
	done
}
swap_host &
swapper=$!
sandboxed race1 --root "$rootfs" --volume "$vol:/vol" -- /bin/busybox sh -c '
	i=0
	while [ $i -lt 300 ]; do
		echo pwned > /vol/race/target 2>/dev/null
		cat /vol/race/target > /dev/null 2>&1
		i=$((i + 1))
	done
	echo finished'
wait $swapper
# (Writes that went through reached the real directory; the sentry may also
# have cached vol/race as the symlink, after which every write fails.)
[ "$(cat "$WORK/race1.out")" = finished ] &&
	grep -qxE 'pwned|inside' "$vol/race/target" && [ "$(cat "$outside/target")" = secret ] &&
	ok "host-side rename race: the outside file is untouched" ||
	not_ok "host-side rename race: the outside file is untouched" \
		"$(excerpt "$WORK/race1.err")" "outside: $(cat "$outside/target")"

# Race 2: the same swap done inside the sandbox by one process while another
# writes through the swapped directory.
sandboxed race2 --root "$rootfs" --volume "$vol:/vol" -- /bin/busybox sh -c "
	mkdir -p /vol/r2 && echo inside > /vol/r2/target
	(i=0; while [ \$i -lt 200 ]; do
		mv /vol/r2 /vol/r2.real; ln -s '$outside' /vol/r2; rm /vol/r2
		ln -s ../../../../../../..$outside /vol/r2; rm /vol/r2
		ln -s /vol/up/up/up$outside /vol/r2; rm /vol/r2
		mv /vol/r2.real /vol/r2; i=\$((i + 1)); done) 2>/dev/null &
	i=0
	while [ \$i -lt 300 ]; do
		echo pwned > /vol/r2/target 2>/dev/null
		i=\$((i + 1))
	done
	wait
	echo finished"
[ "$(cat "$WORK/race2.out")" = finished ] && [ "$(cat "$outside/target")" = secret ] &&
	[ "$(cat "$vol/r2/target")" = pwned ] &&
	ok "sandbox-side rename race: the outside file is untouched" ||
	not_ok "sandbox-side rename race: the outside file is untouched" \
		"$(excerpt "$WORK/race2.err")"

after=$(snapshot)
[ "$before" = "$after" ] && ok "host files outside the volume: checksums unchanged" ||
	not_ok "host files outside the volume: checksums unchanged"

finish
