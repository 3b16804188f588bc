#!/usr/bin/env bash
# The project's private PostgreSQL 15 cluster for local runs (not for tests: they use
# pg_virtualenv). Data lives in .run/pg (git-ignored); the server listens on 127.0.0.1 at a free
# port with a generated password, and .run/database_url holds the owner's URL (read it through
# DATABASE_URL_FILE). PostgreSQL refuses to run as root, so as root the server runs as the
# `postgres` system user.
#
# The workloads run as their own roles (migration 002; docs/security.md): start also keeps one
# generated password per role in .run/role_passwords/ (for `ROLE_PASSWORDS_DIR=.run/role_passwords
# titanic-etl --migrate`, which creates the roles and gives them LOGIN) and writes their URLs to
# .run/api_database_url, .run/etl_database_url and .run/train_database_url; the analysts'
# read-only role titanic_analyst (migration 006) likewise, its URL in .run/analyst_database_url
# (`psql "$(cat .run/analyst_database_url)"`, docs/analysts.md). All mode 600.
#
#   scripts/pg-local.sh start    start (initialising on first use); prints the URL file's path
#   scripts/pg-local.sh stop     stop the server (data is kept)
#   scripts/pg-local.sh status   say whether it runs, and where
#   scripts/pg-local.sh destroy  stop and delete the data
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUN_DIR=${TITANIC_RUN_DIR:-$ROOT/.run}
PG_VERSION=15
PG_BIN=${PG_BIN:-/usr/lib/postgresql/$PG_VERSION/bin}
URL_FILE=$RUN_DIR/database_url
ROLE_PASSWORDS_DIR=$RUN_DIR/role_passwords
WORKLOADS="api etl train analyst" # roles titanic_api, titanic_etl, titanic_train, titanic_analyst
PORT_FILE=$RUN_DIR/pg.port
DB_NAME=titanic
DB_USER=titanic

say() { echo "pg-local: $*" >&2; }
die() { say "$*"; exit 1; }

[ -x "$PG_BIN/pg_ctl" ] || die "PostgreSQL $PG_VERSION binaries not found in $PG_BIN (run scripts/install-deps.sh)"

