#!/usr/bin/env bash
# Apply rehearsal against moto_server (an AWS API emulator, moto 5): applies dev's network,
# storage, registry, secrets and monitoring modules with dev's values, plans again and requires
# "no changes" (an apply that does not converge is a real bug: a perpetual diff, a value AWS
# normalises), then destroys. It finds apply-time mistakes that validate and mocked plans cannot.
# Not rehearsed (moto does not emulate them well enough): EKS and its add-ons/access entries, RDS,
# the CodeBuild runner and its GitHub connection; and the S3 *interface* endpoint, whose
# dns_options moto does not store (a diff on every plan that real AWS does not have).
# Skips (exit 77, reported by ctest as skipped, never as passed) when moto_server is absent: a
# stock Debian 12 has none. Needs terraform and the provider mirror, like terraform.sh.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TREE=$(cd "$HERE/../../terraform" && pwd)
TF=${TERRAFORM:-terraform}
MIRROR=${TF_PLUGIN_MIRROR:-/opt/tf-plugins}

command -v moto_server >/dev/null 2>&1 || { echo "moto-rehearsal: SKIP: moto_server is not installed (moto 5, e.g. under pyenv); nothing was rehearsed"; exit 77; }
command -v "$TF" >/dev/null 2>&1 || { echo "moto-rehearsal: FAIL: terraform is not installed" >&2; exit 1; }

WORK=$(mktemp -d)
moto_pid=
cleanup() { [ -z "$moto_pid" ] || kill "$moto_pid" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

# Port 0: the OS picks a free port, moto prints it.
moto_server -p 0 >"$WORK/moto.log" 2>&1 &
moto_pid=$!
port=
for _ in $(seq 1 120); do
  port=$(grep -o '127\.0\.0\.1:[0-9]*' "$WORK/moto.log" | head -1 | cut -d: -f2)
  [ -n "$port" ] && break
  kill -0 "$moto_pid" 2>/dev/null || break
  sleep 1
done
[ -n "$port" ] || { echo "moto-rehearsal: FAIL: moto_server did not start:" >&2; cat "$WORK/moto.log" >&2; exit 1; }
echo "moto-rehearsal: moto_server on port $port"

cat >"$WORK/cli.tfrc" <<TFRC
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
TFRC
export TF_CLI_CONFIG_FILE="$WORK/cli.tfrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
cp -a "$TREE/modules" "$WORK/modules"
mkdir "$WORK/root"
endpoint="http://127.0.0.1:$port"
{
  echo 'provider "aws" {'
  echo '  region                      = "eu-west-1"'
  echo '  access_key                  = "moto"'
  echo '  secret_key                  = "moto"'
  echo '  skip_credentials_validation = true'
  echo '  skip_metadata_api_check     = true'
  echo '  skip_requesting_account_id  = true'
  echo '  s3_use_path_style           = true'
  echo '  endpoints {'
  for s in ec2 iam logs sts s3 ecr kms secretsmanager sns cloudwatch; do echo "    $s = \"$endpoint\""; done
  echo '  }'
  echo '}'
  # dev's values (envs/dev/terraform.tfvars), module by module.
  cat <<'HCL'
module "network" {
  source                  = "../modules/network"
  name                    = "titanic-dev"
  vpc_cidr                = "10.0.0.0/16"
  single_nat_gateway      = true
  interface_endpoints     = ["sts"]
  cluster_name            = "titanic-dev"
  flow_log_retention_days = 30
}
module "storage" {
  source        = "../modules/storage"
  name          = "titanic-dev"
  force_destroy = true
}
module "registry" {
  source             = "../modules/registry"
  repository_name    = "titanic-dev/api"
  keep_tagged_images = 30
}
module "secrets" {
  source                  = "../modules/secrets"
  name_prefix             = "titanic/dev"
  db_host                 = "titanic-dev.rehearsal.eu-west-1.rds.amazonaws.com"
  db_port                 = 5432
  db_name                 = "titanic"
  recovery_window_in_days = 0
}
module "monitoring" {
  source                  = "../modules/monitoring"
  name                    = "titanic-dev"
  cluster_name            = "titanic-dev"
  log_retention_days      = 30
  alarm_email             = "titanic-ops@example.com"
  db_instance_identifier  = "titanic-dev"
  db_allocated_storage_gb = 20
  db_instance_class       = "db.t3.micro"
  node_max_size           = 4
  training_max_age_days   = 2
}
HCL
} >"$WORK/root/main.tf"

tf() { "$TF" -chdir="$WORK/root" "$@" -no-color >"$WORK/last.log" 2>&1; }
show() { grep -v '^\s*$' "$WORK/last.log" | grep -E "$1" -A8 | head -40; }
tf init -input=false || { echo "moto-rehearsal: FAIL: init"; show 'Error'; exit 1; }
if ! tf apply -auto-approve; then echo "moto-rehearsal: FAIL: apply"; show 'Error'; exit 1; fi
echo "moto-rehearsal: ok - apply: $(grep -o 'Resources: .*' "$WORK/last.log")"
tf plan -detailed-exitcode
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "moto-rehearsal: FAIL: the second plan is not empty (exit $rc):"
  sed -n '/will perform the following/,/^Plan:/p' "$WORK/last.log" | head -60
  tf destroy -auto-approve
  exit 1
fi
echo "moto-rehearsal: ok - plan after apply: no changes"
tf destroy -auto-approve || { echo "moto-rehearsal: FAIL: destroy"; show 'Error'; exit 1; }
echo "moto-rehearsal: ok - destroy: $(grep -o 'Resources: .*' "$WORK/last.log")"
