#!/usr/bin/env bash
# VNN-COMP tool interface: run_instance.sh v1 <benchmark> <onnx> <vnnlib> <result_file> <timeout>
# Result file: first line sat|unsat|timeout|error|unknown; `sat` is followed by ((X_0 v) ... (Y_0 v) ...).
# The proof is written beside the result file as <result_file>.apf.
set -u
[ "$1" = "v1" ] || { echo "expected version v1, got $1" >&2; exit 1; }
root="$(cd "$(dirname "$0")/.." && pwd)"
onnx="$3"; vnnlib="$4"; result="$5"; timeout="$6"
out=$("$root/.venv/bin/apothem" verify "$vnnlib" --network "$onnx" --timeout "$timeout" --proof "$result.apf")
code=$?
first=$(printf '%s\n' "$out" | head -n 1)
case "$first" in
  sat|unsat|unknown) printf '%s\n' "$out" > "$result" ;;
  timed-out) echo timeout > "$result" ;;
  *) echo error > "$result"; exit 0 ;;
esac
exit 0
