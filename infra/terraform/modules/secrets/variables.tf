variable "name_prefix" {
  type        = string
  description = "Secret name prefix, e.g. titanic/dev: secrets are <prefix>/database-url/<role>, <prefix>/db-role-password/<role>, <prefix>/db-connection, <prefix>/api-keys."

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_+=.@-]+$", var.name_prefix)) && !endswith(var.name_prefix, "/")
    error_message = "name_prefix may contain only characters Secrets Manager allows and must not end with a slash."
  }
}

variable "db_host" {
  type        = string
  description = "Database host name (RDS address)."

  validation {
    condition     = length(var.db_host) > 0
    error_message = "db_host must not be empty."
  }
}

variable "db_port" {
  type        = number
  description = "Database port."
  default     = 5432

  validation {
    condition     = var.db_port > 0 && var.db_port < 65536
    error_message = "db_port must be a TCP port."
  }
}

variable "db_name" {
  type        = string
  description = "Database name."

  validation {
    condition     = length(var.db_name) > 0
    error_message = "db_name must not be empty."
  }
}

variable "db_roles" {
  type        = list(string)
  description = "Least-privilege database roles the migrations create (NOLOGIN); each gets a password and a DATABASE_URL secret."
  default     = ["titanic_api", "titanic_etl", "titanic_train", "titanic_analyst"]

  validation {
    condition     = length(var.db_roles) > 0 && alltrue([for r in var.db_roles : can(regex("^[a-z][a-z0-9_]{0,62}$", r))])
    error_message = "db_roles must be PostgreSQL role names."
  }
}

variable "analyst_db_host" {
  type        = string
  description = "Host in titanic_analyst's URL: prod's read replica, so analysts' queries never load the primary; empty = db_host."
  default     = ""
}

variable "password_length" {
  type        = number
  description = "Length of the generated role passwords."
  default     = 32

  validation {
    condition     = var.password_length >= 16 && var.password_length <= 128
    error_message = "password_length must be between 16 and 128."
  }
}

variable "recovery_window_in_days" {
  type        = number
  description = "Days a deleted secret can still be restored."
  default     = 7

  validation {
    condition     = var.recovery_window_in_days == 0 || (var.recovery_window_in_days >= 7 && var.recovery_window_in_days <= 30)
    error_message = "recovery_window_in_days must be 0 or between 7 and 30."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags added to every resource."
  default     = {}
}
