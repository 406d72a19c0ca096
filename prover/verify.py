"""One query end to end: load, falsify, search every disjunct in float (phase 1, prover/search.py),
then replay and emit the proof exactly (phase 2, prover/emit.py); an `unsat` is reported only when
the Session accepted the whole proof."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

from apothem_check.network import Network
from apothem_check.vnnlib import Property

from .emit import Emitter
from .problem import DisjunctData, Problem
from .proof import ProofLog, write_sat_proof
from .replay import replay_in_parallel
from .search import Search
from .tree import Clock, Found, GiveUp, Node, Settings, Stats, Timeout


@dataclass
class Outcome:
    verdict: str                       # sat | unsat | unknown | timed-out
    inputs: list | None = None         # exact counterexample (sat)
    outputs: list | None = None
    reason: str = ""
    stats: dict = field(default_factory=dict)


def verify(network: Network, prop: Property, proof_path: str | None, timeout: float | None = None,
           progress: bool = False, proof: bool = True, settings: Settings | None = None) -> Outcome:
    t0 = time.monotonic()
    settings = settings or Settings()
    clock = Clock(t0 + (timeout if timeout else 1e12), progress)
    problem = Problem.of(network, prop)
    log = ProofLog(network, prop, proof_path, verify=proof)
    stats = Stats()
    search = Search(problem, clock, stats, settings)
    emitter = Emitter(log, clock, stats)

    def report():
        return {"nodes": stats.nodes, "closed": stats.closed,
                "bounds_steps": dict(stats.bounds_steps), "rejected_closes": stats.rejected,
                "lp_leaves": stats.lp_leaves,
                "steps": log.steps,
                "float_seconds": round(stats.float_seconds, 3),
                "exact_seconds": round(log.exact_seconds, 3),
                "seconds": round(time.monotonic() - t0, 3)}

    try:
        closest = {}
        for d in problem.disjuncts:
            closest[d.index] = search.falsifier.attack(d)
            clock.tick(stats, 0)
        # every float tree before any exact work (a Found makes that work moot), the trees of
        # the disjuncts nearest to a violation first: a counterexample comes before the others
        groups = sorted(search.groups(), key=lambda g: min(closest[d.index] for d in g))
        trees = [(group, search.search(group)) for group in groups]
        for group, tree in sorted(trees, key=lambda t: t[0][0].index):
            _emit(search, emitter, group, tree, settings.jobs)
        clock.done()
        if log.finish_unsat():
            return Outcome("unsat", stats=report())
        return Outcome("unknown", reason="final unsat step rejected", stats=report())
    except Found as f:
        clock.done()
        log.abandon()
        ys = network.evaluate(f.xs)
        if not write_sat_proof(network, prop, proof_path, f.disjunct, f.xs, verify=proof):
            return Outcome("unknown", reason="counterexample rejected by the exact check", stats=report())
        return Outcome("sat", list(f.xs), [Fraction(v) for v in ys], stats=report())
    except Timeout:
        clock.done()
        log.abandon()
        return Outcome("timed-out", stats=report())
    except GiveUp as g:
        clock.done()
        log.abandon()
        return Outcome("unknown", reason=str(g), stats=report())
    except BaseException:
        log.abandon()
        raise


def _emit(search: Search, emitter: Emitter, group: list[DisjunctData], root: Node, jobs: int) -> None:
    """Phase 2 for one tree, split over `jobs` processes when there is more than one. Each close
    the Session rejects goes back to phase 1, and the subtree it builds is replayed in its place."""
    def work(nodes: list[Node]) -> None:
        stack = list(reversed(nodes))
        while (again := emitter.replay(group, stack)) is not None:
            stack.append(search.again(group, again))

    emitter.root(group, root)
    if jobs <= 1 or emitter.log.session is None:
        work([root])
    else:
        replay_in_parallel(work, emitter.log, emitter.clock, emitter.stats, emitter.frontier(root, 4 * jobs), jobs)
