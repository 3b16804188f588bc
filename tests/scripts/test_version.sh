#!/usr/bin/env bash
# --version of all three binaries names the git revision they were built from:
#  - each prints "NAME VERSION (git REVISION...)" with the revision this build was configured with
#    (TITANIC_REVISION, passed by CMake), the same in all three;
#  - in a git checkout that revision is a commit of the checkout (what `git rev-parse --short HEAD`
#    said at configure time), never "unknown";
#  - configuring with -DTITANIC_GIT_REVISION=... (what the container build passes) wins over git,
#    and a value that could break the C string it becomes is refused.
# No -e: a failed command must not end the script before check() records which check it was.
set -uo pipefail
BUILD=${TITANIC_BUILD_DIR:?run through ctest (TITANIC_BUILD_DIR)}
SRC=${TITANIC_SOURCE_DIR:?run through ctest (TITANIC_SOURCE_DIR)}
WANT=${TITANIC_REVISION:?run through ctest (TITANIC_REVISION)}
failures=0
checks=0
check() { # check CONDITION-STATUS MESSAGE
  checks=$((checks + 1))
  if [ "$1" -ne 0 ]; then echo "FAIL: $2"; failures=$((failures + 1)); fi
}

for bin in "$TITANIC_ETL" "$TITANIC_TRAIN" "$TITANIC_API"; do
  name=$(basename "$bin")
  out=$("$bin" --version 2>&1)
  echo "$out"
  [[ "$out" =~ ^$name\ [0-9]+\.[0-9]+\.[0-9]+\ \(git\ ([A-Za-z0-9._+-]+)[,\)] ]]
  check $? "$name --version: '$out' is not 'NAME X.Y.Z (git REVISION)'"
  check "$([ "${BASH_REMATCH[1]:-}" = "$WANT" ]; echo $?)" "$name --version names '${BASH_REMATCH[1]:-}', the build was configured with '$WANT'"
done

if command -v git >/dev/null && git -C "$SRC" rev-parse --git-dir >/dev/null 2>&1; then
  check "$([ "$WANT" != unknown ]; echo $?)" "a git checkout, yet the revision is unknown"
  git -C "$SRC" cat-file -e "$WANT^{commit}" 2>/dev/null
  check $? "revision '$WANT' is not a commit of $SRC"
else
  echo "note: $SRC is not a git checkout; the configured revision is '$WANT'"
fi

# Configure only (no build) in scratch directories: the explicit value wins, a bad one fails.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
out=$(cmake -S "$SRC" -B "$work/given" -DTITANIC_TESTS=OFF -DTITANIC_GIT_REVISION=0123abc 2>&1)
check "$(grep -q 'titanic: git revision 0123abc$' <<<"$out"; echo $?)" "-DTITANIC_GIT_REVISION=0123abc was not used: $(grep 'git revision' <<<"$out")"
if out=$(cmake -S "$SRC" -B "$work/bad" -DTITANIC_TESTS=OFF '-DTITANIC_GIT_REVISION=x");system("id' 2>&1); then
  check 1 "a revision with quotes was accepted"
else
  check "$(grep -q 'TITANIC_GIT_REVISION must be' <<<"$out"; echo $?)" "a bad revision failed for another reason: $(tail -3 <<<"$out")"
fi

echo "test_version: $checks checks, $failures failed"
[ "$checks" -gt 0 ] && [ "$failures" -eq 0 ]
