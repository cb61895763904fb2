#!/bin/bash
# TCP/IP servers and clients on the sentry's own network stack: in each part a
# server and its client run inside ONE sandbox (--network=none: loopback only,
# served by lwIP), started by one shell script; each part reports ok/not_ok on
# its own:
#   python3 -m http.server + urllib.request, and + curl
#   a python asyncio echo server with 200 concurrent clients
#   nginx (nginx-light) serving a static file to curl
#   redis-server + redis-benchmark -q -n 20000 -t set,get
#   iperf3 -s + iperf3 -c 127.0.0.1 -t $IPERF_TIME (default 2 s)
#   isolation: the sandbox's ports and the host's do not see each other
# The programs are Debian packages (curl nginx-light redis-server redis-tools
# iperf3); a missing one is a failure, not a skip.
#
# INET_SERVERS_NATIVE=1 runs the same scripts natively (no sandbox), to check
# the test itself on the host; the ports are then picked at random.
# INET_SERVERS_ONLY=REGEX runs only the parts whose name (http_urllib,
# http_curl, asyncio_echo, nginx, redis, iperf3, isolation) matches.
source "$(dirname "$0")/lib.sh" "$@"

IPERF_TIME=${IPERF_TIME:-2}
LIMIT=${SENTRY_TEST_TIMEOUT:-60}
# The sandbox has its own stack, so fixed ports cannot collide there.
BASE=18080
[ "${INET_SERVERS_NATIVE:-0}" = 1 ] && BASE=$((20000 + RANDOM % 20000))
chmod 755 "$WORK"

# A 300 KB static file with a known digest, served by every web server.
mkdir -p "$WORK/www"
head -c 300000 /dev/urandom >"$WORK/www/blob.bin"
WANT_SUM=$(sha256sum <"$WORK/www/blob.bin" | cut -d' ' -f1)
chmod -R a+rX "$WORK/www"

