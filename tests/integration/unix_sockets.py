# Unix sockets as Python's standard library uses them: asyncio's event loop
# (a socketpair as its self-pipe, child watchers, subprocess pipes), a
# socketpair-based stream protocol, a unix-path server, fd passing and
# SO_PEERCRED. The output is the same natively and in the sandbox.
import array
import asyncio
import os
import socket
import struct
import sys
import tempfile


async def subprocess_demo():
    p = await asyncio.create_subprocess_exec(
        "/bin/sh", "-c", "read x; echo got:$x; echo err >&2; exit 3",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    out, err = await p.communicate(b"ping\n")
    print("subprocess:", out.decode().strip(), err.decode().strip(), p.returncode)


async def socketpair_demo():
    a, b = socket.socketpair()
    r1, w1 = await asyncio.open_connection(sock=a)
    r2, w2 = await asyncio.open_connection(sock=b)
    for i in range(3):
        w1.write(b"line %d\n" % i)
    await w1.drain()
    lines = [(await r2.readline()).decode().strip() for _ in range(3)]
    print("socketpair:", lines)
    w1.close()
    print("eof:", await r2.read())
    w2.close()


async def unix_server_demo(path):
    async def handle(r, w):
        data = await r.readexactly(5)
        w.write(data.upper())
        await w.drain()
        w.close()

    srv = await asyncio.start_unix_server(handle, path=path)
    async with srv:
        results = []
        for word in (b"hello", b"world"):
            r, w = await asyncio.open_unix_connection(path)
            w.write(word)
            results.append(await r.read())
            w.close()
        print("unix server:", results)


def fd_passing_and_peercred():
    a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    rfd, wfd = os.pipe()
    a.sendmsg([b"x"], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [wfd]))])
    os.close(wfd)
    msg, anc, flags, addr = b.recvmsg(1, socket.CMSG_SPACE(4))
    fds = array.array("i")
    fds.frombytes(anc[0][2])
    os.write(fds[0], b"passed")
    os.close(fds[0])
    print("fd passing:", os.read(rfd, 10))
    pid, uid, gid = struct.unpack("3i", a.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
    print("peercred pid matches:", pid == os.getpid(), "uid matches:", uid == os.geteuid())


def main():
    asyncio.run(subprocess_demo())
    asyncio.run(socketpair_demo())
    with tempfile.TemporaryDirectory() as d:
        asyncio.run(unix_server_demo(os.path.join(d, "srv.sock")))
    fd_passing_and_peercred()
    print("done")


main()
