//! The shop declared with the builder (`examples/dsl/shop.rs`, the same code
//! `cargo run --example shop` runs) against the shop map file.

#[path = "../../examples/dsl/shop.rs"]
mod shop;

#[path = "../../tests/e2e_support/mod.rs"]
mod e2e_support;

use std::path::PathBuf;
use std::process::Command;

use appmap::{AppMap, ValidMap};

fn shop_yaml() -> ValidMap {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/shop/appmap.yaml");
    appmap::load_file(&path).unwrap_or_else(|e| panic!("{}", e.render(None)))
}

fn shop_dsl() -> ValidMap {
    let map = AppMap::new();
    shop::declare(&map);
    map.build().unwrap_or_else(|e| panic!("{}", e.render(None)))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("appmap-dsl-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

#[test]
fn dsl_shop_derives_byte_identical_rules_to_the_map_file() {
    let from_yaml = shop_yaml().derive().to_json();
    let from_dsl = shop_dsl().derive().to_json();
    assert!(from_yaml.contains("\"rules\""));
    assert_eq!(from_dsl, from_yaml);
}

#[test]
fn dsl_shop_is_the_same_map_as_the_map_file() {
    assert_eq!(shop_dsl().map().without_locations(), shop_yaml().map().without_locations());
    assert_eq!(shop_dsl().to_yaml(), shop_yaml().to_yaml());
}

#[test]
fn dsl_shop_yaml_loads_back_to_an_equal_map() {
    let dsl = shop_dsl();
    let text = dsl.to_yaml();
    let again = appmap::load_str("dsl-shop.yaml", &text).unwrap_or_else(|e| panic!("{}", e.render(Some(&text))));
    assert_eq!(again.map().without_locations(), dsl.map().without_locations());
    assert_eq!(again.to_yaml(), text);
}

#[test]
fn dsl_shop_locations_are_rust_call_sites() {
    let dsl = shop_dsl();
    let s = dsl.services().find(|s| s.name.as_str() == "cart-api").expect("cart-api");
    let loc = s.location.to_string();
    assert!(loc.contains("examples/dsl/shop.rs:"), "{loc}");
}

/// Runs the example's own entry point, as `cargo run --example shop -- DIR` does.
#[test]
fn dsl_shop_example_writes_its_artifacts() {
    let dir = temp_dir("example");
    let artifacts = shop::run(Some(&dir)).expect("the shop example runs");
    for (file, text) in
        [("appmap.yaml", &artifacts.yaml), ("rules.json", &artifacts.rules_json), ("appmap.tf", &artifacts.hcl)]
    {
        assert_eq!(&std::fs::read_to_string(dir.join(file)).expect(file), text, "{file}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn dsl_shop_hcl_is_deterministic_and_complete() {
    let hcl = shop_dsl().to_hcl();
    assert_eq!(hcl, shop_dsl().to_hcl());
    let vm = shop_dsl();
    assert_eq!(hcl.matches("resource \"appmap_service\"").count(), vm.services().count());
    assert_eq!(hcl.matches("resource \"appmap_relation\"").count(), vm.relations().len());
    assert_eq!(hcl.matches("  boundary {").count(), vm.boundaries().len());
    assert!(hcl.contains("data \"appmap_internet\" \"this\" {}\n"));
    assert!(hcl.contains("  from     = data.appmap_internet.this.ref\n"));
    // The map file's shop gives the same HCL: synthesis depends on the map, not on how it was declared.
    assert_eq!(shop_yaml().to_hcl(), hcl);
}

/// The shop's HCL as a golden file, so a change to synthesis shows up in review.
/// A missing golden file is written out (and the test fails, to be looked at).
#[test]
fn dsl_shop_hcl_matches_golden() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/dsl/shop.tf");
    let hcl = shop_dsl().to_hcl();
    match std::fs::read_to_string(&path) {
        Ok(want) => assert!(want == hcl, "{} differs from to_hcl():\n{hcl}", path.display()),
        Err(_) => {
            std::fs::create_dir_all(path.parent().expect("golden dir")).expect("create golden dir");
            std::fs::write(&path, &hcl).expect("write golden file");
            panic!("wrote missing golden file {}; check it and run again", path.display());
        }
    }
}

/// `terraform fmt -check` with the real Terraform: a missing tool fails the test.
#[test]
fn dsl_shop_hcl_is_terraform_fmt_clean() {
    let terraform = e2e_support::terraform_bin();
    let dir = temp_dir("fmt");
    std::fs::write(dir.join("appmap.tf"), shop_dsl().to_hcl()).expect("write appmap.tf");
    std::fs::write(dir.join(".terraformrc"), "").expect("write CLI config");
    let out = Command::new(&terraform)
        .args(["fmt", "-check", "-diff", "-no-color"])
        .current_dir(&dir)
        .env("TF_CLI_CONFIG_FILE", dir.join(".terraformrc"))
        .env("CHECKPOINT_DISABLE", "1")
        .env("TF_IN_AUTOMATION", "1")
        .output()
        .unwrap_or_else(|e| panic!("running {}: {e}; run scripts/setup-tools.sh", terraform.display()));
    assert!(
        out.status.success(),
        "terraform fmt -check found differences:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
