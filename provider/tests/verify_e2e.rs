//! `appmap verify` against a real Terraform state: the shop is applied with
//! the real provider, its derived rules fed through `for_each` into
//! `terraform_data` resources that stand in for
//! `aws_vpc_security_group_{ingress,egress}_rule` (the AWS provider cannot be
//! downloaded here). The state's `terraform show -json` then verifies clean,
//! both against the map file and against the map read from the state itself;
//! planted changes show exactly the planted findings.

#[path = "../../tests/e2e_support/mod.rs"]
mod e2e_support;

use appmap::paths::{Graph, NodeSelector};
use appmap::snapshot::{parse_plan_prior, parse_snapshot};
use appmap::verify::{FindingKind, VerifyOptions, verify};
use e2e_support::Terraform;
use serde_json::{Value, json};

const RULES_TF: &str = r#"
locals {
  ingress = merge([for r in local.relations : r.ingress_rules]...)
  egress  = merge([for r in local.relations : r.egress_rules]...)
}

# Stand-ins for aws_vpc_security_group_ingress_rule / _egress_rule.
resource "terraform_data" "ingress_rule" {
  for_each = local.ingress
  input    = each.value
}

resource "terraform_data" "egress_rule" {
  for_each = local.egress
  input    = each.value
}
"#;

/// The state with each stand-in turned into the AWS rule resource it stands
/// for: same address index, the rule's fields as values.
fn as_aws_rules(state: &Value) -> Value {
    let mut state = state.clone();
    rename_stand_ins(&mut state["values"]);
    state
}

/// [`as_aws_rules`] on one `values` object (of a state, a plan's
/// `prior_state`, or its `planned_values`).
fn rename_stand_ins(values: &mut Value) {
    let Some(resources) = values["root_module"]["resources"].as_array_mut() else { return };
    for r in resources.iter_mut() {
        if r["type"] != "terraform_data" {
            continue;
        }
        let kind = match r["name"].as_str() {
            Some("ingress_rule") => "aws_vpc_security_group_ingress_rule",
            Some("egress_rule") => "aws_vpc_security_group_egress_rule",
            _ => continue,
        };
        let mut values = r["values"]["input"].clone();
        values.as_object_mut().expect("rule object").remove("direction");
        let address = format!("{kind}.this[{}]", r["index"]);
        *r = json!({
            "address": address,
            "mode": "managed",
            "type": kind,
            "name": "this",
            "index": r["index"],
            "provider_name": "registry.terraform.io/hashicorp/aws",
            "schema_version": 0,
            "values": values,
        });
    }
}

fn applied_shop_state() -> Value {
    let tf = Terraform::new(env!("CARGO_BIN_EXE_terraform-provider-appmap"));
    let shop = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/shop/main.tf"))
        .expect("shop main.tf");
    tf.write("main.tf", &shop);
    tf.write("rules.tf", RULES_TF);
    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]).assert_code(0, "apply");
    let show = tf.run(&["show", "-json"]);
    show.assert_code(0, "show -json");
    as_aws_rules(&serde_json::from_str(&show.stdout).expect("state JSON"))
}

fn options() -> VerifyOptions {
    VerifyOptions { today: Some("2026-12-04".parse().expect("date")), ..VerifyOptions::default() }
}

fn shop_map() -> appmap::ValidMap {
    appmap::load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/shop/appmap.yaml")).expect("shop map")
}

