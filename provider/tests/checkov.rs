//! End-to-end: the project's Checkov custom policies (`policies/checkov/`)
//! run by the real Checkov 3.3 on the real plan JSON that the real Terraform
//! 1.15 produces with this provider.
//!
//! `tests/fixtures/checkov/main.tf` holds good and bad relations; the test
//! plans it (`terraform plan -out` + `terraform show -json`), runs Checkov on
//! the JSON and asserts exactly which resource addresses pass and fail each
//! policy. A missing Checkov is a test FAILURE, never a skip: run
//! `scripts/setup-tools.sh`.

#[path = "../../tests/e2e_support/mod.rs"]
mod e2e_support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_support::{Terraform, workspace_root};

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-appmap");

const POLICIES: [&str; 3] = ["CKV2_APPMAP_1", "CKV2_APPMAP_2", "CKV2_APPMAP_3"];

/// Path of the checkov wrapper; panics (test failure) when it is missing.
fn checkov_bin() -> PathBuf {
    if let Ok(p) = std::env::var("APPMAP_CHECKOV") {
        return PathBuf::from(p);
    }
    let p = workspace_root().join(".tools/bin/checkov");
    assert!(
        p.is_file(),
        "\n\n*** Checkov not found at {} ***\n*** run scripts/setup-tools.sh (installs Checkov 3.3.30 into .tools/checkov-venv) ***\n\n",
        p.display()
    );
    p
}

/// Plans `main_tf` in a fresh working dir and returns the path of the plan JSON
/// (inside the returned Terraform's directory, which lives as long as it does).
fn plan_json(main_tf: &str) -> (Terraform, PathBuf) {
    let tf = Terraform::new(PROVIDER);
    tf.write("main.tf", main_tf);
    tf.run(&["plan", "-input=false", "-no-color", "-out=plan.bin"]).assert_code(0, "plan -out");
    let show = tf.run(&["show", "-json", "plan.bin"]);
    show.assert_code(0, "show -json");
    let json = tf.dir().join("plan.json");
    std::fs::write(&json, &show.stdout).expect("write plan.json");
    (tf, json)
}

/// Per policy id: (passed addresses, failed addresses).
type Results = BTreeMap<String, (BTreeSet<String>, BTreeSet<String>)>;

/// Runs the real Checkov with our policies only and parses its JSON report.
fn checkov(plan_json: &Path) -> Results {
    let bin = checkov_bin();
    let policies = workspace_root().join("policies/checkov");
    let out = Command::new(&bin)
        .arg("-f")
        .arg(plan_json)
        .args(["--framework", "terraform_plan", "--skip-download", "-o", "json", "--check", &POLICIES.join(",")])
        .arg("--external-checks-dir")
        .arg(&policies)
        .env_remove("TF_LOG")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e} (run scripts/setup-tools.sh)", bin.display()));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 0: all passed, 1: some failed; anything else is Checkov itself failing.
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "checkov exited with {:?}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}",
        out.status.code()
    );
    let report: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("checkov JSON: {e}\n--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"));
    // One framework gives one report object; several give a list.
    let reports = match report {
        serde_json::Value::Array(a) => a,
        one => vec![one],
    };
    let mut results = Results::new();
    for id in POLICIES {
        results.insert(id.to_string(), Default::default());
    }
    for r in &reports {
        assert_eq!(r["check_type"], "terraform_plan", "unexpected report: {r}");
        assert_eq!(r["summary"]["parsing_errors"], 0, "checkov could not parse the plan: {}", r["summary"]);
        for (key, failed) in [("passed_checks", false), ("failed_checks", true)] {
            for c in r["results"][key].as_array().unwrap_or_else(|| panic!("no {key} in {r}")) {
                let id = c["check_id"].as_str().expect("check_id").to_string();
                let name = c["check_name"].as_str().unwrap_or_default();
                assert!(name.len() > 20, "{id} needs a descriptive name, got {name:?}");
                let resource = c["resource"].as_str().expect("resource").to_string();
                let entry = results.get_mut(&id).unwrap_or_else(|| panic!("unexpected check {id} ran"));
                let set = if failed { &mut entry.1 } else { &mut entry.0 };
                assert!(set.insert(resource.clone()), "{id} reported {resource} twice");
            }
        }
        assert!(
            r["results"]["skipped_checks"].as_array().is_none_or(Vec::is_empty),
            "no check should be skipped: {}",
            r["results"]["skipped_checks"]
        );
    }
    results
}

