//! End-to-end: the shipped examples and docs against the real Terraform 1.15
//! CLI — every per-type example plans, the shop example plans cleanly, every
//! `.tf` file is `terraform fmt` clean, the docs embed their examples and
//! cover every attribute of the provider's schema.

#[path = "../../tests/e2e_support/mod.rs"]
mod e2e_support;

use std::path::{Path, PathBuf};

use e2e_support::{Terraform, workspace_root};
use serde_json::Value;

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-appmap");

/// Registry examples leave out the `terraform` block; the tests add it.
const VERSIONS: &str = r#"terraform {
  required_providers {
    appmap = { source = "appmap/appmap" }
  }
}
"#;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `(type, example file, doc file)` for every documented type.
fn documented() -> Vec<(String, PathBuf, PathBuf)> {
    let root = workspace_root();
    let mut out =
        vec![("provider".to_string(), root.join("examples/provider/provider.tf"), root.join("docs/index.md"))];
    for (kind, file, docs) in
        [("resources", "resource.tf", "resources"), ("data-sources", "data-source.tf", "data-sources")]
    {
        let dir = root.join("examples").join(kind);
        let mut types: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        types.sort();
        for t in types {
            let doc = root.join("docs").join(docs).join(format!("{t}.md"));
            out.push((t.clone(), dir.join(&t).join(file), doc));
        }
    }
    out
}

fn plan_example(example: &Path) -> (Terraform, e2e_support::TfOutput) {
    let tf = Terraform::new(PROVIDER);
    let text = read(example);
    if !text.contains("required_providers") {
        tf.write("versions.tf", VERSIONS);
    }
    tf.write("main.tf", &text);
    let out = tf.run(&["plan", "-input=false", "-no-color"]);
    (tf, out)
}

