#!/usr/bin/env bash
# infra/terraform checked by the real Terraform and the real hashicorp/aws provider, offline:
#   1. terraform fmt -check on the whole tree (.tf, .tfvars, .tftest.hcl);
#   2. every root (bootstrap, envs/dev, envs/prod) and every module: terraform init -backend=false
#      from a filesystem mirror of the provider (roots with -lockfile=readonly: the committed
#      .terraform.lock.hcl must match), then terraform validate;
#   3. terraform test in each root: plans with mock_provider "aws" and asserts the architecture's
#      values on the planned resources (envs/*/tests, bootstrap/tests);
#   4. planted mistakes, each in a copy of the tree, that validate or the plan assertions must
#      reject with the expected message.
# Works on a temporary copy, so nothing (.terraform, lock files) is written into the checkout.
# Needs: terraform >= 1.10 (TERRAFORM, default: terraform on PATH) and a filesystem mirror holding
# registry.terraform.io/hashicorp/aws 5.100.0 for this platform (TF_PLUGIN_MIRROR, default
# /opt/tf-plugins). A missing binary or mirror is a FAIL that says what is missing, never a skip.
# Exit 0 only when everything passes.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TREE=$(cd "$HERE/../../terraform" && pwd)
TF=${TERRAFORM:-terraform}
MIRROR=${TF_PLUGIN_MIRROR:-/opt/tf-plugins}
AWS_VERSION=5.100.0
START=$(date +%s)

die() { echo "terraform-tests: FAIL: $*" >&2; exit 1; }

# --- what this needs, said plainly when it is missing ---------------------------------------------
command -v "$TF" >/dev/null 2>&1 ||
  die "terraform is not installed (looked for '$TF' on PATH; install Terraform >= 1.10, e.g. 1.11.4 from releases.hashicorp.com, or set TERRAFORM=/path/to/terraform)"
