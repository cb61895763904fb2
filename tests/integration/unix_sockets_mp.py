# multiprocessing over unix sockets: a Manager (a unix-path server with
# authentication), the forkserver start method (fds passed with SCM_RIGHTS)
# and reduction.send_handle.
import multiprocessing as mp, multiprocessing.reduction as red, socket, os
def f(q): q.put(os.getpid() > 0)
if __name__ == "__main__":
    with mp.Manager() as m:
        d = m.dict(); d["a"] = 1; l = m.list(range(3)); print(dict(d), list(l))
    ctx = mp.get_context("forkserver")
    q = ctx.Queue(); p = ctx.Process(target=f, args=(q,)); p.start(); print("forkserver:", q.get()); p.join()
    a, b = socket.socketpair()
    r, w = os.pipe(); red.send_handle(a, w, os.getpid()); h = red.recv_handle(b); os.write(h, b"hi"); print(os.read(r, 2))
