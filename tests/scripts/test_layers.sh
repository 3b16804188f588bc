#!/usr/bin/env bash
# The layering holds by the build (docs/architecture.md):
#  - titanic-api links no GSL and titanic-train no libmicrohttpd (readelf -d), while each does link
#    its own library (so the NEEDED lists are really read);
#  - an include that reaches up fails to compile: a file including "server.h" (titanic_http) does
#    not compile with titanic_model's flags, taken from the build's compile_commands.json for
#    model/model.c, and fails for that reason (server.h not found); the same file compiles with
#    titanic_http's flags (api/http.c), and a file including "model.h" compiles with the model's.
set -euo pipefail
BUILD=${TITANIC_BUILD_DIR:?run through ctest (TITANIC_BUILD_DIR)}
API=${TITANIC_API:-$BUILD/api/titanic-api}
TRAIN=${TITANIC_TRAIN:-$BUILD/train/titanic-train}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

needed() { readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }

api_libs=$(needed "$API")
train_libs=$(needed "$TRAIN")
echo "titanic-api NEEDED: $(tr "\n" " " <<<"$api_libs")"
echo "titanic-train NEEDED: $(tr "\n" " " <<<"$train_libs")"
grep -q '^libmicrohttpd' <<<"$api_libs" || fail "titanic-api does not list libmicrohttpd (NEEDED not read?)"
grep -q '^libgsl' <<<"$train_libs" || fail "titanic-train does not list libgsl (NEEDED not read?)"
if grep -q '^libgsl' <<<"$api_libs"; then fail "titanic-api links GSL"; fi
if grep -q '^libmicrohttpd' <<<"$train_libs"; then fail "titanic-train links libmicrohttpd"; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The compiler command of one source file, as the build runs it, with its output and input
# replaced: syntax-check $2 instead.
compile_like() { # $1 = source path ending (e.g. model/model.c), $2 = file to check
  python3 - "$BUILD/compile_commands.json" "$1" "$2" <<'EOF'
import json, shlex, subprocess, sys
db, suffix, probe = sys.argv[1:]
entries = [e for e in json.load(open(db)) if e["file"].endswith("/" + suffix)]
if not entries:
    print(f"no compile command for {suffix} in {db}", file=sys.stderr)
    sys.exit(2)
e = entries[0]
argv = e["arguments"] if "arguments" in e else shlex.split(e["command"])
out, skip = [], False
for a in argv:
    if skip:
        skip = False
    elif a in ("-o", "-c"):
        skip = True
    elif a == e["file"]:
        continue
    else:
        out.append(a)
r = subprocess.run(out + ["-fsyntax-only", probe], cwd=e["directory"], capture_output=True,
                   text=True)
sys.stderr.write(r.stderr)
sys.exit(1 if r.returncode else 0)
EOF
}

printf '#include "server.h"\nint layers_probe(void);\n' >"$work/reaches_up.c"
printf '#include "model.h"\nint layers_probe(void);\n' >"$work/own_layer.c"

if compile_like model/model.c "$work/reaches_up.c" 2>"$work/err"; then
  fail "an include of server.h compiles with titanic_model's flags (the layer can reach up)"
elif ! grep -q 'server.h: No such file' "$work/err"; then
  fail "server.h with titanic_model's flags failed, but not for want of the header: $(head -5 "$work/err")"
fi
compile_like api/http.c "$work/reaches_up.c" 2>"$work/err" ||
  fail "the probe does not compile with titanic_http's own flags: $(head -5 "$work/err")"
compile_like model/model.c "$work/own_layer.c" 2>"$work/err" ||
  fail "model.h does not compile with titanic_model's flags: $(head -5 "$work/err")"

echo "test_layers: $failures failed"
[ "$failures" -eq 0 ]
