#!/usr/bin/env bash
# Analysts' queries at scale: latency of every documented query with its defaults, and of the
# lookups, with N synthetic passengers (issue 14's goal: <= 50 ms median, <= 200 ms p99 at 10M).
#
# Usage: bench/scale.sh [N]    (default 1000000)
# Builds the Release tree, generates N passengers (bench/out/synthetic-N.csv, seed 7, the file
# bench/etl.sh uses; kept for the next run), then inside a throwaway cluster (pg_virtualenv -t):
#   1. titanic-etl loads the file (timed), then VACUUM ANALYZE, as autovacuum would soon after;
#   2. titanic-api starts on a free port (BIND=127.0.0.1; no model is needed for these routes);
#   3. bench/scale_client.py sends each query from one client over a keep-alive connection,
#      one request after another, and prints samples, statuses, bytes, median and p99.
# The table goes to bench/out/scale-N.txt. Query list and sampling: bench/scale_client.py
# (SAMPLES, MIN_SAMPLES, BUDGET pass through). The cluster uses pg_virtualenv's defaults
# (shared_buffers 128 MB); PG_OPTS adds -o settings, e.g. PG_OPTS="-o shared_buffers=2GB".
# The machine is shared: the load average before the run is printed with the table.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out

die() { echo "bench/scale.sh: $*" >&2; exit 1; }

if [ "${1:-}" != --in-cluster ]; then
  ROWS=${1:-1000000}
  [[ "$ROWS" =~ ^[1-9][0-9]*$ ]] || die "N must be a positive integer"
  mkdir -p "$OUT"
  echo "building Release tree (build/release)" >&2
  cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DTITANIC_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build/release" -j2 >/dev/null
  CSV=$OUT/synthetic-$ROWS.csv
  if [ ! -s "$CSV" ]; then
    echo "generating $ROWS passengers into $CSV" >&2
    "$ROOT/build/release/etl/titanic-etl" --generate "$ROWS" --seed 7 >"$CSV.tmp"
    mv "$CSV.tmp" "$CSV"
  fi
  export ROOT OUT ROWS CSV
  # shellcheck disable=SC2086 # PG_OPTS holds several words on purpose
  pg_virtualenv -t ${PG_OPTS:-} -- "$0" --in-cluster
  exit
fi

# ---------------------------------------------------------------- inside the throwaway cluster
ETL=$ROOT/build/release/etl/titanic-etl
API=$ROOT/build/release/api/titanic-api
SERVER_LOG=$OUT/scale-server.log
SAMPLE=$OUT/scale-ids.txt
API_PID=

cleanup() {
  [ -n "$API_PID" ] || return 0
  kill -TERM "$API_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$API_PID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$API_PID" 2>/dev/null || true
  wait "$API_PID" 2>/dev/null || true
}
trap cleanup EXIT

echo "loading $CSV" >&2
t0=$(date +%s.%N)
"$ETL" --no-progress "$CSV" >"$OUT/scale-etl.log" 2>&1 || { cat "$OUT/scale-etl.log" >&2; die "titanic-etl failed"; }
load_s=$(echo "$(date +%s.%N) - $t0" | bc)
t0=$(date +%s.%N)
psql -XqAtc "VACUUM ANALYZE" >/dev/null
vacuum_s=$(echo "$(date +%s.%N) - $t0" | bc)
count=$(psql -XAtc "SELECT count(*) FROM passengers")
sizes=$(psql -XAtc "SELECT pg_size_pretty(pg_table_size('passengers')) || ' table, ' ||
  pg_size_pretty(pg_indexes_size('passengers')) || ' indexes'")
# Ids for the lookups: up to 5,000 random stored passengers (from a 1% sample of the pages).
psql -XAtc "SELECT passenger_id || '|' || uuid FROM passengers TABLESAMPLE SYSTEM (1)
  ORDER BY random() LIMIT 5000" >"$SAMPLE"

# Port 0: the kernel picks a free one and the server logs it ("listening" line).
PORT=0 BIND=127.0.0.1 LOG_FORMAT=json "$API" 2>"$SERVER_LOG" &
API_PID=$!
PORT=
for _ in $(seq 500); do
  PORT=$(grep -o '"message":"listening".*"port":[0-9]*' "$SERVER_LOG" | grep -o '[0-9]*$' | head -1 || true)
  [ -n "$PORT" ] && curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$PORT/health" && break
  kill -0 "$API_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; die "titanic-api exited"; }
  sleep 0.02
done
[ -n "$PORT" ] || die "titanic-api did not log its port"

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
{
  echo "bench/scale.sh $ROWS  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "passengers: $count ($sizes); titanic-etl load ${load_s%???????} s, VACUUM ANALYZE ${vacuum_s%???????} s"
  echo "one client, keep-alive, sequential; load average before: $LOADAVG"
  echo
  python3 "$ROOT/bench/scale_client.py" "$PORT" "$SAMPLE" "$count"
} | tee "$OUT/scale-$ROWS.txt"
