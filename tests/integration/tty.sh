#!/bin/bash
# Terminals: ptys inside the sandbox (python's pty module, script(1)) and the
# console bridge of `sentry run` on a terminal (the caller's terminal is
# raw while the program runs and restored after; ^C and window size
# changes reach the sandbox's foreground group).
source "$(dirname "$0")/lib.sh" "$@"

PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

# drive.py CMD...: run CMD on a new pty (24x80) and act on its output:
# steps come from $STEPS, one per line: "wait TEXT" (until the output
# contains TEXT), "send TEXT" (python escapes), "size ROWSxCOLS". Prints the
# output; exits with CMD's status (128+N for signal N).
cat >"$WORK/drive.py" <<'EOF'
import fcntl, os, pty, select, struct, sys, termios, time
steps = [l for l in os.environ.get("STEPS", "").split("\n") if l]
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
out = b""
deadline = time.time() + 25
def pump(t):
    global out
    r, _, _ = select.select([fd], [], [], t)
    if not r:
        return True
    try:
        d = os.read(fd, 4096)
    except OSError:
        return False
    out += d
    return bool(d)
alive = True
for s in steps:
    op, _, arg = s.partition(" ")
    if op == "wait":
        want = arg.encode().decode("unicode_escape").encode("latin-1")
        while alive and want not in out and time.time() < deadline:
            alive = pump(0.2)
    elif op == "send":
        os.write(fd, arg.encode().decode("unicode_escape").encode("latin-1"))
    elif op == "size":
        r, c = arg.split("x")
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", int(r), int(c), 0, 0))
while alive and time.time() < deadline:
    alive = pump(0.5)
_, st = os.waitpid(pid, 0)
sys.stdout.buffer.write(out)
sys.exit(os.WEXITSTATUS(st) if os.WIFEXITED(st) else 128 + os.WTERMSIG(st))
EOF

# on_tty NAME STEPS CMD...: drive CMD on a terminal; output in $WORK/NAME.out.
on_tty() {
	local name=$1
	STEPS=$2
	shift 2
	STEPS=$STEPS capture "$name" "$PY" "$WORK/drive.py" "$@"
}

# --- ptys inside the sandbox -------------------------------------------------

# Python's pty module spawns /bin/sh on a pty and drives it.
cat >"$WORK/pty_sh.py" <<'EOF'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv("/bin/sh", ["sh"])
os.write(fd, b"echo hi$((6*7))\nexit 3\n")
out = b""
while True:
    try:
        d = os.read(fd, 1024)
    except OSError:  # EIO: the slave side is closed
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
print("hi42" if b"hi42\r\n" in out else "no hi42: %r" % out, os.WEXITSTATUS(st))
EOF
for where in native sandbox; do
	if [ $where = native ]; then
		capture native "$PY" "$WORK/pty_sh.py"
	else
		sandboxed sandbox -- "$PY" "$WORK/pty_sh.py"
	fi
	if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/$where.out")" = "hi42 3" ]; then
		ok "$where: python pty.fork drives /bin/sh (echo, exit 3)"
	else
		not_ok "$where: python pty.fork drives /bin/sh (echo, exit 3)" "status $ST" \
			"$(excerpt "$WORK/$where.out")" "$(excerpt "$WORK/$where.err")"
	fi
done

# script(1): a new pty as controlling terminal; tty and stty -a as natively
# (the pts number aside).
norm() { sed -e 's|/dev/pts/[0-9]*|/dev/pts/N|' -e 's/\r$//' "$1"; }
capture native script -qc 'tty; stty -a' /dev/null
nst=$ST
sandboxed sandbox -- script -qc 'tty; stty -a' /dev/null
if [ "$nst" -eq 0 ] && [ "$ST" -eq 0 ] && grep -q '^/dev/pts/[0-9]' "$WORK/sandbox.out" &&
	[ "$(norm "$WORK/native.out")" = "$(norm "$WORK/sandbox.out")" ]; then
	ok "script -qc 'tty; stty -a' matches native"
else
	not_ok "script -qc 'tty; stty -a' matches native" "status native $nst sandbox $ST" \
		"$(diff <(norm "$WORK/native.out") <(norm "$WORK/sandbox.out") | head -20)" \
		"$(excerpt "$WORK/sandbox.err")"
fi

# Without a terminal: no controlling terminal, stdio passed through.
expect_sandbox "no terminal: /dev/tty is ENXIO" 0 "ENXIO" \
	"$PY" -c 'import os,errno
try: os.open("/dev/tty", os.O_RDWR)
except OSError as e: print(errno.errorcode[e.errno])'

# --- the console bridge ----------------------------------------------------------

on_tty tty_name "" "$SENTRY" run -- /bin/sh -c 'tty; stty size; ls -l /proc/self/fd/0 | sed "s/.*-> //"'
if [ "$ST" -eq 0 ] && [ "$(tr -d '\r' <"$WORK/tty_name.out")" = "$(printf '/dev/pts/0\n24 80\n/dev/pts/0')" ]; then
	ok "bridge: the program's stdin is /dev/pts/0 with the caller's size"
else
	not_ok "bridge: the program's stdin is /dev/pts/0 with the caller's size" "status $ST" \
		"$(excerpt "$WORK/tty_name.out")"
fi

on_tty shell "$(printf 'wait ok> \nsend echo hi$((6*7))\\n\nwait hi42\nsend exit 3\\n')" \
	"$SENTRY" run --env 'PS1=ok> ' -- /bin/sh -i
if [ "$ST" -eq 3 ] && grep -q $'hi42\r$' "$WORK/shell.out"; then
	ok "bridge: interactive sh (echo hi, exit 3)"
else
	not_ok "bridge: interactive sh (echo hi, exit 3)" "status $ST" "$(excerpt "$WORK/shell.out")"
fi

# ^C is typed into the sandbox's line discipline: SIGINT for the foreground
# group, which here traps it.
on_tty intr "$(printf 'wait ready\nsend \\x03\n')" "$SENTRY" run -- /bin/sh -c \
	'trap "echo got INT; exit 5" INT; echo ready; while :; do sleep 0.1; done'
if [ "$ST" -eq 5 ] && grep -q 'got INT' "$WORK/intr.out"; then
	ok "bridge: ^C sends SIGINT to the foreground group"
else
	not_ok "bridge: ^C sends SIGINT to the foreground group" "status $ST" "$(excerpt "$WORK/intr.out")"
fi

# A window size change reaches the sandbox as SIGWINCH with the new size.
on_tty winch "$(printf 'wait ready\nsize 40x132\n')" "$SENTRY" run -- /bin/sh -c \
	'trap "stty size; exit 0" WINCH; echo ready; i=0; while [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; exit 9'
if [ "$ST" -eq 0 ] && grep -q '^40 132' "$WORK/winch.out"; then
	ok "bridge: SIGWINCH with the new window size"
else
	not_ok "bridge: SIGWINCH with the new window size" "status $ST" "$(excerpt "$WORK/winch.out")"
fi

# The caller's terminal settings are back after the run.
on_tty restore "" /bin/sh -c "stty -g; \"$SENTRY\" run -- /bin/true; stty -g"
if [ "$ST" -eq 0 ] && [ "$(tr -d '\r' <"$WORK/restore.out" | sort -u | wc -l)" -eq 1 ]; then
	ok "bridge: the caller's terminal mode is restored"
else
	not_ok "bridge: the caller's terminal mode is restored" "status $ST" "$(excerpt "$WORK/restore.out")"
fi

finish
