"""Node bounds exactly as the checker derives them (spec 4.1, 4.4): interval and crown.

Bounds are intersected with the node's old bounds, never loosened. Batched over nodes:
lower/upper are lists over hidden layers of (B, n_k) arrays; lo/hi are (B, n_0).
"""
from __future__ import annotations

import numpy as np

from .backward import backward, relaxation_parts
from .model import times_transpose


def interval_layer(net, k: int, h_lo, h_hi):
    """Interval bounds of z(k) for h(k-1) in [h_lo, h_hi]; under float32 widened by the rounding
    bound E_k outward, as the checker widens them (spec 4.11)."""
    wp, wn, b = net.positive[k - 1], net.negative[k - 1], net.biases[k - 1]
    lo = times_transpose(h_lo, wp) + times_transpose(h_hi, wn) + b
    hi = times_transpose(h_hi, wp) + times_transpose(h_lo, wn) + b
    err = net.rounding(k, np.maximum(-h_lo, h_hi))
    return (lo, hi) if err is None else (lo - err, hi + err)


def compute_bounds(net, lo, hi, lower=None, upper=None, method="interval"):
    """New (lower, upper) per hidden layer; `lower`/`upper` None means no old bounds.

    crown mirrors the checker: interval bounds (intersected with the old ones) first; then for
    k >= 2 the backward bound only for neurons still unstable, and the next layer's interval
    bounds recomputed from the tightened ones.
    """
    B = lo.shape[0]
    new_l, new_u, parts = [], [], []
    for k in range(1, net.depth):
        if k == 1:
            hl, hh = lo, hi
        else:
            hl, hh = np.maximum(new_l[-1], 0.0), np.maximum(new_u[-1], 0.0)
        zl, zu = interval_layer(net, k, hl, hh)
        if lower is not None:
            zl, zu = np.maximum(zl, lower[k - 1]), np.minimum(zu, upper[k - 1])
        if method == "crown" and k >= 2:
            unstable = (zl < 0) & (zu > 0)
            cols = np.nonzero(np.any(unstable, axis=0))[0]
            if len(cols):
                n = zl.shape[1]
                r = len(cols)
                C = np.zeros((r, n), zl.dtype)
                C[np.arange(r), cols] = 1.0
                C = np.broadcast_to(np.concatenate([C, -C]), (B, 2 * r, n))
                got = backward(net, k, C, np.zeros((B, 2 * r), zl.dtype), new_l, new_u, lo, hi, parts=parts).bound
                lb, ub = got[:, :r], -got[:, r:]
                sub = unstable[:, cols]
                zl[:, cols] = np.where(sub, np.maximum(zl[:, cols], lb), zl[:, cols])
                zu[:, cols] = np.where(sub, np.minimum(zu[:, cols], ub), zu[:, cols])
        new_l.append(zl)
        new_u.append(zu)
        if method == "crown" and k < net.depth - 1:  # read by the backward passes of the later layers
            parts.append(relaxation_parts(zl, zu))
    return new_l, new_u
