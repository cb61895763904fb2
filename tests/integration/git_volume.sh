#!/bin/bash
# git on a volume: init, add, commit (a rename and a deletion among them), log,
# gc and status inside the sandbox; the repository the host then finds is sound
# (git fsck --full natively) and holds the same history. A clone into the
# sandbox's own /tmp, local (hard links/copies) and over the pack protocol
# (git upload-pack on pipes), is sound too.
source "$(dirname "$0")/lib.sh" "$@"

GIT=/usr/bin/git
if [ ! -x "$GIT" ]; then
	# Not a skip: this test needs git (.ci/install-deps installs it).
	not_ok "$GIT is installed" "install the git package"
	finish
fi

vol="$WORK/vol"
mkdir -p "$vol"

# check DESC CONDITION-COMMAND...: ok if the host-side command succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc" "stderr:" "$(excerpt "$WORK/$LAST.err")"; fi
}

# Fixed identity and dates: the commit ids are then the same every run, and
# the native side can check them. HOME is the sandbox's /tmp so no host
# ~/.gitconfig takes part.
cat >"$WORK/env.sh" <<'SH'
export HOME=/tmp GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME='Sandbox User' GIT_AUTHOR_EMAIL=user@sandbox.invalid
export GIT_COMMITTER_NAME='Sandbox User' GIT_COMMITTER_EMAIL=user@sandbox.invalid
n=0
# commit MSG: commit with a deterministic date.
commit() {
	n=$((n + 1))
	GIT_AUTHOR_DATE="2020-01-01T00:00:$((10 + n))Z" GIT_COMMITTER_DATE="2020-01-01T00:00:$((10 + n))Z" \
		git commit -q -m "$1"
}
SH

cat >"$WORK/make.sh" <<SH
set -e
. "$WORK/env.sh"
cd /mnt/vol
git init -q -b main repo
cd repo
git config core.autocrlf false
# A few hundred files in nested directories, so that gc has real packing to do.
for d in \$(seq 1 12); do
	mkdir -p src/d\$d
	for f in \$(seq 1 25); do
		printf 'file %s in dir %s\nline two\n' \$f \$d >src/d\$d/f\$f.txt
	done
done
printf '#!/bin/sh\necho hi\n' >run.sh
chmod 755 run.sh
ln -s src/d1/f1.txt link
echo 'first file' >a.txt
echo 'doomed' >b.txt
git add -A
commit 'initial import'
echo 'more' >>a.txt
seq 1 1000 >numbers
git add a.txt numbers
commit 'append and add numbers'
git mv a.txt renamed.txt
commit 'rename a.txt'
git rm -q b.txt
git rm -q -r src/d12
commit 'delete b.txt and d12'
sed -i 's/^5/five/' numbers
echo tail >>src/d3/f7.txt
git add -u
commit 'edit numbers and d3/f7'
git tag -a v1 -m 'tag v1'
git log --oneline
git gc -q
git status --porcelain
echo status=\$?
git rev-parse HEAD
git ls-files | wc -l
SH

# Generous per-command limit: the machine may be loaded; nothing here is timed.
LIMIT=${SENTRY_TEST_TIMEOUT:-120}
LAST=make
sandboxed make --volume "$vol:/mnt/vol" -- /bin/bash "$WORK/make.sh"
mapfile -t out <"$WORK/make.out"
check "git init/add/commit/mv/rm/tag/gc on a volume exit 0" [ "$ST" -eq 0 ]
# Nothing below means anything without the repository.
[ "$ST" -eq 0 ] || finish
check "no sanitizer report" sanitizer_clean make
# 5 commits on one line each, then an empty `git status --porcelain`.
check "git log --oneline in the sandbox lists the 5 commits" \
	[ "$(sed -n '1,5p' "$WORK/make.out" | cut -d' ' -f2- | tr '\n' '|')" = \
	"edit numbers and d3/f7|delete b.txt and d12|rename a.txt|append and add numbers|initial import|" ]
check "git status clean after gc in the sandbox" [ "${out[5]:-}" = "status=0" ]

repo="$vol/repo"
# The host's own git finds the repository sound and the same.
capture fsck $GIT -C "$repo" fsck --full --strict --no-dangling
LAST=fsck
check "native git fsck --full is clean" [ "$ST" -eq 0 -a ! -s "$WORK/fsck.err" ]
check "gc packed the objects (one pack, no loose objects left)" \
	[ "$(find "$repo/.git/objects" -name '*.pack' | wc -l):$(find "$repo/.git/objects" -path '*/objects/??/*' | wc -l)" = "1:0" ]
capture nlog env TZ=UTC $GIT -C "$repo" log --oneline
LAST=nlog
check "native git log shows the same commits" \
	[ "$(cat "$WORK/nlog.out")" = "$(sed -n '1,5p' "$WORK/make.out")" ]
check "native HEAD is the sandbox's HEAD" \
	[ "$($GIT -C "$repo" rev-parse HEAD)" = "${out[6]:-}" ]
capture nstatus $GIT -C "$repo" status --porcelain
LAST=nstatus
check "native git status is clean too (index and stat data valid)" \
	[ "$ST" -eq 0 -a ! -s "$WORK/nstatus.out" ]
check "native git sees the rename" \
	[ "$($GIT -C "$repo" log -1 --format= --name-status -M HEAD~2)" = "$(printf 'R100\ta.txt\trenamed.txt')" ]
check "native git sees the deletions" \
	[ "$($GIT -C "$repo" log -1 --format= --name-status HEAD~1 | grep -c '^D')" = 26 ]
check "file count matches (${out[7]:-?} in the sandbox)" \
	[ "$($GIT -C "$repo" ls-files | wc -l)" = "${out[7]:-x}" ]
check "the symlink and the executable bit are in the tree" \
	[ "$($GIT -C "$repo" ls-tree HEAD link run.sh | cut -c1-6 | tr '\n' ' ')" = "120000 100755 " ]

# Clones into the sandbox's /tmp: local (links or copies the objects) and over
# the pack protocol (upload-pack/index-pack through pipes).
cat >"$WORK/clone.sh" <<SH
set -e
. "$WORK/env.sh"
cd /tmp
git clone -q /mnt/vol/repo local
git clone -q --no-local /mnt/vol/repo packed
for c in local packed; do
	git -C \$c fsck --full --strict --no-dangling
	git -C \$c log --oneline
	git -C \$c status --porcelain
	git -C \$c describe
	cat \$c/renamed.txt
	test ! -e \$c/b.txt
	readlink \$c/link
	test -x \$c/run.sh
	cmp \$c/numbers /mnt/vol/repo/numbers
done
SH
LAST=clone
sandboxed clone --volume "$vol:/mnt/vol:ro" -- /bin/bash "$WORK/clone.sh"
one=$(printf '%s\nv1\nfirst file\nmore\nsrc/d1/f1.txt' "$(cat "$WORK/nlog.out")")
check "git clone (local and --no-local) into the sandbox's /tmp: fsck, log, checkout" \
	[ "$ST" -eq 0 -a "$(cat "$WORK/clone.out")" = "$(printf '%s\n%s' "$one" "$one")" ]
check "no sanitizer report (clone)" sanitizer_clean clone

finish