fn set(addrs: &[&str]) -> BTreeSet<String> {
    addrs.iter().map(|a| format!("appmap_relation.{a}")).collect()
}

/// Every appmap_relation of the fixture.
const FIXTURE_RELATIONS: &[&str] = &[
    "good_reason",
    "placeholder_todo",
    "placeholder_tbd",
    "placeholder_na",
    "placeholder_todo_colon",
    "ticket_only",
    "issue_number_only",
    "reason_with_ticket",
    "all_traffic",
    "all_tcp_ports",
    "all_traffic_unknown_group",
    "port_range",
    "internet_to_pci",
    "internet_to_data",
    "internet_to_public",
];

#[track_caller]
fn assert_policy(results: &Results, id: &str, failing: &[&str]) {
    let (passed, failed) = &results[id];
    let want_failed = set(failing);
    let want_passed: BTreeSet<String> = set(FIXTURE_RELATIONS).difference(&want_failed).cloned().collect();
    assert_eq!(failed, &want_failed, "{id}: resources that FAIL");
    assert_eq!(passed, &want_passed, "{id}: resources that PASS");
}

#[test]
fn checkov_policies_flag_exactly_the_bad_relations_in_the_plan() {
    let fixture = workspace_root().join("tests/fixtures/checkov/main.tf");
    let main_tf = std::fs::read_to_string(&fixture).expect("read tests/fixtures/checkov/main.tf");
    let (_tf, json) = plan_json(&main_tf);

    // The plan JSON carries intent and mechanism side by side — and a rule
    // towards a group created in the same plan has its id field absent from
    // `after` (unknown), which the policies must live with.
    let plan: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("read plan.json")).expect("plan JSON");
    let rc = plan["resource_changes"]
        .as_array()
        .expect("resource_changes")
        .iter()
        .find(|r| r["address"] == "appmap_relation.all_traffic_unknown_group")
        .expect("relation in plan");
    let rules = rc["change"]["after"]["rules"].as_object().expect("rules known at plan time");
    assert_eq!(rules.len(), 2, "{rules:?}");
    assert!(rules.values().all(|r| r["ip_protocol"] == "-1"), "{rules:?}");
    assert!(rules.values().any(|r| r.get("security_group_id").is_none()), "unknown id absent from after: {rules:?}");

    let results = checkov(&json);

    // CKV2_APPMAP_1: the reason is a sentence, not a placeholder or a ticket.
    assert_policy(
        &results,
        "CKV2_APPMAP_1",
        &[
            "placeholder_todo",
            "placeholder_tbd",
            "placeholder_na",
            "placeholder_todo_colon",
            "ticket_only",
            "issue_number_only",
        ],
    );
    // CKV2_APPMAP_2: no derived rule opens protocol -1 or every port.
    assert_policy(&results, "CKV2_APPMAP_2", &["all_traffic", "all_tcp_ports", "all_traffic_unknown_group"]);
    // CKV2_APPMAP_3: the internet never reaches zone data or pci directly.
    assert_policy(&results, "CKV2_APPMAP_3", &["internet_to_pci", "internet_to_data"]);
}

#[test]
fn the_shop_example_passes_every_policy() {
    let main_tf =
        std::fs::read_to_string(workspace_root().join("examples/shop/main.tf")).expect("read examples/shop/main.tf");
    let (_tf, json) = plan_json(&main_tf);
    let results = checkov(&json);
    for id in POLICIES {
        let (passed, failed) = &results[id];
        assert!(failed.is_empty(), "{id} fails on the shop example: {failed:?}");
        assert_eq!(passed.len(), 16, "{id} should check all 16 relations of the shop: {passed:?}");
    }
}
