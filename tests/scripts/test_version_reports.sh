#!/usr/bin/env bash
# test_version.sh itself, run against binaries that answer wrongly: it must go on past a failed
# check and name each one (it used to stop at the first under set -e, printing nothing about
# which). A titanic-etl whose --version is garbage and a revision that is no commit of the
# checkout must give two FAIL lines naming them and the closing count, and a non-zero exit.
set -uo pipefail
SRC=${TITANIC_SOURCE_DIR:?run through ctest (TITANIC_SOURCE_DIR)}
fake=$(mktemp -d)
trap 'rm -rf "$fake"' EXIT
printf '#!/bin/sh\necho garbage\n' >"$fake/titanic-etl"
for name in titanic-train titanic-api; do
  printf '#!/bin/sh\necho "%s 1.2.3 (git 0000000)"\n' "$name" >"$fake/$name"
done
chmod +x "$fake"/*
out=$(TITANIC_ETL=$fake/titanic-etl TITANIC_TRAIN=$fake/titanic-train TITANIC_API=$fake/titanic-api \
  TITANIC_REVISION=0000000 bash "$SRC/tests/scripts/test_version.sh" 2>&1)
status=$?
echo "$out"
failures=0
expect() { # expect DESCRIPTION GREP-PATTERN
  if ! grep -Eq -- "$2" <<<"$out"; then echo "FAIL: no $1 (expected /$2/)"; failures=$((failures + 1)); fi
}
expect "FAIL line for the garbled --version" "^FAIL: titanic-etl --version: 'garbage'"
expect "FAIL line for the unknown revision" "^FAIL: revision '0000000' is not a commit"
expect "closing count" '^test_version: [0-9]+ checks, [1-9][0-9]* failed$'
if [ "$status" -eq 0 ]; then echo "FAIL: test_version.sh exited 0 with failed checks"; failures=$((failures + 1)); fi
echo "test_version_reports: 4 checks, $failures failed"
[ "$failures" -eq 0 ]
