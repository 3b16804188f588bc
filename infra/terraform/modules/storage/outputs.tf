# Bucket names and ARNs for the ETL role, the overlays (CSV_S3_URI, ALB_LOGS_BUCKET) and operators.

output "data_bucket_name" {
  description = "Bucket of the ETL's input files (CSV_S3_URI=s3://<name>/titanic.csv)."
  value       = aws_s3_bucket.this["data"].bucket
}

output "data_bucket_arn" {
  description = "ARN of the data bucket (the ETL's IRSA role may read its objects)."
  value       = aws_s3_bucket.this["data"].arn
}

output "alb_logs_bucket_name" {
  description = "Bucket of the ALB access logs (Ingress annotation access_logs.s3.bucket)."
  value       = aws_s3_bucket.this["alb_logs"].bucket
}

output "alb_log_prefix" {
  description = "Key prefix of the ALB access logs (Ingress annotation access_logs.s3.prefix)."
  value       = var.alb_log_prefix
}

output "resources" {
  description = "The module's planned resources, read by the plan assertions of envs/*/tests (terraform test)."
  value = {
    buckets              = aws_s3_bucket.this
    public_access_blocks = aws_s3_bucket_public_access_block.this
    encryption           = aws_s3_bucket_server_side_encryption_configuration.this
    data_versioning      = aws_s3_bucket_versioning.data
  }
}
