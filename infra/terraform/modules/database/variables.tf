variable "identifier" {
  type        = string
  description = "RDS instance identifier and name prefix (e.g. titanic-dev)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,50}$", var.identifier))
    error_message = "identifier must start with a lowercase letter and contain only lowercase letters, digits and dashes."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC of the database security group."

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets of the DB subnet group (one per AZ, at least two)."

  validation {
    condition     = length(var.subnet_ids) >= 2
    error_message = "A DB subnet group needs subnets in at least two availability zones."
  }
}

variable "allowed_security_group_ids" {
  type        = list(string)
  description = "Security groups allowed to connect on 5432 (the EKS node/pod security group). No CIDR is ever allowed."

  validation {
    condition     = length(var.allowed_security_group_ids) > 0 && alltrue([for id in var.allowed_security_group_ids : startswith(id, "sg-")])
    error_message = "allowed_security_group_ids must be a non-empty list of security group IDs."
  }
}

variable "engine_version" {
  type        = string
  description = "PostgreSQL engine version: the major 15 (RDS picks its default minor and upgrades minors in the maintenance window), or an exact 15.x minor."
  default     = "15"

  validation {
    condition     = can(regex("^15(\\.[0-9]+)?$", var.engine_version))
    error_message = "engine_version must be 15 or a PostgreSQL 15 minor version such as 15.15."
  }
}

variable "instance_class" {
  type        = string
  description = "RDS instance class (db.t3.micro in dev, db.t3.small in prod)."

  validation {
    condition     = startswith(var.instance_class, "db.")
    error_message = "instance_class must be an RDS class such as db.t3.micro."
  }
}

variable "allocated_storage" {
  type        = number
  description = "Allocated gp3 storage in GB."

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 16384
    error_message = "allocated_storage must be between 20 and 16384 GB."
  }
}

variable "max_allocated_storage" {
  type        = number
  description = "Upper bound for storage autoscaling in GB; 0 disables autoscaling."
  default     = 0

  validation {
    condition     = var.max_allocated_storage == 0 || var.max_allocated_storage >= 20
    error_message = "max_allocated_storage must be 0 or at least 20."
  }
}

variable "multi_az" {
  type        = bool
  description = "Run a synchronous standby in a second AZ."
}

variable "backup_retention_days" {
  type        = number
  description = "Days of automated backups (point-in-time recovery window)."

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35
    error_message = "backup_retention_days must be between 1 and 35."
  }
}

variable "performance_insights_enabled" {
  type        = bool
  description = "Enable Performance Insights (7 days, free tier retention)."
}

variable "deletion_protection" {
  type        = bool
  description = "Refuse to delete the instance until this is turned off."
}

variable "skip_final_snapshot" {
  type        = bool
  description = "Delete without a final snapshot (dev only)."
}

variable "database_name" {
  type        = string
  description = "Name of the application database."
  default     = "titanic"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.database_name))
    error_message = "database_name must be a valid PostgreSQL identifier."
  }
}

variable "master_username" {
  type        = string
  description = "Master user name."
  default     = "titanic_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.master_username)) && var.master_username != "postgres"
    error_message = "master_username must be a lowercase identifier of at most 16 characters and not a reserved name."
  }
}

variable "master_user_secret_kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key that encrypts the RDS-managed master user secret."

  validation {
    condition     = startswith(var.master_user_secret_kms_key_arn, "arn:")
    error_message = "master_user_secret_kms_key_arn must be a KMS key ARN."
  }
}

variable "read_replica" {
  type        = bool
  description = "A read replica of the primary for the analysts (titanic_analyst's URL points at it)."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Extra tags added to every resource."
  default     = {}
}
