"""Closing certificates (spec 4.5): optimise lambda, alpha, beta; round hints to short dyadics.

The objective is f = sum_i lambda_i g_i(y); a node closes when the backward lower bound of f
is > 0. alpha (lower ReLU slopes), beta (split multipliers) and lambda (on the simplex) are
improved jointly by projected Adam ascent on the bound, keeping the best iterate per node.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .backward import backward, gradients, relaxation_parts

HINT_BITS = 30


@dataclass
class Certificate:
    bound: np.ndarray     # (B,) lower bound of f with the (unrounded) hints
    lambdas: np.ndarray   # (B, m)
    alphas: list          # per hidden layer (B, n_k)
    betas: list           # per hidden layer (B, n_k) (0 where no phase)
    coeff_x: np.ndarray   # (B, n_0) input coefficients (branching scores)
    coeff_h: list         # per hidden layer (B, n_k) coefficients before relaxation
    x_star: np.ndarray    # (B, n_0) minimiser of the relaxed problem (a falsification candidate)


@dataclass
class Hints:
    """The hints of one `close linear` step (spec 4.5), as floats the proof log writes exactly."""
    lambdas: list         # one multiplier per output constraint
    alphas: list          # (k, j, slope) for unstable neurons off the default slope
    betas: list           # (k, j, multiplier) for split neurons with a positive one


def default_alphas(lower, upper, parts=None):
    if parts is None:
        parts = [relaxation_parts(l, u) for l, u in zip(lower, upper)]
    return [p[0] for p in parts]


def evaluate(net, lo, hi, lower, upper, A, const, lambdas, alphas, sigmas=None, betas=None, parts=None):
    """Backward bound for given hints; A (m, n_K), const (m,), lambdas (B, m); `parts` as for backward."""
    C = (lambdas @ A)[:, None, :]
    e = (lambdas @ const)[:, None]
    return backward(net, net.depth, C, e, lower, upper, lo, hi, alphas, sigmas, betas, parts)


def _adam(state, key, grad, lr, t, b1=0.9, b2=0.999):
    m, v = state.get(key, (0.0, 0.0))
    m = b1 * m + (1 - b1) * grad
    v = b2 * v + (1 - b2) * grad * grad
    state[key] = (m, v)
    return lr * (m / (1 - b1 ** t)) / (np.sqrt(v / (1 - b2 ** t)) + 1e-12)


def _simplex(v):
    """Euclidean projection of each row onto the probability simplex."""
    n = v.shape[1]
    s = -np.sort(-v, axis=1)
    css = np.cumsum(s, axis=1) - 1
    ind = np.arange(1, n + 1)
    cond = s - css / ind > 0
    rho = n - 1 - np.argmax(cond[:, ::-1], axis=1)
    theta = css[np.arange(len(v)), rho] / (rho + 1)
    return np.maximum(v - theta[:, None], 0)


def best_single_lambda(net, lo, hi, lower, upper, A, const, alphas=None, sigmas=None, betas=None):
    """lambda = e_i for the constraint with the best bound (one backward pass, m rows)."""
    B, m = lo.shape[0], A.shape[0]
    C = np.broadcast_to(A, (B,) + A.shape)
    e = np.broadcast_to(const, (B, m))
    p = backward(net, net.depth, C, e, lower, upper, lo, hi, alphas, sigmas, betas)
    lam = np.zeros((B, m))
    lam[np.arange(B), np.argmax(p.bound, axis=1)] = 1.0
    return lam


def optimise(net, lo, hi, lower, upper, A, const, sigmas=None, alphas0=None, betas0=None,
             lambdas0=None, iters=30, lr_alpha=0.2, lr_beta=0.05, lr_lambda=0.05,
             stop_at=0.0) -> Certificate:
    """Maximise the bound; stops early once every node's bound exceeds `stop_at`."""
    B, m = lo.shape[0], A.shape[0]
    H = net.depth - 1
    parts = [relaxation_parts(l, u) for l, u in zip(lower, upper)]  # the same in every step
    alphas = [a.copy() for a in (alphas0 or default_alphas(lower, upper, parts))]
    has_beta = sigmas is not None and any(np.any(s != 0) for s in sigmas)
    betas = [b.copy() for b in betas0] if (has_beta and betas0) else (
        [np.zeros_like(l) for l in lower] if has_beta else None)
    lam = lambdas0.copy() if lambdas0 is not None else (
        np.ones((B, 1)) if m == 1 else best_single_lambda(net, lo, hi, lower, upper, A, const, alphas,
                                                          sigmas, betas))
    best = None     # (bound, lam, alphas, betas) of the best iterate per node
    state = {}
    for t in range(1, iters + 2):
        p = evaluate(net, lo, hi, lower, upper, A, const, lam, alphas, sigmas, betas, parts)
        bound = p.bound[:, 0]
        if best is None:
            best = (bound.copy(), lam.copy(), [a.copy() for a in alphas],
                    [b.copy() for b in betas] if betas else None)
        else:
            better = bound > best[0]
            if np.any(better):
                best[0][better] = bound[better]
                best[1][better] = lam[better]
                for h in range(H):
                    best[2][h][better] = alphas[h][better]
                    if betas:
                        best[3][h][better] = betas[h][better]
        if t > iters or np.all(best[0] > stop_at):
            break
        d_alpha, v_hidden, d_lambda = gradients(net, p, lo, hi, A, const)
        for h in range(H):
            alphas[h] = np.clip(alphas[h] + _adam(state, ("a", h), d_alpha[h], lr_alpha, t), 0.0, 1.0)
            if betas:
                g = -sigmas[h] * v_hidden[h]
                betas[h] = np.where(sigmas[h] != 0,
                                    np.maximum(betas[h] + _adam(state, ("b", h), g, lr_beta, t), 0.0), 0.0)
        if m > 1:
            lam = _simplex(lam + _adam(state, "l", d_lambda, lr_lambda, t))
    # the best iterate's coefficients: one more pass, rather than copying (B, n_0) coefficient
    # rows at every improvement (that bookkeeping was over half the optimisation on 784 inputs:
    # 29 -> 13 ms per 64-node call without it)
    _, lam, alphas, betas = best
    p = p if t == 1 else evaluate(net, lo, hi, lower, upper, A, const, lam, alphas, sigmas, betas, parts)
    cx = p.coeff_x[:, 0, :]
    return Certificate(p.bound[:, 0].copy(), lam, alphas,
                       betas if betas else [np.zeros_like(l) for l in lower],
                       cx.copy(), [c[:, 0, :].copy() for c in p.coeff_h], np.where(cx >= 0, lo, hi))


