# Analysts reach the database from a laptop without opening it to the internet: an SSM port
# forwarding session through one of the cluster's nodes (they already reach RDS on 5432) to the
# analysts' host (prod: the read replica), docs/analysts-aws.md. The nodes run the SSM agent with
# AmazonSSMManagedInstanceCore; an analyst gets the managed policy below (attach it to their group
# or SSO permission set): port forwarding only, only to this cluster's nodes, and the analyst URL
# secret, nothing else (no shell: the session document is pinned).

data "aws_caller_identity" "analysts" {}

resource "aws_iam_role_policy_attachment" "node_ssm" {
  role       = aws_iam_role.node.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_policy" "analyst_access" {
  name        = "${var.cluster_name}-analyst-access"
  description = "Analysts of ${var.cluster_name}: SSM port forwarding through its nodes to the database, and titanic_analyst's URL"

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "PortForwardThroughClusterNodes"
        Effect   = "Allow"
        Action   = ["ssm:StartSession"]
        Resource = ["arn:${local.partition}:ec2:${data.aws_region.current.name}:*:instance/*"]
        Condition = {
          StringEquals = { "ssm:resourceTag/eks:cluster-name" = var.cluster_name }
          Bool         = { "ssm:SessionDocumentAccessCheck" = "true" }
        }
      },
      {
        Sid      = "OnlyThePortForwardingDocument"
        Effect   = "Allow"
        Action   = ["ssm:StartSession"]
        Resource = ["arn:${local.partition}:ssm:${data.aws_region.current.name}::document/AWS-StartPortForwardingSessionToRemoteHost"]
      },
      {
        Sid      = "OwnSessions"
        Effect   = "Allow"
        Action   = ["ssm:TerminateSession", "ssm:ResumeSession"]
        Resource = ["arn:${local.partition}:ssm:*:*:session/$${aws:userid}-*"]
      },
      {
        Sid      = "FindANode"
        Effect   = "Allow"
        Action   = ["ec2:DescribeInstances"]
        Resource = ["*"]
      },
      {
        Sid    = "AnalystUrl"
        Effect = "Allow"
        Action = ["secretsmanager:GetSecretValue"]
        # By name (Secrets Manager appends six characters), so the policy is known at plan time.
        Resource = ["arn:${local.partition}:secretsmanager:${data.aws_region.current.name}:${data.aws_caller_identity.analysts.account_id}:secret:${var.analyst_secret_name}-*"]
      },
      {
        Sid       = "DecryptThroughSecretsManager"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [var.secrets_kms_key_arn]
        Condition = { StringEquals = { "kms:ViaService" = "secretsmanager.${data.aws_region.current.name}.amazonaws.com" } }
      },
    ]
  })

  tags = var.tags
}
