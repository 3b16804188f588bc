#!/usr/bin/env bash
# Real build-and-run test of the top-level Dockerfile with Debian's podman (no Docker engine and no
# registry here). Steps:
#   1. install podman, debootstrap, runc, catatonit, ... with apt-get when root and missing;
#   2. make the base image: debootstrap --variant=minbase bookworm, trimmed like bookworm-slim,
#      cached as a tarball under /var/cache/titanic-image-test, then `podman import`;
#   3. podman build the Dockerfile with that base for both stages (build + runtime);
#   4. run the image as uid 10001, read-only root FS, all capabilities dropped, host network,
#      against the PostgreSQL in the environment (pg_virtualenv): titanic-etl --generate makes a
#      synthetic CSV, the ETL container loads it, the train container trains, the API container
#      answers /health, /ready and POST /predict, then stops cleanly on SIGTERM;
#   5. report the image size and remove every container and image it created.
# Exit 0 pass, 1 fail, 77 skip (not root, no podman and no way to install it, no Debian archive).
# Without PG* variables it re-runs itself under `pg_virtualenv -t` when that is installed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=${TITANIC_IMAGE_CONTEXT:-$(cd "$HERE/../../.." && pwd)}
CACHE=${TITANIC_IMAGE_CACHE:-/var/cache/titanic-image-test}
MIRROR=${TITANIC_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SECURITY_MIRROR=${TITANIC_DEBIAN_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
TAG=localhost/titanic-image-test:$$
BASE_TAG=localhost/titanic-image-test-base:bookworm
NAME=titanic-image-test-$$
START=$(date +%s)

log() { printf '[image-test %3ss] %s\n' "$(($(date +%s) - START))" "$*"; }
skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap and rootful podman); run as root to build and run the image"
[ -f "$ROOT/Dockerfile" ] || fail "no Dockerfile in $ROOT"

# --- PostgreSQL: from the environment, or a throwaway cluster from pg_virtualenv -----------------
if [ -z "${PGPORT:-}" ] && [ -z "${DATABASE_URL:-}" ]; then
  if command -v pg_virtualenv >/dev/null 2>&1 && [ -z "${TITANIC_IMAGE_TEST_NESTED:-}" ]; then
    log "no PG* environment: re-running under pg_virtualenv -t"
    TITANIC_IMAGE_TEST_NESTED=1 exec pg_virtualenv -t "$0" "$@"
  fi
  skip "no PostgreSQL given (PGPORT/DATABASE_URL unset) and pg_virtualenv is not installed"
fi

# --- tools ---------------------------------------------------------------------------------------
need=(podman debootstrap runc uidmap catatonit containernetworking-plugins fuse-overlayfs curl
  ca-certificates debian-archive-keyring)
missing=()
for p in "${need[@]}"; do
  [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get update -qq >/dev/null 2>&1 || skip "apt-get update failed: Debian's archive is not reachable"
  timeout 600 apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
    || skip "could not install ${missing[*]} from Debian's archive"
fi
# Debian's archive is needed by debootstrap and by the Dockerfile's apt-get steps.
curl -fsS --max-time 20 -o /dev/null "$MIRROR/dists/bookworm/Release" \
  || skip "Debian's archive ($MIRROR) is not reachable"

# Containers need namespaces: inside an unprivileged container (e.g. a CI job's) there are none.
unshare --mount --pid --uts --ipc --fork true 2>/dev/null \
  || skip "cannot create namespaces here (an unprivileged container?); run on a host or with --privileged"

# podman on these machines: crun cannot raise RLIMIT_NOFILE to podman's default, so use runc and
# lower default ulimits; a private storage root keeps the test away from the user's images.
WORK=$(mktemp -d /tmp/titanic-image-test.XXXXXX)
mkdir -p "$CACHE/storage"
driver=overlay
# overlay cannot stack on overlayfs (the root of a container): fall back to vfs there.
[ "$(stat -f -c %T "$CACHE/storage")" = overlayfs ] && driver=vfs
cat >"$WORK/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$WORK/containers.conf"
PODMAN=(podman --root "$CACHE/storage" --runroot "/run/titanic-image-test-$driver" --storage-driver "$driver")

cleanup() {
  local rc=$?
  "${PODMAN[@]}" rm -f -i "$NAME-api" "$NAME-gen" "$NAME-etl" "$NAME-train" >/dev/null 2>&1 || true
  "${PODMAN[@]}" rmi -f "$TAG" >/dev/null 2>&1 || true
  # Drop the intermediate build-stage images; the imported base image stays cached.
  "${PODMAN[@]}" image prune -f >/dev/null 2>&1 || true
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- base image ----------------------------------------------------------------------------------
BASE_TAR=$CACHE/bookworm-minbase.tar
if [ ! -s "$BASE_TAR" ]; then
  log "debootstrap --variant=minbase bookworm (cached afterwards in $BASE_TAR)"
  rootfs=$WORK/rootfs
  timeout 900 debootstrap --variant=minbase bookworm "$rootfs" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; skip "debootstrap failed (Debian archive unreachable?)"; }
  cat >"$rootfs/etc/apt/sources.list" <<SRC
deb $MIRROR bookworm main
deb $MIRROR bookworm-updates main
deb $SECURITY_MIRROR bookworm-security main
SRC
  # Trim like debian:bookworm-slim: no docs, man pages or translations now or in later installs.
  cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'SLIM'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
SLIM
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/usr/share/locale/* \
    "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/log/*.log "$rootfs"/var/log/apt/*
  tar --numeric-owner -C "$rootfs" -cf "$BASE_TAR.tmp" .
  mv "$BASE_TAR.tmp" "$BASE_TAR"
  rm -rf "$rootfs"
  "${PODMAN[@]}" rmi -f "$BASE_TAG" >/dev/null 2>&1 || true
fi
if ! "${PODMAN[@]}" image exists "$BASE_TAG"; then
  log "podman import $BASE_TAR -> $BASE_TAG"
  "${PODMAN[@]}" import --quiet "$BASE_TAR" "$BASE_TAG" >/dev/null
fi

# --- build ---------------------------------------------------------------------------------------
log "podman build $ROOT (build and runtime stages on $BASE_TAG)"
if ! "${PODMAN[@]}" build --isolation chroot --layers=false \
    --build-arg BUILD_IMAGE="$BASE_TAG" --build-arg RUNTIME_IMAGE="$BASE_TAG" \
    -t "$TAG" -f "$ROOT/Dockerfile" "$ROOT" >"$WORK/build.log" 2>&1; then
  tail -60 "$WORK/build.log"
  fail "podman build failed (log above)"
fi
log "built $TAG"

user=$("${PODMAN[@]}" image inspect --format '{{.Config.User}}' "$TAG")
[ "$user" = "10001:10001" ] || fail "image USER is '$user', expected 10001:10001"
cmd=$("${PODMAN[@]}" image inspect --format '{{json .Config.Cmd}}' "$TAG")
case "$cmd" in *titanic-api*) ;; *) fail "default command is $cmd, expected titanic-api" ;; esac
size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$TAG")
base_size=$("${PODMAN[@]}" image inspect --format '{{.Size}}' "$BASE_TAG")
echo "IMAGE SIZE: $((size / 1024 / 1024)) MiB ($size bytes; base layer $((base_size / 1024 / 1024)) MiB, added by the Dockerfile $(((size - base_size) / 1024 / 1024)) MiB)"

# --- run -----------------------------------------------------------------------------------------
urlencode() {
  local s=$1 out='' c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case "$c" in [a-zA-Z0-9._~-]) out+=$c ;; *) printf -v c '%%%02X' "'$c"; out+=$c ;; esac
  done
  printf '%s' "$out"
}
if [ -n "${DATABASE_URL:-}" ]; then
  url=$DATABASE_URL
else
  host=${PGHOST:-127.0.0.1}
  case "$host" in localhost | /*) host=127.0.0.1 ;; esac   # TCP: the container has no socket dir
  url="postgresql://$(urlencode "${PGUSER:-postgres}")"
  [ -n "${PGPASSWORD:-}" ] && url+=":$(urlencode "$PGPASSWORD")"
  url+="@$host:${PGPORT:-5432}/$(urlencode "${PGDATABASE:-postgres}")?sslmode=disable"
fi
# Delivered as in Kubernetes: a read-only file named by DATABASE_URL_FILE.
printf '%s' "$url" >"$WORK/database-url"
chmod 0444 "$WORK/database-url"
chmod 0755 "$WORK"

RUN=("${PODMAN[@]}" run --network host --init --user 10001:10001 --read-only
  --read-only-tmpfs=false --tmpfs /tmp:rw,size=64m,mode=1777 --cap-drop ALL
  --security-opt no-new-privileges --pids-limit 256 --memory 512m
  -v "$WORK/database-url:/var/run/secrets/titanic/database-url:ro"
  -e DATABASE_URL_FILE=/var/run/secrets/titanic/database-url)
# Unset libpq variables inherited nowhere: the containers get only what is passed here.

log "titanic-etl --generate 2000 --seed 1 (synthetic Kaggle-layout CSV from the image itself)"
"${RUN[@]}" --name "$NAME-gen" --rm "$TAG" titanic-etl --generate 2000 --seed 1 >"$WORK/titanic.csv" \
  || fail "titanic-etl --generate failed"
lines=$(wc -l <"$WORK/titanic.csv")
[ "$lines" -ge 2001 ] || fail "generated CSV has $lines lines, expected 2001 (header + 2000)"
head -c 200 "$WORK/titanic.csv" | head -1 | grep -q PassengerId || fail "generated CSV has no Kaggle header"
chmod 0444 "$WORK/titanic.csv"

log "ETL container loads $lines lines"
"${RUN[@]}" --name "$NAME-etl" --rm -v "$WORK/titanic.csv:/data/titanic.csv:ro" "$TAG" \
  titanic-etl /data/titanic.csv || fail "ETL container exited non-zero"

log "train container trains and scores"
"${RUN[@]}" --name "$NAME-train" --rm "$TAG" titanic-train --score || fail "train container exited non-zero"

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${TITANIC_IMAGE_TEST_PORT:-5000}
while ! port_free "$port"; do port=$((port + 1)); done
log "API container (default command) on 127.0.0.1:$port"
"${RUN[@]}" -d --name "$NAME-api" -e PORT="$port" -e BIND=127.0.0.1 -e SHUTDOWN_GRACE_SECONDS=5 "$TAG" >/dev/null \
  || fail "API container did not start"

ready=''
for _ in $(seq 1 120); do
  if curl -fsS --max-time 2 -o /dev/null "http://127.0.0.1:$port/ready" 2>/dev/null; then ready=1; break; fi
  [ "$("${PODMAN[@]}" inspect --format '{{.State.Running}}' "$NAME-api")" = true ] || break
  sleep 0.5
done
if [ -z "$ready" ]; then
  "${PODMAN[@]}" logs "$NAME-api" 2>&1 | tail -30
  fail "API never answered 200 on /ready"
fi
curl -fsS --max-time 5 "http://127.0.0.1:$port/health" >/dev/null || fail "GET /health failed"
body='{"pclass":3,"sex":"male","age":22,"sibsp":1,"parch":0,"fare":7.25,"embarked":"S","name":"Braund, Mr. Owen Harris"}'
resp=$(curl -fsS --max-time 5 -H 'Content-Type: application/json' -d "$body" "http://127.0.0.1:$port/predict") \
  || fail "POST /predict failed"
echo "POST /predict -> $resp"
prob=$(printf '%s' "$resp" | sed -n 's/.*"probability"[[:space:]]*:[[:space:]]*\([-0-9.eE+]*\).*/\1/p')
[ -n "$prob" ] || fail "/predict answer has no probability: $resp"
awk -v p="$prob" 'BEGIN { exit !(p >= 0 && p <= 1) }' || fail "probability $prob outside [0,1]"
printf '%s' "$resp" | grep -q '"survived"' || fail "/predict answer has no survived field: $resp"
printf '%s' "$resp" | grep -q '"model_version"' || fail "/predict answer has no model_version field: $resp"

mem=$("${PODMAN[@]}" stats --no-stream --format '{{.MemUsage}}' "$NAME-api" 2>/dev/null || true)
echo "API MEMORY after /ready and /predict: ${mem:-unknown} (Kubernetes request 256Mi, limit 512Mi)"

log "SIGTERM: the API must drain and exit 0"
"${PODMAN[@]}" stop -t 25 "$NAME-api" >/dev/null
code=$("${PODMAN[@]}" inspect --format '{{.State.ExitCode}}' "$NAME-api")
[ "$code" = 0 ] || { "${PODMAN[@]}" logs "$NAME-api" 2>&1 | tail -20; fail "API exited $code on SIGTERM, expected 0"; }

log "PASS: image built, ETL loaded, model trained, /ready and /predict answered, clean SIGTERM exit"
echo "1 passed, 0 failed"
