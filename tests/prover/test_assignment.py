"""The counterexample after `sat` (prover/cli.py `_assignment`): VNN-COMP's ((X_0 v) ...) form for a
VNN-LIB 1 query; for a VNN-LIB 2 query the VNN-LIB 2 standard's command-line assignment format
(github.com/VNNLIB/VNNLIB-Standard, document/chapters/verifier_interface.tex: each declared variable
in declaration order as `<name> <type> <dims>`, then its values one a line in row-major order)."""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from apothem_check.vnnlib import load_property
from prover.cli import _assignment, main

TINY = Path(__file__).resolve().parents[2] / "examples" / "tiny"


def as_v2(v1: str) -> str:
    """The tiny example's query in VNN-LIB 2, with its own names and the network's shapes."""
    body = re.sub(r"\(declare-const [XY]_[0-9]+ Real\)\n", "", v1)
    body = re.sub(r"X_([0-9]+)", r"pixel[0,\1]", re.sub(r"Y_([0-9]+)", r"score[\1]", body))
    return ("(vnnlib-version <2.0>)\n(declare-network tiny (declare-input pixel real [1,4]) "
            "(declare-output score Real [3]))\n" + body)


def verify(capsys, query: Path) -> list[str]:
    assert main(["verify", str(query), "--network", str(TINY / "model.onnx"), "--no-proof"]) == 0
    return capsys.readouterr().out.splitlines()


def test_sat_assignment_in_each_version(tmp_path, capsys):
    v1 = verify(capsys, TINY / "not_robust.vnnlib")
    assert v1[0] == "sat" and v1[1].startswith("((X_0 ") and len(v1) == 1 + 4 + 3 and v1[-1].endswith("))")
    values = [line.strip(" ()").split()[1] for line in v1[1:]]
    (tmp_path / "v2.vnnlib").write_text(as_v2((TINY / "not_robust.vnnlib").read_text()))
    v2 = verify(capsys, tmp_path / "v2.vnnlib")
    assert v2 == ["sat", "pixel real [1,4]", *values[:4], "score Real [3]", *values[4:]]
    prop = load_property(tmp_path / "v2.vnnlib", (1, 4), (1, 3))
    box = prop.disjuncts[0]
    assert all(lo <= Fraction(x) <= hi for lo, x, hi in zip(box.lower, values[:4], box.upper))


def test_v2_assignment_is_row_major_under_the_declared_shape(tmp_path):
    (tmp_path / "q.vnnlib").write_text(
        "(vnnlib-version <2.0>)\n(declare-network n (declare-input X real [2,2]) (declare-output Y real []))\n"
        "(assert (and (>= X[0,0] 0) (<= X[0,0] 1) (>= X[0,1] 0) (<= X[0,1] 1) (>= X[1,0] 0) (<= X[1,0] 1)"
        " (>= X[1,1] 0) (<= X[1,1] 1)))\n(assert (<= Y 0))\n")
    prop = load_property(tmp_path / "q.vnnlib", (2, 2), (1,))
    lines = _assignment(prop, [Fraction(1, 2), Fraction(1, 4), 0, 1], [Fraction(-3, 8)])
    assert lines == ["X real [2,2]", "0.5", "0.25", "0", "1", "Y real []", "-0.375"]


def test_vnncomp_result_file_in_each_version(tmp_path):
    import subprocess
    root = TINY.parents[1]
    (tmp_path / "v2.vnnlib").write_text(as_v2((TINY / "not_robust.vnnlib").read_text()))
    for query, second in ((TINY / "not_robust.vnnlib", "((X_0 "), (tmp_path / "v2.vnnlib", "pixel real [1,4]")):
        result = tmp_path / f"{query.stem}.txt"
        r = subprocess.run(["bash", str(root / "vnncomp/run_instance.sh"), "v1", "tiny", str(TINY / "model.onnx"),
                            str(query), str(result), "60"], capture_output=True, text=True, timeout=300)
        lines = result.read_text().splitlines()
        assert r.returncode == 0 and lines[0] == "sat" and lines[1].startswith(second), (r.stderr, lines)
