"""Apothem-optimal certification: the largest k with ball(k) = B_inf(x*, k delta) ∩ D robust.

Robustness is monotone in k. The falsifier brackets the answer from above cheaply (exponential
then binary search over k with attacks only); the verifier then proves the lower end, first at
the bet `k_att - 1` (usually right: 1 verifier call), then by bisection. An `unknown` caps the
search below it: the result stays sound (the proven k) and is reported as not shown optimal.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from .inputs import Grid
from .oracle import Oracle


@dataclass
class ApothemResult:
    k: int | None                 # proven radius in grid steps (None: not even k = 0 proven)
    proof: int | None             # call index of flip(ball(k)) unsat
    hi: int | None                # smallest k' with a flip(ball(k')) sat call (None: none found)
    refuted_by: int | None        # the sat call on ball(hi)
    optimal: bool
    whole_domain: bool            # ball(k) = D and it is robust (nothing to refute)
    verifier_calls: int = 0
    attack_runs: int = 0
    seconds: float = 0.0
    unknown_at: list = field(default_factory=list)

    def claim(self) -> dict | None:
        if self.k is None:
            return None
        return {"k": self.k, "proof": self.proof, "refuted_by": self.refuted_by,
                "bracket": [self.k, self.hi]}


def _sat_on_ball(oracle: Oracle, grid: Grid, point) -> tuple[int, int | None]:
    """Record a flip sat call on ball(d), d the point's grid distance from x*."""
    d = grid.distance(point)
    return d, oracle.record_sat("flip", *grid.ball(d), point)


def attack_ball(oracle: Oracle, grid: Grid, k: int):
    a, b = grid.ball_steps(k)
    lower, upper = grid.box(a, b)
    return oracle.falsify("flip", lower, upper, grid.float_box(a, b), lambda xf: grid.snap(xf, a, b))


def search(oracle: Oracle, grid: Grid, timeout: float | None = None) -> ApothemResult:
    t0 = time.perf_counter()
    v0, a0 = oracle.stats.verifier_calls, oracle.stats.attack_runs
    hi, hi_call = None, None          # smallest k known not robust, and its sat call

    def note_sat(point):
        nonlocal hi, hi_call
        d, idx = _sat_on_ball(oracle, grid, point)
        if idx is not None and (hi is None or d < hi):
            hi, hi_call = d, idx

    # 1. attacks: exponential, then bisection, for the smallest k the falsifier breaks
    k, prev = 1, 0
    while True:
        p = attack_ball(oracle, grid, min(k, grid.kmax))
        if p is not None:
            note_sat(p)
            break
        if k >= grid.kmax:
            break
        prev, k = k, 2 * k
    if hi is not None:
        lo_att = prev                 # the attack failed at prev (or prev = 0)
        while hi - lo_att > 1:
            mid = (lo_att + hi) // 2
            p = attack_ball(oracle, grid, mid)
            if p is not None:
                note_sat(p)
            else:
                lo_att = mid
    # 2. verifier: prove the lower end
    lo, lo_call = -1, None            # largest k proven robust
    cap = grid.kmax if hi is None else hi   # candidates are < cap (or == kmax when nothing refuted)
    unknown_at = []
    first = hi is not None             # bet on the attack's bracket being tight
    top = cap if hi is None else cap - 1    # largest candidate
    while lo < top:
        mid = top if first else (lo + top + 1) // 2
        first = False
        a, b = grid.ball_steps(mid)
        lower, upper = grid.box(a, b)
        ans = oracle.ask("flip", lower, upper, grid.float_box(a, b), lambda xf, a=a, b=b: grid.snap(xf, a, b),
                         timeout=timeout)
        if ans.verdict == "unsat":
            lo, lo_call = mid, ans.index
        elif ans.verdict == "sat":
            d = grid.distance(ans.point)
            if hi is None or d < hi:
                hi, hi_call = d, (ans.index if d == mid else oracle.record_sat("flip", *grid.ball(d), ans.point))
            top = min(top, hi - 1)
        else:
            unknown_at.append(mid)
            top = mid - 1
    optimal = lo_call is not None and hi is not None and hi == lo + 1
    whole = lo_call is not None and hi is None and lo == grid.kmax
    return ApothemResult(lo if lo_call is not None else None, lo_call, hi, hi_call, optimal, whole,
                         oracle.stats.verifier_calls - v0, oracle.stats.attack_runs - a0,
                         time.perf_counter() - t0, unknown_at)
