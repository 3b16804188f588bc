#!/usr/bin/env bash
# Benchmark of titanic-train's read + fit against scikit-learn and statsmodels (issue 4).
#
# Generates N synthetic passengers (default 1,000,000) with `titanic-etl --generate`, then times,
# in one run and each in its own process under /usr/bin/time -v (wall time and peak RSS):
#   titanic-train --bench-csv FILE --features reference --l2 0  (CSV read + design + Newton fit, no CV)
#   bench/train_baseline.py FILE sklearn                  (pandas read + same design + lbfgs)
#   bench/train_baseline.py FILE statsmodels              (pandas read + same design + Newton)
# The design is the "reference" one (intercept, female, pclass2, pclass3, age with missing ages set
# to the median, sibsp, parch, fare): simple enough to reproduce exactly in numpy, so all three fit
# the same rows and columns. Prints a table with ratios and the largest coefficient differences.
#
# usage: bench/train.sh [ROWS] [SEED]     env: BUILD_DIR (default build-bench, built Release here),
#        PYTHON (default /usr/bin/python3, Debian's, which has python3-sklearn/-statsmodels)
set -euo pipefail

ROWS=${1:-1000000}
SEED=${2:-42}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$ROOT/build-bench}
PYTHON=${PYTHON:-/usr/bin/python3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "building Release binaries in $BUILD_DIR" >&2 # incremental: never measures a stale binary
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DTITANIC_TESTS=OFF >/dev/null
cmake --build "$BUILD_DIR" -j2 --target titanic-train titanic-etl >/dev/null

CSV=$WORK/passengers.csv
echo "generating $ROWS synthetic passengers (seed $SEED)" >&2
"$BUILD_DIR/etl/titanic-etl" --generate "$ROWS" --seed "$SEED" >"$CSV"
# Warm the page cache so the first contender does not pay for the disk.
cat "$CSV" >/dev/null

# run NAME COMMAND...: JSON result in $WORK/NAME.json, /usr/bin/time -v report in $WORK/NAME.time
run() {
  local name=$1
  shift
  echo "running $name" >&2
  /usr/bin/time -v -o "$WORK/$name.time" "$@" >"$WORK/$name.json"
}

run titanic-train "$BUILD_DIR/train/titanic-train" --bench-csv "$CSV" --features reference --l2 0
run sklearn "$PYTHON" "$ROOT/bench/train_baseline.py" "$CSV" sklearn
run statsmodels "$PYTHON" "$ROOT/bench/train_baseline.py" "$CSV" statsmodels

"$PYTHON" - "$WORK" "$ROWS" <<'PY'
import json, re, sys
work, rows = sys.argv[1], int(sys.argv[2])
names = ["titanic-train", "sklearn", "statsmodels"]
res, wall, rss = {}, {}, {}
for n in names:
    res[n] = json.load(open(f"{work}/{n}.json"))
    t = open(f"{work}/{n}.time").read()
    m = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", t)
    wall[n] = (int(m.group(1) or 0) * 3600 + int(m.group(2)) * 60 + float(m.group(3)))
    rss[n] = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024
c = res["titanic-train"]
cols = list(c["coefficients"])
p = len(cols)
print(f"\n{rows} passengers, {p} columns (reference design); design matrix = "
      f"{rows * p * 8 / 2**20:.0f} MiB\n")
print(f"{'':14} {'read s':>8} {'fit s':>8} {'total s':>8} {'wall s':>8} {'peak RSS MiB':>13} "
      f"{'wall vs C':>10} {'max |dbeta|':>12} {'max rel':>9}")
for n in names:
    r = res[n]
    d = [abs(r["coefficients"][k][0] - c["coefficients"][k][0]) for k in cols]
    rel = [d[i] / abs(c["coefficients"][k][0]) for i, k in enumerate(cols)]
    print(f"{n:14} {r['read_seconds']:8.3f} {r['fit_seconds']:8.3f} {r['total_seconds']:8.3f} "
          f"{wall[n]:8.2f} {rss[n]:13.0f} {wall[n] / wall['titanic-train']:9.1f}x "
          f"{max(d):12.2e} {max(rel):9.1e}")
s = res["statsmodels"]
se = max(abs(s["coefficients"][k][1] - c["coefficients"][k][1]) / s["coefficients"][k][1]
         for k in cols)
print(f"\nstandard errors vs statsmodels: max relative difference {se:.1e}; log-likelihood "
      f"{c['log_likelihood']:.6f} vs {s['log_likelihood']:.6f}")
print(f"speed-up over sklearn end to end (wall): {wall['sklearn'] / wall['titanic-train']:.1f}x "
      f"(target >= 5x); over statsmodels: {wall['statsmodels'] / wall['titanic-train']:.1f}x")
PY
