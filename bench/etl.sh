#!/usr/bin/env bash
# ETL benchmark: titanic-etl against PostgreSQL's own ingest floor, in one run on one machine.
#
# Generates N synthetic rows (default 1,000,000), then in a throwaway pg_virtualenv cluster:
#   floor:  psql \copy of the same CSV into a bare table with the same columns (no constraints)
#   floor+PK: the same bare table with only the primary key an upsert by id needs
#   floor+: psql \copy into a table LIKE passengers INCLUDING ALL (same indexes and checks)
#   etl:    titanic-etl FILE into an empty database (every row inserted), then the same file
#           again (recognised by its fingerprint: validated, nothing sent), then the same file
#           after one row was written by someone else (every row staged and compared)
# and reports rows/s, the ratios, and titanic-etl's peak RSS (GNU time). Each timing is the best
# of REPEAT runs (default 3) on a fresh table. Usage: bench/etl.sh [ROWS] [ROWS2 ...]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPEAT=${REPEAT:-3}
SIZES=("${@:-1000000}")
OUT=$ROOT/bench/out
mkdir -p "$OUT"
TITANIC_BENCH_DEPS=1 "$ROOT/scripts/install-deps.sh" >/dev/null
cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DTITANIC_TESTS=OFF >/dev/null
cmake --build "$ROOT/build/release" -j "$(nproc)" >/dev/null
export ETL=$ROOT/build/release/etl/titanic-etl REPEAT OUT

run_in_cluster() {
  local rows=$1 csv=$OUT/synthetic-$1.csv
  [ -f "$csv" ] || "$ETL" --generate "$rows" --seed 7 >"$csv"
  export CSV=$csv ROWS=$rows
  pg_virtualenv -t -- bash -c '
    set -euo pipefail
    now() { date +%s.%N; }
    best() { sort -g | head -1; }
    cols="passenger_id integer, survived smallint, pclass smallint, name text, sex text,
          age numeric, sibsp smallint, parch smallint, ticket text, fare numeric, cabin text,
          embarked text"
    copy_cols="passenger_id, survived, pclass, name, sex, age, sibsp, parch, ticket, fare, cabin, embarked"
    "$ETL" --migrate 2>/dev/null
    floor_time() { # $1 = CREATE TABLE statement
      for i in $(seq "$REPEAT"); do
        psql -q -c "DROP TABLE IF EXISTS floor_t" -c "$1" >/dev/null
        s=$(now); psql -q -c "\\copy floor_t ($copy_cols) FROM '"'"'$CSV'"'"' WITH (FORMAT csv, HEADER true)" >/dev/null
        echo "$(now) - $s" | bc
      done | best
    }
    bare=$(floor_time "CREATE TABLE floor_t ($cols)")
    bare_pk=$(floor_time "CREATE TABLE floor_t ($cols, PRIMARY KEY (passenger_id))")
    like=$(floor_time "CREATE TABLE floor_t (LIKE passengers INCLUDING ALL); ALTER TABLE floor_t ALTER uuid DROP NOT NULL")
    etl_insert=$(for i in $(seq "$REPEAT"); do
      psql -q -c "TRUNCATE passengers" >/dev/null
      s=$(now); "$ETL" --no-progress "$CSV" >/dev/null 2>&1; echo "$(now) - $s" | bc
    done | best)
    etl_unchanged=$(for i in $(seq "$REPEAT"); do
      s=$(now); "$ETL" --no-progress "$CSV" >/dev/null 2>&1; echo "$(now) - $s" | bc
    done | best)
    # The same file after someone else wrote one row: every row is staged and compared.
    etl_compared=$(for i in $(seq "$REPEAT"); do
      psql -q -c "UPDATE passengers SET fare = fare WHERE passenger_id = 1" >/dev/null
      s=$(now); "$ETL" --no-progress "$CSV" >/dev/null 2>&1; echo "$(now) - $s" | bc
    done | best)
    /usr/bin/time -f "%M" -o "$OUT/etl-rss.txt" "$ETL" --no-progress "$CSV" >/dev/null 2>&1
    rss=$(tail -1 "$OUT/etl-rss.txt")
    awk -v rows="$ROWS" -v bare="$bare" -v bare_pk="$bare_pk" -v like="$like" -v ins="$etl_insert" -v unch="$etl_unchanged" -v comp="$etl_compared" -v rss="$rss" "BEGIN {
      printf \"rows %d\n\", rows
      printf \"  \\\\copy bare table            %8.2f s %10.0f rows/s\n\", bare, rows / bare
      printf \"  \\\\copy bare + primary key    %8.2f s %10.0f rows/s\n\", bare_pk, rows / bare_pk
      printf \"  \\\\copy LIKE passengers       %8.2f s %10.0f rows/s\n\", like, rows / like
      printf \"  titanic-etl (all inserted)  %8.2f s %10.0f rows/s  %.2fx bare, %.2fx bare+PK, %.2fx LIKE\n\", ins, rows / ins, bare / ins, bare_pk / ins, like / ins
      printf \"  titanic-etl (same file)     %8.2f s %10.0f rows/s  %.2fx bare\n\", unch, rows / unch, bare / unch
      printf \"  titanic-etl (compared)      %8.2f s %10.0f rows/s  %.2fx bare\n\", comp, rows / comp, bare / comp
      printf \"  titanic-etl peak RSS        %8.1f MiB\n\", rss / 1024
    }"
  '
}
for rows in "${SIZES[@]}"; do run_in_cluster "$rows"; done | tee "$OUT/etl.txt"
