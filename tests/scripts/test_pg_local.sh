#!/usr/bin/env bash
# scripts/pg-local.sh for real: start a private cluster, connect through the URL file it writes,
# stop, restart on the same data, destroy. As root it checks the server runs as `postgres`, and
# also runs the whole cycle as an ordinary user (nobody).
set -euo pipefail
SRC=${TITANIC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
SCRIPT=$SRC/scripts/pg-local.sh
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

cycle() { # $1 = run dir, rest = command prefix to run as someone
  local run=$1; shift
  local out url
  out=$("$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" start 2>&1) || { fail "start: $out"; return; }
  url=$(cat "$run/database_url")
  [ "$(stat -c %a "$run/database_url")" = 600 ] || fail "URL file is not mode 600"
  case "$url" in *":$TITANIC_PG_PORT/"*) fail "took a port another program listens on" ;; esac
  case "$out" in *"$(cut -d@ -f1 <<<"$url" | cut -d: -f3)"*) fail "start printed the password" ;; esac
  [ "$(psql "$url" -Atc 'SELECT current_database()')" = titanic ] || fail "cannot query via URL"
  psql "$url" -qc 'CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)' || fail "write"
  "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" status >/dev/null 2>&1 || fail "status while running"
  "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" stop >/dev/null 2>&1 || fail "stop"
  if "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" status >/dev/null 2>&1; then fail "status after stop"; fi
  psql "$url" -Atc 'SELECT 1' >/dev/null 2>&1 && fail "server still answers after stop"
  "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" start >/dev/null 2>&1 || fail "restart"
  url=$(cat "$run/database_url")
  [ "$(psql "$url" -Atc 'SELECT x FROM kept')" = 42 ] || fail "data not kept across restart"
  "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" destroy >/dev/null 2>&1 || fail "destroy"
  [ ! -e "$run/pg" ] || fail "destroy left $run/pg"
}

# A port range of our own, with its first port taken by another listener: pg-local must skip it.
export TITANIC_PG_PORT=$((20000 + $$ % 5000))
python3 -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(16); s.settimeout(120)
while True:
    s.accept()[0].close()' "$TITANIC_PG_PORT" 2>/dev/null &
blocker=$!
sleep 0.5
run_dir=$(mktemp -d /tmp/titanic-pglocal-XXXXXX)
trap 'kill $blocker 2>/dev/null; bash "$SCRIPT" destroy >/dev/null 2>&1 || true; rm -rf "$run_dir"' EXIT
if [ "$(id -u)" -eq 0 ]; then
  out=$(TITANIC_RUN_DIR=$run_dir bash "$SCRIPT" start 2>&1) || fail "start as root: $out"
  pid=$(head -1 "$(readlink -f "$run_dir/pg")/postmaster.pid")
  [ "$(ps -o user= -p "$pid" | tr -d ' ')" = postgres ] || fail "server does not run as postgres"
  TITANIC_RUN_DIR=$run_dir bash "$SCRIPT" destroy >/dev/null 2>&1
  cycle "$run_dir" # as root
  user_dir=$(mktemp -d /tmp/titanic-pglocal-user-XXXXXX)
  chown nobody "$user_dir"
  cycle "$user_dir" runuser -u nobody -- # as an ordinary user
  rm -rf "$user_dir"
else
  cycle "$run_dir"
fi
echo "test_pg_local: $failures failed"
[ "$failures" -eq 0 ]
