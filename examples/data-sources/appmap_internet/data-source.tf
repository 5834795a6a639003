data "appmap_internet" "this" {}

resource "appmap_service" "storefront" {
  name               = "storefront"
  security_group_ids = ["sg-0a10000000000f001"]
}

# Public traffic: ingress from 0.0.0.0/0 and ::/0 on the storefront's group.
resource "appmap_relation" "internet_to_storefront" {
  from     = data.appmap_internet.this.ref
  to       = appmap_service.storefront.ref
  protocol = "https"
  reason   = "Public storefront for customers"
}
