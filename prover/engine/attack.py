"""Falsification: projected gradient descent on the violation margin max_i g_i(N(x))."""
from __future__ import annotations

import numpy as np


def _forward_masks(net, x):
    h, masks = x, []
    for k, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = h @ w.T + b
        if k < net.depth - 1:
            m = z > 0
            masks.append(m)
            h = np.where(m, z, 0.0)
        else:
            h = z
    return h, masks


def margin_and_grad(net, x, A, const):
    """max_i g_i(N(x)) per row and its (sub)gradient w.r.t. x."""
    y, masks = _forward_masks(net, x)
    g = y @ A.T + const
    i = np.argmax(g, axis=1)
    gy = A[i]                        # (B, n_out)
    for k in range(net.depth - 1, -1, -1):
        gy = gy @ net.weights[k]
        if k > 0:
            gy = gy * masks[k - 1]
    return g[np.arange(len(x)), i], gy


def pgd(net, lo, hi, A, const, rng, restarts=32, steps=40, x0=None):
    """Best points found (B, n_0) and their margins; lowest margin first."""
    n = lo.shape[0]
    x = lo + (hi - lo) * rng.random((restarts, n))
    if x0 is not None:
        x[: len(x0)] = x0[:restarts]
    width = hi - lo
    best_x, best_m = x.copy(), np.full(restarts, np.inf)
    for t in range(steps):
        m, g = margin_and_grad(net, x, A, const)
        better = m < best_m
        best_x[better], best_m[better] = x[better], m[better]
        step = width * (0.25 * (1 - t / steps) + 0.01)
        x = np.clip(x - step * np.sign(g), lo, hi)
    m, _ = margin_and_grad(net, x, A, const)
    better = m < best_m
    best_x[better], best_m[better] = x[better], m[better]
    order = np.argsort(best_m)
    return best_x[order], best_m[order]
