"""The driver of a batch, the same for every engine: find the intact results (store.py) and
skip them, send the rest to the engine, save each result the moment it arrives, show progress.
An interruption (Ctrl-C, SIGTERM) loses only the tasks that were running: every saved result
is whole, and a re-run of the same command does only what is missing."""
from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass, field
from pathlib import Path

from apothem_check.errors import InputError

from ..progress import BatchProgress


@dataclass
class Outcome:
    records: list = field(default_factory=list)   # in task order; tasks without a result are absent
    skipped: int = 0      # intact results found and kept
    ran: int = 0          # tasks run and saved by this run
    lost: int = 0         # tasks whose worker died where the engine could not run them again (not saved)


def _files(todo: list):
    """(task, network bytes, subject bytes) for the engine; each network read once, and every
    file checked against the hash its task's key was made from (a file changed since then would
    otherwise be saved under a key that does not describe it)."""
    networks = {}
    for task in todo:
        if task.network_sha256 not in networks:
            networks[task.network_sha256] = _read(task.network, task.network_sha256)
        yield task, networks[task.network_sha256], _read(task.subject, task.subject_sha256)


def _read(path: str, sha: str) -> bytes:
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise InputError("INPUT", f"{path}: cannot read: {err.strerror}") from None
    if hashlib.sha256(data).hexdigest() != sha:
        raise InputError("INPUT", f"{path}: changed while the batch ran")
    return data


def describe(record: dict) -> str:
    if record.get("status") == "error":
        return f"error: {record.get('error', '')}"
    if record["kind"] == "certify":
        k = record.get("row", {}).get("apothem_k")
        return f"apothem {k} steps" + (f", bundle {record['verdict']}" if record.get("verdict") else "")
    return record.get("verdict", "")


def run_batch(tasks: list, store, engine, progress: bool = True, unit: str = "input") -> Outcome:
    out = Outcome()
    found, todo = {}, []
    for t in tasks:
        r = store.intact(t)
        if r is None:
            todo.append(t)
        else:
            found[t.key] = r
    out.skipped = len(found)
    if progress and found:
        print(f"{len(found)} of {len(tasks)} results found intact in {store.dir}; running the other {len(todo)}",
              file=sys.stderr, flush=True)
    bar = BatchProgress(len(tasks), done=len(found), unit=unit) if progress else None
    left = len(todo)
    try:
        for task, outcome in engine.run(_files(todo)):
            left -= 1
            running = min(engine.slots, left)
            if outcome is None:
                out.lost += 1
                if bar:
                    bar.step(task.name, "its worker died; not saved (run the command again to redo it)", True, running)
                continue
            record = store.save(task, outcome["result"], outcome["artifact"])
            found[task.key] = record
            out.ran += 1
            if bar:
                bar.step(task.name, describe(record), record["status"] == "error", running)
    finally:
        if bar:
            bar.close()
    out.records = [found[t.key] for t in tasks if t.key in found]
    return out
