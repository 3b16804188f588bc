# What the environment root needs of the database: identifiers, endpoint, master secret.

output "db_instance_identifier" {
  description = "RDS instance identifier (CloudWatch DBInstanceIdentifier dimension)."
  value       = aws_db_instance.this.identifier
}

output "db_instance_arn" {
  description = "ARN of the RDS instance."
  value       = aws_db_instance.this.arn
}

output "endpoint" {
  description = "host:port of the database."
  value       = aws_db_instance.this.endpoint
}

output "address" {
  description = "Host name of the database."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the database."
  value       = aws_db_instance.this.port
}

output "database_name" {
  description = "Name of the application database."
  value       = aws_db_instance.this.db_name
}

output "master_username" {
  description = "Master user name."
  value       = aws_db_instance.this.username
}

output "security_group_id" {
  description = "Security group of the database."
  value       = aws_security_group.db.id
}

output "allocated_storage" {
  description = "Allocated storage in GB (for the free-storage alarm threshold)."
  value       = aws_db_instance.this.allocated_storage
}

output "master_user_secret_arn" {
  description = "ARN of the RDS-managed master secret (JSON username/password); read only for the migrate step."
  value       = aws_db_instance.this.master_user_secret[0].secret_arn
}

output "resources" {
  description = "The module's planned resources, read by the plan assertions of envs/*/tests (terraform test)."
  sensitive   = true # the instance object carries the (unused) password attribute
  value = {
    instance        = aws_db_instance.this
    parameter_group = aws_db_parameter_group.this
    ingress         = aws_vpc_security_group_ingress_rule.db_from_cluster
    replica         = aws_db_instance.replica
  }
}

output "engine_version_actual" {
  description = "The PostgreSQL version RDS runs (the 15.x minor it chose; minors move in the maintenance window)."
  value       = aws_db_instance.this.engine_version_actual
}

output "analyst_address" {
  description = "Host of the analysts' database: the read replica where there is one, else the primary."
  value       = var.read_replica ? aws_db_instance.replica[0].address : aws_db_instance.this.address
}
