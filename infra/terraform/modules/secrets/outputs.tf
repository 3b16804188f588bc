output "master_password" {
  description = "Generated master password, passed to the database module only."
  value       = random_password.master.result
  sensitive   = true
}

output "master_secret_arn" {
  description = "ARN of the master credentials secret (operators only)."
  value       = aws_secretsmanager_secret.master.arn
}

output "database_url_secret_arn" {
  description = "ARN of the DATABASE_URL secret (read by External Secrets and the app IRSA role)."
  value       = aws_secretsmanager_secret.database_url.arn
}

output "database_url_secret_name" {
  description = "Name of the DATABASE_URL secret (remoteRef.key of the ExternalSecret)."
  value       = aws_secretsmanager_secret.database_url.name
}
