#!/usr/bin/env bash
# Offline tests of infra/terraform: HCL parse, terraform-fmt check, policy and consistency
# checks, and the planted-mistake (mutation) tests that prove each check can fail.
# Needs node (>= 18) and npm; installs the pinned parsers from package-lock.json itself.
# Exit status: 0 when every test passes, non-zero otherwise. Works from any directory.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "infra/tests/terraform: FAIL: node and npm are required (Debian: apt-get install nodejs npm)" >&2
    exit 1
fi

# (Re)install when node_modules is missing or was installed from another package-lock.json.
stamp=node_modules/.installed-from-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ] \
    || [ ! -d node_modules/@cdktf/hcl2json ] || [ ! -d node_modules/@cdktf/hcl-tools ]; then
    echo "infra/tests/terraform: installing pinned test dependencies (npm ci)"
    if ! npm ci --no-audit --no-fund --loglevel=error; then
        echo "infra/tests/terraform: FAIL: npm ci did not complete" >&2
        exit 1
    fi
    echo "$want" > "$stamp"
fi

# Summary of the checks on the real tree first (readable), then the full test suite.
node check.js || true
echo
exec node --test --test-reporter=spec test/real-tree.test.js test/mutations.test.js
