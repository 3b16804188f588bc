#!/usr/bin/env bash
# The whole test suite: installs what it needs, builds three times (plain, ASan+UBSan, and
# ThreadSanitizer, which cannot be combined with ASan), then runs ctest for each build inside a
# throwaway PostgreSQL cluster from Debian's pg_virtualenv. The infrastructure checks (Terraform,
# Kubernetes, container image) and the fuzz smoke build do not depend on the C build type and run
# once, with the plain build; the TSan pass runs the thread-heavy tests (label threads: the
# multi-threaded server under real concurrent clients; tests/CMakeLists.txt lists the labels).
# Ends with one line "tests: N passed, N failed, N skipped".
#
#   scripts/test.sh                    everything
#   TITANIC_TEST_SANITIZE=0 scripts/test.sh   skip the ASan+UBSan and TSan passes
#   TITANIC_TEST_ARGS="-R etl" scripts/test.sh  extra ctest arguments (e.g. a subset)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

"$ROOT/scripts/install-deps.sh"

# The real Kaggle files live beside the checkout, never in it; tests that need them skip loudly.
if [ -z "${TITANIC_DATA_DIR:-}" ] && [ -d "$ROOT/../shared/data/titanic" ]; then
  export TITANIC_DATA_DIR=$(cd "$ROOT/../shared/data/titanic" && pwd)
fi
echo "test: TITANIC_DATA_DIR=${TITANIC_DATA_DIR:-(unset: tests needing the real data will skip)}"

jobs=$(nproc 2>/dev/null || echo 2)
build() { # $1 = build dir, rest = cmake options
  local dir=$1; shift
  cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
  cmake --build "$dir" -j "$jobs"
}
build "$ROOT/build/test"
passes=("$ROOT/build/test|")
if [ "${TITANIC_TEST_SANITIZE:-1}" = 1 ]; then
  build "$ROOT/build/asan" -DTITANIC_SANITIZE=ON
  passes+=("$ROOT/build/asan|-LE infra|image|fuzz|node")
  build "$ROOT/build/tsan" -DTITANIC_TSAN=ON
  passes+=("$ROOT/build/tsan|-L threads")
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for pass in "${passes[@]}"; do
  dir=${pass%%|*}
  extra=${pass#*|}
  echo "test: ctest in $dir ${extra}"
  # shellcheck disable=SC2086 # extra and TITANIC_TEST_ARGS are deliberately word-split
  # A TSan report makes the server exit 66 (halt_on_error): the test sees an unclean stop.
  pg_virtualenv -t -- env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
    ctest --test-dir "$dir" -j "$jobs" --output-on-failure --timeout 1800 $extra \
    ${TITANIC_TEST_ARGS:-} 2>&1 | tee -a "$log" || status=1
done

# One closing line for the whole suite, summed over all passes.
total=$(grep -Eo 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" |
  awk '{failed += $3; total += $NF} END {print failed + 0, total + 0}')
failed=${total% *}
all=${total#* }
skipped=$(grep -Ec 'Test +#[0-9]+: .*\*\*\*Skipped' "$log" || true)
passed=$((all - failed - skipped))
echo "tests: $passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$all" -gt 0 ]
