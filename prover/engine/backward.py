"""The backward linear bound of spec 4.5 in float64, batched over nodes (and objective rows).

Mirrors the checker's exact pass step for step (same relaxation cases, same default slopes, and
under float32 the same rounding terms |c| . E_k) so that a certificate found here is the one the
checker replays; only rounding differs. The gradients ignore the rounding terms: they steer the
optimisation only, and those terms are tiny against the bound.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def relaxation_parts(l: np.ndarray, u: np.ndarray):
    """What of a layer's relaxation the slopes do not change: the default lower slope, upper
    slope t, upper offset t*l and the unstable mask (all shaped like l). Computed once per set of
    bounds and reused by every pass over them (the optimisation's steps, the layers of crown):
    recomputed per pass it was 11 % of ACAS Xu's float search."""
    active = l >= 0
    unstable = (l < 0) & (u > 0)
    default = (u > -l).astype(l.dtype)  # dtype kept: the split lookahead runs in float32
    low = np.where(unstable, default, active.astype(l.dtype))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(unstable, u / np.where(unstable, u - l, 1.0), 0.0)
    up = np.where(active, 1.0, t)
    offset = np.where(unstable, t * l, 0.0)
    return low, up, offset, unstable


def relaxation(l: np.ndarray, u: np.ndarray, alpha: np.ndarray | None, parts=None):
    """Lower slope, upper slope t, upper offset t*l, and the unstable mask (all shaped like l);
    `parts`: relaxation_parts(l, u) if already computed."""
    low, up, offset, unstable = parts if parts is not None else relaxation_parts(l, u)
    if alpha is not None:
        low = np.where(unstable, alpha, low)
    return low, up, offset, unstable


@dataclass
class Pass:
    """Result of one backward pass; `coeff_h[k-1]`: coefficients on h(k) before relaxation."""
    bound: np.ndarray          # (B, r)
    coeff_x: np.ndarray        # (B, r, n_0) coefficients on the input
    coeff_h: list              # per hidden layer (B, r, n_k)
    relax: list                # per hidden layer (low, up, offset, unstable)


def backward(net, start: int, C: np.ndarray, e: np.ndarray, lower, upper, lo, hi,
             alphas=None, sigmas=None, betas=None, parts=None) -> Pass:
    """Lower bound of rows of C . z(start) + e over each node.

    C (B, r, n_start), e (B, r); lower/upper: per hidden layer (B, n_k); lo/hi (B, n_0);
    alphas/betas/sigmas: per hidden layer (B, n_k) or None (alphas None: default slopes);
    parts: per hidden layer relaxation_parts of lower/upper, or None (computed here).
    """
    c, e = C, e.copy()
    coeff_h = [None] * (net.depth - 1)
    relax = [None] * (net.depth - 1)
    for k in range(start, 0, -1):
        b = net.biases[k - 1]
        err = net.rounding(k, np.maximum(-lo, hi) if k == 1 else np.maximum(upper[k - 2], 0.0))
        if err is not None:  # float32: c . z >= c . (W h + b) - |c| . E_k, as the checker subtracts it
            e = e - np.matmul(np.abs(c), err[:, :, None])[..., 0]
        e = e + c @ b
        c = net.pullback(k, c.reshape(-1, c.shape[-1])).reshape(c.shape[:-1] + (-1,))  # one GEMM, not B
        if k == 1:
            break
        h = k - 2  # index of hidden layer k-1
        low, up, off, unst = relaxation(lower[h], upper[h], alphas[h] if alphas is not None else None,
                                        parts[h] if parts is not None else None)
        coeff_h[h] = c
        relax[h] = (low, up, off, unst)
        pos = c >= 0
        e = e - np.matmul(np.minimum(c, 0.0), off[:, :, None])[..., 0]  # 4x faster than einsum
        c = c * np.where(pos, low[:, None, :], up[:, None, :])
        if betas is not None and betas[h] is not None:
            c = c - (sigmas[h] * betas[h])[:, None, :]
    bound = (e + np.matmul(np.maximum(c, 0.0), lo[:, :, None])[..., 0]
             + np.matmul(np.minimum(c, 0.0), hi[:, :, None])[..., 0])
    return Pass(bound, c, coeff_h, relax)


def gradients(net, p: Pass, lo, hi, A, const):
    """Subgradients of p.bound (single row, r = 1) w.r.t. alpha, beta and lambda.

    The bound is linear in the coefficients given the relaxation cases; its derivative w.r.t.
    the coefficient on z(k) is the value v(k) of z(k) at the relaxed problem's minimiser,
    obtained by running the relaxed network forward from x* (the box corner picked per sign).
    Returns (d_alpha per hidden layer, d_beta per hidden layer [multiply by -sigma], d_lambda).
    """
    x = np.where(p.coeff_x[:, 0, :] >= 0, lo, hi)
    h = x
    d_alpha, v_hidden = [], []
    for k in range(1, net.depth):
        v = net.apply(k, h) + net.biases[k - 1]   # value of z(k)
        low, up, off, unst = p.relax[k - 1]
        ch = p.coeff_h[k - 1][:, 0, :]
        pos = ch >= 0
        d_alpha.append(np.where(pos & unst, ch * v, 0.0))
        v_hidden.append(v)
        h = np.where(pos, v * low, v * up - off)
    y = net.apply(net.depth, h) + net.biases[-1]
    d_lambda = y @ A.T + const
    return d_alpha, v_hidden, d_lambda
