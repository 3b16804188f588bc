# dev: the values that differ from the other environment, and the ones every apply needs.
# Only this file and backend.tf are dev's own; the .tf files are links into shared/env.
environment = "dev"
aws_region  = "eu-west-1"

# network
vpc_cidr                = "10.0.0.0/16"
single_nat_gateway      = true
vpc_interface_endpoints = ["sts", "s3"]

# eks: 2-4 x t3.medium (17 pod slots each: a t3.small has 11, fewer than the add-ons need;
# infra/tests/k8s/check-capacity.mjs computes the headroom)
kubernetes_version      = "1.35"
eks_public_access_cidrs = ["203.0.113.0/24"] # placeholder (TEST-NET-3): set the CI runners' and operators' CIDRs
eks_node_instance_types = ["t3.medium"]
eks_node_min_size       = 2
eks_node_max_size       = 4
eks_node_desired_size   = 2

# database: db.t3.micro, 20 GB, single AZ, 7 days of backups, disposable
db_engine_version               = "15"
db_instance_class               = "db.t3.micro"
db_allocated_storage            = 20
db_multi_az                     = false
db_backup_retention_days        = 7
db_performance_insights_enabled = false
db_deletion_protection          = false
db_analyst_replica              = false
db_skip_final_snapshot          = true

# monitoring and registry
log_retention_days          = 30
alarm_email                 = "titanic-ops@example.com"
training_max_age_days       = 2 # the CronJob's interval (daily) plus a margin
ecr_keep_tagged_images      = 30
secret_recovery_window_days = 0

# deploy identity (GitHub OIDC) and image promotion dev -> prod
github_repository       = "example-org/titanic" # placeholder: the repository that runs .github/workflows/deploy.yml
github_environment      = "dev"
ecr_pull_principal_arns = ["arn:aws:iam::222222222222:role/titanic-prod-deploy"] # prod account (placeholder): promotion pulls from here
