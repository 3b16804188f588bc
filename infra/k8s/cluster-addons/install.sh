#!/usr/bin/env bash
# Usage: infra/k8s/cluster-addons/install.sh ENV        (ENV = dev or prod)
# Installs the cluster components that are not EKS add-ons, from pinned Helm chart versions, with
# the IRSA roles Terraform made (read from `terraform output` of infra/terraform/envs/ENV):
# Order: the Cluster Autoscaler first, so that if the other releases do not fit on the minimum
# nodes, it adds nodes instead of leaving them Pending (a failed wait prints the Pending pods).
#   cluster-autoscaler            kube-system        grows/shrinks the managed node group within its
#                                                    min/max (auto-discovery by the ASG's tags)
#   aws-load-balancer-controller  kube-system        IngressClass "alb"; turns the Ingress into the ALB
#   external-secrets              external-secrets   CRDs external-secrets.io/v1 (SecretStore,
#                                                    ExternalSecret); the app's SecretStore brings
#                                                    its own identity, so the operator has no AWS role
# Idempotent: `helm upgrade --install` of a pinned version; running it again changes nothing, and a
# version bump here is the upgrade. Needs: terraform (with the env's backend initialised), kubectl
# with a context for the cluster (aws eks update-kubeconfig), helm 3.
# What the rendered manifests rely on is checked against this file by infra/tests/k8s
# (check-dependencies.mjs): keep each release on one `helm upgrade --install` line.
set -euo pipefail
env=${1:?usage: install.sh dev|prod}
case "$env" in dev | prod) ;; *) echo "install.sh: ENV must be dev or prod" >&2; exit 2 ;; esac
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
for tool in terraform kubectl helm; do
  command -v "$tool" >/dev/null 2>&1 || { echo "install.sh: $tool is not installed" >&2; exit 2; }
done
tf() { terraform -chdir="$ROOT/infra/terraform/envs/$env" output -raw "$1"; }
cluster=$(tf cluster_name)
region=$(tf aws_region)
vpc=$(tf vpc_id)
lbc_role=$(tf lb_controller_irsa_role_arn)
ca_role=$(tf cluster_autoscaler_irsa_role_arn)
current=$(kubectl config current-context)
case "$current" in *"$cluster"*) ;; *) echo "install.sh: kubectl context '$current' is not cluster $cluster (aws eks update-kubeconfig --name $cluster --region $region)" >&2; exit 2 ;; esac

# On a failed or timed-out release, say which pods are Pending and why (the scheduler's events),
# instead of set -e ending the script with helm's bare "context deadline exceeded".
pending_report() {
  echo "install.sh: pods not Running:" >&2
  kubectl get pods -A --field-selector=status.phase!=Running,status.phase!=Succeeded -o wide >&2 || true
  echo "install.sh: scheduler events (FailedScheduling) and node pod capacity:" >&2
  kubectl get events -A --field-selector=reason=FailedScheduling --sort-by=.lastTimestamp 2>/dev/null | tail -15 >&2 || true
  kubectl get nodes -o custom-columns=NODE:.metadata.name,PODS:.status.allocatable.pods,TYPE:.metadata.labels.node\\.kubernetes\\.io/instance-type >&2 || true
}
release() { # the helm command line; on failure: the Pending report, then exit
  "$@" || { echo "install.sh: release '$4' did not become ready" >&2; pending_report; exit 1; }
}

helm repo add eks https://aws.github.io/eks-charts --force-update >/dev/null
helm repo add external-secrets https://charts.external-secrets.io --force-update >/dev/null
helm repo add autoscaler https://kubernetes.github.io/autoscaler --force-update >/dev/null
helm repo update eks external-secrets autoscaler >/dev/null

echo "install.sh: cluster-autoscaler (chart 9.59.0, image v1.35.0 = the cluster's minor)"
release helm upgrade --install cluster-autoscaler autoscaler/cluster-autoscaler --version 9.59.0 \
  --namespace kube-system --wait --timeout 10m \
  --set image.tag=v1.35.0 --set awsRegion="$region" --set autoDiscovery.clusterName="$cluster" \
  --set rbac.serviceAccount.create=true --set rbac.serviceAccount.name=cluster-autoscaler \
  --set rbac.serviceAccount.annotations."eks\.amazonaws\.com/role-arn"="$ca_role" \
  --set extraArgs.balance-similar-node-groups=true --set extraArgs.skip-nodes-with-system-pods=false

echo "install.sh: aws-load-balancer-controller (chart 1.14.0) on $cluster"
release helm upgrade --install aws-load-balancer-controller eks/aws-load-balancer-controller --version 1.14.0 \
  --namespace kube-system --wait --timeout 10m \
  --set clusterName="$cluster" --set region="$region" --set vpcId="$vpc" \
  --set createIngressClassResource=true --set ingressClass=alb \
  --set serviceAccount.create=true --set serviceAccount.name=aws-load-balancer-controller \
  --set serviceAccount.annotations."eks\.amazonaws\.com/role-arn"="$lbc_role"

echo "install.sh: external-secrets (chart 0.20.4, serves external-secrets.io/v1)"
release helm upgrade --install external-secrets external-secrets/external-secrets --version 0.20.4 \
  --namespace external-secrets --create-namespace --wait --timeout 10m \
  --set installCRDs=true

kubectl wait --for=condition=established --timeout=120s \
  crd/externalsecrets.external-secrets.io crd/secretstores.external-secrets.io >/dev/null
kubectl get ingressclass alb >/dev/null
kubectl get apiservice v1beta1.metrics.k8s.io >/dev/null # the metrics-server EKS add-on (Terraform)
# The CI deploy role's rights (its EKS access entry puts it in the group titanic-deployers).
kubectl get namespace titanic >/dev/null 2>&1 || kubectl create namespace titanic >/dev/null
kubectl apply -f "$ROOT/infra/k8s/cluster-addons/deployer-rbac.yaml" >/dev/null
echo "install.sh: done (IngressClass alb, External Secrets CRDs, metrics API, deployer RBAC present)"
