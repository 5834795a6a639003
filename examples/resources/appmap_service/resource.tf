# A service of ours: its identity is its security groups. In a real
# configuration the ids are `aws_security_group.search_api.id`; the rule keys
# stay known at plan time even while the ids are not.
resource "appmap_service" "search_api" {
  name               = "search-api"
  zone               = "app"
  owner              = "team-search"
  security_group_ids = ["sg-0a10000000000c003"]
}

# A service behind a load balancer that listens on other ports than the
# standard ones.
resource "appmap_service" "storefront" {
  name               = "storefront"
  zone               = "public"
  owner              = "team-web"
  security_group_ids = ["sg-0a10000000000f001"]
  listens            = { https = 8443 }

  load_balancer = {
    name               = "shop-lb"
    security_group_ids = ["sg-0a10000000000b001"]
    listeners          = { https = 443, http = 80 }
    health_check_port  = 8081
  }
}

# A service outside our control, known by its address ranges.
resource "appmap_service" "payment_provider" {
  name  = "payment-provider"
  zone  = "external"
  owner = "team-payments"
  cidrs = ["198.51.100.0/24", "2001:db8:100::/48"]
}
