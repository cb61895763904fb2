#!/bin/bash
# procps in the sandbox: `ps aux`, `top -b -n1` and `ps -o ...` list exactly
# the sandbox's processes (three background sleeps of known pids, one of them
# stopped), with sane states and sizes, and nothing of the host's (a host
# process started for the purpose is not listed). The ids ps shows agree with
# what the shell and the kernel's own calls say ($$, $!, $PPID, getpgid,
# getsid, tty). Memory figures are residency, not the mapped size: a process
# that touched 64 MiB of a 512 MiB anonymous mapping and sleeps shows an RSS
# of 64 MiB and a little more in ps, top and /proc/PID/status.
source "$(dirname "$0")/lib.sh" "$@"

for p in /usr/bin/ps /usr/bin/top /usr/bin/script /usr/bin/python3; do
	if [ ! -x "$p" ]; then
		# Not a skip: this test needs procps, util-linux and python3.
		not_ok "$p is installed" "install procps, util-linux (script) and python3"
		finish
	fi
done

# A host process with a distinctive command line that the sandbox must not see.
HOSTMARK=987654321
sleep "$HOSTMARK" &
hostpid=$!
trap 'kill $hostpid 2>/dev/null; rm -rf "$WORK"' EXIT

out="$WORK/out"
mkdir -p "$out"

cat >"$WORK/ps.sh" <<'SH'
set -m   # job control: each background job is its own process group
cd /out
sleep 1001 & a=$!
sleep 1002 & b=$!
sleep 1003 & c=$!
# Wait (no timing assumption) until all three exec'ed sleep, then stop one
# and wait until the kernel shows it stopped.
for p in $a $b $c; do
	until [ "$(cat /proc/$p/comm 2>/dev/null)" = sleep ]; do sleep 0.05; done
done
kill -STOP $c
until [ "$(cut -d' ' -f3 /proc/$c/stat)" = T ]; do sleep 0.05; done
# A zombie: a child that sleep (after the exec) never reaps.
/bin/sh -c '/bin/true & echo $! >zpid; exec sleep 1004' & h=$!
until [ -s zpid ] && [ "$(cut -d' ' -f3 /proc/$(cat zpid)/stat 2>/dev/null)" = Z ] &&
	[ "$(cat /proc/$h/comm)" = sleep ]; do sleep 0.05; done
# 64 MiB touched of a 512 MiB private anonymous mapping, then asleep.
/usr/bin/python3 -c '
import mmap, time
m = mmap.mmap(-1, 512 << 20, flags=mmap.MAP_PRIVATE)
for i in range(0, 64 << 20, 4096): m[i] = 1
open("memready", "w").close()
time.sleep(1005)' & m=$!
until [ -e memready ]; do sleep 0.05; done
echo "$$ $PPID $a $b $c $h $(cat zpid) $m" >ids
# What the kernel's calls (not /proc) say about the shell and the jobs.
/usr/bin/python3 -c '
import os, sys
for p in map(int, sys.argv[1:]):
    print(p, os.getpgid(p), os.getsid(p))' $$ $a $b $c >kernel_ids
ps aux >aux
top -b -n1 >top
ps -e -o pid,ppid,pgid,sid,tty,stat,comm >fields
ps -o pid=,vsz=,rss= -p $m >memps
grep -E '^(VmSize|VmRSS|RssAnon):' /proc/$m/status >memstatus
# On a terminal of the sandbox's own: ps's TTY column is the one tty(1) names.
SHELL=/bin/sh script -qec 'tty; ps -o tty=,stat=,comm= -p $$; true' /dev/null >ontty </dev/null
kill -KILL $a $b $c $h $m
wait
echo done
SH

# Generous per-command limit: the machine may be loaded; nothing here is timed.
LIMIT=${SENTRY_TEST_TIMEOUT:-120}
LAST=ps
sandboxed ps --volume "$out:/out" -- /bin/bash "$WORK/ps.sh"
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/ps.out")" = done ] && sanitizer_clean ps; then
	ok "the scenario ran in the sandbox"
else
	not_ok "the scenario ran in the sandbox" "exit status $ST" "stdout:" \
		"$(excerpt "$WORK/ps.out")" "stderr:" "$(excerpt "$WORK/ps.err")"
	finish
