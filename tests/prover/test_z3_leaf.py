"""Leaves whose ReLUs are all fixed but that the float multipliers cannot close are linear
programs: they go to `close z3` (exact), which either closes them or yields a counterexample."""
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


def test_margin_below_float_resolution_is_closed_by_z3(tmp_path):
    out, net, prop, proof = _run(tmp_path, "(<= Y_0 (- (/ 1 1099511627776)))")  # |x| <= -2^-40
    assert out.verdict == "unsat"
    assert any(line.endswith(" z3") for line in proof.read_text().splitlines())
    result = check_proof(proof, net, prop)
    assert (result.verdict, result.conclusion) == ("valid", "unsat")


def test_a_single_unsafe_point_is_found_and_replays_exactly(tmp_path):
    out, net, prop, proof = _run(tmp_path, "(<= Y_0 0)")  # only x = 0 is unsafe (attack or z3 leaf)
    assert out.verdict == "sat" and out.inputs == [0]
    result = check_proof(proof, net, prop)
    assert (result.verdict, result.conclusion) == ("valid", "sat")


def test_a_z3_leaf_gets_only_the_query_time_left(tmp_path, monkeypatch):
    """z3 is given what is left of the query's timeout (not the kernel's 60 s default), and a
    z3 leaf that runs out of it makes the answer `timed-out`, not `unknown`."""
    import time

    import apothem_check.leaf_z3 as leaf_z3
    given = []

    def slow_unknown(network, disjunct, node, timeout_ms, errors=None):
        given.append(timeout_ms)
        time.sleep(timeout_ms / 1000)
        return "unknown", None

    monkeypatch.setattr(leaf_z3, "node_is_empty", slow_unknown)
    prop_path = tmp_path / "p.vnnlib"
    prop_path.write_text("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
                         "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (<= Y_0 (- (/ 1 1099511627776))))\n")
    net = load_network(ABS)
    prop = load_property(prop_path, 1, 1)
    out = verify(net, prop, str(tmp_path / "p.apf"), timeout=3, settings=Settings(input_split_max_dim=0))
    assert out.verdict == "timed-out"
    assert given and max(given) <= 3000
    assert not (tmp_path / "p.apf").exists()


def test_without_exact_replay_a_z3_leaf_is_unknown_not_timed_out(tmp_path):
    """A float-only search (proof=False, as the maximal-box search's intermediate calls) cannot
    decide a z3 leaf; that is `unknown` at once, not a `timed-out` with time left."""
    prop_path = tmp_path / "p.vnnlib"
    prop_path.write_text("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n"
                         "(assert (>= X_0 -1))\n(assert (<= X_0 1))\n(assert (<= Y_0 (- (/ 1 1099511627776))))\n")
    net = load_network(ABS)
    prop = load_property(prop_path, 1, 1)
    out = verify(net, prop, None, timeout=60, proof=False, settings=Settings(input_split_max_dim=0))
    assert out.verdict == "unknown" and "z3" in out.reason


def test_a_counterexample_thinner_than_float32_is_found_without_z3(tmp_path):
    """Unsafe only for |x| in [0.3, 0.3 + 1e-12], far below float32's spacing there (3e-8): the
    LP leaf's point must become the counterexample as a float64, not be rounded to a float32
    off the unsafe set and leave the leaf to z3 (which a float-only search cannot run)."""
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
