"""`apothem-check-batch RESULTS_DIR`: check every proof and bundle of a batch's output folder
(`apothem batch`, `apothem certify --inputs`), one line per item and a summary.

Not part of the trusted base, and kept outside the `apothem_check` package on purpose: it only
finds the items and runs `apothem-check check` / `apothem-check certification` on each, in its
own process, and reports what that said. Every verdict is the checker's, which binds each proof
or bundle to the network and the property or input by SHA-256, so a wrong file named in a
record makes the item `invalid`, never `valid`. It needs the checker only (no prover).

A results folder holds the proofs and bundles and one record per task in `results/*.json`
(README, "Batches"): `kind` (verify | certify), `network`, `subject` (the property or the
input), `verdict`, `artifact` (the proof's or bundle's file name in the folder, or null) and
`artifact_sha256`. A verification's proof is checked with `--expect` its recorded verdict.

With --cluster ADDRESS (a Dask scheduler, or `local`; `pip install ./checker[cluster]`) the
checks run on the cluster's workers: the files travel as bytes, so workers need no shared
file system, only apothem-check installed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

OUTCOMES = ("valid", "invalid", "timed-out", "error")


def items(folder: Path) -> list[dict]:
    """The records of a results folder, in name order; an unreadable record is an item whose
    outcome is `error`."""
    out = []
    for path in sorted((folder / "results").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(record, dict) or record.get("kind") not in ("verify", "certify"):
                raise ValueError("not a batch result record")
            out.append(record)
        except (OSError, ValueError) as err:
            out.append({"name": path.name, "problem": f"unreadable record: {err}"})
    return out


def run_checker(kind: str, network: str, subject: str, artifact: str, expect: str, timeout: float) -> tuple[str, str]:
    """(stdout verdict, first stderr line) of one `apothem-check` run in its own process."""
    cmd = [sys.executable, "-m", "apothem_check.cli"]
    if kind == "verify":
        cmd += ["check", "--query", subject, "--proof", artifact, "--network", network, "--expect", expect]
    else:
        cmd += ["certification", artifact, "--network", network]
    p = subprocess.run(cmd + ["--timeout", str(timeout)], capture_output=True, text=True)
    verdict = (p.stdout.split() or ["error"])[0]
    return (verdict if verdict in OUTCOMES else "error"), (p.stderr.strip().splitlines() or [""])[0]


def check_bytes(kind: str, names: tuple, data: tuple, expect: str, timeout: float) -> tuple[str, str]:
    """`run_checker` on files given as bytes (on a cluster worker), under their own names."""
    with tempfile.TemporaryDirectory(prefix="apothem-check-batch-") as tmp:
        paths = [os.path.join(tmp, f"{i}-{os.path.basename(n)}") for i, n in enumerate(names)]
        for p, d in zip(paths, data):
            Path(p).write_bytes(d)
        verdict, line = run_checker(kind, *paths, expect, timeout)
        return verdict, line.replace(tmp + os.sep, "")


def _plan(folder: Path, record: dict):
    """(outcome, note) settled without the checker, or None when the checker must run."""
    if "problem" in record:
        return "error", record["problem"]
    if not record.get("artifact"):
        return "none", record.get("error") or f"no proof or bundle ({record.get('verdict') or 'no answer'})"
    try:
        data = (folder / record["artifact"]).read_bytes()
    except OSError as err:
        return "error", f"cannot read {record['artifact']}: {err.strerror}"
    if hashlib.sha256(data).hexdigest() != record.get("artifact_sha256"):
        return "error", f"{record['artifact']} changed since the batch wrote it (SHA-256 differs from its record)"
    return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="apothem-check-batch", description=__doc__.split("\n\n")[0])
    ap.add_argument("results", type=Path, help="a batch's output folder (with results/*.json)")
    ap.add_argument("--workers", type=int, default=1, help="checks at once on this machine (default: 1)")
    ap.add_argument("--cluster", default=None, metavar="ADDRESS",
                    help="run the checks on a Dask cluster (scheduler address, or 'local'; default: this machine)")
    ap.add_argument("--timeout", type=float, default=0, help="seconds per check (default: 0, no limit)")
    args = ap.parse_args(argv)
    if not (args.results / "results").is_dir():
        print(f"apothem-check-batch: error: INPUT: {args.results}: no results/ folder (not a batch's output)",
              file=sys.stderr)
        return 4
    records = items(args.results)
    plans = [_plan(args.results, r) for r in records]
    todo = [r for r, p in zip(records, plans) if p is None]
    results = iter(_check_all(args, todo))
    counts = dict.fromkeys((*OUTCOMES, "none"), 0)
    for record, plan in zip(records, plans):
        outcome, note = plan if plan is not None else next(results)
        counts[outcome] += 1
        what = f"{record.get('kind', '?'):8s} {record.get('name', '?')}"
        print(f"{outcome:10s} {what}" + (f"  ({note})" if note and outcome != "valid" else ""), flush=True)
    print(f"{len(records)} items: " + ", ".join(f"{counts[k]} {k}" for k in OUTCOMES) +
          f", {counts['none']} without proof or bundle")
    return 0 if all(counts[k] == 0 for k in OUTCOMES[1:]) else 1


def _check_all(args, todo: list) -> list:
    def local(r):
        return run_checker(r["kind"], r["network"], r["subject"], str(args.results / r["artifact"]),
                           r.get("verdict", ""), args.timeout)

    if args.cluster is None:
        with ThreadPoolExecutor(max(1, args.workers)) as pool:
            return list(pool.map(local, todo))
    from distributed import Client, LocalCluster
    cluster = LocalCluster(n_workers=args.workers, threads_per_worker=1, dashboard_address=None) \
        if args.cluster == "local" else None
    with Client(cluster or args.cluster) as client:
        futures = []
        for r in todo:
            paths = (r["network"], r["subject"], str(args.results / r["artifact"]))
            futures.append(client.submit(check_bytes, r["kind"], paths, tuple(Path(p).read_bytes() for p in paths),
                                         r.get("verdict", ""), args.timeout, pure=False))
        out = client.gather(futures)
    if cluster is not None:
        cluster.close()
    return out


if __name__ == "__main__":
    sys.exit(main())
