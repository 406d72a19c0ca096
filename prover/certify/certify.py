"""One input end to end: apothem ball, optional maximal box and dual certifications, bundle."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from fractions import Fraction

from ..semantics import DEFAULT_SEMANTICS, fold
from . import apothem as AP
from . import dual as DU
from . import maximal as MX
from .bundle import build, self_check, write
from .inputs import CertifyError, Grid, prediction, read_input
from .oracle import Oracle


@dataclass
class Options:
    lo: Fraction = Fraction(0)
    hi: Fraction = Fraction(1)
    grid: int = 255
    timeout: float = 30.0            # per verifier call
    maximal: bool = False
    maximal_budget: float = 110.0
    maximal_timeout: float = 20.0
    dual: bool = False
    dual_timeout: float = 10.0
    dual_budget: float = 120.0
    seed: int = 0
    check: bool = True               # run the independent bundle checker in-process
    snap: bool = True
    semantics: str = DEFAULT_SEMANTICS  # of every proof, point and label (spec/certification.md)


@dataclass
class Result:
    name: str
    label: int
    row: dict = field(default_factory=dict)
    bundle_path: str | None = None
    verdict: str | None = None
    check_lines: list = field(default_factory=list)
    box: tuple | None = None


def certify_one(network, model_path, input_path, out_path, opts: Options, label: int | None = None,
                log=None) -> Result:
    t0 = time.perf_counter()
    network = fold(network, opts.semantics)
    inp = read_input(input_path, opts.lo, opts.hi, opts.grid, snap=opts.snap)
    if len(inp.x) != network.n_inputs:
        raise CertifyError(f"{input_path}: {len(inp.x)} values, the network has {network.n_inputs} inputs")
    pred, _ = prediction(network, inp.x)
    if pred is None:
        raise CertifyError(f"{input_path}: the network's output has a tie for the maximum: no predicted class")
    if label is not None and int(label) != pred:
        raise CertifyError(f"{input_path}: --label {label} is not the network's exact prediction ({pred})")
    grid = Grid(inp.x, opts.lo, opts.hi, opts.grid)
    oracle = Oracle(network, pred, timeout=opts.timeout, seed=opts.seed)
    timings, claims, row = {}, {}, {}
    try:
        ap = AP.search(oracle, grid)
        timings["apothem"] = round(ap.seconds, 3)
        c = ap.claim()
        if c is not None:
            claims["apothem"] = c
        row.update({"label": pred, "apothem_k": ap.k, "apothem": float(ap.k * grid.delta) if ap.k is not None else None,
                    "apothem_optimal": ap.optimal, "apothem_hi": ap.hi, "apothem_whole_domain": ap.whole_domain,
                    "apothem_verifier_calls": ap.verifier_calls, "apothem_attack_runs": ap.attack_runs,
                    "apothem_unknowns": len(ap.unknown_at), "apothem_seconds": round(ap.seconds, 3)})
        row["apothem_oracle_calls"] = len(oracle.calls)
        box = grid.ball(ap.k) if ap.k is not None else None
        if opts.maximal and ap.k is not None:
            n_before = len(oracle.calls)
            mx = MX.search(oracle, grid, ap.k, ap.proof, budget=opts.maximal_budget, timeout=opts.maximal_timeout)
            claims["maximal"] = mx.claim(grid)
            timings["maximal"] = round(mx.seconds, 3)
            box = grid.box(mx.a, mx.b)
            m = MX.box_metrics(grid, *box)
            row.update({"maximal_shown": mx.shown, "maximal_faces_not_shown": mx.unknown_faces,
                        "maximal_faces_moved": mx.faces_moved, "maximal_faces_off_boundary": len(mx.faces),
                        "maximal_faces_at_limit": len(mx.faces) - mx.unknown_faces, "maximal_rounds": mx.rounds,
                        "maximal_oracle_calls": len(oracle.calls) - n_before, "maximal_verifier_calls": mx.verifier_calls,
                        "maximal_plans": mx.plans, "maximal_seconds": round(mx.seconds, 3),
                        "box_apothem": m["apothem"], "box_min_edge": m["min_edge"], "box_log_volume": m["log_volume"],
                        "box_mean_edge": m["mean_edge"], "maximal_budget_hit": mx.budget_hit,
                        **{f"maximal_{k}": v for k, v in mx.stats.items()}})
        if box is not None and "box_min_edge" not in row:
            m = MX.box_metrics(grid, *box)
            row.update({"box_apothem": m["apothem"], "box_min_edge": m["min_edge"], "box_log_volume": m["log_volume"],
                        "box_mean_edge": m["mean_edge"]})
        if opts.dual:
            d = DU.search(oracle, grid, budget=opts.dual_budget, timeout=opts.dual_timeout)
            claims.update(d.claims(grid))
            timings["dual"] = round(d.seconds, 3)
            row.update(d.row())
        timings["total"] = round(time.perf_counter() - t0, 3)
        s = oracle.stats
        row.update({"oracle_calls": len(oracle.calls), "verifier_calls": s.verifier_calls,
                    "verifier_seconds": round(s.verifier_seconds, 3), "attack_runs": s.attack_runs,
                    "unknown_calls": sum(1 for c in oracle.calls if c["verdict"] == "unknown"),
                    "seconds": timings["total"]})
        result = Result(os.path.basename(str(input_path)), pred, row, box=box)
        if out_path is not None and claims:
            bundle = build(network.sha256, inp.x, inp.sha256, opts.lo, opts.hi, opts.grid, pred, oracle.calls,
                           claims, timings, extra={"stats": {k: v for k, v in row.items() if v is not None},
                                                   "semantics": opts.semantics})
            row["bundle_bytes"] = write(bundle, out_path)
            result.bundle_path = str(out_path)
            if opts.check:
                t = time.perf_counter()
                result.verdict, result.check_lines = self_check(out_path, network)
                row["check_seconds"] = round(time.perf_counter() - t, 3)
                row["check"] = result.verdict
        return result
    finally:
        oracle.close()
