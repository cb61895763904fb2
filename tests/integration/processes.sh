#!/bin/bash
# Programs that fork, exec, pipe and use threads print the same as natively.
source "$(dirname "$0")/lib.sh" "$@"

same_as_native "bash pipeline, subshell, wait" /bin/bash -c \
	'for i in 3 1 2; do echo $i | cat; done | sort; (sleep 0.2; echo late) & wait; echo $((6*7))'
same_as_native "busybox sh pipeline" /bin/busybox sh -c 'echo b a c | tr " " "\n" | sort | head -2'
same_as_native "exit status through a pipeline" /bin/bash -c 'false | true; echo $?; set -o pipefail; false | true; echo $?'
same_as_native "python3 threads" /usr/bin/python3 -c '
import threading
out = []
ts = [threading.Thread(target=lambda i=i: out.append(i * i)) for i in range(8)]
[t.start() for t in ts]
[t.join() for t in ts]
print(sorted(out))'
same_as_native "python3 subprocess" /usr/bin/python3 -c '
import subprocess
print(subprocess.run(["/bin/echo", "child"], capture_output=True, text=True).stdout, end="")
print(subprocess.run("echo hi | tr a-z A-Z", shell=True, capture_output=True, text=True).stdout, end="")
print(subprocess.call(["/bin/sh", "-c", "exit 9"]))'
same_as_native "bash process substitution and /dev/stdin on a pipe" /bin/bash -c \
	'echo piped | cat /dev/stdin; cat <(echo procsub); diff <(echo a) <(echo a) && echo same'
same_as_native "python3 threads, Condition, subprocess, alarm, kill, multiprocessing.Pool" \
	/usr/bin/python3 "$(dirname "$0")/python_processes.py"

# make -j2 of a small multi-file C project with Debian's gcc, then run it.
cp -r "$(dirname "$0")/make-project" "$WORK/proj"
same_as_native "make -j2 with gcc" /bin/sh -c "cd $WORK/proj && make -s clean && make -s -j2 prog && ./prog"

# procps sees the sandbox's processes and nothing of the host's.
expect_sandbox "ps shows only the sandbox" 0 "$(printf '      1 init\n      2 ps')" \
	/usr/bin/ps -e -o pid=,comm=
expect_sandbox "top counts only the sandbox" 0 \
	"Tasks:   4 total,   1 running,   3 sleeping,   0 stopped,   0 zombie" \
	/bin/sh -c 'top -b -n1 | sed -n 2p'

finish
