"""`apothem certify` and `apothem audit` (wired into prover/cli.py by `add_subcommands`).

    apothem certify --network MODEL.onnx (--input FILE | --inputs DIR) [--label C]
        [--domain LO HI] [--grid G] [--out BUNDLE|DIR] [--maximal] [--dual] [--timeout S]
        [--workers N] [--csv FILE] [--report DIR] [--no-check]
    apothem audit --network MODEL.onnx --claims FILE [--out DIR] [--csv FILE] [--timeout S]

Robust means the predicted class is strictly greater than every other output, exactly (margin 0).
Errors are raised (UsageError, InputError, CertifyError, OutputError) and turned into one stderr
line and the exit status by prover/cli.py's `main`, the same for every subcommand. Every output
target is checked before the first input is read.
"""
from __future__ import annotations

import argparse
import os
import sys
from fractions import Fraction
from pathlib import Path


def add_subcommands(sub, epilog: str = "") -> None:
    from ..cli import exact_number, positive_int, seconds
    kw = {"epilog": epilog, "formatter_class": argparse.RawDescriptionHelpFormatter}
    c = sub.add_parser("certify", help="apothem-optimal / maximal-box robustness certification with a bundle",
                       description="Certify inputs: the largest grid ball around each input that the network "
                       "classifies robustly, proven, in a bundle that `apothem-check certification` replays.", **kw)
    c.add_argument("--network", required=True, metavar="MODEL.onnx", help="the ONNX network")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--input", metavar="FILE", help="one input file (numbers separated by spaces, commas or "
                   "newlines, e.g. a 28x28 CSV of k/255 values)")
    g.add_argument("--inputs", metavar="DIR", help="a folder of input files (*.csv), certified as a batch")
    c.add_argument("--label", type=int, default=None, metavar="C",
                   help="the class to certify; must equal the network's exact prediction at the input, which "
                        "is refused otherwise (default: the prediction)")
    c.add_argument("--domain", nargs=2, type=exact_number, default=[Fraction(0), Fraction(1)], metavar=("LO", "HI"),
                   help="the input domain, exact numbers, LO < HI (default: 0 1)")
    c.add_argument("--grid", type=positive_int, default=255, metavar="G",
                   help="radii are multiples of (HI-LO)/G (default: 255)")
    c.add_argument("--out", default=None, metavar="PATH",
                   help="bundle file (--input; default: INPUT-STEM.bundle here) or folder (--inputs; default: "
                        "certify-out)")
    c.add_argument("--maximal", action="store_true", help="also a maximal robust box (default: off)")
    c.add_argument("--maximal-budget", type=seconds, default=110.0, metavar="S",
                   help="seconds per input for the maximal box (default: 110)")
    c.add_argument("--dual", action="store_true", help="also the dual box / ball certifications (default: off)")
    c.add_argument("--timeout", type=seconds, default=30.0, metavar="S", help="seconds per verifier call (default: 30)")
    c.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="worker processes for --inputs (default: 1)")
    c.add_argument("--csv", default=None, metavar="FILE",
                   help="per-input CSV of a batch (default: OUT/certify.csv)")
    c.add_argument("--report", default=None, metavar="DIR",
                   help="folder for the HTML report and figures of a batch (default: none)")
    c.add_argument("--no-check", action="store_true",
                   help="skip the in-process bundle check (default: each bundle is checked)")
    c.add_argument("--exact-input", action="store_true",
                   help="do not snap input values to the grid (default: snap values within 1e-9 of it)")
    c.set_defaults(handler=run_certify)
    a = sub.add_parser("audit", help="prove or refute robustness boxes claimed by another tool",
                       description="Audit robustness claims: each claimed box is proven (proof + query "
                       "for `apothem-check check`), refuted (witness proof + query, same check) or left "
                       "unknown.", **kw)
    a.add_argument("--network", required=True, metavar="MODEL.onnx", help="the ONNX network")
    a.add_argument("--claims", required=True, metavar="FILE",
                   help="CSV with header: input, optional id and label, and either radius (optional centre "
                        "file; box = B_inf(centre, radius) within the domain) or lower and upper files; paths "
                        "relative to the claims file; numbers exact (e.g. 2/255). JSON list of such objects also works")
    a.add_argument("--out", default="audit-out", metavar="DIR",
                   help="folder for proofs and queries (default: audit-out)")
    a.add_argument("--csv", default=None, metavar="FILE", help="per-claim CSV (default: OUT/audit.csv)")
    a.add_argument("--domain", nargs=2, type=exact_number, default=[Fraction(0), Fraction(1)], metavar=("LO", "HI"),
                   help="the input domain, exact numbers, LO < HI (default: 0 1)")
    a.add_argument("--grid", type=positive_int, default=255, metavar="G",
                   help="input values are snapped to LO + k (HI-LO)/G (default: 255)")
    a.add_argument("--timeout", type=seconds, default=60.0, metavar="S", help="seconds per claim (default: 60)")
    a.set_defaults(handler=run_audit)


def _domain(args) -> tuple[Fraction, Fraction]:
    from ..cli import UsageError
    lo, hi = args.domain
    if not lo < hi:
        raise UsageError(f"--domain LO HI needs LO < HI, got {lo} {hi}")
    return lo, hi


def _load(path):
    from ..api import load_network
    return load_network(path)


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
    from ..cli import UsageError
    from ..outfile import check_directory, check_target
    from .certify import Options, certify_one
    from .inputs import step_text
    lo, hi = _domain(args)
    opts = Options(lo, hi, args.grid, timeout=args.timeout, maximal=args.maximal, dual=args.dual,
                   maximal_budget=args.maximal_budget, check=not args.no_check, snap=not args.exact_input)
    if args.input:
        for name in ("csv", "report", "workers"):
            if getattr(args, name) not in (None, 1):
                raise UsageError(f"--{name} goes with --inputs (a batch), not --input")
        out = check_target(args.out or (Path(args.input).stem + ".bundle"), "bundle file")
        net = _load(args.network)
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
        return 0 if r.verdict in (None, "valid", "holey") else 1
    from .batch import input_files, run_batch, write_csv
    if os.path.exists(args.inputs) and not os.path.isdir(args.inputs):
        raise UsageError(f"--inputs {args.inputs}: a file; --inputs takes a folder (use --input for one file)")
    out = Path(check_directory(args.out or "certify-out", "output folder"))
    csv_path = check_target(args.csv or out / "certify.csv", "CSV file")
    report = check_directory(args.report, "report folder") if args.report else None
    _load(args.network)  # an unreadable network is one clear error, not one per input
    files = input_files(args.inputs)
    rows = run_batch(args.network, files, out, opts, workers=args.workers, label=args.label)
    write_csv(rows, csv_path)
    _summary(rows, step_text(lo, hi, args.grid))
    if report:
        from .report import write_report
        p = write_report(rows, report, models={"model": args.network}, grid=(lo, hi, args.grid))
        print(f"report {p}")
    failed = any("error" in r or r.get("check") not in ("valid", "holey", "") for r in rows)
    return 1 if failed else 0


def _summary(rows, step: str) -> None:
    import statistics
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
    from ..outfile import check_directory, check_target
    from .audit import audit
    from .batch import write_csv
    lo, hi = _domain(args)
    out = check_directory(args.out, "output folder")
    csv_path = check_target(args.csv or Path(out) / "audit.csv", "CSV file")
    net = _load(args.network)
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
