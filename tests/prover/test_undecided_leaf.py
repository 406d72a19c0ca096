"""Leaves whose ReLUs are all fixed but that the float multipliers cannot close are linear
programs: the LP leaves close them (exact duals) or yield a counterexample; a leaf neither settles
is given up (`unknown`), since the checker has no other leaf rule (spec 4.6)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.tree import Settings
from prover.verify import verify

ABS = Path(__file__).resolve().parents[2] / "checker" / "tests" / "golden" / "models" / "abs.onnx"  # y = |x|


def _run(tmp_path, unsafe: str):
    prop_path = tmp_path / "p.vnnlib"
    prop_path.write_text("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
                         f"(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert {unsafe})\n")
    net = load_network(ABS)
    prop = load_property(prop_path, 1, 1)
    proof = tmp_path / "p.apf"
    relu_mode = Settings(input_split_max_dim=0)  # ReLU splitting even for one input
    return verify(net, prop, str(proof), timeout=60, settings=relu_mode), net, prop, proof


def test_margin_below_float_resolution_is_given_up(tmp_path):
    """|x| <= -2^-40: unsat, but the leaves' margin is below what the float LP duals certify.
    The checker closes leaves only by linear certificates (spec 4.6: no z3 leaf rule), so the
    prover answers `unknown` at once, with or without a proof, and writes no proof."""
    out, net, prop, proof = _run(tmp_path, "(<= Y_0 (- (/ 1 1099511627776)))")
    assert out.verdict == "unknown" and "every ReLU fixed" in out.reason
    assert not proof.exists()
    out = verify(net, prop, None, timeout=60, proof=False, settings=Settings(input_split_max_dim=0))
    assert out.verdict == "unknown" and "every ReLU fixed" in out.reason


def test_a_single_unsafe_point_is_found_and_replays_exactly(tmp_path):
    out, net, prop, proof = _run(tmp_path, "(<= Y_0 0)")  # only x = 0 is unsafe (attack or LP leaf point)
    assert out.verdict == "sat" and out.inputs == [0]
    result = check_proof(proof, net, prop)
    assert (result.verdict, result.conclusion) == ("valid", "sat")


def test_a_counterexample_thinner_than_float32_is_found(tmp_path):
    """Unsafe only for |x| in [0.3, 0.3 + 1e-12], far below float32's spacing there (3e-8): the
    LP leaf's point must become the counterexample as a float64, not be rounded to a float32
    off the unsafe set and leave the leaf undecided (the query would be given up)."""
    unsafe = "(and (>= Y_0 0.3) (<= Y_0 0.300000000001))"
    prop_path = tmp_path / "p.vnnlib"
    prop_path.write_text("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
                         f"(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert {unsafe})\n")
    net = load_network(ABS)
    prop = load_property(prop_path, 1, 1)
    out = verify(net, prop, None, timeout=60, proof=False, settings=Settings(input_split_max_dim=0))
    assert out.verdict == "sat"
    x = abs(out.inputs[0])
    assert Fraction("0.3") <= x <= Fraction("0.300000000001")
    out, _, _, proof = _run(tmp_path, unsafe)
    assert out.verdict == "sat"
    result = check_proof(proof, net, prop)
    assert (result.verdict, result.conclusion) == ("valid", "sat")
