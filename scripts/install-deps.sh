#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test and run locally.
# Idempotent: packages already present are skipped, so a second run is quick and changes nothing.
# As root it uses apt-get directly; otherwise it uses sudo when available, and if neither works it
# prints the exact apt-get command to run.
set -euo pipefail

# Build: compiler, CMake, pkg-config and the five chosen libraries.
BUILD_PACKAGES=(build-essential cmake pkg-config clang-format
  libpq-dev libcsv-dev libgsl-dev libmicrohttpd-dev libjansson-dev)
# Run: a private PostgreSQL 15 cluster (pg_ctlcluster, pg_virtualenv come with postgresql-common).
RUN_PACKAGES=(postgresql-15 postgresql-client-15 postgresql-common curl ca-certificates)
# Test: fuzzing (clang's libFuzzer), Node for the infra/OpenAPI checks, YAML lint, jq and
# Python 3 (standard library only) for the black-box API tests.
TEST_PACKAGES=(clang libclang-rt-14-dev nodejs npm yamllint jq python3)

# Infra tests (ctest label infra) also need what Debian 12 does not package: kubectl (with its
# kustomize), Terraform >= 1.10 and a filesystem mirror of the hashicorp/aws 5.100.0 provider
# (TF_PLUGIN_MIRROR, default /opt/tf-plugins). They are not installed here; say so early (the infra
# tests themselves fail, naming what is missing).
for tool in kubectl terraform; do
  command -v "$tool" >/dev/null 2>&1 ||
    echo "install-deps: note: $tool is not installed (not a Debian 12 package); the infra tests need it" >&2
done
[ -d "${TF_PLUGIN_MIRROR:-/opt/tf-plugins}/registry.terraform.io/hashicorp/aws" ] ||
  echo "install-deps: note: no hashicorp/aws provider mirror in ${TF_PLUGIN_MIRROR:-/opt/tf-plugins}; the Terraform tests need it" >&2

want=("${BUILD_PACKAGES[@]}" "${RUN_PACKAGES[@]}" "${TEST_PACKAGES[@]}")
if [ "${TITANIC_BENCH_DEPS:-0}" = 1 ]; then
  # Benchmarks only: load generator and the Python baselines for the model benchmark.
  want+=(wrk python3-sklearn python3-statsmodels python3-numpy time)
fi

missing=()
for pkg in "${want[@]}"; do
  # Node may come from outside Debian (e.g. preinstalled); accept a working binary.
  if [ "$pkg" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
  if [ "$pkg" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  SUDO=(sudo)
elif command -v sudo >/dev/null 2>&1 && [ -t 0 ]; then
  SUDO=(sudo)
else
  echo "install-deps: not root and no sudo; please run as root:" >&2
  echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
