"""The `apothem certify` and `apothem audit` commands (their arguments: certify/cli.py)."""
from __future__ import annotations

import statistics
import sys
from fractions import Fraction
from pathlib import Path

from apothem_check.network import load_network

from .audit import audit
from .batch import input_files, run_batch, write_csv
from .certify import Options, certify_one
from .inputs import CertifyError
from .report import write_report


def _load(path):
    return load_network(path)


def run_certify(args) -> int:
    lo, hi = Fraction(args.domain[0]), Fraction(args.domain[1])
    if not lo < hi or args.grid < 1:
        print("apothem: error: USAGE: need LO < HI and G >= 1", file=sys.stderr)
        return 2
    opts = Options(lo, hi, args.grid, timeout=args.timeout, maximal=args.maximal, dual=args.dual,
                   maximal_budget=args.maximal_budget, check=not args.no_check, snap=not args.exact_input)
    if args.input:
        try:
            net = _load(args.network)
            out = args.out or (Path(args.input).stem + ".bundle")
            r = certify_one(net, args.network, args.input, out, opts, args.label)
        except CertifyError as err:
            print("error")
            print(f"apothem: error: INPUT: {err}", file=sys.stderr)
            return 2
        row = r.row
        print(f"label {r.label}; apothem {row.get('apothem_k')} steps = {row.get('apothem')}"
              f" ({'optimal' if row.get('apothem_optimal') else 'NOT shown optimal, bracket [%s, %s]' % (row.get('apothem_k'), row.get('apothem_hi'))});"
              f" oracle calls {row.get('oracle_calls')} (verifier {row.get('verifier_calls')}); {row.get('seconds')} s")
        if "maximal_shown" in row:
            print(f"maximal box: {'maximal' if row['maximal_shown'] else '%d faces not shown at their limit' % row['maximal_faces_not_shown']};"
                  f" min edge {row['box_min_edge']:.4f}, log-volume {row['box_log_volume']:.2f}, faces moved {row['maximal_faces_moved']}")
        if r.bundle_path:
            print(f"bundle {r.bundle_path}: {r.verdict or 'not checked'}")
            for line in r.check_lines:
                print(f"  {line}", file=sys.stderr)
        return 0 if r.verdict in (None, "valid", "holey") else 1
    files = input_files(args.inputs)
    if not files:
        print(f"apothem: error: INPUT: no *.csv files in {args.inputs}", file=sys.stderr)
        return 2
    out = Path(args.out or "certify-out")
    rows = run_batch(args.network, files, out, opts, workers=args.workers, label=args.label)
    write_csv(rows, args.csv or out / "certify.csv")
    _summary(rows)
    if args.report:
        p = write_report(rows, args.report, models={"model": args.network})
        print(f"report {p}")
    return 0 if all(r.get("check") in ("valid", "holey", "") for r in rows if "error" not in r) else 1


def _summary(rows) -> None:
    ok = [r for r in rows if "error" not in r]
    print(f"{len(rows)} inputs, {len(rows) - len(ok)} errors, "
          f"{sum(1 for r in ok if r.get('apothem_optimal'))} apothem-optimal, "
          f"{sum(1 for r in ok if r.get('check') == 'valid')} bundles valid")
    for key in ("apothem", "box_min_edge", "box_log_volume", "oracle_calls", "verifier_calls", "seconds"):
        vals = [r[key] for r in ok if r.get(key) is not None]
        if vals:
            print(f"  {key:16s} mean {statistics.mean(vals):10.4g}  min {min(vals):10.4g}  max {max(vals):10.4g}  median {statistics.median(vals):10.4g}")
    for r in rows:
        if "error" in r:
            print(f"  error {r['input']}: {r['error']}", file=sys.stderr)


def run_audit(args) -> int:
    try:
        net = _load(args.network)
        rows = audit(net, args.claims, args.out, Fraction(args.domain[0]), Fraction(args.domain[1]), args.grid,
                     args.timeout, log=lambda s: print(s, file=sys.stderr))
    except CertifyError as err:
        print(f"apothem: error: INPUT: {err}", file=sys.stderr)
        return 2
    write_csv(rows, args.csv or Path(args.out) / "audit.csv")
    counts = {}
    for r in rows:
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    print(" ".join(f"{k} {v}" for k, v in sorted(counts.items())) + f" (of {len(rows)} claims)")
    flips = {}
    for r in rows:
        if r.get("verdict") == "refuted":
            flips[r["flips_to"]] = flips.get(r["flips_to"], 0) + 1
    if flips:
        print("refuted claims flip to: " + ", ".join(f"class {k}: {v}" for k, v in sorted(flips.items())))
    return 0
