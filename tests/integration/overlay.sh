#!/bin/bash
# Writes inside the sandbox land in its in-memory overlay, never on the host.
source "$(dirname "$0")/lib.sh" "$@"

probe=/etc/sentry-itest-probe
if [ -e "$probe" ]; then
	not_ok "host has no $probe before the test" "remove it and rerun"
	finish
fi
expect_sandbox "write and read back a file in /etc" 0 x \
	/bin/busybox sh -c "echo x > $probe; read l < $probe; echo \$l"
if [ -e "$probe" ]; then
	not_ok "$probe does not exist on the host afterwards"
	rm -f "$probe"
else
	ok "$probe does not exist on the host afterwards"
fi

# Deleting a host file inside the sandbox leaves the host copy alone. (A file
# of our own: if the sandbox were broken, a system file would really go.)
victim="$WORK/victim"
echo precious >"$victim"
# (python3 rather than sh: these must not depend on fork.)
expect_sandbox "rm a host file inside the sandbox" 0 gone \
	/usr/bin/python3 -c "import os; os.unlink('$victim'); print('gone' if not os.path.exists('$victim') else 'still there')"
if [ "$(cat "$victim" 2>/dev/null)" = precious ]; then
	ok "the host file is still there"
else
	not_ok "the host file is still there"
fi
expect_sandbox "overwrite a host file inside the sandbox" 0 changed \
	/bin/busybox sh -c "echo changed > $victim && cat $victim"
if [ "$(cat "$victim" 2>/dev/null)" = precious ]; then
	ok "the host file is unchanged"
else
	not_ok "the host file is unchanged"
fi

# mkdir + write + listing in the overlay.
dir=/usr/sentry-itest-dir
expect_sandbox "mkdir and list in /usr" 0 "['a', 'b']" \
	/usr/bin/python3 -c "
import os
os.mkdir('$dir')
for n in 'ab':
    open('$dir/' + n, 'w').write(n)
print(sorted(os.listdir('$dir')))"
if [ -e "$dir" ]; then
	not_ok "$dir not created on the host"
	rm -rf "$dir"
else
	ok "$dir not created on the host"
fi

# The sandbox's /tmp is the overlay's: host files show through, and nothing
# done to them in the sandbox reaches the host.
marker=$(mktemp /tmp/sentry-itest-marker.XXXXXX)
echo host > "$marker"
expect_sandbox "host /tmp files are visible in the sandbox" 0 host \
	/bin/busybox sh -c "read l < $marker; echo \$l"
expect_sandbox "a host /tmp file removed in the sandbox" 0 gone \
	/usr/bin/python3 -c "import os; os.remove('$marker'); print('present' if os.path.exists('$marker') else 'gone')"
if [ "$(cat "$marker" 2>/dev/null)" = host ]; then
	ok "host /tmp file untouched"
else
	not_ok "host /tmp file untouched"
fi
rm -f "$marker"
expect_sandbox "sandbox /tmp is writable" 0 hi \
	/bin/busybox sh -c "echo hi > $marker.sandbox && cat $marker.sandbox"
if [ -e "$marker.sandbox" ]; then
	not_ok "sandbox /tmp file not on the host"
	rm -f "$marker.sandbox"
else
	ok "sandbox /tmp file not on the host"
fi

finish
