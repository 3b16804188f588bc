# Monitoring of an environment: the Container Insights log groups (with a retention; the
# amazon-cloudwatch-observability add-on's Fluent Bit writes the pods' logs there), an encrypted SNS
# topic with an e-mail subscription, and alarms on it: RDS CPU, free storage and connections (80% of
# the class's max_connections), ALB 5xx, latency and unhealthy targets (from the first apply), a
# failed ETL Job, a failed or missed retraining, crash-looping pods, nodes at the group's maximum,
# and prediction drift read from the API's periodic log line
# {"message":"prediction drift summary","model_version":N,"positive_ratio":x,...}.

locals {
  # The ALB belongs to the AWS Load Balancer Controller (the Ingress names it
  # titanic-<env>-api), so its ARN suffix is unknown when Terraform runs and changes if the ALB is
  # recreated. The ALB alarms are therefore Metrics Insights queries over the ALB metrics of this
  # account and region (one environment per account, as the promotion design has it): they exist
  # from the first apply and follow a recreated ALB. Metrics Insights has no percentiles, so the
  # latency alarm reads the average.
  alb_alarms = {
    alb_5xx = {
      description = "The ALB returned 5xx responses (load balancer errors)"
      query       = "SELECT SUM(HTTPCode_ELB_5XX_Count) FROM SCHEMA(\"AWS/ApplicationELB\", LoadBalancer)"
      threshold   = var.alb_5xx_threshold
      periods     = 1
    }
    target_5xx = {
      description = "API pods returned 5xx responses"
      query       = "SELECT SUM(HTTPCode_Target_5XX_Count) FROM SCHEMA(\"AWS/ApplicationELB\", LoadBalancer)"
      threshold   = var.alb_5xx_threshold
      periods     = 1
    }
    alb_latency = {
      description = "Average target response time above ${var.alb_latency_threshold_seconds}s for 15 minutes"
      query       = "SELECT AVG(TargetResponseTime) FROM SCHEMA(\"AWS/ApplicationELB\", LoadBalancer)"
      threshold   = var.alb_latency_threshold_seconds
      periods     = 3
    }
    alb_unhealthy_targets = {
      description = "The ALB has unhealthy API targets for 10 minutes (pods failing /ready)"
      query       = "SELECT MAX(UnHealthyHostCount) FROM SCHEMA(\"AWS/ApplicationELB\", LoadBalancer, TargetGroup)"
      threshold   = 0
      periods     = 2
    }
  }

  # RDS PostgreSQL's default max_connections is LEAST(DBInstanceClassMemory / 9531392, 5000);
  # from the class's nominal memory (a slight over-estimate: RDS reserves some), alarm at 80%.
  db_class_memory_gib = {
    "db.t3.micro"  = 1, "db.t3.small" = 2, "db.t3.medium" = 4, "db.t3.large" = 8,
    "db.t4g.micro" = 1, "db.t4g.small" = 2, "db.t4g.medium" = 4, "db.t4g.large" = 8,
    "db.m6g.large" = 8, "db.m6i.large" = 8, "db.m7g.large" = 8, "db.r6g.large" = 16,
  }
  db_max_connections           = min(floor(lookup(local.db_class_memory_gib, var.db_instance_class, 0) * 1073741824 / 9531392), 5000)
  db_max_connections_threshold = floor(local.db_max_connections * 0.8)

  # The service's own log lines (core/log.c: JSON with component, level, message), as parsed by
  # Fluent Bit into log_processed.
  job_log_filters = {
    etl_failed       = { metric = "EtlErrors", pattern = "{ $.log_processed.component = \"titanic-etl\" && $.log_processed.level = \"error\" }" }
    training_failed  = { metric = "TrainingErrors", pattern = "{ $.log_processed.component = \"titanic-train\" && $.log_processed.level = \"error\" }" }
    training_succeed = { metric = "TrainingSucceeded", pattern = "{ $.log_processed.component = \"titanic-train\" && $.log_processed.message = \"done\" }" }
  }
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
  alarm_description   = "RDS connections above ${local.db_max_connections_threshold} (80% of ${var.db_instance_class}'s max_connections ${local.db_max_connections})"
  namespace           = "AWS/RDS"
  metric_name         = "DatabaseConnections"
  dimensions          = { DBInstanceIdentifier = var.db_instance_identifier }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 2
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.db_max_connections_threshold
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# --- ALB (created by the AWS Load Balancer Controller; see local.alb_alarms) -------------------

resource "aws_cloudwatch_metric_alarm" "alb" {
  for_each = local.alb_alarms

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value.description
  evaluation_periods  = each.value.periods
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  metric_query {
    id          = "q"
    expression  = each.value.query
    period      = 300
    return_data = true
  }

  tags = var.tags
}

# --- The ETL Job, retraining, pods and nodes ---------------------------------------------------

resource "aws_cloudwatch_log_metric_filter" "jobs" {
  for_each = local.job_log_filters

  name           = "${var.name}-${replace(each.key, "_", "-")}"
  log_group_name = aws_cloudwatch_log_group.container["application"].name
  pattern        = each.value.pattern

  metric_transformation {
    name          = each.value.metric
    namespace     = local.drift_namespace
    value         = "1"
    default_value = "0"
    unit          = "Count"
  }
}

resource "aws_cloudwatch_metric_alarm" "job_failed" {
  for_each = { etl_failed = "The ETL Job logged an error (failed load, migration or connection): the data was not refreshed", training_failed = "A training run logged an error: no new model was activated" }

  alarm_name          = "${var.name}-${replace(each.key, "_", "-")}"
  alarm_description   = each.value
  namespace           = local.drift_namespace
  metric_name         = local.job_log_filters[each.key].metric
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.jobs]
}

# No successful training ("done") for training_max_age_days days, one datapoint a day: a missed or
# failed schedule, and so a model older than the schedule allows. Missing data is breaching (no run
# logged nothing).
resource "aws_cloudwatch_metric_alarm" "training_stale" {
  alarm_name          = "${var.name}-training-stale"
  alarm_description   = "No successful training run for ${var.training_max_age_days} days: the retraining schedule was missed or failed and the model is older than it allows"
  namespace           = local.drift_namespace
  metric_name         = local.job_log_filters.training_succeed.metric
  statistic           = "Sum"
  period              = 86400
  evaluation_periods  = var.training_max_age_days
  datapoints_to_alarm = var.training_max_age_days
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags

  depends_on = [aws_cloudwatch_log_metric_filter.jobs]
}

# Container Insights (enhanced observability, the add-on's default) counts containers waiting in
# CrashLoopBackOff; any in the cluster for 15 minutes.
resource "aws_cloudwatch_metric_alarm" "pods_crash_looping" {
  alarm_name          = "${var.name}-pods-crash-looping"
  alarm_description   = "Containers in CrashLoopBackOff in ${var.cluster_name} for 15 minutes"
  namespace           = "ContainerInsights"
  metric_name         = "pod_container_status_waiting_reason_crash_loop_back_off"
  dimensions          = { ClusterName = var.cluster_name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]

  tags = var.tags
}

# The autoscaler cannot add more: pending pods will stay Pending.
resource "aws_cloudwatch_metric_alarm" "nodes_at_max" {
  alarm_name          = "${var.name}-nodes-at-max"
  alarm_description   = "${var.cluster_name} runs its node group's maximum (${var.node_max_size} nodes) for 30 minutes: the Cluster Autoscaler cannot add capacity"
  namespace           = "ContainerInsights"
  metric_name         = "cluster_node_count"
  dimensions          = { ClusterName = var.cluster_name }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 6
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.node_max_size
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
