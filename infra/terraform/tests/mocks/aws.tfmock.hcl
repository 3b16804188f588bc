# Mock data for `terraform test` with mock_provider "aws" (envs/*/tests, bootstrap/tests): the data
# sources whose random mock values would be invalid input elsewhere (policy JSON, account IDs, AZ
# names). Nothing here reaches AWS; resources' computed attributes stay unknown in a plan.

mock_data "aws_availability_zones" {
  defaults = {
    names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"]
  }
}

mock_data "aws_partition" {
  defaults = {
    partition = "aws"
  }
}

mock_data "aws_region" {
  defaults = {
    name = "eu-west-1"
  }
}

mock_data "aws_caller_identity" {
  defaults = {
    account_id = "111111111111"
  }
}

mock_data "aws_elb_service_account" {
  defaults = {
    arn = "arn:aws:iam::156460612806:root"
  }
}

# The policy documents' content is checked by infra/tests/terraform (the Node policy checks);
# the mock only has to be a policy the provider's validation accepts.
mock_data "aws_iam_policy_document" {
  defaults = {
    json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
  }
}

mock_data "aws_secretsmanager_random_password" {
  defaults = {
    random_password = "MockPasswordForPlanTestsOnly0123"
  }
}