tfver=$("$TF" version -json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(JSON.parse(s).terraform_version)}catch{console.log("")}})')
[ -n "$tfver" ] || die "'$TF version -json' did not answer; is $TF a Terraform binary?"
IFS=. read -r tmaj tmin _ <<<"$tfver"
[ "$tmaj" -gt 1 ] || [ "$tmin" -ge 10 ] || die "Terraform $tfver is too old: need >= 1.10 (S3 backend use_lockfile, terraform test overrides during plan)"
platform=$("$TF" version -json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).platform))')
provider_dir="$MIRROR/registry.terraform.io/hashicorp/aws/$AWS_VERSION/$platform"
ls "$provider_dir"/terraform-provider-aws_v"$AWS_VERSION"* >/dev/null 2>&1 ||
  die "no provider mirror: $provider_dir/terraform-provider-aws_v${AWS_VERSION}_x5 is missing (make one with 'terraform providers mirror -platform=$platform $MIRROR' in infra/terraform/envs/dev where the registry is reachable, or set TF_PLUGIN_MIRROR)"

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cat >"$WORK/cli.tfrc" <<EOF
# Offline: providers come only from the filesystem mirror, never from the registry.
provider_installation {
  filesystem_mirror {
    path    = "$MIRROR"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
EOF
export TF_CLI_CONFIG_FILE="$WORK/cli.tfrc" TF_IN_AUTOMATION=1 TF_INPUT=0 CHECKPOINT_DISABLE=1
unset TF_DATA_DIR TF_WORKSPACE

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }
indent() { sed 's/^/       /'; }

copy_tree() { # $1 = destination; the env files stay relative symlinks into the copy
  mkdir -p "$1" && cp -a "$TREE/." "$1/" && find "$1" -name .terraform -prune -exec rm -rf {} +
}

ROOTS=(bootstrap envs/dev envs/prod)
mapfile -t MODULES < <(cd "$TREE" && find modules -mindepth 1 -maxdepth 1 -type d | sort)

echo "terraform-tests: Terraform $tfver ($platform), hashicorp/aws $AWS_VERSION from $MIRROR"
copy_tree "$WORK/tree"

# --- 1. fmt --------------------------------------------------------------------------------------
if out=$("$TF" -chdir="$WORK/tree" fmt -check -recursive -diff -no-color 2>&1); then
  ok "terraform fmt -check: every .tf, .tfvars and .tftest.hcl file is formatted"
else
  bad "terraform fmt -check: files not formatted:"; printf '%s\n' "$out" | head -40 | indent
fi

# --- 2. init + validate --------------------------------------------------------------------------
init() { # $1 = dir, $2 = "root" to require the committed lock file
  local lock=()
  [ "${2:-}" = root ] && lock=(-lockfile=readonly)
  "$TF" -chdir="$1" init -backend=false -input=false -no-color "${lock[@]}" >"$WORK/init.log" 2>&1
}
for d in "${ROOTS[@]}" "${MODULES[@]}"; do
  kind=module
  [[ " ${ROOTS[*]} " == *" $d "* ]] && kind=root
  if [ "$kind" = root ] && [ ! -f "$WORK/tree/$d/.terraform.lock.hcl" ]; then
    bad "$d: no committed .terraform.lock.hcl (run terraform init there and commit the lock file)"
    continue
  fi
  if ! init "$WORK/tree/$d" "$kind"; then
    bad "$d: terraform init -backend=false failed:"; tail -20 "$WORK/init.log" | indent
    continue
  fi
  if out=$("$TF" -chdir="$WORK/tree/$d" validate -no-color 2>&1) && ! grep -q '^Warning' <<<"$out"; then
    ok "$d: init (mirror) + validate"
  else
    bad "$d: terraform validate:"; printf '%s\n' "$out" | head -30 | indent
  fi
done

# --- 3. terraform test (plans with mock_provider "aws") ------------------------------------------
for d in "${ROOTS[@]}"; do
  [ -d "$WORK/tree/$d/.terraform" ] || { bad "$d: terraform test not run (init failed above)"; continue; }
  if ! ls "$WORK/tree/$d"/tests/*.tftest.hcl >/dev/null 2>&1; then
    bad "$d: no tests/*.tftest.hcl (the plan assertions are missing)"
    continue
  fi
  if out=$("$TF" -chdir="$WORK/tree/$d" test -no-color 2>&1); then
    ok "$d: terraform test: $(grep -E '^Success!' <<<"$out")"
    grep -E '^\s+run "' <<<"$out" | indent
  else
    bad "$d: terraform test:"; printf '%s\n' "$out" | grep -v '^\s*$' | head -40 | indent
  fi
done

# --- 4. planted mistakes -------------------------------------------------------------------------
# plant NAME DIR FILE PERL-EXPRESSION WANT [test|test:FILE]: copy the initialised tree, apply the
# substitution to FILE, run validate (or, with "test", terraform test; with "test:FILE" only that
# file of DIR/tests) in DIR, and require a failure whose output matches the extended regex WANT.
plant() {
  local name=$1 dir=$2 file=$3 expr=$4 want=$5 mode=${6:-validate} t="$WORK/m-$1"
  cp -a "$WORK/tree" "$t"
  local before
  before=$(sha256sum "$t/$file")
  perl -0pi -e "$expr" "$t/$file"
  if [ "$before" = "$(sha256sum "$t/$file")" ]; then
    bad "planted $name: the edit did not change $file (fixture out of date)"
    rm -rf "$t"; return
  fi
  local out args=("$mode")
  # "test:FILE" runs only that test file of DIR (terraform test -filter), to keep the suite short.
  [[ $mode == test:* ]] && args=(test "-filter=tests/${mode#test:}")
  if out=$("$TF" -chdir="$t/$dir" "${args[@]}" -no-color 2>&1); then
    bad "planted $name: terraform $mode passed on $dir with the mistake"
  elif grep -Eq -- "$want" <<<"$out"; then
    ok "planted $name -> terraform $mode in $dir: $(grep -Eo -- "$want" <<<"$out" | head -1)"
  else
    bad "planted $name: terraform $mode failed in $dir, but not with /$want/:"; printf '%s\n' "$out" | head -15 | indent
  fi
  rm -rf "$t"
}
M=modules
plant misspelt-db-argument $M/database $M/database/main.tf \
  's/  backup_retention_period = var.backup_retention_days/  backup_retension_period = var.backup_retention_days/' \
  'An argument named "backup_retension_period" is not expected here'
plant string-for-a-number $M/monitoring $M/monitoring/main.tf \
  's/(alarm_name          = "\$\{var.name\}-db-cpu"(?:\n.*?)*?\n  period              = )300/${1}"five minutes"/' \
  'a number is required'
plant node-group-without-role $M/eks $M/eks/main.tf 's/\n  node_role_arn   = aws_iam_role.node.arn//' \
  'The argument "node_role_arn" is required'
plant cidr-blocks-on-vpc-sg-rule $M/eks $M/eks/main.tf \
  's/(resource "aws_vpc_security_group_ingress_rule" "pods_from_alb" \{\n(?:.*\n)*?)  referenced_security_group_id = aws_security_group.alb.id/${1}  cidr_blocks                  = ["0.0.0.0\/0"]/' \
  'An argument named "cidr_blocks" is not expected here'
plant output-missing-attribute $M/database $M/database/outputs.tf \
  's/value       = aws_db_instance.this.address/value       = aws_db_instance.this.endpoint_address/' \
  'Error: Unsupported attribute'
# The same mistakes must also fail through the environments that use the modules.
plant misspelt-db-argument-via-env envs/prod $M/database/main.tf \
  's/  backup_retention_period = var.backup_retention_days/  backup_retension_period = var.backup_retention_days/' \
  'An argument named "backup_retension_period" is not expected here'
# The plan assertions can fail: a prod value drifts, a world-open endpoint slips into tfvars.
plant prod-db-class-drifts envs/prod envs/prod/terraform.tfvars \
  's/db_instance_class               = "db.t3.small"/db_instance_class               = "db.t3.medium"/' \
  'prod RDS class must be db.t3.small' test
plant dev-one-nat-per-az envs/dev envs/dev/terraform.tfvars 's/single_nat_gateway      = true/single_nat_gateway      = false/' \
  'dev has one NAT gateway' test
plant world-open-eks-endpoint envs/dev envs/dev/terraform.tfvars \
  's/eks_public_access_cidrs = \["203.0.113.0\/24"\]/eks_public_access_cidrs = ["0.0.0.0\/0"]/' \
  'Invalid value for variable' test
plant network-policy-off envs/dev $M/eks/addons.tf 's/enableNetworkPolicy = "true"/enableNetworkPolicy = "false"/' \
  'the VPC CNI enforces NetworkPolicies' test
# Issue 23: deploy identity and promotion.
plant deploy-role-trusts-every-job envs/dev $M/deploy/main.tf \
  's/"repo:\$\{var.github_repository\}:environment:\$\{var.github_environment\}"/"repo:\$\{var.github_repository\}:*"/' \
  'the deploy role trusts only the repository' test:delivery.tftest.hcl
plant deploy-role-admin envs/prod $M/deploy/main.tf 's/Action = \["eks:DescribeCluster"\]/Action = ["eks:*"]/' \
  'the deploy role may only push/pull images and describe the cluster' test:delivery.tftest.hcl
plant no-cross-account-pull envs/dev envs/dev/terraform.tfvars 's/\necr_pull_principal_arns = [^\n]*//' \
  "dev's repository lets prod's deploy role pull" test:delivery.tftest.hcl
plant access-entry-admin-group envs/dev $M/deploy/variables.tf 's/default     = "titanic-deployers"/default     = "system:masters"/' \
  "maps it to the group titanic-deployers" test:delivery.tftest.hcl
# Issue 23 week one and issue 21's analysts on AWS.
plant prod-single-nat envs/prod envs/prod/terraform.tfvars 's/single_nat_gateway      = false/single_nat_gateway      = true/' \
  'prod has one NAT gateway per AZ' test
plant prod-without-ecr-endpoint envs/prod envs/prod/terraform.tfvars 's/"ecr.api", //' 'prod interface endpoints' test:delivery.tftest.hcl
plant prod-without-analyst-replica envs/prod envs/prod/terraform.tfvars \
  's/db_analyst_replica              = true/db_analyst_replica              = false/' 'prod has a private, encrypted read replica' test:delivery.tftest.hcl
plant dev-secrets-kept-a-week envs/dev envs/dev/terraform.tfvars 's/secret_recovery_window_days = 0/secret_recovery_window_days = 7/' \
  'dev secrets have a recovery window of 0 days' test:delivery.tftest.hcl
plant connections-threshold-fixed envs/prod $M/monitoring/main.tf \
  's/threshold           = local.db_max_connections_threshold/threshold           = 50/' 'the connections alarm is 80%' test
plant alb-alarms-wait-for-the-alb envs/dev $M/monitoring/main.tf 's/for_each = local.alb_alarms/for_each = {}/' 'dev alarms:' test

echo "terraform-tests: $passed passed, $failed failed ($(($(date +%s) - START)) s)"
[ "$failed" -eq 0 ]
