# Secret ARNs and names for the environment root: External Secrets' IAM policy and the overlays.

output "kms_key_arn" {
  description = "Customer-managed KMS key of the app's secrets (and of the RDS-managed master secret)."
  value       = aws_kms_key.secrets.arn
}

output "database_url_secret_arns" {
  description = "DATABASE_URL secret per database role (titanic_api, titanic_etl, titanic_train)."
  value       = { for k, s in aws_secretsmanager_secret.database_url : k => s.arn }
}

output "role_password_secret_arns" {
  description = "LOGIN password secret per database role (read by the migrate step only)."
  value       = { for k, s in aws_secretsmanager_secret.role_password : k => s.arn }
}

output "db_connection_secret_arn" {
  description = "ARN of the host/port/dbname secret."
  value       = aws_secretsmanager_secret.db_connection.arn
}

output "api_keys_secret_arn" {
  description = "ARN of the API key digests secret (value set by operators)."
  value       = aws_secretsmanager_secret.api_keys.arn
}

output "secret_arns" {
  description = "Every secret this module creates (what External Secrets may read, with the RDS master secret)."
  value = concat(
    [for s in aws_secretsmanager_secret.database_url : s.arn],
    [for s in aws_secretsmanager_secret.role_password : s.arn],
    [aws_secretsmanager_secret.db_connection.arn, aws_secretsmanager_secret.api_keys.arn],
  )
}

output "secret_name_prefix" {
  description = "Prefix of every secret name (<prefix>/database-url/<role>, ...)."
  value       = var.name_prefix
}

output "resources" {
  description = "The module's planned resources (secrets, not their values), read by the plan assertions of envs/*/tests."
  value = {
    kms_key = aws_kms_key.secrets
    secrets = merge(
      { for k, s in aws_secretsmanager_secret.database_url : "database-url/${k}" => s },
      { for k, s in aws_secretsmanager_secret.role_password : "db-role-password/${k}" => s },
      { "db-connection" = aws_secretsmanager_secret.db_connection, "api-keys" = aws_secretsmanager_secret.api_keys },
    )
  }
}
