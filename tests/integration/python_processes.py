import multiprocessing, threading, subprocess, signal, time, os
def sq(x):
    return x * x
if __name__ == "__main__":
    c = threading.Condition(); n = [0]
    def w():
        with c:
            n[0] += 1; c.notify_all()
    ts = [threading.Thread(target=w) for _ in range(100)]
    [t.start() for t in ts]; [t.join() for t in ts]
    with c:
        c.wait_for(lambda: n[0] == 100, timeout=5)
    assert n[0] == 100
    print("threads ok")
    r = subprocess.run(["/bin/echo", "hi"], capture_output=True)
    assert r.stdout == b"hi\n"
    print("subprocess ok")
    fired = []
    signal.signal(signal.SIGALRM, lambda s, f: fired.append(s))
    signal.alarm(1)
    t0 = time.time(); time.sleep(3)
    assert fired == [signal.SIGALRM], fired
    print("alarm ok")
    p = subprocess.Popen(["/bin/sleep", "10"])
    os.kill(p.pid, signal.SIGTERM)
    assert p.wait() == -signal.SIGTERM
    print("kill ok")
    with multiprocessing.Pool(4) as pool:
        assert pool.map(sq, range(10)) == [x * x for x in range(10)]
    print("pool ok")
