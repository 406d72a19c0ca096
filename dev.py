#!/usr/bin/env python3
"""One-command set-up and run, on a machine with only Python 3.11+ (the README quick start).

    python3 dev.py demo    # set up .venv, verify the bundled example, check its proof
    python3 dev.py test    # set up .venv, run the whole test suite
    python3 dev.py bench ARGS...   # set up .venv (and .venv-checker), run the benchmark harness (prover/bench.py)
    python3 dev.py setup-only      # set up .venv only (used by vnncomp/prepare_instance.sh)

Set-up is idempotent: it installs ./checker and the prover into .venv (editable), under
constraints.txt, only when one of those files changed since the last install. `bench` times the
checker in .venv-checker, where ./checker is installed alone, without its test extra, as a third
party installs it: in .venv the test extra's interegular makes lark prove the proof grammar's
terminals disjoint on every `apothem-check` start (about 0.15 s of every check).
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
SETUP_FILES = ("pyproject.toml", "checker/pyproject.toml", "constraints.txt")
CHECKER_VENV = ROOT / ".venv-checker"


def _run(*cmd, **kw) -> int:
    print("+", " ".join(map(str, cmd)), flush=True)
    return subprocess.call([str(c) for c in cmd], cwd=ROOT, **kw)


def setup(env: Path = VENV, packages=("./checker[test]", ".[test,report,cluster]")) -> None:
    """Install `packages` (editable) into the venv `env`, unless the set-up files are as at its last install."""
    if sys.version_info < (3, 11):
        sys.exit(f"Apothem needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    wanted = hashlib.sha256(b"".join((ROOT / p).read_bytes() for p in SETUP_FILES)).hexdigest()
    stamp, python = env / "apothem-installed", env / BIN.name / "python"
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if not python.exists():
        print(f"creating {env}", flush=True)
        venv.EnvBuilder(with_pip=True).create(env)
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", "constraints.txt"]
    if _run(*pip, *(arg for p in packages for arg in ("-e", p))) != 0:
        sys.exit(f"set-up failed: pip could not install {' and '.join(packages)} into {env}")
    stamp.write_text(wanted)


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
    setup(CHECKER_VENV, ("./checker",))
    return _run(BIN / "python", "-m", "prover.bench", "--checker", CHECKER_VENV / BIN.name / "apothem-check", *argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
