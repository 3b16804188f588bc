variable "aws_region" {
  type        = string
  description = "Region of the state bucket and lock table (the same region as the environments)."
  default     = "eu-west-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as eu-west-1."
  }
}

variable "state_bucket_name" {
  type        = string
  description = "Globally unique name of the S3 bucket holding the Terraform state of every environment."
  default     = "titanic-terraform-state"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name."
  }
}

variable "lock_table_name" {
  type        = string
  description = "Name of the DynamoDB table used for state locking."
  default     = "titanic-terraform-locks"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.lock_table_name))
    error_message = "lock_table_name must be a valid DynamoDB table name."
  }
}

variable "noncurrent_version_expiry_days" {
  type        = number
  description = "Days to keep superseded state versions (the undo history of the state)."
  default     = 90

  validation {
    condition     = var.noncurrent_version_expiry_days >= 30
    error_message = "Keep old state versions for at least 30 days."
  }
}
