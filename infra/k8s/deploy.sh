#!/usr/bin/env bash
# Usage: infra/k8s/deploy.sh OVERLAY_DIR [RUN_ID]
# One release of an overlay whose settings.env and image write-settings.sh has filled, in the
# order an empty environment needs to reach Ready with a model (the API's /ready is 503 until a
# model exists, so its rollout is awaited last):
#   1. the finished ETL Job of the last release is deleted (a Job's pod template is immutable, so a
#      plain re-apply with a new image fails), then the overlay is applied;
#   2. the ETL Job (fetch the CSV, migrate + role passwords, load) must complete;
#   3. one training run from the CronJob's template must complete (named after RUN_ID, default a
#      timestamp; an existing one of the same name is replaced, so a re-run of a failed deploy works);
#   4. the API's rollout is awaited.
# Used by .github/workflows/deploy.yml (both environments) and by hand (docs/deploy.md). Needs
# kubectl with a context for the cluster, as a member of titanic-deployers or an admin.
set -euo pipefail
overlay=${1:?usage: deploy.sh OVERLAY_DIR [RUN_ID]}
run=${2:-$(date -u +%Y%m%d%H%M%S)}
ns=titanic
train="titanic-train-${run}"

diagnose() {
  echo "deploy.sh: failed; state of namespace $ns:" >&2
  kubectl -n "$ns" get pods,jobs,externalsecrets -o wide >&2 || true
  kubectl -n "$ns" get events --sort-by=.lastTimestamp 2>/dev/null | tail -20 >&2 || true
  kubectl -n "$ns" logs job/titanic-etl --all-containers --tail=50 >&2 || true
  kubectl -n "$ns" logs "job/$train" --tail=50 >&2 || true
}
trap diagnose ERR

echo "deploy.sh: apply $overlay"
kubectl -n "$ns" delete job titanic-etl --ignore-not-found --wait=true
kubectl apply -k "$overlay"

echo "deploy.sh: ETL Job (fetch-csv, migrate, load)"
kubectl -n "$ns" wait --for=condition=complete job/titanic-etl --timeout=20m

echo "deploy.sh: training run $train"
kubectl -n "$ns" delete job "$train" --ignore-not-found --wait=true
kubectl -n "$ns" create job "$train" --from=cronjob/titanic-train
kubectl -n "$ns" wait --for=condition=complete "job/$train" --timeout=30m

echo "deploy.sh: API rollout"
kubectl -n "$ns" rollout status deployment/titanic-api --timeout=10m
echo "deploy.sh: done"
