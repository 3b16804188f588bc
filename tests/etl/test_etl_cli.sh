#!/usr/bin/env bash
# titanic-etl as a Job runs it: exit codes, usage errors, stdin, the summary line, a dry run's
# counts, a failed run's rejects, and a load killed half-way (SIGKILL and SIGTERM) that leaves
# nothing partial behind.
set -uo pipefail
ETL=${TITANIC_ETL:?}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
expect_exit() { # expected, description, command...
  local want=$1 what=$2; shift 2
  "$@" >/tmp/etl-cli-out.$$ 2>&1
  local got=$?
  [ "$got" -eq "$want" ] || { fail "$what: exit $got, expected $want"; cat /tmp/etl-cli-out.$$; }
}
[ -n "${PGHOST:-}" ] || { echo "SKIP: no PostgreSQL (run under pg_virtualenv)"; exit 77; }
db=t_etl_cli_$$
psql -qc "CREATE DATABASE $db" postgres || exit 1
export DATABASE_URL="dbname=$db"
trap 'psql -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres >/dev/null; rm -f /tmp/etl-cli-*.$$' EXIT
q() { psql "$DATABASE_URL" -Atc "$1"; }

expect_exit 2 "no file" "$ETL"
expect_exit 2 "unrecognized option" "$ETL" --frobnicate x.csv
expect_exit 2 "--max-rejects: expected" "$ETL" --max-rejects=abc x.csv # GNU --opt=value form
expect_exit 2 "bad --max-rejects" "$ETL" --max-rejects lots x.csv
grep -q -- "--max-rejects: expected" /tmp/etl-cli-out.$$ || fail "bad --max-rejects not named"
expect_exit 2 "bad --generate" "$ETL" --generate -5
expect_exit 0 "--help" "$ETL" --help
expect_exit 1 "missing file" "$ETL" /nonexistent.csv
grep -q "cannot open /nonexistent.csv" /tmp/etl-cli-out.$$ || fail "missing file not named"
DATABASE_URL="postgresql://u:s3cretpw@127.0.0.1:1/x" expect_exit 1 "unreachable db" "$ETL" /dev/null
grep -q "s3cretpw" /tmp/etl-cli-out.$$ && fail "password printed"

# Generate to a file and load it from stdin; the summary line reports everything.
"$ETL" --generate 2000 --seed 5 >/tmp/etl-cli-gen.$$
out=$("$ETL" - </tmp/etl-cli-gen.$$ 2>/dev/null) || fail "stdin load failed"
case "$out" in *"read 2000, inserted 2000, updated 0, unchanged 0, rejected 0"*) ;; *) fail "summary: $out" ;; esac
[ "$(q 'SELECT count(*) FROM passengers')" = 2000 ] || fail "stdin rows not loaded"
[ "$(q "SELECT source FROM etl_runs ORDER BY run_id DESC LIMIT 1")" = stdin ] || fail "source not stdin"
# JSON log lines on a non-TTY stderr.
"$ETL" --dry-run /tmp/etl-cli-gen.$$ 2>&1 >/dev/null | tail -1 | jq -e '.message == "dry run finished" and .read == 2000' >/dev/null ||
  fail "dry-run log line"
expect_exit 0 "--max-rejects=5 (GNU --opt=value) accepted" "$ETL" --dry-run --max-rejects=5 /tmp/etl-cli-gen.$$

# The same rows with one changed, one new and one bad: a dry run says what a real run would do
# (read = would insert + would update + unchanged + rejected) and writes nothing.
mixed=/tmp/etl-cli-mixed.$$
{ head -5 /tmp/etl-cli-gen.$$; echo '5,1,1,"Changed, Mr. X",male,30,0,0,T,10,,S'; sed -n '7,1001p' /tmp/etl-cli-gen.$$
  echo '999999,0,3,"New, Mr. Y",male,30,0,0,T,10,,S'; echo '999998,0,9,"Bad, Mr. Z",male,30,0,0,T,10,,S'; } >"$mixed"
snapshot() { q "SELECT (SELECT count(*) FROM etl_runs) || '/' || (SELECT count(*) FROM etl_rejects) || '/' || (SELECT md5(string_agg(passengers::text, '' ORDER BY passenger_id)) FROM passengers)"; }
before=$(snapshot)
out=$("$ETL" --dry-run "$mixed" 2>/dev/null) || fail "dry run failed"
case "$out" in *"dry run, nothing written: read 1002, would insert 1, would update 1, unchanged 999, rejected 1 (valid 1001)"*) ;; *) fail "dry-run summary: $out" ;; esac
[ "$(snapshot)" = "$before" ] || fail "dry run wrote something"

# A failed run (over --max-rejects) commits no passenger but keeps its rejects, by run id.
expect_exit 1 "--max-rejects 0.05% exceeded" "$ETL" --max-rejects 0.05% "$mixed"
run=$(q "SELECT run_id FROM etl_runs ORDER BY run_id DESC LIMIT 1")
[ "$(q "SELECT status || ' ' || rows_read || ' ' || rows_rejected FROM etl_runs WHERE run_id = $run")" = "failed 1002 1" ] ||
  fail "failed run not recorded: $(q "SELECT * FROM etl_runs WHERE run_id = $run")"
[ "$(q "SELECT line || ' ' || field || ' ' || convert_from(raw, 'UTF8') FROM etl_rejects WHERE run_id = $run")" = '1003 Pclass 999998,0,9,"Bad, Mr. Z",male,30,0,0,T,10,,S' ] ||
  fail "failed run's reject not kept: $(q "SELECT * FROM etl_rejects WHERE run_id = $run")"
[ "$(q 'SELECT count(*) FROM passengers WHERE passenger_id = 999999')" = 0 ] || fail "failed run committed a row"

# A load killed half-way commits nothing: kill it once its COPY is under way.
big=/tmp/etl-cli-big.$$
"$ETL" --generate 1000000 --seed 9 >"$big"
for sig in KILL TERM; do
  before=$(q 'SELECT count(*) FROM passengers')
  "$ETL" --no-progress "$big" >/dev/null 2>&1 &
  pid=$!
  for _ in $(seq 200); do
    [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %'")" -gt 0 ] && break
    sleep 0.05
  done
  kill -"$sig" "$pid"
  wait "$pid"
  status=$?
  [ "$status" -ne 0 ] || fail "killed load ($sig) exited 0"
  for _ in $(seq 50); do # the server notices the dead client and rolls back
    [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %'")" = 0 ] && break
    sleep 0.1
  done
  [ "$(q 'SELECT count(*) FROM passengers')" = "$before" ] || fail "killed load ($sig) left rows"
done
[ "$(q "SELECT count(*) FROM etl_runs WHERE status = 'failed' AND error LIKE 'interrupted%'")" = 1 ] ||
  fail "SIGTERM run not recorded as failed/interrupted"
echo "test_etl_cli: $failures failed"
[ "$failures" -eq 0 ]
