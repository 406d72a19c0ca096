"""`apothem verify --semantics float32` (issue 19, spec 4.11): the evidence that it matters, the
brute-force guard that its `unsat` covers every admissible execution, and the prover's mirror of
the checker's rounding terms."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
from fractions import Fraction
from functools import lru_cache
from itertools import combinations, product
from pathlib import Path

import numpy as np
import onnx
import pytest

from apothem_check.check import check_proof
from apothem_check.kernel import Session
from apothem_check import exact as X
from apothem_check import steps as S
from apothem_check.network import f32, load_network
from apothem_check.vnnlib import load_property
from proof_format.numbers import exact_decimal
from prover.api import verify_query
from prover.engine.backward import backward
from prover.engine.bounds import compute_bounds
from prover.engine.model import FloatNet
from prover.semantics import outputs

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("float32_gap", ROOT / "examples" / "float32_gap.py")
gap = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gap)


def _onnxruntime(model_path: Path, x: list[Fraction]) -> np.ndarray:
    import onnxruntime as ort  # a test dependency (pyproject.toml, extra `test`)
    session = ort.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    return session.run(None, {"input": np.array([[float(v) for v in x]], dtype=np.float32)})[0][0]


def test_real_unsat_is_float32_sat_and_onnxruntime_agrees(tmp_path):
    """The issue's smallest case: real arithmetic proves y >= 1.9 impossible on [1.25, 1.75] (valid
    proof), float32 finds a binary32 witness that the checker accepts and onnxruntime confirms."""
    net_path, query = gap.write_shift(tmp_path)
    real = verify_query(query, net_path, proof=tmp_path / "real.apf", semantics="real", timeout=60)
    fl = verify_query(query, net_path, proof=tmp_path / "f32.apf", semantics="float32", timeout=60)
    assert (real.verdict, fl.verdict) == ("unsat", "sat")
    net = load_network(net_path)
    prop = load_property(query, net.input_shape, net.output_shape)
    for name, verdict in (("real", "unsat"), ("f32", "sat")):
        result = check_proof(tmp_path / f"{name}.apf", net, prop)
        assert (result.verdict, result.conclusion) == ("valid", verdict)
    assert (tmp_path / "f32.apf").read_text().splitlines()[1] == "semantics float32"
    assert all(Fraction(float(np.float32(v))) == v for v in fl.inputs)       # binary32 witness
    assert fl.outputs == [Fraction(2)] and _onnxruntime(net_path, fl.inputs)[0] >= 1.9
    assert outputs(net, fl.inputs)[0] < Fraction(19, 10)                      # safe in real arithmetic


@lru_cache(maxsize=None)
def _sums(leaves: frozenset, terms: tuple) -> frozenset:
    """Every value an admissible execution gives for the sum of `leaves` (indices into `terms`, a
    term being (w, v) for a product or (b,) for the bias): any bracketing and order, each product
    rounded or fused (FMA) into the addition that consumes it, every operation rounded to binary32."""
    if len(leaves) == 1:
        t = terms[min(leaves)]
        return frozenset({t[0] if len(t) == 1 else f32(t[0] * t[1])})
    out, items = set(), sorted(leaves)
    for r in range(1, len(items) // 2 + 1):
        for left in map(frozenset, combinations(items, r)):
            right = leaves - left
            for one, other in ((left, right), (right, left)):
                if len(one) == 1 and len(terms[min(one)]) == 2:
                    w, v = terms[min(one)]
                    out.update(f32(w * v + y) for y in _sums(other, terms))
            out.update(f32(x + y) for x in _sums(left, terms) for y in _sums(right, terms))
    return frozenset(out)


def _every_execution(net, x: tuple) -> set:
    """Outputs (one-output networks) of every admissible execution at the binary32 point x."""
    vectors = {x}
    for k, layer in enumerate(net.layers):
        dense = np.zeros(layer.weight.shape, dtype=object)
        dense[layer.weight.rows, layer.weight.cols] = layer.weight.vals
        w = [[Fraction(int(a), layer.denominator) for a in row] for row in dense]
        b = [Fraction(int(a), layer.denominator) for a in layer.bias]
        nxt = set()
        for h in vectors:
            per_neuron = []
            for wj, bj in zip(w, b):
                terms = tuple((a, v) for a, v in zip(wj, h)) + ((bj,),)
                got = _sums(frozenset(range(len(terms))), terms)
                per_neuron.append({max(s, 0) for s in got} if layer.relu else got)
            nxt.update(product(*per_neuron))
        vectors = nxt
    return {y[0] for y in vectors}


@pytest.mark.parametrize("seed", range(3))
def test_every_float32_unsat_covers_every_summation_order(tmp_path, seed):
    """Converse guard: on a tiny network (3 inputs per dot product, biases of 2^20, 8 binary32
    points in the box) brute force gives every output of every admissible execution. Under queries
    y >= t for thresholds from below the real maximum to well above every execution's, a float32
    `unsat` (a proof the checker accepts) only ever comes where no execution reaches t; a real one
    does come where some execution does (the gap is real), and float32 proves some."""
    model = gap.tiny_net(seed)
    net_path = tmp_path / "tiny.onnx"
    onnx.save(model, net_path)
    net = load_network(net_path)
    rng = np.random.default_rng(seed)
    centre = rng.uniform(0.5, 1.0, 3).astype(np.float32)
    axes = [(Fraction(float(c)), Fraction(float(np.nextafter(c, np.float32(2))))) for c in centre]
    points = list(product(*axes))
    every = set().union(*(_every_execution(net, p) for p in points))
    real_max = max(outputs(net, list(p))[0] for p in points)
    top = max(every)
    assert top > real_max  # the network does round: the real maximum is not the float32 one
    spread = top - min(every)
    answers = {}
    for i, t in enumerate([real_max + (top - real_max) / 2, top, top + spread, top + 4 * spread, top + 64 * spread]):
        query = tmp_path / f"q{i}.vnnlib"
        box = "".join(f"(assert (>= X_{j} {exact_decimal(lo)}))\n(assert (<= X_{j} {exact_decimal(hi)}))\n"
                      for j, (lo, hi) in enumerate(axes))
        query.write_text("".join(f"(declare-const X_{j} Real)\n" for j in range(3)) + "(declare-const Y_0 Real)\n"
                         + box + f"(assert (>= Y_0 {exact_decimal(t)}))\n")
        for sem in ("real", "float32"):
            out = verify_query(query, net_path, proof=tmp_path / f"q{i}{sem}.apf", semantics=sem, timeout=60)
            answers[(t, sem)] = out.verdict
            if out.verdict in ("sat", "unsat"):
                prop = load_property(query, net.input_shape, net.output_shape)
                assert check_proof(tmp_path / f"q{i}{sem}.apf", net, prop).verdict == "valid"
            if sem == "float32" and out.verdict == "unsat":
                assert all(y < t for y in every), (t, top)
    assert answers[(real_max + (top - real_max) / 2, "real")] == "unsat"  # real proves what float32 refutes
    assert answers[(top, "float32")] != "unsat"
    assert "unsat" in [v for (t, sem), v in answers.items() if sem == "float32"]


def _boundary(tmp_path):
    net_path, _ = gap.write_shift(tmp_path)
    query = tmp_path / "wide.vnnlib"
    query.write_text("(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 -3))\n"
                     "(assert (<= X_0 5))\n(assert (>= Y_0 100))\n")
    net = load_network(net_path).float32()
    return net, load_property(query, net.input_shape, net.output_shape)


def test_the_float_search_widens_bounds_by_the_checkers_rounding_terms(tmp_path):
    """The prover's interval bounds of the shift network under float32 are the checker's own (up to
    float rounding): the rounding terms E_k of 2^24-sized sums are there, about 1 per layer."""
    net, prop = _boundary(tmp_path)
    session = Session(net, prop)
    session.apply(S.Root(1, (0,)))
    exact = session.open[1]
    fnet = FloatNet.of(net)
    lo, hi = np.array([[-3.0]]), np.array([[5.0]])
    lower, upper = compute_bounds(fnet, lo, hi)
    assert abs(lower[0][0, 0] - float(Fraction(int(exact.lower[0][0]), 1 << 64))) < 1e-6
    assert abs(upper[0][0, 0] - float(Fraction(int(exact.upper[0][0]), 1 << 64))) < 1e-6
    real_lower, _ = compute_bounds(FloatNet.of(load_network(tmp_path / "shift.onnx")), lo, hi)
    assert 0.5 < real_lower[0][0, 0] - lower[0][0, 0] < 2.5  # E_1 of x + 2^24: about one binary32 spacing


def test_semantics_option_and_proof_header(tmp_path):
    net_path, query = gap.write_shift(tmp_path)
    r = subprocess.run([sys.executable, "-m", "prover", "verify", str(query), "--network", str(net_path),
                        "--semantics", "float32", "--proof", str(tmp_path / "p.apf")], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "sat"
    assert "semantics float32" in (tmp_path / "p.apf").read_text()
    r = subprocess.run([sys.executable, "-m", "prover", "verify", str(query), "--network", str(net_path),
                        "--semantics", "float16"], capture_output=True, text=True)
    assert r.returncode == 64 and "float16" in r.stderr
    r = subprocess.run([sys.executable, "-m", "prover", "verify", "--help"], capture_output=True, text=True)
    assert "--semantics" in r.stdout and "default:" in r.stdout


def _mirror(tmp_path, scale: float):
    """(prover, checker) bounds on a tiny float32 network: z(1) interval bounds, and the backward
    lower bound of y over the box, the prover's rounding terms scaled by `scale`."""
    net_path = tmp_path / "tiny.onnx"
    onnx.save(gap.tiny_net(7), net_path)
    net = load_network(net_path).float32()
    lo_q, hi_q = [Fraction(1, 2)] * 3, [Fraction(3, 4)] * 3
    query = tmp_path / "q.vnnlib"
    query.write_text("".join(f"(declare-const X_{j} Real)\n" for j in range(3)) + "(declare-const Y_0 Real)\n"
                     + "".join(f"(assert (>= X_{j} 0.5))\n(assert (<= X_{j} 0.75))\n" for j in range(3))
                     + "(assert (<= Y_0 0))\n")
    session = Session(net, load_property(query, net.input_shape, net.output_shape))
    session.apply(S.Root(1, (0,)))
    node = session.open[1]
    exact_bound = session._backward(node, 2, X.ints([1]).reshape(1, 1), X.ints([0]), node.lower, node.upper, None)[0]
    fnet = FloatNet.of(net)
    fnet = FloatNet(fnet.weights, fnet.biases, tuple((w * scale, b * scale) for w, b in fnet.errors))
    lo, hi = np.array([[0.5] * 3]), np.array([[0.75] * 3])
    lower, upper = compute_bounds(fnet, lo, hi)
    got = backward(fnet, 2, np.ones((1, 1, 1)), np.zeros((1, 1)), lower, upper, lo, hi).bound[0, 0]
    grid = lambda v: float(Fraction(int(v), 1 << 64))
    return (lower[0][0], got), (np.array([grid(v) for v in node.lower[0]]), float(exact_bound))


def test_the_prover_mirrors_the_checkers_rounding_terms_and_a_smaller_term_shows(tmp_path):
    """Prover-side mutation test: with the checker's own rounding terms the prover's interval and
    backward bounds equal the checker's (to float precision); with each term a thousandth smaller
    they are strictly tighter than the checker's, i.e. the prover would then emit closes that the
    checker rejects. (The checker's side, each term one grid unit smaller accepting a proof it must
    reject: checker/tests/test_float32.py.)"""
    (lower, bound), (exact_lower, exact_bound) = _mirror(tmp_path, 1.0)
    spread = np.abs(exact_lower) * 1e-12 + 1e-9
    assert np.all(np.abs(lower - exact_lower) <= spread) and abs(bound - exact_bound) <= 1e-9 * abs(exact_bound) + 1e-9
    (lower, bound), _ = _mirror(tmp_path, 0.999)
    # neuron 0 sums onto a bias of 2^20: its rounding term (about 0.1) dominates the others
    assert lower[0] > exact_lower[0] + spread[0] and bound > exact_bound + 1e-6, (lower - exact_lower, bound - exact_bound)
