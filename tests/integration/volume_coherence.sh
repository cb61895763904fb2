#!/bin/bash
# A --volume is shared with the host (like a Docker bind mount): changes the
# host makes while the sandbox runs are seen by the sandbox, even for names
# and files it has already looked up, opened and stat'ed (goferfs "shared"
# mode: cached dentries are revalidated, attributes refreshed; docs/vfs.md).
#
# A sandboxed python3 first looks at every file (so the sentry caches them),
# reports, then waits for a marker; the host changes the files and drops the
# marker; the sandbox reports again what it now sees (python and busybox's
# cat/stat/ls), and finally writes files the host checks.
source "$(dirname "$0")/lib.sh" "$@"

vol="$WORK/vol"
mkdir -p "$vol"
echo one >"$vol/app"
echo gone >"$vol/del"
echo old >"$vol/rep"
echo m >"$vol/mode" && chmod 644 "$vol/mode"
echo 0123456789 >"$vol/trunc"
echo t >"$vol/touched" && touch -d @1000000000 "$vol/touched"
mkdir "$vol/d" && echo x >"$vol/d/x"
echo c >"$vol/recreate"
echo c >"$vol/excl"
echo t >"$vol/typ"
echo r >"$vol/rmme"

cat >"$WORK/coh.py" <<'EOF'
import errno, os, subprocess, sys, time
V = "/mnt/vol"

def wait(name):
    for _ in range(2000):
        if os.path.exists(V + "/" + name):
            return
        time.sleep(0.01)
    sys.exit("timed out waiting for " + name)

def report(step, lines):
    with open(V + "/res.%s.tmp" % step, "w") as f:
        f.write("\n".join(str(x) for x in lines) + "\n")
    os.rename(V + "/res.%s.tmp" % step, V + "/res." + step)

def bb(*args):
    p = subprocess.run(["/bin/busybox"] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL)
    return p.stdout.decode().strip() if p.returncode == 0 else "exit %d" % p.returncode

def err(f):
    try:
        f()
        return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]

# Look at everything: these dentries and attributes are now cached.
held = open(V + "/app")
report("0", [
    held.read().strip(),
    os.stat(V + "/app").st_size,
    open(V + "/del").read().strip(),
    open(V + "/rep").read().strip(),
    oct(os.stat(V + "/mode").st_mode & 0o777),
    os.stat(V + "/trunc").st_size,
    int(os.stat(V + "/touched").st_mtime),
    open(V + "/d/x").read().strip(),
    os.path.isfile(V + "/recreate") and os.path.isfile(V + "/excl"),
    os.path.isfile(V + "/typ") and os.path.isfile(V + "/rmme"),
])
wait("go1")
report("1", [
    # append: new size and content, also on the descriptor opened before
    bb("cat", V + "/app").replace("\n", "|"),
    bb("stat", "-c", "%s", V + "/app"),
    os.stat(V + "/app").st_size,
    held.read().strip(),
    os.fstat(held.fileno()).st_size,
    held.seek(0, 2),
    # delete
    err(lambda: os.stat(V + "/del")),
    bb("cat", V + "/del"),
    # replaced by rename
    open(V + "/rep").read().strip(),
    bb("cat", V + "/rep"),
    # chmod
    oct(os.stat(V + "/mode").st_mode & 0o777),
    bb("stat", "-c", "%a", V + "/mode"),
    # truncate and touch
    os.stat(V + "/trunc").st_size,
    open(V + "/trunc").read(),
    int(os.stat(V + "/touched").st_mtime),
    bb("stat", "-c", "%Y", V + "/touched"),
    # a new directory with files
    " ".join(sorted(os.listdir(V + "/newdir"))),
    bb("ls", V + "/newdir").replace("\n", " "),
    bb("cat", V + "/newdir/f2"),
    # a directory removed and made again with other contents
    err(lambda: open(V + "/d/x")),
    open(V + "/d/y").read().strip(),
    " ".join(sorted(os.listdir(V + "/d"))),
    # a file replaced by a directory
    os.path.isdir(V + "/typ"),
    # names removed on the host, made again by the sandbox
    err(lambda: open(V + "/recreate", "w").write("sandbox")),
    err(lambda: os.close(os.open(V + "/excl", os.O_CREAT | os.O_EXCL | os.O_WRONLY))),
    err(lambda: os.mkdir(V + "/rmme")),
])
# The other way: the sandbox's changes reach the host.
with open(V + "/app", "a") as f:
    f.write("three\n")
with open(V + "/fromsandbox", "w") as f:
    f.write("hello host\n")
os.chmod(V + "/fromsandbox", 0o640)
report("2", [os.stat(V + "/app").st_size])
EOF

# wait_for FILE: up to ~20 s, while the sandbox runs.
wait_for() {
	for _ in $(seq 200); do
		[ -e "$1" ] && return 0
		kill -0 "$spid" 2>/dev/null || break
		sleep 0.1
	done
	[ -e "$1" ]
}

