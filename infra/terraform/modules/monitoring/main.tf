# Monitoring of an environment: the Container Insights log groups (with a retention; the
# amazon-cloudwatch-observability add-on's Fluent Bit writes the pods' logs there), an encrypted SNS
# topic with an e-mail subscription, and alarms on it: RDS CPU, free storage and connections, ALB
# 5xx and p95 latency (once the ALB exists), and prediction drift read from the API's periodic log
# line {"message":"prediction drift summary","model_version":N,"positive_ratio":x,...}.

locals {
  alb_alarm_definitions = {
    alb_5xx = {
      description = "ALB returned 5xx responses (load balancer or targets)"
      metric      = "HTTPCode_ELB_5XX_Count"
      statistic   = "Sum"
      threshold   = var.alb_5xx_threshold
    }
    target_5xx = {
      description = "API pods returned 5xx responses"
      metric      = "HTTPCode_Target_5XX_Count"
      statistic   = "Sum"
      threshold   = var.alb_5xx_threshold
    }
  }

  # Created only once the ALB exists (alb_arn_suffix set).
  alb_alarms = { for k, v in local.alb_alarm_definitions : k => v if var.alb_arn_suffix != "" }
}

# Fluent Bit (Container Insights) sends application.* to .../application, and so on; made here
# first so that they have a retention instead of "never expire".
resource "aws_cloudwatch_log_group" "container" {
  for_each = toset(var.container_log_types)

  name              = "/aws/containerinsights/${var.cluster_name}/${each.value}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

# CloudWatch cannot publish to a topic encrypted with the AWS-managed alias/aws/sns key, so the
# topic gets its own key whose policy lets CloudWatch use it.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

data "aws_iam_policy_document" "alarms_key" {
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchPublishes"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
  }
}

resource "aws_kms_key" "alarms" {
  description             = "${var.name} alarm topic encryption"
  deletion_window_in_days = 30
  enable_key_rotation     = true
  policy                  = data.aws_iam_policy_document.alarms_key.json

  tags = var.tags
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# --- RDS ---------------------------------------------------------------------------------------

resource "aws_cloudwatch_metric_alarm" "db_cpu" {
  alarm_name          = "${var.name}-db-cpu"
  alarm_description   = "RDS CPU above ${var.db_cpu_threshold_percent}% for 15 minutes"
  namespace           = "AWS/RDS"
  metric_name         = "CPUUtilization"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.db_cpu_threshold_percent
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_free_storage" {
  alarm_name          = "${var.name}-db-free-storage"
  alarm_description   = "RDS free storage below 10% of the allocated storage"
  namespace           = "AWS/RDS"
  metric_name         = "FreeStorageSpace"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "LessThanThreshold"
  threshold           = var.db_allocated_storage_gb * 1024 * 1024 * 1024 / 10
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "db_connections" {
  alarm_name          = "${var.name}-db-connections"
  alarm_description   = "RDS connections above ${var.db_max_connections_threshold}"
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnections"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.db_max_connections_threshold
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# --- ALB (created by the AWS Load Balancer Controller, so known only after the first deploy) ---

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  for_each = local.alb_alarms

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  namespace           = "AWS/ApplicationELB"
  metric_name         = each.value.metric
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  statistic           = each.value.statistic
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "alb_latency" {
  count = var.alb_arn_suffix == "" ? 0 : 1

  alarm_name          = "${var.name}-alb-latency"
  alarm_description   = "p95 target response time above ${var.alb_latency_threshold_seconds}s for 15 minutes"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = { LoadBalancer = var.alb_arn_suffix }
  extended_statistic  = "p95"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.alb_latency_threshold_seconds
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# --- Prediction drift (from the API's JSON log line, through Fluent Bit) ------------------------
# Container Insights' Fluent Bit parses a JSON log line into log_processed (Merge_Log_Key), so the
# API's fields are $.log_processed.<field>. The API's logger (core/log.c) names the text "message";
# "msg" is matched too. One metric per field, in the namespace Titanic/<name>.

locals {
  drift_fields = {
    positive_ratio    = "DriftPositiveRatio"
    missing_age_ratio = "DriftMissingAgeRatio"
    female_ratio      = "DriftFemaleRatio"
  }
  drift_namespace = "Titanic/${var.name}"
}

resource "aws_cloudwatch_log_metric_filter" "drift" {
  for_each = local.drift_fields

  name           = "${var.name}-${replace(each.key, "_", "-")}"
  log_group_name = aws_cloudwatch_log_group.container["application"].name
  pattern        = "{ ($.log_processed.message = \"prediction drift summary\" || $.log_processed.msg = \"prediction drift summary\") && $.log_processed.predictions > 0 }"

  metric_transformation {
    name      = each.value
    namespace = local.drift_namespace
    value     = "$.log_processed.${each.key}"
    unit      = "None"
  }
}

resource "aws_cloudwatch_metric_alarm" "drift_positive_ratio_high" {
  alarm_name          = "${var.name}-drift-positive-ratio-high"
  alarm_description   = "Share of predicted survivors above ${var.drift_positive_ratio_max} for ${var.drift_evaluation_periods} hours (the training data has about 0.38)"
  namespace           = local.drift_namespace
  metric_name         = local.drift_fields.positive_ratio
  statistic           = "Average"
  period              = 3600
  evaluation_periods  = var.drift_evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.drift_positive_ratio_max
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.drift]
}

resource "aws_cloudwatch_metric_alarm" "drift_positive_ratio_low" {
  alarm_name          = "${var.name}-drift-positive-ratio-low"
  alarm_description   = "Share of predicted survivors below ${var.drift_positive_ratio_min} for ${var.drift_evaluation_periods} hours"
  namespace           = local.drift_namespace
  metric_name         = local.drift_fields.positive_ratio
  statistic           = "Average"
  period              = 3600
  evaluation_periods  = var.drift_evaluation_periods
  comparison_operator = "LessThanThreshold"
  threshold           = var.drift_positive_ratio_min
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.drift]
}

resource "aws_cloudwatch_metric_alarm" "drift_missing_age_high" {
  alarm_name          = "${var.name}-drift-missing-age-high"
  alarm_description   = "Share of requests without an age above ${var.drift_missing_age_ratio_max} for ${var.drift_evaluation_periods} hours (inputs drifting from the training data)"
  namespace           = local.drift_namespace
  metric_name         = local.drift_fields.missing_age_ratio
  statistic           = "Average"
  period              = 3600
  evaluation_periods  = var.drift_evaluation_periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.drift_missing_age_ratio_max
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.drift]
}
