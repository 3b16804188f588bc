output "alarm_topic_arn" {
  description = "SNS topic that receives every alarm."
  value       = aws_sns_topic.alarms.arn
}

output "log_group_names" {
  description = "Application log groups, by component (api, etl, train)."
  value       = { for k, g in aws_cloudwatch_log_group.app : k => g.name }
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
  )
}
