#!/usr/bin/env bash
# ETL benchmark: titanic-etl side by side with PostgreSQL's own way to the same end state, on one
# machine, in a throwaway pg_virtualenv cluster (docs/benchmarks-etl.md has the method and the
# figures). For each size N (default 1,000,000 synthetic rows, seed 7), ROUNDS (default 3)
# alternating rounds of:
#   floor        psql \copy of the CSV into a bare table (no constraints), then the same six
#                secondary indexes as migration 003, built one after the other with the server's
#                default settings: PostgreSQL's floor for a first load
#   floor-tuned  the same with the maintenance settings titanic-etl's index build uses
#   first load   titanic-etl FILE into an empty passengers table (one transaction)
#   refresh 1%   then the same file with 1% of its rows changed (staged and merged)
#   refresh +10% then that file with 10% new rows appended
# and prints the median seconds, rows/s, the load average during each figure and the ratio
# floor / first load (>= 1 means at or past the floor). The machine's other work shows in the
# load average: compare medians taken in the same run only.
#
# Usage: bench/etl.sh [N ...]          e.g. bench/etl.sh 1000000 10000000
#        ROUNDS=5 bench/etl.sh          more rounds; ETL=/path/titanic-etl to time another build
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROUNDS=${ROUNDS:-3}
SIZES=("${@:-1000000}")
OUT=$ROOT/bench/out
mkdir -p "$OUT"
if [ -z "${ETL:-}" ]; then
  TITANIC_BENCH_DEPS=1 "$ROOT/scripts/install-deps.sh" >/dev/null
  cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DTITANIC_TESTS=OFF >/dev/null
  cmake --build "$ROOT/build/release" -j "$(nproc)" --target titanic-etl >/dev/null
  ETL=$ROOT/build/release/etl/titanic-etl
fi
export ETL ROUNDS OUT

# The three input files of size $1: the base, 1% of rows changed (every 100th row's port moves
# to the next one), and that one with 10% new rows (the generator's next ids) appended.
make_inputs() {
  local n=$1 base=$OUT/synthetic-$1.csv
  [ -f "$base" ] || "$ETL" --generate "$n" --seed 7 >"$base"
  [ -f "$OUT/changed-$n.csv" ] || awk 'NR > 1 && NR % 100 == 0 {
      if (sub(/,S$/, ",C") || sub(/,C$/, ",Q") || sub(/,Q$/, ",S") || sub(/,$/, ",S")) {} }
      { print }' "$base" >"$OUT/changed-$n.csv"
  [ -f "$OUT/grown-$n.csv" ] || { cat "$OUT/changed-$n.csv"
    "$ETL" --generate $((n + n / 10)) --seed 7 | tail -n $((n / 10)); } >"$OUT/grown-$n.csv"
}

run_in_cluster() {
  export ROWS=$1 DIR=$OUT
  pg_virtualenv -t -- bash -c '
    set -euo pipefail
    export DATABASE_URL="dbname=$PGDATABASE"
    "$ETL" --migrate 2>/dev/null
    cols="passenger_id integer, survived smallint, pclass smallint, name text, sex text,
          age numeric, sibsp smallint, parch smallint, ticket text, fare numeric, cabin text,
          embarked text"
    copy_cols="passenger_id, survived, pclass, name, sex, age, sibsp, parch, ticket, fare, cabin, embarked"
    indexes="CREATE INDEX ON floor_t USING gin (name gin_trgm_ops);
      CREATE INDEX ON floor_t (fare, passenger_id); CREATE INDEX ON floor_t (age, passenger_id);
      CREATE INDEX ON floor_t (name, passenger_id); CREATE INDEX ON floor_t (pclass, passenger_id);
      CREATE INDEX ON floor_t (survived, passenger_id);"
    # The settings of passengers_next_build(), read from the function itself.
    tuned=$(psql -Atc "SELECT string_agg(format(\$\$SET %s = %L;\$\$, split_part(c, \$\$=\$\$, 1),
      split_part(c, \$\$=\$\$, 2)), \$\$ \$\$) FROM pg_proc, unnest(proconfig) c
      WHERE proname = \$\$passengers_next_build\$\$ AND c NOT LIKE \$\$search_path=%\$\$")
    timed() { # label command...: one line "label seconds load1"
      local s e; s=$(date +%s.%N); "${@:2}" >/dev/null 2>&1; e=$(date +%s.%N)
      echo "$1 $(echo "$e - $s" | bc) $(cut -d" " -f1 /proc/loadavg)"
    }
    floor() { # $1: SET statements before the index builds
      psql -q -v ON_ERROR_STOP=1 <<SQL
DROP TABLE IF EXISTS floor_t;
CREATE TABLE floor_t ($cols);
\copy floor_t ($copy_cols) FROM $DIR/synthetic-$ROWS.csv WITH (FORMAT csv, HEADER true)
$1
$indexes
SQL
    }
    etl() { "$ETL" --no-progress "$1" || { echo "titanic-etl failed on $1" >&2; exit 1; }; }
    for round in $(seq "$ROUNDS"); do
      timed floor floor ""
      timed floor-tuned floor "$tuned"
      psql -qc "DROP TABLE floor_t" -c "TRUNCATE passengers" -c CHECKPOINT
      timed first-load etl "$DIR/synthetic-$ROWS.csv"
      timed refresh-1%-changed etl "$DIR/changed-$ROWS.csv"
      timed refresh-10%-new etl "$DIR/grown-$ROWS.csv"
      psql -qc CHECKPOINT
    done
  ' | tee "$OUT/etl-raw-$1.txt"
}

# Medians per label, in the order first seen, and the ratio to the floor.
summarise() {
  awk -v rows="$1" '
    function median(list, n,   a, i, j, t) {
      split(list, a, " "); n = length(a)
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
    }
    NF != 3 || $2 !~ /^[0-9.]+$/ { next } # pg_virtualenv'"'"'s own lines
    !($1 in secs) { order[++labels] = $1 }
    { secs[$1] = secs[$1] " " $2; load[$1] = load[$1] " " $3; count[$1]++ }
    END {
      printf "%d rows, %d rounds (median; load = 1-minute load average while measured)\n", rows, count["floor"]
      printf "  %-20s %9s %12s %6s %9s\n", "", "seconds", "rows/s", "load", "floor/x"
      floor = median(secs["floor"])
      for (i = 1; i <= labels; i++) {
        l = order[i]; s = median(secs[l]); n = rows
        if (l == "refresh-10%-new") n = rows + int(rows / 10)
        printf "  %-20s %9.2f %12.0f %6.1f %8.2fx\n", l, s, n / s, median(load[l]), floor / s
      }
    }' "$OUT/etl-raw-$1.txt"
}

for rows in "${SIZES[@]}"; do
  make_inputs "$rows"
  run_in_cluster "$rows" >/dev/null
  summarise "$rows"
done | tee "$OUT/etl.txt"
