#!/bin/bash
# --network=sandbox (docs/netstack.md, "sandbox mode"): the sentry is started
# in a network namespace whose Ethernet interface it takes over; lwIP answers
# for the interface's addresses. The test builds its own two namespaces on
# this machine (nothing touches the host's own network): "host side" H with
# veth end vh<pid> at 10.200.0.1/24, and the sandbox's namespace S with the
# peer "eth0" at 10.200.0.2/24 and a default route via 10.200.0.1.
#
#   arp/icmp  an ICMP echo from H to 10.200.0.2 is answered (by lwIP: the
#             host kernel no longer has the address)
#   ip addr   `ip addr` / `ip route` in the sandbox show eth0, 10.200.0.2/24
#             and the default route
#   server    python3 http.server in the sandbox on [::]:8080 serves a file
#             to curl in H at 10.200.0.2 and at fd00:200::2 (on-link IPv6)
#   ss        `ss -tan` in S (the host kernel's view of the namespace) shows
#             no socket of the application's
#   flood     malformed frames flooded at the interface from H (truncated and
#             inconsistent IPv4/IPv6/ARP headers, garbage, spoofed loopback
#             addresses): the sentry survives and the server still answers
#   client    a client in the sandbox downloads 1 MB from a server in H
#             (host-to-sandbox bulk data: checksum-offloaded/GSO frames)
#
# Needs root (CI runs as root), iproute2, curl and python3.
source "$(dirname "$0")/lib.sh" "$@"

LIMIT=${SENTRY_TEST_TIMEOUT:-60}
NSH=sbxh$$
NSS=sbxs$$
NSE=sbxe$$
VH=vh$$
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$NSH" 2>/dev/null
	ip netns del "$NSS" 2>/dev/null
	ip netns del "$NSE" 2>/dev/null
	rm -rf "/etc/netns/$NSS"
	rmdir /etc/netns 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

for p in ip curl python3; do
	command -v "$p" >/dev/null || { not_ok "$p is installed"; finish; }
done
chmod 755 "$WORK"
mkdir -p "$WORK/www" "$WORK/hostwww"
head -c 300000 /dev/urandom >"$WORK/www/blob.bin"
head -c 1000000 /dev/urandom >"$WORK/hostwww/big.bin"
chmod -R a+rX "$WORK/www" "$WORK/hostwww"
SUM=$(sha256sum <"$WORK/www/blob.bin" | cut -d' ' -f1)
BIGSUM=$(sha256sum <"$WORK/hostwww/big.bin" | cut -d' ' -f1)

# The namespaces and the veth pair.
if ! { ip netns add "$NSH" && ip netns add "$NSS" &&
	ip link add "$VH" netns "$NSH" type veth peer name eth0 netns "$NSS" &&
	ip -n "$NSH" link set lo up && ip -n "$NSH" addr add 10.200.0.1/24 dev "$VH" &&
	ip -n "$NSH" addr add fd00:200::1/64 dev "$VH" nodad &&
	ip -n "$NSH" link set "$VH" up && ip -n "$NSS" link set lo up &&
	ip -n "$NSS" link set eth0 up; } 2>"$WORK/setup.err"; then
	not_ok "network namespaces and a veth pair can be made (root needed)" \
		"$(excerpt "$WORK/setup.err")"
	finish
fi

# The namespace's own resolv.conf (`ip netns exec` bind-mounts it over
# /etc/resolv.conf): the sandbox takes its nameservers, less loopback ones.
mkdir -p "/etc/netns/$NSS" &&
	printf 'nameserver 127.0.0.53\nnameserver 10.200.0.53\n' >"/etc/netns/$NSS/resolv.conf"

# The sandbox side's addresses (again before each sentry: a sentry takes
# them from the host kernel and they are gone when it exits).
give_addresses() {
	echo 0 >/proc/sys/net/ipv6/conf/all/disable_ipv6 2>/dev/null
	ip netns exec "$NSS" sh -c 'echo 0 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6' 2>/dev/null
	ip -n "$NSS" addr flush dev eth0
	ip -n "$NSS" addr add 10.200.0.2/24 dev eth0 &&
		ip -n "$NSS" addr add fd00:200::2/64 dev eth0 nodad &&
		ip -n "$NSS" route replace default via 10.200.0.1
}