fi
read -r shell sppid a b c h z m <"$out/ids"

# check DESC CONDITION-COMMAND...: ok if the host-side command succeeds;
# on failure show FILE ($SHOW).
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc" "$SHOW:" "$(excerpt "$out/$SHOW")"; fi
}

# --- ps aux ------------------------------------------------------------------
SHOW=aux
# USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND
pids=$(awk 'NR > 1 && $11 != "ps" { print $2 }' "$out/aux" | sort -n | tr '\n' ' ')
want=$(printf '%s\n' 1 "$shell" "$a" "$b" "$c" "$h" "$z" "$m" | sort -n | tr '\n' ' ')
check "ps aux: exactly init, the shell, its 4 sleeps, a zombie, python and ps itself" \
	[ "$pids" = "$want" -a "$(awk 'NR > 1 && $11 == "ps"' "$out/aux" | wc -l)" = 1 ]
check "ps aux: no host process (pid $hostpid, 'sleep $HOSTMARK')" \
	eval "! grep -q -e $HOSTMARK -e '^[^ ]* *$hostpid ' '$out/aux'"
row() { awk -v p="$2" '$2 == p' "$out/$1"; }
check "ps aux: the sleeps are S, S and T (stopped)" \
	[ "$(for p in $a $b $c; do row aux "$p" | awk '{ printf "%s/%s ", $8, $11 $12 }'; done)" = \
	"S/sleep1001 S/sleep1002 T/sleep1003 " ]
check "ps aux: the unreaped child is a zombie (Z, [true] <defunct>, no memory)" \
	[ "$(row aux "$z" | awk '{ print $5, $6, $8, $11, $12 }')" = "0 0 Z [true] <defunct>" ]
check "ps aux: ps itself is R" [ "$(awk '$11 == "ps" { print $8 }' "$out/aux")" = R ]
check "ps aux: VSZ and RSS nonzero for every live process (RSS <= VSZ)" \
	[ "$(for p in $shell $a $b $c; do row aux "$p"; done |
		awk '$5 > 0 && $6 > 0 && $6 <= $5' | wc -l)" = 4 ]
# RSS is what is resident: far below the mapped size for the sleeps (even
# the stopped one), 64 MiB and a little more for the python process.
check "ps aux: a sleep's RSS is far below its VSZ (RSS < VSZ/2, < 8 MiB)" \
	[ "$(for p in $a $b $c; do row aux "$p"; done | awk '$6 * 2 < $5 && $6 < 8192' | wc -l)" = 3 ]
check "ps aux: 64 MiB touched of 512 MiB: 64 MiB <= RSS <= 100 MiB, VSZ >= 512 MiB" \
	[ "$(row aux "$m" | awk '$6 >= 65536 && $6 <= 102400 && $5 >= 524288' | wc -l)" = 1 ]
check "ps aux: the shell's command line" \
	[ "$(row aux "$shell" | awk '{ print $11, $12 }')" = "/bin/bash $WORK/ps.sh" ]

# --- top -b -n1 ----------------------------------------------------------------
SHOW=top
check "top: Tasks: 9 total, 1 running, 6 sleeping, 1 stopped, 1 zombie" \
	[ "$(sed -n 2p "$out/top" | tr -s ' ')" = \
	"Tasks: 9 total, 1 running, 6 sleeping, 1 stopped, 1 zombie" ]
# PID USER PR NI VIRT RES SHR S %CPU %MEM TIME+ COMMAND
toprow() { awk -v p="$1" '$1 == p' "$out/top"; }
tpids=$(awk 'f && $12 != "top" { print $1 } /^ *PID /{ f = 1 }' "$out/top" | sort -n | tr '\n' ' ')
check "top: exactly the same processes plus top itself" \
	[ "$tpids" = "$want" -a "$(awk 'f && $12 == "top" { print } /^ *PID /{ f = 1 }' "$out/top" | wc -l)" = 1 ]
