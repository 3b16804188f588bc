# Plans envs/dev with its terraform.tfvars against a mocked AWS provider and asserts issue 23's
# delivery (GitHub OIDC, the deploy role, its EKS access entry, the in-VPC runner, the promotion
# policy) and week-one values (endpoints, secrets' recovery window, the analysts' replica and
# secrets, SSM access). Its own file, so that the planted mistakes of
# infra/tests/terraform/terraform.sh can run just these (terraform test -filter).

mock_provider "aws" {
  source = "../../tests/mocks"
}

# Known ARNs for the two resources the assertions compare against (computed attributes are
# otherwise unknown in a plan).
override_resource {
  target          = module.monitoring.aws_sns_topic.alarms
  override_during = plan
  values = {
    arn = "arn:aws:sns:eu-west-1:111111111111:titanic-dev-alarms"
  }
}

override_resource {
  target          = module.secrets.aws_kms_key.secrets
  override_during = plan
  values = {
    arn = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-000000000001"
  }
}

run "dev_deploy_identity" {
  command = plan

  assert {
    condition     = length(module.deploy.resources.oidc_provider) == 1 && tolist(module.deploy.resources.oidc_provider[0].client_id_list) == tolist(["sts.amazonaws.com"]) && strcontains(module.deploy.policies.deploy_trust.Statement[0].Principal.Federated, ":oidc-provider/token.actions.githubusercontent.com")
    error_message = "GitHub's OIDC provider exists for sts.amazonaws.com"
  }
  assert {
    condition     = jsondecode(module.deploy.resources.deploy_role.assume_role_policy).Statement[0].Condition.StringEquals["token.actions.githubusercontent.com:sub"] == "repo:example-org/titanic:environment:dev" && jsondecode(module.deploy.resources.deploy_role.assume_role_policy).Statement[0].Action == "sts:AssumeRoleWithWebIdentity"
    error_message = "the deploy role trusts only the repository's jobs in the GitHub environment dev"
  }
  assert {
    condition     = toset(flatten([for st in module.deploy.policies.deploy_permissions.Statement : st.Action])) == toset(concat(["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer", "ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart", "eks:DescribeCluster"]))
    error_message = "the deploy role may only push/pull images and describe the cluster"
  }
  assert {
    condition     = anytrue([for st in module.deploy.policies.deploy_permissions.Statement : contains(st.Action, "ecr:PutImage") && st.Resource == "arn:aws:ecr:eu-west-1:111111111111:repository/titanic-dev/api"])
    error_message = "the deploy role pushes to its own environment's repository only"
  }
  assert {
    condition     = tolist(module.deploy.resources.access_entry.kubernetes_groups) == tolist(["titanic-deployers"]) && module.deploy.resources.access_entry.type == "STANDARD" && module.deploy.resources.access_entry.cluster_name == "titanic-dev"
    error_message = "the deploy role's EKS access entry maps it to the group titanic-deployers (deployer-rbac.yaml), no access policy"
  }
  assert {
    condition     = length(module.deploy.resources.runner.vpc_config) == 1 && contains(flatten([for fg in module.deploy.resources.runner_webhook.filter_group : [for f in fg.filter : f.pattern]]), "WORKFLOW_JOB_QUEUED")
    error_message = "the deploy runner runs inside the VPC and takes queued GitHub workflow jobs"
  }
  assert {
    condition     = module.deploy.resources.cluster_from_runner.from_port == 443 && module.deploy.resources.cluster_from_runner.to_port == 443
    error_message = "the cluster's private endpoint accepts the runner on 443"
  }
  assert {
    condition     = length(module.deploy.resources.repository_policy) == 1 && tolist(module.deploy.policies.repository.Statement[0].Principal.AWS) == tolist(["arn:aws:iam::222222222222:role/titanic-prod-deploy"]) && contains(module.deploy.policies.repository.Statement[0].Action, "ecr:BatchGetImage") && !contains(module.deploy.policies.repository.Statement[0].Action, "ecr:PutImage")
    error_message = "dev's repository lets prod's deploy role pull (promotion across accounts), never push"
  }
}

run "dev_week_one" {
  command = plan

  assert {
    condition     = toset(keys(module.network.resources.endpoints)) == toset(["sts", "s3"]) && alltrue([for e in values(module.network.resources.endpoints) : e.private_dns_enabled && e.vpc_endpoint_type == "Interface"])
    error_message = "dev interface endpoints (private DNS): sts, s3"
  }
  assert {
    condition     = module.network.resources.s3_gateway.vpc_endpoint_type == "Gateway" && endswith(module.network.resources.s3_gateway.service_name, ".s3")
    error_message = "an S3 gateway endpoint keeps image layers and the ETL input off the NAT"
  }
  assert {
    condition     = module.network.alb_subnets_cidr == "10.0.0.0/23"
    error_message = "the ALB subnets' CIDR (the API NetworkPolicy's source) is exactly the two public /24s"
  }
  assert {
    condition     = alltrue([for s in values(module.secrets.resources.secrets) : s.recovery_window_in_days == 0])
    error_message = "dev secrets have a recovery window of 0 days"
  }
  assert {
    condition     = length(module.database.resources.replica) == 0
    error_message = "dev has no replica: analysts use the primary"
  }
  assert {
    condition     = module.secrets.resources.secrets["database-url/titanic_analyst"].name == "titanic/dev/database-url/titanic_analyst" && module.secrets.resources.secrets["db-role-password/titanic_analyst"].name == "titanic/dev/db-role-password/titanic_analyst"
    error_message = "the analyst role has its own password and URL secrets (the migrate step sets the password)"
  }
  assert {
    condition     = endswith(module.eks.resources.node_ssm.policy_arn, "/AmazonSSMManagedInstanceCore") && strcontains(module.eks.resources.analyst.policy, "AWS-StartPortForwardingSessionToRemoteHost") && !strcontains(module.eks.resources.analyst.policy, "AWS-StartSSHSession")
    error_message = "analysts reach the database by SSM port forwarding through the nodes (their policy allows only that document)"
  }
}