# in_h CMD...: run CMD in the host-side namespace with a time limit.
in_h() {
	timeout -k 5 "$LIMIT" ip netns exec "$NSH" "$@"
}

cat >"$WORK/icmp.py" <<'EOF'
# ICMP echo to argv[1]; exit 0 on a matching echo reply within 3 s.
import socket, struct, sys, time
def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    t += t >> 16
    return ~t & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(0.5)
m = struct.pack("!BBHHH", 8, 0, 0, 0x5a5a, 7) + b"sandbox-ping"
m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
end = time.time() + 3
s.sendto(m, (sys.argv[1], 0))
while time.time() < end:
    try:
        d, a = s.recvfrom(2048)
    except socket.timeout:
        continue
    ihl = (d[0] & 15) * 4
    if a[0] == sys.argv[1] and d[ihl] == 0 and d[ihl + 4:ihl + 6] == b"\x5a\x5a":
        sys.exit(0)
sys.exit(1)
EOF

cat >"$WORK/flood.py" <<'EOF'
# Malformed frames at the sandbox's MAC (argv[2]) through interface argv[1]:
# a bounded number (argv[3]) of frames, each kind in turn, at most 20 s.
import os, random, socket, struct, sys, time
ifname, mac, count = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), int(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((ifname, 0))
src = s.getsockname()[4][:6]
me, it = bytes([10, 200, 0, 1]), bytes([10, 200, 0, 2])
def eth(t, payload, dst=mac):
    return dst + src + struct.pack("!H", t) + payload
def ip4(proto, payload, tot=None, ihl=5, dst=it, srcip=me, frag=0):
    tot = 20 + len(payload) if tot is None else tot
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, tot & 0xffff, random.getrandbits(16),
                    frag, 64, proto, 0, srcip, dst)
    return h + payload
def tcp(sport, dport, flags, doff=5, extra=b""):
    return struct.pack("!HHIIBBHHH", sport, dport, random.getrandbits(32), 0, doff << 4,
                       flags, 65535, 0, 0) + extra
kinds = [
    lambda: eth(0x0800, os.urandom(random.randint(0, 19))),          # truncated IPv4 header
    lambda: eth(0x0800, ip4(6, tcp(1234, 8080, 2), tot=1400)),        # total length > frame
    lambda: eth(0x0800, ip4(6, tcp(1234, 8080, 2), tot=8)),           # total length < header
    lambda: eth(0x0800, ip4(6, tcp(1234, 8080, 2), ihl=15)),          # header length > packet
    lambda: eth(0x0800, ip4(6, tcp(1234, 8080, 2), ihl=2)),           # header length < 20
    lambda: eth(0x0800, ip4(6, tcp(1234, 8080, 2, doff=15))),         # TCP offset past the end
    lambda: eth(0x0800, ip4(6, tcp(1234, 8080, 2, doff=1))),          # TCP offset < 5
    lambda: eth(0x0800, ip4(17, b"\x00\x35\x00\x35\xff\xff\x00\x00")),# UDP length > packet
    lambda: eth(0x0800, ip4(1, b"\x08")),                             # truncated ICMP
    lambda: eth(0x0800, ip4(6, os.urandom(8), frag=0x2000 | random.randint(0, 8000))),  # fragments
    lambda: eth(0x0800, ip4(6, tcp(1234, 8080, 2), dst=bytes([127, 0, 0, 1]))),   # to loopback
    lambda: eth(0x0800, ip4(6, tcp(1234, 8080, 2), srcip=bytes([127, 0, 0, 1]))), # from loopback
    lambda: eth(0x0800, ip4(6, tcp(1234, 8080, 2), dst=bytes([10, 9, 9, 9]))),   # to be forwarded
    lambda: eth(0x86dd, os.urandom(random.randint(0, 39))),          # truncated IPv6 header
    lambda: eth(0x86dd, b"\x60" + os.urandom(3) + b"\xff\xff\x3a\x40" + os.urandom(32)),  # v6 length > frame
    lambda: eth(0x86dd, b"\x60\0\0\0\0\x08\x00\x40" + os.urandom(16) + b"\xff\x02" + bytes(13) + b"\x01" + os.urandom(8)),  # hop-by-hop junk
    lambda: eth(0x0806, os.urandom(random.randint(0, 27))),          # truncated ARP
    lambda: eth(0x0806, struct.pack("!HHBBH", 1, 0x800, 6, 4, 1) + os.urandom(20), dst=b"\xff" * 6),  # broadcast ARP junk
    lambda: eth(random.getrandbits(16), os.urandom(random.randint(0, 1400))),  # garbage
    lambda: mac + os.urandom(random.randint(0, 7)),                  # runt frame
]
end, n = time.time() + 20, 0
while n < count and time.time() < end:
    try:
        s.send(kinds[n % len(kinds)]())
    except OSError:
        pass
    n += 1
