#!/usr/bin/env bash
# A first load does not lock readers out (migration 009): while titanic-etl copies a file into an
# empty `passengers` and builds its indexes on the side, a reader's SELECT keeps answering at
# once, and sees either no row or every row, never part of the file. Before 009 the load held
# its lock on `passengers` for its whole length, so a read waited about as long as the load.
set -uo pipefail
ETL=${TITANIC_ETL:?}
ROWS=${TITANIC_FIRST_LOAD_ROWS:-400000}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
[ -n "${PGHOST:-}" ] || { echo "SKIP: no PostgreSQL (run under pg_virtualenv)"; exit 77; }
db=t_etl_readers_$$
file=/tmp/etl-readers-$$.csv
psql -qc "CREATE DATABASE $db" postgres || exit 1
export DATABASE_URL="dbname=$db"
trap 'kill $etl 2>/dev/null; wait 2>/dev/null; psql -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres >/dev/null; rm -f $file' EXIT
now_ms() { echo $(($(date +%s%N) / 1000000)); }

"$ETL" --migrate >/dev/null 2>&1 || { echo "FAIL: --migrate"; exit 1; }
"$ETL" --generate "$ROWS" --seed 11 >"$file" || { echo "FAIL: --generate"; exit 1; }

start=$(now_ms)
"$ETL" --no-progress "$file" >/dev/null 2>&1 &
etl=$!
reads=0 during=0 slowest=0 empty=0
while :; do
  t0=$(now_ms)
  n=$(PGOPTIONS="-c statement_timeout=120s" psql "$DATABASE_URL" -Atc "SELECT count(*) FROM passengers") ||
    fail "a read failed during the first load"
  t1=$(now_ms)
  running=0; kill -0 $etl 2>/dev/null && running=1
  reads=$((reads + 1)); during=$((during + running))
  [ $((t1 - t0)) -gt "$slowest" ] && slowest=$((t1 - t0))
  case "$n" in 0) empty=$((empty + 1)) ;; "$ROWS") ;; *) fail "a reader saw $n rows, part of the file" ;; esac
  [ "$running" = 1 ] || break
  sleep 0.05
done
wait $etl || fail "the first load failed"
took=$(($(now_ms) - start))
echo "first load of $ROWS rows: ${took} ms; $reads reads, $during finished while it ran, slowest ${slowest} ms"

[ "$(psql "$DATABASE_URL" -Atc 'SELECT count(*) FROM passengers')" = "$ROWS" ] || fail "rows not loaded"
# Enough reads inside the load for the check to mean something (a read takes a few ms).
[ "$during" -ge 5 ] || fail "only $during reads finished while the load ran ($took ms)"
# The swap itself takes ACCESS EXCLUSIVE for a moment; a read waiting through the whole load
# (the old behaviour) would take about $took ms.
[ $((slowest * 4)) -lt "$took" ] || fail "a read waited ${slowest} ms of a ${took} ms load"
[ "$empty" -ge 1 ] || fail "no read saw the empty table while the load ran"

[ "$failures" -eq 0 ] && echo "ok: readers are not locked out by a first load" || exit 1
