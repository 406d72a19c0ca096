"""The one bounds rule `bounds N layer K` (spec 4.4) against the two rules it replaced.

`bounds N interval` was `bounds N layer 1`, and `bounds N crown` was `bounds N layer 1` .. `layer L`: the
same bounds on every node. `_old_bounds` below is the removed kernel code (kernel.py before the one rule),
kept here only as the reference; it uses the interval bounds (now `exact.interval_bounds`) and `_h_abs`,
which did not change. Checked on random nets (real and float32 semantics, nodes after input and ReLU splits) and on a real ACAS Xu node.
"""
from __future__ import annotations

import os
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from onnx import helper

import nets
from apothem_check import steps as S
from apothem_check.exact import backward_bound, grid_down, grid_up, interval_bounds, ints
from apothem_check.kernel import Session
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property

# as in test_network.py: CI sets APOTHEM_REQUIRE_BENCHMARKS=1 so that missing data fails instead of skipping
BENCH = Path(os.environ.get("APOTHEM_BENCHMARKS",
                            Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"))
needs_bench = pytest.mark.skipif(not BENCH.is_dir() and os.environ.get("APOTHEM_REQUIRE_BENCHMARKS") != "1",
                                 reason=f"benchmark data not found at {BENCH}")


def _old_tighten(s: Session, node, lower, upper, k: int):
    """The removed `_tighten` with default slopes: backward bounds of layer k's unstable neurons, then the
    interval bounds of the layers after k (not k itself)."""
    unstable = [j for j in range(s.hidden[k - 1]) if lower[k - 1][j] < 0 < upper[k - 1][j]]
    if unstable:
        n = len(unstable)
        rows = np.zeros((2 * n, s.hidden[k - 1]), dtype=object)
        rows[np.arange(2 * n), unstable * 2] = [1] * n + [-1] * n
        errors = None  # the removed `_errors`
        if s.layers[0].err_weight is not None:
            errors = [layer.error(h) for layer, h in zip(s.layers[:k], s._h_abs(node.lo, node.hi, upper))]
        got = backward_bound(s.layers, k, rows, ints([0] * (2 * n)), lower, upper, node.lo, node.hi, None,
                             errors=errors)
        l, u = lower[k - 1].copy(), upper[k - 1].copy()
        for r, j in enumerate(unstable):
            l[j], u[j] = max(l[j], grid_down(got[r])), min(u[j], grid_up(-got[n + r]))
        lower, upper = lower[:k - 1] + (l,) + lower[k:], upper[:k - 1] + (u,) + upper[k:]
    return interval_bounds(s.layers[:-1], node.lo, node.hi, lower, upper, start=k)


def _old_bounds(s: Session, node, method: str):
    """The removed `bounds N interval|crown`: the node's new (lower, upper)."""
    lower, upper = interval_bounds(s.layers[:-1], node.lo, node.hi, node.lower, node.upper)
    for k in range(2, len(s.hidden) + 1) if method == "crown" else ():
        lower, upper = _old_tighten(s, node, lower, upper, k)
    return lower, upper


def _same(a, b) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b))


def _compare(s: Session, node_id: int, next_id: int) -> int:
    """Both old rules against their replacements on one open node (applied to copies of the session's state);
    returns the number of neurons whose bounds `crown` tightened beyond `interval` (so the test sees work)."""
    node = s.open[node_id]
    for method, layers in (("interval", [1]), ("crown", range(1, len(s.hidden) + 1))):
        want = _old_bounds(s, node, method)
        for k in layers:
            s.apply(S.BoundsLayer(next_id, node_id, k))
            next_id += 1
        got = s.open[node_id]
        assert _same(got.lower, want[0]) and _same(got.upper, want[1]), (method, node_id)
        s.open[node_id] = node  # the next method starts from the node's old bounds again
    crown, interval = _old_bounds(s, node, "crown"), _old_bounds(s, node, "interval")
    return sum(int((c != i).sum()) for c, i in zip(crown[0] + crown[1], interval[0] + interval[1]))


def _random_net(rnd: random.Random, path: Path) -> tuple[int, int]:
    """A random ReLU chain of dyadic weights (Gemm, Relu, ...), 2-3 inputs, 1-4 hidden layers of 2-6."""
    sizes = [rnd.randint(2, 3)] + [rnd.randint(2, 6) for _ in range(rnd.randint(1, 4))] + [2]
    nodes, inits, h = [], [], "input"
    for k in range(1, len(sizes)):
        w = [[rnd.randint(-8, 8) / 8 for _ in range(sizes[k - 1])] for _ in range(sizes[k])]
        b = [rnd.randint(-4, 4) / 8 for _ in range(sizes[k])]
        out = "output" if k == len(sizes) - 1 else f"z{k}"
        nodes.append(helper.make_node("Gemm", [h, f"W{k}", f"B{k}"], [out], transB=1))
        inits += [nets._t(f"W{k}", w), nets._t(f"B{k}", b)]
        if out != "output":
            nodes.append(helper.make_node("Relu", [out], [f"h{k}"]))
            h = f"h{k}"
    path.write_bytes(nets.model_bytes(nets._model("random", nodes, inits, (1, sizes[0]), (1, sizes[-1]))))
    return sizes[0], sizes[-1]


@pytest.mark.parametrize("seed", range(12))
def test_interval_and_crown_are_layer_steps_on_random_nets(tmp_path, seed):
    rnd = random.Random(seed)
    n_in, n_out = _random_net(rnd, tmp_path / "net.onnx")
    (tmp_path / "p.vnnlib").write_text(nets.vnnlib(n_in, n_out, nets.box([(-1, 1)] * n_in) + "\n(assert (<= Y_0 0))",
                                                   "random"))
    net = load_network(tmp_path / "net.onnx")
    prop = load_property(tmp_path / "p.vnnlib", n_in, n_out)
    tightened = 0
    for network in (net, net.float32()):
        s = Session(network, prop)
        s.apply(S.Root(1, (0,)))
        tightened += _compare(s, 1, 100)
        s.apply(S.SplitInput(200, 1, rnd.randrange(n_in), Fraction(rnd.randint(-3, 3), 4), 201, 202))
        tightened += _compare(s, 201, 300) + _compare(s, 202, 400)
        unstable = [(k, j) for k, (l, u) in enumerate(zip(s.open[202].lower, s.open[202].upper), start=1)
                    for j in range(len(l)) if l[j] < 0 < u[j]]
        if unstable:
            s.apply(S.SplitRelu(500, 202, *rnd.choice(unstable), 501, 502))
            tightened += _compare(s, 501, 600) + _compare(s, 502, 700)
    if seed == 0:
        assert tightened > 0  # crown did tighten something on these nodes: the comparison is not vacuous


@needs_bench
def test_interval_and_crown_are_layer_steps_on_acas_xu():
    onnx_path = BENCH / "acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx"
    vnnlib_path = BENCH / "acasxu/vnnlib/prop_1.vnnlib"
    net = load_network(onnx_path)
    s = Session(net, load_property(vnnlib_path, net.n_inputs, net.n_outputs))
    s.apply(S.Root(1, (0,)))
    s.apply(S.SplitInput(2, 1, 0, Fraction(7, 10), 3, 4))
    s.apply(S.SplitInput(5, 4, 1, Fraction(0), 6, 7))
    assert _compare(s, 7, 100) > 0
