//! Verification against the shop fixtures (`tests/fixtures/verify/`): clean
//! snapshots in every format give no findings; the planted one gives exactly
//! the planted findings, compared with golden text, JSON and SARIF (a missing
//! expected file is written out; `UPDATE_GOLDEN=1` rewrites them). The SARIF
//! is validated against the vendored SARIF 2.1.0 schema. Bad input is an
//! error, never a panic.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use appmap::snapshot::{SnapshotError, SnapshotFormat};
use appmap::verify::{FindingKind, Report, Severity, VerifyOptions};
use appmap::{ValidMap, parse_snapshot, verify};
use proptest::prelude::*;

#[path = "support/synthetic.rs"]
mod synthetic;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/verify")
}

/// Compares `actual` with the file at `expected`, writing it when missing.
fn check(expected: &Path, actual: &str) {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    match std::fs::read_to_string(expected) {
        Ok(want) if !update => {
            assert!(
                want == actual,
                "{} differs from the output:\n--- expected\n{want}\n--- actual\n{actual}",
                expected.display()
            )
        }
        _ => {
            std::fs::create_dir_all(expected.parent().expect("parent")).expect("golden dir");
            std::fs::write(expected, actual).expect("write golden file");
        }
    }
}

fn shop() -> ValidMap {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop/appmap.yaml"))
        .expect("shop map");
    appmap::load_str("examples/shop/appmap.yaml", &text).expect("shop map is valid")
}

fn run(vm: &ValidMap, fixture: &str, today: &str) -> Report {
    let text = std::fs::read_to_string(fixtures().join(fixture)).expect("fixture");
    let snap = parse_snapshot(&format!("tests/fixtures/verify/{fixture}"), &text).expect("fixture parses");
    verify(vm, &snap, &VerifyOptions { today: Some(today.parse().expect("date")) })
}

#[test]
fn clean_snapshots_give_no_findings() {
    let vm = shop();
    for (fixture, format) in [
        ("shop-state.json", SnapshotFormat::TerraformState),
        ("shop-plan.json", SnapshotFormat::TerraformPlan),
        ("shop-describe-clean.json", SnapshotFormat::DescribeSecurityGroups),
    ] {
        let report = run(&vm, fixture, "2026-07-01");
        assert_eq!(report.snapshot_format, format);
        assert!(report.findings.is_empty(), "{fixture}:\n{}", report.to_text());
        assert_eq!((report.derived_rules, report.deployed_rules, report.groups), (36, 36, 12), "{fixture}");
        assert!(report.warnings.is_empty(), "{fixture}: {:?}", report.warnings);
    }
}

#[test]
fn terraform_snapshots_carry_the_map() {
    for fixture in ["shop-state.json", "shop-plan.json"] {
        let text = std::fs::read_to_string(fixtures().join(fixture)).expect("fixture");
        let snap = parse_snapshot(fixture, &text).expect("parses");
        let map = snap.map.clone().expect("appmap resources make a map");
        assert_eq!((map.services.len(), map.relations.len()), (12, 16), "{fixture}");
        let vm = ValidMap::new(map).expect("valid");
        assert_eq!(vm.derive().rules, shop().derive().rules, "{fixture}: same rules as the YAML map");
        let report = verify(&vm, &snap, &VerifyOptions { today: Some("2026-07-01".parse().expect("date")) });
        assert!(report.findings.is_empty(), "{fixture}:\n{}", report.to_text());
    }
    // Only the plan has the provider configuration, so only it knows the boundaries.
    let text = std::fs::read_to_string(fixtures().join("shop-plan.json")).expect("fixture");
    assert_eq!(parse_snapshot("p", &text).expect("parses").map.expect("map").boundaries.len(), 3);
}