"$SENTRY" run --volume "$vol:/mnt/vol" -- /usr/bin/python3 "$WORK/coh.py" \
	>"$WORK/coh.out" 2>"$WORK/coh.err" </dev/null &
spid=$!

if wait_for "$vol/res.0"; then
	ok "the sandbox looked at the files first"
else
	not_ok "the sandbox looked at the files first" "stderr:" "$(excerpt "$WORK/coh.err")"
fi
want0="one
4
gone
old
0o644
11
1000000000
x
True
True"
if [ "$(cat "$vol/res.0" 2>/dev/null)" = "$want0" ]; then
	ok "before: the sandbox sees the host's files"
else
	not_ok "before: the sandbox sees the host's files" "$(cat "$vol/res.0" 2>&1)"
fi

# The host changes everything the sandbox has cached.
echo two >>"$vol/app"
rm "$vol/del"
echo new >"$vol/rep.tmp" && mv "$vol/rep.tmp" "$vol/rep"
chmod 600 "$vol/mode"
truncate -s 3 "$vol/trunc"
touch -d @1500000000 "$vol/touched"
mkdir "$vol/newdir" && echo f1 >"$vol/newdir/f1" && echo f2 >"$vol/newdir/f2"
rm -r "$vol/d" && mkdir "$vol/d" && echo y >"$vol/d/y"
rm "$vol/typ" && mkdir "$vol/typ"
rm "$vol/recreate" "$vol/excl"
rmdir "$vol/rmme" 2>/dev/null || rm "$vol/rmme"
touch "$vol/go1"

wait_for "$vol/res.2"
got=()
if [ -e "$vol/res.1" ]; then
	mapfile -t got <"$vol/res.1"
else
	echo "no report from the sandbox; its stderr:"
	excerpt "$WORK/coh.err"
fi
# check INDEX DESC WANT
check() {
	if [ "${got[$1]-<missing>}" = "$3" ]; then
		ok "$2"
	else
		not_ok "$2" "got '${got[$1]-<missing>}', want '$3'"
	fi
}
check 0 "host append: cat shows the new content" "one|two"
check 1 "host append: busybox stat shows the new size" 8
check 2 "host append: stat() shows the new size" 8
check 3 "host append: read() on a descriptor opened before goes past the old size" two
check 4 "host append: fstat() on that descriptor shows the new size" 8
check 5 "host append: lseek(SEEK_END) uses the new size" 8
check 6 "host delete: stat() fails with ENOENT" ENOENT
check 7 "host delete: cat fails" "exit 1"
check 8 "host rename over a file: the sandbox reads the new file" new
check 9 "host rename over a file: cat reads the new file" new
check 10 "host chmod: stat() shows the new mode" 0o600
check 11 "host chmod: busybox stat shows the new mode" 600
check 12 "host truncate: stat() shows the new size" 3
check 13 "host truncate: read() returns the new content" 012
check 14 "host touch: stat() shows the new mtime" 1500000000
check 15 "host touch: busybox stat shows the new mtime" 1500000000
check 16 "host mkdir + files: listdir shows them" "f1 f2"
check 17 "host mkdir + files: ls shows them" "f1 f2"
check 18 "host mkdir + files: cat reads them" f2
check 19 "host rm -r + mkdir: the old file is gone" ENOENT
check 20 "host rm -r + mkdir: the new file is read" y
check 21 "host rm -r + mkdir: listdir shows the new contents" y
check 22 "host replaced a file by a directory: the sandbox sees a directory" True
check 23 "host delete, then the sandbox's open(O_CREAT) creates the file" ok
check 24 "host delete, then the sandbox's O_CREAT|O_EXCL succeeds" ok
check 25 "host delete, then the sandbox's mkdir of the name succeeds" ok

# The sandbox's own changes, seen on the host.
wait $spid
st=$?
if [ "$st" -eq 0 ] && sanitizer_clean coh; then
	ok "the sandboxed program exits 0"
else
	not_ok "the sandboxed program exits 0" "status $st" "$(excerpt "$WORK/coh.err")"
fi
if [ "$(cat "$vol/recreate" 2>/dev/null)" = sandbox ] && [ -f "$vol/excl" ] && [ -d "$vol/rmme" ]; then
	ok "the names the sandbox made again are on the host"
else
	not_ok "the names the sandbox made again are on the host" "$(ls -l "$vol")"
fi
if [ "$(cat "$vol/app")" = "$(printf 'one\ntwo\nthree')" ] &&
	[ "$(cat "$vol/res.2")" = 14 ] && [ "$(cat "$vol/fromsandbox")" = "hello host" ] &&
	[ "$(stat -c %a "$vol/fromsandbox")" = 640 ]; then
	ok "sandbox append, new file and chmod are seen on the host"
else
	not_ok "sandbox append, new file and chmod are seen on the host" \
		"app: $(cat "$vol/app" | tr '\n' '|'), res.2: $(cat "$vol/res.2" 2>&1)"
fi

finish
