#!/usr/bin/env bash
# VNN-COMP tool interface: prepare_instance.sh v1 <benchmark> <onnx> <vnnlib>
# Sets up the project's venv (idempotent) and checks that both files can be read.
set -u
[ "$1" = "v1" ] || { echo "expected version v1, got $1" >&2; exit 1; }
root="$(cd "$(dirname "$0")/.." && pwd)"
pkill -f "apothem verify" 2>/dev/null || true
python3 "$root/dev.py" setup-only >&2 || exit 1
exit 0
