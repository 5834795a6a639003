terraform {
  required_providers {
    appmap = {
      source = "appmap/appmap"
    }
  }
}

provider "appmap" {
  manage_egress = true

  boundary {
    from           = "internet"
    never_reaches  = ["zone:pci"]
    except_through = ["payments"]
    reason         = "PCI DSS: cardholder data is reachable only through the payments service"
  }

  boundary {
    from           = "reconciliation-batch"
    never_talks_to = ["card-vault-db"]
    reason         = "Reconciliation works on tokens, never card data"
  }

  boundary {
    from           = "storefront"
    never_talks_to = ["orders-db", "card-vault-db"]
    reason         = "The web tier never queries databases directly"
  }
}

data "appmap_internet" "this" {}

resource "appmap_service" "card_vault_db" {
  name               = "card-vault-db"
  zone               = "pci"
  owner              = "team-payments"
  security_group_ids = ["sg-0a10000000000e002"]
}

resource "appmap_service" "cart_api" {
  name               = "cart-api"
  zone               = "app"
  owner              = "team-basket"
  security_group_ids = ["sg-0a10000000000c001"]
  listens = {
    https = 8443
  }
}

resource "appmap_service" "catalog_api" {
  name               = "catalog-api"
  zone               = "app"
  owner              = "team-catalog"
  security_group_ids = ["sg-0a10000000000c002"]
}

resource "appmap_service" "orders_api" {
  name               = "orders-api"
  zone               = "app"
  owner              = "team-orders"
  security_group_ids = ["sg-0a10000000000c004"]
}

resource "appmap_service" "orders_db" {
  name               = "orders-db"
  zone               = "data"
  owner              = "team-orders"
  security_group_ids = ["sg-0a10000000000d002"]
}

resource "appmap_service" "payment_provider" {
  name  = "payment-provider"
  zone  = "external"
  owner = "team-payments"
  cidrs = ["198.51.100.0/24", "2001:db8:100::/48"]
}

resource "appmap_service" "payments" {
  name               = "payments"
  zone               = "payments"
  owner              = "team-payments"
  security_group_ids = ["sg-0a10000000000e001"]
}

resource "appmap_service" "reconciliation_batch" {
  name               = "reconciliation-batch"
  zone               = "batch"
  owner              = "team-finance"
  security_group_ids = ["sg-0a10000000000f002"]
}

resource "appmap_service" "search_api" {
  name               = "search-api"
  zone               = "app"
  owner              = "team-search"
  security_group_ids = ["sg-0a10000000000c003"]
}

resource "appmap_service" "search_cluster" {
  name               = "search-cluster"
  zone               = "data"
  owner              = "team-search"
  security_group_ids = ["sg-0a10000000000d001"]
}

resource "appmap_service" "session_cache" {
  name               = "session-cache"
  zone               = "data"
  owner              = "team-web"
  security_group_ids = ["sg-0a10000000000d003"]
}

resource "appmap_service" "storefront" {
  name               = "storefront"
  zone               = "public"
  owner              = "team-web"
  security_group_ids = ["sg-0a10000000000f001"]
  load_balancer = {
    name               = "shop-lb"
    security_group_ids = ["sg-0a10000000000b001"]
    listeners = {
      https = 443
      http  = 80
    }
    target_port       = 8080
    health_check_port = 8081
  }
}

resource "appmap_relation" "cart_api_to_session_cache_redis" {
  from     = appmap_service.cart_api.ref
  to       = appmap_service.session_cache.ref
  protocol = "redis"
  reason   = "Baskets live with the session"
}

resource "appmap_relation" "catalog_api_to_search_cluster_elasticsearch" {
  from     = appmap_service.catalog_api.ref
  to       = appmap_service.search_cluster.ref
  protocol = "elasticsearch"
  reason   = "Index product changes for search"
}

resource "appmap_relation" "internet_to_storefront_http" {
  from     = data.appmap_internet.this.ref
  to       = appmap_service.storefront.ref
  protocol = "http"
  reason   = "Redirect plain HTTP to HTTPS"
  cadence  = "continuous"
}

resource "appmap_relation" "internet_to_storefront_https" {
  from     = data.appmap_internet.this.ref
  to       = appmap_service.storefront.ref
  protocol = "https"
  reason   = "Public storefront for customers"
  cadence  = "continuous"
}

resource "appmap_relation" "orders_api_to_orders_db_postgres" {
  from     = appmap_service.orders_api.ref
  to       = appmap_service.orders_db.ref
  protocol = "postgres"
  reason   = "Record orders"
}

resource "appmap_relation" "orders_api_to_payments_https" {
  from     = appmap_service.orders_api.ref
  to       = appmap_service.payments.ref
  protocol = "https"
  reason   = "Charge the customer for an order"
  owner    = "team-orders"
  ticket   = "SEC-1042"
}

resource "appmap_relation" "payments_to_card_vault_db_postgres" {
  from      = appmap_service.payments.ref
  to        = appmap_service.card_vault_db.ref
  protocol  = "postgres"
  reason    = "Tokenise and look up card data (PCI scope)"
  review_by = "2027-06-30"
}

resource "appmap_relation" "payments_to_payment_provider_https" {
  from     = appmap_service.payments.ref
  to       = appmap_service.payment_provider.ref
  protocol = "https"
  reason   = "Authorise card payments with the acquirer"
}

resource "appmap_relation" "reconciliation_batch_to_orders_db_postgres" {
  from     = appmap_service.reconciliation_batch.ref
  to       = appmap_service.orders_db.ref
  protocol = "postgres"
  reason   = "Quarterly reconciliation reads settled orders"
  cadence  = "quarterly"
}

resource "appmap_relation" "reconciliation_batch_to_payment_provider_https" {
  from     = appmap_service.reconciliation_batch.ref
  to       = appmap_service.payment_provider.ref
  protocol = "https"
  reason   = "Download quarterly settlement reports"
  cadence  = "quarterly"
}

resource "appmap_relation" "search_api_to_search_cluster_elasticsearch" {
  from     = appmap_service.search_api.ref
  to       = appmap_service.search_cluster.ref
  protocol = "elasticsearch"
  reason   = "Run search queries"
}

resource "appmap_relation" "storefront_to_cart_api_https" {
  from     = appmap_service.storefront.ref
  to       = appmap_service.cart_api.ref
  protocol = "https"
  reason   = "Show and change the basket"
}

resource "appmap_relation" "storefront_to_catalog_api_https" {
  from     = appmap_service.storefront.ref
  to       = appmap_service.catalog_api.ref
  protocol = "https"
  reason   = "Product pages"
}

resource "appmap_relation" "storefront_to_orders_api_https" {
  from     = appmap_service.storefront.ref
  to       = appmap_service.orders_api.ref
  protocol = "https"
  reason   = "Place orders at checkout"
}

resource "appmap_relation" "storefront_to_search_api_https" {
  from     = appmap_service.storefront.ref
  to       = appmap_service.search_api.ref
  protocol = "https"
  reason   = "User search queries"
}

resource "appmap_relation" "storefront_to_session_cache_redis" {
  from     = appmap_service.storefront.ref
  to       = appmap_service.session_cache.ref
  protocol = "redis"
  reason   = "Customer sessions"
}
