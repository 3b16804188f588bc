#!/usr/bin/env bash
# scripts/pg-local.sh for real: start a private cluster, connect through the URL file it writes,
# stop, restart on the same data, destroy. As root it checks the server runs as `postgres`, and
# also runs the whole cycle as an ordinary user (nobody).
#
# It touches nothing it did not make: every cluster lives in a run directory of its own under a
# temporary directory (TITANIC_RUN_DIR), on ports found free by the test, and the exit trap
# destroys only those. The checkout's own .run (where scripts/run.sh keeps the user's database)
# is checked to be exactly as it was. pg-local.sh is run from a copy in that temporary directory,
# so the test passes from a checkout that other users cannot enter (root's home is mode 700).
set -euo pipefail
SRC=${TITANIC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

work=$(mktemp -d /tmp/titanic-pglocal-XXXXXX)
chmod 755 "$work" # nobody runs the script copy from here
cp "$SRC/scripts/pg-local.sh" "$work/pg-local.sh"
chmod 755 "$work/pg-local.sh"
SCRIPT=$work/pg-local.sh
cd "$work" # a working directory every user can enter (ctest's may be under /root)

run_dirs=()
blocker=""
cleanup() {
  [ -n "$blocker" ] && kill "$blocker" 2>/dev/null
  local run
  for run in "${run_dirs[@]}"; do # ours only, each by its own TITANIC_RUN_DIR
    if [ "$(stat -c %U "$run")" = nobody ] && [ "$(id -u)" -eq 0 ]; then
      runuser -u nobody -- env TITANIC_RUN_DIR="$run" bash "$SCRIPT" destroy >/dev/null 2>&1 || true
    else
      TITANIC_RUN_DIR=$run bash "$SCRIPT" destroy >/dev/null 2>&1 || true
    fi
  done
  cd /
  rm -rf "$work"
}
trap cleanup EXIT

# The user's state, to compare at the end: the checkout's .run (its entries, their sizes and
# times; a data directory's contents change while its server runs, so only its entry is listed)
# and the pid of a server running from it.
user_run=$SRC/.run
user_state() {
  [ -e "$user_run" ] || { echo "no .run"; return; }
  find "$user_run" -mindepth 1 \( -path "$user_run/pg/*" -prune \) -o \
    -printf '%P %y %s %T@ %l\n' | sort
  local pid_file
  pid_file="$(readlink -f "$user_run/pg" 2>/dev/null)/postmaster.pid"
  if [ -r "$pid_file" ]; then
    local pid
    pid=$(head -1 "$pid_file")
    if kill -0 "$pid" 2>/dev/null; then echo "server $pid running"; else echo "server $pid gone"; fi
  fi
}
before=$(user_state)

# The workload roles' files (issue 10): one password per role (mode 600, in a 700 directory), one
# URL per role naming it; with the build's titanic-etl, the owner's migration gives the roles
# LOGIN and each logs in through its URL.
ETL=${TITANIC_BUILD_DIR:+$TITANIC_BUILD_DIR/etl/titanic-etl}
[ -n "$ETL" ] && [ ! -x "$ETL" ] && ETL=""
# A copy beside the script copy: the build tree may sit where nobody cannot enter (/root/...).
# (The project's own libraries are static; the copy needs only system libraries.)
if [ -n "$ETL" ]; then
  cp "$ETL" "$work/titanic-etl" && chmod 755 "$work/titanic-etl" && ETL=$work/titanic-etl
fi
roles_check() { # $1 = run dir, rest = command prefix to run as someone
  local run=$1 w role; shift
  [ "$(stat -c %a "$run/role_passwords")" = 700 ] || fail "role_passwords is not mode 700"
  for w in api etl train analyst; do
    role=titanic_$w
    [ "$(stat -c %a "$run/role_passwords/$role")" = 600 ] || fail "$role password not mode 600"
    [ "$(stat -c %a "$run/${w}_database_url")" = 600 ] || fail "${w}_database_url not mode 600"
    case "$(cat "$run/${w}_database_url")" in
      "postgresql://$role:$(cat "$run/role_passwords/$role")@127.0.0.1:"*) ;;
      *) fail "${w}_database_url does not name $role with its password" ;;
    esac
  done
  [ -n "$ETL" ] || return 0
  "$@" env DATABASE_URL_FILE="$run/database_url" ROLE_PASSWORDS_DIR="$run/role_passwords" \
    "$ETL" --migrate >/dev/null 2>&1 || fail "migrating with ROLE_PASSWORDS_DIR"
  for w in api etl train analyst; do
    [ "$(psql "$(cat "$run/${w}_database_url")" -Atc 'SELECT current_user')" = "titanic_$w" ] ||
      fail "titanic_$w cannot log in through ${w}_database_url"
  done
  [ "$(psql "$(cat "$run/analyst_database_url")" -Atc 'SHOW default_transaction_read_only')" = on ] ||
    fail "titanic_analyst's sessions are not read-only by default"
}

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
  roles_check "$run" "$@"
  "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" status >/dev/null 2>&1 || fail "status while running"
  "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" stop >/dev/null 2>&1 || fail "stop"
  if "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" status >/dev/null 2>&1; then fail "status after stop"; fi
  psql "$url" -Atc 'SELECT 1' >/dev/null 2>&1 && fail "server still answers after stop"
  "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" start >/dev/null 2>&1 || fail "restart"
  url=$(cat "$run/database_url")
  [ "$(psql "$url" -Atc 'SELECT x FROM kept')" = 42 ] || fail "data not kept across restart"
  if [ -n "$ETL" ]; then
    [ "$(psql "$(cat "$run/api_database_url")" -Atc 'SELECT current_user')" = titanic_api ] ||
      fail "titanic_api cannot log in after a restart"
  fi
  "$@" env TITANIC_RUN_DIR="$run" bash "$SCRIPT" destroy >/dev/null 2>&1 || fail "destroy"
  [ ! -e "$run/pg" ] || fail "destroy left $run/pg"
  [ ! -e "$run/role_passwords" ] && [ ! -e "$run/api_database_url" ] &&
    [ ! -e "$run/analyst_database_url" ] ||
    fail "destroy left the workload roles' passwords or URLs"
}

