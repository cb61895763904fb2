#!/bin/bash
# Unix sockets through real programs: Python's asyncio (subprocesses, a
# socketpair stream, a unix-path server), fd passing and SO_PEERCRED print
# the same in the sandbox as natively.
source "$(dirname "$0")/lib.sh" "$@"

PY="$(dirname "$0")/unix_sockets.py"

same_as_native "python3 asyncio, unix servers, fd passing" /usr/bin/python3 "$PY"
expect_sandbox "asyncio subprocess output" 0 "subprocess: got:ping err 3" \
	/usr/bin/python3 -c '
import asyncio
async def main():
    p = await asyncio.create_subprocess_exec("/bin/sh", "-c", "read x; echo got:$x; echo err >&2; exit 3",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await p.communicate(b"ping\n")
    print("subprocess:", out.decode().strip(), err.decode().strip(), p.returncode)
asyncio.run(main())'
expect_sandbox "socketpair echo through a forked child" 0 "echo:HELLO" \
	/usr/bin/python3 -c '
import os, socket
a, b = socket.socketpair()
if os.fork() == 0:
    a.close(); b.sendall(b.recv(100).upper()); os._exit(0)
b.close(); a.sendall(b"hello"); print("echo:" + a.recv(100).decode()); os.wait()'
same_as_native "python3 multiprocessing Manager, forkserver, send_handle" \
	/usr/bin/python3 "$(dirname "$0")/unix_sockets_mp.py"

# Real daemons that live on unix sockets, where installed.
if [ -x /usr/bin/ssh-agent ] && [ -x /usr/bin/ssh-add ]; then
	same_as_native "ssh-agent and ssh-add" /bin/sh -c \
		'eval "$(ssh-agent -s)" >/dev/null; ssh-add -l; echo "rc=$?"; ssh-agent -k >/dev/null'
fi
if [ -x /usr/bin/dbus-run-session ] && [ -x /usr/bin/dbus-send ]; then
	expect_sandbox "dbus-daemon session bus answers ListNames" 0 2 /bin/sh -c \
		'dbus-run-session -- dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.ListNames 2>/dev/null | grep -c string'
fi

finish
