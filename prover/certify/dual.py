"""Dual certifications (spec/certification.md, claims `dual_box` and `dual_ball`): where in the
domain D can a point be (weakly) classified c at all?

Box version: per coordinate, bounds [lower_i, upper_i] such that no weakly-c point of D lies in
the slab beyond them. Per face (coordinate i, side):
1. Attack (batched over all faces): PGD on the `reach` objective with x_i pinned to the domain
   edge. A class-c point there puts the face on the boundary of D: nothing to prove.
2. Otherwise a bisection of attacks over the slab `x_i >= v` (or `<= v`) finds the farthest grid
   value v with a class-c witness; the verifier is then asked `reach` on the slab one step
   beyond, with a per-call timeout. `unsat`: the face sits there, with the proof and the
   witness one step inside (tightness). Anything else (timeout, unknown, sat): the face goes to
   the boundary of D — a larger dual box needs no proof, so the claim stays sound.
Faces not reached within the time budget also go to the boundary (reported as `skipped`).

Ball version: the smallest r such that the dual box lies in ball(r) — and then every face of
ball(r) off the boundary needs its own `reach` unsat proof (the slab beyond a ball face is
inside the slab beyond the dual box face, so these proofs are usually quick); if one fails the
ball claim is left out.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from . import attack as AT
from .inputs import Grid
from .oracle import Oracle


@dataclass
class DualResult:
    lower: list
    upper: list
    faces: list                       # [coord, side, proof, witness]
    ball_r: int | None = None
    ball_faces: list | None = None
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)

    def claims(self, grid: Grid) -> dict:
        out = {"dual_box": {"lower": self.lower, "upper": self.upper, "faces": self.faces}}
        if self.ball_r is not None:
            out["dual_ball"] = {"r_steps": self.ball_r, "faces": self.ball_faces}
        return out

    def row(self) -> dict:
        return {**{f"dual_{k}": v for k, v in self.counts.items()}, "dual_ball_r": self.ball_r,
                "dual_seconds": round(self.seconds, 3)}


def _reach_points(oracle: Oracle, LO, HI, restarts=4, steps=40):
    X, v = AT.pgd(oracle.net, LO, HI, oracle.label, -1, oracle.rng, restarts, steps)
    oracle.stats.attack_runs += len(LO)
    return X, v


def search(oracle: Oracle, grid: Grid, budget: float = 120.0, timeout: float = 10.0,
           faces: list | None = None, log=None) -> DualResult:
    """faces: optional subset [(coord, side)] to work on (the rest go to the boundary, `skipped`)."""
    t0 = time.perf_counter()
    deadline = t0 + budget
    n, lo, hi, d = grid.n, grid.lo, grid.hi, grid.delta
    lo_f, hi_f, df = float(lo), float(hi), grid.df
    G = grid.G
    all_faces = [(i, s) for s in ("lower", "upper") for i in range(n)]
    todo = all_faces if faces is None else [tuple(f) for f in faces]
    counts = {"faces": len(all_faces), "worked": len(todo), "edge_by_attack": 0, "proven": 0,
              "edge_gave_up": 0, "skipped": len(all_faces) - len(todo), "witnessed": 0}
    lower, upper = [lo] * n, [hi] * n
    entries = []
    # 1. batched attack with x_i pinned at the domain edge
    m = len(todo)
    LO, HI = np.full((m, n), lo_f), np.full((m, n), hi_f)
    for r, (i, s) in enumerate(todo):
        if s == "upper":
            LO[r, i] = hi_f
        else:
            HI[r, i] = lo_f
    _, v = _reach_points(oracle, LO, HI)
    rest = []
    for r, f in enumerate(todo):
        if v[r] < -1e-7:
            counts["edge_by_attack"] += 1          # a (float) class-c point on the edge: boundary face
        else:
            rest.append(f)
    # 2. farthest attack witness by bisection over grid values (in units of delta from lo)
    for i, s in rest:
        if time.perf_counter() > deadline:
            counts["skipped"] += 1
            continue
        good, bad = (int(round((grid.x[i] - lo) / d)), G)   # good: x* itself is class c
        if s == "lower":
            good, bad = -good, 0                            # work with -k so "outward" is up
        wit = None
        while abs(bad - good) > 1:
            mid = (good + bad) // 2
            a, b = np.full(n, lo_f), np.full(n, hi_f)
            val = lo_f + abs(mid) * df
            if s == "upper":
                a[i] = val
            else:
                b[i] = val
            X, vv = _reach_points(oracle, a[None], b[None], 8, 40)
            if vv[0] < -1e-7:
                good, wit = mid, X[0]
            else:
                bad = mid
        k_out = abs(bad)                                      # slab beyond: x_i >= k_out delta (upper)
        slab_lo, slab_hi = [lo] * n, [hi] * n
        if s == "upper":
            slab_lo[i] = lo + k_out * d
        else:
            slab_hi[i] = lo + k_out * d
        left = deadline - time.perf_counter()
        ans = oracle.verify("reach", slab_lo, slab_hi, timeout=max(1.0, min(timeout, left)))
        if ans.verdict != "unsat":
            counts["edge_gave_up"] += 1
            continue
        counts["proven"] += 1
        # witness one step inside: x_i >= (k_out - 1) delta (upper) / x_i <= (k_out + 1) delta (lower)
        wl, wh = list(slab_lo), list(slab_hi)
        if s == "upper":
            wl[i] = lo + (k_out - 1) * d
            upper[i] = slab_lo[i]
        else:
            wh[i] = lo + (k_out + 1) * d
            lower[i] = slab_hi[i]
        wj = None
        if wit is not None:
            p = _exact(wit, wl, wh, grid)
            wj = oracle.record_sat("reach", wl, wh, p) if p is not None else None
        counts["witnessed"] += wj is not None
        entries.append([int(i), s, ans.index, wj])
        if log:
            log(f"dual face {s} X_{i}: {k_out} -> proven")
    res = DualResult(lower, upper, entries, counts=counts)
    # 3. the ball version: the smallest r with the dual box inside ball(r)
    r = 0
    for i in range(n):
        if lower[i] == lo and grid.x[i] != lo:
            r = max(r, int(grid.cap_lo[i]))
        elif lower[i] != lo:
            r = max(r, -((lower[i] - grid.x[i]) // d) if lower[i] < grid.x[i] else 0)
        if upper[i] == hi and grid.x[i] != hi:
            r = max(r, int(grid.cap_hi[i]))
        elif upper[i] != hi:
            r = max(r, int(-((grid.x[i] - upper[i]) // d)))
    r = int(r)
    bl, bu = grid.ball(r)
    ball_faces, ok = [], True
    by_face = {(e[0], e[1]): e for e in entries}
    for i in range(n):
        for s, v in (("lower", bl[i]), ("upper", bu[i])):
            if v == (lo if s == "lower" else hi):
                continue
            if (s == "lower" and v == lower[i]) or (s == "upper" and v == upper[i]):
                e = by_face[(i, s)]
                ball_faces.append([i, s, e[2], e[3]])
                continue
            slab_lo, slab_hi = [lo] * n, [hi] * n
            if s == "upper":
                slab_lo[i] = v
            else:
                slab_hi[i] = v
            left = deadline - time.perf_counter()
            ans = oracle.verify("reach", slab_lo, slab_hi, timeout=max(1.0, min(timeout, left))) if left > 0 else None
            if ans is None or ans.verdict != "unsat":
                ok = False
                break
            ball_faces.append([i, s, ans.index, None])
        if not ok:
            break
    if ok:
        res.ball_r, res.ball_faces = r, ball_faces
    res.seconds = time.perf_counter() - t0
    return res


def _exact(x, lower, upper, grid: Grid):
    from fractions import Fraction
    k = np.rint((x - float(grid.lo)) / grid.df).astype(np.int64)
    p = [min(max(grid.lo + int(kk) * grid.delta, l), u) for kk, l, u in zip(k, lower, upper)]
    return p
