#!/usr/bin/env python3
"""Certify all ppnn inputs (MNIST 49 + Fashion-MNIST 50), check every bundle with
`apothem-check certification`, print the per-dataset table, write CSV + report.

    python bench/certify_ppnn.py [--workers 2] [--limit N] [--maximal] [--dual] [--out out/certify-ppnn]
        [--semantics real float32]

With two semantics every input is certified under both (the second's rows are the table's), and
the apothems are compared: equal, one grid step smaller under the second, or other (issue 19).
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "checker")]

BENCH = Path(os.environ.get("APOTHEM_BENCHMARKS", ROOT.parent / "shared" / "benchmarks")) / "ppnn"
DATASETS = {"mnist": "onnx/mnist_nn-32.onnx", "fashion_mnist": "onnx/fashion_mnist_nn-64.onnx"}


def checker_cmd():
    exe = ROOT / ".venv" / "bin" / "apothem-check"
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "apothem_check.cli"]


def check_bundle(bundle, model) -> tuple[str, float, str]:
    t = time.perf_counter()
    env = dict(os.environ, PYTHONPATH=f"{ROOT / 'checker'}:{os.environ.get('PYTHONPATH', '')}")
    p = subprocess.run(checker_cmd() + ["certification", str(bundle), "--network", str(model)],
                       capture_output=True, text=True, env=env)
    return p.stdout.strip(), time.perf_counter() - t, p.stderr.strip()


def stats(vals):
    """Mean, min, max, median of the finite values (a zero-width box has log-volume -inf)."""
    vals = [v for v in vals if v is not None and math.isfinite(v)]
    if not vals:
        return (None,) * 4
    return statistics.mean(vals), min(vals), max(vals), statistics.median(vals)


def fmt(v, spec=".4f"):
    return "-" if v is None else format(v, spec)


def compare(first: list, second: list, names) -> str:
    """Per dataset: inputs whose apothem under the second semantics equals the first's, is one grid
    step smaller, or other; bundles valid under each; median certification time of each."""
    lines = [f"| dataset | n | equal | one step smaller under {names[1]} | other | valid {names[0]} | "
             f"valid {names[1]} | median s {names[0]} | median s {names[1]} |", "|---" * 9 + "|"]
    for ds in sorted({r["dataset"] for r in first}):
        pairs = [(a, b) for a, b in zip(first, second) if a["dataset"] == ds]
        assert all(a["input"] == b["input"] for a, b in pairs)
        diff = [None if a.get("apothem_k") is None or b.get("apothem_k") is None else a["apothem_k"] - b["apothem_k"]
                for a, b in pairs]
        med = lambda rows: fmt(stats([r.get("seconds") for r in rows])[3], ".1f")
        lines.append(f"| {ds} | {len(pairs)} | {diff.count(0)} | {diff.count(1)} | {len(diff) - diff.count(0) - diff.count(1)}"
                     f" | {sum(a.get('check') == 'valid' for a, _ in pairs)} | {sum(b.get('check') == 'valid' for _, b in pairs)}"
                     f" | {med([a for a, _ in pairs])} | {med([b for _, b in pairs])} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=None, help="inputs per dataset")
    ap.add_argument("--maximal", action="store_true")
    ap.add_argument("--dual", action="store_true")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--maximal-budget", type=float, default=110.0)
    ap.add_argument("--datasets", nargs="*", default=list(DATASETS))
    ap.add_argument("--out", default=str(ROOT / "out" / "certify-ppnn"))
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--semantics", nargs="+", choices=("real", "float32"), default=["real"])
    args = ap.parse_args(argv)
    if not BENCH.is_dir():
        print(f"benchmarks not found at {BENCH}", file=sys.stderr)
        return 2
    from fractions import Fraction
    from prover.certify.batch import input_files, run_batch, write_csv
    from prover.certify.certify import Options
    out = Path(args.out)
    all_rows, by_semantics = [], {}
    for semantics in args.semantics:
        opts = Options(Fraction(0), Fraction(1), 255, timeout=args.timeout, maximal=args.maximal, dual=args.dual,
                       maximal_budget=args.maximal_budget, check=False, semantics=semantics)
        all_rows = []
        for ds in args.datasets:
            model = BENCH / DATASETS[ds]
            files = input_files(BENCH / "inputs" / ds)[: args.limit]
            print(f"== {ds} ({semantics}): {len(files)} inputs, {args.workers} workers", file=sys.stderr)
            rows = run_batch(model, files, out / semantics / ds, opts, workers=args.workers)
            for r in rows:
                r["dataset"], r["semantics"] = ds, semantics
                if r.get("bundle") and not args.no_check:
                    r["check"], r["check_seconds"], err = check_bundle(r["bundle"], model)
                    if r["check"] != "valid":
                        print(f"{ds}/{r['input']} ({semantics}): {r['check']}: {err}", file=sys.stderr)
            all_rows += rows
        by_semantics[semantics] = all_rows
        write_csv(all_rows, out / f"certify_ppnn_{semantics}.csv")
    if len(args.semantics) == 2:
        print(compare(*(by_semantics[s] for s in args.semantics), args.semantics))
    # the table
    cols = [("apothem", "apothem"), ("box_min_edge", "min edge"), ("box_log_volume", "log-vol"),
            ("maximal_faces_moved", "faces moved"), ("maximal_faces_off_boundary", "faces off bdry"),
            ("maximal_faces_at_limit", "faces at limit"), ("oracle_calls", "oracle calls"), ("verifier_calls", "verifier calls"), ("apothem_seconds", "t apothem s"),
            ("maximal_seconds", "t maximal s"), ("seconds", "t total s")]
    lines = ["| dataset | n | valid | optimal | unknowns | maximal shown | " + " | ".join(f"{h} mean/min/max" for _, h in cols)
             + " | median t apothem | median t maximal |",
             "|---" * (8 + len(cols)) + "|"]
    for ds in args.datasets:
        rows = [r for r in all_rows if r["dataset"] == ds]
        ok = [r for r in rows if "error" not in r]
        cells = []
        for key, _ in cols:
            m, lo, hi, _med = stats([r.get(key) for r in ok])
            inf = sum(1 for r in ok if r.get(key) is not None and not math.isfinite(r[key]))
            cells.append(f"{fmt(m, '.4g')} / {fmt(lo, '.4g')} / {fmt(hi, '.4g')}" + (f" ({inf} infinite)" if inf else ""))
        valid = sum(1 for r in rows if r.get("check") == "valid")
        opt = sum(1 for r in ok if r.get("apothem_optimal"))
        unk = sum(int(r.get("unknown_calls") or 0) for r in ok)
        med_a = stats([r.get("apothem_seconds") for r in ok])[3]
        med_m = stats([r.get("maximal_seconds") for r in ok])[3]
        shown = sum(1 for r in ok if r.get("maximal_shown")) if args.maximal else "-"
        lines.append(f"| {ds} | {len(rows)} | {valid} | {opt} | {unk} | {shown} | " + " | ".join(cells)
                     + f" | {fmt(med_a, '.2f')} | {fmt(med_m, '.2f')} |")
    table = "\n".join(lines)
    print(table)
    (out / "table.md").write_text(table + "\n")
    try:
        from prover.certify.report import write_report
        path = write_report(all_rows, out, (0, 1, 255), title="Apothem certification: ppnn",
                            models={ds: BENCH / DATASETS[ds] for ds in args.datasets})
        print(f"report: {path}", file=sys.stderr)
    except ImportError:
        pass
    errors = [r for r in all_rows if "error" in r]
    for r in errors:
        print(f"error: {r['dataset']}/{r['input']}: {r['error']}", file=sys.stderr)
    return 0 if not errors and all(r.get("check") in ("valid", None, "") or args.no_check for r in all_rows) else 1


if __name__ == "__main__":
    sys.exit(main())
