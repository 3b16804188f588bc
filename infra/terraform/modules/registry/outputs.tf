# What the environment root needs of the registry: the repository URL, ARN and name.

output "repository_url" {
  description = "Repository URL to tag and push images to (<account>.dkr.ecr.<region>.amazonaws.com/<name>)."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository (for the CI push role)."
  value       = aws_ecr_repository.this.arn
}

output "repository_name" {
  description = "Name of the repository."
  value       = aws_ecr_repository.this.name
}

output "resources" {
  description = "The module's planned resources, read by the plan assertions of envs/*/tests (terraform test)."
  value = {
    repository = aws_ecr_repository.this
  }
}
