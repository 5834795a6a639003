provider "appmap" {
  boundary {
    from           = "internet"
    never_reaches  = ["zone:pci"]
    except_through = ["payments"]
    reason         = "PCI DSS: cardholder data is reachable only through the payments service"
  }
}

data "appmap_internet" "this" {}

resource "appmap_service" "storefront" {
  name               = "storefront"
  zone               = "public"
  security_group_ids = ["sg-0a10000000000f001"]
}

resource "appmap_service" "payments" {
  name               = "payments"
  zone               = "payments"
  security_group_ids = ["sg-0a10000000000e001"]
}

resource "appmap_service" "card_vault_db" {
  name               = "card-vault-db"
  zone               = "pci"
  security_group_ids = ["sg-0a10000000000e002"]
}

resource "appmap_relation" "internet_to_storefront" {
  from     = data.appmap_internet.this.ref
  to       = appmap_service.storefront.ref
  protocol = "https"
  reason   = "Public storefront for customers"
}

resource "appmap_relation" "storefront_to_payments" {
  from     = appmap_service.storefront.ref
  to       = appmap_service.payments.ref
  protocol = "https"
  reason   = "Charge the customer at checkout"
}

resource "appmap_relation" "payments_to_card_vault_db" {
  from     = appmap_service.payments.ref
  to       = appmap_service.card_vault_db.ref
  protocol = "postgres"
  reason   = "Tokenise and look up card data (PCI scope)"
}

# Fails the plan when these relations form a path the provider's boundaries
# (or this resource's own never_reaches blocks) forbid.
resource "appmap_boundary_check" "shop" {
  relations = [
    appmap_relation.internet_to_storefront,
    appmap_relation.storefront_to_payments,
    appmap_relation.payments_to_card_vault_db,
  ]

  never_reaches {
    from           = "zone:public"
    never_reaches  = ["zone:pci"]
    except_through = ["payments"]
    reason         = "Public services reach card data only through payments"
  }
}
