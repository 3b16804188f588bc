# IDs the other modules need: VPC, subnets, AZs, NAT addresses, the flow log group.

output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.this.id
}

output "vpc_cidr" {
  description = "CIDR block of the VPC."
  value       = aws_vpc.this.cidr_block
}

output "azs" {
  description = "Availability zones the subnets are spread over."
  value       = local.azs
}

output "public_subnet_ids" {
  description = "Public subnet IDs (internet-facing load balancer)."
  value       = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  description = "Private subnet IDs (EKS nodes and pods, RDS)."
  value       = aws_subnet.private[*].id
}

output "nat_public_ips" {
  description = "Elastic IPs of the NAT gateways (egress addresses of the pods)."
  value       = aws_eip.nat[*].public_ip
}

output "flow_log_group_name" {
  description = "CloudWatch log group of the VPC flow logs."
  value       = aws_cloudwatch_log_group.flow_logs.name
}

output "nat_gateway_count" {
  description = "Number of NAT gateways (1 with single_nat_gateway, else one per AZ)."
  value       = length(aws_nat_gateway.this)
}

output "resources" {
  description = "The module's planned resources, read by the plan assertions of envs/*/tests (terraform test)."
  value = {
    vpc          = aws_vpc.this
    nat_gateways = aws_nat_gateway.this
    private_nat  = aws_route.private_nat
    s3_gateway   = aws_vpc_endpoint.s3
    endpoints    = aws_vpc_endpoint.interface
    flow_log     = aws_flow_log.this
    flow_logs    = aws_cloudwatch_log_group.flow_logs
  }
}

output "alb_subnets_cidr" {
  description = "CIDR covering exactly the public subnets (the ALB's ENIs): the API NetworkPolicy's only source."
  value       = local.alb_subnets_cidr
}
