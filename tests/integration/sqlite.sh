#!/bin/bash
# Debian's sqlite3 in the sandbox: a WAL-mode database in the sandbox's /tmp,
# 10,000+ rows, two writers at once (fcntl record locks and the shared-memory
# index between processes), PRAGMA integrity_check. The same runs natively.
source "$(dirname "$0")/lib.sh" "$@"

SQLITE=/usr/bin/sqlite3
if [ ! -x "$SQLITE" ]; then
	# Not a skip: the filesystem tests need it (.ci/install-deps installs it).
	not_ok "$SQLITE is installed" "install the sqlite3 package"
	finish
fi

# 100 transactions of 100 rows, so the WAL sees many commits and locks.
{
	echo "PRAGMA journal_mode=WAL;"
	echo "CREATE TABLE t(id INTEGER PRIMARY KEY, who TEXT, v TEXT);"
	for i in $(seq 0 99); do
		echo "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<100)"
		echo "  INSERT INTO t(who, v) SELECT 'main', hex(randomblob(16)) FROM c; COMMIT;"
	done
	echo "CREATE INDEX tv ON t(v);"
	echo "SELECT count(*) FROM t;"
	echo "PRAGMA integrity_check;"
} >"$WORK/fill.sql"

# A writer that competes with another for the write lock.
writer() {
	echo "PRAGMA busy_timeout=20000;"
	for i in $(seq 0 49); do
		echo "BEGIN IMMEDIATE; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<100)"
		echo "  INSERT INTO t(who, v) SELECT '$1', hex(randomblob(16)) FROM c; COMMIT;"
	done
}
writer a >"$WORK/a.sql"
writer b >"$WORK/b.sql"
cat >"$WORK/check.sql" <<'SQL'
PRAGMA journal_mode;
SELECT count(*) FROM t;
SELECT who, count(*) FROM t GROUP BY who ORDER BY who;
PRAGMA integrity_check;
SQL

# run.sh DIR: the whole scenario with its database in DIR.
cat >"$WORK/run.sh" <<SH
db=\$1/sqlite-itest.db
rm -f "\$db" "\$db-wal" "\$db-shm"
$SQLITE "\$db" <"$WORK/fill.sql" || exit 1
$SQLITE "\$db" <"$WORK/a.sql" >/dev/null & a=\$!
$SQLITE "\$db" <"$WORK/b.sql" >/dev/null || exit 2
wait \$a || exit 3
$SQLITE "\$db" <"$WORK/check.sql" || exit 4
rm -f "\$db" "\$db-wal" "\$db-shm"
SH

want="wal
10000
ok
wal
20000
a|5000
b|5000
main|10000
ok"

mkdir -p "$WORK/native-tmp"
capture native /bin/sh "$WORK/run.sh" "$WORK/native-tmp"
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/native.out")" = "$want" ]; then
	ok "natively: 20,000 rows in WAL mode, integrity ok"
else
	not_ok "natively: 20,000 rows in WAL mode, integrity ok" "exit status $ST" \
		"stdout:" "$(excerpt "$WORK/native.out")" "stderr:" "$(excerpt "$WORK/native.err")"
fi

LIMIT=${SENTRY_TEST_TIMEOUT:-240}
expect_sandbox "in the sandbox's /tmp: 20,000 rows in WAL mode, two writers, integrity ok" \
	0 "$want" /bin/sh "$WORK/run.sh" /tmp

# The same on a volume: the files are the host's (through the gofer), the
# locks the sandbox's own.
mkdir -p "$WORK/vol"
sandboxed volume --volume "$WORK/vol:/vol" -- /bin/sh "$WORK/run.sh" /vol
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/volume.out")" = "$want" ] && sanitizer_clean volume; then
	ok "on a volume: 20,000 rows in WAL mode, two writers, integrity ok"
else
	not_ok "on a volume: 20,000 rows in WAL mode, two writers, integrity ok" "exit status $ST" \
		"stdout:" "$(excerpt "$WORK/volume.out")" "stderr:" "$(excerpt "$WORK/volume.err")"
fi

# 100,000 rows on a volume in WAL mode, batched 1,000 to a transaction, with
# an index and a checkpoint midway; then the host's own sqlite3 opens the
# files the sandbox left (the database and, if any, its -wal) and finds them
# sound, with every row.
{
	echo "PRAGMA journal_mode=WAL;"
	echo "CREATE TABLE big(id INTEGER PRIMARY KEY, n INTEGER, s TEXT, b BLOB);"
	echo "CREATE INDEX big_n ON big(n);"
	for i in $(seq 0 99); do
		echo "BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x+1 FROM c WHERE x<1000)"
		echo "  INSERT INTO big(n, s, b) SELECT $i*1000+x, 'row ' || ($i*1000+x), randomblob(40) FROM c; COMMIT;"
		if [ "$i" = 50 ]; then
			echo ".output /dev/null"
			echo "PRAGMA wal_checkpoint(TRUNCATE);"
			echo ".output stdout"
		fi
	done
	echo "SELECT count(*), sum(n), count(DISTINCT s) FROM big;"
	echo "PRAGMA integrity_check;"
	echo "PRAGMA journal_mode;"
} >"$WORK/big.sql"
cat >"$WORK/bigcheck.sql" <<'SQL'
PRAGMA integrity_check;
SELECT count(*), sum(n), count(DISTINCT s) FROM big;
SELECT count(*) FROM big WHERE n BETWEEN 49001 AND 51000;
PRAGMA journal_mode;
SQL
bigwant="100000|5000050000|100000
ok
wal"
mkdir -p "$WORK/bigvol"
sandboxed big --volume "$WORK/bigvol:/vol" -- $SQLITE /vol/big.db ".read $WORK/big.sql"
if [ "$ST" -eq 0 ] && [ "$(tail -n +2 "$WORK/big.out")" = "$bigwant" ] && sanitizer_clean big; then
	ok "on a volume: 100,000 rows in WAL mode in 100 transactions, integrity ok inside"
else
	not_ok "on a volume: 100,000 rows in WAL mode in 100 transactions, integrity ok inside" \
		"exit status $ST" "stdout:" "$(excerpt "$WORK/big.out")" "stderr:" "$(excerpt "$WORK/big.err")"
fi
# (The sandbox's sqlite3 exited; whatever -wal it left is the host's to recover.)
capture bignative $SQLITE "$WORK/bigvol/big.db" ".read $WORK/bigcheck.sql"
if [ "$ST" -eq 0 ] && [ "$(cat "$WORK/bignative.out")" = "$(printf 'ok\n100000|5000050000|100000\n2000\nwal')" ]; then
	ok "natively afterwards: integrity ok, 100,000 rows, index consistent"
else
	not_ok "natively afterwards: integrity ok, 100,000 rows, index consistent" \
		"exit status $ST" "stdout:" "$(excerpt "$WORK/bignative.out")" "stderr:" "$(excerpt "$WORK/bignative.err")"
fi

finish
