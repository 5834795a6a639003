#!/usr/bin/env bash
# The main job on the bundled example: validate the shop's application map,
# derive the security group rules it implies, then plan the Terraform form of
# the same shop with the locally built provider and show the derived rules.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
scripts/setup-tools.sh --no-checkov >/dev/null
cargo build --quiet --locked -p appmap-cli -p terraform-provider-appmap
APPMAP="$ROOT/target/debug/appmap"

echo "== appmap validate examples/shop/appmap.yaml"
"$APPMAP" validate examples/shop/appmap.yaml
echo
echo "== appmap derive examples/shop/appmap.yaml --format text"
"$APPMAP" derive examples/shop/appmap.yaml --format text
echo
echo "== terraform plan examples/shop (provider appmap/appmap from target/debug)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp examples/shop/main.tf "$work/"
# shellcheck source=tf-env.sh
. scripts/tf-env.sh
terraform -chdir="$work" plan -input=false -no-color -out=shop.tfplan | grep -v '^ *$' | sed -n '/Terraform will perform/,$p' | grep -E '^  #|"(ingress|egress)/|Plan:' 
terraform -chdir="$work" show -json shop.tfplan > "$work/plan.json"
echo
echo "The plan JSON ($work/plan.json while this runs) carries each relation's reason and derived rules:"
python3 - "$work/plan.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
for rc in plan["resource_changes"]:
    if rc["type"] == "appmap_relation":
        after = rc["change"]["after"]
        print(f'  {rc["address"]}: "{after["reason"]}" -> {len(after["rules"])} rules')
PY
