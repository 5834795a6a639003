//! `appmap verify` end to end through the binary: formats, exit codes, bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn appmap(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_appmap")).current_dir(root()).args(args).output().expect("run appmap")
}

const MAP: &str = "examples/shop/appmap.yaml";
const PLANTED: &str = "tests/fixtures/verify/shop-describe.json";

#[test]
fn clean_snapshots_exit_0() {
    for snap in ["shop-state.json", "shop-plan.json", "shop-describe-clean.json"] {
        let path = format!("tests/fixtures/verify/{snap}");
        let out = appmap(&["verify", "--map", MAP, "--snapshot", &path, "--today", "2026-07-01"]);
        assert_eq!(out.status.code(), Some(0), "{snap}: {}", String::from_utf8_lossy(&out.stderr));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with("0 findings"), "{snap}");
    }
}

#[test]
fn the_map_can_come_from_a_plan() {
    let out = appmap(&["verify", "--snapshot", "tests/fixtures/verify/shop-plan.json", "--today", "2026-07-01"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn fail_on_picks_the_exit_code() {
    for (fail_on, code) in [("critical", 1), ("high", 1), ("low", 1)] {
        let out =
            appmap(&["verify", "--map", MAP, "--snapshot", PLANTED, "--fail-on", fail_on, "--today", "2027-07-01"]);
        assert_eq!(out.status.code(), Some(code), "--fail-on {fail_on}");
    }
    // Only a stale (low) finding: passes at the default level, fails at low.
    let state = "tests/fixtures/verify/shop-state.json";
    let out = appmap(&["verify", "--map", MAP, "--snapshot", state, "--today", "2027-07-01"]);
    assert_eq!(out.status.code(), Some(0));
    let out = appmap(&["verify", "--map", MAP, "--snapshot", state, "--today", "2027-07-01", "--fail-on", "low"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn formats() {
    for (format, starts) in [("json", "{\n  \"findings\""), ("sarif", "{\n  \"$schema\""), ("text", "CRITICAL")] {
        let out = appmap(&["verify", "--map", MAP, "--snapshot", PLANTED, "--format", format, "--today", "2027-07-01"]);
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(starts), "{format}");
    }
}

#[test]
fn bad_input_exits_2_with_a_clear_message() {
    let dir = std::env::temp_dir().join(format!("appmap-cli-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let text = std::fs::read_to_string(root().join(PLANTED)).expect("fixture");
    let truncated = dir.join("truncated.json");
    std::fs::write(&truncated, &text[..text.len() / 2]).expect("write");
    let other = dir.join("other.json");
    std::fs::write(&other, r#"{"Reservations": []}"#).expect("write");
    let binary = dir.join("binary.json");
    std::fs::write(&binary, [0xff_u8, 0xfe, 0x00, 0x7b]).expect("write");
    let t = truncated.display().to_string();
    let o = other.display().to_string();
    let b = binary.display().to_string();
    for (args, want) in [
        (vec!["verify", "--map", MAP, "--snapshot", t.as_str()], "ends too early"),
        (vec!["verify", "--map", MAP, "--snapshot", o.as_str()], "not a snapshot"),
        (vec!["verify", "--map", MAP, "--snapshot", b.as_str()], "not UTF-8"),
        (vec!["verify", "--map", MAP, "--snapshot", "no/such/file.json"], "cannot read snapshot"),
        (vec!["verify", "--snapshot", PLANTED], "no map"),
        (vec!["verify", "--map", "tests/fixtures/verify/README.md", "--snapshot", PLANTED], "invalid map"),
        (vec!["verify", "--map", MAP, "--snapshot", PLANTED, "--today", "yesterday"], "--today"),
    ] {
        let out = appmap(&args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(want), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
