"""Batch certification: the inputs of a folder as tasks of the batch layer (prover/scale: local
process pool or a Dask cluster, resumable), one CSV row per input."""
from __future__ import annotations

import csv
from pathlib import Path

from ..outfile import AtomicFile
from .inputs import CertifyError


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
              cluster: str | None = None, tries: int = 3) -> list[dict]:
    """Certify every input whose result is not already in `out_dir` (bundles there under the
    input's stem, result records in out_dir/results); one CSV row per input, in the order of
    `inputs`, from the saved records. A task whose worker died unrecoverably has an error row
    and no record: a re-run redoes it."""
    from ..scale.engines import open_engine
    from ..scale.run import run_batch as run
    from ..scale.store import Store
    from ..scale.tasks import certify_tasks
    tasks = certify_tasks(model_path, inputs, opts, label)
    store = Store(out_dir)
    engine = open_engine(cluster, workers, tries)
    try:
        outcome = run(tasks, store, engine, progress)
    finally:
        engine.close()
    rows = {r["key"]: row_of(r, store.dir) for r in outcome.records}
    lost = {"error": "its worker died and it could not run again; not saved (run the command again to redo it)"}
    return [rows.get(t.key) or {"input": Path(t.subject).name, **lost} for t in tasks]


def row_of(record: dict, out_dir: Path) -> dict:
    """The CSV row of a certification result record (the bundle by its path in `out_dir`)."""
    row = dict(record.get("row") or {"input": Path(record["subject"]).name, "error": record.get("error", "")})
    if row.get("bundle"):
        row["bundle"] = str(out_dir / row["bundle"])
    return row


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
