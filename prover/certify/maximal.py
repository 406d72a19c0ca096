"""Maximal robust box: from the apothem ball, push every face outward along the grid until no
single face can move one step further.

Faces are numbered f = i (lower face of coordinate i) and f = n + i (upper face); a box is its
vector of face positions P (grid steps from x*, capped where the face reaches the boundary of D).

1. *Plan* (falsifier only, cheap): grow a tentative box. Each round attacks, in one batch, every
   open face moved one step; a non-c point found there freezes that face with the point as its
   evidence. The remaining open faces then move together by per-face steps that double on
   success; a counterexample x' is clipped back into the box on all but one of the faces it
   crosses (checked exactly) to bound single faces, a joint one halves the steps of the faces it
   crosses or, at one step, defers half of them (the most sensitive) to the next round.
2. *Prove* the plan with one verifier call. `unsat`: it is the new proven box; if every face has
   a point one step beyond it, it is maximal. `sat`: the point joins the pool of known
   counterexamples (which the planner checks first), the cheapest face it crosses is cut back,
   and planning resumes. `unknown`: the plan is halved towards the proven box and capped there.
Every non-c point found is kept with its grid position; a face's evidence is valid for a box P
iff the point lies in P with that face moved one step. At the end every face off the domain
boundary gets a `flip` sat call on the final box with that face moved one step (recorded from
its point, no oracle work) — or `null` (not shown).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

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


class _Refuted(Exception):
    def __init__(self, j, P):
        super().__init__(f"pool point {j} inside the tentative box")
        self.j, self.P = j, P


class _Planner:
    """Planning in integer grid coordinates K (x = clip(x* + K delta, D)); points are screened in
    float (objective <= -1e-9) and checked exactly only when they become evidence in the bundle."""

    def __init__(self, oracle: Oracle, grid: Grid, face_restarts: int, face_steps: int):
        self.o, self.g = oracle, grid
        self.n = grid.n
        self.cap = np.concatenate([grid.cap_lo, grid.cap_hi]).astype(np.int64)
        self.ceiling = self.cap.copy()
        self._S: list = []             # grid positions (2n,) of known non-c points
        self._M = None                 # stacked cache of _S
        self.pool_p: list = []         # (K vector | None, exact point | None)
        self.ev: dict[int, int] = {}   # face -> pool index
        self.worst = None
        self._grad = None
        self.face_restarts, self.face_steps = face_restarts, face_steps
        self.rounds = 0
        self.lo_f, self.hi_f = float(grid.lo), float(grid.hi)

    @property
    def pool_S(self):
        if self._M is None or len(self._M) != len(self._S):
            self._M = np.array(self._S, dtype=np.int64).reshape(len(self._S), 2 * self.n)
        return self._M

    # -- geometry
    def split(self, P):
        return P[: self.n], P[self.n:]

    def box(self, P):
        return self.g.box(*self.split(P))

    def float_box(self, P):
        return self.g.float_box(*self.split(P))

    def moved(self, P, f, to):
        Q = P.copy()
        Q[f] = to
        return Q

    def kfloat(self, K):
        return np.clip(self.g.xf + K * self.g.df, self.lo_f, self.hi_f)

    def snapK(self, xf, A, B):
        return np.clip(np.rint((xf - self.g.xf) / self.g.df).astype(np.int64), -A, B)

    def add_K(self, K) -> int:
        self._S.append(np.minimum(np.concatenate([np.maximum(-K, 0), np.maximum(K, 0)]), self.cap))
        self.pool_p.append((K.copy(), None))
        return len(self.pool_p) - 1

    def add_exact(self, p) -> int:
        pa, pb = self.g.steps_of(p)
        self._S.append(np.minimum(np.concatenate([pa, pb]), self.cap))
        self.pool_p.append((None, p))
        return len(self.pool_p) - 1

    def exact(self, j):
        K, p = self.pool_p[j]
        if p is None:
            g = self.g
            p = [g.lower_at(i, -int(k)) if k < 0 else g.upper_at(i, int(k)) for i, k in enumerate(K)]
        return p

    def in_pool(self, P) -> int | None:
        if not self._S:
            return None
        hit = np.nonzero(np.all(self.pool_S <= P[None], axis=1))[0]
        return int(hit[0]) if len(hit) else None

    def evidence_ok(self, f, P) -> bool:
        j = self.ev.get(f)
        return j is not None and bool(np.all(self.pool_S[j] <= self.moved(P, f, P[f] + 1)))

    def values(self, K2):
        v, _ = objective(self.o.net, self.kfloat(np.atleast_2d(K2)), self.o.label, 1, False)
        return v

    # -- falsifier on one box (pool first)
    def attack(self, P, restarts=16, steps=40, tau: float = 0.0):
        """None (robust as far as the attack sees, with margin > tau), -1 (margin in (0, tau]),
        or the pool index of a non-c point in P."""
        j = self.in_pool(P)
        if j is not None:
            return j
        A, B = self.split(P)
        lo_f, hi_f = self.g.float_box(A, B)
        xs, vals = self.o.attack_batch("flip", lo_f[None], hi_f[None], restarts, steps,
                                       None if self.worst is None else self.worst[None])
        if vals[0] > max(tau, 1e-7):
            return None
        if vals[0] > 1e-7:
            return -1
        K = self.snapK(xs[0], A, B)
        if self.values(K)[0] > -1e-9:
            return None
        return self.add_K(K)

    def refresh_worst(self, P):
        lo_f, hi_f = self.float_box(P)
        xs, _ = self.o.attack_batch("flip", lo_f[None], hi_f[None], 8, 30,
                                    None if self.worst is None else self.worst[None])
        self.worst = xs[0]
        self.worst_val = float(_[0])
        _, gx = objective(self.o.net, xs[:1], self.o.label, 1)
        self._grad = np.abs(gx[0])

    def face_batch(self, P, faces):
        """Attack every face moved one step, in one batch; freeze those with a point."""
        g, n = self.g, self.n
        lo_f, hi_f = self.float_box(P)
        m = len(faces)
        fa = np.array(faces)
        rows = np.arange(m)
        LO, HI = np.repeat(lo_f[None], m, 0), np.repeat(hi_f[None], m, 0)
        Am = np.repeat(P[None, :n], m, 0)
        Bm = np.repeat(P[None, n:], m, 0)
        low = fa < n
        il, iu = fa[low], fa[~low] - n
        LO[rows[low], il] = np.maximum(self.lo_f, g.xf[il] - (P[il] + 1) * g.df)
        HI[rows[~low], iu] = np.minimum(self.hi_f, g.xf[iu] + (P[n + iu] + 1) * g.df)
        Am[rows[low], il] += 1
        Bm[rows[~low], iu] += 1
        x0 = None
        if self.worst is not None:
            x0 = np.repeat(self.worst[None], m, 0)
            x0 = np.where(LO < lo_f, LO, np.where(HI > hi_f, HI, x0))
        xs, vals = self.o.attack_batch("flip", LO, HI, self.face_restarts, self.face_steps, x0)
        self.face_vals = dict(zip(faces, vals))
        cand = np.nonzero(vals <= 1e-7)[0]
        if not len(cand):
            return
        K = np.clip(np.rint((xs[cand] - g.xf) / g.df).astype(np.int64), -Am[cand], Bm[cand])
        v = self.values(K)
        for r, ok in zip(cand, v <= -1e-9):
            if ok:
                self.ev[faces[r]] = self.add_K(K[list(cand).index(r)])

    # -- planning
    def grow(self, P, deadline: float, log=None, tau: float = 0.0):
        n2 = 2 * self.n
        step = np.ones(n2, dtype=np.int64)
        P = P.copy()
        while time.perf_counter() < deadline:
            lim = np.minimum(self.cap, self.ceiling)
            open_ = [f for f in range(n2) if P[f] < self.cap[f] and not self.evidence_ok(f, P)]
            if self._S and open_:
                M = self.pool_S
                for f in open_:
                    hit = np.nonzero(np.all(M <= self.moved(P, f, P[f] + 1)[None], axis=1))[0]
                    if len(hit):
                        self.ev[f] = int(hit[0])
                open_ = [f for f in open_ if not self.evidence_ok(f, P)]
            if not open_:
                return P
            self.rounds += 1
            if log:
                log(f"  grow round {self.rounds}: {len(open_)} open faces, {int(P.sum())} steps")
            self.refresh_worst(P)
            self.face_batch(P, open_)
            open_ = [f for f in open_ if not self.evidence_ok(f, P) and P[f] < lim[f]]
            if not open_:
                return P
            bad = np.full(n2, np.iinfo(np.int64).max // 4, dtype=np.int64)
            prop = {f: int(min(P[f] + step[f], lim[f])) for f in open_}
            # the margin budget: each face's one-step cost (drop of the attack's worst margin)
            # times its step, cheapest first, within the margin left above tau
            cost = {f: max(0.0, self.worst_val - float(self.face_vals.get(f, 0.0))) for f in open_}
            order = sorted(open_, key=lambda f: cost[f] * (prop[f] - P[f]))
            budget_m = max(self.worst_val - tau, 0.0) * 0.8
            group = self._prefix(order, cost, prop, P, budget_m)
            progressed = False
            while group and time.perf_counter() < deadline:
                Q = P.copy()
                for f in group:
                    Q[f] = prop[f]
                j = self.attack(Q, tau=tau)
                if log:
                    log(f"    group {len(group)} faces +{int((Q - P).sum())} -> {'ok' if j is None else 'cex'} t={time.perf_counter():.1f}")
                if j is None:
                    P = Q
                    progressed = True
                    for f in group:
                        step[f] *= 2
                    break
                if j == -1:      # within tau of a flip: halve the budget, then the steps, then the group
                    budget_m /= 2
                    order = [f for f in order if f in group]
                    new = self._prefix(order, cost, prop, P, budget_m)
                    if len(new) < len(group):
                        group = new
                        continue
                    wide = [f for f in group if prop[f] - P[f] > 1]
                    if wide:
                        for f in wide:
                            prop[f] = int(P[f] + (prop[f] - P[f]) // 2)
                            step[f] = max(1, step[f] // 2)
                    else:
                        group = group[: len(group) // 2]
                    continue
                S = self.pool_S[j]
                crossed = [int(f) for f in np.nonzero(S > P)[0]]
                if not crossed:
                    raise _Refuted(j, P)         # the tentative box itself is not robust
                singles = []
                if len(crossed) == 1:
                    f = crossed[0]
                    bad[f] = min(bad[f], S[f])
                    if S[f] == P[f] + 1:
                        self.ev[f] = j
                    singles.append(f)
                elif self.pool_p[j][0] is not None:
                    # clip back into P on all crossed faces but one (float screen of grid points)
                    K = self.pool_p[j][0]
                    A, B = self.split(P)
                    base = np.clip(K, -A, B)
                    K2 = np.repeat(base[None], len(crossed), 0)
                    for r, f in enumerate(crossed):
                        i = f if f < self.n else f - self.n
                        K2[r, i] = K[i]
                    vals = self.values(K2)
                    for r in np.nonzero(vals <= -1e-9)[0]:
                        f = crossed[r]
                        jj = self.add_K(K2[r])
                        bad[f] = min(bad[f], S[f])
                        if S[f] == P[f] + 1:
                            self.ev[f] = jj
                        singles.append(f)
                if singles:
                    for f in singles:
                        step[f] = max(1, int(bad[f] - 1 - P[f]))
                        if f in prop:
                            prop[f] = int(min(prop[f], bad[f] - 1))
                    group = [f for f in group if prop[f] > P[f]]
                    continue
                cf = [f for f in crossed if f in prop]
                wide = [f for f in cf if prop[f] - P[f] > 1]
                if wide:
                    for f in wide:
                        prop[f] = int(P[f] + (prop[f] - P[f]) // 2)
                        step[f] = max(1, step[f] // 2)
                else:
                    # defer the half of the crossed faces that the margin is most sensitive to
                    order = sorted(cf, key=lambda f: -(S[f] - P[f]) * self._sens(f))
                    drop = set(order[: max(1, len(order) // 2)])
                    if len(drop) == len(cf) and len(cf) > 1:
                        drop.discard(order[-1])
                    group = [f for f in group if f not in drop]
            if tau > 0 and not progressed:
                return P        # phase 1: nothing moves with the safety margin any more
        return P

    @staticmethod
    def _prefix(order, cost, prop, P, budget_m):
        out, used = [], 0.0
        for f in order:
            c = cost[f] * (prop[f] - P[f])
            if c > 0 and used + c > budget_m and out:
                break
            out.append(f)
            used += c
        return out

    def _sens(self, f) -> float:
        return 1.0 if self._grad is None else float(self._grad[f if f < self.n else f - self.n])


def search(oracle: Oracle, grid: Grid, k: int, proof: int, budget: float = 110.0,
           timeout: float | None = None, face_restarts: int = 1, face_steps: int = 12,
           tau_fraction: float = 0.05, log=None) -> MaximalResult:
    t0 = time.perf_counter()
    deadline = t0 + budget
    v0, at0 = oracle.stats.verifier_calls, oracle.stats.attack_runs
    pl = _Planner(oracle, grid, face_restarts, face_steps)
    n = grid.n
    proven = np.concatenate(grid.ball_steps(k)).astype(np.int64)
    start = proven.copy()
    plans, budget_hit = 0, False
    P = proven.copy()
    # phase 1 plans keep a safety margin tau (a fraction of the margin at x*); phase 2 finishes
    from .attack import objective as _obj
    m0 = float(_obj(oracle.net, grid.xf[None], oracle.label, 1, False)[0][0])
    tau = tau_fraction * max(m0, 0.0)
    while True:
        if time.perf_counter() > deadline:
            budget_hit = True
            break
        try:
            plan = pl.grow(P, deadline, log, tau)
        except _Refuted as r:
            plan, ans = r.P, None
            j = r.j
        else:
            if np.array_equal(plan, proven):
                if tau > 0:
                    tau = 0.0
                    continue
                break
            plans += 1
            A, B = pl.split(plan)
            ans = oracle.ask("flip", *grid.box(A, B), grid.float_box(A, B), lambda xf: grid.snap(xf, A, B),
                             x0=pl.worst, timeout=timeout)
            if log:
                log(f"plan {plans}: {int((plan - proven).sum())} steps beyond the proven box -> {ans.verdict} ({ans.via})")
            if ans.verdict == "sat":
                j = pl.add_exact(ans.point)
        if ans is not None and ans.verdict == "unsat":
            proven, proof, P = plan, ans.index, plan
            continue
        if ans is None or ans.verdict == "sat":
            S = pl.pool_S[j]
            crossed = [int(f) for f in np.nonzero(S > proven)[0]]
            # cut back, to the proven box, the crossed face the margin is most sensitive to there
            if ans is not None and ans.point is not None:
                pf = np.array([float(v) for v in ans.point])
            else:
                K = pl.pool_p[j][0]
                pf = pl.kfloat(K) if K is not None else np.array([float(v) for v in pl.exact(j)])
            _, gx = _obj(oracle.net, pf[None], oracle.label, 1)
            gabs = np.abs(gx[0])
            f = max(crossed, key=lambda f: gabs[f if f < n else f - n] * (S[f] - proven[f]))
            P = plan.copy()
            P[f] = proven[f] if tau == 0 else max(proven[f], proven[f] + (S[f] - 1 - proven[f]) // 2)
            P = np.maximum(P, proven)
            continue
        # unknown: halve towards the proven box and cap there
        half = proven + (plan - proven) // 2
        pl.ceiling = np.minimum(pl.ceiling, np.maximum(half, proven))
        P = proven.copy()
    # evidence on the final box
    faces, unknown = [], 0
    for f in range(2 * n):
        if proven[f] >= pl.cap[f]:
            continue
        i, side = (f, "lower") if f < n else (f - n, "upper")
        j = None
        if not pl.evidence_ok(f, proven):
            Q = pl.moved(proven, f, proven[f] + 1)
            hit = np.nonzero(np.all(pl.pool_S <= Q[None], axis=1))[0] if pl.pool_p else []
            if len(hit):
                pl.ev[f] = int(hit[0])
        if pl.evidence_ok(f, proven):
            j = oracle.record_sat("flip", *pl.box(pl.moved(proven, f, proven[f] + 1)), pl.exact(pl.ev[f]))
        if j is None:
            unknown += 1
        faces.append([int(i), side, j])
    a, b = pl.split(proven)
    return MaximalResult(a.copy(), b.copy(), proof, faces, unknown == 0, k, oracle.stats.verifier_calls - v0,
                         oracle.stats.attack_runs - at0, pl.rounds, plans, time.perf_counter() - t0, unknown,
                         int(np.sum(proven > start)), budget_hit)
