# Plans envs/prod with its terraform.tfvars against a mocked AWS provider (no credentials, no API
# calls) and asserts the architecture's prod values on the planned resources; then proves that the
# guard rails refuse what they must. Run: infra/tests/terraform/terraform.sh (or `terraform test`
# here after `terraform init -backend=false`).

mock_provider "aws" {
  source = "../../tests/mocks"
}

# Known ARNs for the two resources the assertions compare against (computed attributes are
# otherwise unknown in a plan).
override_resource {
  target          = module.monitoring.aws_sns_topic.alarms
  override_during = plan
  values = {
    arn = "arn:aws:sns:eu-west-1:111111111111:titanic-prod-alarms"
  }
}

override_resource {
  target          = module.secrets.aws_kms_key.secrets
  override_during = plan
  values = {
    arn = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000001"
  }
}

run "prod_database" {
  command = plan

  assert {
    condition     = module.database.resources.instance.instance_class == "db.t3.small"
    error_message = "prod RDS class must be db.t3.small"
  }
  assert {
    condition     = module.database.resources.instance.allocated_storage == 100 && module.database.resources.instance.storage_type == "gp3"
    error_message = "prod RDS storage must be 100 GB gp3"
  }
  assert {
    condition     = module.database.resources.instance.storage_encrypted == true
    error_message = "RDS storage must be encrypted"
  }
  assert {
    condition     = module.database.resources.instance.multi_az == true
    error_message = "prod RDS is Multi-AZ"
  }
  assert {
    condition     = module.database.resources.instance.backup_retention_period == 30
    error_message = "prod RDS keeps 30 days of backups"
  }
  assert {
    condition     = module.database.resources.instance.performance_insights_enabled == true && module.database.resources.instance.performance_insights_retention_period == 7
    error_message = "prod RDS has Performance Insights on (7 days)"
  }
  assert {
    condition     = toset(module.database.resources.instance.enabled_cloudwatch_logs_exports) == toset(["postgresql", "upgrade"])
    error_message = "RDS exports the postgresql and upgrade logs"
  }
  assert {
    condition     = module.database.resources.instance.deletion_protection == true && module.database.resources.instance.skip_final_snapshot == false && module.database.resources.instance.final_snapshot_identifier == "titanic-prod-final"
    error_message = "prod RDS is protected: deletion protection on, a final snapshot taken"
  }
  assert {
    condition     = module.database.resources.instance.publicly_accessible == false
    error_message = "RDS must not be publicly accessible"
  }
  assert {
    condition     = module.database.resources.instance.engine == "postgres" && module.database.resources.instance.engine_version == "15" && module.database.resources.instance.auto_minor_version_upgrade == true
    error_message = "RDS is PostgreSQL with the major 15 pinned and minor upgrades in the maintenance window"
  }
  assert {
    condition     = module.database.resources.instance.manage_master_user_password == true && module.database.resources.instance.master_user_secret_kms_key_id == "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000001"
    error_message = "the master password is managed by RDS in Secrets Manager, on the customer-managed secrets key"
  }
  assert {
    condition     = anytrue([for p in module.database.resources.parameter_group.parameter : p.name == "rds.force_ssl" && p.value == "1"])
    error_message = "the parameter group forces TLS"
  }
  assert {
    condition     = anytrue([for p in module.database.resources.parameter_group.parameter : p.name == "log_statement" && p.value == "ddl"]) && anytrue([for p in module.database.resources.parameter_group.parameter : p.name == "log_connections" && p.value == "1"])
    error_message = "the parameter group logs DDL (ALTER ROLE by a workload role) and connections"
  }
}

