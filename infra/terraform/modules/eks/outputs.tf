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

output "app_irsa_role_arn" {
  description = "IAM role for the app service account (eks.amazonaws.com/role-arn annotation)."
  value       = aws_iam_role.irsa["app"].arn
}

output "external_secrets_irsa_role_arn" {
  description = "IAM role for the External Secrets operator service account."
  value       = aws_iam_role.irsa["external_secrets"].arn
}

output "lb_controller_irsa_role_arn" {
  description = "IAM role for the AWS Load Balancer Controller service account."
  value       = aws_iam_role.irsa["lb_controller"].arn
}

output "control_plane_log_group_name" {
  description = "CloudWatch log group of the control-plane logs."
  value       = aws_cloudwatch_log_group.cluster.name
}