# Shell function text shared by the part scripts: wait_port PORT waits up to
# 20 s for something to accept on 127.0.0.1:PORT; need PROG... fails when a
# program is not installed.
WAIT_PORT='
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH
need() {
	for p in "$@"; do
		command -v "$p" >/dev/null || { echo "$p not installed (Debian package needed)" >&2; return 1; }
	done
}
wait_port() {
	python3 -c "
import socket, sys, time
end = time.monotonic() + 20
while True:
    try:
        socket.create_connection((\"127.0.0.1\", int(sys.argv[1])), 1).close()
        break
    except OSError:
        if time.monotonic() > end:
            sys.exit(\"nothing listens on port \" + sys.argv[1])
        time.sleep(0.05)
" "$1"
}
'

# part NAME DESC SCRIPT CHECK: run SCRIPT with /bin/sh in one sandbox (or
# natively); ok when it exits 0 and the shell expression CHECK holds (it can
# read $WORK/NAME.out).
part() {
	local name=$1 desc=$2 script=$3 check=$4
	# (Development aid: INET_SERVERS_ONLY=REGEX runs only matching parts.)
	if [ -n "${INET_SERVERS_ONLY:-}" ] && ! [[ $name =~ $INET_SERVERS_ONLY ]]; then
		return 0
	fi
	if [ "${INET_SERVERS_NATIVE:-0}" = 1 ]; then
		capture "$name" /bin/sh -c "$WAIT_PORT$script"
	else
		sandboxed "$name" --network=none -- /bin/sh -c "$WAIT_PORT$script"
	fi
	if [ "$ST" -eq 0 ] && eval "$check" && sanitizer_clean "$name"; then
		ok "$desc"
	else
		not_ok "$desc" "exit status $ST" "stdout:" "$(excerpt "$WORK/$name.out")" \
			"stderr:" "$(excerpt "$WORK/$name.err")"
	fi
}

# 1. python3 -m http.server answers urllib.request.
P=$BASE
part http_urllib "python3 http.server + urllib.request fetch" "
cd '$WORK/www' || exit 1
python3 -m http.server --bind 127.0.0.1 $P >/dev/null 2>&1 &
srv=\$!
wait_port $P || { kill \$srv; exit 1; }
python3 -c '
import hashlib, urllib.request
body = urllib.request.urlopen(\"http://127.0.0.1:$P/blob.bin\", timeout=20).read()
print(len(body), hashlib.sha256(body).hexdigest())'
rc=\$?
kill \$srv; wait \$srv 2>/dev/null
exit \$rc" '[ "$(cat "$WORK/http_urllib.out")" = "300000 $WANT_SUM" ]'

# 2. curl fetches from python3 -m http.server.
P=$((BASE + 1))
part http_curl "curl fetch from python3 http.server" "
need curl || exit 1
cd '$WORK/www' || exit 1
python3 -m http.server --bind 127.0.0.1 $P >/dev/null 2>&1 &
srv=\$!
wait_port $P || { kill \$srv; exit 1; }
curl -sS -f --max-time 20 http://127.0.0.1:$P/blob.bin | sha256sum
rc=\$?
kill \$srv; wait \$srv 2>/dev/null
exit \$rc" '[ "$(cut -d" " -f1 "$WORK/http_curl.out")" = "$WANT_SUM" ]'

# 3. asyncio echo server, 200 concurrent clients.
P=$((BASE + 2))
part asyncio_echo "python3 asyncio echo server, 200 concurrent clients" "
python3 -c '
import asyncio
N = 200
async def handle(r, w):
    while True:
        data = await r.read(4096)
        if not data:
            break
        w.write(data)
        await w.drain()
    w.close()
async def client(i):
    r, w = await asyncio.open_connection(\"127.0.0.1\", $P)
    msg = (\"client %d \" % i).encode() * 50
    w.write(msg)
    await w.drain()
    got = await r.readexactly(len(msg))
    w.close()
    await w.wait_closed()
    return got == msg
async def main():
    srv = await asyncio.start_server(handle, \"127.0.0.1\", $P, backlog=512)
    async with srv:
        res = await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(N))), 60)
    print(\"echoed\", sum(res), \"of\", N)
asyncio.run(main())'" '[ "$(cat "$WORK/asyncio_echo.out")" = "echoed 200 of 200" ]'

# 4. nginx serves a static file to curl.
P=$((BASE + 3))
NG=$WORK/nginx
mkdir -p "$NG/tmp" "$NG/logs"
cat >"$NG/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 64; }
http {
	access_log off;
	client_body_temp_path $NG/tmp/body;
	proxy_temp_path $NG/tmp/proxy;
	fastcgi_temp_path $NG/tmp/fastcgi;
	uwsgi_temp_path $NG/tmp/uwsgi;
	scgi_temp_path $NG/tmp/scgi;
	server {
		listen 127.0.0.1:$P;
		root $WORK/www;
	}
}
EOF
part nginx "nginx serves a static file to curl" "
need nginx curl || exit 1
nginx -p '$NG' -c '$NG/nginx.conf' -g 'user root root;' 2>'$NG/logs/stderr' &
srv=\$!
wait_port $P || { cat '$NG/logs/error.log' '$NG/logs/stderr' >&2; kill \$srv; exit 1; }
curl -sS -f --max-time 20 -o '$NG/got' -w '%{http_code}\n' http://127.0.0.1:$P/blob.bin
rc=\$?
[ \$rc -eq 0 ] || cat '$NG/logs/error.log' '$NG/logs/stderr' >&2
sha256sum <'$NG/got'
kill \$srv
i=0
while kill -0 \$srv 2>/dev/null && [ \$i -lt 50 ]; do sleep 0.1; i=\$((i + 1)); done
kill -9 \$srv 2>/dev/null
wait \$srv 2>/dev/null
exit \$rc" '[ "$(head -1 "$WORK/nginx.out")" = 200 ] &&
	[ "$(sed -n 2p "$WORK/nginx.out" | cut -d" " -f1)" = "$WANT_SUM" ]'

# 5. redis-server answers redis-benchmark.
P=$((BASE + 4))
part redis "redis-server + redis-benchmark -q -n 20000 -t set,get" "
need redis-server redis-benchmark redis-cli || exit 1
cd '$WORK' || exit 1
redis-server --port $P --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
	--dir '$WORK' >'$WORK/redis-server.log' 2>&1 &
srv=\$!
wait_port $P || { cat '$WORK/redis-server.log' >&2; kill \$srv; exit 1; }
redis-benchmark -q -n 20000 -t set,get -p $P | tr '\r' '\n'
rc=\$?
redis-cli -p $P shutdown nosave >/dev/null 2>&1 || kill \$srv
wait \$srv 2>/dev/null
exit \$rc" 'grep -qE "^SET: [0-9.]+ requests per second" "$WORK/redis.out" &&
	grep -qE "^GET: [0-9.]+ requests per second" "$WORK/redis.out"'

# 6. iperf3 server and client.
P=$((BASE + 5))
part iperf3 "iperf3 -s + iperf3 -c 127.0.0.1 -t $IPERF_TIME" "
need iperf3 || exit 1
iperf3 -s -p $P >'$WORK/iperf3-server.log' 2>&1 &
srv=\$!
wait_port $P || { kill \$srv; exit 1; }
iperf3 -c 127.0.0.1 -p $P -t $IPERF_TIME -f m
rc=\$?
kill \$srv; wait \$srv 2>/dev/null
exit \$rc" 'awk "/receiver/ { for (i = 1; i < NF; i++) if (\$(i + 1) == \"Mbits/sec\" && \$i + 0 > 0) ok = 1 } END { exit !ok }" "$WORK/iperf3.out"'

# 7. Isolation: with --network=none the sandbox's port space is its own. The
# host holds port HP with a listener and port SP with a bound, non-listening
# socket (connections to it are refused). In the sandbox, HP is refused, and
# binding SP and listening there works; from the host, SP stays refused.
if [ "${INET_SERVERS_NATIVE:-0}" != 1 ] && { [ -z "${INET_SERVERS_ONLY:-}" ] ||
	[[ isolation =~ $INET_SERVERS_ONLY ]]; }; then
	PY=/usr/bin/python3
	$PY -c '
import socket, time
h = socket.socket(); h.bind(("127.0.0.1", 0)); h.listen(8)
r = socket.socket(); r.bind(("127.0.0.1", 0))
print(h.getsockname()[1], r.getsockname()[1], flush=True)
time.sleep(60)' >"$WORK/hostsrv.ports" 2>/dev/null &
	HOSTSRV=$!
	for _ in $(seq 100); do [ -s "$WORK/hostsrv.ports" ] && break; sleep 0.1; done
	read -r HP SP <"$WORK/hostsrv.ports"
	timeout -k 5 "$LIMIT" "$SENTRY" run --network=none -- $PY -c '
import socket, sys, time
hp, sp = int(sys.argv[1]), int(sys.argv[2])
try:
    socket.create_connection(("127.0.0.1", hp), 2)
    print("host listener reachable", flush=True)
except ConnectionRefusedError:
    print("host listener refused", flush=True)
s = socket.socket(); s.bind(("127.0.0.1", sp)); s.listen(8)
print("listening", flush=True)
time.sleep(3)
socket.create_connection(("127.0.0.1", sp), 2)
print("own listener ok", flush=True)
' "$HP" "$SP" <"$WORK/empty" >"$WORK/iso.out" 2>"$WORK/iso.err" &
	SB=$!
	for _ in $(seq 150); do grep -q listening "$WORK/iso.out" && break; sleep 0.1; done
	HOST_SEES=$($PY -c '
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), 2)
    print("sandbox listener reachable from the host")
except ConnectionRefusedError:
    print("refused")' "$SP" 2>&1)
	wait $SB
	SBST=$?
	kill $HOSTSRV 2>/dev/null
	wait $HOSTSRV 2>/dev/null
	if [ "$SBST" -eq 0 ] && [ "$HOST_SEES" = refused ] && sanitizer_clean iso &&
		[ "$(cat "$WORK/iso.out")" = "host listener refused
listening
own listener ok" ]; then
		ok "network=none: the sandbox's ports are its own (host and sandbox refuse each other)"
	else
		not_ok "network=none: the sandbox's ports are its own (host and sandbox refuse each other)" \
			"sandbox status $SBST; host connecting to the sandbox's port: $HOST_SEES" \
			"sandbox stdout:" "$(excerpt "$WORK/iso.out")" "stderr:" "$(excerpt "$WORK/iso.err")"
	fi
fi

finish
