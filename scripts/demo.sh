#!/usr/bin/env bash
# The main job on the bundled example: validate the shop's application map
# and derive the security group rules it implies.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
cargo build --quiet --locked -p appmap-cli
APPMAP="$ROOT/target/debug/appmap"
echo "== appmap validate examples/shop/appmap.yaml"
"$APPMAP" validate examples/shop/appmap.yaml
echo
echo "== appmap derive examples/shop/appmap.yaml --format text"
"$APPMAP" derive examples/shop/appmap.yaml --format text
