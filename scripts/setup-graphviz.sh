#!/bin/sh
# Installs Graphviz (`dot`), which the `appmap paths --format dot` test renders with.
# Idempotent: does nothing when `dot` is already on PATH.
set -eu
if command -v dot >/dev/null 2>&1; then
    echo "graphviz: $(dot -V 2>&1)"
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then SUDO="sudo"; fi
$SUDO apt-get update
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends graphviz
echo "graphviz: $(dot -V 2>&1)"
