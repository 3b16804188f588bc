# What the deployment (infra/k8s overlays, CI) consumes; see infra/README.md "## Terraform".

output "aws_region" {
  description = "Region of the environment."
  value       = var.aws_region
}

output "cluster_name" {
  description = "EKS cluster name: aws eks update-kubeconfig --name <cluster_name>."
  value       = module.eks.cluster_name
}

output "cluster_endpoint" {
  description = "Kubernetes API endpoint."
  value       = module.eks.cluster_endpoint
}

output "alb_security_group_id" {
  description = "Ingress annotation alb.ingress.kubernetes.io/security-groups."
  value       = module.eks.alb_security_group_id
}

output "vpc_id" {
  description = "VPC ID (AWS Load Balancer Controller --aws-vpc-id)."
  value       = module.network.vpc_id
}

output "vpc_cidr" {
  description = "VPC CIDR (NetworkPolicy ingress to the pods from the load balancer)."
  value       = var.vpc_cidr
}

output "db_endpoint" {
  description = "host:port of the RDS PostgreSQL instance."
  value       = module.database.endpoint
}

output "database_url_secret_arn" {
  description = "ARN of the DATABASE_URL secret."
  value       = module.secrets.database_url_secret_arn
}

output "database_url_secret_name" {
  description = "Name of the DATABASE_URL secret (ExternalSecret remoteRef.key)."
  value       = module.secrets.database_url_secret_name
}

output "db_master_secret_arn" {
  description = "ARN of the master credentials secret (operators only, not mounted in pods)."
  value       = module.secrets.master_secret_arn
}

output "ecr_repository_url" {
  description = "ECR repository the CI pushes the titanic image to."
  value       = module.registry.repository_url
}

output "app_irsa_role_arn" {
  description = "ServiceAccount titanic/titanic-api annotation eks.amazonaws.com/role-arn."
  value       = module.eks.app_irsa_role_arn
}

output "external_secrets_irsa_role_arn" {
  description = "ServiceAccount external-secrets/external-secrets annotation eks.amazonaws.com/role-arn."
  value       = module.eks.external_secrets_irsa_role_arn
}

output "lb_controller_irsa_role_arn" {
  description = "ServiceAccount kube-system/aws-load-balancer-controller annotation eks.amazonaws.com/role-arn."
  value       = module.eks.lb_controller_irsa_role_arn
}

output "alarm_topic_arn" {
  description = "SNS topic of the CloudWatch alarms."
  value       = module.monitoring.alarm_topic_arn
}

output "log_group_names" {
  description = "Application log groups (api, etl, train) for the log shipper."
  value       = module.monitoring.log_group_names
}
