#!/usr/bin/env bash
# Benchmarks `terraform plan` of N appmap_relation (default 1,000) against a
# baseline of N terraform_data whose `input` carries the same rule maps as
# literal values (taken from the appmap plan's JSON, so they are identical).
# Both run in this one invocation, RUNS times each (interleaved), and the
# medians are compared. Target: appmap / baseline <= 1.15.
#
# Usage: scripts/bench-plan.sh [N] [RUNS]      (defaults 1000 5; release build)
# Needs scripts/setup-tools.sh (Terraform under .tools/). Keeps the generated
# configs when APPMAP_BENCH_KEEP=1 (prints the directory).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${1:-1000}"
RUNS="${2:-5}"
cd "$ROOT"

cargo build --release -p terraform-provider-appmap --bin terraform-provider-appmap
export APPMAP_PROVIDER_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/release"
# shellcheck source=tf-env.sh
. "$ROOT/scripts/tf-env.sh"
if [[ ! -x "$ROOT/.tools/bin/terraform" ]]; then
  echo "bench-plan: no .tools/bin/terraform — run scripts/setup-tools.sh" >&2
  exit 1
fi
unset TF_LOG

WORK="$(mktemp -d "${TMPDIR:-/tmp}/appmap-bench-plan.XXXXXX")"
if [[ "${APPMAP_BENCH_KEEP:-0}" == 1 ]]; then
  echo "bench-plan: configs kept in $WORK"
else
  trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/appmap" "$WORK/baseline"

# --- the appmap configuration: services with literal group ids, N relations
python3 - "$N" > "$WORK/appmap/main.tf" <<'PY'
import sys
n = int(sys.argv[1])
services = max(2, int((n ** 0.5)) + 2)          # enough distinct ordered pairs
protocols = ["https", "http", "postgres", "redis", "tcp:8443", "grpc"]
print('''terraform {
  required_providers {
    appmap = { source = "appmap/appmap" }
  }
}

provider "appmap" {}
''')
for s in range(services):
    print(f'''resource "appmap_service" "s{s}" {{
  name               = "svc-{s}"
  zone               = "{['app', 'data', 'batch'][s % 3]}"
  security_group_ids = ["sg-{s:017x}"]
}}
''')
made = 0
for a in range(services):
    for b in range(services):
        if a == b or made == n:
            continue
        p = protocols[made % len(protocols)]
        print(f'''resource "appmap_relation" "r{made}" {{
  from     = appmap_service.s{a}.ref
  to       = appmap_service.s{b}.ref
  protocol = "{p}"
  reason   = "Benchmark flow {made} from svc-{a} to svc-{b}"
}}
''')
        made += 1
assert made == n, (made, n)
PY

plan() { # DIR -> plan output to DIR/plan.log; returns terraform's code
  (cd "$1" && terraform plan -refresh=false -input=false -no-color -lock=false "${@:2}" > plan.log 2>&1)
}

# --- baseline: the same rule maps as literal terraform_data input
plan "$WORK/appmap" -out=plan.bin || { cat "$WORK/appmap/plan.log" >&2; exit 1; }
(cd "$WORK/appmap" && terraform show -json plan.bin > plan.json)
python3 - "$WORK/appmap/plan.json" > "$WORK/baseline/main.tf" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
count = rules = 0
for rc in plan["resource_changes"]:
    if rc["type"] != "appmap_relation":
        continue
    after = rc["change"]["after"]
    value = {k: after[k] for k in ("rules", "ingress_rules", "egress_rules")}
    rules += len(after["rules"])
    # JSON object syntax is valid HCL (`:` separators, null); no `${` occurs.
    text = json.dumps(value, indent=2, sort_keys=True)
    assert "${" not in text and "%{" not in text
    print(f'resource "terraform_data" "{rc["name"]}" {{\n  input = {text}\n}}\n')
    count += 1
print(f"bench-plan: {count} relations, {rules} derived rules", file=sys.stderr)
PY

# --- time RUNS plans of each, interleaved. Wall time is the figure; CPU
# time (user+sys of terraform and the provider processes it starts, from
# /usr/bin/time when present) is printed too: it is steadier on a busy machine.
median() { sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.3f", m}'; }
TIME_BIN=""
[[ -x /usr/bin/time ]] && TIME_BIN=/usr/bin/time
time_plan() { # DIR -> "WALL CPU" in seconds (CPU "nan" without /usr/bin/time)
  local t0 t1 cpu=nan
  t0=$(date +%s.%N)
  if [[ -n "$TIME_BIN" ]]; then
    (cd "$1" && "$TIME_BIN" -f '%U %S' -o cpu.txt \
      terraform plan -refresh=false -input=false -no-color -lock=false > plan.log 2>&1) \
      || { cat "$1/plan.log" >&2; exit 1; }
    cpu=$(awk '{printf "%.3f", $1 + $2}' "$1/cpu.txt")
  else
    plan "$1" || { cat "$1/plan.log" >&2; exit 1; }
  fi
  t1=$(date +%s.%N)
  echo "$(echo "$t1 - $t0" | bc -l) $cpu"
}
for f in appmap.wall baseline.wall appmap.cpu baseline.cpu; do : > "$WORK/$f"; done
for ((i = 1; i <= RUNS; i++)); do
  read -r wa ca < <(time_plan "$WORK/appmap")
  read -r wb cb < <(time_plan "$WORK/baseline")
  echo "$wa" >> "$WORK/appmap.wall"; echo "$ca" >> "$WORK/appmap.cpu"
  echo "$wb" >> "$WORK/baseline.wall"; echo "$cb" >> "$WORK/baseline.cpu"
  printf 'run %d: appmap %.3f s (cpu %s s), baseline %.3f s (cpu %s s)\n' "$i" "$wa" "$ca" "$wb" "$cb"
done
services=$(grep -c '^resource "appmap_service"' "$WORK/appmap/main.tf")
grep -q "Plan: $((N + services)) to add" "$WORK/appmap/plan.log" \
  || { echo "bench-plan: unexpected appmap plan" >&2; tail "$WORK/appmap/plan.log" >&2; exit 1; }
grep -q "Plan: $N to add" "$WORK/baseline/plan.log" \
  || { echo "bench-plan: unexpected baseline plan" >&2; tail "$WORK/baseline/plan.log" >&2; exit 1; }

wa=$(median < "$WORK/appmap.wall"); wb=$(median < "$WORK/baseline.wall")
printf '\nterraform plan -refresh=false, %d relations (+%d services) vs %d terraform_data, median of %d, release provider\n' \
  "$N" "$services" "$N" "$RUNS"
printf '  appmap_relation : %s s wall\n' "$wa"
printf '  terraform_data  : %s s wall (same rule maps as literal input)\n' "$wb"
printf '  ratio           : %.3f (target <= 1.15)\n' "$(echo "$wa / $wb" | bc -l)"
if [[ -n "$TIME_BIN" ]]; then
  ca=$(median < "$WORK/appmap.cpu"); cb=$(median < "$WORK/baseline.cpu")
  printf '  cpu (user+sys)  : appmap %s s, baseline %s s, ratio %.3f\n' "$ca" "$cb" "$(echo "$ca / $cb" | bc -l)"
fi