#[test]
fn planted_deviations_give_exactly_the_planted_findings() {
    let report = run(&shop(), "shop-describe.json", "2027-07-01");
    let mut by_kind: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in &report.findings {
        *by_kind.entry((f.kind.as_str(), f.severity.as_str())).or_default() += 1;
    }
    let want: BTreeMap<(&str, &str), usize> = [
        // storefront -> orders-db; ::/0 -> card-vault-db crosses three boundaries.
        (("boundary", "critical"), 4),
        (("missing", "high"), 1),
        // ports 5000-5500, protocol -1, ::/0 over a group, default egress on payments.
        (("overbroad", "high"), 4),
        // ssh from 0.0.0.0/0, storefront -> orders-db, default egress on the vault and the legacy group.
        (("undeclared", "high"), 4),
        // ssh from the bastion subnet, ping, ssh on the legacy group.
        (("undeclared", "medium"), 3),
        (("stale", "low"), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_kind, want, "\n{}", report.to_text());
    assert!(report.findings.windows(2).all(|w| w[0].severity >= w[1].severity), "most severe first");
    let missing = report.findings.iter().find(|f| f.kind == FindingKind::Missing).expect("missing");
    assert_eq!(missing.rule_key.as_deref(), Some("ingress/search-cluster.sg0/tcp/9200/catalog-api.sg0"));
    assert_eq!(missing.reason.as_deref(), Some("Index product changes for search"));
    assert_eq!(report.count_at_or_above(Severity::Critical), 4);
}

#[test]
fn golden_outputs() {
    let report = run(&shop(), "shop-describe.json", "2027-07-01");
    let dir = fixtures().join("golden");
    check(&dir.join("shop-describe.txt"), &report.to_text());
    check(&dir.join("shop-describe.json"), &report.to_json());
    check(&dir.join("shop-describe.sarif"), &report.to_sarif());
    check(&dir.join("shop-state.txt"), &run(&shop(), "shop-state.json", "2026-07-01").to_text());
}

#[test]
fn json_output_has_the_contract_fields() {
    let report = run(&shop(), "shop-describe.json", "2027-07-01");
    let v: serde_json::Value = serde_json::from_str(&report.to_json()).expect("json");
    for f in v["findings"].as_array().expect("findings") {
        for k in [
            "kind",
            "severity",
            "security_group_id",
            "direction",
            "ip_protocol",
            "from_port",
            "to_port",
            "peer",
            "relation",
            "reason",
            "message",
        ] {
            assert!(f.get(k).is_some(), "finding without `{k}`: {f}");
        }
    }
    assert_eq!(v["summary"]["total"], 17);
    assert_eq!(v["summary"]["by_severity"]["critical"], 4);
}

/// Runs the pinned Python `jsonschema` (tests/fixtures/verify/requirements-sarif.txt).
/// Fails loudly when it is not installed: a skipped schema check is no check.
#[test]
fn sarif_validates_against_the_2_1_0_schema() {
    let report = run(&shop(), "shop-describe.json", "2027-07-01");
    let dir = std::env::temp_dir().join(format!("appmap-sarif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut docs = vec![("planted.sarif", report.to_sarif())];
    docs.push(("clean.sarif", run(&shop(), "shop-state.json", "2026-07-01").to_sarif()));
    let script = r#"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
v = cls(schema, format_checker=cls.FORMAT_CHECKER)
bad = 0
for path in sys.argv[2:]:
    for e in v.iter_errors(json.load(open(path))):
        bad += 1
        print(path, "/".join(map(str, e.absolute_path)), e.message)
sys.exit(1 if bad else 0)
"#;
    let mut args = vec![script.to_string(), fixtures().join("sarif-schema-2.1.0.json").display().to_string()];
    for (name, text) in &docs {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write sarif");
        args.push(p.display().to_string());
    }
    let python = fixtures().join("../../../.tools/sarif-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup-tools.sh (installs tests/fixtures/verify/requirements-sarif.txt)",
        python.display()
    );
    let out = Command::new(&python)
        .arg("-c")
        .args(&args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {} ({e}); run scripts/setup-tools.sh", python.display()));
    let _ = std::fs::remove_dir_all(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'jsonschema'"),
        "Python jsonschema is missing: run scripts/setup-tools.sh"
    );
    assert!(out.status.success(), "SARIF is not valid 2.1.0:\n{}{stderr}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn truncated_snapshots_are_errors_with_a_position() {
    let text = std::fs::read_to_string(fixtures().join("shop-describe.json")).expect("fixture");
    for cut in (0..text.len()).step_by(97) {
        match parse_snapshot("cut.json", &text[..cut]) {
            Err(SnapshotError::Syntax { line, column, .. }) => assert!(line >= 1 && column >= 1),
            Err(e) => panic!("cut at {cut}: unexpected error kind: {e}"),
            Ok(_) => panic!("cut at {cut}: a truncated document parsed"),
        }
    }
}

#[test]
fn documents_of_other_kinds_are_named_as_such() {
    for doc in [r#"{"Reservations": []}"#, "[1, 2]", r#""text""#, r#"{"SecurityGroupRules": []}"#] {
        let err = parse_snapshot("other.json", doc).unwrap_err();
        assert!(matches!(err, SnapshotError::UnknownFormat { .. }), "{doc}: {err}");
        assert!(err.to_string().contains("describe-security-groups"), "{err}");
    }
}

#[test]
fn a_large_snapshot_parses_and_verifies_clean() {
    // The benchmark's size: 2,500 groups, 50,000 rules (about 30 MB of JSON).
    let vm = synthetic::map(2_500, 10);
    let text = synthetic::describe_json(2_500, 10);
    let snap = parse_snapshot("big.json", &text).expect("parses");
    assert_eq!(snap.rules.len(), 50_000);
    let report = verify(&vm, &snap, &VerifyOptions::default());
    assert!(report.findings.is_empty(), "{}", report.findings.len());
}

/// JSON values built from the words the parser looks for, nested at random.
fn snapshot_like() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let keys = prop::sample::select(vec![
        "SecurityGroups",
        "GroupId",
        "IpPermissions",
        "IpPermissionsEgress",
        "IpProtocol",
        "FromPort",
        "ToPort",
        "IpRanges",
        "CidrIp",
        "Ipv6Ranges",
        "CidrIpv6",
        "UserIdGroupPairs",
        "PrefixListIds",
        "PrefixListId",
        "values",
        "planned_values",
        "root_module",
        "resources",
        "child_modules",
        "type",
        "address",
        "security_group_id",
        "ip_protocol",
        "from_port",
        "to_port",
        "cidr_ipv4",
        "cidr_blocks",
        "self",
        "ingress",
        "egress",
        "protocol",
        "name",
        "from",
        "to",
        "reason",
        "configuration",
        "provider_config",
        "expressions",
        "boundary",
        "format_version",
        "terraform_version",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        prop::sample::select(vec![
            "tcp",
            "-1",
            "icmp",
            "6",
            "58",
            "0.0.0.0/0",
            "::/0",
            "10.0.0.0/33",
            "sg-1",
            "ingress",
            "egress",
            "aws_security_group",
            "aws_security_group_rule",
            "aws_vpc_security_group_ingress_rule",
            "appmap_service",
            "appmap_relation",
            "https",
            "web",
            "",
        ])
        .prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(6, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone().prop_map(str::to_string), inner, 0..5)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_snapshot("fuzz.json", &text);
    }

    #[test]
    fn arbitrary_snapshot_like_json_never_panics(doc in snapshot_like()) {
        let text = doc.to_string();
        if let Ok(snap) = parse_snapshot("fuzz.json", &text) {
            let _ = verify(&shop(), &snap, &VerifyOptions::default());
            if let Some(map) = snap.map.clone() {
                if let Ok(vm) = ValidMap::new(map) {
                    let _ = verify(&vm, &snap, &VerifyOptions::default()).to_sarif();
                }
            }
        }
    }
}
