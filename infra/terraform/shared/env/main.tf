# Not a root: envs/dev and envs/prod link this file (relative symlinks) and are the roots;
# only their terraform.tfvars and backend.tf differ (the test suite checks that). Module
# sources are relative to the root (envs/<env>); this directory sits at the same depth.

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

locals {
  name         = "titanic-${var.environment}"
  cluster_name = local.name

  tags = {
    Project     = "titanic"
    Environment = var.environment
    ManagedBy   = "terraform"
  }
}

module "network" {
  source = "../../modules/network"

  name                    = local.name
  vpc_cidr                = var.vpc_cidr
  single_nat_gateway      = var.single_nat_gateway
  interface_endpoints     = var.vpc_interface_endpoints
  cluster_name            = local.cluster_name
  flow_log_retention_days = var.log_retention_days
}

module "storage" {
  source = "../../modules/storage"

  name          = local.name
  force_destroy = !var.db_deletion_protection
}

module "eks" {
  source = "../../modules/eks"

  cluster_name                 = local.cluster_name
  kubernetes_version           = var.kubernetes_version
  vpc_id                       = module.network.vpc_id
  vpc_cidr                     = var.vpc_cidr
  private_subnet_ids           = module.network.private_subnet_ids
  endpoint_public_access_cidrs = var.eks_public_access_cidrs

  node_instance_types = var.eks_node_instance_types
  node_min_size       = var.eks_node_min_size
  node_max_size       = var.eks_node_max_size
  node_desired_size   = var.eks_node_desired_size
  log_retention_days  = var.log_retention_days

  app_namespace             = "titanic"
  etl_service_account       = "titanic-etl"
  data_bucket_arn           = module.storage.data_bucket_arn
  app_secret_arns           = concat(module.secrets.secret_arns, [module.database.master_user_secret_arn])
  secrets_kms_key_arn       = module.secrets.kms_key_arn
  analyst_secret_name       = "titanic/${var.environment}/database-url/titanic_analyst"
  container_log_group_names = values(module.monitoring.container_log_group_names)
}

module "database" {
  source = "../../modules/database"

  identifier                 = local.name
  vpc_id                     = module.network.vpc_id
  subnet_ids                 = module.network.private_subnet_ids
  allowed_security_group_ids = [module.eks.cluster_security_group_id]

  engine_version               = var.db_engine_version
  instance_class               = var.db_instance_class
  allocated_storage            = var.db_allocated_storage
  multi_az                     = var.db_multi_az
  backup_retention_days        = var.db_backup_retention_days
  performance_insights_enabled = var.db_performance_insights_enabled
  deletion_protection          = var.db_deletion_protection
  skip_final_snapshot          = var.db_skip_final_snapshot
  read_replica                 = var.db_analyst_replica

  master_user_secret_kms_key_arn = module.secrets.kms_key_arn
}

module "secrets" {
  source = "../../modules/secrets"

  name_prefix = "titanic/${var.environment}"
  db_host     = module.database.address
  db_port     = module.database.port
  db_name     = module.database.database_name

  analyst_db_host         = module.database.analyst_address
  recovery_window_in_days = var.secret_recovery_window_days
}

module "monitoring" {
  source = "../../modules/monitoring"

  name                    = local.name
  cluster_name            = local.cluster_name
  log_retention_days      = var.log_retention_days
  alarm_email             = var.alarm_email
  db_instance_identifier  = module.database.db_instance_identifier
  db_allocated_storage_gb = var.db_allocated_storage
  db_instance_class       = var.db_instance_class
  node_max_size           = var.eks_node_max_size
  training_max_age_days   = var.training_max_age_days

  drift_positive_ratio_min    = var.drift_positive_ratio_min
  drift_positive_ratio_max    = var.drift_positive_ratio_max
  drift_missing_age_ratio_max = var.drift_missing_age_ratio_max
}

module "registry" {
  source = "../../modules/registry"

  repository_name    = "titanic-${var.environment}/api"
  keep_tagged_images = var.ecr_keep_tagged_images
}

module "deploy" {
  source = "../../modules/deploy"

  name                        = local.name
  github_repository           = var.github_repository
  github_environment          = var.github_environment
  create_github_oidc_provider = var.create_github_oidc_provider
  cluster_name                = module.eks.cluster_name
  cluster_security_group_id   = module.eks.cluster_security_group_id
  ecr_repository_name         = module.registry.repository_name
  promote_from_repository_arn = var.ecr_promote_from_repository_arn
  pull_principal_arns         = var.ecr_pull_principal_arns
  vpc_id                      = module.network.vpc_id
  vpc_cidr                    = var.vpc_cidr
  subnet_ids                  = module.network.private_subnet_ids
  log_retention_days          = var.log_retention_days
}
