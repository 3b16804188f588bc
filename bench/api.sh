#!/usr/bin/env bash
# API benchmark: titanic-api against the bare libmicrohttpd ceiling, in one run on one machine.
#
# Installs what it needs (scripts/install-deps.sh with TITANIC_BENCH_DEPS=1: wrk, ...), builds the
# Release tree and bench/bare_server.c, then inside a throwaway PostgreSQL cluster (pg_virtualenv):
#   1. loads $TITANIC_DATA_DIR/train.csv (default ../shared/data/titanic beside the repository, when
#      it exists; else 891 generated passengers, seed 1) with titanic-etl, trains with titanic-train;
#   2. starts titanic-api (BIND=127.0.0.1, a free port) and measures the time from exec to its
#      first 200 on /ready (curl every 5 ms: an upper bound, curl's own start included);
#   3. runs wrk -t2 -c64 -d10s --latency, ROUNDS times (default 3) in turn, against
#        bare     bench/out/bare_server: the same daemon flags, a fixed body, POST /predict's request
#        predict  POST /predict with one passenger            (bench/predict.lua)
#        lookup   GET /passengers/{id}, ids uniform in 1..891   (bench/lookup.lua)
#      after a 2 s warm-up of each; per target the median round's requests/s and p99 are reported;
#   4. then issue 14's method: wrk -t1 -c64 -d10s --latency, bare, predict and lookup in turn,
#      twice, and the ratios to bare round by round (the -t2 figures stay beside it);
#   5. reads titanic-api's peak RSS (VmHWM in /proc/PID/status) after the runs,
# and prints the table with the ratios to the issue's targets (written to bench/out/api.txt; raw
# wrk output in bench/out/api-wrk.log, the server's start-up log in bench/out/api-server-start.log).
# Other settings of titanic-api pass through the environment (e.g. LOG_LEVEL=warn turns the access
# log off; THREADS sizes both servers' pools). On the 2-core machine the bare server's rounds
# spread by about +-10%: compare ratios from one run, and mind the load average it prints.
# All traffic goes to 127.0.0.1; every run is bounded by timeout; the servers are stopped on exit.
# wrk and the servers share the machine's cores, as the targets assume.
# Environment: DURATION (seconds, 10), ROUNDS (3), CONNECTIONS (64), TITANIC_DATA_DIR.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$ROOT/bench/out
DURATION=${DURATION:-10}
ROUNDS=${ROUNDS:-3}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=2
LOOKUP_MAX_ID=891

die() { echo "bench/api.sh: $*" >&2; exit 1; }

if [ "${1:-}" != --in-cluster ]; then
  [[ "$DURATION" =~ ^[1-9][0-9]*$ && "$ROUNDS" =~ ^[1-9][0-9]*$ && "$CONNECTIONS" =~ ^[1-9][0-9]*$ ]] ||
    die "DURATION, ROUNDS and CONNECTIONS must be positive integers"
  mkdir -p "$OUT"
  TITANIC_BENCH_DEPS=1 "$ROOT/scripts/install-deps.sh" >/dev/null
  echo "building Release tree (build/release, with bench/titanic-bare-server)" >&2
  cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DTITANIC_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build/release" -j2 >/dev/null
  DATA_DIR=${TITANIC_DATA_DIR:-}
  if [ -z "$DATA_DIR" ] && [ -d "$ROOT/../shared/data/titanic" ]; then
    DATA_DIR=$(cd "$ROOT/../shared/data/titanic" && pwd)
  fi
  if [ -n "$DATA_DIR" ]; then
    [ -f "$DATA_DIR/train.csv" ] || die "no train.csv in $DATA_DIR"
    CSV=$DATA_DIR/train.csv
  else
    CSV=$OUT/generated-891-seed1.csv
    "$ROOT/build/release/etl/titanic-etl" --generate 891 --seed 1 >"$CSV"
  fi
  "$ROOT/build/release/api/titanic-api" --help >/dev/null 2>&1 ||
    die "titanic-api is not built yet (build/release/api/titanic-api --help fails)"
  export ROOT OUT DURATION ROUNDS CONNECTIONS WRK_THREADS LOOKUP_MAX_ID CSV
  pg_virtualenv -t -- "$0" --in-cluster
  exit
