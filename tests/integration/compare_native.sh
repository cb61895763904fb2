#!/bin/bash
# Real Debian programs print the same output and exit with the same status in
# the sandbox as natively.
source "$(dirname "$0")/lib.sh" "$@"

same_as_native "busybox echo" /bin/busybox echo hello from the sandbox
# /etc/hostname, hosts and resolv.conf are the sandbox's own (Docker's
# files, fs/etc_files.c; etc_files.sh checks them): left out here.
same_as_native "busybox ls -l /etc" /bin/busybox sh -c \
	'/bin/busybox ls -l /etc | /bin/busybox grep -vE " (hostname|hosts|resolv\.conf)$"'
same_as_native "/bin/ls -la /usr" /bin/ls -la /usr
same_as_native "/bin/cat /etc/os-release" /bin/cat /etc/os-release
same_as_native "sha256sum /bin/busybox" /usr/bin/sha256sum /bin/busybox
same_as_native "busybox wc /etc/passwd" /bin/busybox wc /etc/passwd
same_as_native "busybox sh builtins" /bin/busybox sh -c 'for i in 1 2 3; do echo "line $i"; done; x=$((6 * 7)); echo $x'
same_as_native "python3 listdir" /usr/bin/python3 -c 'import os,sys; print(sys.version_info[:2], sorted(os.listdir("/"))[:3])'
same_as_native "/bin/true" /bin/true
same_as_native "/bin/false" /bin/false

finish
