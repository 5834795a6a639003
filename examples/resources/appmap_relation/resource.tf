resource "appmap_service" "frontend" {
  name               = "frontend"
  security_group_ids = ["sg-0a10000000000f001"]
}

resource "appmap_service" "search_api" {
  name               = "search-api"
  security_group_ids = ["sg-0a10000000000c003"]
}

resource "appmap_relation" "frontend_to_search" {
  from      = appmap_service.frontend.ref
  to        = appmap_service.search_api.ref
  protocol  = "https"
  reason    = "User search queries"
  review_by = "2027-06-30"
  cadence   = "continuous"
  owner     = "team-search"
  ticket    = "SEC-1042"
}

# The derived rules, keyed by stable rule keys, feed the AWS rule resources
# with one for_each each (see examples/modules/aws-security-group-rules):
#
#   resource "aws_vpc_security_group_ingress_rule" "this" {
#     for_each                     = appmap_relation.frontend_to_search.ingress_rules
#     security_group_id            = each.value.security_group_id
#     ip_protocol                  = each.value.ip_protocol
#     from_port                    = each.value.from_port
#     to_port                      = each.value.to_port
#     referenced_security_group_id = each.value.referenced_security_group_id
#     cidr_ipv4                    = each.value.cidr_ipv4
#     cidr_ipv6                    = each.value.cidr_ipv6
#     prefix_list_id               = each.value.prefix_list_id
#     description                  = each.value.description
#   }
output "ingress_rule_keys" {
  value = keys(appmap_relation.frontend_to_search.ingress_rules)
}
