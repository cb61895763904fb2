#!/bin/bash
# The sandbox's names: /etc/hosts, /etc/hostname and /etc/resolv.conf as
# Docker gives a container (file mounts over the root's), `sentry run
# --hostname` and `--dns`, and glibc resolving through them.
source "$(dirname "$0")/lib.sh" "$@"

# expect_flags DESC STATUS STDOUT [RUN_FLAGS...] -- CMD...: expect_sandbox
# with `sentry run` flags.
expect_flags() {
	local desc=$1 want=$2 wantout=$3 got
	shift 3
	sandboxed sandbox "$@"
	got=$(cat "$WORK/sandbox.out")
	if [ "$ST" -eq "$want" ] && [ "$got" = "$wantout" ] && sanitizer_clean sandbox; then
		ok "$desc"
	else
		not_ok "$desc" "exit status $ST (want $want), stdout '$got' (want '$wantout')" \
			"stderr:" "$(excerpt "$WORK/sandbox.err")"
	fi
}

HOSTS_DEFAULT='127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
fe00::0	ip6-localnet
ff00::0	ip6-mcastprefix
ff02::1	ip6-allnodes
ff02::2	ip6-allrouters
127.0.0.1	sandbox'

expect_sandbox "/etc/hosts: Docker's lines and the hostname" 0 "$HOSTS_DEFAULT" cat /etc/hosts
expect_sandbox "/etc/hostname: the default hostname" 0 "sandbox" cat /etc/hostname
expect_sandbox "/etc/resolv.conf: no nameserver by default" 1 "" grep nameserver /etc/resolv.conf
expect_sandbox "getent hosts localhost" 0 "::1             localhost ip6-localhost ip6-loopback" \
	getent hosts localhost
# getaddrinfo with AI_ADDRCONFIG finds no address but loopback ones and
# answers nothing, as Linux in a fresh network namespace (`unshare -n`).
expect_sandbox "getent ahostsv4 localhost: nothing, as a loopback-only netns" 2 "" \
	getent ahostsv4 localhost
expect_sandbox "gethostbyname(localhost) and gethostbyname(sandbox)" 0 "127.0.0.1 127.0.0.1" \
	python3 -c 'import socket as s; print(s.gethostbyname("localhost"), s.gethostbyname("sandbox"))'
expect_sandbox "the root's /etc/nsswitch.conf is visible" 0 "hosts: files dns" \
	/bin/sh -c "sed -n 's/^hosts:[[:space:]]*/hosts: /p' /etc/nsswitch.conf"
expect_sandbox "the three files are mounts (/proc/mounts)" 0 \
	"tmpfs /etc/hosts tmpfs rw,nosuid,nodev,relatime 0 0
tmpfs /etc/hostname tmpfs rw,nosuid,nodev,relatime 0 0
tmpfs /etc/resolv.conf tmpfs rw,nosuid,nodev,relatime 0 0" \
	grep ' /etc/' /proc/mounts
expect_sandbox "root-owned 0644 regular files" 0 "644 0 0 regular file
644 0 0 regular file
644 0 0 regular file" stat -c '%a %u %g %F' /etc/hosts /etc/hostname /etc/resolv.conf

expect_flags "--hostname: uname, hostname, /proc, /etc/hostname, getent" 0 \
	"myhost.example
myhost.example
myhost.example
myhost.example
127.0.0.1       myhost.example" \
	--hostname myhost.example -- /bin/sh -c \
	'uname -n; hostname; cat /proc/sys/kernel/hostname /etc/hostname; getent hosts myhost.example'
expect_flags "--dns (repeatable, IPv4 and IPv6)" 0 "nameserver 192.0.2.53
nameserver 2001:db8::53" --dns 192.0.2.53 --dns 2001:db8::53 -- cat /etc/resolv.conf

sandboxed badname --hostname 'a b' -- true
if [ "$ST" -eq 2 ] && grep -q 'invalid hostname' "$WORK/badname.err"; then
	ok "--hostname with a space is refused"
else
	not_ok "--hostname with a space is refused" "exit $ST" "$(excerpt "$WORK/badname.err")"
fi
sandboxed longname --hostname "$(printf 'h%.0s' $(seq 65))" -- true
[ "$ST" -eq 2 ] && ok "--hostname of 65 characters is refused" ||
	not_ok "--hostname of 65 characters is refused" "exit $ST"
sandboxed baddns --dns 300.1.1.1 -- true
[ "$ST" -eq 2 ] && ok "--dns with a bad address is refused" ||
	not_ok "--dns with a bad address is refused" "exit $ST"

# Writable by root, as Docker's bind-mounted files; nothing reaches the host.
before=$(md5sum </etc/hosts)
expect_sandbox "root appends to /etc/hosts; glibc sees it" 0 "192.0.2.7       extra.example" \
	/bin/sh -c 'echo "192.0.2.7 extra.example" >> /etc/hosts && getent hosts extra.example'
[ "$(md5sum </etc/hosts)" = "$before" ] && ok "the host's /etc/hosts is unchanged" ||
	not_ok "the host's /etc/hosts is unchanged"
expect_sandbox "a non-root user cannot write /etc/hosts" 0 "EACCES" python3 -c '
import os, errno
os.setgid(65534); os.setuid(65534)
try:
    open("/etc/hosts", "a")
    print("opened")
except OSError as e:
    print(errno.errorcode[e.errno])'
expect_sandbox "sethostname in the sandbox leaves /etc/hostname as booted" 0 "other
sandbox" /bin/sh -c 'hostname other && uname -n && cat /etc/hostname'

# A root without /etc (a bare --root): the files are created in the
# overlay's memory.
BB=$(command -v busybox || true)
if [ -n "$BB" ] && file -L "$BB" 2>/dev/null | grep -q 'statically linked'; then
	mkdir -p "$WORK/root/bin"
	cp "$BB" "$WORK/root/bin/busybox"
	expect_flags "--root without /etc gets the three files" 0 "sandbox
127.0.0.1	localhost" --root "$WORK/root" -- /bin/busybox sh -c \
		'/bin/busybox cat /etc/hostname; /bin/busybox head -1 /etc/hosts'
	if [ ! -e "$WORK/root/etc" ]; then
		ok "nothing was created in the host's root directory"
	else
		not_ok "nothing was created in the host's root directory"
	fi
else
	not_ok "busybox-static is installed (for the bare --root case)"
fi

finish