print(n)
EOF

cat >"$WORK/spoof.py" <<'EOF'
# A well-formed TCP SYN to port 8080 at the sandbox's MAC (argv[2]) through
# argv[1], to IPv4 destination argv[3]; exit 0 when a SYN-ACK comes back
# within 2 s, 1 when none does.
import os, socket, struct, sys, time
ifname, mac, dst = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", "")), socket.inet_aton(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((ifname, 0x0800))
s.settimeout(0.2)
src_mac, src = s.getsockname()[4][:6], socket.inet_aton("10.200.0.1")
def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    t = (t >> 16) + (t & 0xffff)
    t += t >> 16
    return ~t & 0xffff
sport = 40000 + os.getpid() % 20000
t = struct.pack("!HHIIBBHHH", sport, 8080, 12345, 0, 5 << 4, 0x02, 65535, 0, 0)
t = t[:16] + struct.pack("!H", csum(src + dst + struct.pack("!BBH", 0, 6, len(t)) + t)) + t[18:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(t), 1, 0, 64, 6, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
s.send(mac + src_mac + b"\x08\x00" + ip + t)
end = time.time() + 2
while time.time() < end:
    try:
        f = s.recv(2048)
    except socket.timeout:
        continue
    if f[6:12] != mac or len(f) < 54:
        continue
    ihl = (f[14] & 15) * 4
    th = f[14 + ihl:]
    if f[23] == 6 and struct.unpack("!HH", th[:4]) == (8080, sport) and th[13] & 0x12 == 0x12:
        sys.exit(0)
sys.exit(1)
EOF

# --- refusals ----------------------------------------------------------------------

# A namespace with nothing but lo: sandbox mode refuses to start (125) and
# says why; an unknown mode is a usage error (2).
ip netns add "$NSE"
capture empty ip netns exec "$NSE" "$SENTRY" run --network=sandbox -- /bin/true
if [ "$ST" -eq 125 ] && grep -q 'no Ethernet interface' "$WORK/empty.err"; then
	ok "--network=sandbox without an interface: exit 125 with a reason"
else
	not_ok "--network=sandbox without an interface: exit 125 with a reason" \
		"exit $ST" "$(excerpt "$WORK/empty.err")"
fi
capture bogus "$SENTRY" run --network=bogus -- /bin/true
if [ "$ST" -eq 2 ]; then
	ok "--network=bogus: usage error"
else
	not_ok "--network=bogus: usage error" "exit $ST" "$(excerpt "$WORK/bogus.err")"
fi

# --- the server sandbox -----------------------------------------------------------

give_addresses
# $WORK as a volume: the files written in the sandbox reach the host.
timeout -k 5 120 ip netns exec "$NSS" "$SENTRY" run --network=sandbox \
	--volume "$WORK:$WORK" -- /bin/sh -c \
	"ip addr >'$WORK/ipaddr.txt'; ip route >'$WORK/iproute.txt';
	 hostname -I >'$WORK/hostname_i.txt'; cat /etc/resolv.conf >'$WORK/resolv.txt';
	 python3 -c 'import socket; print(socket.if_nametoindex(\"eth0\"))' >'$WORK/ifindex.txt';
	 exec python3 -m http.server --bind :: 8080 --directory '$WORK/www'" \
	>"$WORK/server.out" 2>"$WORK/server.err" </dev/null &
SERVER=$!
PIDS+=("$SERVER")

up=0
for _ in $(seq 1 100); do
	if in_h curl -s -m 2 -o /dev/null http://10.200.0.2:8080/blob.bin; then
		up=1
		break
	fi
	kill -0 "$SERVER" 2>/dev/null || break
	sleep 0.2
done

if in_h python3 "$WORK/icmp.py" 10.200.0.2; then
	ok "arp/icmp: an echo to 10.200.0.2 from the host side is answered"
else
	not_ok "arp/icmp: an echo to 10.200.0.2 from the host side is answered" \
		"sentry stderr:" "$(excerpt "$WORK/server.err")"
fi

if grep -q 'eth0' "$WORK/ipaddr.txt" 2>/dev/null &&
	grep -q 'inet 10.200.0.2/24 ' "$WORK/ipaddr.txt" &&
	grep -q 'inet6 fd00:200::2/64 scope global' "$WORK/ipaddr.txt" &&
	grep -q '^default via 10.200.0.1 dev eth0' "$WORK/iproute.txt" &&
	grep -q '^10.200.0.0/24 dev eth0 proto kernel scope link src 10.200.0.2' "$WORK/iproute.txt"; then
	ok "ip addr / ip route in the sandbox show eth0, 10.200.0.2/24 and the routes"
else
	not_ok "ip addr / ip route in the sandbox show eth0, 10.200.0.2/24 and the routes" \
		"ip addr:" "$(excerpt "$WORK/ipaddr.txt" 2>/dev/null)" \
		"ip route:" "$(excerpt "$WORK/iproute.txt" 2>/dev/null)"
fi

got=$(in_h curl -s -m 10 http://10.200.0.2:8080/blob.bin | sha256sum | cut -d' ' -f1)
if [ "$up" = 1 ] && [ "$got" = "$SUM" ]; then
	ok "server: curl on the host side fetches a file from http.server in the sandbox"
else
	not_ok "server: curl on the host side fetches a file from http.server in the sandbox" \
		"up=$up digest $got (want $SUM)" "sentry stderr:" "$(excerpt "$WORK/server.err")"
fi

want_index=$(ip -n "$NSS" -o link show eth0 | cut -d: -f1)
if [ "$(cat "$WORK/hostname_i.txt" 2>/dev/null)" = "10.200.0.2 fd00:200::2 " ] &&
	[ "$(cat "$WORK/ifindex.txt" 2>/dev/null)" = "$want_index" ] &&
	[ "$(cat "$WORK/resolv.txt" 2>/dev/null)" = "nameserver 10.200.0.53" ]; then
	ok "hostname -I, if_nametoindex(eth0) and resolv.conf (the namespace's nameservers)"
else
	not_ok "hostname -I, if_nametoindex(eth0) and resolv.conf (the namespace's nameservers)" \
		"hostname -I: '$(cat "$WORK/hostname_i.txt" 2>/dev/null)'" \
		"if_nametoindex: '$(cat "$WORK/ifindex.txt" 2>/dev/null)' (want $want_index)" \
		"resolv.conf:" "$(excerpt "$WORK/resolv.txt" 2>/dev/null)"
fi

got=$(in_h curl -s -m 10 'http://[fd00:200::2]:8080/blob.bin' | sha256sum | cut -d' ' -f1)
if [ "$got" = "$SUM" ]; then
	ok "server over IPv6: curl on the host side fetches the file from [fd00:200::2]"
else
	not_ok "server over IPv6: curl on the host side fetches the file from [fd00:200::2]" \
		"digest $got (want $SUM)"
fi

# The host kernel's view of the sandbox's namespace: no socket at all (the
# listening socket and the connection live in lwIP), and no address left.
ip netns exec "$NSS" ss -tanH >"$WORK/ss.txt" 2>&1
ip -n "$NSS" -o addr show dev eth0 >"$WORK/hostaddr.txt" 2>&1
if [ "$up" = 1 ] && [ ! -s "$WORK/ss.txt" ] && ! grep -q 'inet' "$WORK/hostaddr.txt"; then
	ok "ss: the namespace's kernel holds no socket of the application and no address"
else
	not_ok "ss: the namespace's kernel holds no socket of the application and no address" \
		"up=$up" "ss -tan:" "$(excerpt "$WORK/ss.txt")" "addresses:" "$(excerpt "$WORK/hostaddr.txt")"
fi

# The wire cannot reach the sandbox's loopback: a SYN to 127.0.0.1:8080
# (the server listens on every address) gets no answer, while the same SYN
# to 10.200.0.2 does (the control: the method works).
MAC=$(ip -n "$NSS" link show eth0 | awk '/link\/ether/ {print $2}')
in_h python3 "$WORK/spoof.py" "$VH" "$MAC" 10.200.0.2
ctl=$?
in_h python3 "$WORK/spoof.py" "$VH" "$MAC" 127.0.0.1
lo=$?
if [ "$ctl" -eq 0 ] && [ "$lo" -eq 1 ]; then
	ok "a SYN from the wire to 127.0.0.1 is dropped (the same SYN to 10.200.0.2 is answered)"
else
	not_ok "a SYN from the wire to 127.0.0.1 is dropped (the same SYN to 10.200.0.2 is answered)" \
		"control (10.200.0.2) exit $ctl (want 0), 127.0.0.1 exit $lo (want 1)"
fi

# Flood, then the server must still answer.
sent=$(in_h python3 "$WORK/flood.py" "$VH" "$MAC" 20000 2>"$WORK/flood.err")
got=$(in_h curl -s -m 10 http://10.200.0.2:8080/blob.bin | sha256sum | cut -d' ' -f1)
if [ "${sent:-0}" -gt 1000 ] && kill -0 "$SERVER" 2>/dev/null && [ "$got" = "$SUM" ] &&
	in_h python3 "$WORK/icmp.py" 10.200.0.2 && sanitizer_clean server; then
	ok "flood: $sent malformed frames; the sentry lives and the server still answers"
else
	not_ok "flood: malformed frames; the sentry lives and the server still answers" \
		"sent '${sent:-}' digest $got" "$(excerpt "$WORK/flood.err")" \
		"sentry stderr:" "$(excerpt "$WORK/server.err")"
fi
kill "$SERVER" 2>/dev/null
wait "$SERVER" 2>/dev/null

# --- the client sandbox -------------------------------------------------------------

give_addresses
ip netns exec "$NSH" timeout -k 5 100 python3 -m http.server --bind 10.200.0.1 8081 \
	--directory "$WORK/hostwww" >"$WORK/hostsrv.out" 2>&1 </dev/null &
PIDS+=("$!")
for _ in $(seq 1 50); do
	ip netns exec "$NSH" ss -tlnH | grep -q ':8081' && break
	sleep 0.1
done
capture client ip netns exec "$NSS" "$SENTRY" run --network=sandbox -- python3 -c '
import hashlib, urllib.request
d = urllib.request.urlopen("http://10.200.0.1:8081/big.bin", timeout=20).read()
print(hashlib.sha256(d).hexdigest())'
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/client.out")" = "$BIGSUM" ] && sanitizer_clean client; then
	ok "client: the sandbox downloads 1 MB from a server on the host side"
else
	not_ok "client: the sandbox downloads 1 MB from a server on the host side" \
		"exit $ST, stdout '$(cat "$WORK/client.out")'" "$(excerpt "$WORK/client.err")"
fi

finish
