#!/bin/bash
# Extended attributes and fallocate(2) on a volume: what the sandbox sets is
# on the host file, what the host set is seen inside; a read-only volume
# refuses; tmpfs/overlay files store no attributes (ENODATA / EOPNOTSUPP).
source "$(dirname "$0")/lib.sh" "$@"

vol="$WORK/vol"
mkdir -p "$vol"
echo data >"$vol/f"
python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.fromhost", b"h1")' "$vol/f"

sandboxed set --volume "$vol:/mnt/vol" -- /usr/bin/python3 -c '
import os, errno
p = "/mnt/vol/f"
assert os.getxattr(p, "user.fromhost") == b"h1"
os.setxattr(p, "user.k", b"v" * 100)
assert os.getxattr(p, "user.k") == b"v" * 100
assert sorted(os.listxattr(p)) == ["user.fromhost", "user.k"], os.listxattr(p)
try:
    os.setxattr(p, "user.k", b"x", os.XATTR_CREATE); raise SystemExit("XATTR_CREATE on existing")
except OSError as e:
    assert e.errno == errno.EEXIST, e
os.removexattr(p, "user.fromhost")
try:
    os.getxattr(p, "user.fromhost"); raise SystemExit("removed attr still there")
except OSError as e:
    assert e.errno == errno.ENODATA, e
fd = os.open("/mnt/vol/big", os.O_CREAT | os.O_RDWR, 0o644)
os.posix_fallocate(fd, 0, 1 << 20)
assert os.fstat(fd).st_size == 1 << 20
try:
    os.posix_fallocate(os.open("/mnt/vol/f", os.O_RDONLY), 0, 10); raise SystemExit("read-only fd")
except OSError as e:
    assert e.errno == errno.EBADF, e
print("ok")
'
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/set.out")" = ok ]; then ok "xattrs and fallocate inside"; else
	not_ok "xattrs and fallocate inside" "status $ST" "$(excerpt "$WORK/set.err")"; fi

got=$(python3 -c 'import os,sys; print(sorted(os.listxattr(sys.argv[1])), os.getxattr(sys.argv[1], "user.k") == b"v" * 100, os.stat(sys.argv[2]).st_size)' "$vol/f" "$vol/big")
if [ "$got" = "['user.k'] True 1048576" ]; then ok "attributes and allocation on the host"; else
	not_ok "attributes and allocation on the host" "got: $got"; fi

sandboxed ro --volume "$vol:/mnt/vol:ro" -- /usr/bin/python3 -c '
import os, errno
try:
    os.setxattr("/mnt/vol/f", "user.z", b"1"); raise SystemExit("set on :ro")
except OSError as e:
    assert e.errno == errno.EROFS, e
print(os.getxattr("/mnt/vol/f", "user.k") == b"v" * 100)
'
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/ro.out")" = True ]; then ok "read-only volume: get works, set is EROFS"; else
	not_ok "read-only volume" "status $ST" "$(excerpt "$WORK/ro.err")"; fi

sandboxed tmp -- /usr/bin/python3 -c '
import os, errno
open("/dev/shm/x", "w").close()
try:
    os.getxattr("/dev/shm/x", "user.k"); raise SystemExit("attr on tmpfs")
except OSError as e:
    assert e.errno in (errno.ENODATA, errno.EOPNOTSUPP), e
print("ok")
'
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/tmp.out")" = ok ]; then ok "tmpfs has no attributes"; else
	not_ok "tmpfs has no attributes" "status $ST" "$(excerpt "$WORK/tmp.err")"; fi
finish
