#!/usr/bin/env bash
# Everything, on one machine: installs dependencies, builds, starts the private PostgreSQL (unless
# DATABASE_URL or DATABASE_URL_FILE points elsewhere), loads the passengers, trains the model, and
# serves the API on http://127.0.0.1:${PORT:-5000} in the foreground (Ctrl-C stops the API; the
# database keeps running until `scripts/pg-local.sh stop`).
#
# Data: data/titanic.csv when you put one there (any supported layout, see data/README.md);
# otherwise synthetic passengers from the project's generator, and it says so.
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

if [ -z "${DATABASE_URL:-}" ] && [ -z "${DATABASE_URL_FILE:-}" ]; then
  step "Starting the private PostgreSQL (stop it with: scripts/pg-local.sh stop)"
  export DATABASE_URL_FILE
  DATABASE_URL_FILE=$("$ROOT/scripts/pg-local.sh" start)
else
  step "Using the database from DATABASE_URL${DATABASE_URL_FILE:+_FILE}"
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
"$BIN/etl/titanic-etl" "$data"

step "Training the survival model"
mkdir -p "$ROOT/.run"
"$BIN/train/titanic-train" --score --report "$ROOT/.run/report" ||
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
  open  http://127.0.0.1:$port/model/report   (the model report)
  The report is also on disk: $ROOT/.run/report/index.html
URLS
PORT=$port BIND=${BIND:-127.0.0.1} exec "$BIN/api/titanic-api"
