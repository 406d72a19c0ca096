"""semantics float32 (spec 4.11): binary32 rounding, the rounding bounds against every summation
order, and mutations showing that each bound is used by the rules that need it."""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from itertools import combinations

import numpy as np
import onnx
import pytest
from gmpy2 import mpq
from onnx import helper

from apothem_check import exact
from apothem_check.check import check_proof
from apothem_check.exact import ONE
from apothem_check.network import f32, load_network
from apothem_check.vnnlib import load_property

from helpers import dense, sha
from nets import _model, _t, abs_net, exact_decimal


@pytest.mark.parametrize("rational", [Fraction, mpq])
def test_f32_rounds_like_numpy(rational):
    """The exact rounding agrees with numpy's float64 -> float32 cast (an oracle, in the test only)
    on values of every scale, ties, subnormals, zero and the overflow threshold, for Python's Fraction
    and for GMP's mpq (the folding's rationals) alike, returning the type it was given."""
    rng = np.random.default_rng(1)
    values = list(rng.standard_normal(2000) * 2.0 ** rng.integers(-160, 128, 2000))
    values += [0.0, 1 + 2.0 ** -24, 1 + 3 * 2.0 ** -24, 2.0 ** -150, 3 * 2.0 ** -150, 2.0 ** -151,
               2.0 ** 128 - 2.0 ** 104]
    for v in values:
        r = f32(rational(v))
        assert r == Fraction(float(np.float32(v))) and type(r) is rational, v
    with pytest.raises(OverflowError):
        f32(rational(2 ** 128 - 2 ** 103))


def test_fold_hands_out_python_numbers(tmp_path):
    """The folding computes with mpq, but what leaves it is Python's: the layers' integers (error
    terms included) and the reference execution's Fractions."""
    onnx.save(abs_net(b1=(0.5, -0.25)), tmp_path / "net.onnx")
    net = load_network(tmp_path / "net.onnx")
    folded = net.float32()
    layer = folded.layers[0]
    values = list(layer.bias) + list(layer.err_weight.vals) + list(layer.err_bias) + list(layer.peak)
    assert values and all(type(v) is int for v in values)
    out = net.reference([Fraction(1, 2)] * net.n_inputs)
    assert out and all(type(v) is Fraction for v in out)


def _trees(leaves: frozenset, w, v, b) -> set:
    """Every value an admissible execution can give for the sum of the leaves: any bracketing, any
    order, each product rounded or fused (FMA) into the addition that consumes it."""
    return _trees_of(leaves, tuple(w), tuple(v), b)


