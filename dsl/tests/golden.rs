//! Golden tests: each `tests/golden/derive/NAME.yaml` is loaded and derived;
//! a valid map is compared with `NAME.json` (the derived rules), an invalid
//! one with `NAME.err` (the rendered diagnostics). A missing expected file is
//! written out; `UPDATE_GOLDEN=1` rewrites them all.

use std::path::{Path, PathBuf};

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/derive")
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
        _ => std::fs::write(expected, actual).expect("write golden file"),
    }
}

fn render(name: &str, text: &str) -> (bool, String) {
    match appmap::load_str(name, text) {
        Ok(vm) => {
            let mut d = vm.derive();
            d.warnings.extend(vm.warnings().iter().cloned());
            d.warnings.sort();
            (true, d.to_json())
        }
        Err(diags) => (false, diags.render(Some(text)) + "\n"),
    }
}

#[test]
fn golden_derivations_and_errors() {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(golden_dir())
        .expect("golden dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 20, "golden cases went missing: {}", cases.len());
    for case in cases {
        let stem = case.file_stem().and_then(|s| s.to_str()).expect("name").to_string();
        let text = std::fs::read_to_string(&case).expect("read case");
        let (ok, out) = render(&format!("{stem}.yaml"), &text);
        let want_error = stem.starts_with("err_");
        assert_eq!(
            !ok,
            want_error,
            "{stem}: expected {}, got:\n{out}",
            if want_error { "errors" } else { "a valid map" }
        );
        check(&case.with_extension(if ok { "json" } else { "err" }), &out);
    }
}

#[test]
fn shop_example_is_valid_and_derives_rules() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/shop/appmap.yaml");
    let vm = appmap::load_file(&path).expect("shop example is valid");
    let d = vm.derive();
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    // The load balancer expansion: internet -> shop-lb on 443/80, shop-lb -> storefront on 8080 + health check 8081.
    for key in [
        "ingress/shop-lb.sg0/tcp/443/0.0.0.0/0",
        "ingress/shop-lb.sg0/tcp/443/::/0",
        "ingress/storefront.sg0/tcp/8080/shop-lb.sg0",
        "ingress/storefront.sg0/tcp/8081/shop-lb.sg0",
        "egress/shop-lb.sg0/tcp/8080/storefront.sg0",
        "egress/payments.sg0/tcp/443/198.51.100.0/24",
        "ingress/cart-api.sg0/tcp/8443/storefront.sg0",
    ] {
        assert!(d.rules.iter().any(|r| r.key == key), "missing {key}");
    }
    check(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/golden/shop.derive.json"), &d.to_json());
}
