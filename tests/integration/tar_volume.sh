#!/bin/bash
# tar -czf of thousands of real files: a volume holds a copy of /usr/share/doc
# (files over 16 KiB left out, so the test stays short) plus hard links,
# symlinks and unusual modes; tar in the sandbox archives it onto the volume,
# the host extracts the archive natively, and the extracted tree equals the
# original: contents, modes, symlink targets, link counts and hard-link
# groups, mtimes to the nanosecond. find -printf in the sandbox also sees the
# tree exactly as the host does.
source "$(dirname "$0")/lib.sh" "$@"

vol="$WORK/vol"
src="$vol/doc"
mkdir -p "$vol"
# cp -a keeps modes, symlinks and mtimes (nanoseconds); then the cap.
cp -a /usr/share/doc "$src"
find "$src" -type f -size +16k -delete
# Hard links (groups of 2 and 3, across directories), modes, a FIFO, an
# empty file and directory, a dangling and a directory symlink.
first=$(find "$src" -type f -name 'copyright' | sort | head -3)
i=0
for f in $first; do
	i=$((i + 1))
	ln "$f" "$src/hardlink$i"
done
ln "$src/hardlink1" "$src/hardlink1b"
mkdir -p "$src/x/y/z" && echo deep >"$src/x/y/z/deep"
ln "$src/x/y/z/deep" "$src/deeplink"
chmod 600 "$src/x/y/z/deep"
chmod 751 "$src/x/y"
mkdir "$src/sgid" && chmod 2755 "$src/sgid"
mkdir "$src/sticky" && chmod 1777 "$src/sticky"
mkdir "$src/empty"
: >"$src/emptyfile"
printf '#!/bin/sh\n' >"$src/x/exe" && chmod 4755 "$src/x/exe"
mkfifo "$src/fifo"
ln -s nowhere "$src/dangling"
ln -s x/y "$src/dirlink"
touch -h -d '2003-04-05 06:07:08.123456789' "$src/dangling" "$src/x/y/z"
touch -d '1999-12-31 23:59:59.5' "$src/emptyfile"
nfiles=$(find "$src" -type f | wc -l)
nall=$(find "$src" | wc -l)

# listing DIR: every entry, sorted: path, mode, symlink target, link count,
# mtime (ns), size (not for directories: ext4 does not shrink them), owner,
# type.
cat >"$WORK/listing.sh" <<'SH'
cd "$1" && find . \( -type d -printf '%p %m %l %n %T@ - %U:%G %y\n' \) \
	-o -printf '%p %m %l %n %T@ %s %U:%G %y\n' | LC_ALL=C sort
SH
listing() {
	/bin/bash "$WORK/listing.sh" "$1"
}
# sums DIR: a checksum per regular file.
sums() {
	(cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}
# links DIR: the hard-link groups, as sorted lists of names per inode.
links() {
	(cd "$1" && find . -type f -links +1 -printf '%i %p\n' | LC_ALL=C sort -k2 |
		awk '{ g[$1] = g[$1] " " $2 } END { for (i in g) print g[i] }' | LC_ALL=C sort)
}
listing "$src" >"$WORK/orig.list"
sums "$src" >"$WORK/orig.sums"
links "$src" >"$WORK/orig.links"

# In the sandbox: the same listing, then the archive (pax format keeps
# nanosecond mtimes).
cat >"$WORK/in.sh" <<SH
set -e
/bin/bash "$WORK/listing.sh" /mnt/vol/doc >/tmp/list
cat /tmp/list
tar --format=posix -czf /mnt/vol/doc.tgz -C /mnt/vol doc
SH
LIMIT=${SENTRY_TEST_TIMEOUT:-120}
sandboxed tar --volume "$vol:/mnt/vol" -- /bin/bash "$WORK/in.sh"
if [ "$ST" -eq 0 ] && sanitizer_clean tar; then
	ok "tar --format=posix -czf of $nall entries ($nfiles files) in the sandbox exits 0"
else
	not_ok "tar -czf of $nall entries in the sandbox exits 0" "exit status $ST" \
		"stderr:" "$(excerpt "$WORK/tar.err")"
fi
if cmp -s "$WORK/orig.list" "$WORK/tar.out"; then
	ok "find -printf '%p %m %l %n %T@ %s %U:%G %y' in the sandbox equals the host's"
else
	not_ok "find -printf in the sandbox equals the host's" \
		"$(diff "$WORK/orig.list" "$WORK/tar.out" | head -20)"
fi
# (The listing in the sandbox did not change the tree: the originals still hold.)
listing "$src" >"$WORK/orig2.list"
if cmp -s "$WORK/orig.list" "$WORK/orig2.list"; then
	ok "archiving left the source tree untouched"
else
	not_ok "archiving left the source tree untouched" \
		"$(diff "$WORK/orig.list" "$WORK/orig2.list" | head -20)"
fi

# Natively: extract and compare with the original.
mkdir -p "$WORK/x"
capture untar tar -xzpf "$vol/doc.tgz" -C "$WORK/x"
if [ "$ST" -eq 0 ]; then
	ok "the archive extracts natively"
else
	not_ok "the archive extracts natively" "$(excerpt "$WORK/untar.err")"
fi
listing "$WORK/x/doc" >"$WORK/x.list"
sums "$WORK/x/doc" >"$WORK/x.sums"
links "$WORK/x/doc" >"$WORK/x.links"
if cmp -s "$WORK/orig.list" "$WORK/x.list"; then
	ok "extracted tree: same paths, modes, symlinks, link counts, mtimes, sizes, owners"
else
	not_ok "extracted tree: same paths, modes, symlinks, link counts, mtimes, sizes, owners" \
		"$(diff "$WORK/orig.list" "$WORK/x.list" | head -20)"
fi
if cmp -s "$WORK/orig.sums" "$WORK/x.sums" && [ "$(wc -l <"$WORK/x.sums")" = "$nfiles" ]; then
	ok "extracted tree: the same contents ($nfiles sha256 sums)"
else
	not_ok "extracted tree: the same contents" "$(diff "$WORK/orig.sums" "$WORK/x.sums" | head -10)"
fi
if cmp -s "$WORK/orig.links" "$WORK/x.links" && [ "$(wc -l <"$WORK/x.links")" = 4 ]; then
	ok "extracted tree: the same 4 hard-link groups"
else
	not_ok "extracted tree: the same 4 hard-link groups" \
		"$(diff "$WORK/orig.links" "$WORK/x.links" | head -10)"
fi

finish
