#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + coverage) and runs each for SECONDS
# (default 600 = the 10-minute run the ETL and API issues ask for), starting from a seed corpus
# of real-looking inputs. A crash, leak, sanitizer report or failed invariant stops the run, leaves
# the input as crash-* under build/fuzz/artifacts/ and exits non-zero.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: fuzz_csv fuzz_request_body
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SECONDS_EACH=${1:-600}
shift || true
TARGETS=("${@:-fuzz_csv fuzz_request_body}")
read -r -a TARGETS <<<"${TARGETS[*]}"
BUILD=${TITANIC_FUZZ_BUILD:-$ROOT/build/fuzz}
command -v clang >/dev/null || { echo "fuzz: clang not installed (scripts/install-deps.sh)" >&2; exit 1; }
CC=clang cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTITANIC_FUZZ=ON \
  -DTITANIC_SANITIZE=ON -DTITANIC_TESTS=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target "${TARGETS[@]}" >/dev/null

seed_corpus() { # $1 = target, $2 = dir
  mkdir -p "$2"
  case "$1" in
    fuzz_csv)
      "$BUILD/etl/titanic-etl" --generate 20 --seed 3 >"$2/generated.csv" 2>/dev/null ||
        printf 'PassengerId,Survived,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n1,0,3,"Braund, Mr. Owen Harris",male,22,1,0,A/5 21171,7.25,,S\n' >"$2/train.csv"
      printf 'Survived,Pclass,Name,Sex,Age,Siblings/Spouses Aboard,Parents/Children Aboard,Fare\r\n0,3,Mr. Owen Harris Braund,male,22,1,0,7.25\r\n' >"$2/people.csv"
      printf 'PassengerId,Pclass,Name,Sex,Age,SibSp,Parch,Ticket,Fare,Cabin,Embarked\n892,3,"Kelly, ""Mr"" James",male,34.5,0,0,330911,7.8292,,Q\n' >"$2/test.csv"
      ;;
    fuzz_request_body)
      printf '{"pclass":3,"sex":"male","age":22,"sibsp":1,"parch":0,"fare":7.25,"embarked":"S","name":"Braund, Mr. Owen Harris"}' >"$2/one.json"
      printf '{"passengers":[{"Pclass":1,"Sex":"female","Age":null},{"pclass":2,"sex":"other"}]}' >"$2/batch.json"
      printf '{"survived":true,"passengerClass":2,"name":"X","sex":"female","age":30,"siblingsOrSpousesAboard":0,"parentsOrChildrenAboard":1,"fare":12.5}' >"$2/person.json"
      ;;
  esac
}

status=0
for target in "${TARGETS[@]}"; do
  corpus=$BUILD/corpus/$target
  artifacts=$BUILD/artifacts/$target
  seed_corpus "$target" "$corpus"
  mkdir -p "$artifacts"
  echo "fuzz: $target for ${SECONDS_EACH}s"
  if ASAN_OPTIONS=detect_leaks=1 "$BUILD/tests/fuzz/$target" -max_total_time="$SECONDS_EACH" \
    -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" >"$BUILD/$target.log" 2>&1; then
    echo "fuzz: $target: no findings ($(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$BUILD/$target.log" | grep -Eo '[0-9]+$') runs)"
  else
    echo "fuzz: $target FOUND A PROBLEM; see $BUILD/$target.log and $artifacts" >&2
    tail -30 "$BUILD/$target.log" >&2
    status=1
  fi
done
exit $status
