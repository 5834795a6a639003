//! The Rust DSL's synthesised HCL, run through the real Terraform with the
//! real provider: `terraform validate` and `terraform plan` accept it, and
//! the plan's derived rules are the rules `derive()` computes for the same
//! map (the one derivation, reached two ways).

#[path = "../../tests/e2e_support/mod.rs"]
mod e2e_support;

use std::collections::BTreeMap;

use e2e_support::Terraform;
use serde_json::Value;

fn shop() -> appmap::ValidMap {
    appmap::load_file(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/shop/appmap.yaml")).expect("shop map is valid")
}

#[test]
fn synthesised_hcl_validates_plans_and_carries_the_derived_rules() {
    let vm = shop();
    let tf = Terraform::new(env!("CARGO_BIN_EXE_terraform-provider-appmap"));
    tf.write("main.tf", &vm.to_hcl());
    tf.run(&["validate", "-no-color"]).assert_code(0, "validate");
    tf.run(&["plan", "-input=false", "-no-color", "-out=plan.tfplan"]).assert_code(0, "plan");
    let show = tf.run(&["show", "-json", "plan.tfplan"]);
    show.assert_code(0, "show -json");
    let plan: Value = serde_json::from_str(&show.stdout).expect("plan JSON");

    // Every appmap_relation's planned rules, merged by key as a for_each over all of them would.
    let mut planned: BTreeMap<String, Value> = BTreeMap::new();
    let mut relations = 0;
    for rc in plan["resource_changes"].as_array().expect("resource_changes") {
        if rc["type"] != "appmap_relation" {
            continue;
        }
        relations += 1;
        let after = &rc["change"]["after"];
        assert!(after["reason"].as_str().is_some_and(|r| !r.is_empty()), "reason in plan JSON: {rc}");
        for (k, v) in after["rules"].as_object().expect("rules known at plan time") {
            planned.insert(k.clone(), v.clone());
        }
    }
    assert_eq!(relations, vm.relations().len());

    let derived = vm.derive();
    let keys: Vec<&String> = planned.keys().collect();
    let want: Vec<&String> = derived.rules.iter().map(|r| &r.key).collect();
    assert_eq!(keys, want, "plan and derive() disagree on the rule keys");
    for rule in &derived.rules {
        let json = rule.to_json();
        let got = &planned[&rule.key];
        for field in ["direction", "security_group_id", "ip_protocol", "from_port", "to_port", rule.peer.field()] {
            assert_eq!(got[field], json[field], "{} field {field}", rule.key);
        }
        // A rule implied by one relation carries that relation's description;
        // merged rules are described per relation in each relation's plan.
        if rule.relations.len() == 1 {
            assert_eq!(got["description"], json["description"], "{}", rule.key);
        }
    }
}
