# Source me: `. scripts/tf-env.sh` — puts .tools/bin on PATH and points
# Terraform at the project's CLI config (dev_overrides for appmap/appmap ->
# target/debug, so no `terraform init` is needed or wanted).
# Override the provider directory with APPMAP_PROVIDER_DIR (e.g. target/release).
_appmap_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
_appmap_dir="${APPMAP_PROVIDER_DIR:-$_appmap_root/target/debug}"
mkdir -p "$_appmap_root/.tools"
cat > "$_appmap_root/.tools/terraformrc" <<RC
provider_installation {
  dev_overrides {
    "appmap/appmap" = "$_appmap_dir"
  }
  direct {}
}
RC
export TF_CLI_CONFIG_FILE="$_appmap_root/.tools/terraformrc"
export CHECKPOINT_DISABLE=1
export TF_IN_AUTOMATION=1
export PATH="$_appmap_root/.tools/bin:$PATH"
unset _appmap_root _appmap_dir