fi

# ---------------------------------------------------------------- inside the throwaway cluster
ETL=$ROOT/build/release/etl/titanic-etl
TRAIN=$ROOT/build/release/train/titanic-train
API=$ROOT/build/release/api/titanic-api
BARE=$ROOT/build/release/bench/titanic-bare-server
SERVER_LOG=$OUT/api-server.log
WRK_LOG=$OUT/api-wrk.log
: >"$WRK_LOG"
: >"$SERVER_LOG"

PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

# A port nothing listens on: 5000 (the API's default) unless it is taken, else a random high one.
free_port() {
  local p
  for p in 5000 $(shuf -i 20000-60000 -n 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  return 1
}
now_us() { echo "${EPOCHREALTIME/[.,]/}"; }

echo "loading $CSV and training" >&2
"$ETL" --no-progress "$CSV" >"$OUT/api-etl.log" 2>&1 || { cat "$OUT/api-etl.log" >&2; die "titanic-etl failed"; }
"$TRAIN" >"$OUT/api-train.log" 2>&1 || { cat "$OUT/api-train.log" >&2; die "titanic-train failed"; }
in_range=$(psql -XAtc "SELECT count(*) FROM passengers WHERE passenger_id BETWEEN 1 AND $LOOKUP_MAX_ID")
[ "$in_range" = "$LOOKUP_MAX_ID" ] ||
  echo "note: only $in_range of the ids 1..$LOOKUP_MAX_ID exist; the others answer 404 (counted as errors)" >&2

# ---- titanic-api: time from exec to the first 200 on /ready
API_PORT=$(free_port) || die "no free port"
t0=$(now_us)
PORT=$API_PORT BIND=127.0.0.1 "$API" 2>>"$SERVER_LOG" &
API_PID=$!
PIDS+=("$API_PID")
ready_ms=""
while :; do
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 1 "http://127.0.0.1:$API_PORT/ready" || true)
  if [ "$code" = 200 ]; then
    ready_ms=$((($(now_us) - t0 + 500) / 1000))
    break
  fi
  kill -0 "$API_PID" 2>/dev/null || { cat "$SERVER_LOG" >&2; die "titanic-api exited"; }
  if [ $(($(now_us) - t0)) -gt 10000000 ]; then
    cat "$SERVER_LOG" >&2
    die "titanic-api not ready within 10 s (last /ready: $code)"
  fi
  sleep 0.005
done
# The server's own figure, if it logs one (startup_ms in its "listening" line).
own_ms=$(grep -o '"startup_ms":[0-9.]*' "$SERVER_LOG" | head -1 | cut -d: -f2 || true)

PASSENGER='{"pclass":3,"sex":"male","age":22,"sibsp":1,"parch":0,"fare":7.25,"embarked":"S","name":"Braund, Mr. Owen Harris","ticket":"A/5 21171","cabin":null}'
answer=$(curl -s --max-time 5 -H 'Content-Type: application/json' -d "$PASSENGER" -w ' %{http_code}' "http://127.0.0.1:$API_PORT/predict")
[[ "$answer" == *'"probability"'*' 200' ]] || die "POST /predict does not answer 200 with a probability: $answer"
PREDICT_BYTES=$(($(printf '%s' "${answer% 200}" | wc -c)))
answer=$(curl -s --max-time 5 -w ' %{http_code}' "http://127.0.0.1:$API_PORT/passengers/1")
[[ "$answer" == *'"passenger_id":1'*' 200' ]] || die "GET /passengers/1 does not answer 200: $answer"

# ---- the bare server
BARE_PORT=$(free_port) || die "no free port"
"$BARE" "$BARE_PORT" "${THREADS:-$(nproc)}" 2>/dev/null &
PIDS+=("$!")
for _ in $(seq 200); do
  curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$BARE_PORT/" && break
  sleep 0.01
done
BARE_BYTES=$(($(curl -s --max-time 5 -d "$PASSENGER" "http://127.0.0.1:$BARE_PORT/predict" | wc -c)))

