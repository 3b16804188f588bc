# Not a root: envs/dev and envs/prod link this file (relative symlinks) and are the roots;
# only their terraform.tfvars and backend.tf differ (the test suite checks that).

variable "environment" {
  type        = string
  description = "Environment name; prefixes every resource (titanic-<environment>)."

  validation {
    condition     = contains(["dev", "prod"], var.environment)
    error_message = "environment must be dev or prod."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region of the environment."

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

# --- network ---------------------------------------------------------------------------------

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the VPC."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a valid IPv4 CIDR."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "One shared NAT gateway (true: dev's cost choice) or one per AZ (false: prod, so one AZ's outage does not cut the others' egress)."
}

variable "vpc_interface_endpoints" {
  type        = list(string)
  description = "Interface endpoints in the private subnets (sts, s3, ecr.api, ecr.dkr, secretsmanager, logs). sts and s3 are required: the ETL's HTTPS egress is limited to the VPC."

  validation {
    condition     = contains(var.vpc_interface_endpoints, "sts") && contains(var.vpc_interface_endpoints, "s3")
    error_message = "vpc_interface_endpoints must include sts and s3 (the ETL Job reaches only them, inside the VPC)."
  }
}

variable "secret_recovery_window_days" {
  type        = number
  description = "Days a deleted secret stays restorable: 0 in dev (an environment can be destroyed and re-created at once), 30 in prod."
}

# --- eks ---------------------------------------------------------------------------------------

variable "kubernetes_version" {
  type        = string
  description = "Kubernetes minor version of the cluster: one in EKS standard support (CI's kubectl is kept within one minor of it)."

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version)) && try(tonumber(split(".", var.kubernetes_version)[1]) >= 33, false)
    error_message = "kubernetes_version must look like 1.35 and be 1.33 or newer."
  }
}

variable "eks_public_access_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the public Kubernetes API endpoint: the CI runners' and operators' addresses. Required; never 0.0.0.0/0."

  validation {
    condition     = length(var.eks_public_access_cidrs) > 0 && alltrue([for c in var.eks_public_access_cidrs : can(cidrhost(c, 0)) && !contains(["0.0.0.0/0", "::/0"], c)])
    error_message = "List the CI and operator CIDRs; 0.0.0.0/0 (the whole internet) is not allowed."
  }
}

variable "eks_node_instance_types" {
  type        = list(string)
  description = "Instance types of the managed node group."

  validation {
    condition     = length(var.eks_node_instance_types) > 0
    error_message = "At least one instance type is required."
  }
}

variable "eks_node_min_size" {
  type        = number
  description = "Minimum number of nodes."

  validation {
    condition     = var.eks_node_min_size >= 1
    error_message = "eks_node_min_size must be at least 1."
  }
}

variable "eks_node_max_size" {
  type        = number
  description = "Maximum number of nodes."

  validation {
    condition     = var.eks_node_max_size >= 1
    error_message = "eks_node_max_size must be at least 1."
  }
}

variable "eks_node_desired_size" {
  type        = number
  description = "Initial number of nodes."

  validation {
    condition     = var.eks_node_desired_size >= 1
    error_message = "eks_node_desired_size must be at least 1."
  }
}

# --- database ------------------------------------------------------------------------------------

variable "db_engine_version" {
  type        = string
  description = "PostgreSQL engine version: \"15\" pins the major; RDS creates its current default 15.x minor and applies minor upgrades in the maintenance window."

  validation {
    condition     = can(regex("^15(\\.[0-9]+)?$", var.db_engine_version))
    error_message = "db_engine_version must be 15 or a PostgreSQL 15 minor version."
  }
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class."

  validation {
    condition     = startswith(var.db_instance_class, "db.")
    error_message = "db_instance_class must be an RDS class such as db.t3.micro."
  }
}

variable "db_allocated_storage" {
  type        = number
  description = "Allocated gp3 storage in GB."

  validation {
    condition     = var.db_allocated_storage >= 20
    error_message = "db_allocated_storage must be at least 20 GB."
  }
}

variable "db_multi_az" {
  type        = bool
  description = "Multi-AZ standby for the database."
}

variable "db_backup_retention_days" {
  type        = number
  description = "Days of automated database backups."

  validation {
    condition     = var.db_backup_retention_days >= 1 && var.db_backup_retention_days <= 35
    error_message = "db_backup_retention_days must be between 1 and 35."
  }
}

variable "db_performance_insights_enabled" {
  type        = bool
  description = "Performance Insights on the database."
}

variable "db_analyst_replica" {
  type        = bool
  description = "A read replica for the analysts' role (titanic_analyst's URL points at it); without one, analysts use the primary."
}

variable "db_deletion_protection" {
  type        = bool
  description = "Deletion protection on the database."
}

variable "db_skip_final_snapshot" {
  type        = bool
  description = "Skip the final snapshot when the database is destroyed."
}

# --- monitoring and registry ---------------------------------------------------------------------

variable "log_retention_days" {
  type        = number
  description = "Retention of the control-plane and application log groups in days."

  validation {
    condition     = var.log_retention_days >= 1
    error_message = "log_retention_days must be positive."
  }
}

variable "alarm_email" {
  type        = string
  description = "E-mail address that receives the CloudWatch alarms."

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address."
  }
}

variable "training_max_age_days" {
  type        = number
  description = "Days without a successful training run before the training-stale alarm fires: the CronJob's interval plus a margin (dev trains daily, prod weekly)."
}

variable "ecr_keep_tagged_images" {
  type        = number
  description = "How many tagged images ECR keeps."

  validation {
    condition     = var.ecr_keep_tagged_images >= 1
    error_message = "ecr_keep_tagged_images must be at least 1."
  }
}

variable "drift_positive_ratio_min" {
  type        = number
  description = "Prediction drift alarm: lower bound of the hourly share of predicted survivors."
  default     = 0.2
}

variable "drift_positive_ratio_max" {
  type        = number
  description = "Prediction drift alarm: upper bound of the hourly share of predicted survivors."
  default     = 0.6
}

variable "drift_missing_age_ratio_max" {
  type        = number
  description = "Input drift alarm: upper bound of the hourly share of requests without an age."
  default     = 0.5
}

# --- deploy identity and promotion (modules/deploy) ----------------------------------------------

variable "github_repository" {
  type        = string
  description = "GitHub repository (owner/name) whose deploy workflow may assume this environment's deploy role."
}

variable "github_environment" {
  type        = string
  description = "GitHub environment of this environment's deploy jobs (dev, production)."

  validation {
    condition     = contains(["dev", "production"], var.github_environment)
    error_message = "github_environment must be dev or production (the environments of .github/workflows/deploy.yml)."
  }
}

variable "create_github_oidc_provider" {
  type        = bool
  description = "Create GitHub's OIDC provider in this account (false when another environment in the same account already did)."
  default     = true
}

variable "ecr_promote_from_repository_arn" {
  type        = string
  description = "prod: ARN of dev's ECR repository, from which the deploy role copies the tested image (same digest); dev: empty."
  default     = ""

  validation {
    condition     = var.ecr_promote_from_repository_arn == "" || startswith(var.ecr_promote_from_repository_arn, "arn:aws:ecr:")
    error_message = "ecr_promote_from_repository_arn must be empty or an ECR repository ARN."
  }
}

variable "ecr_pull_principal_arns" {
  type        = list(string)
  description = "dev: IAM role ARNs of other accounts that may pull from this repository (prod's deploy role); prod: none."
  default     = []
}
