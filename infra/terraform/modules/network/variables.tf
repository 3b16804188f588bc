variable "name" {
  type        = string
  description = "Name prefix for every network resource (e.g. titanic-dev)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the VPC."
  default     = "10.0.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && try(tonumber(split("/", var.vpc_cidr)[1]) <= 16, false)
    error_message = "vpc_cidr must be a valid IPv4 CIDR of size /16 or larger."
  }
}

variable "az_count" {
  type        = number
  description = "Number of availability zones to spread subnets over."
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3 (EKS and RDS subnet groups need at least two AZs)."
  }
}

variable "single_nat_gateway" {
  type        = bool
  description = "true: one NAT gateway shared by all private subnets (cheapest). false: one NAT gateway per AZ (survives an AZ outage)."
  default     = true
}

variable "interface_endpoints" {
  type        = list(string)
  description = "AWS services (endpoint suffixes such as sts, s3, ecr.api, ecr.dkr, secretsmanager, logs) that get an interface endpoint in the private subnets."
  default     = []

  validation {
    condition     = alltrue([for e in var.interface_endpoints : contains(["sts", "s3", "ecr.api", "ecr.dkr", "secretsmanager", "logs"], e)])
    error_message = "interface_endpoints: one of sts, s3, ecr.api, ecr.dkr, secretsmanager, logs."
  }
}

variable "cluster_name" {
  type        = string
  description = "EKS cluster name, used in the kubernetes.io/cluster/<name> subnet tag that the AWS Load Balancer Controller discovers."

  validation {
    condition     = length(var.cluster_name) > 0
    error_message = "cluster_name must not be empty."
  }
}

variable "flow_log_retention_days" {
  type        = number
  description = "Retention of the VPC flow log group in days."
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a value CloudWatch Logs accepts (e.g. 7, 14, 30, 90)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags added to every resource."
  default     = {}
}
