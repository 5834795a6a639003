//! The shop of `examples/shop/appmap.yaml`, declared in Rust with the
//! CDK-style builder. Run it with
//!
//! ```text
//! cargo run -p appmap --example shop            # print the map, rules and HCL
//! cargo run -p appmap --example shop -- OUT_DIR # write appmap.yaml, rules.json, appmap.tf
//! ```
//!
//! The test suite (`dsl/tests/dsl_shop.rs`) runs the same code and checks
//! that it derives byte-identical rules to the YAML file.

use std::error::Error;
use std::path::Path;

use appmap::{AppMap, Cadence, Peer, Port};

/// Declares the shop into `map`.
pub fn declare(map: &AppMap) {
    let lb = map
        .load_balancer("shop-lb")
        .security_group("sg-0a10000000000b001")
        .listener(Port::HTTPS)
        .listener(Port::HTTP)
        .health_check_port(8081);

    let storefront = map
        .service("storefront")
        .owner("team-web")
        .zone("public")
        .security_group("sg-0a10000000000f001")
        .behind(&lb, Port::tcp(8080));
    let cart = map
        .service("cart-api")
        .owner("team-basket")
        .zone("app")
        .security_group("sg-0a10000000000c001")
        .listens_on(Port::HTTPS, 8443);
    let catalog = map.service("catalog-api").owner("team-catalog").zone("app").security_group("sg-0a10000000000c002");
    let search = map.service("search-api").owner("team-search").zone("app").security_group("sg-0a10000000000c003");
    let search_cluster =
        map.service("search-cluster").owner("team-search").zone("data").security_group("sg-0a10000000000d001");
    let orders = map.service("orders-api").owner("team-orders").zone("app").security_group("sg-0a10000000000c004");
    let orders_db = map.service("orders-db").owner("team-orders").zone("data").security_group("sg-0a10000000000d002");
    let sessions = map.service("session-cache").owner("team-web").zone("data").security_group("sg-0a10000000000d003");
    let payments =
        map.service("payments").owner("team-payments").zone("payments").security_group("sg-0a10000000000e001");
    let card_vault =
        map.service("card-vault-db").owner("team-payments").zone("pci").security_group("sg-0a10000000000e002");
    let acquirer = map
        .service("payment-provider")
        .owner("team-payments")
        .zone("external")
        .cidr("198.51.100.0/24")
        .cidr("2001:db8:100::/48");
    let reconciliation =
        map.service("reconciliation-batch").owner("team-finance").zone("batch").security_group("sg-0a10000000000f002");

    let web = storefront.connections();
    web.allow_from(Peer::internet(), Port::HTTPS, "Public storefront for customers").cadence(Cadence::Continuous);
    web.allow_from(Peer::internet(), Port::HTTP, "Redirect plain HTTP to HTTPS").cadence(Cadence::Continuous);
    web.allow_to(&cart, Port::HTTPS, "Show and change the basket");
    web.allow_to(&catalog, Port::HTTPS, "Product pages");
    web.allow_to(&search, Port::HTTPS, "User search queries");
    web.allow_to(&orders, Port::HTTPS, "Place orders at checkout");
    web.allow_to(&sessions, Port::REDIS, "Customer sessions");
    cart.connections().allow_to(&sessions, Port::REDIS, "Baskets live with the session");
    search.connections().allow_to(&search_cluster, Port::ELASTICSEARCH, "Run search queries");
    catalog.connections().allow_to(&search_cluster, Port::ELASTICSEARCH, "Index product changes for search");
    orders.connections().allow_to(&orders_db, Port::POSTGRES, "Record orders");
    orders
        .connections()
        .allow_to(&payments, Port::HTTPS, "Charge the customer for an order")
        .owner("team-orders")
        .ticket("SEC-1042");
    payments
        .connections()
        .allow_to(&card_vault, Port::POSTGRES, "Tokenise and look up card data (PCI scope)")
        .review_by("2027-06-30");
    payments.connections().allow_to(&acquirer, Port::HTTPS, "Authorise card payments with the acquirer");
    reconciliation
        .connections()
        .allow_to(&orders_db, Port::POSTGRES, "Quarterly reconciliation reads settled orders")
        .cadence(Cadence::Quarterly);
    reconciliation
        .connections()
        .allow_to(&acquirer, Port::HTTPS, "Download quarterly settlement reports")
        .cadence(Cadence::Quarterly);

    map.never_reaches(
        Peer::internet(),
        Peer::zone("pci"),
        "PCI DSS: cardholder data is reachable only through the payments service",
    )
    .except_through(&payments);
    map.never_talks_to(&storefront, [&orders_db, &card_vault], "The web tier never queries databases directly");
    map.never_talks_to(&reconciliation, &card_vault, "Reconciliation works on tokens, never card data");
}

/// The three artifacts of the shop: map file, derived rules (JSON), HCL.
#[derive(Debug)]
pub struct Artifacts {
    /// `appmap.yaml`.
    pub yaml: String,
    /// `rules.json`.
    pub rules_json: String,
    /// `appmap.tf`.
    pub hcl: String,
}

/// Declares and builds the shop; writes the artifacts into `out` when given.
pub fn run(out: Option<&Path>) -> Result<Artifacts, Box<dyn Error>> {
    let map = AppMap::new();
    declare(&map);
    let valid = map.build()?;
    let artifacts = Artifacts { yaml: valid.to_yaml(), rules_json: valid.derive().to_json(), hcl: valid.to_hcl() };
    if let Some(dir) = out {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("appmap.yaml"), &artifacts.yaml)?;
        std::fs::write(dir.join("rules.json"), &artifacts.rules_json)?;
        std::fs::write(dir.join("appmap.tf"), &artifacts.hcl)?;
    }
    Ok(artifacts)
}

#[cfg_attr(test, allow(dead_code))]
fn main() -> Result<(), Box<dyn Error>> {
    let out = std::env::args_os().nth(1);
    let artifacts = run(out.as_deref().map(Path::new))?;
    match out {
        Some(dir) => println!("wrote appmap.yaml, rules.json and appmap.tf to {}", Path::new(&dir).display()),
        None => {
            println!("# ---- appmap.yaml\n{}", artifacts.yaml);
            println!("# ---- rules.json\n{}", artifacts.rules_json);
            println!("# ---- appmap.tf\n{}", artifacts.hcl);
        }
    }
    Ok(())
}
