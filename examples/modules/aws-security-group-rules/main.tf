# Turns the derived rules of a set of appmap_relation resources into
# aws_vpc_security_group_ingress_rule / aws_vpc_security_group_egress_rule,
# one for_each each. The keys are appmap's stable rule keys: known at plan
# time even when the security group ids are not, so this works in the same
# plan that creates the groups, and never churns.
#
#   module "rules" {
#     source    = "./modules/aws-security-group-rules"
#     relations = [appmap_relation.a, appmap_relation.b]
#   }

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "relations" {
  description = "appmap_relation resources (any objects with ingress_rules and egress_rules maps)."
  type = list(object({
    ingress_rules = map(object({
      security_group_id            = string
      ip_protocol                  = string
      from_port                    = number
      to_port                      = number
      referenced_security_group_id = string
      cidr_ipv4                    = string
      cidr_ipv6                    = string
      prefix_list_id               = string
      description                  = string
    }))
    egress_rules = map(object({
      security_group_id            = string
      ip_protocol                  = string
      from_port                    = number
      to_port                      = number
      referenced_security_group_id = string
      cidr_ipv4                    = string
      cidr_ipv6                    = string
      prefix_list_id               = string
      description                  = string
    }))
  }))
}

variable "tags" {
  description = "Tags added to every rule (the appmap rule key is always tagged)."
  type        = map(string)
  default     = {}
}

locals {
  # The same rule derived by two relations has the same key: merge keeps one.
  ingress = merge([for r in var.relations : r.ingress_rules]...)
  egress  = merge([for r in var.relations : r.egress_rules]...)
}

resource "aws_vpc_security_group_ingress_rule" "this" {
  for_each = local.ingress

  security_group_id            = each.value.security_group_id
  ip_protocol                  = each.value.ip_protocol
  from_port                    = each.value.from_port
  to_port                      = each.value.to_port
  referenced_security_group_id = each.value.referenced_security_group_id
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  prefix_list_id               = each.value.prefix_list_id
  description                  = each.value.description
  tags                         = merge(var.tags, { "appmap:key" = each.key })
}

resource "aws_vpc_security_group_egress_rule" "this" {
  for_each = local.egress

  security_group_id            = each.value.security_group_id
  ip_protocol                  = each.value.ip_protocol
  from_port                    = each.value.from_port
  to_port                      = each.value.to_port
  referenced_security_group_id = each.value.referenced_security_group_id
  cidr_ipv4                    = each.value.cidr_ipv4
  cidr_ipv6                    = each.value.cidr_ipv6
  prefix_list_id               = each.value.prefix_list_id
  description                  = each.value.description
  tags                         = merge(var.tags, { "appmap:key" = each.key })
}

output "ingress_rule_ids" {
  description = "Rule ids by appmap rule key."
  value       = { for k, r in aws_vpc_security_group_ingress_rule.this : k => r.security_group_rule_id }
}

output "egress_rule_ids" {
  description = "Rule ids by appmap rule key."
  value       = { for k, r in aws_vpc_security_group_egress_rule.this : k => r.security_group_rule_id }
}
