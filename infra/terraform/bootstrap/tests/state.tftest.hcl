# Plans the state backend (bootstrap) against a mocked AWS provider and asserts the state bucket's
# hardening and the lock table. Run by infra/tests/terraform/terraform.sh.

mock_provider "aws" {
  source = "../tests/mocks"
}

override_resource {
  target          = aws_kms_key.state
  override_during = plan
  values = {
    arn = "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-00000000000f"
  }
}

run "state_bucket" {
  command = plan

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "the state bucket is versioned"
  }
  assert {
    condition     = one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).sse_algorithm == "aws:kms" && one(one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default).kms_master_key_id == "arn:aws:kms:eu-west-1:111111111111:key/00000000-0000-0000-0000-00000000000f"
    error_message = "the state bucket is encrypted with its own KMS key"
  }
  assert {
    condition     = aws_s3_bucket_public_access_block.state.block_public_acls && aws_s3_bucket_public_access_block.state.block_public_policy && aws_s3_bucket_public_access_block.state.ignore_public_acls && aws_s3_bucket_public_access_block.state.restrict_public_buckets
    error_message = "the state bucket blocks every kind of public access"
  }
  assert {
    condition     = aws_s3_bucket_ownership_controls.state.rule[0].object_ownership == "BucketOwnerEnforced"
    error_message = "ACLs are disabled on the state bucket"
  }
  assert {
    condition     = aws_dynamodb_table.lock.hash_key == "LockID" && aws_dynamodb_table.lock.point_in_time_recovery[0].enabled
    error_message = "the lock table (kept for Terraform < 1.10) is keyed by LockID with point-in-time recovery"
  }
}
