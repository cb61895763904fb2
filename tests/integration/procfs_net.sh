#!/bin/bash
# /proc/net in the sandbox against Linux in a fresh network namespace with lo
# up (`unshare -n`; the sandbox's network is loopback only), byte for byte
# for the files whose content does not depend on the host's kernel build;
# then /proc/net/unix through ss and netstat (their /proc/net fallback, as
# the sandbox answers NETLINK_SOCK_DIAG with EPROTONOSUPPORT).
source "$(dirname "$0")/lib.sh" "$@"

IP=$(command -v ip || echo /usr/sbin/ip)
if [ ! -x "$IP" ]; then
	not_ok "iproute2 is installed (add iproute2 to .ci/install-deps)"
	finish
fi

# same_as_netns DESC CMD: CMD (a shell command) in the sandbox vs natively in
# a new network namespace after `ip link set lo up`.
same_as_netns() {
	local desc=$1 cmd=$2 nst sst
	capture native unshare -n /bin/sh -c "$IP link set lo up && $cmd"
	nst=$ST
	sandboxed sandbox -- /bin/sh -c "$cmd"
	sst=$ST
	if [ "$nst" -eq 0 ] && [ "$sst" -eq 0 ] && [ -s "$WORK/native.out" ] &&
		cmp -s "$WORK/native.out" "$WORK/sandbox.out" && sanitizer_clean sandbox; then
		ok "$desc"
	else
		not_ok "$desc" "exit status: native $nst, sandbox $sst" \
			"$(diff "$WORK/native.out" "$WORK/sandbox.out" | head -20)" \
			"native stderr:" "$(excerpt "$WORK/native.err")" \
			"sandbox stderr:" "$(excerpt "$WORK/sandbox.err")"
	fi
}

same_as_netns "/proc/net is a symlink to self/net" "readlink /proc/net; test -d /proc/self/net"
for f in dev route tcp tcp6 udp udp6 unix; do
	same_as_netns "/proc/net/$f (loopback-only namespace)" "cat /proc/net/$f"
done
if [ -e /proc/net/if_inet6 ]; then
	same_as_netns "/proc/net/if_inet6" "cat /proc/net/if_inet6"
	same_as_netns "/proc/net/ipv6_route" "cat /proc/net/ipv6_route"
else
	expect_sandbox "/proc/net/if_inet6 (host without IPv6: Linux's text)" 0 \
		"00000000000000000000000000000001 01 80 10 80       lo" cat /proc/net/if_inet6
fi
same_as_netns "/proc/net/netlink header" "head -1 /proc/net/netlink"
# snmp's and sockstat's columns follow the kernel version: compare the row
# names and the number of fields of each row.
same_as_netns "/proc/net/snmp layout" \
	"awk '{ print \$1, NF }' /proc/net/snmp | grep -v '^IcmpMsg:'"
same_as_netns "/proc/net/sockstat layout" "awk '{ print \$1, NF }' /proc/net/sockstat"
# /proc/PID/net and /proc/PID/task/TID/net are the same directory.
same_as_netns "/proc/self/net and task/TID/net list the same files" \
	"ls /proc/self/net > /dev/null && cmp /proc/\$\$/net/unix /proc/\$\$/task/\$\$/net/unix && echo same"

# AF_UNIX sockets as /proc/net/unix, ss and netstat show them.
cat >"$WORK/unix.py" <<'EOF'
import os, socket, subprocess, sys
path = sys.argv[1]
l = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); l.bind(path); l.listen(5)
a = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); a.bind("\0pnet\0test")
p, q = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); c.connect(path)
ino = lambda s: str(os.fstat(s.fileno()).st_ino)
rows = {}
for line in open("/proc/net/unix").read().splitlines()[1:]:
    f = line.split()
    rows[f[6]] = f
def row(s, flags, typ, st, name):
    r = rows[ino(s)]
    got = (r[1], r[3], r[4], r[5], r[7] if len(r) > 7 else "")
    want = (got[0], flags, typ, st, name)
    assert got == want, (got, want)
row(l, "00010000", "0001", "01", path)
row(a, "00000000", "0002", "01", "@pnet@test")
row(p, "00000000", "0005", "03", "")
row(c, "00000000", "0001", "03", "")
# the connection not yet accepted: inode 0, "connecting", the listener's name
assert any(r[6] == "0" and r[5] == "02" and r[7] == path for r in
           (line.split() for line in open("/proc/net/unix").read().splitlines()[1:]
            if len(line.split()) > 7)), "embryo row"
env = dict(os.environ, PROC_NET_UNIX="/proc/net/unix")
ss = subprocess.run(["ss", "-x", "-a"], capture_output=True, text=True, env=env)
assert ss.returncode == 0 and path in ss.stdout and "@pnet@test" in ss.stdout, ss
ns = subprocess.run(["netstat", "-x", "-a"], capture_output=True, text=True)
assert ns.returncode == 0 and "LISTENING" in ns.stdout and path in ns.stdout, ns
print("ok")
EOF
capture native unshare -n python3 "$WORK/unix.py" "$WORK/native.sock"
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/native.out")" = ok ]; then
	ok "unix sockets in /proc/net/unix, ss, netstat (native)"
else
	not_ok "unix sockets in /proc/net/unix, ss, netstat (native)" "$(excerpt "$WORK/native.err")"
fi
expect_sandbox "unix sockets in /proc/net/unix, ss, netstat (sandbox)" 0 ok \
	python3 "$WORK/unix.py" "$WORK/sandbox.sock"

# Readers of the inet tables run (header only until the inet stack lists
# its sockets) and do not crash on the missing sock_diag.
expect_sandbox "ss -tan / -uan / -s run" 0 '*' /bin/sh -c 'ss -tan && ss -uan && ss -s'
expect_sandbox "netstat -tan / -uan / -i / -r run" 0 '*' \
	/bin/sh -c 'netstat -tan && netstat -uan && netstat -i && netstat -rn'
expect_sandbox "NETLINK_SOCK_DIAG is EPROTONOSUPPORT" 0 "93" python3 -c '
import socket
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 4)
except OSError as e:
    print(e.errno)'

finish
