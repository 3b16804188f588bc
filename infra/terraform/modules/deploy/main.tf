# How a release reaches the environment without anyone running kubectl and without a public
# Kubernetes API endpoint for CI (docs/deploy.md, "The deploy path"):
#   - GitHub's OIDC provider and one deploy role per environment, assumable only by workflow jobs
#     of the configured repository running in that environment's GitHub environment: ECR push
#     (and, in prod, pull from dev's repository to copy the same digest), eks:DescribeCluster;
#   - an EKS access entry for that role in the Kubernetes group titanic-deployers, which
#     infra/k8s/cluster-addons/deployer-rbac.yaml binds to exactly the kinds the overlays apply;
#   - a CodeBuild-hosted GitHub Actions runner inside the VPC (private subnets): the deploy jobs
#     run there and reach the cluster's private endpoint; the runner's own role may only write its
#     logs and attach to the VPC, the jobs assume the deploy role through OIDC like any other job;
#   - in dev, a repository policy that lets prod's deploy role pull (promotion across accounts).

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

locals {
  partition   = data.aws_partition.current.partition
  github_host = "token.actions.githubusercontent.com"
  account     = data.aws_caller_identity.current.account_id
  # ARNs built from names (the formats are fixed), so that the policies are known at plan time and
  # the plan assertions can read them; the resources are still ordered by references/depends_on.
  oidc_provider_arn  = "arn:${local.partition}:iam::${local.account}:oidc-provider/${local.github_host}"
  cluster_arn        = "arn:${local.partition}:eks:${data.aws_region.current.name}:${local.account}:cluster/${var.cluster_name}"
  ecr_repository_arn = "arn:${local.partition}:ecr:${data.aws_region.current.name}:${local.account}:repository/${var.ecr_repository_name}"
  runner_name        = "${var.name}-deploy-runner"
}

# ---------------------------------------------------------------------------------------------
# GitHub OIDC and the deploy role
# ---------------------------------------------------------------------------------------------

# One per account: an account holding both environments creates it in one of them only.
resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_github_oidc_provider ? 1 : 0

  url            = "https://${local.github_host}"
  client_id_list = ["sts.amazonaws.com"]

  tags = var.tags
}

# Policies as jsonencode (not policy-document data sources), so that the plan assertions of
# envs/*/tests read their real content.
locals {
  deploy_trust = {
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRoleWithWebIdentity"
      Principal = { Federated = local.oidc_provider_arn }
      Condition = {
        StringEquals = {
          "${local.github_host}:aud" = "sts.amazonaws.com"
          # Only jobs of this repository that run in this GitHub environment (its protection
          # rules, e.g. prod's required reviewers, apply before the token is issued).
          "${local.github_host}:sub" = "repo:${var.github_repository}:environment:${var.github_environment}"
        }
      }
    }]
  }

  pull_actions = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:DescribeImages", "ecr:GetDownloadUrlForLayer"]
  push_actions = ["ecr:CompleteLayerUpload", "ecr:InitiateLayerUpload", "ecr:PutImage", "ecr:UploadLayerPart"]

  repository_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "PromotionPull"
      Effect    = "Allow"
      Action    = local.pull_actions
      Principal = { AWS = var.pull_principal_arns }
    }]
  }

  deploy_permissions = {
    Version = "2012-10-17"
    Statement = concat(
      [
        { Sid = "EcrLogin", Effect = "Allow", Action = ["ecr:GetAuthorizationToken"], Resource = "*" },
        { Sid = "PushAndReadOwnRepository", Effect = "Allow", Action = concat(local.pull_actions, local.push_actions), Resource = local.ecr_repository_arn },
        { Sid = "Kubeconfig", Effect = "Allow", Action = ["eks:DescribeCluster"], Resource = local.cluster_arn },
      ],
      var.promote_from_repository_arn == "" ? [] : [
        { Sid = "PullFromPromotionSource", Effect = "Allow", Action = local.pull_actions, Resource = var.promote_from_repository_arn },
      ],
    )
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.name}-deploy"
  description          = "GitHub Actions deploy role of ${var.name}: ECR push, EKS access entry titanic-deployers"
  assume_role_policy   = jsonencode(local.deploy_trust)
  max_session_duration = 3600

  tags = var.tags

  depends_on = [aws_iam_openid_connect_provider.github]
}

resource "aws_iam_role_policy" "deploy" {
  name   = "deploy"
  role   = aws_iam_role.deploy.id
  policy = jsonencode(local.deploy_permissions)
}

# No AWS access policy is associated: what the role may do in the cluster is only what the
# titanic-deployers group is bound to (deployer-rbac.yaml).
resource "aws_eks_access_entry" "deploy" {
  cluster_name      = var.cluster_name
  principal_arn     = aws_iam_role.deploy.arn
  kubernetes_groups = [var.kubernetes_group]
  type              = "STANDARD"

  tags = var.tags
}