check "top: no host process" eval "! grep -q -e $HOSTMARK -e '^ *$hostpid ' '$out/top'"
check "top: states S, S, T, S, Z and top R" \
	[ "$(for p in $a $b $c $h $z; do toprow "$p" | awk '{ printf "%s ", $8 }'; done)$(awk 'f && $12 == "top" { print $8 } /^ *PID /{ f = 1 }' "$out/top")" = "S S T S Z R" ]
check "top: VIRT and RES nonzero for the shell and the sleeps" \
	[ "$(for p in $shell $a $b $c; do toprow "$p"; done | awk '$5 > 0 && $6 > 0' | wc -l)" = 4 ]

# top shows RES in KiB, or with a unit suffix (m, g) when it is large.
kib() { awk '{ v = $1; u = substr(v, length(v)); if (u == "m") v *= 1024;
	else if (u == "g") v *= 1048576; printf "%d\n", v }'; }
check "top: RES of the python process is 64..100 MiB" \
	[ "$(toprow "$m" | awk '{ print $6 }' | kib | awk '$1 >= 65536 && $1 <= 102400' | wc -l)" = 1 ]

# --- ps -o rss and /proc/PID/status of the python process ---------------------
SHOW=memps
check "ps -o rss: 64 MiB <= RSS <= 100 MiB of VSZ >= 512 MiB" \
	[ "$(awk -v m="$m" '$1 == m && $3 >= 65536 && $3 <= 102400 && $2 >= 524288' "$out/memps" | wc -l)" = 1 ]
SHOW=memstatus
check "status: 64 MiB <= VmRSS <= 100 MiB, RssAnon >= 64 MiB" \
	[ "$(awk '$1 == "VmRSS:" && $2 >= 65536 && $2 <= 102400 { n++ }
		$1 == "RssAnon:" && $2 >= 65536 { n++ } END { print n + 0 }' "$out/memstatus")" = 2 ]

# --- ps -o pid,ppid,pgid,sid,tty,stat,comm ----------------------------------------
SHOW=fields
# (pid pgid sid as getpgid/getsid return them, for the shell and the jobs.)
check "ps -o: pgid and sid of the shell and the jobs are getpgid()/getsid()'s" \
	[ "$(for p in $shell $a $b $c; do row2=$(awk -v p="$p" '$1 == p { print $1, $3, $4 }' "$out/fields"); echo "$row2"; done)" = \
	"$(cat "$out/kernel_ids")" ]
check "ps -o: every job leads its own process group (set -m): pgid = \$!" \
	[ "$(awk -v a="$a" -v b="$b" -v c="$c" '($1 == a || $1 == b || $1 == c) && $1 == $3' "$out/fields" | wc -l)" = 3 ]
check "ps -o: ppid of the jobs is \$\$, of the shell \$PPID" \
	[ "$(awk -v s="$shell" -v a="$a" -v b="$b" -v c="$c" -v pp="$sppid" \
		'($1 == a || $1 == b || $1 == c) && $2 == s { n++ } $1 == s && $2 == pp { n++ } END { print n }' \
		"$out/fields")" = 4 ]
check "ps -o: no terminal: TTY '?' for all" \
	[ "$(awk 'NR > 1 && $5 != "?"' "$out/fields" | wc -l)" = 0 ]
check "ps -o: STAT and COMM of the stopped job" \
	[ "$(awk -v c="$c" '$1 == c { print $6, $7 }' "$out/fields")" = "T sleep" ]
check "ps -o: the zombie's parent is the exec'ed sleep, in its process group" \
	[ "$(awk -v z="$z" '$1 == z { print $2, $3, $6, $7 }' "$out/fields")" = "$h $h Z true" ]
check "ps -o: the same process set as ps aux" \
	[ "$(awk 'NR > 1 && $7 != "ps" { print $1 }' "$out/fields" | sort -n | tr '\n' ' ')" = "$want" ]

SHOW=ontty
# tty prints /dev/pts/N; ps shows pts/N for the shell script(1) started,
# a session leader in the terminal's foreground group ("Ss+").
tty=$(sed -n 1p "$out/ontty" | tr -d '\r')
check "on a sandbox pty: ps's TTY column names tty(1)'s terminal" \
	[ "$(sed -n 2p "$out/ontty" | tr -d '\r' | awk '{ print "/dev/" $1, $2, $3 }')" = "$tty Ss+ sh" ]

finish