# run TARGET SECONDS [WRK_THREADS]: one wrk run; prints "rps p50_us p99_us non2xx socket_errors".
run() {
  local target=$1 secs=$2 threads=${3:-$WRK_THREADS} url script out
  case $target in
    bare) url=http://127.0.0.1:$BARE_PORT script=$ROOT/bench/predict.lua ;;
    predict) url=http://127.0.0.1:$API_PORT script=$ROOT/bench/predict.lua ;;
    lookup) url=http://127.0.0.1:$API_PORT script=$ROOT/bench/lookup.lua ;;
  esac
  out=$(MAX_ID=$LOOKUP_MAX_ID timeout $((secs + 30)) wrk -t"$threads" -c"$CONNECTIONS" -d"${secs}s" \
    --timeout 5s --latency -s "$script" "$url" 2>&1) || { printf '%s\n' "$out" >&2; die "wrk failed on $target"; }
  printf '== %s %ss -t%s\n%s\n' "$target" "$secs" "$threads" "$out" >>"$WRK_LOG"
  # The access log grows by a line per request: keep the file small between runs.
  : >"$SERVER_LOG"
  sed -n 's/^RESULT .*rps=\([0-9.]*\) p50_us=\([0-9]*\) .*p99_us=\([0-9]*\) .*non2xx=\([0-9]*\) socket_errors=\([0-9]*\).*/\1 \2 \3 \4 \5/p' <<<"$out"
}

