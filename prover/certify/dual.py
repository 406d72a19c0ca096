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
    n = grid.n
    all_faces = [(i, s) for s in ("lower", "upper") for i in range(n)]
    todo = all_faces if faces is None else [tuple(f) for f in faces]
    counts = {"faces": len(all_faces), "worked": len(todo), "edge_by_attack": 0, "proven": 0,
              "edge_gave_up": 0, "skipped": len(all_faces) - len(todo), "witnessed": 0}
    lower, upper = [grid.lo] * n, [grid.hi] * n
    entries = []
    for i, s in _off_the_edge(oracle, grid, todo, counts):
        if time.perf_counter() > deadline:
            counts["skipped"] += 1
            continue
        k_out, wit = _farthest_witness(oracle, grid, i, s)
        entry = _prove_face(oracle, grid, i, s, k_out, wit, min(timeout, deadline - time.perf_counter()))
        if entry is None:
            counts["edge_gave_up"] += 1
            continue
        counts["proven"] += 1
        counts["witnessed"] += entry[3] is not None
        entries.append(entry)
        if s == "upper":
            upper[i] = grid.lo + k_out * grid.delta
        else:
            lower[i] = grid.lo + k_out * grid.delta
        if log:
            log(f"dual face {s} X_{i}: {k_out} -> proven")
    res = DualResult(lower, upper, entries, counts=counts)
    r = _ball_radius(grid, lower, upper)
    ball_faces = _ball_faces(oracle, grid, r, lower, upper, entries, deadline, timeout)
    if ball_faces is not None:
        res.ball_r, res.ball_faces = r, ball_faces
    res.seconds = time.perf_counter() - t0
    return res


def _slab(grid: Grid, i: int, side: str, v) -> tuple[list, list]:
    """D with face `side` of coordinate i moved to v: the points beyond it."""
    slab_lo, slab_hi = [grid.lo] * grid.n, [grid.hi] * grid.n
    if side == "upper":
        slab_lo[i] = v
    else:
        slab_hi[i] = v
    return slab_lo, slab_hi


def _off_the_edge(oracle: Oracle, grid: Grid, todo: list, counts: dict) -> list:
    """Step 1: one batched attack with x_i pinned at the domain edge per face; a (float) class-c
    point there makes the face a boundary face. Returns the other faces."""
    n, lo_f, hi_f = grid.n, float(grid.lo), float(grid.hi)
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
            counts["edge_by_attack"] += 1
        else:
            rest.append(f)
    return rest


def _farthest_witness(oracle: Oracle, grid: Grid, i: int, s: str):
    """Step 2: the farthest attack witness by bisection over grid values (in units of delta from
    lo): the first grid step k_out beyond which the attack finds no class-c point, and the
    float point it found one step inside (None if it found none)."""
    n, lo_f, hi_f, df = grid.n, float(grid.lo), float(grid.hi), grid.df
    good, bad = (int(round((grid.x[i] - grid.lo) / grid.delta)), grid.G)   # good: x* itself is class c
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
    return abs(bad), wit


def _prove_face(oracle: Oracle, grid: Grid, i: int, s: str, k_out: int, wit, left: float):
    """Step 3: a `reach` unsat proof for the slab beyond k_out (x_i >= k_out delta, upper), and a
    `reach` sat call one step inside from the witness; the face's entry, or None unproven."""
    d = grid.delta
    slab_lo, slab_hi = _slab(grid, i, s, grid.lo + k_out * d)
    ans = oracle.verify("reach", slab_lo, slab_hi, timeout=max(1.0, left))
    if ans.verdict != "unsat":
        return None
    # witness one step inside: x_i >= (k_out - 1) delta (upper) / x_i <= (k_out + 1) delta (lower)
    wl, wh = list(slab_lo), list(slab_hi)
    if s == "upper":
        wl[i] = grid.lo + (k_out - 1) * d
    else:
        wh[i] = grid.lo + (k_out + 1) * d
    wj = None
    if wit is not None:
        p = _exact(wit, wl, wh, grid)
        wj = oracle.record_sat("reach", wl, wh, p) if p is not None else None
    return [int(i), s, ans.index, wj]


def _ball_radius(grid: Grid, lower, upper) -> int:
    """Step 4: the smallest r with the dual box inside ball(r)."""
    lo, hi, d, r = grid.lo, grid.hi, grid.delta, 0
    for i in range(grid.n):
        if lower[i] == lo and grid.x[i] != lo:
            r = max(r, int(grid.cap_lo[i]))
        elif lower[i] != lo:
            r = max(r, -((lower[i] - grid.x[i]) // d) if lower[i] < grid.x[i] else 0)
        if upper[i] == hi and grid.x[i] != hi:
            r = max(r, int(grid.cap_hi[i]))
        elif upper[i] != hi:
            r = max(r, int(-((grid.x[i] - upper[i]) // d)))
    return int(r)


def _ball_faces(oracle: Oracle, grid: Grid, r: int, lower, upper, entries, deadline: float, timeout: float):
    """Step 5: the ball version's faces: the dual box's own where they coincide, else a fresh
    `reach` unsat proof of the slab beyond; None if one fails."""
    bl, bu = grid.ball(r)
    ball_faces = []
    by_face = {(e[0], e[1]): e for e in entries}
    for i in range(grid.n):
        for s, v in (("lower", bl[i]), ("upper", bu[i])):
            if v == (grid.lo if s == "lower" else grid.hi):
                continue
            if (s == "lower" and v == lower[i]) or (s == "upper" and v == upper[i]):
                e = by_face[(i, s)]
                ball_faces.append([i, s, e[2], e[3]])
                continue
            left = deadline - time.perf_counter()
            ans = oracle.verify("reach", *_slab(grid, i, s, v), timeout=max(1.0, min(timeout, left))) if left > 0 else None
            if ans is None or ans.verdict != "unsat":
                return None
            ball_faces.append([i, s, ans.index, None])
    return ball_faces


def _exact(x, lower, upper, grid: Grid):
    k = np.rint((x - float(grid.lo)) / grid.df).astype(np.int64)
    p = [min(max(grid.lo + int(kk) * grid.delta, l), u) for kk, l, u in zip(k, lower, upper)]
    return p