#[test]
fn applied_shop_state_verifies_clean_then_shows_planted_findings() {
    let state = applied_shop_state();
    let text = serde_json::to_string_pretty(&state).expect("json");
    let snapshot = parse_snapshot("shop-state.json", &text).expect("state parses");
    assert!(snapshot.rules.len() >= 36, "deployed rules: {}", snapshot.rules.len());

    // Against the map file.
    let vm = shop_map();
    let report = verify(&vm, &snapshot, &options());
    assert!(report.findings.is_empty(), "clean shop has findings:\n{}", report.to_text());

    // Against the map the state itself declares (appmap_service / appmap_relation).
    let declared = snapshot.map.clone().expect("the state declares a map");
    let from_state = appmap::ValidMap::new(declared).expect("map from state is valid");
    assert_eq!(from_state.derive().rules.len(), vm.derive().rules.len());
    let report = verify(&from_state, &snapshot, &options());
    assert!(report.findings.is_empty(), "clean shop (map from state) has findings:\n{}", report.to_text());

    // Plant: drop one derived rule, widen another, add one nobody declared
    // from the internet straight into the PCI database.
    let mut planted = state.clone();
    let resources = planted["values"]["root_module"]["resources"].as_array_mut().expect("resources");
    let dropped = "aws_vpc_security_group_ingress_rule.this[\"ingress/orders-db.sg0/tcp/5432/orders-api.sg0\"]";
    let widened = "aws_vpc_security_group_ingress_rule.this[\"ingress/search-cluster.sg0/tcp/9200/search-api.sg0\"]";
    let before = resources.len();
    resources.retain(|r| r["address"] != dropped);
    assert_eq!(resources.len(), before - 1, "the rule to drop exists");
    let wide = resources.iter_mut().find(|r| r["address"] == widened).expect("the rule to widen exists");
    wide["values"]["from_port"] = json!(0);
    wide["values"]["to_port"] = json!(65535);
    resources.push(json!({
        "address": "aws_vpc_security_group_ingress_rule.hotfix",
        "mode": "managed",
        "type": "aws_vpc_security_group_ingress_rule",
        "name": "hotfix",
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": {
            "security_group_id": "sg-0a10000000000e002",
            "ip_protocol": "tcp",
            "from_port": 5432,
            "to_port": 5432,
            "cidr_ipv4": "0.0.0.0/0",
            "cidr_ipv6": null,
            "referenced_security_group_id": null,
            "prefix_list_id": null,
            "description": "temporary debugging access"
        }
    }));
    let snapshot = parse_snapshot("planted.json", &serde_json::to_string(&planted).expect("json")).expect("parses");
    let report = verify(&vm, &snapshot, &options());
    let mut kinds: Vec<(FindingKind, Option<String>, Option<i32>)> =
        report.findings.iter().map(|f| (f.kind, f.security_group_id.clone(), f.to_port)).collect();
    kinds.sort();
    kinds.dedup();
    let text = report.to_text();
    // Missing: the dropped rule.
    assert!(kinds.contains(&(FindingKind::Missing, Some("sg-0a10000000000d002".into()), Some(5432))), "{text}");
    // Overbroad: the widened rule (which also means its exact rule is not there as such).
    assert!(kinds.contains(&(FindingKind::Overbroad, Some("sg-0a10000000000d001".into()), Some(65535))), "{text}");
    // The internet into the PCI zone: a boundary crossing, and a rule no relation explains.
    assert!(
        kinds.iter().any(|k| k.0 == FindingKind::Boundary && k.1.as_deref() == Some("sg-0a10000000000e002")),
        "{text}"
    );
    // Nothing else: every finding is about one of the three planted changes.
    for f in &report.findings {
        let gid = f.security_group_id.as_deref().unwrap_or_default();
        assert!(
            ["sg-0a10000000000d002", "sg-0a10000000000d001", "sg-0a10000000000e002"].contains(&gid),
            "unexpected finding: {f:?}\n{text}"
        );
    }
}

/// A saved plan diffed with itself: the paths its change opens, from the
/// prior state to the planned values, through the real Terraform.
#[test]
fn a_plan_that_adds_a_relation_opens_exactly_the_new_paths() {
    let tf = Terraform::new(env!("CARGO_BIN_EXE_terraform-provider-appmap"));
    let shop = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/shop/main.tf"))
        .expect("shop main.tf");
    tf.write("main.tf", &shop);
    tf.write("rules.tf", RULES_TF);
    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]).assert_code(0, "apply");

    // The change under review: search-api starts reading the orders database.
    let changed = shop.replace(
        "    appmap_relation.storefront_to_search_api,\n",
        "    appmap_relation.storefront_to_search_api,\n    appmap_relation.search_api_to_orders_db,\n",
    ) + r#"
resource "appmap_relation" "search_api_to_orders_db" {
  from     = appmap_service.search_api.ref
  to       = appmap_service.orders_db.ref
  protocol = "postgres"
  reason   = "Rank results by recent orders"
}
"#;
    tf.write("main.tf", &changed);
    tf.run(&["plan", "-input=false", "-no-color", "-out=change.tfplan"]).assert_code(0, "plan");
    let show = tf.run(&["show", "-json", "change.tfplan"]);
    show.assert_code(0, "show -json");
    let mut plan: Value = serde_json::from_str(&show.stdout).expect("plan JSON");
    rename_stand_ins(&mut plan["prior_state"]["values"]);
    rename_stand_ins(&mut plan["planned_values"]);
    let text = serde_json::to_string(&plan).expect("json");

    let before = parse_plan_prior("change.json", &text).expect("prior state");
    let after = parse_snapshot("change.json", &text).expect("planned values");
    assert_eq!(after.rules.len(), before.rules.len() + 2, "one ingress and one egress rule added");
    let vm = shop_map();
    let (gb, ga) = (Graph::from_snapshot(&before, Some(&vm)), Graph::from_snapshot(&after, Some(&vm)));
    let sel = |s: &str| s.parse::<NodeSelector>().expect("selector");
    let sources = [sel("internet"), sel("zone:app"), sel("zone:public"), sel("zone:batch")];
    let diff = appmap::paths::diff(&gb, &ga, &sources, &[sel("orders-db")]).expect("diff");
    let opened: Vec<(String, String)> = diff.opened.iter().map(|p| (p.from.clone(), p.to.clone())).collect();
    let orders_db = "sg-0a10000000000d002";
    // Only search-api gains a path: the storefront and the internet already
    // reached orders-db through orders-api, and nothing closes.
    assert_eq!(opened, [("sg-0a10000000000c003".to_string(), orders_db.to_string())], "{}", diff.to_text());
    assert!(diff.closed.is_empty(), "{}", diff.to_text());
    // Every opened path ends at orders-db and its last hop is the new flow.
    for p in &diff.opened {
        assert_eq!(p.to, orders_db);
        let last = p.hops.last().expect("a hop");
        assert_eq!((last.from.as_str(), last.ports.to_string().as_str()), ("sg-0a10000000000c003", "tcp:5432"), "{p}");
    }
}
