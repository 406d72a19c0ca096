"""Benchmark harness: run a VNN-COMP-style suite, check every answer independently, compare.

    python -m prover.bench ../shared/benchmarks/acasxu [--instances instances.csv] [--workers 2]
        [--filter REGEX] [--limit N] [--timeout S] [--no-proof] [--no-check] [--csv OUT.csv]
        [--semantics real float32]

Each instance runs `apothem verify` in its own process (with the suite's timeout, or --timeout),
then `apothem-check check` on the proof; both are measured with os.wait4 (wall, user+sys CPU,
peak RSS). Every row is compared with the suite's expected.csv: a definite answer that
contradicts a definite expected answer is WRONG, and so is a definite answer whose proof or
counterexample the checker does not call valid. `--no-proof` runs the prover without proof
emission (and without its exact self-check) to measure the cost of proofs. With more than one
`--semantics`, each instance runs under each in turn (side by side: the machine's load is the
same for both), and the summary gives each one's figures and the median prove-time ratio.
The proofs go to a scratch folder that is removed at the end (`--keep DIR`: kept there).
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from .temporaries import remove, temp_dir

FIELDS = ("semantics", "onnx", "vnnlib", "expected", "verdict", "prove_s", "prove_cpu_s", "prove_rss_mb", "proof_bytes",
          "check", "check_s", "check_rss_mb", "status")


@dataclass
class Row:
    onnx: str
    vnnlib: str
    expected: str
    semantics: str = "real"
    verdict: str = ""
    prove_s: float = 0.0
    prove_cpu_s: float = 0.0
    prove_rss_mb: float = 0.0
    proof_bytes: int = 0
    check: str = ""
    check_s: float = 0.0
    check_rss_mb: float = 0.0
    status: str = ""


def _tool(name: str) -> str:
    """The console script next to this interpreter (the project's venv), else on PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def _measure(cmd: list[str], timeout: float) -> tuple[str, float, float, float]:
    """(stdout, wall s, user+sys s, peak RSS MB) of one child process, killed after `timeout`."""
    start = time.monotonic()
    with tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL)  # (apothem pins BLAS itself)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        proc.returncode = status
        wall = time.monotonic() - start
        out.seek(0)
        text = out.read().decode(errors="replace")
    return text, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def run_one(suite: Path, onnx: str, vnnlib: str, timeout: float, expected: str, workdir: Path,
            proof: bool, check: bool, jobs: int, semantics: str = "real", checker: str = "") -> Row:
    row = Row(onnx, vnnlib, expected, semantics)
    net, prop = suite / onnx, suite / vnnlib
    name = f"{Path(onnx).stem}__{Path(vnnlib).stem}__{semantics}"
    proof_path = workdir / (re.sub(r"[^A-Za-z0-9_.-]", "_", name) + ".apf")
    cmd = [_tool("apothem"), "verify", str(prop), "--network", str(net), "--timeout", str(timeout), "--jobs", str(jobs),
           "--semantics", semantics]
    cmd += ["--proof", str(proof_path)] if proof else ["--no-proof"]
    out, row.prove_s, row.prove_cpu_s, row.prove_rss_mb = _measure(cmd, timeout + 15)
    row.verdict = (out.split() or ["error"])[0]
    if row.verdict not in ("sat", "unsat", "unknown", "timed-out"):
        row.verdict = "error"
    if proof and proof_path.exists():
        row.proof_bytes = proof_path.stat().st_size
    if check and proof and row.verdict in ("sat", "unsat"):
        cmd = [checker or _tool("apothem-check"), "check", "--query", str(prop), "--proof", str(proof_path),
               "--network", str(net), "--timeout", str(max(60.0, 10 * timeout))]
        out, row.check_s, _, row.check_rss_mb = _measure(cmd, max(60.0, 10 * timeout) + 15)
        row.check = (out.split() or ["error"])[0]
    definite = ("sat", "unsat")
    if row.verdict in definite and expected in definite and row.verdict != expected:
        row.status = "WRONG"
    elif row.verdict in definite and check and proof and row.check != "valid":
        row.status = "WRONG (proof not valid)"
    elif row.verdict in definite:
        row.status = "solved"
    else:
        row.status = "unsolved"
    return row


def _expected(suite: Path) -> dict[tuple[str, str], str]:
    path = suite / "expected.csv"
    if not path.exists():
        return {}
    with open(path) as f:
        return {(r["onnx"], r["vnnlib"]): r["expected"] for r in csv.DictReader(f)}


def summarise(rows: list[Row]) -> str:
    lines = []
    solved = [r for r in rows if r.status == "solved"]
    wrong = [r for r in rows if r.status.startswith("WRONG")]
    by = lambda v: sum(r.verdict == v for r in rows)
    lines.append(f"instances {len(rows)}: solved {len(solved)} (sat {sum(r.verdict == 'sat' for r in solved)}, "
                 f"unsat {sum(r.verdict == 'unsat' for r in solved)}), unknown {by('unknown')}, "
                 f"timed-out {by('timed-out')}, error {by('error')}, WRONG {len(wrong)}")
    if rows:
        t = [r.prove_s for r in rows]
        lines.append(f"prove wall s: total {sum(t):.1f}, median {statistics.median(t):.2f}, max {max(t):.1f}")
    checked = [r for r in rows if r.check]
    if checked:
        c = [r.check_s for r in checked]
        ratio = [r.check_s / r.prove_s for r in checked if r.prove_s > 0]
        lines.append(f"check wall s: total {sum(c):.1f}, median {statistics.median(c):.2f}, max {max(c):.1f}; "
                     f"check/prove median ratio {statistics.median(ratio):.2f}; "
                     f"valid {sum(r.check == 'valid' for r in checked)}/{len(checked)}")
        sizes = [r.proof_bytes for r in checked]
        lines.append(f"proof bytes: median {statistics.median(sizes):.0f}, max {max(sizes)}, total {sum(sizes)}")
    for r in wrong:
        lines.append(f"WRONG: {r.onnx} {r.vnnlib}: {r.verdict} (expected {r.expected}, check {r.check or '-'})")
    return "\n".join(lines)


