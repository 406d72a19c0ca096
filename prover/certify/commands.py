"""The `apothem certify` and `apothem audit` commands (their arguments: certify/cli.py).

Errors are raised (UsageError, InputError, CertifyError, OutputError) and turned into one stderr
line and the exit status by prover/cli.py's `main`, the same for every subcommand. Every output
target is checked before the first input is read.
"""
from __future__ import annotations

import os
import statistics
import sys
from fractions import Fraction
from pathlib import Path

from ..api import load_network
from ..outfile import check_directory, check_target
from ..usage import UsageError
from .audit import audit
from .batch import input_files, run_batch, write_csv
from .certify import Options, certify_one
from .inputs import step_text
from .report import write_report


def _domain(args) -> tuple[Fraction, Fraction]:
    lo, hi = args.domain
    if not lo < hi:
        raise UsageError(f"--domain LO HI needs LO < HI, got {lo} {hi}")
    return lo, hi


def apothem_sentence(row: dict, step: str, delta: Fraction) -> str:
    """The certified radius in plain words, e.g. 'class 3 is robust up to apothem 0.129 (33 steps
    of 1/255), shown optimal: a counterexample at 34 steps'."""
    k, hi = row.get("apothem_k"), row.get("apothem_hi")
    if k is None:
        return f"class {row.get('label')}: no radius proven robust, not even 0"
    head = f"class {row['label']} is robust up to apothem {float(k * delta):.3g} ({k} steps of {step})"
    if row.get("apothem_whole_domain"):
        return head + ": the whole domain"
    if row.get("apothem_optimal"):
        return head + f", shown optimal: a counterexample at {hi} steps"
    if hi is None:
        return head + ", not shown optimal: no counterexample found at any larger radius"
    return head + f", not shown optimal: the true apothem is between {k} and {hi - 1} steps"


def run_certify(args) -> int:
    lo, hi = _domain(args)
    opts = Options(lo, hi, args.grid, timeout=args.timeout, maximal=args.maximal, dual=args.dual,
                   maximal_budget=args.maximal_budget, check=not args.no_check, snap=not args.exact_input,
                   semantics=args.semantics)
    if args.input:
        for name in ("csv", "report", "workers", "cluster"):
            if getattr(args, name) not in (None, 1):
                raise UsageError(f"--{name} goes with --inputs (a batch), not --input")
        out = check_target(args.out or (Path(args.input).stem + ".bundle"), "bundle file")
        net = load_network(args.network)
        r = certify_one(net, args.network, args.input, out, opts, args.label)
        row = r.row
        delta = (hi - lo) / args.grid
        print(apothem_sentence(row, step_text(lo, hi, args.grid), delta))
        print(f"oracle calls {row.get('oracle_calls')} (verifier {row.get('verifier_calls')}); {row.get('seconds')} s")
        if "maximal_shown" in row:
            print(f"maximal box: {'shown maximal' if row['maximal_shown'] else '%d faces not shown at their limit' % row['maximal_faces_not_shown']};"
                  f" shortest edge {row['box_min_edge']:.4f}, log-volume {row['box_log_volume']:.2f}, faces moved {row['maximal_faces_moved']}")
        if r.bundle_path:
            print(f"bundle {r.bundle_path}: {r.verdict or 'not checked'}")
            for line in r.check_lines:
                print(f"  {line}", file=sys.stderr)
        return 0 if r.verdict in (None, "valid") else 1
    if os.path.exists(args.inputs) and not os.path.isdir(args.inputs):
        raise UsageError(f"--inputs {args.inputs}: a file; --inputs takes a folder (use --input for one file)")
    out = Path(check_directory(args.out or "certify-out", "output folder"))
    csv_path = check_target(args.csv or out / "certify.csv", "CSV file")
    report = check_directory(args.report, "report folder") if args.report else None
    load_network(args.network, args.semantics)  # an unreadable network: one clear error, not one per input
    files = input_files(args.inputs)
    rows = run_batch(args.network, files, out, opts, workers=args.workers, label=args.label, cluster=args.cluster,
                     tries=args.tries)
    write_csv(rows, csv_path)
    _summary(rows, step_text(lo, hi, args.grid))
    if report:
        p = write_report(rows, report, models={"model": args.network}, grid=(lo, hi, args.grid))
        print(f"report {p}")
    failed = any("error" in r or r.get("check") not in ("valid", "") for r in rows)
    return 1 if failed else 0


def _summary(rows, step: str) -> None:
    ok = [r for r in rows if "error" not in r]
    print(f"{len(rows)} inputs: {len(rows) - len(ok)} errors, "
          f"{sum(1 for r in ok if r.get('apothem_optimal'))} apothem shown optimal, "
          f"{sum(1 for r in ok if r.get('check') == 'valid')} bundles valid")
    names = {"apothem_k": f"apothem (steps of {step})", "box_min_edge": "shortest box edge",
             "box_log_volume": "box log-volume", "oracle_calls": "oracle calls", "verifier_calls": "verifier calls",
             "seconds": "seconds"}
    for key, name in names.items():
        vals = [r[key] for r in ok if r.get(key) is not None]
        if vals:
            print(f"  {name:26s} mean {statistics.mean(vals):9.4g}  min {min(vals):9.4g}  max {max(vals):9.4g}"
                  f"  median {statistics.median(vals):9.4g}")
    for r in rows:
        if "error" in r:
            print(f"apothem: error: {r['input']}: {r['error']}", file=sys.stderr)


def run_audit(args) -> int:
    lo, hi = _domain(args)
    out = check_directory(args.out, "output folder")
    csv_path = check_target(args.csv or Path(out) / "audit.csv", "CSV file")
    net = load_network(args.network, args.semantics)
    rows = audit(net, args.claims, out, lo, hi, args.grid, args.timeout,
                 log=lambda s: print(s, file=sys.stderr))
    write_csv(rows, csv_path)
    counts = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    print(", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + f" (of {len(rows)} claims)")
    flips = {}
    for r in rows:
        if r.get("verdict") == "refuted":
            flips[r["flips_to"]] = flips.get(r["flips_to"], 0) + 1
    if flips:
        print("refuted claims flip to: " + ", ".join(f"class {k}: {v}" for k, v in sorted(flips.items())))
    for r in rows:
        if r["verdict"] == "error":
            print(f"apothem: error: claim {r['id']} ({r['input']}): {r['reason']}", file=sys.stderr)
    return 1 if counts.get("error") else 0
