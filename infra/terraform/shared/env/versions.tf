# Terraform >= 1.10 (the S3 backend's use_lockfile) and the AWS provider only; the exact provider
# build is pinned by each env's own .terraform.lock.hcl.

terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }
}
