"""`pip install ./checker` into a fresh venv gives a working `apothem-check` that ships without the prover."""
from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_checker_installs_alone(tmp_path: Path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    python = bindir / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT / "checker")],
                   check=True, cwd=tmp_path, env=env, timeout=600)
    out = subprocess.run([bindir / "apothem-check", "supports", "--proof-rules"], capture_output=True, text=True,
                         cwd=tmp_path, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "root" and "close linear" in out.stdout.splitlines()
    # the grammar files are package data: checking a proof works from the installed copy
    golden = ROOT / "checker" / "tests" / "golden"
    out = subprocess.run([bindir / "apothem-check", "check", "--query", golden / "models" / "abs_neg.vnnlib",
                          "--proof", golden / "valid" / "root_close_linear.apf", "--network", golden / "models" / "abs.onnx"],
                         capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert (out.returncode, out.stdout) == (0, "valid\n"), out.stderr
    # the prover is not part of the checker's distribution
    probe = subprocess.run([python, "-c", "import prover"], capture_output=True, text=True, cwd=tmp_path, env=env)
    assert probe.returncode != 0 and "ModuleNotFoundError" in probe.stderr
    probe = subprocess.run([python, "-c", "import apothem_check, sys; print(apothem_check.__file__)"],
                           capture_output=True, text=True, cwd=tmp_path, env=env)
    assert str(env_dir) in probe.stdout, probe.stdout
