# Inputs of the monitoring module: names, retention, alarm recipients and thresholds.

variable "name" {
  type        = string
  description = "Name prefix of the log groups, alarms and topic (e.g. titanic-dev)."

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,50}$", var.name))
    error_message = "name must be lowercase letters, digits and dashes."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the application log groups in days."

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (e.g. 7, 14, 30, 90)."
  }
}

variable "cluster_name" {
  type        = string
  description = "EKS cluster name; Container Insights writes to /aws/containerinsights/<cluster_name>/<type>."

  validation {
    condition     = length(var.cluster_name) > 0
    error_message = "cluster_name must not be empty."
  }
}

variable "container_log_types" {
  type        = list(string)
  description = "Container Insights log groups to create with a retention (application must be one: the drift metric filters read it)."
  default     = ["application", "dataplane", "host", "performance"]

  validation {
    condition     = contains(var.container_log_types, "application")
    error_message = "container_log_types must include application."
  }
}

variable "drift_positive_ratio_min" {
  type        = number
  description = "Alarm when the hourly average share of predicted survivors falls below this."
  default     = 0.2

  validation {
    condition     = var.drift_positive_ratio_min >= 0 && var.drift_positive_ratio_min < 1
    error_message = "drift_positive_ratio_min must be in [0, 1)."
  }
}

variable "drift_positive_ratio_max" {
  type        = number
  description = "Alarm when the hourly average share of predicted survivors rises above this."
  default     = 0.6

  validation {
    condition     = var.drift_positive_ratio_max > 0 && var.drift_positive_ratio_max <= 1
    error_message = "drift_positive_ratio_max must be in (0, 1]."
  }
}

variable "drift_missing_age_ratio_max" {
  type        = number
  description = "Alarm when the hourly average share of requests without an age rises above this (about 0.2 in the training data)."
  default     = 0.5

  validation {
    condition     = var.drift_missing_age_ratio_max > 0 && var.drift_missing_age_ratio_max <= 1
    error_message = "drift_missing_age_ratio_max must be in (0, 1]."
  }
}

variable "drift_evaluation_periods" {
  type        = number
  description = "Consecutive hours outside the band before a drift alarm fires."
  default     = 3

  validation {
    condition     = var.drift_evaluation_periods >= 1 && var.drift_evaluation_periods <= 24
    error_message = "drift_evaluation_periods must be between 1 and 24."
  }
}

variable "alarm_email" {
  type        = string
  description = "E-mail address subscribed to the alarm topic (the subscription must be confirmed once)."

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be an e-mail address."
  }
}

variable "db_instance_identifier" {
  type        = string
  description = "RDS instance identifier for the database alarms."

  validation {
    condition     = length(var.db_instance_identifier) > 0
    error_message = "db_instance_identifier must not be empty."
  }
}

variable "db_allocated_storage_gb" {
  type        = number
  description = "Allocated storage of the database; the free-storage alarm fires below 10% of it."

  validation {
    condition     = var.db_allocated_storage_gb >= 20
    error_message = "db_allocated_storage_gb must be at least 20."
  }
}

variable "db_instance_class" {
  type        = string
  description = "RDS instance class: the connections alarm is 80% of its default max_connections."

  validation {
    condition     = contains(["db.t3.micro", "db.t3.small", "db.t3.medium", "db.t3.large", "db.t4g.micro", "db.t4g.small", "db.t4g.medium", "db.t4g.large", "db.m6g.large", "db.m6i.large", "db.m7g.large", "db.r6g.large"], var.db_instance_class)
    error_message = "db_instance_class: add its memory to local.db_class_memory_gib (modules/monitoring) so the connections alarm follows its max_connections."
  }
}

variable "node_max_size" {
  type        = number
  description = "Maximum size of the node group (the nodes-at-maximum alarm)."
}

variable "training_max_age_days" {
  type        = number
  description = "Days without a successful training run before the training-stale alarm fires (the schedule's interval plus a margin; at most 7, CloudWatch's evaluation range)."

  validation {
    condition     = var.training_max_age_days >= 1 && var.training_max_age_days <= 7
    error_message = "training_max_age_days must be between 1 and 7."
  }
}

variable "db_cpu_threshold_percent" {
  type        = number
  description = "CPU utilisation above which the database CPU alarm fires."
  default     = 80

  validation {
    condition     = var.db_cpu_threshold_percent > 0 && var.db_cpu_threshold_percent <= 100
    error_message = "db_cpu_threshold_percent must be in (0, 100]."
  }
}

variable "alb_5xx_threshold" {
  type        = number
  description = "5xx responses per 5 minutes above which the ALB 5xx alarm fires."
  default     = 10

  validation {
    condition     = var.alb_5xx_threshold > 0
    error_message = "alb_5xx_threshold must be positive."
  }
}

variable "alb_latency_threshold_seconds" {
  type        = number
  description = "p95 target response time in seconds above which the latency alarm fires."
  default     = 1

  validation {
    condition     = var.alb_latency_threshold_seconds > 0
    error_message = "alb_latency_threshold_seconds must be positive."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags added to every resource."
  default     = {}
}
