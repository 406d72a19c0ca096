"""One task on a worker: the network and the property or input arrive as bytes (a cluster's
machines need not share a file system), are written to a scratch folder under their own file
names (so messages name the user's files), and the proof or bundle goes back as bytes to the
machine that writes the output folder: nothing is left on workers.

Measured per task: wall and CPU seconds (this thread's: a Dask worker runs tasks in a thread)
and the process's peak resident memory during the task (Linux lets a process reset its
high-water mark: /proc/self/clear_refs, 5; elsewhere the process's lifetime peak).
"""
from __future__ import annotations

import os
import resource
import socket
import time
import traceback
from fractions import Fraction
from pathlib import Path

from apothem_check.errors import InputError
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property

from ..temporaries import remove, temp_dir
from ..semantics import DEFAULT_SEMANTICS, fold
from ..tree import Settings
from ..verify import verify

_NETWORKS: dict = {}   # (SHA-256, semantics) -> Network: a worker reads each network once, not once per task
_KEEP = 8


def _network(sha: str, path: str, semantics: str):
    """Read and folded for `semantics` once per worker (folding for float32 takes seconds on wide networks)."""
    if (sha, semantics) not in _NETWORKS:
        if len(_NETWORKS) >= _KEEP:
            _NETWORKS.clear()
        _NETWORKS[(sha, semantics)] = fold(load_network(path, semantics), semantics)
    return _NETWORKS[(sha, semantics)]


def _reset_peak() -> None:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def _peak_mb() -> float:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    u = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return u.ru_utime + u.ru_stime


def run_task(task, network_bytes: bytes, subject_bytes: bytes) -> dict:
    """{"result": JSON-able record fields, "artifact": proof/bundle bytes or None}. A task that
    fails is a result too (status `error` and the reason); only the worker's death is not."""
    wall, cpu = time.perf_counter(), _cpu()
    _reset_peak()
    scratch = temp_dir("apothem-task-")
    try:
        net_path = Path(scratch) / Path(task.network).name
        sub_path = Path(scratch) / Path(task.subject).name
        net_path.write_bytes(network_bytes)
        sub_path.write_bytes(subject_bytes)
        out_path = Path(scratch) / ("out-" + task.name)
        try:
            network = _network(task.network_sha256, str(net_path), task.options.get("semantics", DEFAULT_SEMANTICS))
            result = (_verify if task.kind == "verify" else _certify)(task, network, net_path, sub_path, out_path)
        except InputError as err:
            result = {"status": "error", "error": f"{err.code}: {err.message}"}
        except Exception as err:  # noqa: BLE001 -- one bad task must not stop a batch
            result = {"status": "error", "error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()}
        artifact = out_path.read_bytes() if out_path.exists() else None
        for k in ("error", "row"):  # messages name the user's file, not the scratch copy
            if k in result:
                result[k] = _unscratch(result[k], scratch)
    finally:
        remove(scratch)
    result.update(wall_s=round(time.perf_counter() - wall, 3), cpu_s=round(_cpu() - cpu, 3),
                  peak_rss_mb=round(_peak_mb(), 1), worker=f"{socket.gethostname()}:{os.getpid()}")
    return {"result": result, "artifact": artifact}


def _unscratch(value, scratch: str):
    if isinstance(value, str):
        return value.replace(scratch + os.sep, "")
    if isinstance(value, dict):
        return {k: _unscratch(v, scratch) for k, v in value.items()}
    return value


def _verify(task, network, net_path, sub_path, out_path) -> dict:
    prop = load_property(str(sub_path), network.input_shape, network.output_shape)
    out = verify(network, prop, str(out_path), task.options["timeout"], settings=Settings(jobs=1))
    return {"status": "done", "verdict": out.verdict, "reason": out.reason, "warnings": out.warnings}


def _certify(task, network, net_path, sub_path, out_path) -> dict:
    # the certification stack is imported by the tasks that need it (~80 ms, prover/certify/cli.py)
    from ..certify.certify import Options, certify_one
    from ..certify.inputs import CertifyError
    opts = dict(task.options)
    label = opts.pop("label")
    opts["lo"], opts["hi"] = Fraction(opts["lo"]), Fraction(opts["hi"])
    name = Path(task.subject).name
    try:
        r = certify_one(network, str(net_path), str(sub_path), str(out_path), Options(**opts), label)
    except CertifyError as err:
        return {"status": "error", "error": str(err), "row": {"input": name, "error": str(err)}}
    row = {"input": name, **r.row, "bundle": task.name if r.bundle_path else "", "check": r.verdict or ""}
    return {"status": "done", "verdict": r.verdict or "", "row": row, "check_lines": r.check_lines}
