"""`apothem batch`: verification of an instance list through the batch layer, ending with the
benchmark harness's table and summary (prover/bench.py: solved, unknown, WRONG against
expected.csv, times, proof sizes). Every proof was replayed exactly by the checker's kernel
before it was written; `apothem-check-batch OUT` checks them all again, independently."""
from __future__ import annotations

import csv
import os
import sys
from dataclasses import asdict
from pathlib import Path

from ..bench import FIELDS, Row, _expected, summarise
from ..outfile import AtomicFile, check_target
from .engines import open_engine
from .run import run_batch
from .store import Store
from .tasks import verify_tasks


def _row(task, record: dict | None, suite: Path, expected: dict) -> Row:
    onnx, vnnlib = (os.path.relpath(p, suite) for p in (task.network, task.subject))
    row = Row(onnx, vnnlib, expected.get((onnx, vnnlib), "?"))
    if record is None:
        row.verdict, row.status = "error", "unsolved (worker died; not saved)"
        return row
    row.verdict = record.get("verdict", "error") if record["status"] == "done" else "error"
    row.prove_s, row.prove_cpu_s, row.prove_rss_mb = record["wall_s"], record["cpu_s"], record["peak_rss_mb"]
    row.proof_bytes = record.get("artifact_bytes", 0)
    definite = ("sat", "unsat")
    if row.verdict in definite and row.expected in definite and row.verdict != row.expected:
        row.status = "WRONG"
    else:
        row.status = "solved" if row.verdict in definite else "unsolved"
    return row


def run_verify_batch(args) -> int:
    store = Store(args.out)
    csv_path = check_target(args.csv or store.dir / "batch.csv", "CSV file")
    tasks = verify_tasks(args.instances, args.timeout)
    suite = Path(args.instances).parent
    engine = open_engine(args.cluster, args.workers, args.tries)
    try:
        outcome = run_batch(tasks, store, engine, unit="instance")
    finally:
        engine.close()
    records = {r["key"]: r for r in outcome.records}
    expected = _expected(suite)
    rows = [_row(t, records.get(t.key), suite, expected) for t in tasks]
    with AtomicFile(csv_path, "w", "CSV file") as f:
        w = csv.DictWriter(f.file, fieldnames=FIELDS)
        w.writeheader()
        w.writerows(asdict(r) for r in rows)
    print(f"{len(tasks)} instances: {outcome.skipped} already done, {outcome.ran} run now, "
          f"{len(tasks) - outcome.skipped - outcome.ran} not done; results in {store.dir}")
    print(summarise(rows))
    for t in tasks:
        r = records.get(t.key)
        if r is not None and r["status"] == "error":
            print(f"apothem: error: {t.name}: {r['error']}", file=sys.stderr)
    return 1 if any(r.status.startswith("WRONG") or r.verdict == "error" for r in rows) else 0
