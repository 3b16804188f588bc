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

# The compiler command of one source file, as the build runs it (from compile_commands.json,
# which CMake writes with one "directory", "command" and "file" line per entry), with its output
# and input replaced: syntax-check $2 instead. Plain bash, so it runs where python3 is missing
# (the container image's build stage runs the unit tests).
compile_like() { # $1 = source path ending (e.g. model/model.c), $2 = file to check
  local db=$BUILD/compile_commands.json entry dir cmd
  entry=$(grep -B2 -E "^ *\"file\": \".*/$1\",?\$" "$db" | head -3) || true
  dir=$(sed -n 's/^ *"directory": "\(.*\)",$/\1/p' <<<"$entry")
  cmd=$(sed -n 's/^ *"command": "\(.*\)",$/\1/p' <<<"$entry")
  if [ -z "$dir" ] || [ -z "$cmd" ]; then
    echo "no compile command for $1 in $db" >&2
    return 2
  fi
  cmd=${cmd//\\\"/\"} # JSON: \" is "
  cmd=${cmd//\\\\/\\} # JSON: \\ is \
  local argv=() out=() skip=0 a
  eval "argv=($cmd)" # CMake writes the command shell-quoted
  for a in "${argv[@]}"; do
    if [ "$skip" = 1 ]; then
      skip=0
    elif [ "$a" = -o ] || [ "$a" = -c ]; then
      skip=1
    else
      out+=("$a")
    fi
  done
  (cd "$dir" && "${out[@]}" -fsyntax-only "$2")
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