run "prod_cluster" {
  command = plan

  assert {
    condition     = module.eks.resources.cluster.version == "1.35"
    error_message = "EKS runs 1.35 (in standard support)"
  }
  assert {
    condition     = length(setintersection(toset(module.eks.resources.cluster.vpc_config[0].public_access_cidrs), toset(["0.0.0.0/0", "::/0"]))) == 0
    error_message = "the public EKS endpoint is limited to listed CIDRs"
  }
  assert {
    condition     = toset(module.eks.resources.cluster.enabled_cluster_log_types) == toset(["api", "audit", "authenticator"])
    error_message = "control-plane logs api, audit, authenticator"
  }
  assert {
    condition     = module.eks.resources.node_group.scaling_config[0].min_size == 2 && module.eks.resources.node_group.scaling_config[0].max_size == 5 && module.eks.resources.node_group.scaling_config[0].desired_size == 2
    error_message = "prod node group scales 2-5, starting at 2"
  }
  assert {
    condition     = tolist(module.eks.resources.node_group.instance_types) == tolist(["t3.medium"])
    error_message = "prod nodes are t3.medium"
  }
  assert {
    condition     = toset(keys(module.eks.resources.addons)) == toset(["vpc-cni", "kube-proxy", "coredns", "metrics-server", "amazon-cloudwatch-observability"])
    error_message = "the cluster gets the VPC CNI, kube-proxy, CoreDNS, metrics-server and CloudWatch observability add-ons"
  }
  assert {
    condition     = jsondecode(module.eks.resources.addons["vpc-cni"].configuration_values).enableNetworkPolicy == "true"
    error_message = "the VPC CNI enforces NetworkPolicies"
  }
  assert {
    condition     = toset(keys(module.eks.resources.irsa_roles)) == toset(["etl", "external_secrets", "lb_controller", "cluster_autoscaler", "cloudwatch_agent"])
    error_message = "one IRSA role per service account that needs AWS; none for the API or the trainer"
  }
  assert {
    condition     = module.eks.irsa_service_accounts["etl"] == "titanic/titanic-etl" && module.eks.irsa_service_accounts["external_secrets"] == "titanic/titanic-external-secrets"
    error_message = "the ETL and External Secrets roles trust their own service accounts in the titanic namespace"
  }
  assert {
    condition     = alltrue([for r in values(module.eks.resources.alb_ingress) : r.cidr_ipv4 == "0.0.0.0/0" && contains([80, 443], r.from_port) && r.from_port == r.to_port])
    error_message = "the ALB group is open to the internet on 80 and 443 only"
  }
}

run "prod_network_storage_secrets" {
  command = plan

  assert {
    condition     = length(module.network.resources.nat_gateways) == 2 && length(module.network.resources.private_nat) == 2
    error_message = "prod has one NAT gateway per AZ: one AZ's outage does not cut the other's egress"
  }
  assert {
    condition     = module.network.resources.flow_log.traffic_type == "ALL" && module.network.resources.flow_log.log_destination_type == "cloud-watch-logs"
    error_message = "VPC flow logs record all traffic into CloudWatch Logs"
  }
  assert {
    condition     = alltrue([for b in values(module.storage.resources.public_access_blocks) : b.block_public_acls && b.block_public_policy && b.ignore_public_acls && b.restrict_public_buckets])
    error_message = "every bucket blocks public access"
  }
  assert {
    condition     = module.storage.resources.data_versioning.versioning_configuration[0].status == "Enabled"
    error_message = "the data bucket is versioned"
  }
  assert {
    condition     = alltrue([for s in values(module.secrets.resources.secrets) : s.kms_key_id == "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000001"])
    error_message = "every app secret is on the customer-managed key"
  }
  assert {
    condition     = toset(keys(module.secrets.resources.secrets)) == toset(["database-url/titanic_api", "database-url/titanic_etl", "database-url/titanic_train", "database-url/titanic_analyst", "db-role-password/titanic_api", "db-role-password/titanic_etl", "db-role-password/titanic_train", "db-role-password/titanic_analyst", "db-connection", "api-keys"])
    error_message = "one DATABASE_URL and one password secret per database role, the connection and the API keys secret"
  }
  assert {
    condition     = module.registry.resources.repository.image_tag_mutability == "IMMUTABLE" && module.registry.resources.repository.image_scanning_configuration[0].scan_on_push
    error_message = "ECR tags are immutable and scanned on push"
  }
}

