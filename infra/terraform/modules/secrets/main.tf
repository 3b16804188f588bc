# The application's secrets in Secrets Manager, all encrypted with this module's customer-managed
# KMS key (the RDS-managed master secret uses the same key, through the database module):
#   <prefix>/db-role-password/<role>  the LOGIN password of each least-privilege database role
#                                     (titanic_api, titanic_etl, titanic_train); mounted only into
#                                     the migrate step, which sets it (ROLE_PASSWORDS_DIR);
#   <prefix>/database-url/<role>      that role's libpq URL (sslmode=verify-full: the pods' PGSSLROOTCERT
#                                     is the RDS CA bundle in the image); each workload mounts its own;
#                                     titanic_analyst's names prod's read replica (analyst_db_host);
#   <prefix>/db-connection            host, port and database name (not secret), so that the
#                                     migrate step's URL can be templated from the RDS master secret;
#   <prefix>/api-keys                 the API's key digests (API_KEYS_FILE): Terraform creates the
#                                     container only, operators put the value (infra/README.md).
# Passwords come from aws_secretsmanager_random_password (no random provider). That data source
# returns a new value on every plan, so the secret versions ignore later changes: a password is
# generated once, when its secret is created. Rotate by replacing both secret versions of a role
# (terraform apply -replace=...) and re-running the migrate step. Only [A-Za-z0-9] characters, so
# a password sits in a URL without escaping.

locals {
  roles = toset(var.db_roles)
}

resource "aws_kms_key" "secrets" {
  description             = "${var.name_prefix} application secrets (Secrets Manager, RDS master secret)"
  deletion_window_in_days = 30
  enable_key_rotation     = true

  tags = var.tags
}

resource "aws_kms_alias" "secrets" {
  name          = "alias/${replace(var.name_prefix, "/", "-")}-secrets"
  target_key_id = aws_kms_key.secrets.key_id
}

data "aws_secretsmanager_random_password" "role" {
  for_each = local.roles

  password_length            = var.password_length
  exclude_punctuation        = true
  include_space              = false
  require_each_included_type = true
}

resource "aws_secretsmanager_secret" "role_password" {
  for_each = local.roles

  name                    = "${var.name_prefix}/db-role-password/${each.key}"
  description             = "LOGIN password of the database role ${each.key} (${var.name_prefix}); read by the migrate step only"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "role_password" {
  for_each = local.roles

  secret_id     = aws_secretsmanager_secret.role_password[each.key].id
  secret_string = data.aws_secretsmanager_random_password.role[each.key].random_password

  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret" "database_url" {
  for_each = local.roles

  name                    = "${var.name_prefix}/database-url/${each.key}"
  description             = "libpq URL of the database as ${each.key} (${var.name_prefix}); mounted by that workload only"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "database_url" {
  for_each = local.roles

  secret_id     = aws_secretsmanager_secret.database_url[each.key].id
  secret_string = "postgresql://${each.key}:${data.aws_secretsmanager_random_password.role[each.key].random_password}@${each.key == "titanic_analyst" && var.analyst_db_host != "" ? var.analyst_db_host : var.db_host}:${var.db_port}/${var.db_name}?sslmode=verify-full"

  lifecycle {
    ignore_changes = [secret_string]
  }
}

resource "aws_secretsmanager_secret" "db_connection" {
  name                    = "${var.name_prefix}/db-connection"
  description             = "Host, port and database name of ${var.name_prefix} (not secret; completes the migrate step's URL)"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "db_connection" {
  secret_id = aws_secretsmanager_secret.db_connection.id
  secret_string = jsonencode({
    host   = var.db_host
    port   = var.db_port
    dbname = var.db_name
  })
}

resource "aws_secretsmanager_secret" "api_keys" {
  name                    = "${var.name_prefix}/api-keys"
  description             = "API key digests of ${var.name_prefix} (lines: ROLE SHA256HEX [LABEL]); the value is set by operators, never by Terraform"
  kms_key_id              = aws_kms_key.secrets.arn
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}
