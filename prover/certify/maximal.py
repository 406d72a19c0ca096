"""Maximal robust box: from the apothem ball, push every face outward along the grid until no
single face can move one step further.

Faces are numbered f = i (lower face of coordinate i) and f = n + i (upper face); a box is its
vector of face positions P (grid steps from x*, capped where the face reaches the boundary of D).

Why a margin model: on these networks most faces cost almost nothing (their pixel barely moves
the margin) while a few spend it fast, and a box is maximal only when its worst margin is below
the cost of one more step of *every* face still off the boundary. Guessing per-face steps and
backing off on joint counterexamples (the earlier search) never got there: hundreds of faces
ended "held", each retried alone at one verifier call. Instead every round linearises the
margin at the critical points found so far (attack minima and counterexamples; per point and
other class, at the corner of the box P its linearisation prefers and at the point itself
pulled into P) and spends a share `theta` of each model's margin m >= 0: a face f moving s_f
steps costs `cost[f] * s_f` (the margin lost there), faces no model charges move by their
trust step (doubling on success), the others share the budget equally and the leftover goes one
step at a time to the cheapest. (Spending whole rooms first, to reach the boundary of D, gave
larger boxes but far costlier verifier calls and fewer faces shown.)

A proposal Q is attacked first; if the attack finds nothing, one float-only verifier call
decides it (`unsat`: Q becomes P). Only the final box gets a proof (one more verifier call,
with time kept for it): no claim rests on the intermediate boxes, and replaying their proofs
exactly cost twice their float search. If that proof fails, the box falls back to the last
proven one (the apothem ball) and the evidence below is re-checked against it.

Every counterexample x' (checked exactly before it becomes evidence) is first *minimised*
(coordinates beyond P pulled back into P while x' stays a counterexample) and joins the
critical points: beyond one face f by one step, f is *frozen* at its limit with x' as
evidence; further beyond, f's trust step stops short of x'; beyond several faces, their trust
steps halve. A refuted round that freezes nothing also shrinks theta. Once per box P every open
face is attacked moved one step alone, all in one batch, each from the model point that step
hurts most: that freezes most faces with no verifier call. When the budget allows no face a
step, groups of single steps (cheapest first, halving on refutation) are proposed. A verifier
`unknown` halves theta and the trust steps. Frozen faces never move again, so each evidence
point stays valid for the final box: at the end every frozen face gets a `flip` sat call
`{like: final proof, move: [[i, side, 1]]}` (checked exactly); faces still open when the
budget runs out get `null` (not shown).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from . import attack as AT
from .attack import objective
from .inputs import Grid
from .oracle import Oracle, exact_point


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



ACTIVE, FROZEN, DEAD = 0, 1, 2
MAX_POINTS = 64     # critical points kept (newest first); 8 forgot regions the verifier had
                    # refuted and re-proposed them (ppnn: 3x the faces left open)
MAX_TRUST = 256     # largest trust step, in grid steps
FINAL_COST = 4.0    # time kept for the final box's proof, in float-only calls on the same box
THETA = 0.5         # share of each model's margin a proposal may spend
THETA_BACKOFF = 0.75


class _Search:
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


def search(oracle: Oracle, grid: Grid, k: int, proof: int, budget: float = 110.0,
           timeout: float | None = None, restarts: int = 24, steps: int = 40, log=None, **_) -> MaximalResult:
    t0 = time.perf_counter()
    deadline = t0 + budget
    v0, at0 = oracle.stats.verifier_calls, oracle.stats.attack_runs
    S = _Search(oracle, grid, restarts, steps)
    n, n2, cap = grid.n, 2 * grid.n, S.cap
    P = np.concatenate(grid.ball_steps(k)).astype(np.int64)
    start = P.copy()
    trust = np.full(n2, 8, dtype=np.int64)
    status = np.full(n2, ACTIVE)
    swept = np.full(n2, -1)
    theta, group, version = THETA, None, 0
    rounds = plans = 0
    budget_hit = False
    points = S.attack(P)[1] or [grid.xf]
    proven, reserve = P.copy(), 0.0     # the last box with a proof (call `proof`)
    while True:
        if time.perf_counter() > deadline - reserve:
            budget_hit = True
            break
        live = (status == ACTIVE) & (P < cap)
        if not live.any():
            break
        rounds += 1
        m, cost, anchors = S.margin_models(P, points)
        # once per box P, attack every open face moved one step alone, each from the model
        # point that one step hurts most
        over = cost - m[:, None]
        todo = np.nonzero(live & (swept != version))[0]
        if len(todo):
            swept[todo] = version
            starts = anchors[np.argmax(over[:, todo], axis=0)]
            status[S.face_sweep(P, todo, starts)] = FROZEN
            live = (status == ACTIVE) & (P < cap)
            if not live.any():
                continue
        room = np.where(live, np.minimum(trust, cap - P), 0)
        s = allocate(cost, m, theta, room)
        single = not s.any()
        if single:      # the budget allows no step: single steps for a group, cheapest first
            cand = np.nonzero(live)[0]
            cand = cand[np.argsort((cost[:, cand] / np.maximum(m, 1e-300)[:, None]).max(axis=0))]
            group = min(group or len(cand), len(cand))
            s[cand[:group]] = 1
        Q = P + s
        cex, worst = S.attack(Q, (cost, anchors))
        points = (worst + points)[:MAX_POINTS]
        if cex:
            S.attack_cex += 1
        else:
            plans += 1
            left = deadline - reserve - time.perf_counter()
            t = time.perf_counter()
            ans = oracle.verify("flip", *grid.box(Q[:n], Q[n:]), timeout=max(1.0, min(timeout or 20.0, left)),
                                proof=False)
            if ans.verdict == "unsat":     # the final proof is of P: its float call sets the reserve
                reserve = FINAL_COST * (time.perf_counter() - t)   # (the slowest call of any kind
                # did, and one 15 s call then ended the search 60 s before its budget)
                grown = s == trust
                P, version = Q, version + 1
                trust[grown] = np.minimum(trust[grown] * 2, MAX_TRUST)
                theta, group = min(THETA, theta * 2), None
                if log:
                    log(f"round {rounds}: proven +{int(s.sum())} steps ({int((s > 0).sum())} faces), "
                        f"frozen {int((status == FROZEN).sum())}, open {int(live.sum())}")
                continue
            if ans.verdict != "sat":
                theta /= 2
                trust[s > 0] = np.maximum(trust[s > 0] // 2, 1)
                if single:
                    if group == 1:
                        status[s > 0] = DEAD
                    group = max(1, group // 2)
                continue
            S.verifier_cex += 1
            cex = [np.array([float(v) for v in ans.point])]
        frozen_any = False
        for x in cex:
            x, R = S.minimise(x, P)
            points = ([x] + points)[:MAX_POINTS]
            if len(R) != 1:
                trust[R] = np.maximum(np.minimum(trust[R], s[R]) // 2, 1)
                continue
            f = int(R[0])
            beyond = S.pos(x)[f] - P[f]
            if beyond == 1 and status[f] == ACTIVE:
                status[f], S.ev[f], frozen_any = FROZEN, x, True
            elif beyond > 1:
                trust[f] = min(trust[f], beyond - 1)
        if not frozen_any:     # the new critical point corrects the models; theta only shrinks
            theta *= THETA_BACKOFF   # for what the linearisation misses between corners
            if single:
                group = max(1, group // 2)
        if log:
            log(f"round {rounds}: refuted ({len(cex)} cex), frozen {int((status == FROZEN).sum())}, "
                f"theta {theta:.3g}, open {int(((status == ACTIVE) & (P < cap)).sum())}")
    if (P != proven).any():     # the float verdicts guided the search; the final box needs its proof
        left = max(1.0, deadline - time.perf_counter())
        ans = oracle.verify("flip", *grid.box(P[:n], P[n:]), timeout=max(left, 2 * reserve, timeout or 20.0))
        if ans.verdict == "unsat":
            proof = ans.index
        else:       # (float and exact disagree, or out of time) fall back; evidence is re-checked below
            P = proven
    # evidence against the final box
    faces, unknown = [], 0
    for f in range(n2):
        if P[f] >= cap[f]:
            continue
        i, side = (f, "lower") if f < n else (f - n, "upper")
        j = None
        if status[f] == FROZEN:
            Q = P.copy()
            Q[f] += 1
            lo2, up2 = grid.box(Q[:n], Q[n:])
            for p in exact_point(lo2, up2, S.ev[f], lambda xf: grid.snap(xf, Q[:n], Q[n:])):
                j = oracle.record_like("flip", proof, [[i, side, 1]], lo2, up2, p)
                if j is not None:
                    break
        if j is None:
            unknown += 1
        faces.append([int(i), side, j])
    r = MaximalResult(P[:n].copy(), P[n:].copy(), proof, faces, unknown == 0, k, oracle.stats.verifier_calls - v0,
                      oracle.stats.attack_runs - at0, rounds, plans, time.perf_counter() - t0, unknown,
                      int(np.sum(P > start)), budget_hit)
    r.stats = {"frozen": int((status == FROZEN).sum()), "dead": int((status == DEAD).sum()), "open": int(((status == ACTIVE) & (P < cap)).sum()),
               "attack_refuted_rounds": S.attack_cex, "verifier_refuted_rounds": S.verifier_cex}
    return r

