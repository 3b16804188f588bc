# Inputs of the storage module (bucket name prefix, log retention).

variable "name" {
  type        = string
  description = "Bucket name prefix (e.g. titanic-dev); the account ID is appended for global uniqueness."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name must be 2-31 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "alb_log_prefix" {
  type        = string
  description = "Key prefix of the ALB access logs (the Ingress annotation access_logs.s3.prefix)."
  default     = "titanic-api"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]*$", var.alb_log_prefix))
    error_message = "alb_log_prefix must be lowercase letters, digits and dashes."
  }
}

variable "alb_log_retention_days" {
  type        = number
  description = "Days the ALB access logs are kept."
  default     = 90

  validation {
    condition     = var.alb_log_retention_days >= 1
    error_message = "alb_log_retention_days must be positive."
  }
}

variable "force_destroy" {
  type        = bool
  description = "Let terraform destroy delete non-empty buckets (dev only)."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Extra tags added to every resource."
  default     = {}
}
