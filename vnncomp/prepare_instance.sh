#!/usr/bin/env bash
# VNN-COMP tool interface: prepare_instance.sh v1 <benchmark> <onnx> <vnnlib>
# Sets up the project's venv (idempotent), ends a run of ours that an earlier instance left
# behind, and reads both files as `apothem verify` would (`apothem inspect`): exit 0 when
# Apothem takes them, non-zero (with the reason on stderr) when it cannot.
set -u
[ "$1" = "v1" ] || { echo "expected version v1, got $1" >&2; exit 1; }
[ $# -eq 4 ] || { echo "usage: prepare_instance.sh v1 <benchmark> <onnx> <vnnlib>" >&2; exit 1; }
root="$(cd "$(dirname "$0")/.." && pwd)"
onnx="$3"; vnnlib="$4"
# only our own process group, recorded by run_instance.sh (never `pkill -f`, which would also
# end other users' runs of the same command)
pidfile="$root/.vnncomp-run.pgid"
if [ -f "$pidfile" ]; then
  pgid=$(cat "$pidfile")
  case "$pgid" in ''|*[!0-9]*) ;; *) kill -TERM -- "-$pgid" 2>/dev/null && sleep 1; kill -KILL -- "-$pgid" 2>/dev/null ;; esac
  rm -f "$pidfile"
fi
python3 "$root/dev.py" setup-only >&2 || exit 1
"$root/.venv/bin/apothem" inspect "$vnnlib" --network "$onnx" >&2 || exit 1
exit 0
