"""Falsification: projected gradient descent on the violation margin max_i g_i(N(x))."""
from __future__ import annotations

import time

import numpy as np


def forward_masks(net, x):
    """Outputs and the ReLU masks of a batch (B, n); the masks give the subgradients."""
    h, masks = x, []
    for k, b in enumerate(net.biases):
        z = net.apply(k + 1, h) + b
        if k < net.depth - 1:
            m = z > 0
            masks.append(m)
            h = np.where(m, z, 0.0)
        else:
            h = z
    return h, masks


def input_gradient(net, gy, masks):
    """Gradient w.r.t. the input of gy . y on each row's ReLU pattern. gy: (B, n_out) or
    (B, J, n_out) for J output directions at once; masks as from forward_masks."""
    for k in range(net.depth - 1, -1, -1):
        gy = net.pullback(k + 1, gy)
        if k > 0:
            m = masks[k - 1]
            gy = gy * m.reshape(m.shape[:1] + (1,) * (gy.ndim - 2) + m.shape[1:])
    return gy


def margin_and_grad(net, x, A, const):
    """max_i g_i(N(x)) per row and its (sub)gradient w.r.t. x."""
    y, masks = forward_masks(net, x)
    g = y @ A.T + const
    i = np.argmax(g, axis=1)
    return g[np.arange(len(x)), i], input_gradient(net, A[i], masks)


def pgd(net, lo, hi, A, const, rng, restarts=32, steps=40, x0=None, first=0.25, last=1e-4, deadline=None):
    """Best points found (B, n_0) and their margins; lowest margin first. lo/hi: one box (n_0,)
    or one per restart (restarts, n_0). Past `deadline` (time.monotonic()) it stops early with
    what it has: on wide networks one attack can take longer than a whole --timeout.

    Signed-gradient steps shrink geometrically from `first` to `last` of the box width: large
    steps explore, and the small final ones reach counterexamples whose margin is tiny
    (ACAS Xu 5_3 prop_2: 1.3e-4; a linear schedule ending at 1 % of the width overshoots them)."""
    n = lo.shape[-1]
    x = lo + (hi - lo) * rng.random((restarts, n), dtype=lo.dtype)  # float32 boxes: a float32 search
    if x0 is not None:
        x[: len(x0)] = x0[:restarts]
    width = hi - lo
    best_x, best_m = x.copy(), np.full(restarts, np.inf)
    for t in range(steps):
        if deadline is not None and time.monotonic() > deadline:
            break
        m, g = margin_and_grad(net, x, A, const)
        better = m < best_m
        best_x[better], best_m[better] = x[better], m[better]
        step = width * first * (last / first) ** (t / max(steps - 1, 1))
        x = np.clip(x - step * np.sign(g), lo, hi)
    m, _ = margin_and_grad(net, x, A, const)
    better = m < best_m
    best_x[better], best_m[better] = x[better], m[better]
    order = np.argsort(best_m)
    return best_x[order], best_m[order]


def falsify(net, lo, hi, A, const, rng, restarts, steps, rounds=3, top=16, first=0.25, deadline=None):
    """pgd from random points, then `rounds` of local pgd in shrinking boxes (5 %, 1.25 %, ...
    of the width) around the `top` best points: counterexample regions of small-margin
    instances are tiny basins that global restarts land near but rarely in (ACAS Xu 2_9
    prop_8, 5_3 prop_2). Returns the best points, lowest margin first."""
    xs, m = pgd(net, lo, hi, A, const, rng, restarts, steps, first=first, deadline=deadline)
    for r in range(rounds):
        if deadline is not None and time.monotonic() > deadline:
            break
        w = (hi - lo) * 0.05 / 4 ** r
        centres = xs[:top]
        boxes = np.tile(centres, (32, 1))  # 32 restarts per centre, one batch; centres first
        got = pgd(net, np.maximum(lo, boxes - w), np.minimum(hi, boxes + w), A, const, rng,
                  len(boxes), 50, centres, deadline=deadline)
        xs = np.concatenate([xs, got[0]])
        m = np.concatenate([m, got[1]])
        order = np.argsort(m)
        xs, m = xs[order], m[order]
    return xs, m
