# prod: the values that differ from the other environment, and the ones every apply needs.
# Only this file and backend.tf are prod's own; the .tf files are links into shared/env.
environment = "prod"
aws_region  = "eu-west-1"

# network
vpc_cidr                = "10.0.0.0/16"
single_nat_gateway      = false
vpc_interface_endpoints = ["sts", "s3", "ecr.api", "ecr.dkr", "secretsmanager", "logs"]

# eks: 2-5 x t3.medium
kubernetes_version      = "1.35"
eks_public_access_cidrs = ["203.0.113.0/24"] # placeholder (TEST-NET-3): set the CI runners' and operators' CIDRs
eks_node_instance_types = ["t3.medium"]
eks_node_min_size       = 2
eks_node_max_size       = 5
eks_node_desired_size   = 2

# database: db.t3.small, 100 GB, Multi-AZ, 30 days of backups, protected
db_engine_version               = "15"
db_instance_class               = "db.t3.small"
db_allocated_storage            = 100
db_multi_az                     = true
db_backup_retention_days        = 30
db_performance_insights_enabled = true
db_deletion_protection          = true
db_analyst_replica              = true
db_skip_final_snapshot          = false

# monitoring and registry
log_retention_days          = 30
alarm_email                 = "titanic-ops@example.com"
training_max_age_days       = 7 # the CronJob's weekly interval (7 days is CloudWatch's longest evaluation range)
ecr_keep_tagged_images      = 30
secret_recovery_window_days = 30

# deploy identity (GitHub OIDC) and image promotion dev -> prod
github_repository               = "example-org/titanic" # placeholder: the repository that runs .github/workflows/deploy.yml
github_environment              = "production"
ecr_promote_from_repository_arn = "arn:aws:ecr:eu-west-1:111111111111:repository/titanic-dev/api" # dev account (placeholder)
