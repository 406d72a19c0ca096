"""Maximal robust box: from the apothem ball, push every face outward along the grid until no
single face can move one step further.

Faces are numbered f = i (lower face of coordinate i) and f = n + i (upper face); a box is its
vector of face positions P (grid steps from x*, capped where the face reaches the boundary of D).

The search grows in *rounds*. Each round proposes Q: every active face moved by its own step
(steps double on success). A batched attack (many restarts, all kept) looks for non-c points in
Q; if it finds none, ONE verifier call decides Q (`unsat`: Q is the new proven box). Every
counterexample x' (float-screened here, checked exactly before it becomes evidence) is first
*minimised*: the coordinates beyond the proven box P are pulled back into P, least contribution
first, as long as x' stays a counterexample (one batched evaluation). What remains tells
what to do:
- x' beyond one face f only: if one step beyond, f is *frozen* at its limit with x' as evidence;
  otherwise f's step shrinks to stop short of x'.
- x' beyond several faces: their steps halve; if all are at step 1, the face contributing most
  is *held* (not moved) until no active face is left, then held faces are retried one step at a
  time (a joint conflict does not show any single face at its limit).
After a refuted round, a batched attack on every step-1 face moved one step alone (P with that
face moved) freezes many faces at once. A verifier `unknown` halves the steps (or holds half of
the faces). Frozen faces never move again, so each evidence point stays valid for the final box:
at the end every frozen face gets a `flip` sat call `{like: final proof, move: [[i, side, 1]]}`
(checked exactly); faces still open when the budget runs out get `null` (not shown).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import attack as AT
from .attack import objective
from .inputs import Grid
from .oracle import Oracle


@dataclass
class MaximalResult:
    a: np.ndarray
    b: np.ndarray
    proof: int
    faces: list                   # [coord, side, call index | None] for faces off the boundary
    shown: bool
    start_k: int
    verifier_calls: int = 0
    attack_runs: int = 0
    rounds: int = 0
    plans: int = 0
    seconds: float = 0.0
    unknown_faces: int = 0
    faces_moved: int = 0
    budget_hit: bool = False
    stats: dict = field(default_factory=dict)

    def claim(self, grid: Grid) -> dict:
        lower, upper = grid.box(self.a, self.b)
        return {"lower": lower, "upper": upper, "proof": self.proof, "faces": self.faces,
                "maximal_shown": self.shown}


def box_metrics(grid: Grid, lower, upper) -> dict:
    """Apothem (spec definition, in domain units and steps), minimum edge, log-volume."""
    slack = []
    for i, (l, u, v) in enumerate(zip(lower, upper, grid.x)):
        if l != grid.lo:
            slack.append(v - l)
        if u != grid.hi:
            slack.append(u - v)
    ap = min(slack) if slack else None
    edges = [u - l for l, u in zip(lower, upper)]
    logvol = sum(math.log(e) if e > 0 else -math.inf for e in map(float, edges))
    return {"apothem": float(ap) if ap is not None else math.inf,
            "apothem_steps": float(ap / grid.delta) if ap is not None else math.inf,
            "min_edge": float(min(edges)), "log_volume": logvol,
            "mean_edge": float(sum(edges) / len(edges))}



ACTIVE, FROZEN, HELD, DEAD = 0, 1, 2, 3


class _Search:
    def __init__(self, oracle: Oracle, grid: Grid, restarts: int, steps: int, log=None):
        self.o, self.g, self.n = oracle, grid, grid.n
        self.cap = np.concatenate([grid.cap_lo, grid.cap_hi]).astype(np.int64)
        self.xs = np.concatenate([grid.xf, grid.xf])
        self.sign = np.concatenate([-np.ones(self.n), np.ones(self.n)])
        self.restarts, self.steps, self.log = restarts, steps, log
        self.lo_f, self.hi_f = float(grid.lo), float(grid.hi)
        self.worst = None
        self.ev: dict[int, np.ndarray] = {}      # frozen face -> float evidence point
        self.attack_cex = self.verifier_cex = 0

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

    def snap(self, x, P):
        """Nearest grid point inside the float box of P."""
        lo, hi = self.fbox(P)
        k = np.rint((x - self.g.xf) / self.g.df)
        return np.clip(self.g.xf + k * self.g.df, lo, hi)

    def attack(self, P):
        lo, hi = self.fbox(P)
        X, v = AT.pgd_all(self.o.net, lo, hi, self.o.label, 1, self.o.rng, self.restarts, self.steps, self.worst)
        self.o.stats.attack_runs += 1
        self.worst = X[int(np.argmin(v))].copy()
        # the corners the margin's linearisation at the worst point prefers, one per class: where
        # every ReLU is stable on the box the margin is linear and a corner is its minimum
        C = self.corners(self.worst, lo, hi)
        X, v = np.concatenate([X, C]), np.concatenate([v, self.values(C)])
        out = []
        for r in np.argsort(v):
            if v[r] > 1e-7:
                break
            x = self.snap(X[r], P)
            if self.values(x)[0] <= -1e-9:
                out.append(x)
        return out

    def corners(self, x, lo, hi):
        net, c = self.o.net, self.o.label
        _, masks = AT.forward(net, x[None])
        out = []
        for j in range(self.o.n_out):
            if j == c:
                continue
            gy = np.zeros((1, self.o.n_out))
            gy[0, c], gy[0, j] = 1.0, -1.0
            for k in range(net.depth - 1, -1, -1):
                gy = gy @ net.weights[k]
                if k > 0:
                    gy = gy * masks[k - 1]
            out.append(np.where(gy[0] > 0, lo, hi))
        return np.array(out)

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
            t = int(ok.max())
            x, order = X[t], order[t:]
            if t == 0 or len(order) <= 1:
                break
        y = x.copy()
        for f in order:
            y[f % self.n] = self.at(P, f, P[f] + 1)
        if self.values(y)[0] <= -1e-9:
            x = y
        return x, order

    def face_sweep(self, P, faces):
        """Attack, in one batch, P with each face moved one step alone; returns the faces frozen."""
        if not faces:
            return []
        lo, hi = self.fbox(P)
        m = len(faces)
        fa = np.asarray(faces)
        LO, HI = np.repeat(lo[None], m, 0), np.repeat(hi[None], m, 0)
        rows = np.arange(m)
        low = fa < self.n
        for r, f in zip(rows, fa):
            v = self.at(P, f, P[f] + 1)
            if f < self.n:
                LO[r, f] = v
            else:
                HI[r, f - self.n] = v
        x0 = None if self.worst is None else np.repeat(self.worst[None], m, 0)
        if x0 is not None:
            # start on the moved face
            x0[rows[low], fa[low]] = LO[rows[low], fa[low]]
            x0[rows[~low], fa[~low] - self.n] = HI[rows[~low], fa[~low] - self.n]
        X, v = AT.pgd(self.o.net, LO, HI, self.o.label, 1, self.o.rng, 2, 15, x0)
        self.o.stats.attack_runs += m
        frozen = []
        for r in np.nonzero(v <= 1e-7)[0]:
            f = int(fa[r])
            k = np.rint((X[r] - self.g.xf) / self.g.df)
            x = np.clip(self.g.xf + k * self.g.df, LO[r], HI[r])
            if self.values(x)[0] <= -1e-9 and self.pos(x)[f] == P[f] + 1:
                self.ev[f] = x
                frozen.append(f)
        return frozen


def search(oracle: Oracle, grid: Grid, k: int, proof: int, budget: float = 110.0,
           timeout: float | None = None, restarts: int = 24, steps: int = 40, log=None, **_) -> MaximalResult:
    t0 = time.perf_counter()
    deadline = t0 + budget
    v0, at0 = oracle.stats.verifier_calls, oracle.stats.attack_runs
    S = _Search(oracle, grid, restarts, steps, log)
    n, n2, cap = grid.n, 2 * grid.n, S.cap
    P = np.concatenate(grid.ball_steps(k)).astype(np.int64)
    start = P.copy()
    step = np.ones(n2, dtype=np.int64)
    status = np.full(n2, ACTIVE)
    swept = np.full(n2, -1)
    version = 0
    rounds = plans = 0
    budget_hit = False
    while True:
        if time.perf_counter() > deadline:
            budget_hit = True
            break
        act = np.nonzero((status == ACTIVE) & (P < cap))[0]
        if len(act) == 0:
            held = np.nonzero((status == HELD) & (P < cap))[0]
            if len(held) == 0:
                break
            status[held] = ACTIVE
            step[held] = 1
            continue
        rounds += 1
        Q = P.copy()
        Q[act] = np.minimum(P[act] + step[act], cap[act])
        cex = S.attack(Q)
        if cex:
            S.attack_cex += 1
        else:
            plans += 1
            A, B = Q[:n], Q[n:]
            left = deadline - time.perf_counter()
            ans = oracle.verify("flip", *grid.box(A, B), timeout=max(1.0, min(timeout or 20.0, left)))
            if ans.verdict == "unsat":
                P, proof = Q, ans.index
                version += 1
                step[act] = np.minimum(step[act] * 2, 256)
                if log:
                    log(f"round {rounds}: +{int((Q - start).sum())} steps proven, {len(act)} active")
                continue
            if ans.verdict == "sat":
                S.verifier_cex += 1
                cex = [np.array([float(v) for v in ans.point])]
            else:
                wide = act[step[act] > 1]
                if len(wide):
                    step[wide] //= 2
                elif len(act) == 1:
                    status[act] = DEAD
                else:
                    gi = np.abs(objective(oracle.net, S.worst[None], oracle.label, 1)[1][0][act % n])
                    status[act[np.argsort(-gi)[: len(act) // 2]]] = HELD
                continue
        changed, joint = False, False
        for x in cex:
            x, R = S.minimise(x, P)
            if len(R) == 0:
                continue
            pos = S.pos(x)
            if len(R) == 1:
                f = int(R[0])
                if pos[f] == P[f] + 1:
                    if status[f] != FROZEN:
                        status[f] = FROZEN
                        S.ev[f] = x
                        changed = True
                elif step[f] > 1 and P[f] + step[f] >= pos[f]:
                    step[f] = max(1, min(step[f] // 2, pos[f] - 1 - P[f]))
                    changed = True
                continue
            joint = True
        live = act[status[act] == ACTIVE]
        if joint and len(live):
            # a joint counterexample: the proposal as a whole spends too much margin. Back off
            # globally: halve every wide step; at step 1 hold the costlier half of the faces
            wide = live[step[live] > 1]
            if len(wide):
                step[wide] //= 2
            elif len(live) > 1:
                g = np.abs(objective(oracle.net, S.worst[None], oracle.label, 1)[1][0][live % n])
                status[live[np.argsort(-g)[: len(live) // 2]]] = HELD
            changed = True
        live = act[status[act] == ACTIVE]
        if len(live) and np.all(step[live] == 1):
            todo = [int(f) for f in live if swept[f] != version]
            swept[todo] = version
            for f in S.face_sweep(P, todo):
                status[f] = FROZEN
                changed = True
        if not changed:     # nothing learned: shrink every active face's step, or hold one
            wide = live[step[live] > 1]
            if len(wide):
                step[wide] //= 2
            elif len(live):
                status[live[0]] = HELD
        if log:
            log(f"round {rounds}: refuted ({len(cex)} cex), frozen {int((status == FROZEN).sum())}, "
                f"held {int((status == HELD).sum())}, active {int(((status == ACTIVE) & (P < cap)).sum())}")
    # evidence against the final box
    faces, unknown = [], 0
    lower, upper = grid.box(P[:n], P[n:])
    for f in range(n2):
        if P[f] >= cap[f]:
            continue
        i, side = (f, "lower") if f < n else (f - n, "upper")
        j = None
        if status[f] == FROZEN:
            lo2, up2 = list(lower), list(upper)
            if side == "lower":
                lo2[i] = grid.lower_at(i, int(P[f]) + 1)
            else:
                up2[i] = grid.upper_at(i, int(P[f]) + 1)
            for p in exact_candidates(S.ev[f], lo2, up2, grid):
                j = oracle.record_like("flip", proof, [[i, side, 1]], lo2, up2, p)
                if j is not None:
                    break
        if j is None:
            unknown += 1
        faces.append([int(i), side, j])
    r = MaximalResult(P[:n].copy(), P[n:].copy(), proof, faces, unknown == 0, k, oracle.stats.verifier_calls - v0,
                      oracle.stats.attack_runs - at0, rounds, plans, time.perf_counter() - t0, unknown,
                      int(np.sum(P > start)), budget_hit)
    r.stats = {"frozen": int((status == FROZEN).sum()), "held": int((status == HELD).sum()),
               "dead": int((status == DEAD).sum()), "open": int(((status == ACTIVE) & (P < cap)).sum()),
               "attack_refuted_rounds": S.attack_cex, "verifier_refuted_rounds": S.verifier_cex}
    return r


def exact_candidates(x, lower, upper, grid: Grid):
    """Exact points for a float point inside [lower, upper]: grid-snapped, then the float itself."""
    from fractions import Fraction
    k = np.rint((x - grid.xf) / grid.df).astype(np.int64)
    snapped = [min(max(grid.lower_at(i, -int(kk)) if kk < 0 else grid.upper_at(i, int(kk)), l), u)
               for i, (kk, l, u) in enumerate(zip(k, lower, upper))]
    return [snapped, [min(max(Fraction(float(v)), l), u) for v, l, u in zip(x, lower, upper)]]
