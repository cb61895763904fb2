#!/bin/bash
# Route netlink through iproute2 and glibc: `ip addr`, `ip link`,
# `ip route show table all`, `ip -6 route`, `hostname -I` print in the
# sandbox what Linux prints in a fresh network namespace with lo up (the
# sandbox's network is loopback only).
source "$(dirname "$0")/lib.sh" "$@"

IP=$(command -v ip || echo /usr/sbin/ip)
if [ ! -x "$IP" ]; then
	not_ok "iproute2 is installed (add iproute2 to .ci/install-deps)"
	finish
fi

# same_as_netns DESC CMD [SED]: CMD (a shell command) in the sandbox vs
# natively in a new network namespace after `ip link set lo up`; SED, if
# given, normalizes both outputs first.
same_as_netns() {
	local desc=$1 cmd=$2 norm=${3:-} nst sst
	capture native unshare -n /bin/sh -c "$IP link set lo up && $cmd"
	nst=$ST
	sandboxed sandbox -- /bin/sh -c "$cmd"
	sst=$ST
	if [ -n "$norm" ]; then
		sed -i -e "$norm" "$WORK/native.out" "$WORK/sandbox.out"
	fi
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

same_as_netns "ip addr" "$IP addr"
same_as_netns "ip link" "$IP link"
same_as_netns "ip -4 / -6 addr show dev lo" "$IP -4 addr show dev lo; $IP -6 addr show dev lo"
same_as_netns "ip route show table all" "$IP route show table all"
same_as_netns "ip -6 route show table all" "$IP -6 route show table all"
same_as_netns "ip route show table local / dev lo" \
	"$IP route show table local; $IP route show dev lo table all; $IP -6 route show table local"
# The inet6 link message has no IFLA_TXQLEN: iproute2 then asks
# SIOCGIFTXQLEN on an AF_INET socket, which the sandbox has not yet.
same_as_netns "ip -6 addr (inet6 link dump)" "$IP -6 addr" 's/ qlen 1000$/ /'

same_as_netns "ip -s link (statistics)" "$IP -s link"
same_as_netns "ip -d addr" "$IP -d addr"
same_as_netns "ip rule / ip -6 rule (default rules)" "$IP rule; $IP -6 rule"
same_as_netns "ip neigh (none)" "$IP neigh; echo rc=\$?"
same_as_netns "ip route (main table: empty)" "$IP route; echo rc=\$?"
same_as_netns "ip -j link (JSON)" "$IP -j link show lo"
same_as_netns "ip -br addr" "$IP -br addr"
same_as_netns "hostname -I (no non-loopback address)" "hostname -I; echo rc=\$?"
same_as_netns "python socket.if_nameindex" \
	"/usr/bin/python3 -c 'import socket; print(socket.if_nameindex())'"
expect_sandbox "ip addr add is refused" 2 '' /bin/sh -c "$IP addr add 10.0.0.1/8 dev lo 2>/dev/null"

finish