/// Warning lines, apart from the one `dev_overrides` always prints.
fn warnings(output: &str) -> Vec<String> {
    output
        .lines()
        .filter(|l| l.contains("Warning:") && !l.contains("Provider development overrides"))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_registry_example_plans_with_real_terraform() {
    let all = documented();
    assert!(all.len() >= 5, "provider, 3 resources, 1 data source: {all:?}");
    for (ty, example, _) in all {
        assert!(example.is_file(), "{ty}: missing example {}", example.display());
        let (_, out) = plan_example(&example);
        out.assert_code(0, &format!("plan of {}", example.display()));
        assert!(!out.all().contains("Error:"), "{}: {}", example.display(), out.all());
        // Examples show good practice: no warnings beyond dev_overrides'.
        let warnings = warnings(&out.all());
        assert!(warnings.is_empty(), "{}: {warnings:?}\n{}", example.display(), out.all());
    }
}

#[test]
fn shop_example_plans_cleanly() {
    let (tf, out) = plan_example(&workspace_root().join("examples/shop/main.tf"));
    out.assert_code(0, "plan of examples/shop");
    let warnings = warnings(&out.all());
    assert!(warnings.is_empty(), "{warnings:?}\n{}", out.all());
    tf.run(&["plan", "-input=false", "-no-color", "-out=tfplan"]).assert_code(0, "plan -out");
    let show = tf.run(&["show", "-json", "tfplan"]);
    show.assert_code(0, "show -json");
    let plan: Value = serde_json::from_str(&show.stdout).expect("plan JSON");
    let count =
        |ty: &str| plan["resource_changes"].as_array().map_or(0, |c| c.iter().filter(|r| r["type"] == ty).count());
    let src = read(&workspace_root().join("examples/shop/main.tf"));
    for ty in ["appmap_service", "appmap_relation", "appmap_boundary_check"] {
        let declared = src.matches(&format!("resource \"{ty}\" ")).count();
        assert!(declared > 0, "the shop declares no {ty}");
        assert_eq!(count(ty), declared, "{ty}: every declared resource is planned");
    }
    let ingress = &plan["planned_values"]["outputs"]["ingress_rules"]["value"];
    assert!(ingress.get("ingress/card-vault-db.sg0/tcp/5432/payments.sg0").is_some(), "{ingress}");
}

#[test]
fn terraform_files_are_fmt_clean() {
    let root = workspace_root();
    let tf = Terraform::new(PROVIDER);
    for dir in ["examples", "tests/fixtures/terraform"] {
        let path = root.join(dir);
        let out = tf.run(&["fmt", "-check", "-recursive", "-diff", "-no-color", &path.to_string_lossy()]);
        out.assert_code(0, &format!("fmt -check -recursive {dir}"));
    }
}

#[test]
fn docs_embed_their_examples_verbatim() {
    for (ty, example, doc) in documented() {
        let doc_text = read(&doc);
        let example_text = read(&example);
        let block = format!("```terraform\n{}\n```", example_text.trim_end());
        assert!(doc_text.contains(&block), "{}: does not embed {} verbatim", doc.display(), example.display());
        for section in ["## Example Usage", "## Argument Reference"] {
            assert!(doc_text.contains(section), "{}: no `{section}`", doc.display());
        }
        if ty != "provider" {
            assert!(doc_text.contains("## Attribute Reference"), "{}: no attribute reference", doc.display());
            assert!(doc_text.contains(&format!("# {ty} (")), "{}: title", doc.display());
        }
        if let Some(import) = example.parent().map(|d| d.join("import.sh")).filter(|p| p.is_file()) {
            let block = format!("```shell\n{}\n```", read(&import).trim_end());
            assert!(doc_text.contains("## Import") && doc_text.contains(&block), "{}: import section", doc.display());
        }
    }
}

/// Attribute, block and object-field names of a schema block, recursively.
fn names(block: &Value, out: &mut Vec<String>) {
    fn type_fields(ty: &Value, out: &mut Vec<String>) {
        match ty {
            Value::Array(parts) if parts.first().and_then(Value::as_str) == Some("object") => {
                for (k, v) in parts[1].as_object().into_iter().flatten() {
                    out.push(k.clone());
                    type_fields(v, out);
                }
            }
            Value::Array(parts) => parts.iter().skip(1).for_each(|p| type_fields(p, out)),
            _ => {}
        }
    }
    for (name, attr) in block["attributes"].as_object().into_iter().flatten() {
        out.push(name.clone());
        type_fields(&attr["type"], out);
        if let Some(nested) = attr.get("nested_type") {
            names(nested, out);
        }
    }
    for (name, bt) in block["block_types"].as_object().into_iter().flatten() {
        out.push(name.clone());
        names(&bt["block"], out);
    }
}

#[test]
fn docs_cover_every_attribute_of_the_schema() {
    let tf = Terraform::new(PROVIDER);
    tf.write("versions.tf", VERSIONS);
    let out = tf.run(&["providers", "schema", "-json"]);
    out.assert_code(0, "providers schema -json");
    let schema: Value = serde_json::from_str(&out.stdout).expect("schema JSON");
    let p = &schema["provider_schemas"]["registry.terraform.io/appmap/appmap"];
    let root = workspace_root();

    let mut checked = 0;
    let mut check = |doc: PathBuf, block: &Value| {
        let text = read(&doc);
        let mut all = Vec::new();
        names(block, &mut all);
        all.sort();
        all.dedup();
        let missing: Vec<&String> = all.iter().filter(|n| !text.contains(&format!("`{n}`"))).collect();
        assert!(missing.is_empty(), "{} does not document {missing:?}", doc.display());
        checked += 1;
    };
    check(root.join("docs/index.md"), &p["provider"]["block"]);
    for (kind, dir) in [("resource_schemas", "resources"), ("data_source_schemas", "data-sources")] {
        for (ty, s) in p[kind].as_object().expect(kind) {
            if ty.starts_with("appmap_test_") {
                continue;
            }
            check(root.join("docs").join(dir).join(format!("{ty}.md")), &s["block"]);
        }
    }
    assert_eq!(checked, 5, "provider, 3 resources, 1 data source");
}

/// The rules fixture module is the AWS module's wiring with terraform_data in
/// place of the AWS resources; its `relations` variable and `locals` must not
/// drift from the module users copy.
#[test]
fn rules_fixture_module_mirrors_the_aws_module() {
    fn block<'a>(src: &'a str, head: &str) -> &'a str {
        let start = src.find(head).unwrap_or_else(|| panic!("no `{head}`"));
        let mut depth = 0;
        for (i, c) in src[start..].char_indices() {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        return &src[start..=start + i];
                    }
                }
                _ => {}
            }
        }
        panic!("unbalanced `{head}`")
    }
    let root = workspace_root();
    let aws = read(&root.join("examples/modules/aws-security-group-rules/main.tf"));
    let fixture = read(&root.join("tests/fixtures/terraform/rules-terraform-data/main.tf"));
    for head in ["variable \"relations\"", "locals {"] {
        assert_eq!(block(&fixture, head), block(&aws, head), "`{head}` differs between the fixture and the AWS module");
    }
}
