"""The README's Python API gives the same results as the command line."""
from __future__ import annotations

import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from apothem_check.check import check_proof
from apothem_check.errors import InputError
from apothem_check.network import load_network
from apothem_check.vnnlib import cross_check_with_z3, load_property
from prover.api import certify_input, verify_query
from prover.outfile import OutputError

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "examples" / "tiny"
NET = TINY / "model.onnx"


def cli(*args):
    return subprocess.run([sys.executable, "-m", "prover", *map(str, args)], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("name", ["robust", "not_robust"])
def test_verify_query_and_check_proof_agree_with_the_commands(tmp_path, name):
    q = TINY / f"{name}.vnnlib"
    out = verify_query(q, NET, proof=tmp_path / "api.apf", timeout=60)
    r = cli("verify", q, "--network", NET, "--proof", tmp_path / "cli.apf", "--timeout", "60")
    lines = r.stdout.splitlines()
    assert r.returncode == 0 and lines[0] == out.verdict
    if out.verdict == "sat":
        xs = [Fraction(m) for m in re.findall(r"\(X_\d+ (\S+)\)", r.stdout)]
        assert xs == out.inputs
    # the README's checker calls, and the checker's command, on the API's proof
    net = load_network(NET)
    prop = load_property(q, net.n_inputs, net.n_outputs)
    cross_check_with_z3(q, prop)
    result = check_proof(tmp_path / "api.apf", net, prop)
    c = subprocess.run([sys.executable, "-m", "apothem_check.cli", "check", "--query", str(q), "--proof",
                        str(tmp_path / "api.apf"), "--network", str(NET)], capture_output=True, text=True)
    assert (result.verdict, result.conclusion) == (c.stdout.strip(), out.verdict) == ("valid", out.verdict)


def test_certify_input_agrees_with_the_command(tmp_path):
    x = tmp_path / "x.csv"
    x.write_text("64/255 128/255 191/255 128/255\n")
    r = certify_input(NET, x, out=tmp_path / "api.bundle", timeout=30)
    c = cli("certify", "--network", NET, "--input", x, "--out", tmp_path / "cli.bundle", "--timeout", "30")
    assert c.returncode == 0, c.stderr
    assert c.stdout.splitlines()[0].startswith(f"class {r.label} is robust up to apothem "
                                               f"{float(r.row['apothem']):.3g} ({r.row['apothem_k']} steps of 1/255)")
    assert r.verdict == "valid" and c.stdout.splitlines()[-1].endswith(": valid")


def test_api_errors_are_the_documented_exceptions(tmp_path):
    with pytest.raises(InputError) as e:
        verify_query(tmp_path / "missing.vnnlib", NET)
    assert e.value.code == "VNNLIB_SYNTAX"
    with pytest.raises(OutputError):
        verify_query(TINY / "robust.vnnlib", NET, proof=tmp_path)
    with pytest.raises(InputError) as e:
        certify_input(tmp_path / "missing.onnx", tmp_path / "x.csv")
    assert e.value.code == "ONNX_MALFORMED"
