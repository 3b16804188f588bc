variable "name" {
  type        = string
  description = "Name prefix of the environment (titanic-<env>)."
}

variable "github_repository" {
  type        = string
  description = "GitHub repository (owner/name) whose workflows may assume the deploy role."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_environment" {
  type        = string
  description = "GitHub environment whose jobs may assume the deploy role (dev, production)."
}

variable "create_github_oidc_provider" {
  type        = bool
  description = "Create GitHub's OIDC provider (once per AWS account)."
  default     = true
}

variable "kubernetes_group" {
  type        = string
  description = "Kubernetes group of the deploy role's EKS access entry (bound by infra/k8s/cluster-addons/deployer-rbac.yaml)."
  default     = "titanic-deployers"
}

variable "cluster_name" {
  type        = string
  description = "EKS cluster the deploy role deploys to (its access entry, eks:DescribeCluster)."
}

variable "cluster_security_group_id" {
  type        = string
  description = "Cluster security group: its private endpoint accepts 443 from the runner."
}

variable "ecr_repository_name" {
  type        = string
  description = "The environment's ECR repository (push; its promotion policy)."
}

variable "promote_from_repository_arn" {
  type        = string
  description = "Repository the image is promoted from (prod: dev's repository ARN); empty in dev."
  default     = ""
}

variable "pull_principal_arns" {
  type        = list(string)
  description = "IAM roles of other accounts that may pull from this environment's repository (dev: prod's deploy role)."
  default     = []
}

variable "vpc_id" {
  type        = string
  description = "VPC of the runner."
}

variable "vpc_cidr" {
  type        = string
  description = "CIDR of the VPC (the runner's DNS)."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets of the runner."
}

variable "log_retention_days" {
  type        = number
  description = "Retention of the runner's log group."
}

variable "tags" {
  type        = map(string)
  description = "Tags for every resource."
  default     = {}
}
