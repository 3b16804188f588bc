#!/usr/bin/env bash
# Benchmark of the real retraining job (issues 4 and 14): `titanic-train --score`, exactly what the
# CronJob runs (read every passenger, nested CV, fit, store, activate, NOTIFY, write a prediction
# for every passenger), on N synthetic passengers in PostgreSQL, against statsmodels reading the
# same N rows from CSV with pandas and fitting the reference design (bench/train_baseline.py), in
# the same run: the two alternate (A B A B ...), each in its own process under /usr/bin/time -v
# (wall time and peak RSS), and the ratio is taken pair by pair so a machine that slows down
# during the run moves both.
#
# Each size gets a throwaway cluster (pg_virtualenv), loaded once with titanic-etl (not timed). Before
# every titanic-train run the models and predictions are emptied, so every run does the whole job
# of a first training (no active model to compare with; docs/model.md says what a weekly run adds).
#
# usage: bench/train.sh [ROWS...]            default: 1000000 10000000
#   env: RUNS   pairs per size (default 3; 1 above 2,000,000 rows)
#        BUILD_DIR (default build-bench, built Release here), PYTHON (default /usr/bin/python3)
#        SEED (default 42)
# Results: bench/out/train-N.txt (one line per run) and a table on stdout.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
PYTHON=${PYTHON:-/usr/bin/python3}
SEED=${SEED:-42}
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1000000 10000000)
OUT=$ROOT/bench/out
mkdir -p "$OUT"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "building Release binaries in $BUILD_DIR" >&2 # incremental: never measures a stale binary
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DTITANIC_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j2 --target titanic-train titanic-etl >/dev/null

# The part that runs inside the cluster: load once, then alternate the two contenders.
cat >"$WORK/inside.sh" <<'INSIDE'
set -euo pipefail
export LOG_LEVEL=warn
"$BUILD_DIR/etl/titanic-etl" --migrate >/dev/null
"$BUILD_DIR/etl/titanic-etl" --no-progress "$CSV" >/dev/null
psql -qc "VACUUM ANALYZE passengers"
: >"$RESULTS"
# field FILE NAME: one figure of a /usr/bin/time -v report (wall seconds, peak RSS MiB)
figures() {
  awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, t, ":"); s = 0;
                 for (i = 1; i <= n; i++) s = s * 60 + t[i]; wall = s }
              /Maximum resident set size/ { rss = $2 / 1024 }
              /Exit status/ { code = $2 }
              END { printf "%.2f %.1f %s", wall, rss, code }' "$1"
}
for run in $(seq "$RUNS"); do
  psql -qc "TRUNCATE predictions, model_activations; DELETE FROM models"
  /usr/bin/time -v -o "$WORK/a.time" "$BUILD_DIR/train/titanic-train" --score \
    2>"$WORK/train-$run.log" || true
  /usr/bin/time -v -o "$WORK/b.time" "$PYTHON" "$ROOT/bench/train_baseline.py" "$CSV" statsmodels \
    >"$WORK/statsmodels-$run.json" || true
  echo "$run titanic-train $(figures "$WORK/a.time") statsmodels $(figures "$WORK/b.time")" \
    | tee -a "$RESULTS" >&2
done
grep -h '"message":"passengers read"\|"message":"nested cross-validation done"\|"message":"predictions written"' \
  "$WORK"/train-*.log | sed 's/^/  log: /' >&2 || true
INSIDE

for rows in "${SIZES[@]}"; do
  runs=${RUNS:-$([ "$rows" -gt 2000000 ] && echo 1 || echo 3)}
  echo "generating $rows synthetic passengers (seed $SEED)" >&2
  "$BUILD_DIR/etl/titanic-etl" --generate "$rows" --seed "$SEED" >"$WORK/p.csv"
  cat "$WORK/p.csv" >/dev/null # warm the page cache for the CSV reader
  echo "loading and running $runs pair(s) at $rows rows" >&2
  BUILD_DIR=$BUILD_DIR ROOT=$ROOT PYTHON=$PYTHON CSV=$WORK/p.csv RUNS=$runs WORK=$WORK \
    RESULTS=$OUT/train-$rows.txt pg_virtualenv -t -- bash "$WORK/inside.sh" 2>&1 |
    grep -v '^\(Creating\|Dropping\)\|LOG:' >&2 || true
  rm -f "$WORK/p.csv"
done

"$PYTHON" - "$OUT" "${SIZES[@]}" <<'PY'
import statistics, sys
out, sizes = sys.argv[1], sys.argv[2:]
print(f"\n{'rows':>10} {'runs':>4} {'titanic-train s':>16} {'RSS MiB':>8} {'statsmodels s':>14} "
      f"{'RSS MiB':>8} {'ratio (pairs)':>14}")
for n in sizes:
    rows = [l.split() for l in open(f"{out}/train-{n}.txt") if l.strip()]
    a = [float(r[2]) for r in rows]; ar = [float(r[3]) for r in rows]
    b = [float(r[6]) for r in rows]; br = [float(r[7]) for r in rows]
    codes = {r[4] for r in rows} | {r[8] for r in rows}
    ratio = statistics.median(x / y for x, y in zip(a, b))
    print(f"{int(n):>10,} {len(rows):>4} {statistics.median(a):>16.2f} {max(ar):>8.0f} "
          f"{statistics.median(b):>14.2f} {max(br):>8.0f} {ratio:>13.2f}x"
          + ("" if codes == {"0"} else f"   exit codes {sorted(codes)}"))
print("\nmedian wall seconds; RSS: the largest peak of the runs; ratio: titanic-train / statsmodels, "
      "median of the pairs (below 1: the whole job is faster than statsmodels' read and fit)")
PY
