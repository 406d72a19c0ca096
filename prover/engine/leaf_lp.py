"""Leaves with every ReLU fixed are linear programs: solved by an LP solver (HiGHS, via SciPy).

Why: on such a leaf the network is affine, and the leaf is empty exactly when a Farkas
combination of its constraints is positive on the whole input box, which is the closing
certificate of spec 4.5 (lambda on the output constraints, beta on the split constraints,
no alpha). First-order ascent on those multipliers converges slowly when the leaf is only
barely empty, and such leaves then went to z3 (`close z3`, a checker rule since removed,
spec 4.6), which took a minute and more on 784 inputs (and, with no exact replay, left the float
search unable to decide them at all). The solver's
duals give the certificate directly; its primal point, when the leaf is not empty, is a
counterexample candidate. Nothing here is trusted: the certificate is re-evaluated by the
float backward pass, rounded like any other, and replayed exactly by the checker kernel.

The LP: minimise t over x in [lo, hi] subject to g_k(x) <= t for every constraint g_k <= 0 of
the leaf (output rows A y + const <= 0, split neurons -sigma z <= 0), rows scaled to unit norm.
Its optimum t* > 0 shows the leaf empty, and the duals mu (a probability vector) satisfy
min_x sum_k mu_k g_k(x) = t*.

The same LP polishes counterexample candidates (`piece_minimum`): the linear piece of the
network around a point is a leaf with every ReLU fixed to its phase there.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .attack import forward_masks


@dataclass
class LeafLP:
    t: float                # optimum: > 0 the leaf is empty, <= 0 x satisfies every constraint
    x: np.ndarray           # (n_0,) the minimiser
    lambdas: np.ndarray     # (m,) multipliers of the output rows
    betas: list             # per hidden layer (n_k,) multipliers of split neurons (0 elsewhere)


def affine_constraints(net, lower, sigmas, A, const):
    """The leaf's constraints as rows G x + g <= 0: first the m output rows, then one per split
    neuron (-sigma z <= 0); also (layer, neuron) of each split row. Every ReLU must be fixed by
    its bounds, so lower >= 0 (active) tells its phase."""
    n0 = net.widths[0]
    M, c = np.eye(n0), np.zeros(n0)       # h(k) = M x + c on the leaf
    rows, offs, where = [], [], []
    for k in range(net.depth - 1):
        Z, z = net.weights[k] @ M, net.weights[k] @ c + net.biases[k]
        for j in np.nonzero(sigmas[k])[0]:
            s = float(sigmas[k][j])
            rows.append(-s * Z[j])
            offs.append(-s * z[j])
            where.append((k, int(j)))
        on = (lower[k] >= 0).astype(float)
        M, c = on[:, None] * Z, on * z
    Y, y = net.weights[-1] @ M, net.weights[-1] @ c + net.biases[-1]
    G = np.concatenate([A @ Y, np.array(rows).reshape(-1, n0)])
    g = np.concatenate([A @ y + const, np.array(offs)])
    return G, g, where


def solve_leaf(net, lo, hi, lower, sigmas, A, const) -> LeafLP | None:
    """The LP of the module docstring for one leaf; None when the solver fails."""
    # imported here: SciPy costs 0.35 s per process, and only ReLU-split leaves and rugged
    # attacks get here (most ACAS Xu queries never do)
    from scipy.optimize import linprog
    G, g, where = affine_constraints(net, lower, sigmas, A, const)
    scale = np.maximum(np.linalg.norm(G, axis=1), 1e-12)
    Gs, gs = G / scale[:, None], g / scale
    n0 = len(lo)
    cost = np.zeros(n0 + 1)
    cost[-1] = 1.0
    res = linprog(cost, A_ub=np.hstack([Gs, -np.ones((len(G), 1))]), b_ub=-gs,
                  bounds=[*zip(lo, hi), (None, None)], method="highs")
    if res.status != 0:
        return None
    mu = np.maximum(-res.ineqlin.marginals, 0.0) / scale    # multipliers of the unscaled rows
    m = A.shape[0]
    betas = [np.zeros_like(l) for l in lower]
    for (k, j), b in zip(where, mu[m:]):
        betas[k][j] = b
    return LeafLP(float(res.x[-1]), res.x[:n0], mu[:m], betas)


def polish(net, lo, hi, A, const, xs, pieces: int = 16) -> np.ndarray:
    """`piece_minimum` of the first points of xs (best first) that lie on `pieces` different
    linear pieces; points on a piece already polished would only repeat its LP."""
    _, masks = forward_masks(net, xs)
    keys = np.packbits(np.concatenate(masks, axis=1), axis=1)
    _, first = np.unique(keys, axis=0, return_index=True)
    chosen = np.sort(first)[:pieces]
    return np.array([piece_minimum(net, lo, hi, A, const, xs[i]) for i in chosen])


def piece_minimum(net, lo, hi, A, const, x, rounds: int = 3) -> np.ndarray:
    """x moved by the leaf LP of its linear piece (every ReLU in its phase at x): the point of
    the piece where the output rows and the piece's own constraints are least violated, a
    counterexample whenever the piece holds one. Repeated from the new point while the margin
    max_i (A y + const)_i drops: the optimum lies on the piece's boundary, and the next piece
    may go lower.

    Why: where the margin has many local minima just above 0 (ACAS Xu 1_9 prop_7, whose
    counterexamples have margins of -1e-5), signed-gradient steps stop near a minimum that
    several output rows share but do not reach it; the LP does, exactly for that piece."""
    def margin_and_phases(x):
        y, masks = forward_masks(net, x[None])
        return float(np.max(y[0] @ A.T + const)), [m[0] for m in masks]

    best, phases = margin_and_phases(x)
    for _ in range(rounds):
        lower = [np.where(m, 0.0, -1.0) for m in phases]    # the phase of every ReLU at x
        sol = solve_leaf(net, lo, hi, lower, [np.where(m, 1.0, -1.0) for m in phases], A, const)
        if sol is None:
            break
        y = np.clip(sol.x, lo, hi)
        margin, phases = margin_and_phases(y)
        if margin >= best:
            break
        x, best = y, margin
    return x
