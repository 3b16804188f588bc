# EKS add-ons that make the cluster usable on day one, all managed by EKS (versions: the EKS default
# for the cluster's Kubernetes version unless addon_versions pins one):
#   vpc-cni                          pod networking, with the network-policy agent ON, so the
#                                    app's NetworkPolicies are enforced (not silently ignored);
#   coredns, kube-proxy              cluster DNS and Service routing;
#   metrics-server                   the metrics.k8s.io API the HPA scales on;
#   amazon-cloudwatch-observability  CloudWatch agent + Fluent Bit: container logs into
#                                    /aws/containerinsights/<cluster>/application, where the
#                                    monitoring module's metric filters read them.
# The Load Balancer Controller, External Secrets and the Cluster Autoscaler are not EKS add-ons:
# infra/k8s/cluster-addons/install.sh installs them (pinned Helm charts, idempotent).

locals {
  addons = {
    vpc-cni = {
      configuration = { enableNetworkPolicy = "true" }
      role          = null
      needs_nodes   = false
    }
    kube-proxy = {
      configuration = null
      role          = null
      needs_nodes   = false
    }
    coredns = {
      configuration = null
      role          = null
      needs_nodes   = true
    }
    metrics-server = {
      configuration = null
      role          = null
      needs_nodes   = true
    }
    amazon-cloudwatch-observability = {
      configuration = null
      role          = "cloudwatch_agent"
      needs_nodes   = true
    }
  }
}

# Networking first, so that nodes join with network policy enforcement already configured.
resource "aws_eks_addon" "before_nodes" {
  for_each = { for k, v in local.addons : k => v if !v.needs_nodes }

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = lookup(var.addon_versions, each.key, null)
  configuration_values        = each.value.configuration == null ? null : jsonencode(each.value.configuration)
  service_account_role_arn    = each.value.role == null ? null : aws_iam_role.irsa[each.value.role].arn
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags
}

# The container log groups (created with a retention by the monitoring module) must exist before
# Fluent Bit writes, or it creates them itself without one: this orders the add-on after them.
resource "terraform_data" "container_log_groups" {
  input = var.container_log_group_names
}

# Everything that runs as Deployments/DaemonSets needs nodes to become ACTIVE.
resource "aws_eks_addon" "after_nodes" {
  for_each = { for k, v in local.addons : k => v if v.needs_nodes }

  cluster_name                = aws_eks_cluster.this.name
  addon_name                  = each.key
  addon_version               = lookup(var.addon_versions, each.key, null)
  configuration_values        = each.value.configuration == null ? null : jsonencode(each.value.configuration)
  service_account_role_arn    = each.value.role == null ? null : aws_iam_role.irsa[each.value.role].arn
  resolve_conflicts_on_create = "OVERWRITE"
  resolve_conflicts_on_update = "OVERWRITE"

  tags = var.tags

  depends_on = [aws_eks_node_group.default, terraform_data.container_log_groups]
}
