"""`pip install ./checker[test]` into a fresh venv gives a working `apothem-check` that ships without the
prover, and the checker's own test suite loads there (nothing of the prover side installed)."""
from __future__ import annotations

import os
import re
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
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"{ROOT / 'checker'}[test]"],
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
    # the checker's suite, without the repository's root conftest (which would put the prover's
    # source folders on sys.path): every module loads, and the independence test passes
    suite = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", ROOT / "checker" / "pyproject.toml"]
    out = subprocess.run([python, *suite, "--collect-only", ROOT / "checker" / "tests"], capture_output=True,
                         text=True, cwd=tmp_path, env=env, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]  # (2 on a module that fails to load)
    assert int(re.search(r"(\d+) tests collected", out.stdout).group(1)) > 100, out.stdout[-500:]
    out = subprocess.run([python, *suite, ROOT / "checker" / "tests" / "test_independent.py"], capture_output=True,
                         text=True, cwd=tmp_path, env=env, timeout=600)
    assert out.returncode == 0, out.stdout[-2000:]
