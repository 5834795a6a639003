//! The `appmap` binary end to end: exit codes, formats and files, for
//! `validate`, `derive` and `graph` (verify and paths have their own files).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn appmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_appmap")).current_dir(root()).args(args).output().expect("run appmap")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exit code")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn validate_exit_codes() {
    assert_eq!(code(&appmap(&["validate", "examples/shop/appmap.yaml"])), 0);
    let bad = appmap(&["validate", "tests/golden/derive/err_unknown_service.yaml"]);
    assert_eq!(code(&bad), 1);
    assert!(
        stderr(&bad)
            .contains("err_unknown_service.yaml:5:27: error: unknown service `cart-apl`; did you mean `cart-api`?"),
        "{}",
        stderr(&bad)
    );
    let missing = appmap(&["validate", "no/such/map.yaml"]);
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("cannot read map file no/such/map.yaml"), "{}", stderr(&missing));
    assert_eq!(code(&appmap(&["validate"])), 2, "usage error");
    assert_eq!(code(&appmap(&["frobnicate"])), 2, "unknown command");
}

#[test]
fn placeholder_reasons_warn_but_validate() {
    let dir = std::env::temp_dir().join(format!("appmap-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let map = dir.join("todo.yaml");
    std::fs::write(&map, "web:\n  talks_to:\n    - { service: api, protocol: https, reason: TODO }\n").expect("write");
    let out = appmap(&["validate", map.to_str().expect("utf-8")]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("warning: relation web->api:https has a placeholder reason `TODO`"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn derive_json_matches_the_golden_rules_and_writes_files_whole() {
    let out = appmap(&["derive", "examples/shop/appmap.yaml", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let want = std::fs::read_to_string(root().join("tests/golden/shop.derive.json")).expect("golden");
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
    // Not a terminal: JSON by default.
    let default = appmap(&["derive", "examples/shop/appmap.yaml"]);
    assert_eq!(default.stdout, out.stdout);

    let dir = std::env::temp_dir().join(format!("appmap-derive-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let file = dir.join("rules.json");
    let written =
        appmap(&["derive", "examples/shop/appmap.yaml", "--format", "json", "-o", file.to_str().expect("utf-8")]);
    assert_eq!(code(&written), 0);
    assert_eq!(std::fs::read_to_string(&file).expect("written"), want);
    // An invalid map leaves the previous output untouched.
    let invalid = appmap(&["derive", "tests/golden/derive/err_protocol.yaml", "-o", file.to_str().expect("utf-8")]);
    assert_eq!(code(&invalid), 1);
    assert_eq!(std::fs::read_to_string(&file).expect("still there"), want);
    assert_eq!(std::fs::read_dir(&dir).expect("dir").count(), 1, "no temp files left behind");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn derive_text_groups_by_security_group_with_reasons() {
    let out = appmap(&["derive", "examples/shop/appmap.yaml", "--format", "text"]);
    assert_eq!(code(&out), 0);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sg-0a10000000000b001 (shop-lb)\n"), "{text}");
    assert!(
        text.lines().any(|l| l.contains("ingress tcp")
            && l.contains("443")
            && l.contains("0.0.0.0/0")
            && l.contains("Public storefront for customers")),
        "{text}"
    );
    assert!(text.trim_end().ends_with("36 rules, 0 warnings"), "{text}");
}

#[test]
fn graph_of_the_shop_in_every_format() {
    let json = appmap(&["graph", "examples/shop/appmap.yaml", "--format", "json"]);
    assert_eq!(code(&json), 0, "{}", stderr(&json));
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let edges = v["edges"].as_array().expect("edges");
    let edge = |from: &str, to: &str| edges.iter().find(|e| e["from"] == from && e["to"] == to);
    assert_eq!(
        edge("internet", "shop-lb").expect("internet -> shop-lb")["ports"],
        serde_json::json!(["tcp:80", "tcp:443"])
    );
    assert!(edge("payments", "card-vault-db").is_some());
    assert!(edge("internet", "card-vault-db").is_none());
    assert_eq!(v["nodes"]["card-vault-db"]["zone"], "pci");

    let text = appmap(&["graph", "examples/shop/appmap.yaml", "--format", "text"]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("payments -[tcp:5432]-> card-vault-db\n"));

    // Deployed, labelled with the map: undeclared flows are marked.
    let deployed = appmap(&[
        "graph",
        "tests/fixtures/verify/shop-describe.json",
        "--map",
        "examples/shop/appmap.yaml",
        "--format",
        "text",
    ]);
    assert_eq!(code(&deployed), 0, "{}", stderr(&deployed));
    assert!(
        String::from_utf8_lossy(&deployed.stdout)
            .contains("internet -[tcp:5432]-> sg-0a10000000000e002 (card-vault-db)  (undeclared)")
    );

    let dot = appmap(&["graph", "examples/shop/appmap.yaml", "--format", "dot"]);
    let dot_bin = Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child =
        dot_bin.unwrap_or_else(|e| panic!("Graphviz `dot` is missing ({e}): run scripts/setup-graphviz.sh"));
    use std::io::Write as _;
    child.stdin.take().expect("stdin").write_all(&dot.stdout).expect("write dot");
    let svg = child.wait_with_output().expect("dot ran");
    assert!(svg.status.success(), "dot rejected the graph:\n{}", String::from_utf8_lossy(&dot.stdout));
    assert!(String::from_utf8_lossy(&svg.stdout).contains("<svg"));

    assert_eq!(code(&appmap(&["graph", "examples/shop/appmap.yaml", "--map", "examples/shop/appmap.yaml"])), 2);
}

#[test]
fn paths_diff_of_one_saved_plan_compares_its_prior_state_with_its_planned_values() {
    // The fixture plan starts from nothing, so every path it plans is opened.
    let out = appmap(&[
        "paths",
        "--diff",
        "tests/fixtures/verify/shop-plan.json",
        "--from",
        "internet",
        "--to",
        "zone:pci",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let opened = v["opened"].as_array().expect("opened");
    assert_eq!(opened.len(), 1, "{v}");
    assert_eq!(opened[0]["from"], "internet");
    assert_eq!(opened[0]["to"], "sg-0a10000000000e002");
    assert_eq!(v["closed"], serde_json::json!([]));
    // A describe-security-groups document has no before and after.
    let bad = appmap(&[
        "paths",
        "--diff",
        "tests/fixtures/verify/shop-describe.json",
        "--from",
        "internet",
        "--to",
        "zone:pci",
    ]);
    assert_eq!(code(&bad), 2);
    assert!(stderr(&bad).contains("a saved plan is needed"), "{}", stderr(&bad));
}
