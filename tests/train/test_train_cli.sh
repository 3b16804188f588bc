#!/usr/bin/env bash
# titanic-train's command line without a database: every bad flag value is refused with exit 2
# and a message naming the flag; --evaluate-csv --out on train.csv with the reference design and
# no penalty writes a document with statsmodels' coefficients (tests/fixtures/logit_reference.json):
# the CSV read by the one reader into the compact rows and fitted by the final fit titanic-train
# runs; --help and --evaluate-csv (the nested estimate) work.
set -u
TRAIN="$TITANIC_BUILD_DIR/train/titanic-train"
failures=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }

expect_usage() { # expect_usage NEEDLE ARGS...
  local needle=$1
  shift
  local out rc
  out=$("$TRAIN" "$@" 2>&1)
  rc=$?
  [ "$rc" -eq 2 ] || fail "titanic-train $* exited $rc, expected 2"
  case "$out" in *"$needle"*) ;; *) fail "titanic-train $*: \"$out\" lacks \"$needle\"" ;; esac
}

expect_usage "--folds: expected an integer from 2 to 100" --folds 1
expect_usage "--folds: expected" --folds 1x
expect_usage "--repeats: expected" --repeats 0
expect_usage "--seed: expected" --seed -3
expect_usage "--l2: expected a number from 0 to 1e6" --l2 nan
expect_usage "--min-improvement: expected" --min-improvement 2
expect_usage "--max-iter: expected" --max-iter 0
expect_usage "unknown feature group \"horoscope\"" --features sex,horoscope
expect_usage "given twice" --features sex,sex
expect_usage "--folds: expected an integer from 2 to 100" --folds=1 # GNU --opt=value form
expect_usage "option '--out' requires an argument" --out
expect_usage "unrecognized option '--frobnicate'" --frobnicate 1
expect_usage "unexpected argument" stray
expect_usage "--activate: expected a model version" --activate x
expect_usage "--activate needs --reason" --activate 3
expect_usage "--cv-max-rows: expected" --cv-max-rows 5
"$TRAIN" --help | grep -q -- "--min-improvement" || fail "--help does not document --min-improvement"

if [ -z "${TITANIC_DATA_DIR:-}" ] || [ ! -r "$TITANIC_DATA_DIR/train.csv" ]; then
  echo "skipping the data checks: TITANIC_DATA_DIR is not set" >&2
  [ "$failures" -eq 0 ] && exit 77 || exit 1
fi
REF=${TITANIC_REFERENCE_DIR:-$TITANIC_SOURCE_DIR/tests/fixtures}/logit_reference.json
DOC=$(mktemp "${TMPDIR:-/tmp}/train_cli.XXXXXX")
trap 'rm -f "$DOC"' EXIT
"$TRAIN" --evaluate-csv "$TITANIC_DATA_DIR/train.csv" --features reference --l2 0 --folds 2 \
  --repeats 1 --out "$DOC" >/dev/null 2>&1 || fail "--evaluate-csv --out train.csv failed"
/usr/bin/python3 - "$REF" "$DOC" <<'PY' || fail "the reference fit differs from statsmodels"
import json, sys
ref, doc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
for c in doc["coefficients"]:
    key = "const" if c["name"] == "intercept" else c["name"]
    for mine, theirs in ((c["estimate"], ref["coefficients"][key]),
                         (c["std_error"], ref["std_errors"][key])):
        if abs(mine - theirs) > 1e-6 * abs(theirs):
            sys.exit(f"{key}: {mine} vs {theirs}")
if abs(doc["fit"]["log_likelihood"] - ref["log_likelihood"]) > 1e-6 * abs(ref["log_likelihood"]):
    sys.exit("log-likelihood differs")
PY
out=$("$TRAIN" --evaluate-csv "$TITANIC_DATA_DIR/train.csv,$TITANIC_DATA_DIR/test.csv" \
  --folds 5 --repeats 1 2>/dev/null) || fail "--evaluate-csv failed"
/usr/bin/python3 - "$out" <<'PY' || fail "--evaluate-csv: unexpected output $out"
import json, sys
r = json.loads(sys.argv[1])
assert r["outer"]["accuracy"]["mean"] > 0.8 and r["outer"]["rows"] == 891, r["outer"]
assert r["sample"]["of"] == 891 and "optimism" in r and "ece" in r
PY
"$TRAIN" --evaluate-csv "$TITANIC_DATA_DIR/train.csv" --features ticket_group >/dev/null 2>&1
[ $? -eq 2 ] || fail "--features ticket_group should be refused with exit 2"
"$TRAIN" --evaluate-csv /nonexistent.csv 2>&1 | grep -q "cannot open /nonexistent.csv" ||
  fail "a missing file is not named"
[ "$failures" -eq 0 ] && echo "train_cli: all checks passed" && exit 0
exit 1
