"""Faces of grid boxes for the maximal-box search (maximal.py): face positions of points, the
linear margin models that price each face's steps, attacks on a box, counterexample minimisation,
the one-step face sweep, and `allocate`, which turns the models' margins into steps per face.
"""
from __future__ import annotations

import numpy as np

from . import attack as AT
from .attack import objective
from .inputs import Grid
from .oracle import Oracle


class Faces:
    """The geometry, margin models and attacks of a box search around x* (maximal.py): a box is
    its vector P of face positions (module docstring of maximal.py)."""

    def __init__(self, oracle: Oracle, grid: Grid, restarts: int, steps: int):
        self.o, self.g, self.n = oracle, grid, grid.n
        self.cap = np.concatenate([grid.cap_lo, grid.cap_hi]).astype(np.int64)
        self.sign = np.concatenate([-np.ones(self.n), np.ones(self.n)])
        self.restarts, self.steps = restarts, steps
        self.lo_f, self.hi_f = float(grid.lo), float(grid.hi)
        self.ev: dict[int, np.ndarray] = {}      # frozen face -> float evidence point
        self.attack_cex = self.verifier_cex = 0
        self.others = np.array([j for j in range(oracle.n_out) if j != oracle.label])

    def fbox(self, P):
        n = self.n
        return self.g.float_box(P[:n], P[n:])

    def values(self, X):
        return objective(self.o.net, np.atleast_2d(X), self.o.label, 1, False)[0]

    def pos(self, x):
        """Face positions (2n,) of a float point: grid steps beyond x* on each side."""
        d = (x - self.g.xf) / self.g.df
        return np.minimum(np.concatenate([np.ceil(np.maximum(-d, 0) - 1e-6), np.ceil(np.maximum(d, 0) - 1e-6)]),
                          self.cap).astype(np.int64)

    def at(self, P, f, p):
        """The float value of face f's coordinate at face position p (clipped to D)."""
        i = f % self.n
        return float(np.clip(self.g.xf[i] + self.sign[f] * p * self.g.df, self.lo_f, self.hi_f))

    def snap(self, x, lo, hi):
        """Nearest grid point inside the float box [lo, hi]."""
        k = np.rint((x - self.g.xf) / self.g.df)
        return np.clip(self.g.xf + k * self.g.df, lo, hi)

    def class_models(self, X):
        """Per row of X and other class j: margin y_c - y_j and its gradient on X's ReLU pattern,
        shapes (B, J) and (B, J, n)."""
        net, c = self.o.net, self.o.label
        y, masks = AT.forward(net, X)
        J = len(self.others)
        gy = np.zeros((len(X), J, y.shape[1]))
        gy[:, :, c] = 1.0
        gy[:, np.arange(J), self.others] = -1.0
        return y[:, [c]] - y[:, self.others], AT.input_gradient(net, gy, masks)

    def pair_models(self, X, js):
        """Per row of X, the margin y_c - y_j for its own class js[row] and its gradient on the
        row's ReLU pattern: shapes (B,) and (B, n) (class_models' work for one class only)."""
        y, masks = AT.forward(self.o.net, X)
        r = np.arange(len(X))
        gy = np.zeros_like(y)
        gy[:, self.o.label] = 1.0
        gy[r, js] -= 1.0
        return y[:, self.o.label] - y[r, js], AT.input_gradient(self.o.net, gy, masks)

    def margin_models(self, P, points):
        """The linear margin models of the module docstring on the box P: margins m (R,) >= 0,
        per-step face costs (R, 2n) and each model's point (R, n). Per critical point and other
        class two models: at the corner of P its linearisation prefers, and at the point itself
        pulled into P, where only the faces it lies on are charged (a counterexample beyond
        many faces by a step each, which no corner model foresaw, charges exactly those)."""
        lo, hi = self.fbox(P)
        X = np.clip(np.asarray(points), lo, hi)
        _, G = self.class_models(X)
        J = len(self.others)
        corners = np.where(G > 0, lo, hi).reshape(-1, self.n)      # row = (point, class j)
        anchors = np.concatenate([corners, np.repeat(X, J, axis=0)])
        m, g = self.pair_models(anchors, self.others[np.arange(len(anchors)) % J])
        on = np.concatenate([np.isclose(anchors, lo), np.isclose(anchors, hi)], axis=1)
        cost = np.concatenate([np.maximum(g, 0), np.maximum(-g, 0)], axis=1) * self.g.df * on
        return np.maximum(m, 0.0), cost, anchors

    def attack(self, P, models=None):
        """Exact-checked counterexamples in P (float points, most violating first) and the two
        lowest-margin points found (critical points for the margin models). `models` (costs,
        anchors) of margin_models: each anchor with its charged coordinates moved onto P's faces
        is a candidate too, and the best one starts the descent; that is where a proposal that
        spent too much of a model's margin fails first."""
        lo, hi = self.fbox(P)
        x0, C = None, np.empty((0, self.n))
        if models is not None:
            cost, anchors = models
            n = self.n
            C = np.where(cost[:, :n] > 0, lo, np.where(cost[:, n:] > 0, hi, np.clip(anchors, lo, hi)))
            x0 = C[int(np.argmin(self.values(C)))]
        X, v = AT.pgd_all(self.o.net, lo, hi, self.o.label, 1, self.o.rng, self.restarts, self.steps, x0)
        X, v = np.concatenate([X, C]), np.concatenate([v, self.values(C)]) if len(C) else v
        self.o.stats.attack_runs += 1
        order = np.argsort(v)
        out = []
        for r in order:
            if v[r] > 1e-7:
                break
            x = self.snap(X[r], lo, hi)
            if self.values(x)[0] <= -1e-9:
                out.append(x)
        return out, [X[r] for r in order[:2]]

    def minimise(self, x, P):
        """Pull coordinates beyond P back into P (least contribution first) while x stays a
        counterexample; then set each remaining one to exactly one step beyond P if possible."""
        S = self.pos(x)
        crossed = np.nonzero(S > P)[0]
        if len(crossed) == 0:
            return x, crossed
        _, g = objective(self.o.net, x[None], self.o.label, 1)
        lo, hi = self.fbox(P)
        inside = np.clip(x, lo, hi)
        idx = crossed % self.n
        contrib = np.abs(g[0][idx] * (x[idx] - inside[idx]))
        order = crossed[np.argsort(contrib)]
        for _ in range(2):
            m = len(order)
            X = np.repeat(x[None], m + 1, 0)
            for t in range(1, m + 1):      # row t: the first t of the order clipped into P
                i = order[t - 1] % self.n
                X[t:, i] = inside[i]
            ok = np.nonzero(self.values(X) <= -1e-9)[0]
            t = int(ok.max()) if len(ok) else 0     # row 0 is x itself (its float margin may be
                                                    # above -1e-9: exact points near a tie)
            x, order = X[t], order[t:]
            if t == 0 or len(order) <= 1:
                break
        y = x.copy()
        for f in order:
            y[f % self.n] = self.at(P, f, P[f] + 1)
        if self.values(y)[0] <= -1e-9:
            x = y
        return x, order

    def face_sweep(self, P, faces, starts):
        """Attack, in one batch, P with each face moved one step alone, each from its start point
        (moved onto the face); returns the faces frozen (their evidence goes to self.ev)."""
        lo, hi = self.fbox(P)
        m = len(faces)
        LO, HI = np.repeat(lo[None], m, 0), np.repeat(hi[None], m, 0)
        x0 = np.array(starts, dtype=float)
        for r, f in enumerate(faces):
            v, i = self.at(P, f, P[f] + 1), f % self.n
            if f < self.n:
                LO[r, i] = v
            else:
                HI[r, i] = v
            x0[r, i] = v
        X, v = AT.pgd(self.o.net, LO, HI, self.o.label, 1, self.o.rng, 2, 15, x0)
        self.o.stats.attack_runs += m
        frozen = []
        for r in np.nonzero(v <= 1e-7)[0]:
            f = int(faces[r])
            x = self.snap(X[r], LO[r], HI[r])
            if self.values(x)[0] <= -1e-9 and self.pos(x)[f] == P[f] + 1:
                self.ev[f] = x
                frozen.append(f)
        return frozen


def allocate(cost, m, theta, room):
    """Steps per face (module docstring): free faces take their whole room, charged faces share
    theta * m equally per model, the leftover goes one step at a time to the cheapest faces."""
    budget = theta * m
    charged = (cost > 0) & (room > 0)
    n_charged = np.maximum(charged.sum(axis=1), 1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(charged, budget[:, None] / (n_charged * cost), np.inf)
        s = np.minimum(room, np.floor(share.min(axis=0))).astype(np.int64)
        left = budget - cost @ s
        price = np.where(charged, cost / np.maximum(budget, 1e-300)[:, None], 0).max(axis=0)
    for f in np.argsort(price):
        if s[f] < room[f] and np.all(cost[:, f] <= left):
            s[f] += 1
            left -= cost[:, f]
    return s
