# What the environment root and CI need of the deploy identity and the runner.

output "deploy_role_arn" {
  description = "Deploy role for GitHub Actions (the environment variable AWS_DEPLOY_ROLE_ARN)."
  value       = aws_iam_role.deploy.arn
}

output "runner_project_name" {
  description = "CodeBuild project of the in-VPC runner (the workflow's runs-on: codebuild-<name>-<run id>-<attempt>)."
  value       = aws_codebuild_project.runner.name
}

output "github_connection_arn" {
  description = "GitHub connection to authorise once in the console (Developer Tools > Connections)."
  value       = aws_codestarconnections_connection.github.arn
}

output "resources" {
  description = "The module's planned resources, read by the plan assertions of envs/*/tests (terraform test)."
  value = {
    oidc_provider       = aws_iam_openid_connect_provider.github
    deploy_role         = aws_iam_role.deploy
    deploy_policy       = aws_iam_role_policy.deploy
    access_entry        = aws_eks_access_entry.deploy
    repository_policy   = aws_ecr_repository_policy.promotion
    runner              = aws_codebuild_project.runner
    runner_webhook      = aws_codebuild_webhook.runner
    cluster_from_runner = aws_vpc_security_group_ingress_rule.cluster_from_runner
  }
}

output "policies" {
  description = "The IAM/ECR policy documents as planned (jsonencode'd locals), read by the plan assertions."
  value = {
    deploy_trust       = local.deploy_trust
    deploy_permissions = local.deploy_permissions
    repository         = local.repository_policy
  }
}
