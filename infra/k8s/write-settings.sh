#!/usr/bin/env bash
# Usage: write-settings.sh OVERLAY_DIR IMAGE
# Writes OVERLAY_DIR/settings.env from the environment (the Terraform outputs of that environment,
# as CI's environment variables or exported by hand) and points the overlay's image at IMAGE
# (REPOSITORY:TAG). Fails, naming the variable, when a value is missing or malformed.
# Variables: AWS_REGION_VALUE (or AWS_REGION), ENVIRONMENT, ETL_IRSA_ROLE_ARN,
#            EXTERNAL_SECRETS_IRSA_ROLE_ARN, DB_MASTER_SECRET_ARN, API_HOST, ACM_CERTIFICATE_ARN,
#            ALB_SECURITY_GROUP_ID, ALB_LOGS_BUCKET, VPC_CIDR, ALB_SUBNETS_CIDR, CSV_S3_URI
# (terraform output: aws_region, -, etl_irsa_role_arn, external_secrets_irsa_role_arn,
#  db_master_secret_arn, -, -, alb_security_group_id, alb_logs_bucket_name, vpc_cidr, alb_subnets_cidr,
#  s3://<data_bucket_name>/titanic.csv).
set -euo pipefail
overlay=${1:?usage: write-settings.sh OVERLAY_DIR IMAGE}
image=${2:?usage: write-settings.sh OVERLAY_DIR IMAGE}
[ -f "$overlay/kustomization.yaml" ] || { echo "write-settings: no kustomization.yaml in $overlay" >&2; exit 2; }

AWS_REGION_VALUE=${AWS_REGION_VALUE:-${AWS_REGION:-}}
declare -A pattern=(
  [AWS_REGION_VALUE]='^[a-z]{2}(-[a-z]+)+-[0-9]$'
  [ENVIRONMENT]='^(dev|prod)$'
  [ETL_IRSA_ROLE_ARN]='^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$'
  [EXTERNAL_SECRETS_IRSA_ROLE_ARN]='^arn:aws[a-z-]*:iam::[0-9]{12}:role/.+$'
  [DB_MASTER_SECRET_ARN]='^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[^/]+$'
  [ALB_LOGS_BUCKET]='^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$'
  [API_HOST]='^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$'
  [ACM_CERTIFICATE_ARN]='^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$'
  [ALB_SECURITY_GROUP_ID]='^sg-[0-9a-f]{8,17}$'
  [VPC_CIDR]='^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$'
  [ALB_SUBNETS_CIDR]='^[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}$'
  [CSV_S3_URI]='^s3://[a-z0-9.-]+/.+$'
)
vars=(AWS_REGION_VALUE ENVIRONMENT ETL_IRSA_ROLE_ARN EXTERNAL_SECRETS_IRSA_ROLE_ARN DB_MASTER_SECRET_ARN API_HOST
  ACM_CERTIFICATE_ARN ALB_SECURITY_GROUP_ID ALB_LOGS_BUCKET VPC_CIDR ALB_SUBNETS_CIDR CSV_S3_URI)
for var in "${vars[@]}"; do
  value=${!var:-}
  [ -n "$value" ] || { echo "write-settings: $var is not set" >&2; exit 2; }
  [[ $value =~ ${pattern[$var]} ]] || { echo "write-settings: $var='$value' does not look right" >&2; exit 2; }
done
case "$image" in
  *:*) repo=${image%:*} tag=${image##*:} ;;
  *) echo "write-settings: image '$image' has no tag" >&2; exit 2 ;;
esac
case "$tag" in latest | */*) echo "write-settings: image tag '$tag' is not allowed" >&2; exit 2 ;; esac

cat >"$overlay/settings.env" <<SETTINGS
# Written by infra/k8s/write-settings.sh
AWS_REGION=$AWS_REGION_VALUE
ENVIRONMENT=$ENVIRONMENT
ETL_IRSA_ROLE_ARN=$ETL_IRSA_ROLE_ARN
EXTERNAL_SECRETS_IRSA_ROLE_ARN=$EXTERNAL_SECRETS_IRSA_ROLE_ARN
DB_MASTER_SECRET_ARN=$DB_MASTER_SECRET_ARN
API_HOST=$API_HOST
ACM_CERTIFICATE_ARN=$ACM_CERTIFICATE_ARN
ALB_SECURITY_GROUP_ID=$ALB_SECURITY_GROUP_ID
ALB_LOGS_BUCKET=$ALB_LOGS_BUCKET
VPC_CIDR=$VPC_CIDR
ALB_SUBNETS_CIDR=$ALB_SUBNETS_CIDR
CSV_S3_URI=$CSV_S3_URI
SETTINGS

# Same effect as `kustomize edit set image titanic=REPO:TAG`, without needing kustomize itself.
tmp=$(mktemp)
awk -v repo="$repo" -v tag="$tag" '
  /^images:/ { in_images = 1; print; next }
  in_images && /^[^ #-]/ { in_images = 0 }
  in_images && /^ +newName:/ { sub(/newName:.*/, "newName: " repo) }
  in_images && /^ +newTag:/ { sub(/newTag:.*/, "newTag: \"" tag "\"") }
  { print }
' "$overlay/kustomization.yaml" >"$tmp"
grep -q "newName: $repo\$" "$tmp" || { rm -f "$tmp"; echo "write-settings: no images/newName in $overlay/kustomization.yaml" >&2; exit 2; }
cat "$tmp" >"$overlay/kustomization.yaml"
rm -f "$tmp"
echo "write-settings: $overlay -> $repo:$tag"
