#!/usr/bin/env bash
# Offline validation of the API's OpenAPI document (api/openapi.json, served at GET /openapi.json):
#   1. swagger-cli validate (npm @apidevtools/swagger-cli 4.0.4): JSON, the OpenAPI 3.0 schema, and
#      that every $ref resolves;
#   2. check.mjs: every endpoint of the contract with its status codes, Error schema on every error
#      response, path parameters, the contract's query parameters, media types, and every example
#      validated against its schema (Ajv);
#   3. mutation tests: a copy with one planted mistake (a $ref to a missing schema, a missing path,
#      ...) must be rejected, with the expected message.
# Works from any directory on a fresh machine with node and npm (scripts/install-deps.sh installs
# them): installs its npm packages from the committed lock file (npm ci) when node_modules is
# missing or older than the lock. Document: $TITANIC_SOURCE_DIR/api/openapi.json if
# TITANIC_SOURCE_DIR is set, else ../../../api/openapi.json from this script. Exit 0 pass, 1 fail.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
if [ -n "${TITANIC_SOURCE_DIR:-}" ]; then
  DOC=$TITANIC_SOURCE_DIR/api/openapi.json
else
  DOC=$(cd "$HERE/../../.." && pwd)/api/openapi.json
fi

die() { echo "openapi-tests: $*" >&2; exit 1; }
[ -f "$DOC" ] || die "no document at $DOC"
command -v node >/dev/null 2>&1 || die "node (18 or newer) is required: scripts/install-deps.sh installs it"
command -v npm >/dev/null 2>&1 || die "npm is required: scripts/install-deps.sh installs it"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 18 ] || die "node 18 or newer is required, found $(node --version)"

# npm ci only when node_modules is missing or was installed from another lock file.
stamp="$HERE/node_modules/.titanic-lock.sha256"
want=$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] || [ ! -x "$HERE/node_modules/.bin/swagger-cli" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$want" >"$stamp"
fi

SWAGGER_CLI=$HERE/node_modules/.bin/swagger-cli
# validate FILE: both checks; prints what they say, status 0 only when both pass.
validate() {
  local rc=0
  "$SWAGGER_CLI" validate "$1" 2>&1 || rc=1
  node "$HERE/check.mjs" "$1" 2>&1 || rc=1
  return $rc
}

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }

echo "== $DOC"
if out=$(validate "$DOC"); then
  printf '%s\n' "$out" | sed 's/^/     /'
  ok "api/openapi.json is valid OpenAPI 3.0.3 and documents the whole contract"
else
  printf '%s\n' "$out" | sed 's/^/     /'
  bad "api/openapi.json has problems (above)"
fi

echo "== mutation tests (a planted mistake must be rejected with its message)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# mutant NAME EXPECTED-TEXT: plant mutation NAME in a copy; validation must fail saying EXPECTED.
mutant() {
  local name=$1 expect=$2 copy=$WORK/$1.json out
  node "$HERE/mutate.mjs" "$name" "$DOC" "$copy" || { bad "$name: could not plant the mistake"; return; }
  if out=$(validate "$copy"); then
    bad "$name: the mutant passed validation"
  elif grep -qF -- "$expect" <<<"$out"; then
    ok "$name: rejected ($expect)"
  else
    printf '%s\n' "$out" | sed 's/^/     /'
    bad "$name: rejected, but without \"$expect\""
  fi
}
mutant missing-schema-ref 'Token "Passanger" does not exist'
mutant missing-path "missing endpoint: GET /people/{uuid}"
mutant missing-method "missing endpoint: POST /people"
mutant response-without-description "/responses/200 must have required property 'description'"
mutant optional-path-parameter "path parameter {id} must be required"
mutant predict-without-413 "POST /predict: response 413 is not documented"
mutant error-not-error-schema "GET /ready: error response 503 is not application/json with the Error schema"
mutant wrong-error-example "GET /people/{uuid}: response 404 example says status 400"
mutant example-off-schema "/pclass must be <= 3"
mutant missing-query-parameter "GET /passengers: query parameter offset is not documented"
mutant anonymous-write "DELETE /people/{uuid}: must require bearerKey"
mutant no-security "POST /predict: no security requirement stated"
mutant truncated-json "not valid JSON"
mutant v2-error-not-protocol-shape "POST /v2/models/{name}/infer: error response 400 is not application/json with the V2Error schema"
mutant v2-example-unknown-input "must be equal to one of the allowed values"

echo "openapi: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
