terraform {
  required_version = ">= 1.10.0, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Deliberately local state: this root creates the bucket and lock table that every other
  # root uses as its backend. Keep its terraform.tfstate safe (or migrate it into the bucket).
}
