# RDS PostgreSQL 15: private (5432 only from the EKS cluster security group), TLS forced, storage
# and Performance Insights on this module's KMS key, log exports. The master password is managed
# by RDS in Secrets Manager (manage_master_user_password) on the app's customer-managed secrets
# key: it never passes through Terraform, its state or git, and only the migrate step uses it.
# The major version is pinned (15); RDS picks its current default minor at creation and applies
# minor upgrades in the maintenance window (auto_minor_version_upgrade).

locals {
  port = 5432
}

resource "aws_kms_key" "rds" {
  description             = "${var.identifier} RDS storage and Performance Insights encryption"
  deletion_window_in_days = 30
  enable_key_rotation     = true

  tags = var.tags
}

resource "aws_kms_alias" "rds" {
  name          = "alias/${var.identifier}-rds"
  target_key_id = aws_kms_key.rds.key_id
}

resource "aws_db_subnet_group" "this" {
  name        = var.identifier
  description = "Private subnets of ${var.identifier}"
  subnet_ids  = var.subnet_ids

  tags = var.tags
}

resource "aws_security_group" "db" {
  name        = "${var.identifier}-db"
  description = "PostgreSQL of ${var.identifier}: 5432 from the EKS nodes/pods only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.identifier}-db" })
}

resource "aws_vpc_security_group_ingress_rule" "db_from_cluster" {
  # count, not for_each: the IDs are unknown until the cluster exists, their number is not.
  count = length(var.allowed_security_group_ids)

  security_group_id            = aws_security_group.db.id
  description                  = "PostgreSQL from the EKS cluster security group"
  referenced_security_group_id = var.allowed_security_group_ids[count.index]
  ip_protocol                  = "tcp"
  from_port                    = local.port
  to_port                      = local.port
}

resource "aws_db_parameter_group" "this" {
  name        = "${var.identifier}-postgres15"
  family      = "postgres15"
  description = "${var.identifier}: TLS required"

  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "1000"
  }

  # Every DDL statement (ALTER ROLE included: a workload role can still change its own password or
  # settings, docs/security.md) and every connection, with its role, in the exported PostgreSQL log.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  tags = var.tags
}

resource "aws_db_instance" "this" {
  identifier = var.identifier

  engine                     = "postgres"
  engine_version             = var.engine_version
  auto_minor_version_upgrade = true
  instance_class             = var.instance_class
  parameter_group_name       = aws_db_parameter_group.this.name

  db_name                       = var.database_name
  username                      = var.master_username
  manage_master_user_password   = true
  master_user_secret_kms_key_id = var.master_user_secret_kms_key_arn
  port                          = local.port

  allocated_storage     = var.allocated_storage
  max_allocated_storage = var.max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true
  kms_key_id            = aws_kms_key.rds.arn

  multi_az               = var.multi_az
  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false

  backup_retention_period = var.backup_retention_days
  backup_window           = "03:00-04:00"
  maintenance_window      = "sun:04:30-sun:05:30"
  copy_tags_to_snapshot   = true

  performance_insights_enabled          = var.performance_insights_enabled
  performance_insights_kms_key_id       = var.performance_insights_enabled ? aws_kms_key.rds.arn : null
  performance_insights_retention_period = var.performance_insights_enabled ? 7 : null

  enabled_cloudwatch_logs_exports = ["postgresql", "upgrade"]

  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.identifier}-final"

  apply_immediately = false

  tags = var.tags
}

# Analysts' queries (titanic_analyst, read-only) go to a replica, so they never slow the primary the
# API and the ETL use. Same class and parameter group (TLS forced); storage encrypted with the same
# key; no backups of its own (the primary's are the backups); deleted with the environment.
resource "aws_db_instance" "replica" {
  count = var.read_replica ? 1 : 0

  identifier          = "${var.identifier}-analyst"
  replicate_source_db = aws_db_instance.this.identifier
  instance_class      = var.instance_class

  parameter_group_name       = aws_db_parameter_group.this.name
  auto_minor_version_upgrade = true
  storage_type               = "gp3"
  storage_encrypted          = true
  kms_key_id                 = aws_kms_key.rds.arn

  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = false

  backup_retention_period = 0
  skip_final_snapshot     = true
  deletion_protection     = false

  performance_insights_enabled    = var.performance_insights_enabled
  performance_insights_kms_key_id = var.performance_insights_enabled ? aws_kms_key.rds.arn : null

  enabled_cloudwatch_logs_exports = ["postgresql"]
  apply_immediately               = false

  tags = var.tags
}
