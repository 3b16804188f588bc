# Created by ../../bootstrap. Override per account with
# terraform init -backend-config="bucket=<your bucket>" (see infra/README.md).
terraform {
  backend "s3" {
    bucket         = "titanic-terraform-state"
    key            = "envs/prod/terraform.tfstate"
    region         = "eu-west-1"
    dynamodb_table = "titanic-terraform-locks"
    encrypt        = true
  }
}
