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
    [for a in aws_cloudwatch_metric_alarm.alb_5xx : a.alarm_name],
    aws_cloudwatch_metric_alarm.alb_latency[*].alarm_name,
    [
      aws_cloudwatch_metric_alarm.drift_positive_ratio_high.alarm_name,
      aws_cloudwatch_metric_alarm.drift_positive_ratio_low.alarm_name,
      aws_cloudwatch_metric_alarm.drift_missing_age_high.alarm_name,
    ],
  )
}
