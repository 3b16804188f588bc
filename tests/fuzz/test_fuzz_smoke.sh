#!/usr/bin/env bash
# A short run of every libFuzzer target (TITANIC_FUZZ_SECONDS each, default 15) so the suite
# proves the targets build and find nothing quickly; the long runs are scripts/fuzz.sh 600.
set -uo pipefail
SRC=${TITANIC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
command -v clang >/dev/null || { echo "SKIP: clang not installed"; exit 77; }
bash "$SRC/scripts/fuzz.sh" "${TITANIC_FUZZ_SECONDS:-15}"