# Runs a command as the server's owner: postgres when we are root, ourselves otherwise.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Where the data directory lives. As root the postgres user must be able to reach it; a checkout
# under /root is not reachable, so then the data goes under /var/lib/postgresql and .run/pg links
# to it.
data_dir() {
  if [ -L "$RUN_DIR/pg" ] || [ -d "$RUN_DIR/pg" ]; then
    readlink -f "$RUN_DIR/pg"
    return
  fi
  mkdir -p "$RUN_DIR"
  if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$RUN_DIR" 2>/dev/null; then
    local hash # one data directory per run directory, never shared between two of them
    hash=$(printf '%s' "$(readlink -f "$RUN_DIR")" | sha256sum | cut -c1-12)
    local dir=/var/lib/postgresql/titanic-$hash
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    ln -s "$dir" "$RUN_DIR/pg"
    echo "$dir"
  else
    mkdir -p "$RUN_DIR/pg"
    [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$RUN_DIR/pg"
    readlink -f "$RUN_DIR/pg"
  fi
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Ports are taken below the kernel's ephemeral range (32768+ here), where a client socket's
# local port can collide with a listener that the probe could not see.
PORT_FIRST=${TITANIC_PG_PORT:-15432}
PORT_LAST=$((PORT_FIRST + 100))

choose_port() { # $1 = a port to skip (it just failed)
  local port
  if [ -f "$PORT_FILE" ]; then
    port=$(cat "$PORT_FILE")
    if [ "$port" != "${1:-}" ] && ! port_in_use "$port"; then echo "$port"; return; fi
  fi
  for port in $(seq "$PORT_FIRST" "$PORT_LAST"); do
    [ "$port" = "${1:-}" ] && continue
    if ! port_in_use "$port"; then echo "$port"; return; fi
  done
  die "no free port in $PORT_FIRST-$PORT_LAST"
}

# Starts the server on a free port; if the port is taken between the probe and the bind, tries
# the next one (three attempts).
start_server() {
  local dir=$1 port="" failed=""
  for _ in 1 2 3; do
    port=$(choose_port "$failed")
    echo "$port" >"$PORT_FILE"
    if as_owner "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -w -t 60       -o "-c listen_addresses=127.0.0.1 -p $port -k $dir" start >/dev/null; then
      return 0
    fi
    failed=$port
  done
  tail -5 "$dir/server.log" >&2 2>/dev/null
  die "server did not start; see $dir/server.log"
}

is_running() {
  local dir=$1
  [ -f "$dir/PG_VERSION" ] && as_owner "$PG_BIN/pg_ctl" -D "$dir" status >/dev/null 2>&1
}

new_password() { head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24; }

initialise() {
  local dir=$1 password pwfile
  password=$(new_password)
  pwfile=$(mktemp)
  printf '%s\n' "$password" >"$pwfile"
  [ "$(id -u)" -eq 0 ] && chown postgres "$pwfile"
  say "initialising a new cluster in $dir"
  as_owner "$PG_BIN/initdb" -D "$dir" -U "$DB_USER" --pwfile="$pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  printf '%s' "$password" >"$RUN_DIR/pg.password"
  chmod 600 "$RUN_DIR/pg.password"
}

# One password per workload role, made once and kept (the roles keep theirs across restarts), and
# each role's URL for this port. Alphanumeric passwords need no escaping in a URL.
role_urls() {
  local port=$1 w role
  (umask 077 && mkdir -p "$ROLE_PASSWORDS_DIR")
  for w in $WORKLOADS; do
    role=titanic_$w
    [ -s "$ROLE_PASSWORDS_DIR/$role" ] || (umask 077 && new_password >"$ROLE_PASSWORDS_DIR/$role")
    (umask 077 && printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$role" \
      "$(cat "$ROLE_PASSWORDS_DIR/$role")" "$port" "$DB_NAME" >"$RUN_DIR/${w}_database_url")
  done
}

start() {
  local dir port password
  dir=$(data_dir)
  [ -f "$dir/PG_VERSION" ] || initialise "$dir"
  [ -r "$RUN_DIR/pg.password" ] ||
    die "$dir holds a cluster but $RUN_DIR/pg.password is gone, so it cannot be used; " \
      "run '$0 destroy' to start afresh"
  password=$(cat "$RUN_DIR/pg.password")
  if is_running "$dir"; then
    say "already running on port $(cat "$PORT_FILE")"
  else
    start_server "$dir"
  fi
  port=$(cat "$PORT_FILE")
  if ! PGPASSWORD=$password "$PG_BIN/psql" -h 127.0.0.1 -p "$port" -U "$DB_USER" -d postgres -Atq \
    -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
    PGPASSWORD=$password "$PG_BIN/createdb" -h 127.0.0.1 -p "$port" -U "$DB_USER" "$DB_NAME"
  fi
  (umask 077 && printf 'postgresql://%s:%s@127.0.0.1:%s/%s\n' "$DB_USER" "$password" "$port" \
    "$DB_NAME" >"$URL_FILE")
  role_urls "$port"
  say "running on 127.0.0.1:$port (database $DB_NAME); URL in $URL_FILE"
  echo "$URL_FILE"
}

stop() {
  local dir
  dir=$(data_dir)
  if is_running "$dir"; then
    as_owner "$PG_BIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null
    say "stopped"
  else
    say "not running"
  fi
}

status() {
  local dir
  dir=$(data_dir)
  if is_running "$dir"; then
    say "running on 127.0.0.1:$(cat "$PORT_FILE"), data in $dir"
  else
    say "not running (data in $dir)"
    return 3
  fi
}

destroy() {
  stop
  local dir
  dir=$(data_dir)
  rm -rf "$dir"
  rm -rf "$RUN_DIR/pg" "$URL_FILE" "$PORT_FILE" "$RUN_DIR/pg.password" "$ROLE_PASSWORDS_DIR"
  local w
  for w in $WORKLOADS; do rm -f "$RUN_DIR/${w}_database_url"; done
  say "data deleted"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  destroy) destroy ;;
  *) echo "usage: $0 start|stop|status|destroy" >&2; exit 2 ;;
esac