# ---------------------------------------------------------------------------------------------
# Promotion: prod's deploy role may pull from dev's repository (set in dev only)
# ---------------------------------------------------------------------------------------------

resource "aws_ecr_repository_policy" "promotion" {
  count = length(var.pull_principal_arns) > 0 ? 1 : 0

  repository = var.ecr_repository_name
  policy     = jsonencode(local.repository_policy)
}

# ---------------------------------------------------------------------------------------------
# The in-VPC runner (CodeBuild-hosted GitHub Actions runner)
# ---------------------------------------------------------------------------------------------

# Created PENDING: a person completes the GitHub App handshake once in the console (docs/deploy.md).
resource "aws_codestarconnections_connection" "github" {
  name          = substr("${var.name}-github", 0, 32)
  provider_type = "GitHub"

  tags = var.tags
}

resource "aws_cloudwatch_log_group" "runner" {
  name              = "/aws/codebuild/${local.runner_name}"
  retention_in_days = var.log_retention_days

  tags = var.tags
}

resource "aws_security_group" "runner" {
  name        = local.runner_name
  description = "Deploy runner of ${var.name}: no inbound; HTTPS out (GitHub, ECR, the EKS endpoint)"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = local.runner_name })
}

resource "aws_vpc_security_group_egress_rule" "runner_https" {
  security_group_id = aws_security_group.runner.id
  description       = "HTTPS: GitHub (job queue, checkout), ECR, STS, the cluster endpoint"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "runner_dns" {
  security_group_id = aws_security_group.runner.id
  description       = "DNS to the VPC resolver"
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "udp"
  from_port         = 53
  to_port           = 53
}

# The cluster's private endpoint accepts the runner.
resource "aws_vpc_security_group_ingress_rule" "cluster_from_runner" {
  security_group_id            = var.cluster_security_group_id
  description                  = "Kubernetes API from the deploy runner"
  referenced_security_group_id = aws_security_group.runner.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
}

data "aws_iam_policy_document" "runner_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["codebuild.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "runner" {
  name               = local.runner_name
  description        = "CodeBuild service role of the ${var.name} deploy runner: logs, VPC attachment, the GitHub connection"
  assume_role_policy = data.aws_iam_policy_document.runner_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "runner" {
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.runner.arn}:*"]
  }

  # CodeBuild's documented VPC permissions: describe calls have no resource-level scope.
  statement {
    sid = "VpcDescribe"
    actions = [
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:DescribeDhcpOptions",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSecurityGroups",
      "ec2:DescribeSubnets",
      "ec2:DescribeVpcs",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "VpcAttach"
    actions   = ["ec2:CreateNetworkInterfacePermission"]
    resources = ["arn:${local.partition}:ec2:*:${local.account}:network-interface/*"]

    condition {
      test     = "StringEquals"
      variable = "ec2:AuthorizedService"
      values   = ["codebuild.amazonaws.com"]
    }
  }

  statement {
    sid       = "GitHubConnection"
    actions   = ["codeconnections:GetConnectionToken", "codeconnections:GetConnection", "codestar-connections:GetConnectionToken", "codestar-connections:GetConnection", "codestar-connections:UseConnection"]
    resources = [aws_codestarconnections_connection.github.arn]
  }
}

resource "aws_iam_role_policy" "runner" {
  name   = "runner"
  role   = aws_iam_role.runner.id
  policy = data.aws_iam_policy_document.runner.json
}

resource "aws_codebuild_project" "runner" {
  name          = local.runner_name
  description   = "GitHub Actions runner for the deploy jobs of ${var.name}, inside the VPC"
  service_role  = aws_iam_role.runner.arn
  build_timeout = 60

  source {
    type     = "GITHUB"
    location = "https://github.com/${var.github_repository}.git"

    auth {
      type     = "CODECONNECTIONS"
      resource = aws_codestarconnections_connection.github.arn
    }
  }

  artifacts {
    type = "NO_ARTIFACTS"
  }

  environment {
    compute_type    = "BUILD_GENERAL1_SMALL"
    image           = "aws/codebuild/amazonlinux-x86_64-standard:5.0"
    type            = "LINUX_CONTAINER"
    privileged_mode = false
  }

  vpc_config {
    vpc_id             = var.vpc_id
    subnets            = var.subnet_ids
    security_group_ids = [aws_security_group.runner.id]
  }

  logs_config {
    cloudwatch_logs {
      group_name = aws_cloudwatch_log_group.runner.name
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.runner]
}

# Queued workflow jobs whose runs-on names this project start a build that runs the job.
resource "aws_codebuild_webhook" "runner" {
  project_name = aws_codebuild_project.runner.name
  build_type   = "BUILD"

  filter_group {
    filter {
      type    = "EVENT"
      pattern = "WORKFLOW_JOB_QUEUED"
    }
  }
}