def round_certificate(cert: Certificate, lower, upper, sigmas=None, bits: int = HINT_BITS):
    """Batched dyadic hints (multiples of 2^-bits): lambda scaled to max 1 (beta with it),
    alpha in [0, 1] (default slope where the neuron is not unstable), beta >= 0."""
    s = float(2 ** bits)
    scale = np.maximum(cert.lambdas.max(axis=1, keepdims=True), 1e-300)
    lam = np.floor(cert.lambdas / scale * s) / s
    alphas, betas = [], []
    for h in range(len(lower)):
        l, u = lower[h], upper[h]
        unstable = (l < 0) & (u > 0)
        default = (u > -l).astype(float)
        a = np.clip(np.floor(cert.alphas[h] * s) / s, 0.0, 1.0)
        alphas.append(np.where(unstable, a, default))
        if sigmas is not None:
            b = np.floor(cert.betas[h] / scale * s) / s
            betas.append(np.where(sigmas[h] != 0, np.maximum(b, 0.0), 0.0))
    return lam, alphas, (betas if sigmas is not None else None)


def hints_of(i: int, lam, alphas, betas, lower, upper) -> Hints:
    """The hints of node i (row i of rounded, batched lambdas, alphas and betas)."""
    ah, bh = [], []
    for h in range(len(lower)):
        l, u = lower[h][i], upper[h][i]
        unstable = (l < 0) & (u > 0)
        default = (u > -l).astype(float)
        for j in np.nonzero(unstable & (alphas[h][i] != default))[0]:
            ah.append((h + 1, int(j), float(alphas[h][i][j])))
        if betas is not None:
            for j in np.nonzero(betas[h][i] > 0)[0]:
                bh.append((h + 1, int(j), float(betas[h][i][j])))
    return Hints([float(v) for v in lam[i]], ah, bh)
