# State in the S3 bucket made by ../../bootstrap, locked with an S3 lock file (use_lockfile,
# Terraform >= 1.10). The DynamoDB table stays while any Terraform older than 1.10 may run here;
# remove dynamodb_table (then the table) once everyone is on 1.10+. Override per account with
# terraform init -backend-config="bucket=<your bucket>" (see infra/README.md).
terraform {
  backend "s3" {
    bucket         = "titanic-terraform-state"
    key            = "envs/dev/terraform.tfstate"
    region         = "eu-west-1"
    use_lockfile   = true
    dynamodb_table = "titanic-terraform-locks"
    encrypt        = true
  }
}
