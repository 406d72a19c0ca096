#!/usr/bin/env bash
# VNN-COMP tool interface: run_instance.sh v1 <benchmark> <onnx> <vnnlib> <result_file> <timeout>
# Result file: first line sat|unsat|timeout|error|unknown; `sat` is followed by ((X_0 v) ... (Y_0 v) ...)
# for a VNN-LIB 1 query (VNN-COMP's form), by the VNN-LIB 2 assignment format for a VNN-LIB 2 query.
# The proof is written beside the result file as <result_file>.apf, for sat and unsat only: a
# proof left by an earlier run is removed first, so it never stands beside a later result.
# Both files are written atomically under the rules of prover/outfile.py (no FIFO, symlink or
# device is replaced; no temporary file is left, even on SIGTERM).
set -u
[ "$1" = "v1" ] || { echo "expected version v1, got $1" >&2; exit 1; }
[ $# -eq 6 ] || { echo "usage: run_instance.sh v1 <benchmark> <onnx> <vnnlib> <result_file> <timeout>" >&2; exit 1; }
root="$(cd "$(dirname "$0")/.." && pwd)"
py="$root/.venv/bin/python"
onnx="$3"; vnnlib="$4"; result="$5"; timeout="$6"
"$py" -m prover.outfile check "$result" "$result.apf" || exit 1
rm -f -- "$result.apf"
# apothem runs in its own process group, recorded for prepare_instance.sh; a TERM to this
# script is passed on to that group only
pidfile="$root/.vnncomp-run.pgid"
out=$(mktemp) || exit 1
trap 'rm -f -- "$out"' EXIT
setsid "$root/.venv/bin/apothem" verify "$vnnlib" --network "$onnx" --timeout "$timeout" --proof "$result.apf" \
  > "$out" &
child=$!
echo "$child" > "$pidfile"
trap 'kill -TERM -- "-$child" 2>/dev/null; wait "$child"; rm -f -- "$pidfile"; exit 143' TERM INT HUP
wait "$child"
code=$?
trap - TERM INT HUP
rm -f -- "$pidfile"
first=$(head -n 1 "$out")
if [ "$code" -ne 0 ]; then
  answer=error
else
  case "$first" in
    sat|unsat|unknown) answer="" ;;
    timed-out) answer=timeout ;;
    *) answer=error ;;
  esac
fi
if [ -n "$answer" ]; then
  echo "$answer" | "$py" -m prover.outfile write "$result"
else
  "$py" -m prover.outfile write "$result" < "$out"
fi
