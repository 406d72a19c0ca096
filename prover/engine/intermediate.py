"""Intermediate bounds with optimised lower-relaxation slopes (alpha-CROWN, one slope set per
target layer), the float side of the kernel's `bounds N layer K alpha ...` step.

Why: crown bounds with default slopes leave many neurons of deep networks unstable, and every
unstable neuron loosens all the bounds behind it; on mnist_fc 256x4 at eps 0.05 the ReLU
search then cannot close its tree. Slopes optimised for the sum of a layer's bounds tighten
that layer, and the tightened layer tightens the ones after it. One slope set is shared by all
the target layer's rows (lower and upper bounds), so the proof carries one hint list per layer.
"""
from __future__ import annotations

import time

import numpy as np

from .backward import backward
from .bounds import interval_layer
from .certificate import HINT_BITS, _adam, default_alphas


def _rows(unstable: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Objective rows +e_j (lower bounds) then -e_j (upper bounds) for the unstable neurons j."""
    cols = np.nonzero(unstable)[0]
    r, n = len(cols), len(unstable)
    C = np.zeros((2 * r, n), dtype)
    C[np.arange(r), cols] = 1.0
    C[r + np.arange(r), cols] = -1.0
    return cols, C


def _slope_gradient(net, p, lo, hi, K):
    """d(sum of rows' bounds)/d(alpha) per hidden layer < K: at each row's minimiser of the
    relaxed problem, the value of z(k) times the row's coefficient (where the lower line is used)."""
    x = np.where(p.coeff_x >= 0, lo[:, None, :], hi[:, None, :])  # (1, rows, n0)
    h, grads = x, []
    for k in range(1, K):
        v = net.apply(k, h) + net.biases[k - 1]
        low, up, off, unst = p.relax[k - 1]
        ch = p.coeff_h[k - 1]
        pos = ch >= 0
        grads.append(np.where(pos & unst[:, None, :], ch * v, 0.0).sum(axis=1))
        h = np.where(pos, v * low[:, None, :], v * up[:, None, :] - off[:, None, :])
    return grads


def optimised_layer_bounds(net, lo, hi, lower, upper, iters=30, lr=0.2, deadline: float | None = None):
    """Tightened (lower, upper) of one node (lo/hi (1, n0), bounds per hidden layer (1, n_k)) and
    the kernel steps that derive them: {K: [hint list per `bounds N layer K` step]}, a hint
    being (k, j, slope) for an unstable neuron of a layer k < K off its default slope.

    Layer by layer, K = 2..depth-1: optimise the slopes of layers < K for the sum of layer K's
    bounds over its unstable neurons (best iterate kept), take per neuron the better of that and
    the default slopes' bound, intersect, then recompute the interval bounds of the later layers
    from the tightened layer K exactly as the kernel does. Layers without unstable neurons get
    no step. Past `deadline` (time.monotonic()) no slope step is taken: each remaining layer gets its
    default slopes' bound (on sri_resnet_a, 30 steps per layer took the whole query's time before
    the first node)."""
    lower, upper = [l.copy() for l in lower], [u.copy() for u in upper]
    slopes = {}
    for K in range(2, net.depth):
        unstable = ((lower[K - 1] < 0) & (upper[K - 1] > 0))[0]
        if np.any(unstable):
            cols, C = _rows(unstable, lower[0].dtype)
            r = len(cols)
            alphas = default_alphas(lower, upper)
            default = [a.copy() for a in alphas]
            best, best_alphas, state = None, None, {}
            for t in range(1, iters + 2):
                p = backward(net, K, C[None], np.zeros((1, 2 * r)), lower, upper, lo, hi, alphas)
                b = p.bound[0]
                if t == 1:
                    first = b.copy()
                if best is None or b.sum() > best.sum():
                    best, best_alphas = b.copy(), [a[0].copy() for a in alphas[:K - 1]]
                if t > iters or (deadline is not None and time.monotonic() > deadline):
                    break
                grads = _slope_gradient(net, p, lo, hi, K)
                for h in range(K - 1):
                    alphas[h] = np.clip(alphas[h] + _adam(state, h, grads[h], lr, t), 0.0, 1.0)
            # the proof carries the slopes rounded down to hint precision: mirror that bound
            best_alphas = [np.floor(a * 2.0 ** HINT_BITS) / 2.0 ** HINT_BITS for a in best_alphas]
            got = backward(net, K, C[None], np.zeros((1, 2 * r)), lower, upper, lo, hi,
                           [a[None] for a in best_alphas] + alphas[K - 1:]).bound[0]
            hints = [(h + 1, int(j), float(a[j])) for h, a in enumerate(best_alphas)
                     for j in np.nonzero(((lower[h][0] < 0) & (upper[h][0] > 0)) & (a != default[h][0]))[0]]
            # shared slopes trade some rows for the sum: a first step with the default slopes
            # keeps every row at least as tight as crown's when that helps any row
            steps = [[], hints] if np.any(first > got) else [hints]
            got = np.maximum(got, first)
            lower[K - 1][0, cols] = np.maximum(lower[K - 1][0, cols], got[:r])
            upper[K - 1][0, cols] = np.minimum(upper[K - 1][0, cols], -got[r:])
            slopes[K] = steps if hints else [[]]
            for k in range(K, net.depth - 1):  # the kernel re-derives every later layer's intervals
                zl, zu = interval_layer(net, k + 1, np.maximum(lower[k - 1], 0.0),
                                        np.maximum(upper[k - 1], 0.0))
                lower[k], upper[k] = np.maximum(zl, lower[k]), np.minimum(zu, upper[k])
    return lower, upper, slopes
