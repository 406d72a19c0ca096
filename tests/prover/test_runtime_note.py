"""`apothem verify` reports what onnxruntime computes at a counterexample (information only)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import prover.cli as cli
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.runtime_note import RuntimeView, runtime_note

TINY = Path(__file__).resolve().parents[2] / "examples" / "tiny"


def test_verify_reports_onnxruntime_at_a_counterexample(capsys):
    assert cli.main(["verify", str(TINY / "not_robust.vnnlib"), "--network", str(TINY / "model.onnx")]) == 0
    captured = capsys.readouterr()
    assert captured.out.splitlines()[0] == "sat"
    assert "onnxruntime's float32 execution at the counterexample (rounded to float32) reaches" in captured.err


def _box_query(tmp_path, low: Fraction, high: Fraction):
    """X_0 in [low, high], the other inputs 0, and an output condition every point meets."""
    lines = [f"(declare-const X_{i} Real)" for i in range(4)] + [f"(declare-const Y_{j} Real)" for j in range(3)]
    lines += [f"(assert (>= X_0 (/ {low.numerator} {low.denominator})))",
              f"(assert (<= X_0 (/ {high.numerator} {high.denominator})))"]
    lines += [f"(assert (>= X_{i} 0))\n(assert (<= X_{i} 0))" for i in range(1, 4)] + ["(assert (<= Y_0 1000))"]
    path = tmp_path / "q.vnnlib"
    path.write_text("\n".join(lines) + "\n")
    net = load_network(TINY / "model.onnx")
    return RuntimeView(net.source, net.input_shape), load_property(path, net.input_shape, net.output_shape)


def test_a_point_that_float32_rounding_moves_out_of_its_box_is_reported(tmp_path):
    """An exact witness inside a box narrower than a float32 step: rounded to float32 it leaves the box."""
    low = Fraction(1, 10) + Fraction(1, 10 ** 12)
    view, prop = _box_query(tmp_path, low, low + Fraction(1, 10 ** 12))
    note = runtime_note(view, prop, [low, 0, 0, 0])
    assert "does NOT reach the unsafe region" in note
    view, prop = _box_query(tmp_path, Fraction(0), Fraction(1))
    assert "at the counterexample (rounded to float32) reaches the unsafe region" in runtime_note(view, prop, [low, 0, 0, 0])
