terraform {
  required_providers {
    appmap = {
      source = "appmap/appmap"
    }
  }
}

provider "appmap" {
  # Derive egress rules on the client's security groups too (default true).
  manage_egress = true
  # The internet is ::/0 as well as 0.0.0.0/0 (default true).
  internet_ipv6 = true

  # No relation may connect these directly: planning one is an error at
  # the relation's `to`, quoting the reason.
  boundary {
    from           = "storefront"
    never_talks_to = ["orders-db", "zone:pci"]
    reason         = "The web tier never queries databases directly"
  }

  # No path of any length may connect these, except through the choke
  # point; checked over a set of relations by appmap_boundary_check.
  boundary {
    from           = "internet"
    never_reaches  = ["zone:pci"]
    except_through = ["payments"]
    reason         = "PCI DSS: cardholder data is reachable only through the payments service"
  }
}
