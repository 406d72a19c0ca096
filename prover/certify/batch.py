"""Batch certification: many inputs, worker processes, progress on stderr, per-input CSV rows."""
from __future__ import annotations

import csv
import multiprocessing
import os
import traceback
from pathlib import Path

from apothem_check.network import load_network

from ..outfile import AtomicFile, install_signal_handlers
from ..progress import BatchProgress
from ..semantics import fold
from .certify import certify_one
from .inputs import CertifyError

_NET = {}


def _init_worker():
    """In a pool worker, a signal removes the worker's temporary files and ends it at once
    (unwinding there would print the pool's traceback). One BLAS thread per process is
    prover/__init__.py's setting, inherited."""
    install_signal_handlers(unwind=False)


def _network(path, semantics: str):
    """Read and folded once per worker (folding for float32 takes seconds on wide networks)."""
    if (path, semantics) not in _NET:
        _NET[(path, semantics)] = fold(load_network(path), semantics)
    return _NET[(path, semantics)]


def _one(model_path, input_path, out_path, opts, label):
    name = os.path.basename(str(input_path))
    try:
        net = _network(str(model_path), opts.semantics)
        r = certify_one(net, model_path, input_path, out_path, opts, label)
        row = {"input": name, **r.row, "bundle": r.bundle_path or "", "check": r.verdict or ""}
        return row, r.check_lines, None
    except CertifyError as err:
        return {"input": name, "error": str(err)}, [], str(err)
    except Exception as err:  # noqa: BLE001 — one bad input must not stop a batch
        return {"input": name, "error": f"{type(err).__name__}: {err}"}, [], traceback.format_exc()


def input_files(folder) -> list[Path]:
    """The *.csv files of a folder, sorted; CertifyError if there is none to read."""
    try:
        files = sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() == ".csv")
    except OSError as err:
        raise CertifyError(f"{folder}: cannot list the folder: {err.strerror}") from None
    if not files:
        raise CertifyError(f"no *.csv files in {folder}")
    return files


def run_batch(model_path, inputs: list, out_dir, opts, workers: int = 1, label=None, progress: bool = True,
              on_row=None) -> list[dict]:
    """Certify every input; one CSV row each, in the order of `inputs`. With several workers,
    a multiprocessing Pool that this process owns: an exception or a signal here terminates
    the workers (each removes its own temporary files as it goes, see prover/outfile.py)
    instead of waiting for the queued inputs."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(str(model_path), str(p), str(out_dir / (Path(p).stem + ".bundle")), opts, label) for p in inputs]
    rows = []
    bar = BatchProgress(len(jobs)) if progress else None

    def take(res):
        rows.append(res[0])
        if on_row:
            on_row(*res)
        if bar:
            bar.step(res[0]["input"], "error" if "error" in res[0] else f"apothem {res[0].get('apothem_k')} steps")

    try:
        if workers <= 1:
            for j in jobs:
                take(_one(*j))
        else:
            pool = multiprocessing.get_context("fork").Pool(workers, initializer=_init_worker)
            try:
                for res in pool.imap_unordered(_one_job, jobs):
                    take(res)
                pool.close()
            finally:
                pool.terminate()
                pool.join()
    finally:
        if bar:
            bar.close()
    order = {Path(j[1]).name: i for i, j in enumerate(jobs)}
    rows.sort(key=lambda r: order.get(r["input"], 0))
    return rows


def _one_job(job):
    return _one(*job)


def write_csv(rows: list[dict], path) -> None:
    keys = []
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    with AtomicFile(path, "w", "CSV file") as f:
        w = csv.DictWriter(f.file, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow(r)
