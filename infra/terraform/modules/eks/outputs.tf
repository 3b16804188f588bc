# What the environment root and the deployment (infra/k8s, the cluster add-on install script) need.

output "cluster_name" {
  description = "Name of the EKS cluster (aws eks update-kubeconfig --name ...)."
  value       = aws_eks_cluster.this.name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = aws_eks_cluster.this.endpoint
}

output "cluster_certificate_authority_data" {
  description = "Base64 CA certificate of the cluster."
  value       = aws_eks_cluster.this.certificate_authority[0].data
}

output "cluster_security_group_id" {
  description = "Security group of the nodes and pods (EKS cluster security group); the database accepts 5432 only from it."
  value       = aws_eks_cluster.this.vpc_config[0].cluster_security_group_id
}

output "alb_security_group_id" {
  description = "Security group for the Ingress annotation alb.ingress.kubernetes.io/security-groups."
  value       = aws_security_group.alb.id
}

output "oidc_provider_arn" {
  description = "ARN of the cluster's IAM OIDC provider."
  value       = aws_iam_openid_connect_provider.this.arn
}

output "oidc_issuer_host" {
  description = "Host and path of the cluster's OIDC issuer (the IRSA condition key prefix)."
  value       = local.oidc_issuer_host
}

output "irsa_role_arns" {
  description = "IAM role per service account, by key: etl, external_secrets, lb_controller, cluster_autoscaler, cloudwatch_agent."
  value       = { for k, r in aws_iam_role.irsa : k => r.arn }
}

output "irsa_service_accounts" {
  description = "namespace/service-account each IRSA role trusts, by the same keys as irsa_role_arns."
  value       = { for k, v in local.irsa_service_accounts : k => "${v.namespace}/${v.service_account}" }
}

output "node_group_name" {
  description = "Name of the managed node group (its Auto Scaling group is what the Cluster Autoscaler resizes)."
  value       = aws_eks_node_group.default.node_group_name
}

output "addon_names" {
  description = "EKS add-ons installed on the cluster."
  value       = sort(concat(keys(aws_eks_addon.before_nodes), keys(aws_eks_addon.after_nodes)))
}

output "control_plane_log_group_name" {
  description = "CloudWatch log group of the control-plane logs."
  value       = aws_cloudwatch_log_group.cluster.name
}

output "resources" {
  description = "The module's planned resources, read by the plan assertions of envs/*/tests (terraform test)."
  value = {
    cluster     = aws_eks_cluster.this
    node_group  = aws_eks_node_group.default
    addons      = merge(aws_eks_addon.before_nodes, aws_eks_addon.after_nodes)
    irsa_roles  = aws_iam_role.irsa
    alb_ingress = { http = aws_vpc_security_group_ingress_rule.alb_http, https = aws_vpc_security_group_ingress_rule.alb_https }
    log_group   = aws_cloudwatch_log_group.cluster
    node_ssm    = aws_iam_role_policy_attachment.node_ssm
    analyst     = aws_iam_policy.analyst_access
  }
}

output "analyst_access_policy_arn" {
  description = "Managed policy for analysts: SSM port forwarding through the nodes, the analyst URL secret."
  value       = aws_iam_policy.analyst_access.arn
}
