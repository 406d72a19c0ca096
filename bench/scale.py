#!/usr/bin/env python3
"""Figures for the batch layer (issue 23): per-task overhead of the engines, and the speed-up of
2 workers over 1 on the 99 ppnn inputs. Prints figures; run it with `nice` on a shared machine
and quote `uptime` with them.

    .venv/bin/python bench/scale.py [--tasks 300] [--limit N] [--skip-speedup]

Overhead: a task that does nothing, sent through each engine's own executor as the batch layer
configures it (a fork ProcessPoolExecutor of 2; a throw-away Dask LocalCluster of 2 one-thread
workers): the median round trip of one task at a time, and the time per task when many are in
flight. Speed-up: `apothem certify --inputs` on both ppnn folders (default options) through
prover.scale with 1 and 2 workers, local pool and Dask, each into a fresh output folder.
"""
from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "checker")]
BENCH = Path(os.environ.get("APOTHEM_BENCHMARKS", ROOT.parent / "shared" / "benchmarks")) / "ppnn"
DATASETS = {"mnist": "onnx/mnist_nn-32.onnx", "fashion_mnist": "onnx/fashion_mnist_nn-64.onnx"}


def noop(i):
    return i


def overhead(submit, n: int) -> tuple[float, float]:
    """(median ms of one round trip, ms per task with n in flight)."""
    submit(-1).result()  # warm
    lat = []
    for i in range(n):
        t = time.perf_counter()
        submit(i).result()
        lat.append(time.perf_counter() - t)
    t = time.perf_counter()
    for f in [submit(i) for i in range(n)]:
        f.result()
    return 1e3 * statistics.median(lat), 1e3 * (time.perf_counter() - t) / n


def measure_overhead(n: int) -> None:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        med, per = overhead(lambda i: pool.submit(noop, i), n)
    print(f"local pool (2 processes): round trip median {med:.2f} ms; {per:.2f} ms per task in flight ({n} tasks)")
    from distributed import Client, LocalCluster
    t = time.perf_counter()
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    start = time.perf_counter() - t
    med, per = overhead(lambda i: client.submit(noop, i, pure=False), n)
    client.close()
    cluster.close()
    print(f"dask local cluster (2 workers): start-up {start:.2f} s; round trip median {med:.2f} ms; "
          f"{per:.2f} ms per task in flight ({n} tasks)")


def batch(workers: int, cluster, limit, check: bool = False) -> tuple[float, int]:
    from fractions import Fraction

    from prover.certify.batch import input_files, run_batch
    from prover.certify.certify import Options
    t = time.perf_counter()
    n, checking, cpu, wall = 0, 0.0, 0.0, 0.0
    with tempfile.TemporaryDirectory(prefix="apothem-scale-bench-") as out:
        for ds, model in DATASETS.items():
            files = input_files(BENCH / "inputs" / ds)[:limit]
            rows = run_batch(BENCH / model, files, Path(out) / ds, Options(Fraction(0), Fraction(1), 255),
                             workers=workers, progress=False, cluster=cluster)
            n += len(rows)
            records = [json.loads(p.read_text()) for p in (Path(out) / ds / "results").glob("*.json")]
            cpu += sum(r["cpu_s"] for r in records)
            wall += sum(r["wall_s"] for r in records)
            bad = [r for r in rows if "error" in r]
            if bad:
                print(f"  {len(bad)} errors, e.g. {bad[0]}")
            ok = [r for r in rows if "error" not in r]
            if check and ok:
                med = lambda k: statistics.median(r[k] for r in ok if r.get(k) is not None)  # noqa: E731
                c = time.perf_counter()
                p = subprocess.run([sys.executable, "-m", "apothem_check_batch", str(Path(out) / ds), "--workers",
                                    str(workers)], capture_output=True, text=True)
                c = time.perf_counter() - c
                checking += c  # not part of the batch's time
                print(f"  {ds}: per input median {med('seconds'):.2f} s certify (bundle checked in-process "
                      f"{med('check_seconds'):.2f} s), bundle {med('bundle_bytes') / 1024:.0f} KiB; "
                      f"apothem-check-batch with {workers} workers: {c:.1f} s for {len(ok)} bundles "
                      f"({p.stdout.strip().splitlines()[-1]})", flush=True)
    # CPU the tasks received over their wall time: near 1, each task had a core to itself; well
    # below, the machine's other work took it (what a shared machine does to a speed-up)
    print(f"  {workers} worker(s): tasks' CPU / tasks' wall time {cpu / wall:.2f}", flush=True)
    return time.perf_counter() - t - checking, n


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tasks", type=int, default=300)
    ap.add_argument("--limit", type=int, default=None, help="inputs per dataset (default: all)")
    ap.add_argument("--skip-speedup", action="store_true")
    ap.add_argument("--skip-overhead", action="store_true")
    ap.add_argument("--engines", nargs="*", default=["local", "dask"], choices=["local", "dask"])
    args = ap.parse_args(argv)
    print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    if not args.skip_overhead:
        measure_overhead(args.tasks)
    if args.skip_speedup:
        return 0
    for cluster in [{"local": None, "dask": "local"}[e] for e in args.engines]:
        name = "local pool" if cluster is None else "dask local cluster"
        t1, n = batch(1, cluster, args.limit)
        t2, _ = batch(2, cluster, args.limit, check=cluster is None)
        print(f"{name}: {n} ppnn inputs, 1 worker {t1:.1f} s, 2 workers {t2:.1f} s: speed-up {t1 / t2:.2f}x",
              flush=True)
        print("uptime:", subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