@lru_cache(maxsize=None)
def _trees_of(leaves, w, v, b):
    if len(leaves) == 1:
        (i,) = leaves
        return {b} if i < 0 else {f32(w[i] * v[i])}
    out, items = set(), sorted(leaves)
    for r in range(1, len(items) // 2 + 1):
        for left in combinations(items, r):
            left = frozenset(left)
            right = leaves - left
            for one, other in ((left, right), (right, left)):
                for y in _trees_of(other, w, v, b):
                    if len(one) == 1 and min(one) >= 0:  # fused multiply-add
                        i = min(one)
                        out.add(f32(w[i] * v[i] + y))
            for x in _trees_of(left, w, v, b):
                for y in _trees_of(right, w, v, b):
                    out.add(f32(x + y))
    return out


def _net(tmp_path, w, b, mean):
    """y = (x - mean) @ W + b: Sub, MatMul and a fusable Add."""
    nodes = [helper.make_node("Sub", ["input", "mean"], ["c"]), helper.make_node("MatMul", ["c", "W"], ["m"]),
             helper.make_node("Add", ["m", "B"], ["output"])]
    model = _model("brute", nodes, [_t("mean", [mean]), _t("W", w), _t("B", b)], (1, len(mean)), (1, len(b)))
    path = tmp_path / "brute.onnx"
    onnx.save(model, path)
    return load_network(path).float32()


@pytest.mark.parametrize("seed", range(6))
def test_every_summation_order_lies_within_the_bound(tmp_path, seed):
    """Brute force on dot products of up to 4 inputs plus a bias: every bracketing, order and FMA
    choice, at random binary32 inputs, stays within the checker's bound E (spec 4.11)."""
    rng = np.random.default_rng(seed)
    n = 2 + seed % 3
    scale = lambda size: (rng.standard_normal(size) * 2.0 ** rng.integers(-30, 25, size)).astype(np.float32)
    w, b, mean = scale((n, 2)), scale(2), scale(n)
    b[0] = 2.0 ** 24 if seed % 2 else b[0]
    net = _net(tmp_path, w, b, mean)
    (layer,) = net.layers
    for _ in range(8):
        x = [Fraction(float(v)) for v in (mean + scale(n)).astype(np.float32)]
        c = [f32(xi - Fraction(float(m))) for xi, m in zip(x, mean)]  # the Sub, rounded once
        h_abs = exact.ints(exact.grid_up(abs(Fraction(v))) for v in x)
        err = layer.error(h_abs)
        for j in range(2):
            real = sum((Fraction(int(wj)) * v for wj, v in zip(dense(layer.weight)[j], x)), Fraction(int(layer.bias[j])))
            real /= layer.denominator
            col = [Fraction(float(v)) for v in w[:, j]]
            got = _trees(frozenset(range(-1, n)), col, c, Fraction(float(b[j])))
            assert got and all(abs(s - real) <= Fraction(int(err[j]), ONE) for s in got), (seed, j)


def _boundary_case(tmp_path, t_shift: int):
    """The shift network on [1.25, 1.75] with unsafe y <= t, t = (least real y) - E - t_shift grid units:
    at t_shift = 0 the checker's bound leaves exactly nothing (LB = 0)."""
    model_path = tmp_path / "shift.onnx"
    onnx.save(abs_net(((1.0,),), (2.0 ** 24,), ((1.0,),), (-2.0 ** 24,)), model_path)
    net = load_network(model_path).float32()
    layers = list(net.layers)
    lo, hi = exact.ints([exact.grid_down(Fraction(5, 4))]), exact.ints([exact.grid_up(Fraction(7, 4))])
    l1, u1 = exact.interval_layer(layers[0], lo, hi)
    e2 = layers[1].error(np.maximum(u1, 0))
    # y >= z1 - 2^24 - E2 and z1 >= l1 (interval, already widened by E1): least y the checker allows
    least = Fraction(int(l1[0]), ONE) - 2 ** 24 - Fraction(int(e2[0]) + t_shift, ONE)
    prop_path = tmp_path / "p.vnnlib"
    prop_path.write_text(f"(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 1.25))\n"
                         f"(assert (<= X_0 1.75))\n(assert (<= Y_0 {exact_decimal(least)}))\n")
    return net, load_property(prop_path, 1, 1), sha(model_path), sha(prop_path)


@pytest.mark.parametrize("body, code", [("2 close 1 linear lambda 1", "NOT_POSITIVE")])
def test_one_grid_unit_less_rounding_accepts_a_proof(tmp_path, monkeypatch, body, code):
    """Mutation: a proof the checker rejects by exactly its rounding bound (interval and backward
    pass) is accepted once Layer.error shrinks by one grid unit: the term is used, on the grid."""
    net, prop, net_h, prop_h = _boundary_case(tmp_path, 0)
    text = f"apothem-proof 1\nsemantics float32\nnetwork sha256:{net_h}\nproperty sha256:{prop_h}\n1 root 0\n{body}\n3 unsat\n"
    proof = tmp_path / "p.apf"
    proof.write_text(text)
    result = check_proof(proof, load_network(tmp_path / "shift.onnx"), prop)
    assert result.error is not None and result.error.code == code
    shrunk = exact.Layer.error
    monkeypatch.setattr(exact.Layer, "error", lambda self, h: None if self.err_weight is None else shrunk(self, h) - 1)
    assert check_proof(proof, load_network(tmp_path / "shift.onnx"), prop).verdict == "valid"


def test_binary32_never_raises():
    """A coordinate beyond the binary32 range is not binary32 (certification's point check used to
    raise OverflowError on it: an internal error instead of POINT)."""
    from apothem_check.witness import binary32
    assert binary32(Fraction(3, 4)) and not binary32(Fraction(1, 3))
    assert not binary32(Fraction(10 ** 40)) and not binary32(Fraction(-(10 ** 40)))
