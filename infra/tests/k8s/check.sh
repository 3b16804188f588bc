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
rc=0
want manifests && { node "$HERE/check-manifests.mjs" "$ROOT" || rc=1; }
want workflows && { node "$HERE/check-workflows.mjs" "$ROOT" || rc=1; }
want dockerfile && { node "$HERE/check-dockerfile.mjs" "$ROOT" || rc=1; }
want dependencies && { node "$HERE/check-dependencies.mjs" "$ROOT" || rc=1; }
want capacity && { node "$HERE/check-capacity.mjs" "$ROOT" || rc=1; }
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
