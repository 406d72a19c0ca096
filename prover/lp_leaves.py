"""LP leaves: ReLU-split nodes with every ReLU fixed are linear programs, which an LP solver
decides (engine/leaf_lp.py) where the float certificate did not close them.
"""
from __future__ import annotations

import numpy as np

from .engine.certificate import Certificate, evaluate, hints_of, round_certificate
from .engine.leaf_lp import solve_leaf
from .engine.model import FloatNet
from .falsify import Falsifier
from .problem import DisjunctData
from .tree import CLOSE_MARGIN, Node, at


def close_linear_programs(net: FloatNet, falsifier: Falsifier, d: DisjunctData, batch: list[Node], b,
                          lo, hi, L, U, SIG) -> int:
    """Nodes with every ReLU fixed are linear programs: an LP solver decides them
    (engine/leaf_lp.py). Empty: its duals are the closing certificate (rounded and
    re-evaluated like any other); not empty: its point is a counterexample candidate.
    What it leaves undecided (a margin below float resolution) makes the search give up
    (relu_split.py): the checker has no other leaf rule (spec 4.6). Returns how many leaves it
    closed."""
    H = len(L)
    lp = [i for i, n in enumerate(batch) if n.hints is None and not n.force_split and b[i] <= CLOSE_MARGIN
          and not any(np.any((L[h][i] < 0) & (U[h][i] > 0)) for h in range(H))]
    empty = []
    for i in lp:
        sol = solve_leaf(net, lo[i], hi[i], [v[i] for v in L], [v[i] for v in SIG], d.A, d.const)
        if sol is None:
            continue
        # the point is checked even when t > 0: t within the solver's tolerance (1e-7) of 0
        # is a tie the LP cannot settle, where the network itself (the real ReLUs at the
        # point) may still show a counterexample
        falsifier.check_candidates(d, sol.x[None])
        if sol.t > 0:
            empty.append((i, sol))
    if not empty:
        return 0
    ix = np.array([i for i, _ in empty])
    Li, Ui, Si = at(L, ix), at(U, ix), at(SIG, ix)   # the empty leaves' rows, sliced once
    lam = np.stack([s.lambdas for _, s in empty])
    if d.A.shape[0] and np.any(lam.max(axis=1) <= 0):  # the splits alone are contradictory
        lam = np.maximum(lam, 1e-9 * np.max([np.max(np.concatenate(s.betas)) for _, s in empty]))
    found = Certificate(np.array([s.t for _, s in empty]), lam, [np.zeros_like(v) for v in Li],
                        [np.stack([s.betas[h] for _, s in empty]) for h in range(H)], None, None, None)
    # full float precision: a leaf the LP shows empty by 1e-7 lost that much to 30-bit
    # hints (ppnn maximal-box boxes) and could not be closed
    lam_r, al_r, be_r = round_certificate(found, Li, Ui, Si, bits=52)
    got = evaluate(net, lo[ix], hi[ix], Li, Ui, d.A, d.const, lam_r, al_r, Si, be_r).bound[:, 0]
    closed = 0
    for r, i in enumerate(ix):
        if got[r] > CLOSE_MARGIN:
            batch[i].hints = {d.index: hints_of(r, lam_r, al_r, be_r, Li, Ui)}
            closed += 1
    return closed
