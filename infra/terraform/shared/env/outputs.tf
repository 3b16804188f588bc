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

output "db_engine_version" {
  description = "PostgreSQL version RDS runs: the current 15.x minor (major pinned to 15)."
  value       = module.database.engine_version_actual
}

output "db_master_secret_arn" {
  description = "RDS-managed master secret (JSON username/password): overlay setting DB_MASTER_SECRET_ARN, read only by the ETL Job's migrate step."
  value       = module.database.master_user_secret_arn
}

output "database_url_secret_arns" {
  description = "DATABASE_URL secret per database role (titanic_api, titanic_etl, titanic_train); the ExternalSecrets name them <prefix>/database-url/<role>."
  value       = module.secrets.database_url_secret_arns
}

output "secret_name_prefix" {
  description = "Prefix of the app's secret names (titanic/<env>)."
  value       = module.secrets.secret_name_prefix
}

output "api_keys_secret_arn" {
  description = "Secret holding the API key digests (value set by operators: infra/README.md, API keys)."
  value       = module.secrets.api_keys_secret_arn
}

output "ecr_repository_url" {
  description = "ECR repository the CI pushes the titanic image to."
  value       = module.registry.repository_url
}

output "etl_irsa_role_arn" {
  description = "ServiceAccount titanic/titanic-etl annotation eks.amazonaws.com/role-arn (reads the data bucket)."
  value       = module.eks.irsa_role_arns["etl"]
}

output "external_secrets_irsa_role_arn" {
  description = "ServiceAccount titanic/titanic-external-secrets annotation (the app SecretStore's identity: reads only the app's secrets)."
  value       = module.eks.irsa_role_arns["external_secrets"]
}

output "lb_controller_irsa_role_arn" {
  description = "ServiceAccount kube-system/aws-load-balancer-controller annotation (infra/k8s/cluster-addons/install.sh)."
  value       = module.eks.irsa_role_arns["lb_controller"]
}

output "cluster_autoscaler_irsa_role_arn" {
  description = "ServiceAccount kube-system/cluster-autoscaler annotation (infra/k8s/cluster-addons/install.sh)."
  value       = module.eks.irsa_role_arns["cluster_autoscaler"]
}

output "data_bucket_name" {
  description = "Bucket of the ETL's input (CSV_S3_URI=s3://<data_bucket_name>/titanic.csv)."
  value       = module.storage.data_bucket_name
}

output "alb_logs_bucket_name" {
  description = "Bucket of the ALB access logs (overlay setting ALB_LOGS_BUCKET)."
  value       = module.storage.alb_logs_bucket_name
}

output "alarm_topic_arn" {
  description = "SNS topic of the CloudWatch alarms."
  value       = module.monitoring.alarm_topic_arn
}

output "container_log_group_names" {
  description = "Container Insights log groups (application logs land in the application group)."
  value       = module.monitoring.container_log_group_names
}

output "deploy_role_arn" {
  description = "GitHub Actions deploy role (GitHub environment variable AWS_DEPLOY_ROLE_ARN)."
  value       = module.deploy.deploy_role_arn
}

output "deploy_runner_project" {
  description = "CodeBuild project of the in-VPC deploy runner (GitHub environment variable DEPLOY_RUNNER_PROJECT)."
  value       = module.deploy.runner_project_name
}

output "github_connection_arn" {
  description = "GitHub connection of the runner: authorise it once in the console (Developer Tools > Connections)."
  value       = module.deploy.github_connection_arn
}

output "alb_subnets_cidr" {
  description = "CIDR of the public subnets (the ALB): the overlay's ALB_SUBNETS_CIDR, the API NetworkPolicy's only source."
  value       = module.network.alb_subnets_cidr
}

output "analyst_database_url_secret" {
  description = "Secrets Manager secret with titanic_analyst's URL (prod: the read replica); docs/analysts-aws.md."
  value       = "titanic/${var.environment}/database-url/titanic_analyst"
}

output "analyst_db_host" {
  description = "Host analysts reach through SSM port forwarding (prod: the read replica)."
  value       = module.database.analyst_address
}

output "analyst_access_policy_arn" {
  description = "IAM policy to attach to the analysts (SSM port forwarding to the database, their URL secret); docs/analysts-aws.md."
  value       = module.eks.analyst_access_policy_arn
}
