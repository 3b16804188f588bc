# The master password is generated here and lives only in Secrets Manager and the (encrypted)
# Terraform state, never in git or a tfvars file. Only URL-unreserved characters, so the
# password can sit in a libpq URI unescaped; RDS forbids '/', '@', '"' and spaces anyway.
resource "random_password" "master" {
  length           = var.password_length
  special          = true
  override_special = "-_.~"
  min_lower        = 2
  min_upper        = 2
  min_numeric      = 2
}

resource "aws_secretsmanager_secret" "master" {
  name                    = "${var.name_prefix}/db-master"
  description             = "RDS master credentials (${var.name_prefix})"
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "master" {
  secret_id = aws_secretsmanager_secret.master.id
  secret_string = jsonencode({
    engine   = "postgres"
    host     = var.db_host
    port     = var.db_port
    dbname   = var.db_name
    username = var.db_username
    password = random_password.master.result
  })
}

# What the pods read (External Secrets -> Kubernetes Secret -> file -> DATABASE_URL_FILE).
resource "aws_secretsmanager_secret" "database_url" {
  name                    = "${var.name_prefix}/DATABASE_URL"
  description             = "libpq connection URI of the titanic database (${var.name_prefix})"
  recovery_window_in_days = var.recovery_window_in_days

  tags = var.tags
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = "postgresql://${urlencode(var.db_username)}:${urlencode(random_password.master.result)}@${var.db_host}:${var.db_port}/${var.db_name}?sslmode=require"
}