def compare(rows: list[Row], semantics: list[str]) -> str:
    """Median over the instances of the prove-time ratio of each semantics to the first one's."""
    by = {(r.onnx, r.vnnlib, r.semantics): r for r in rows}
    base, lines = semantics[0], []
    for s in semantics[1:]:
        pairs = [(by[(r.onnx, r.vnnlib, s)], r) for r in rows if r.semantics == base]
        ratio = [a.prove_s / b.prove_s for a, b in pairs if b.prove_s > 0]
        both = [(a, b) for a, b in pairs if a.status == b.status == "solved"]
        lines.append(f"{s}/{base}: median prove-time ratio {statistics.median(ratio):.3f} over {len(ratio)} "
                     f"instances, {statistics.median([a.prove_s / b.prove_s for a, b in both] or [0]):.3f} over "
                     f"the {len(both)} solved by both; solved only by {s}: "
                     f"{sum(a.status == 'solved' != b.status for a, b in pairs)}, only by {base}: "
                     f"{sum(b.status == 'solved' != a.status for a, b in pairs)}")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m prover.bench", description=__doc__.split("\n\n")[0])
    ap.add_argument("suite", type=Path, help="benchmark folder with instances.csv and expected.csv")
    ap.add_argument("--instances", default="instances.csv")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=0,
                    help="replay processes per instance (default: usable CPUs / workers)")
    ap.add_argument("--filter", default="", help="regex on 'onnx vnnlib'")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=0, help="override the suite's per-instance timeout")
    ap.add_argument("--no-proof", action="store_true")
    ap.add_argument("--no-check", action="store_true")
    ap.add_argument("--csv", type=Path, default=None)
    ap.add_argument("--keep", type=Path, default=None, help="folder to keep proofs in")
    ap.add_argument("--checker", default="", help="the apothem-check to run (default: the one beside this "
                    "interpreter; `python3 dev.py bench` gives the checker installed alone, as a third party has it)")
    ap.add_argument("--semantics", nargs="+", choices=("real", "float32"), default=["real"],
                    help="proof semantics; several: each instance under each, side by side")
    args = ap.parse_args(argv)
    if args.checker and not os.access(args.checker, os.X_OK):
        ap.error(f"--checker {args.checker}: not an executable file")
    args.jobs = args.jobs or max(1, len(os.sched_getaffinity(0)) // args.workers)
    try:
        expected = _expected(args.suite)
        with open(args.suite / args.instances) as f:
            todo = [(o, v, float(t)) for o, v, t in csv.reader(f) if re.search(args.filter, f"{o} {v}")]
    except (OSError, ValueError, KeyError, re.error) as e:  # a row without three fields, or a column missing
        ap.error(f"cannot read the suite {args.suite} ({args.instances}, expected.csv): {e!r}")
    todo = todo[: args.limit] if args.limit else todo
    scratch = None if args.keep else temp_dir("apothem-bench-")  # the proofs go with it at the end
    try:
        return _run(args, expected, todo, args.keep or Path(scratch))
    finally:
        if scratch:
            remove(scratch)


def _run(args, expected: dict, todo: list, workdir: Path) -> int:
    workdir.mkdir(parents=True, exist_ok=True)
    kept = "kept in" if args.keep else "removed at the end (--keep DIR keeps them):"
    print(f"{len(todo)} instances, {args.workers} workers, proofs {kept} {workdir}", flush=True)
    print(f"{'onnx':40} {'vnnlib':28} {'exp':7} {'verdict':9} {'prove_s':>8} {'bytes':>9} {'check':7} {'check_s':>8}  status",
          flush=True)

    def job(item):
        (o, v, t), semantics = item
        row = run_one(args.suite, o, v, args.timeout or t, expected.get((o, v), "?"), workdir,
                      not args.no_proof, not args.no_check, args.jobs, semantics, args.checker)
        print(f"{Path(o).name[:40]:40} {v[-28:]:28} {row.expected:7} {row.verdict:9} {row.prove_s:8.2f} "
              f"{row.proof_bytes:9d} {row.check or '-':7} {row.check_s:8.2f}  {row.status} {semantics}", flush=True)
        return row

    with ThreadPoolExecutor(max_workers=args.workers) as pool:
        rows = list(pool.map(job, [(t, s) for t in todo for s in args.semantics]))
    for s in args.semantics:
        if len(args.semantics) > 1:
            print(f"-- semantics {s}")
        print(summarise([r for r in rows if r.semantics == s]))
    if len(args.semantics) > 1:
        print(compare(rows, args.semantics))
    if args.csv:
        with open(args.csv, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=FIELDS)
            w.writeheader()
            w.writerows(asdict(r) for r in rows)
        print(f"wrote {args.csv}")
    return 1 if any(r.status.startswith("WRONG") for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
