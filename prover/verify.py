"""One query end to end: load, falsify, search every disjunct in float (phase 1, prover/search.py),
then replay and emit the proof exactly (phase 2, prover/emit.py); an `unsat` is reported only when
the Session accepted the whole proof."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from apothem_check.errors import InputError
from apothem_check.network import Network
from apothem_check.vnnlib import Property

from .emit import Emitter
from .problem import DisjunctData, Problem
from .proof import ProofLog, write_sat_proof
from .replay import replay_in_parallel
from .search import Search
from .semantics import outputs
from .tree import Again, Clock, Found, GiveUp, Node, Settings, Stats, Timeout


@dataclass
class Outcome:
    verdict: str                       # sat | unsat | unknown | timed-out
    inputs: list | None = None         # exact counterexample (sat)
    outputs: list | None = None
    reason: str = ""
    stats: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)   # e.g. an empty input box (a vacuous unsat)


# the largest float64: the prover searches in float64, and a bound beyond it (VNN-LIB allows
# `1e400`) has no float box containing it
FLOAT_MAX = Fraction(sys.float_info.max)


def check_supported(prop) -> None:
    """InputError for a property the float search cannot represent: a bound or coefficient
    beyond float64 (the checker reads such a file exactly; the prover would have to round it
    to infinity)."""
    for k, d in enumerate(prop.disjuncts):
        numbers = [("input bound of X_%d" % i, v) for side in (d.lower, d.upper) for i, v in enumerate(side)]
        numbers += [("output constraint %d" % c, v) for c, oc in enumerate(d.constraints) for v in (*oc.coeffs, oc.const)]
        for what, v in numbers:
            if abs(Fraction(v)) > FLOAT_MAX:
                raise InputError("VNNLIB_RANGE", f"disjunct {k}: {what} is {_short(v)}, "
                                 "beyond the float64 range (about 1.8e308) the prover searches in")


def _short(v) -> str:
    q = Fraction(v)
    digits = len(str(abs(q.numerator) // q.denominator))
    return f"{'-' if q < 0 else ''}about 1e{digits - 1}"


def empty_boxes(prop) -> list[str]:
    """Why each disjunct whose input box is empty is empty (no input satisfies it, so it has no
    counterexample: an `unsat` about it is vacuous), e.g. 'disjunct 0: X_3 >= 0.5 and X_3 <= 0.25'."""
    out = []
    for k, d in enumerate(prop.disjuncts):
        for i, (lo, hi, ls, hs) in enumerate(zip(d.lower, d.upper, d.lower_strict, d.upper_strict)):
            if lo > hi or (lo == hi and (ls or hs)):
                out.append(f"disjunct {k}: X_{i} {'>' if ls else '>='} {Fraction(lo)} and "
                           f"X_{i} {'<' if hs else '<='} {Fraction(hi)}")
                break
    return out


def verify(network: Network, prop: Property, proof_path: str | None, timeout: float | None = None,
           progress: bool = False, proof: bool = True, settings: Settings | None = None) -> Outcome:
    """Decide `prop` on `network`; the proof goes to `proof_path` (None: no proof file) only if
    the in-process checker Session accepted every step. InputError for a property the float
    search cannot represent (`check_supported`). A query whose every input box is empty is
    answered `unsat` like any other (no input satisfies it, so no counterexample exists; the
    checker accepts the proof) with a warning naming the empty boxes: it is almost certainly a
    mistake in the query, and a bare `unsat` would hide it."""
    check_supported(prop)
    out = _decide(network, prop, proof_path, timeout, progress, proof, settings)
    empty = empty_boxes(prop)
    if empty and len(empty) == len(prop.disjuncts):
        out.warnings.append("the query is vacuous: every input box is empty, so no input satisfies it and it "
                            "has no counterexample (" + "; ".join(empty) + ")")
    elif empty:
        out.warnings.append("some input boxes are empty and add nothing to the query (" + "; ".join(empty) + ")")
    return out


def _decide(network: Network, prop: Property, proof_path: str | None, timeout: float | None, progress: bool,
            proof: bool, settings: Settings | None) -> Outcome:
    t0 = time.monotonic()
    settings = settings or Settings()
    clock = Clock(t0 + (timeout if timeout is not None else 1e12), progress)  # timeout <= 0: at once
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
        with clock.bounded():
            closest = {}
            for d in problem.disjuncts:  # a disjunct its root bounds refute has no counterexample to find
                closest[d.index] = np.inf if search.refuted_at_root(d) else search.falsifier.attack(d)
                clock.tick(stats, 0)
            # every float tree before any exact work (a Found makes that work moot), the trees of
            # the disjuncts nearest to a violation first: a counterexample comes before the others
            groups = sorted(search.groups(), key=lambda g: min(closest[d.index] for d in g))
            trees = [(group, search.search(group)) for group in groups]
        for group, tree, closing in _plan(search, trees):
            _emit(search, emitter, group, tree, settings.jobs, closing)
        clock.done()
        if log.finish_unsat():
            return Outcome("unsat", stats=report())
        return Outcome("unknown", reason="final unsat step rejected", stats=report())
    except Found as f:
        clock.done()
        log.abandon()
        xs = f.xs  # under float32 already binary32 (falsify.py tries only those)
        if not write_sat_proof(network, prop, proof_path, f.disjunct, xs, verify=proof):
            return Outcome("unknown", reason="counterexample rejected by the exact check", stats=report())
        ys = outputs(network, xs)
        return Outcome("sat", list(xs), [Fraction(v) for v in ys], stats=report())
    except Timeout:
        clock.done()
        log.abandon()
        return Outcome("timed-out", stats=report())
    except GiveUp as g:
        clock.done()
        log.abandon()
        return Outcome("unknown", reason=str(g), stats=report())
    except BaseException:
        clock.done()
        log.abandon()
        raise


def _plan(search: Search, trees: list) -> list:
    """(group, tree, closing) per emission, in disjunct order. Under ReLU splitting each disjunct has its own
    tree, but the disjuncts of one box (a robustness query's other classes) share its root's bounds steps:
    the trees that close at their root (`closing`) and the first that splits (`tree`, None if none does) go
    under one root (Emitter.shared_root; mnist_fc 256x4 prop_2: 54 `bounds layer` steps become 6); any other
    splitting tree keeps a root of its own, since below a shared node each of its leaves would have to close
    the others' disjuncts too."""
    trees = sorted(trees, key=lambda t: t[0][0].index)
    if search.low_dim:
        return [(group, tree, []) for group, tree in trees]
    boxes: dict = {}
    for group, tree in trees:
        boxes.setdefault(group[0].box, []).append((group[0], tree))
    plan = []
    for members in boxes.values():
        closing = [m for m in members if m[1].hints is not None]
        splitting = sorted((m for m in members if m[1].hints is None), key=lambda m: m[1].layer_steps is None)
        if len(closing) + min(len(splitting), 1) < 2:
            plan.extend(([d], tree, []) for d, tree in members)
            continue
        first = splitting[:1]
        plan.append(([d for d, _ in first], first[0][1] if first else None, closing))
        plan.extend(([d], tree, []) for d, tree in splitting[1:])
    return plan


def _emit(search: Search, emitter: Emitter, group: list[DisjunctData], root: Node | None, jobs: int,
          closing: list) -> None:
    """Phase 2 for one tree (below the shared root of `closing`'s trees when there are any: `_plan`; then
    `root` may be None), split over `jobs` processes when there is more than one. Each close
    the Session rejects goes back to phase 1, and the subtree it builds is replayed in its place."""
    def work(nodes: list[Node]) -> None:  # in this process or in a forked one: each arms its own alarm
        with emitter.clock.bounded():
            stack = list(reversed(nodes))
            while (again := emitter.replay(group, stack)) is not None:
                stack.append(search.again(group, again))

    with emitter.clock.bounded():  # the root step (whose first use builds the Session) and the tree's top, unforked
        if closing:  # a rejected close at the shared root is searched again, as below (when it is alone there)
            node, rejected = emitter.shared_root(closing, (group[0], root) if root else None)
            if rejected and (root is not None or len(rejected) > 1):
                raise GiveUp(f"closes of disjuncts {[d.index for d in rejected]} rejected at a shared root")
            if rejected:
                group, root = rejected, search.again(rejected, Again(node, emitter.log.session.open.get(node)))
            if root is None:
                return
        else:
            emitter.root(group, root)
        parallel = jobs > 1 and emitter.log.session is not None
        frontier = emitter.frontier(root, 4 * jobs) if parallel else [root]
    if parallel:
        replay_in_parallel(work, emitter.log, emitter.clock, emitter.stats, frontier, jobs)
    else:
        work(frontier)
