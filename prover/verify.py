"""One query end to end: load, falsify, search every disjunct in float, then replay and emit the
proof exactly (an `unsat` is reported only when the Session accepted the whole proof)."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

from .problem import Problem
from .proof import ProofLog, write_sat_proof
from .search import Found, GiveUp, Search, Settings, Timeout


@dataclass
class Outcome:
    verdict: str                       # sat | unsat | unknown | timed-out
    inputs: list | None = None         # exact counterexample (sat)
    outputs: list | None = None
    reason: str = ""
    stats: dict = field(default_factory=dict)


def verify(network, prop, proof_path: str | None, timeout: float | None = None, progress: bool = False,
           proof: bool = True, settings: Settings | None = None) -> Outcome:
    t0 = time.monotonic()
    deadline = t0 + (timeout if timeout else 1e12)
    problem = Problem.of(network, prop)
    log = ProofLog(network, prop, proof_path, verify=proof)
    search = Search(problem, log, deadline, progress, settings)

    def stats():
        return {"nodes": search.stats.nodes, "closed": search.stats.closed,
                "bounds_steps": dict(search.stats.bounds_steps), "rejected_closes": search.stats.rejected,
                "lp_leaves": search.stats.lp_leaves,
                "steps": log.steps,
                "float_seconds": round(search.stats.float_seconds, 3),
                "exact_seconds": round(log.exact_seconds, 3),
                "seconds": round(time.monotonic() - t0, 3)}

    try:
        closest = {}
        for d in problem.disjuncts:
            closest[d.index] = search.attack(d)
            search.tick()
        # every float tree before any exact work (a Found makes that work moot), the trees of
        # the disjuncts nearest to a violation first: a counterexample comes before the others
        groups = sorted(search.groups(), key=lambda g: min(closest[d.index] for d in g))
        trees = [(group, search.search(group)) for group in groups]
        for group, tree in sorted(trees, key=lambda t: t[0][0].index):
            search.emit(group, tree)
        search.done_progress()
        if log.finish_unsat():
            return Outcome("unsat", stats=stats())
        return Outcome("unknown", reason="final unsat step rejected", stats=stats())
    except Found as f:
        search.done_progress()
        log.abandon()
        ys = network.evaluate(f.xs)
        if not write_sat_proof(network, prop, proof_path, f.disjunct, f.xs, verify=proof):
            return Outcome("unknown", reason="counterexample rejected by the exact check", stats=stats())
        return Outcome("sat", list(f.xs), [Fraction(v) for v in ys], stats=stats())
    except Timeout:
        search.done_progress()
        log.abandon()
        return Outcome("timed-out", stats=stats())
    except GiveUp as g:
        search.done_progress()
        log.abandon()
        return Outcome("unknown", reason=str(g), stats=stats())
    except BaseException:
        log.abandon()
        raise
