#!/usr/bin/env bash
# Everything, on one machine: installs dependencies, builds, starts the private PostgreSQL (unless
# DATABASE_URL or DATABASE_URL_FILE points elsewhere), loads the passengers, trains the model, and
# serves the API on http://127.0.0.1:${PORT:-5000} in the foreground (Ctrl-C stops the API; the
# database keeps running until `scripts/pg-local.sh stop`).
#
# Data: data/titanic.csv when you put one there (any supported layout, see data/README.md);
# otherwise synthetic passengers from the project's generator, and it says so.
#
# Roles (docs/security.md): the owner only migrates; the ETL, the trainer and the API each connect
# as their own role (titanic_etl, titanic_train, titanic_api) through .run/<workload>_database_url;
# analysts read through .run/analyst_database_url (titanic_analyst, read-only; docs/analysts.md).
# Writes to /people need the local key in .run/api_key (the server reads .run/api_keys).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
step() { printf '\n==> %s\n' "$*" >&2; }

step "Installing dependencies"
"$ROOT/scripts/install-deps.sh"

step "Building (Release)"
cmake -S "$ROOT" -B "$ROOT/build/release" -DCMAKE_BUILD_TYPE=Release -DTITANIC_TESTS=OFF >/dev/null
cmake --build "$ROOT/build/release" -j "$(nproc 2>/dev/null || echo 2)"
BIN=$ROOT/build/release

RUN=${TITANIC_RUN_DIR:-$ROOT/.run} # pg-local.sh uses the same
# Each workload connects as its own least-privilege role (docs/security.md): the owner's URL only
# migrates. With your own DATABASE_URL(_FILE), everything runs as that user instead.
api_url="" etl_url="" train_url=""
if [ -z "${DATABASE_URL:-}" ] && [ -z "${DATABASE_URL_FILE:-}" ]; then
  step "Starting the private PostgreSQL (stop it with: scripts/pg-local.sh stop)"
  owner_url=$("$ROOT/scripts/pg-local.sh" start)
  step "Migrating as the owner; the workload roles get their passwords"
  DATABASE_URL_FILE=$owner_url ROLE_PASSWORDS_DIR=$RUN/role_passwords "$BIN/etl/titanic-etl" --migrate
  api_url=$RUN/api_database_url etl_url=$RUN/etl_database_url train_url=$RUN/train_database_url
else
  step "Using the database from DATABASE_URL${DATABASE_URL_FILE:+_FILE} for every workload"
fi
# as_role URL_FILE command...: runs command connected through URL_FILE (or the caller's settings).
as_role() {
  local url=$1; shift
  if [ -n "$url" ]; then env -u DATABASE_URL DATABASE_URL_FILE="$url" "$@"; else "$@"; fi
}

# A local API key for writes (POST/PUT/DELETE /people), made once: .run/api_key is the key (give
# it to curl), .run/api_keys the digest line the server reads.
if [ ! -s "$RUN/api_keys" ] || [ ! -s "$RUN/api_key" ]; then
  mkdir -p "$RUN"
  made=$("$BIN/api/titanic-api" --new-key writer local-quickstart 2>/dev/null)
  (umask 077 && sed -n 's/^key: //p' <<<"$made" >"$RUN/api_key" &&
    sed -n 's/^line: //p' <<<"$made" >"$RUN/api_keys")
fi

step "Loading passengers"
if [ -f "$ROOT/data/titanic.csv" ]; then
  data=$ROOT/data/titanic.csv
  echo "Using your data file: $data" >&2
else
  data=$ROOT/data/synthetic.generated.csv
  echo "No data/titanic.csv: loading 891 SYNTHETIC passengers (generator seed 1912)." >&2
  echo "Put the real Kaggle train.csv at data/titanic.csv to use real passengers." >&2
  "$BIN/etl/titanic-etl" --generate 891 --seed 1912 >"$data"
fi
as_role "$etl_url" "$BIN/etl/titanic-etl" "$data"

step "Training the survival model"
mkdir -p "$RUN"
as_role "$train_url" "$BIN/train/titanic-train" --score --report "$RUN/report" ||
  echo "titanic-train activated nothing new (the active model stays)" >&2

port=${PORT:-5000}
cat >&2 <<URLS

==> Serving the API on http://127.0.0.1:$port  (Ctrl-C to stop)
  curl http://127.0.0.1:$port/ready
  curl http://127.0.0.1:$port/passengers/1
  curl 'http://127.0.0.1:$port/passengers?sex=female&pclass=1&limit=5'
  curl 'http://127.0.0.1:$port/stats/survival?by=pclass,sex'
  curl -X POST http://127.0.0.1:$port/predict -H 'Content-Type: application/json' \\
       -d '{"pclass":3,"sex":"male","age":22,"sibsp":1,"parch":0,"fare":7.25,"embarked":"S","name":"Braund, Mr. Owen Harris"}'
  curl http://127.0.0.1:$port/people
  curl -X POST http://127.0.0.1:$port/people -H "Authorization: Bearer \$(cat $RUN/api_key)" \\
       -H 'Content-Type: application/json' -d '{"survived":true,"passengerClass":1,"name":"Ms. Example","sex":"female","age":30,"siblingsOrSpousesAboard":0,"parentsOrChildrenAboard":0,"fare":80}'
  (writes need the key in $RUN/api_key; without it: 401)
  open  http://127.0.0.1:$port/model/report   (the model report)
  The report is also on disk: $RUN/report/index.html
URLS
if [ -n "$api_url" ]; then
  cat >&2 <<ANALYST
  Analysts (read-only SQL, docs/analysts.md):  psql "\$(cat $RUN/analyst_database_url)"
ANALYST
fi
if [ -n "$api_url" ]; then
  unset DATABASE_URL
  export DATABASE_URL_FILE=$api_url
fi
PORT=$port BIND=${BIND:-127.0.0.1} API_KEYS_FILE=${API_KEYS_FILE:-$RUN/api_keys} \
  exec "$BIN/api/titanic-api"
