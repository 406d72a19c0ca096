"""A cheap falsifier: projected sign-gradient descent on the exact margin, in float64, on a batch
of boxes at once (one row per box). Its points are only candidates: they are snapped onto the
grid and checked exactly by the caller before they count as evidence."""
from __future__ import annotations

import numpy as np

from ..engine.attack import forward_masks, input_gradient


forward = forward_masks  # one forward pass with ReLU masks for the whole prover


def objective(net, x, label: int, sense: int, with_grad: bool = True):
    """sense * (y_c - max_{j != c} y_j) and its subgradient; <= 0 (flip, sense 1) or < 0 (reach,
    sense -1) is a candidate counterexample / witness."""
    y, masks = forward(net, x)
    other = y.copy()
    other[:, label] = -np.inf
    j = np.argmax(other, axis=1)
    val = sense * (y[:, label] - other[np.arange(len(x)), j])
    if not with_grad:
        return val, None
    gy = np.zeros_like(y)
    gy[:, label] = sense
    gy[np.arange(len(x)), j] -= sense
    return val, input_gradient(net, gy, masks)


def _descend(net, x, LO, HI, label: int, sense: int, steps: int):
    """Projected sign-gradient steps (shrinking) from every row of x; each row's best point and value."""
    width = HI - LO
    best_x, best_v = x.copy(), np.full(len(x), np.inf)
    for t in range(steps + 1):
        v, g = objective(net, x, label, sense, with_grad=t < steps)
        better = v < best_v
        best_x[better], best_v[better] = x[better], v[better]
        if t == steps:
            break
        step = width * (0.5 * (1 - t / steps) ** 2 + 0.02)
        x = np.clip(x - step * np.sign(g), LO, HI)
    return best_x, best_v


def pgd(net, lo, hi, label: int, sense: int, rng, restarts: int = 8, steps: int = 40, x0=None):
    """Per box (rows of lo, hi: (B, n)), the best of `restarts` runs: points (B, n) and values (B,).

    x0 (B, n), optional: the first restart of each box starts there (clipped)."""
    lo, hi = np.atleast_2d(lo), np.atleast_2d(hi)
    B, n = lo.shape
    LO, HI = np.repeat(lo, restarts, axis=0), np.repeat(hi, restarts, axis=0)
    width = HI - LO
    x = LO + width * rng.random(LO.shape)
    # one restart per box at each corner-ish start: the centre and x0
    x[::restarts] = (lo + hi) / 2 if x0 is None else np.clip(x0, lo, hi)
    best_x, best_v = _descend(net, x, LO, HI, label, sense, steps)
    bv = best_v.reshape(B, restarts)
    pick = np.argmin(bv, axis=1)
    rows = np.arange(B) * restarts + pick
    return best_x[rows], bv[np.arange(B), pick]


def pgd_all(net, lo, hi, label: int, sense: int, rng, restarts: int = 16, steps: int = 40, x0=None):
    """One box (lo, hi: (n,)), every restart's best point: points (restarts, n) and values (restarts,).

    Several restarts that end in different counterexamples let the maximal-box search cut many
    faces from one proposal. x0 (n,), optional: the first restart starts there (clipped)."""
    lo, hi = np.asarray(lo, dtype=float), np.asarray(hi, dtype=float)
    LO, HI = np.repeat(lo[None], restarts, 0), np.repeat(hi[None], restarts, 0)
    width = HI - LO
    x = LO + width * rng.random(LO.shape)
    x[0] = (lo + hi) / 2 if x0 is None else np.clip(x0, lo, hi)
    if restarts > 1 and x0 is not None:
        x[1] = (lo + hi) / 2
    return _descend(net, x, LO, HI, label, sense, steps)