run "prod_monitoring" {
  command = plan

  assert {
    condition     = alltrue([for a in values(module.monitoring.resources.alarms) : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:111111111111:titanic-prod-alarms"])])
    error_message = "every alarm notifies the SNS topic"
  }
  assert {
    condition     = toset(keys(module.monitoring.resources.alarms)) == toset(["db_cpu", "db_free_storage", "db_connections", "drift_positive_ratio_high", "drift_positive_ratio_low", "drift_missing_age_high", "alb_5xx", "target_5xx", "alb_latency", "alb_unhealthy_targets", "etl_failed", "training_failed", "training_stale", "pods_crash_looping", "nodes_at_max"])
    error_message = "prod alarms: RDS CPU, storage, connections, the drift band, the ALB (5xx, latency, unhealthy targets) from the first apply, a failed ETL Job, a failed or missed retraining, crash-looping pods, nodes at the maximum"
  }
  assert {
    condition     = alltrue([for k in ["alb_5xx", "target_5xx", "alb_latency", "alb_unhealthy_targets"] : length(module.monitoring.resources.alarms[k].metric_query) == 1 && alltrue([for q in module.monitoring.resources.alarms[k].metric_query : strcontains(q.expression, "FROM SCHEMA(\"AWS/ApplicationELB\", LoadBalancer")])])
    error_message = "the ALB alarms are Metrics Insights queries over the account's ALB metrics: no ARN suffix, so they exist in the first apply and follow a recreated ALB"
  }
  assert {
    condition     = module.monitoring.resources.alarms["db_connections"].threshold == 180
    error_message = "the connections alarm is 80% of the prod RDS class's default max_connections (225 -> 180)"
  }
  assert {
    condition     = module.monitoring.resources.alarms["nodes_at_max"].threshold == 5 && module.monitoring.resources.alarms["training_stale"].evaluation_periods == 7 && module.monitoring.resources.alarms["training_stale"].treat_missing_data == "breaching"
    error_message = "nodes-at-max fires at the group's maximum (5); training-stale after 7 days without a successful run, missing runs counting"
  }
  assert {
    condition     = alltrue([for f in values(module.monitoring.resources.job_filters) : f.log_group_name == "/aws/containerinsights/titanic-prod/application"]) && strcontains(module.monitoring.resources.job_filters["etl_failed"].pattern, "titanic-etl")
    error_message = "the ETL and training alarms read the jobs' JSON log lines from the application log group"
  }
  assert {
    condition     = module.monitoring.resources.subscription.protocol == "email" && module.monitoring.resources.subscription.topic_arn == "arn:aws:sns:eu-west-1:111111111111:titanic-prod-alarms"
    error_message = "the alarm topic has an e-mail subscription"
  }
  assert {
    condition     = module.monitoring.resources.log_groups["application"].name == "/aws/containerinsights/titanic-prod/application" && alltrue([for g in values(module.monitoring.resources.log_groups) : g.retention_in_days == 30])
    error_message = "the Container Insights log groups exist with a 30-day retention"
  }
  assert {
    condition     = alltrue([for f in values(module.monitoring.resources.metric_filters) : f.log_group_name == "/aws/containerinsights/titanic-prod/application" && strcontains(f.pattern, "prediction drift summary")])
    error_message = "the drift metric filters read the API's drift summary from the application log group"
  }
  assert {
    condition     = module.monitoring.resources.alarms["drift_positive_ratio_high"].threshold == 0.6 && module.monitoring.resources.alarms["drift_positive_ratio_low"].threshold == 0.2
    error_message = "the positive-ratio band is 0.2-0.6"
  }
}

run "refuses_world_open_endpoint" {
  command = plan

  variables {
    eks_public_access_cidrs = ["0.0.0.0/0"]
  }

  expect_failures = [var.eks_public_access_cidrs]
}

run "refuses_kubernetes_out_of_standard_support" {
  command = plan

  variables {
    kubernetes_version = "1.30"
  }

  expect_failures = [var.kubernetes_version]
}

run "refuses_another_postgres_major" {
  command = plan

  variables {
    db_engine_version = "16.4"
  }

  expect_failures = [var.db_engine_version]
}
