#!/usr/bin/env bash
# The cost of prediction monitoring on POST /predict: the same Release titanic-api twice, one with
# PREDICTION_MONITORING=1 (the default) and one with 0, measured in alternation so that whatever
# else the machine does falls on both alike:
#   wrk -t1 -c64 -d${DURATION}s --latency with issue 14's one-passenger body (bench/predict.lua),
#   ROUNDS rounds of (on, off) after a warm-up of each;
# then the median requests/s and p99 of each, and the cost (1 - on/off). On a loaded machine the
# rounds spread by far more than the cost; a callgrind count (CALLGRIND=1, 2000 requests each,
# repeatable whatever the load) gives the instructions monitor_record adds per request against
# the whole request's. Runs inside a throwaway cluster (pg_virtualenv); results in
# bench/out/monitoring.txt. Environment: DURATION (10), ROUNDS (5), CALLGRIND (1).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-5}
CALLGRIND=${CALLGRIND:-1}
die() { echo "bench/monitoring.sh: $*" >&2; exit 1; }

if [ "${1:-}" != --in-cluster ]; then
  mkdir -p "$OUT"
  command -v wrk >/dev/null || die "wrk is needed (TITANIC_BENCH_DEPS=1 scripts/install-deps.sh)"
  cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DTITANIC_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build/release" -j2 >/dev/null
  export ROOT OUT DURATION ROUNDS CALLGRIND
  pg_virtualenv -t -- "$0" --in-cluster
  exit
fi

B=$ROOT/build/release
"$B/etl/titanic-etl" --generate 891 --seed 1 >"$OUT/monitoring-gen.csv"
"$B/etl/titanic-etl" --no-progress "$OUT/monitoring-gen.csv" >/dev/null 2>&1 || die "titanic-etl failed"
"$B/train/titanic-train" >/dev/null 2>&1 || die "titanic-train failed"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
port_of() { grep -o '"port":[0-9]*' "$1" 2>/dev/null | head -1 | cut -d: -f2 || true; }
STARTED_PORT=
start() { # start NAME MONITORING [wrapper...]: a server on a kernel-chosen port -> STARTED_PORT
  local name=$1 monitoring=$2; shift 2
  PORT=0 BIND=127.0.0.1 LOG_FORMAT=json PREDICTION_MONITORING=$monitoring \
    "$@" "$B/api/titanic-api" >/dev/null 2>"$OUT/monitoring-$name.log" &
  PIDS+=("$!")
  STARTED_PORT=
  for _ in $(seq 1200); do
    STARTED_PORT=$(port_of "$OUT/monitoring-$name.log")
    [ -n "$STARTED_PORT" ] && return
    sleep 0.05
  done
  die "$name did not start: $(tail -3 "$OUT/monitoring-$name.log")"
}
start on 1
ON=$STARTED_PORT
start off 0
OFF=$STARTED_PORT
[ -n "$ON" ] && [ -n "$OFF" ] || die "a server did not start"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime of a process
run() { # run PORT SECONDS -> "rps p99_us non2xx requests"
  wrk -t1 -c64 -d"$2s" --latency -s "$ROOT/bench/predict.lua" "http://127.0.0.1:$1" 2>&1 |
    sed -n 's/^RESULT requests=\([0-9]*\) .* rps=\([0-9.]*\) .* p99_us=\([0-9]*\) .*non2xx=\([0-9]*\).*/\2 \3 \4 \1/p'
}
run "$ON" 2 >/dev/null
run "$OFF" 2 >/dev/null
# Besides requests/s (wall clock, at the mercy of whatever else runs), the server's own CPU time
# per request (utime + stime from /proc), which other processes disturb much less.
HZ=$(getconf CLK_TCK)
: >"$OUT/monitoring-rounds.txt"
for i in $(seq "$ROUNDS"); do
  for side in on off; do
    port=$ON pid=${PIDS[0]}
    [ $side = off ] && port=$OFF pid=${PIDS[1]}
    t0=$(cpu_ticks "$pid")
    read -r rps p99 non2xx requests < <(run "$port" "$DURATION")
    t1=$(cpu_ticks "$pid")
    [ "$non2xx" = 0 ] || die "$side: $non2xx answers were not 2xx"
    cpu_us=$(awk -v d=$((t1 - t0)) -v hz="$HZ" -v n="$requests" 'BEGIN {printf "%.2f", d / hz * 1e6 / n}')
    echo "$side $rps $p99 $cpu_us" | tee -a "$OUT/monitoring-rounds.txt" >&2
  done
