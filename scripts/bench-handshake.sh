#!/usr/bin/env bash
# Benchmarks provider start-up with automatic mTLS (target: handshake < 5 ms).
# Usage: scripts/bench-handshake.sh [ITERATIONS]   (default 50; release build)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo build --release -p terraform-provider-appmap --bin terraform-provider-appmap --example bench_handshake
exec "${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/bench_handshake" \
  "${CARGO_TARGET_DIR:-$ROOT/target}/release/terraform-provider-appmap" "${1:-50}"