# A port range of our own, with its first port taken by another listener: pg-local must skip it.
# The listener takes the first port it can bind from a random start (so two runs at once do not
# share a range) and says which; pg-local scans the 100 ports from there.
python3 -c 'import os, random, socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
start = random.randrange(20000, 30000)
for port in range(start, start + 200):
    try:
        s.bind(("127.0.0.1", port)); break
    except OSError:
        continue
s.listen(16)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(port))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(300)
while True:
    s.accept()[0].close()' "$work/blocker.port" &
blocker=$!
for _ in $(seq 100); do [ -f "$work/blocker.port" ] && break; sleep 0.05; done
[ -f "$work/blocker.port" ] || { echo "FAIL: the port blocker did not start"; exit 1; }
export TITANIC_PG_PORT
TITANIC_PG_PORT=$(cat "$work/blocker.port")

run_dir=$work/run-root
mkdir -m 700 "$run_dir"
run_dirs+=("$run_dir")
if [ "$(id -u)" -eq 0 ]; then
  out=$(TITANIC_RUN_DIR=$run_dir bash "$SCRIPT" start 2>&1) || fail "start as root: $out"
  pid=$(head -1 "$(readlink -f "$run_dir/pg")/postmaster.pid")
  [ "$(ps -o user= -p "$pid" | tr -d ' ')" = postgres ] || fail "server does not run as postgres"
  TITANIC_RUN_DIR=$run_dir bash "$SCRIPT" destroy >/dev/null 2>&1
  cycle "$run_dir" # as root
  user_dir=$work/run-nobody
  mkdir -m 700 "$user_dir"
  chown nobody "$user_dir"
  run_dirs+=("$user_dir")
  cycle "$user_dir" runuser -u nobody -- # as an ordinary user
else
  cycle "$run_dir"
fi

after=$(user_state)
if [ "$before" != "$after" ]; then
  fail "the checkout's .run changed: before [$before] after [$after]"
fi
echo "test_pg_local: $failures failed (the checkout's .run: ${before:0:200})"
[ "$failures" -eq 0 ]
