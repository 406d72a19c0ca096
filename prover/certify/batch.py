"""Batch certification: many inputs, worker processes, a progress bar, per-input CSV rows."""
from __future__ import annotations

import csv
import os
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

from apothem_check.network import load_network

from .certify import certify_one
from .inputs import CertifyError

_NET = {}


def _network(path):
    if path not in _NET:
        _NET[path] = load_network(path)
    return _NET[path]


def _one(model_path, input_path, out_path, opts, label):
    name = os.path.basename(str(input_path))
    try:
        net = _network(str(model_path))
        r = certify_one(net, model_path, input_path, out_path, opts, label)
        row = {"input": name, **r.row, "bundle": r.bundle_path or "", "check": r.verdict or ""}
        return row, r.check_lines, None
    except CertifyError as err:
        return {"input": name, "error": str(err)}, [], str(err)
    except Exception as err:  # noqa: BLE001 — one bad input must not stop a batch
        return {"input": name, "error": f"{type(err).__name__}: {err}"}, [], traceback.format_exc()


def input_files(folder) -> list[Path]:
    return sorted(p for p in Path(folder).iterdir() if p.is_file() and p.suffix.lower() == ".csv")


def progress_bar(done: int, total: int, t0: float, note: str = "", stream=sys.stderr):
    width = 30
    fill = int(width * done / max(total, 1))
    el = time.monotonic() - t0
    eta = el / done * (total - done) if done else 0
    stream.write(f"\r[{'#' * fill}{'.' * (width - fill)}] {done}/{total} {el:6.0f}s eta {eta:5.0f}s {note[:40]:40s}")
    if done == total:
        stream.write("\n")
    stream.flush()


def run_batch(model_path, inputs: list, out_dir, opts, workers: int = 1, label=None, progress: bool = True,
              on_row=None) -> list[dict]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    jobs = [(str(model_path), str(p), str(out_dir / (Path(p).stem + ".bundle")), opts, label) for p in inputs]
    rows, t0 = [], time.monotonic()
    if progress:
        progress_bar(0, len(jobs), t0)
    if workers <= 1:
        results = (_one(*j) for j in jobs)
        for res in results:
            rows.append(res[0])
            if on_row:
                on_row(*res)
            if progress:
                progress_bar(len(rows), len(jobs), t0, res[0]["input"])
    else:
        with ProcessPoolExecutor(workers) as ex:
            futs = [ex.submit(_one, *j) for j in jobs]
            for fut in as_completed(futs):
                res = fut.result()
                rows.append(res[0])
                if on_row:
                    on_row(*res)
                if progress:
                    progress_bar(len(rows), len(jobs), t0, res[0]["input"])
    order = {Path(j[1]).name: i for i, j in enumerate(jobs)}
    rows.sort(key=lambda r: order.get(r["input"], 0))
    return rows


def write_csv(rows: list[dict], path) -> None:
    keys = []
    for r in rows:
        for k in r:
            if k not in keys:
                keys.append(k)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=keys)
        w.writeheader()
        for r in rows:
            w.writerow(r)
