"""Apothem beside nnenum on the same instances, interleaved, in one run (the machines are noisy).

    .venv/bin/python bench/peer_nnenum.py ../shared/benchmarks/acasxu --nnenum-python PEER/bin/python
        [--filter REGEX] [--limit N] [--timeout S] [--jobs N] [--csv OUT.csv]

nnenum (github.com/stanleybak/nnenum, numpy/scipy, no proofs) is installed separately, e.g.
`python3 -m venv PEER && PEER/bin/pip install ./nnenum`; this script only runs it as
`python -m nnenum.nnenum NET PROP TIMEOUT RESULT` with one BLAS thread. Apothem runs as in
prover.bench: prove with a proof, then `apothem-check` on it. One instance at a time, each tool
may use every core: nnenum's worker processes do (its CPU time is 1.2x its wall time on ACAS
Xu), and Apothem replays its proof in `--jobs` processes (default: one per core). Per instance:
both verdicts and wall / CPU seconds; at the end totals, solved counts and the median time ratio.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from prover.bench import _expected, _measure, run_one  # noqa: E402

NNENUM_WORDS = {"holds": "unsat", "violated": "sat", "unknown": "unknown", "timeout": "timed-out"}


def nnenum(python: str, net: Path, prop: Path, timeout: float, workdir: Path):
    result = workdir / "nnenum_result.txt"
    result.unlink(missing_ok=True)
    cmd = [python, "-m", "nnenum.nnenum", str(net), str(prop), str(timeout), str(result)]
    _, wall, cpu, rss = _measure(cmd, timeout + 30)
    text = result.read_text().split() if result.exists() else []
    return NNENUM_WORDS.get(text[0] if text else "", "error"), wall, cpu, rss


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("suite", type=Path)
    ap.add_argument("--nnenum-python", required=True, help="python of the environment nnenum is installed in")
    ap.add_argument("--instances", default="instances.csv")
    ap.add_argument("--filter", default="")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=0)
    ap.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)), help="Apothem's replay processes")
    ap.add_argument("--csv", type=Path)
    args = ap.parse_args(argv)
    expected = _expected(args.suite)
    with open(args.suite / args.instances) as f:
        todo = [(o, v, float(t)) for o, v, t in csv.reader(f) if re.search(args.filter, f"{o} {v}")]
    todo = todo[: args.limit] if args.limit else todo
    workdir = Path(tempfile.mkdtemp(prefix="apothem-peer-"))
    rows = []
    print(f"{'instance':44} {'exp':7} {'apothem':9} {'wall':>7} {'cpu':>7} {'check':7} "
          f"{'nnenum':9} {'wall':>7} {'cpu':>7}", flush=True)
    for o, v, t in todo:
        t = args.timeout or t
        exp = expected.get((o, v), "?")
        a = run_one(args.suite, o, v, t, exp, workdir, True, True, args.jobs)
        verdict, wall, cpu, rss = nnenum(args.nnenum_python, args.suite / o, args.suite / v, t, workdir)
        row = {"onnx": o, "vnnlib": v, "expected": exp, "apothem": a.verdict, "apothem_s": a.prove_s,
               "apothem_cpu_s": a.prove_cpu_s, "apothem_check": a.check, "apothem_status": a.status,
               "nnenum": verdict, "nnenum_s": wall, "nnenum_cpu_s": cpu, "nnenum_rss_mb": rss}
        rows.append(row)
        name = f"{Path(o).stem[:30]} {Path(v).stem}"
        print(f"{name:44} {exp:7} {a.verdict:9} {a.prove_s:7.2f} {a.prove_cpu_s:7.2f} {a.check or '-':7} "
              f"{verdict:9} {wall:7.2f} {cpu:7.2f}", flush=True)
    definite = ("sat", "unsat")
    for tool in ("apothem", "nnenum"):
        solved = [r for r in rows if r[tool] in definite and r["expected"] in (r[tool], "unknown", "?")]
        wrong = [r for r in rows if r[tool] in definite and r["expected"] in definite and r[tool] != r["expected"]]
        print(f"{tool}: solved {len(solved)}/{len(rows)}, wrong {len(wrong)}, wall total "
              f"{sum(r[tool + '_s'] for r in rows):.1f} s, cpu total {sum(r[tool + '_cpu_s'] for r in rows):.1f} s")
    both = [r for r in rows if r["apothem"] in definite and r["nnenum"] in definite]
    if both:
        ratio = statistics.median(r["apothem_s"] / r["nnenum_s"] for r in both)
        print(f"both solved {len(both)}: median wall ratio apothem/nnenum {ratio:.2f}")
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else ["onnx"])
            w.writeheader()
            w.writerows(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
