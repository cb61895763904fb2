#!/bin/bash
# Stress: 1,000 threads created and joined and 500 concurrent processes
# forked and reaped in one sandbox; afterwards no stub, thread or zombie of
# that sandbox is left on the host.
source "$(dirname "$0")/lib.sh" "$@"
LIMIT=120

# Every host process below pid $1 (the sentry, its gofer and stubs).
descendants() {
	local all
	all=$(ps -e -o pid=,ppid= 2>/dev/null)
	local frontier=$1 found=""
	while [ -n "$frontier" ]; do
		local next=""
		for p in $frontier; do
			local kids
			kids=$(awk -v p="$p" '$2 == p {print $1}' <<<"$all")
			next="$next $kids"
			found="$found $kids"
		done
		frontier=$(echo $next)
	done
	echo $found
}

"$SENTRY" run -- /bin/bash -c '
/usr/bin/python3 -c "
import threading
ts = [threading.Thread(target=lambda: None) for i in range(1000)]
for t in ts: t.start()
for t in ts: t.join()
print(\"threads\", len(ts))"
for i in $(seq 500); do /bin/sleep 1 & done
wait
echo "processes 500"' >"$WORK/out" 2>"$WORK/err" </dev/null &
sentry_pid=$!
seen=""
for _ in $(seq 40); do
	sleep 0.25
	kill -0 "$sentry_pid" 2>/dev/null || break
	seen="$seen $(descendants "$sentry_pid")"
done
wait "$sentry_pid"
st=$?
if [ "$st" -eq 0 ] && grep -qx "threads 1000" "$WORK/out" && grep -qx "processes 500" "$WORK/out"; then
	ok "1000 threads and 500 processes in one sandbox"
else
	not_ok "1000 threads and 500 processes in one sandbox" "exit status $st" \
		"$(excerpt "$WORK/out")" "$(excerpt "$WORK/err")"
fi
left=""
for _ in $(seq 20); do
	sleep 0.1
	left=""
	for p in $(echo $seen | tr ' ' '\n' | sort -u); do
		[ -e "/proc/$p" ] && left="$left $p($(cat /proc/$p/comm 2>/dev/null))"
	done
	[ -z "$left" ] && break
done
if [ -n "$seen" ] && [ -z "$left" ]; then
	ok "nothing of the sandbox left on the host ($(echo $seen | wc -w) processes seen)"
else
	not_ok "nothing of the sandbox left on the host" "seen: $(echo $seen | wc -w)" "left:$left"
fi

finish
