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

from .faces import Faces, allocate
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


class _Growth:
    """The state of one search (module docstring): the box P, each face's status and trust
    step, theta, the critical points, and the counts for the result."""

    def __init__(self, S: Faces, grid: Grid, k: int, timeout: float | None, deadline: float, log):
        self.S, self.g, self.n, self.cap = S, grid, grid.n, S.cap
        self.timeout, self.deadline, self.log = timeout, deadline, log
        self.P = np.concatenate(grid.ball_steps(k)).astype(np.int64)
        n2 = 2 * grid.n
        self.trust = np.full(n2, 8, dtype=np.int64)
        self.status = np.full(n2, ACTIVE)
        self.swept = np.full(n2, -1)
        self.theta, self.group, self.version = THETA, None, 0
        self.rounds = self.plans = 0
        self.reserve = 0.0   # time kept for the final box's proof
        self.points = S.attack(self.P)[1] or [grid.xf]

    def live(self) -> np.ndarray:
        return (self.status == ACTIVE) & (self.P < self.cap)

    def grow(self) -> bool:
        """Rounds until no face can move or the budget is spent (True: the budget ran out)."""
        while True:
            if time.perf_counter() > self.deadline - self.reserve:
                return True
            if not self.live().any():
                return False
            self.rounds += 1
            m, cost, anchors = self.S.margin_models(self.P, self.points)
            if self.sweep(m, cost, anchors):
                continue
            s, single = self.propose(m, cost)
            cex = self.attempt(s, single, cost, anchors)
            if cex is not None:
                self.learn(cex, s, single)

    def sweep(self, m, cost, anchors) -> bool:
        """Once per box P, attack every open face moved one step alone, each from the model point
        that one step hurts most. True when that froze the last open face."""
        live = self.live()
        todo = np.nonzero(live & (self.swept != self.version))[0]
        if not len(todo):
            return False
        self.swept[todo] = self.version
        starts = anchors[np.argmax((cost - m[:, None])[:, todo], axis=0)]
        self.status[self.S.face_sweep(self.P, todo, starts)] = FROZEN
        return not self.live().any()

    def propose(self, m, cost):
        """Steps per face for the next box; when the budget allows none, single steps for a
        group of faces, cheapest first (then `single` is True)."""
        live = self.live()
        room = np.where(live, np.minimum(self.trust, self.cap - self.P), 0)
        s = allocate(cost, m, self.theta, room)
        single = not s.any()
        if single:
            cand = np.nonzero(live)[0]
            cand = cand[np.argsort((cost[:, cand] / np.maximum(m, 1e-300)[:, None]).max(axis=0))]
            self.group = min(self.group or len(cand), len(cand))
            s[cand[:self.group]] = 1
        return s, single

    def attempt(self, s, single: bool, cost, anchors):
        """Attack the proposal Q = P + s, then ask the float-only verifier. Returns the
        counterexamples that refute Q, or None when Q became P or the verifier gave no answer."""
        S, n, Q = self.S, self.n, self.P + s
        cex, worst = S.attack(Q, (cost, anchors))
        self.points = (worst + self.points)[:MAX_POINTS]
        if cex:
            S.attack_cex += 1
            return cex
        self.plans += 1
        left = self.deadline - self.reserve - time.perf_counter()
        t = time.perf_counter()
        ans = S.o.verify("flip", *self.g.box(Q[:n], Q[n:]), timeout=max(1.0, min(self.timeout or 20.0, left)),
                         proof=False)
        if ans.verdict == "unsat":     # the final proof is of P: its float call sets the reserve
            self.reserve = FINAL_COST * (time.perf_counter() - t)   # (the slowest call of any kind
            # did, and one 15 s call then ended the search 60 s before its budget)
            was_open = int(self.live().sum())
            grown = s == self.trust
            self.P, self.version = Q, self.version + 1
            self.trust[grown] = np.minimum(self.trust[grown] * 2, MAX_TRUST)
            self.theta, self.group = min(THETA, self.theta * 2), None
            if self.log:
                self.log(f"round {self.rounds}: proven +{int(s.sum())} steps ({int((s > 0).sum())} faces), "
                         f"frozen {int((self.status == FROZEN).sum())}, open {was_open}")
            return None
        if ans.verdict != "sat":
            self.theta /= 2
            self.trust[s > 0] = np.maximum(self.trust[s > 0] // 2, 1)
            if single:
                if self.group == 1:
                    self.status[s > 0] = DEAD
                self.group = max(1, self.group // 2)
            return None
        S.verifier_cex += 1
        return [np.array([float(v) for v in ans.point])]

    def learn(self, cex, s, single: bool) -> None:
        """Each counterexample, minimised, joins the critical points and freezes its face (one
        step beyond one face) or limits the trust steps of the faces it lies beyond."""
        S, P, frozen_any = self.S, self.P, False
        for x in cex:
            x, R = S.minimise(x, P)
            self.points = ([x] + self.points)[:MAX_POINTS]
            if len(R) != 1:
                self.trust[R] = np.maximum(np.minimum(self.trust[R], s[R]) // 2, 1)
                continue
            f = int(R[0])
            beyond = S.pos(x)[f] - P[f]
            if beyond == 1 and self.status[f] == ACTIVE:
                self.status[f], S.ev[f], frozen_any = FROZEN, x, True
            elif beyond > 1:
                self.trust[f] = min(self.trust[f], beyond - 1)
        if not frozen_any:     # the new critical point corrects the models; theta only shrinks
            self.theta *= THETA_BACKOFF   # for what the linearisation misses between corners
            if single:
                self.group = max(1, self.group // 2)
        if self.log:
            self.log(f"round {self.rounds}: refuted ({len(cex)} cex), frozen {int((self.status == FROZEN).sum())}, "
                     f"theta {self.theta:.3g}, open {int(self.live().sum())}")


def _evidence(oracle: Oracle, grid: Grid, S: Faces, status, P, proof: int) -> tuple[list, int]:
    """Per face off the boundary of D, a `flip` sat call one step beyond it (frozen faces, from
    their evidence point), else None; and how many faces have none."""
    n, faces, unknown = grid.n, [], 0
    for f in range(2 * n):
        if P[f] >= S.cap[f]:
            continue
        i, side = (f, "lower") if f < n else (f - n, "upper")
        j = None
        if status[f] == FROZEN:
            Q = P.copy()
            Q[f] += 1
            lo2, up2 = grid.box(Q[:n], Q[n:])
            # under float32 a flip point must be binary32 (spec 4.11): the grid snap rarely is
            for p in exact_point(lo2, up2, S.ev[f], lambda xf: grid.snap(xf, Q[:n], Q[n:]), oracle.float32):
                j = oracle.record_like("flip", proof, [[i, side, 1]], lo2, up2, p)
                if j is not None:
                    break
        if j is None:
            unknown += 1
        faces.append([int(i), side, j])
    return faces, unknown


def search(oracle: Oracle, grid: Grid, k: int, proof: int, budget: float = 110.0,
           timeout: float | None = None, restarts: int = 24, steps: int = 40, log=None, **_) -> MaximalResult:
    """Grow the apothem ball (proof `proof`) into a maximal box: rounds of float search, one
    proof of the final box, and the evidence of its faces."""
    t0 = time.perf_counter()
    deadline = t0 + budget
    v0, at0 = oracle.stats.verifier_calls, oracle.stats.attack_runs
    S = Faces(oracle, grid, restarts, steps)
    run = _Growth(S, grid, k, timeout, deadline, log)
    start = proven = run.P.copy()     # the last box with a proof (call `proof`)
    budget_hit = run.grow()
    n, P, status = grid.n, run.P, run.status
    if (P != proven).any():     # the float verdicts guided the search; the final box needs its proof
        left = max(1.0, deadline - time.perf_counter())
        ans = oracle.verify("flip", *grid.box(P[:n], P[n:]), timeout=max(left, 2 * run.reserve, timeout or 20.0))
        if ans.verdict == "unsat":
            proof = ans.index
        else:       # (float and exact disagree, or out of time) fall back; evidence is re-checked below
            P = proven
    faces, unknown = _evidence(oracle, grid, S, status, P, proof)
    r = MaximalResult(P[:n].copy(), P[n:].copy(), proof, faces, unknown == 0, k, oracle.stats.verifier_calls - v0,
                      oracle.stats.attack_runs - at0, run.rounds, run.plans, time.perf_counter() - t0, unknown,
                      int(np.sum(P > start)), budget_hit)
    r.stats = {"frozen": int((status == FROZEN).sum()), "dead": int((status == DEAD).sum()),
               "open": int(((status == ACTIVE) & (P < S.cap)).sum()),
               "attack_refuted_rounds": S.attack_cex, "verifier_refuted_rounds": S.verifier_cex}
    return r