# Keep the start-up lines: from here on the access log is emptied after every run.
cp "$SERVER_LOG" "$OUT/api-server-start.log"
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
TARGETS=(bare predict lookup)
echo "warm-up 2 s each, then $ROUNDS round(s) of ${DURATION} s per target" >&2
for t in "${TARGETS[@]}"; do run "$t" 2 >/dev/null; done
RAW=$(mktemp)
for r in $(seq "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    line=$(run "$t" "$DURATION")
    [ -n "$line" ] || die "no result from wrk for $t"
    echo "$t $r $line" >>"$RAW"
    echo "  round $r $t: $line (rps p50_us p99_us non2xx socket_errors)" >&2
  done
done
# Issue 14's method: wrk -t1 -c64 -d10s --latency, the bare server alternated twice with each
# target (bare predict lookup, bare predict lookup); the ratios are taken round by round.
ISSUE_RAW=$(mktemp)
for r in 1 2; do
  for t in "${TARGETS[@]}"; do
    line=$(run "$t" "$DURATION" 1)
    [ -n "$line" ] || die "no result from wrk -t1 for $t"
    echo "$t $r $line" >>"$ISSUE_RAW"
    echo "  -t1 round $r $t: $line (rps p50_us p99_us non2xx socket_errors)" >&2
  done
done
hwm_kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$API_PID/status")
rss_kib=$(awk '/^VmRSS:/ { print $2 }' "/proc/$API_PID/status")

{
  echo "titanic-api benchmark  $(date -u +%Y-%m-%dT%H:%M:%SZ)  $(nproc) cores, $(uname -r)"
  echo "data: $(basename "$CSV") ($(psql -XAtc 'SELECT count(*) FROM passengers') passengers)," \
    "model v$(psql -XAtc 'SELECT version FROM models WHERE active')," \
    "wrk -t$WRK_THREADS -c$CONNECTIONS -d${DURATION}s --latency, median of $ROUNDS round(s)"
  echo "answer bytes: bare $BARE_BYTES, /predict $PREDICT_BYTES; load average before the runs: $LOADAVG"
  echo
  awk -v ready="$ready_ms" -v own="${own_ms:-}" -v hwm="$hwm_kib" -v rss="$rss_kib" '
    { rps[$1] = rps[$1] " " $3; p50[$1] = p50[$1] " " $4; p99[$1] = p99[$1] " " $5
      err[$1] += $6 + $7; n[$1]++ }
    function median(list,   a, k, i, j, t) {
      k = split(list, a, " ")
      for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
      return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
    }
    function range(list,   a, k, i, lo, hi) {
      k = split(list, a, " "); lo = hi = a[1]
      for (i = 2; i <= k; i++) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] }
      return sprintf("%.0f-%.0f", lo, hi)
    }
    END {
      split("bare predict lookup", order, " ")
      label["bare"] = "bare libmicrohttpd (POST)"; label["predict"] = "POST /predict (1 passenger)"
      label["lookup"] = "GET /passengers/{id} random"
      printf "%-30s %10s %16s %9s %9s %8s\n", "target", "req/s", "(rounds)", "p50 ms", "p99 ms", "errors"
      for (i = 1; i <= 3; i++) {
        t = order[i]; R[t] = median(rps[t]); P99[t] = median(p99[t])
        printf "%-30s %10.0f %16s %9.2f %9.2f %8d\n", label[t], R[t], range(rps[t]), median(p50[t]) / 1000, P99[t] / 1000, err[t]
      }
      print ""
      printf "/predict req/s / bare req/s   %6.2f   (target >= 0.85)  %s\n", R["predict"] / R["bare"], (R["predict"] / R["bare"] >= 0.85 ? "met" : "NOT MET")
      printf "/predict p99 / bare p99       %6.2f   (target <= 1.50)  %s\n", P99["predict"] / P99["bare"], (P99["predict"] / P99["bare"] <= 1.5 ? "met" : "NOT MET")
      printf "lookup req/s / bare req/s     %6.2f   (as close to 1 as the database allows)\n", R["lookup"] / R["bare"]
      printf "ready after exec              %6d ms (target <= 100)  %s%s\n", ready, (ready <= 100 ? "met" : "NOT MET"), (own != "" ? sprintf("; the server logs startup_ms %.1f", own) : "")
      printf "titanic-api peak RSS (VmHWM)  %6.1f MiB (target <= 16)  %s; VmRSS now %.1f MiB\n", hwm / 1024, (hwm / 1024 <= 16 ? "met" : "NOT MET"), rss / 1024
      if (err["predict"] + err["lookup"] + err["bare"] > 0) print "WARNING: some requests failed (non-2xx or socket errors); see bench/out/api-wrk.log"
    }' "$RAW"
  echo
  echo "issue 14's method: wrk -t1 -c$CONNECTIONS -d${DURATION}s --latency, bare alternated twice with each target"
  awk '
    { rps[$1, $2] = $3; p99[$1, $2] = $5; err += $6 + $7 }
    END {
      printf "%-6s %10s %9s %12s %9s %7s %10s %12s %7s\n", "round", "bare r/s", "p99 ms",
        "predict r/s", "p99 ms", "ratio", "p99 ratio", "lookup r/s", "ratio"
      for (r = 1; r <= 2; r++) {
        pr = rps["predict", r] / rps["bare", r]; pp = p99["predict", r] / p99["bare", r]
        lr = rps["lookup", r] / rps["bare", r]
        sp += pr; sl += lr; bp += p99["bare", r]; pp2 += p99["predict", r]
        printf "%-6d %10.0f %9.2f %12.0f %9.2f %7.2f %10.2f %12.0f %7.2f\n", r, rps["bare", r],
          p99["bare", r] / 1000, rps["predict", r], p99["predict", r] / 1000, pr, pp, rps["lookup", r], lr
      }
      printf "/predict req/s / bare (mean of 2)  %5.2f  (target >= 0.85)  %s\n", sp / 2, (sp / 2 >= 0.85 ? "met" : "NOT MET")
      printf "/predict p99 / bare p99 (mean p99s) %5.2f  (target <= 1.50)  %s\n", pp2 / bp, (pp2 / bp <= 1.5 ? "met" : "NOT MET")
      printf "lookup req/s / bare (mean of 2)    %5.2f  (target >= 0.50)  %s\n", sl / 2, (sl / 2 >= 0.5 ? "met" : "NOT MET")
      if (err > 0) print "WARNING: some requests failed (non-2xx or socket errors); see bench/out/api-wrk.log"
    }' "$ISSUE_RAW"
} | tee "$OUT/api.txt"
rm -f "$RAW" "$ISSUE_RAW"
