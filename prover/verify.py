"""One query end to end: load, falsify, search every disjunct in float, then replay and emit the
proof exactly (an `unsat` is reported only when the Session accepted the whole proof)."""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from fractions import Fraction

from apothem_check.errors import InputError

from .problem import Problem
from .progress import SearchProgress
from .proof import ProofLog, write_sat_proof
from .search import Found, GiveUp, Search, Settings, Timeout


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


def verify(network, prop, proof_path: str | None, timeout: float | None = None, progress: bool = False,
           proof: bool = True, settings: Settings | None = None) -> Outcome:
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


def _decide(network, prop, proof_path, timeout, progress, proof, settings) -> Outcome:
    t0 = time.monotonic()
    deadline = t0 + (timeout if timeout else 1e12)
    problem = Problem.of(network, prop)
    log = ProofLog(network, prop, proof_path, verify=proof)
    search = Search(problem, log, deadline, SearchProgress() if progress else None, settings)

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
        search.done_progress()
        log.abandon()
        raise
