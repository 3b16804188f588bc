output "state_bucket_name" {
  description = "S3 bucket for the backend \"s3\" blocks of envs/dev and envs/prod."
  value       = aws_s3_bucket.state.bucket
}

output "lock_table_name" {
  description = "DynamoDB table for the dynamodb_table argument of the backends."
  value       = aws_dynamodb_table.lock.name
}

output "state_kms_key_arn" {
  description = "KMS key encrypting the state objects."
  value       = aws_kms_key.state.arn
}
