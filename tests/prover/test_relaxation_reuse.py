"""The float search's reuse of relaxations (prover/engine/backward.py `relaxation_parts`) and its
longer slope optimisation on crown bounds (Settings.crown_iters): neither may change a bound
except by making it tighter.

Reused relaxations must give bit-for-bit the bounds of relaxations recomputed per pass: the
float search mirrors the checker's exact steps, and a bound that drifted would only show as
rejected closes much later.
"""
from __future__ import annotations

import numpy as np

from prover.engine.backward import backward, relaxation, relaxation_parts
from prover.engine.bounds import compute_bounds, interval_layer
from prover.engine.certificate import optimise
from prover.engine.model import FloatNet


def _net(seed: int, widths=(3, 10, 10, 10, 4)) -> FloatNet:
    rng = np.random.default_rng(seed)
    return FloatNet(tuple(rng.normal(size=(b, a)) / np.sqrt(a) for a, b in zip(widths, widths[1:])),
                    tuple(rng.normal(size=b) * 0.1 for b in widths[1:]))


def _boxes(seed: int, n: int = 6, width: float = 0.8):
    rng = np.random.default_rng(seed)
    lo = rng.uniform(-1, 1, (n, 3))
    return lo, lo + rng.uniform(0.01, width, (n, 3))


def test_relaxation_from_parts_equals_recomputed_with_and_without_slopes():
    rng = np.random.default_rng(0)
    for dtype in (np.float64, np.float32):
        l = rng.normal(size=(5, 30)).astype(dtype)
        u = (l + rng.uniform(0, 2, size=(5, 30))).astype(dtype)
        parts = relaxation_parts(l, u)
        assert np.any(parts[3]) and not np.all(parts[3])  # unstable and stable neurons both present
        for alpha in (None, rng.uniform(0, 1, size=(5, 30)).astype(dtype)):
            fresh, reused = relaxation(l, u, alpha), relaxation(l, u, alpha, parts)
            for a, b in zip(fresh, reused):
                assert a.dtype == b.dtype and np.array_equal(a, b)
            assert fresh[0].dtype == dtype  # the float32 lookahead stays in float32


def test_crown_bounds_with_reused_relaxations_equal_per_pass_ones():
    """compute_bounds passes each layer's relaxation to the later layers' backward passes; the
    reference here recomputes it in every pass, as before the reuse."""
    net = _net(1)
    lo, hi = _boxes(2)
    got_l, got_u = compute_bounds(net, lo, hi, method="crown")
    ref_l, ref_u = [], []
    for k in range(1, net.depth):
        h_lo, h_hi = (lo, hi) if k == 1 else (np.maximum(ref_l[-1], 0.0), np.maximum(ref_u[-1], 0.0))
        zl, zu = interval_layer(net, k, h_lo, h_hi)
        if k >= 2:
            n = zl.shape[1]
            C = np.broadcast_to(np.concatenate([np.eye(n), -np.eye(n)]), (len(lo), 2 * n, n))
            b = backward(net, k, C, np.zeros((len(lo), 2 * n)), ref_l, ref_u, lo, hi).bound
            unstable = (zl < 0) & (zu > 0)
            zl, zu = np.where(unstable, np.maximum(zl, b[:, :n]), zl), np.where(unstable, np.minimum(zu, -b[:, n:]), zu)
        ref_l.append(zl)
        ref_u.append(zu)
    assert any(np.any((l < 0) & (u > 0)) for l, u in zip(got_l[:-1], got_u[:-1]))  # relaxations were used
    for a, b in zip(got_l + got_u, ref_l + ref_u):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12)


def test_more_slope_steps_never_loosen_a_certificate():
    """The optimisation keeps its best iterate and its first steps do not depend on how many
    follow, so Settings.crown_iters above Settings.iters can only tighten a node's bound."""
    net = _net(3)
    lo, hi = _boxes(4, n=8, width=1.5)
    L, U = compute_bounds(net, lo, hi, method="crown")
    A = np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 1.0, 0.0, -1.0]])
    const = np.array([0.05, -0.02])
    short = optimise(net, lo, hi, L, U, A, const, iters=20)
    long = optimise(net, lo, hi, L, U, A, const, iters=40)
    assert np.all(long.bound >= short.bound)
    assert np.any(long.bound > short.bound + 1e-9)  # here the extra steps do tighten some node
