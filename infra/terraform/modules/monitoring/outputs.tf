# The alarm topic, log groups and alarm names, for the environment's outputs.

output "alarm_topic_arn" {
  description = "SNS topic that receives every alarm."
  value       = aws_sns_topic.alarms.arn
}

output "container_log_group_names" {
  description = "Container Insights log groups, by type (application, dataplane, host, performance)."
  value       = { for k, g in aws_cloudwatch_log_group.container : k => g.name }
}

output "alarm_names" {
  description = "Names of the alarms created."
  value = concat(
    [
      aws_cloudwatch_metric_alarm.db_cpu.alarm_name,
      aws_cloudwatch_metric_alarm.db_free_storage.alarm_name,
      aws_cloudwatch_metric_alarm.db_connections.alarm_name,
    ],
    [for a in aws_cloudwatch_metric_alarm.alb : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.job_failed : a.alarm_name],
    [
      aws_cloudwatch_metric_alarm.training_stale.alarm_name,
      aws_cloudwatch_metric_alarm.pods_crash_looping.alarm_name,
      aws_cloudwatch_metric_alarm.nodes_at_max.alarm_name,
    ],
    [
      aws_cloudwatch_metric_alarm.drift_positive_ratio_high.alarm_name,
      aws_cloudwatch_metric_alarm.drift_positive_ratio_low.alarm_name,
      aws_cloudwatch_metric_alarm.drift_missing_age_high.alarm_name,
    ],
  )
}

output "resources" {
  description = "The module's planned resources, read by the plan assertions of envs/*/tests (terraform test)."
  value = {
    topic          = aws_sns_topic.alarms
    subscription   = aws_sns_topic_subscription.email
    log_groups     = aws_cloudwatch_log_group.container
    metric_filters = aws_cloudwatch_log_metric_filter.drift
    job_filters    = aws_cloudwatch_log_metric_filter.jobs
    alarms = merge(
      {
        db_cpu                    = aws_cloudwatch_metric_alarm.db_cpu
        db_free_storage           = aws_cloudwatch_metric_alarm.db_free_storage
        db_connections            = aws_cloudwatch_metric_alarm.db_connections
        drift_positive_ratio_high = aws_cloudwatch_metric_alarm.drift_positive_ratio_high
        drift_positive_ratio_low  = aws_cloudwatch_metric_alarm.drift_positive_ratio_low
        drift_missing_age_high    = aws_cloudwatch_metric_alarm.drift_missing_age_high
      },
      aws_cloudwatch_metric_alarm.alb,
      aws_cloudwatch_metric_alarm.job_failed,
      {
        training_stale     = aws_cloudwatch_metric_alarm.training_stale
        pods_crash_looping = aws_cloudwatch_metric_alarm.pods_crash_looping
        nodes_at_max       = aws_cloudwatch_metric_alarm.nodes_at_max
      },
    )
  }
}
