#!/usr/bin/env python3
"""One-command set-up and run, on a machine with only Python 3.11+ (the README quick start).

    python3 dev.py demo    # set up .venv, verify the bundled example, check its proof
    python3 dev.py test    # set up .venv, run the whole test suite
    python3 dev.py bench ARGS...   # set up .venv, run the benchmark harness (prover/bench.py)
    python3 dev.py setup-only      # set up .venv only (used by vnncomp/prepare_instance.sh)

Set-up is idempotent: it installs ./checker and the prover into .venv (editable), under
constraints.txt, only when one of those files changed since the last install.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / "apothem-installed"
SETUP_FILES = ("pyproject.toml", "checker/pyproject.toml", "constraints.txt")


def _run(*cmd, **kw) -> int:
    print("+", " ".join(map(str, cmd)), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kw)


def setup() -> None:
    if sys.version_info < (3, 11):
        sys.exit(f"Apothem needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    wanted = hashlib.sha256(b"".join((ROOT / p).read_bytes() for p in SETUP_FILES)).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pip = [BIN / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if _run(*pip, "-c", "constraints.txt", "-e", "./checker[test]", "-e", ".[test,report,cluster]") != 0:
        sys.exit("set-up failed: pip could not install ./checker and the prover")
    STAMP.write_text(wanted)


def demo() -> int:
    out = ROOT / "out" / "demo"
    out.mkdir(parents=True, exist_ok=True)
    net = ROOT / "examples" / "tiny" / "model.onnx"
    status = 0
    for query in ("robust", "not_robust"):
        prop, proof = ROOT / "examples" / "tiny" / f"{query}.vnnlib", out / f"{query}.apf"
        print(f"\n== {query}: verify, then check the proof independently ==", flush=True)
        status |= _run(BIN / "apothem", "verify", prop, "--network", net, "--proof", proof, "--timeout", "60") != 0
        status |= _run(BIN / "apothem-check", "check", "--query", prop, "--proof", proof, "--network", net) != 0
    print(f"\nproofs are in {out}", flush=True)
    return status


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("demo", "test", "bench", "setup-only"):
        print(__doc__)
        return 64
    setup()
    if argv[0] == "setup-only":
        return 0
    if argv[0] == "demo":
        return demo()
    if argv[0] == "test":
        return _run(BIN / "python", "-m", "pytest", "-q", *argv[1:])
    return _run(BIN / "python", "-m", "prover.bench", *argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
