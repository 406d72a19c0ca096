"""A task is one instance (network + property + timeout) or one input (network + input file +
certification options). Its key is the SHA-256 of the network's bytes, the property's or input's
bytes and the settings, so a result can be recognised on resume whatever the file names, and a
changed file or option makes a new task rather than reusing a stale answer."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from apothem_check.errors import InputError

KINDS = ("verify", "certify")


@dataclass(frozen=True)
class Task:
    kind: str                 # verify | certify
    name: str                 # the proof's or bundle's file name in the output folder (unique in a batch)
    network: str              # path on the machine that builds the tasks; workers get the bytes
    subject: str              # the property (verify) or the input (certify)
    network_sha256: str
    subject_sha256: str
    settings: tuple           # sorted (name, JSON value) pairs: everything else that changes the result
    key: str

    @property
    def options(self) -> dict:
        return dict(self.settings)


def _sha(path: str, cache: dict) -> str:
    if path not in cache:
        try:
            cache[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        except OSError as err:
            raise InputError("INPUT", f"{path}: cannot read: {err.strerror}") from None
    return cache[path]


def make_task(kind: str, name: str, network, subject, settings: dict, cache: dict) -> Task:
    network, subject = str(network), str(subject)
    net_sha, sub_sha = _sha(network, cache), _sha(subject, cache)
    pairs = tuple(sorted(settings.items()))
    text = json.dumps([kind, net_sha, sub_sha, pairs], separators=(",", ":"))
    return Task(kind, name, network, subject, net_sha, sub_sha, pairs, hashlib.sha256(text.encode()).hexdigest())


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def verify_tasks(instances, timeout: float | None = None) -> list[Task]:
    """The tasks of a VNN-COMP instance list (onnx,vnnlib,timeout per line, no header, paths
    relative to the list's folder); `timeout` overrides the list's. InputError for a list that
    cannot be read or a line that is not three fields."""
    instances = Path(instances)
    try:
        with open(instances, newline="") as f:
            lines = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    except OSError as err:
        raise InputError("INPUT", f"{instances}: cannot read: {err.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise InputError("INPUT", f"{instances}: not a CSV file: {err}") from None
    tasks, cache, names = [], {}, set()
    for n, row in enumerate(lines, 1):
        if len(row) != 3:
            raise InputError("INPUT", f"{instances} line {n}: expected onnx,vnnlib,timeout, got {len(row)} fields")
        onnx, vnnlib, t = (c.strip() for c in row)
        try:
            seconds = float(timeout if timeout is not None else t)
        except ValueError:
            raise InputError("INPUT", f"{instances} line {n}: timeout {t!r} is not a number") from None
        if not seconds > 0:
            raise InputError("INPUT", f"{instances} line {n}: timeout {seconds} is not positive")
        name = _safe(f"{Path(onnx).stem}__{Path(vnnlib).stem}") + ".apf"
        if name in names:
            continue  # the same instance listed twice is one task
        names.add(name)
        tasks.append(make_task("verify", name, instances.parent / onnx, instances.parent / vnnlib,
                               {"timeout": seconds}, cache))
    if not tasks:
        raise InputError("INPUT", f"{instances}: no instances")
    return tasks


def certify_settings(opts, label) -> dict:
    """The certification options as JSON values (fractions as exact texts)."""
    out = {k: (str(v) if isinstance(v, Fraction) else v) for k, v in dataclasses.asdict(opts).items()}
    out["label"] = label
    return out


def certify_tasks(network, inputs: list, opts, label=None) -> list[Task]:
    settings, cache = certify_settings(opts, label), {}
    return [make_task("certify", Path(p).stem + ".bundle", network, p, settings, cache) for p in inputs]