done
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
on_rps=$(awk '$1 == "on" {print $2}' "$OUT/monitoring-rounds.txt" | median)
off_rps=$(awk '$1 == "off" {print $2}' "$OUT/monitoring-rounds.txt" | median)
on_p99=$(awk '$1 == "on" {print $3}' "$OUT/monitoring-rounds.txt" | median)
off_p99=$(awk '$1 == "off" {print $3}' "$OUT/monitoring-rounds.txt" | median)
on_cpu=$(awk '$1 == "on" {print $4}' "$OUT/monitoring-rounds.txt" | median)
off_cpu=$(awk '$1 == "off" {print $4}' "$OUT/monitoring-rounds.txt" | median)
{
  echo "POST /predict, wrk -t1 -c64 -d${DURATION}s, $ROUNDS alternated rounds each (median):"
  echo "  monitoring on:  $on_rps req/s, p99 $on_p99 us, server CPU $on_cpu us per request"
  echo "  monitoring off: $off_rps req/s, p99 $off_p99 us, server CPU $off_cpu us per request"
  awk -v a="$on_rps" -v b="$off_rps" -v c="$on_cpu" -v d="$off_cpu" \
    'BEGIN {printf "  cost: %.1f%% of requests/s, %.1f%% of CPU per request\n", (1 - a / b) * 100, (c / d - 1) * 100}'
  echo "  load average during the run: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$OUT/monitoring.txt"

if [ "$CALLGRIND" = 1 ] && command -v valgrind >/dev/null; then
  # Whole-process instructions with 2000 requests on one keep-alive connection, each way, and
  # with none (start-up and shutdown): per request = (with - none) / 2000.
  for side in none on off; do
    m=1; n=2000
    [ $side = off ] && m=0
    [ $side = none ] && { m=0; n=0; }
    start "cg-$side" $m valgrind --tool=callgrind --callgrind-out-file="$OUT/monitoring-cg-$side.out"
    python3 - "$STARTED_PORT" "$n" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=60)
body = ('{"pclass":3,"sex":"male","age":22,"sibsp":1,"parch":0,"fare":7.25,"embarked":"S",'
        '"name":"Braund, Mr. Owen Harris","ticket":"A/5 21171","cabin":null}')
for _ in range(int(sys.argv[2])):
    c.request("POST", "/predict", body, {"Content-Type": "application/json"})
    assert c.getresponse().read()
PY
    kill -TERM "${PIDS[-1]}"; wait "${PIDS[-1]}" 2>/dev/null || true
    echo >&2 "$side done"
    # The whole process, and monitor_record with all it calls (inclusive).
    echo "$side $(callgrind_annotate "$OUT/monitoring-cg-$side.out" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)" \
      "$(callgrind_annotate --inclusive=yes --threshold=100 "$OUT/monitoring-cg-$side.out" 2>/dev/null |
        sed -n 's/^ *\([0-9,]*\) .*:monitor_record .*/\1/p' | tr -d , | head -1)"
  done | tee "$OUT/monitoring-callgrind.txt" >&2
  # The whole-process totals also hold the timer threads and jansson's per-process hash seed,
  # which move by more than monitoring costs; monitor_record's own count is exact.
  awk '{v[$1] = $2; m[$1] = $3} END {
       per = (v["off"] - v["none"]) / 2000; mon = (m["on"] - m["off"]) / 2000;
       printf "  callgrind: %.0f instructions per request (whole process), of which monitoring %.0f: %.2f%%\n", per, mon, mon / per * 100}' \
    "$OUT/monitoring-callgrind.txt" | tee -a "$OUT/monitoring.txt"
fi
