#!/usr/bin/env bash
# The suite's own layout, read from this build's ctest list (ctest --show-only=json-v1):
#  - tests mirror the source folders: each test is registered in tests/ itself or in tests/X for a
#    source folder X (or scripts, infra), and the reader's test lives in tests/reader;
#  - the two slow builds have labels of their own and no other: test_fuzz_smoke "fuzz",
#    test_image "image", so `ctest -L unit` (or -L infra) does not run them;
#  - label threads marks the thread-heavy tests (the server's reload and batched lookups among
#    them), and scripts/test.sh's TSan pass runs exactly that label while its ASan pass leaves the
#    slow builds out.
# Each failed check prints FAIL with what it found.
set -uo pipefail
BUILD=${TITANIC_BUILD_DIR:?run through ctest (TITANIC_BUILD_DIR)}
SRC=${TITANIC_SOURCE_DIR:?run through ctest (TITANIC_SOURCE_DIR)}
listing=$(mktemp)
trap 'rm -f "$listing"' EXIT
ctest --test-dir "$BUILD" --show-only=json-v1 >"$listing" || { echo "FAIL: ctest cannot list $BUILD"; exit 1; }
grep -q -- '-L threads' <<<"$(grep -F 'build/tsan|' "$SRC/scripts/test.sh")"
tsan=$?
grep -Eq -- '-LE [^"]*image' <<<"$(grep -F 'build/asan|' "$SRC/scripts/test.sh")" &&
  grep -Eq -- '-LE [^"]*fuzz' <<<"$(grep -F 'build/asan|' "$SRC/scripts/test.sh")"
asan=$?
python3 - "$listing" "$BUILD/tests" "$tsan" "$asan" <<'PY'
import json, os, sys

listing, tests_dir, tsan, asan = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
folders = {"", "core", "reader", "model", "store", "train", "etl", "api", "scripts", "infra"}
checks = failures = 0

def check(ok, message):
    global checks, failures
    checks += 1
    if not ok:
        failures += 1
        print("FAIL: " + message)

tests = {}
for t in json.load(open(listing))["tests"]:
    props = {p["name"]: p["value"] for p in t.get("properties", [])}
    where = os.path.relpath(props.get("WORKING_DIRECTORY", tests_dir), tests_dir)
    tests[t["name"]] = (set(props.get("LABELS", [])), "" if where == "." else where)

check(len(tests) > 20, f"only {len(tests)} tests registered")
for name, (labels, where) in sorted(tests.items()):
    check(where in folders, f"{name} is registered in tests/{where}, which mirrors no source folder")
    check(labels, f"{name} has no label")
    if "unit" in labels:
        check(not labels & {"fuzz", "image"}, f"{name} is unit and also {sorted(labels)}")
check(tests.get("test_csv_reader", (0, ""))[1] == "reader",
      f"test_csv_reader is in tests/{tests.get('test_csv_reader', (0, '(missing)'))[1]}, not tests/reader")
for name, label in (("test_fuzz_smoke", "fuzz"), ("test_image", "image")):
    got = tests.get(name, ({"(missing)"}, ""))[0]
    check(got == {label}, f"{name} has labels {sorted(got)}, expected only {label!r}")
threads = sorted(n for n, (labels, _) in tests.items() if "threads" in labels)
check({"test_api_reload", "test_api_lookup_fresh"} <= set(threads),
      f"label threads is on {threads}, which lacks test_api_reload or test_api_lookup_fresh")
check(tsan == "0", "scripts/test.sh's TSan pass does not run -L threads")
check(asan == "0", "scripts/test.sh's ASan pass does not leave out the image and fuzz labels")
print(f"test_suite_layout: {checks} checks, {failures} failed; threads: {' '.join(threads)}")
sys.exit(1 if failures or not checks else 0)
PY
