variable "cluster_name" {
  type        = string
  description = "Name of the EKS cluster."

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9-]{0,99}$", var.cluster_name))
    error_message = "cluster_name must start with a letter and contain only letters, digits and dashes (max 100)."
  }
}

variable "kubernetes_version" {
  type        = string
  description = "Kubernetes minor version of the control plane and node group; one in EKS standard support (1.33 or newer)."

  validation {
    condition     = can(regex("^1\\.[0-9]{2}$", var.kubernetes_version)) && try(tonumber(split(".", var.kubernetes_version)[1]) >= 33, false)
    error_message = "kubernetes_version must look like 1.35 and be 1.33 or newer (EKS standard support)."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC the cluster runs in."

  validation {
    condition     = startswith(var.vpc_id, "vpc-")
    error_message = "vpc_id must be a VPC ID (vpc-...)."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC; the load balancer may only send traffic inside it."

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a valid IPv4 CIDR."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets for the control-plane ENIs and the managed node group."

  validation {
    condition     = length(var.private_subnet_ids) >= 2
    error_message = "EKS needs subnets in at least two availability zones."
  }
}

variable "endpoint_public_access_cidrs" {
  type        = list(string)
  description = "CIDRs allowed to reach the public Kubernetes API endpoint (CI runners, operators); required, never the whole internet."

  validation {
    condition     = length(var.endpoint_public_access_cidrs) > 0 && alltrue([for c in var.endpoint_public_access_cidrs : can(cidrhost(c, 0))])
    error_message = "List at least one valid CIDR."
  }

  validation {
    condition     = alltrue([for c in var.endpoint_public_access_cidrs : !contains(["0.0.0.0/0", "::/0"], c) && tonumber(split("/", c)[1]) >= 8])
    error_message = "The public Kubernetes endpoint must not be open to the internet: list CI and operator CIDRs (/8 or narrower), not 0.0.0.0/0."
  }
}

variable "node_instance_types" {
  type        = list(string)
  description = "EC2 instance types of the managed node group."

  validation {
    condition     = length(var.node_instance_types) > 0
    error_message = "At least one instance type is required."
  }
}

variable "node_min_size" {
  type        = number
  description = "Minimum number of nodes."

  validation {
    condition     = var.node_min_size >= 1
    error_message = "node_min_size must be at least 1."
  }
}

variable "node_max_size" {
  type        = number
  description = "Maximum number of nodes."

  validation {
    condition     = var.node_max_size >= 1 && var.node_max_size <= 20
    error_message = "node_max_size must be between 1 and 20."
  }
}

variable "node_desired_size" {
  type        = number
  description = "Initial number of nodes (later changes are left to the autoscaler)."

  validation {
    condition     = var.node_desired_size >= 1
    error_message = "node_desired_size must be at least 1."
  }
}

variable "node_disk_size" {
  type        = number
  description = "Root volume size of each node in GiB."
  default     = 20

  validation {
    condition     = var.node_disk_size >= 20
    error_message = "node_disk_size must be at least 20 GiB."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the control-plane log group in days."

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (e.g. 7, 14, 30, 90)."
  }
}

variable "app_namespace" {
  type        = string
  description = "Kubernetes namespace of the application."
  default     = "titanic"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.app_namespace))
    error_message = "app_namespace must be a DNS label."
  }
}

variable "etl_service_account" {
  type        = string
  description = "Kubernetes service account of the ETL Job (its IRSA role may read the data bucket)."
  default     = "titanic-etl"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.etl_service_account))
    error_message = "etl_service_account must be a DNS label."
  }
}

variable "external_secrets_service_account" {
  type        = string
  description = "Service account in the app namespace that the app's SecretStore authenticates as (External Secrets' own IRSA role)."
  default     = "titanic-external-secrets"

  validation {
    condition     = can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.external_secrets_service_account))
    error_message = "external_secrets_service_account must be a DNS label."
  }
}

variable "analyst_secret_name" {
  type        = string
  description = "Name of the secret with titanic_analyst's URL: the analysts' policy may read it (docs/analysts-aws.md)."
}

variable "app_secret_arns" {
  type        = list(string)
  description = "Secrets Manager ARNs External Secrets may read for the app (database URLs, role passwords, master secret, API keys); nothing else."

  validation {
    condition     = length(var.app_secret_arns) > 0 && alltrue([for a in var.app_secret_arns : startswith(a, "arn:")])
    error_message = "app_secret_arns must be a non-empty list of ARNs."
  }
}

variable "secrets_kms_key_arn" {
  type        = string
  description = "Customer-managed KMS key of the app's secrets; External Secrets may decrypt with it through Secrets Manager only."

  validation {
    condition     = startswith(var.secrets_kms_key_arn, "arn:")
    error_message = "secrets_kms_key_arn must be a KMS key ARN."
  }
}

variable "data_bucket_arn" {
  type        = string
  description = "ARN of the S3 bucket holding the ETL's input files (the ETL role may read its objects)."

  validation {
    condition     = startswith(var.data_bucket_arn, "arn:")
    error_message = "data_bucket_arn must be an S3 bucket ARN."
  }
}

variable "container_log_group_names" {
  type        = list(string)
  description = "Container Insights log groups (created with a retention elsewhere) that must exist before the CloudWatch observability add-on starts."
  default     = []
}

variable "addon_versions" {
  type        = map(string)
  description = "Optional exact versions of EKS add-ons by name (aws eks describe-addon-versions); an add-on not listed gets the EKS default for the cluster's Kubernetes version."
  default     = {}
}

variable "app_port" {
  type        = number
  description = "Container port of the API pods; the load balancer security group may reach only this port on the nodes/pods."
  default     = 5000

  validation {
    condition     = var.app_port > 0 && var.app_port < 65536
    error_message = "app_port must be a TCP port."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags added to every resource."
  default     = {}
}
