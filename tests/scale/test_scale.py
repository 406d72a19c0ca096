"""The batch layer on real work: ppnn certifications and ACAS Xu verifications in one batch, on
the local pool and on a real throw-away Dask cluster of 2 worker processes (no mocks), with a
worker killed mid-batch; resume after a real Ctrl-C; a task that keeps killing its worker."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

from prover.certify.certify import Options
from prover.scale.engines import LocalEngine, open_engine
from prover.scale.run import run_batch
from prover.scale.store import Store
from prover.scale.tasks import certify_tasks, verify_tasks

pytest.importorskip("distributed", reason="the cluster extra (dev.py installs it)")

ROOT = Path(__file__).resolve().parents[2]
APOTHEM = [sys.executable, "-m", "prover.cli"]
PPNN = ["0-1.csv", "1-1.csv", "2-1.csv", "3-1.csv", "4-1.csv"]
ACAS = [("1_2", "prop_2"), ("1_1", "prop_1")]   # sat, unsat: seconds each


def _tasks(benchmarks, tmp_path, n_ppnn=len(PPNN), acas=ACAS):
    ppnn = benchmarks / "ppnn"
    tasks = certify_tasks(ppnn / "onnx" / "mnist_nn-32.onnx", [ppnn / "inputs" / "mnist" / f for f in PPNN[:n_ppnn]],
                          Options(Fraction(0), Fraction(1), 255, timeout=30), None)
    if acas:
        suite = benchmarks / "acasxu"
        lines = [f"{suite}/onnx/ACASXU_run2a_{n}_batch_2000.onnx,{suite}/vnnlib/{p}.vnnlib,60" for n, p in acas]
        (tmp_path / "instances.csv").write_text("\n".join(lines) + "\n")
        tasks += verify_tasks(tmp_path / "instances.csv")
    return tasks


def _answers(records) -> dict:
    """What must not depend on the engine: verdicts, radii, bundles' validity."""
    out = {}
    for r in records:
        row = r.get("row", {})
        out[r["key"]] = (r["status"], r.get("verdict"), row.get("apothem_k"), row.get("apothem_optimal"),
                         row.get("check"), bool(r["artifact"]))
    return out


def _scratch_left(folder: Path) -> list:
    return [p.name for p in folder.iterdir() if p.name.startswith(("apothem-", ".apothem-"))]


def _no_partial_files(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.startswith(".apothem-") or p.suffix == ".part"]


class _KillOneWorker:
    """The engine, with one worker killed (SIGKILL) the moment the first result arrives, while
    tasks are running on both workers."""

    def __init__(self, engine):
        self.engine, self.victim, self.victim_busy = engine, None, None

    @property
    def slots(self):
        return self.engine.slots

    def run(self, jobs):
        for i, item in enumerate(self.engine.run(jobs)):
            if i == 0:
                client = self.engine.client
                pids = client.run(os.getpid)
                busy = {w: ks for w, ks in client.processing().items() if ks}
                address = next(iter(busy))
                self.victim, self.victim_busy = pids[address], list(busy[address])
                os.kill(self.victim, signal.SIGKILL)
            yield item


def test_cluster_with_a_killed_worker_completes_every_task_once_as_the_local_pool(benchmarks, tmp_path, own_tmp):
    tasks = _tasks(benchmarks, tmp_path)
    local = run_batch(tasks, Store(tmp_path / "local"), LocalEngine(2), progress=False)
    engine = open_engine("local", 2, tries=3)
    killer = _KillOneWorker(engine)
    try:
        cluster = run_batch(tasks, Store(tmp_path / "cluster"), killer, progress=False)
    finally:
        engine.close()
    assert killer.victim_busy, "the killed worker was running a task"
    assert not _scratch_left(own_tmp)  # the killed worker's too (it was running a task)
    assert cluster.ran == len(tasks) and cluster.lost == 0 and cluster.skipped == 0
    assert sorted(r["key"] for r in cluster.records) == sorted(t.key for t in tasks)   # each exactly once
    assert len(list((tmp_path / "cluster" / "results").glob("*.json"))) == len(tasks)
    moved = [r for r in cluster.records if f"apothem-{r['key']}" in killer.victim_busy]
    assert moved and all(r["worker"].split(":")[1] != str(killer.victim) for r in moved)  # ran again elsewhere
    assert _answers(cluster.records) == _answers(local.records)
    assert all(r["status"] == "done" for r in cluster.records)
    assert {r.get("verdict") for r in cluster.records if r["kind"] == "verify"} == {"sat", "unsat"}
    assert all(r["verdict"] == "valid" for r in cluster.records if r["kind"] == "certify")
    assert _no_partial_files(tmp_path / "cluster")
    # every proof and bundle, checked again by the independent checker (no prover involved), on
    # the same engine: files go to the workers as bytes
    p = subprocess.run([sys.executable, "-m", "apothem_check_batch", str(tmp_path / "cluster"), "--workers", "2",
                        "--cluster", "local"], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.count("\nvalid ") + p.stdout.startswith("valid ") == len(tasks)


def test_resume_after_ctrl_c_redoes_only_the_missing_and_the_damaged(benchmarks, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for f in PPNN:
        (inputs / f).write_bytes((benchmarks / "ppnn" / "inputs" / "mnist" / f).read_bytes())
    model = benchmarks / "ppnn" / "onnx" / "mnist_nn-32.onnx"
    out = tmp_path / "out"
    cmd = APOTHEM + ["certify", "--network", str(model), "--inputs", str(inputs), "--out", str(out)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    deadline = time.monotonic() + 120
    while len(list(out.glob("results/*.json"))) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert _no_partial_files(out)
    done = len(list(out.glob("results/*.json")))
    assert 2 <= done < len(PPNN), done
    # a damaged bundle is not trusted: its task is redone too
    first = json.loads(sorted(out.glob("results/*.json"))[0].read_text())
    bundle = out / first["artifact"]
    bundle.write_bytes(bundle.read_bytes()[:-1])
    tasks = certify_tasks(model, sorted(inputs.glob("*.csv")), Options(), None)
    again = run_batch(tasks, Store(out), LocalEngine(1), progress=False)
    assert again.skipped == done - 1 and again.ran == len(PPNN) - done + 1
    assert len(again.records) == len(PPNN) and all(r["verdict"] == "valid" for r in again.records)
    assert run_batch(tasks, Store(out), LocalEngine(1), progress=False).ran == 0


def test_a_task_whose_worker_keeps_dying_is_an_error_after_its_tries(benchmarks, tmp_path):
    """ACAS Xu 3_3 prop_2 runs for 30 s or more; each worker that takes it is killed, until the
    scheduler gives it up: an `error` result naming the reason, and the batch ends."""
    tasks = _tasks(benchmarks, tmp_path, n_ppnn=0, acas=[("3_3", "prop_2")])
    engine = open_engine("local", 2, tries=2)
    kills, stop = [], threading.Event()

    def kill_whoever_runs_it():
        while not stop.is_set():
            try:
                busy = [w for w, ks in engine.client.processing().items() if ks]
                if busy:
                    pid = engine.client.run(os.getpid, workers=busy[:1])[busy[0]]
                    time.sleep(0.5)  # let the task start on it
                    os.kill(pid, signal.SIGKILL)
                    kills.append(pid)
                    time.sleep(1.0)
            except (OSError, KeyError, ValueError):
                pass
            time.sleep(0.1)

    killer = threading.Thread(target=kill_whoever_runs_it, daemon=True)
    killer.start()
    try:
        out = run_batch(tasks, Store(tmp_path / "out"), engine, progress=False)
    finally:
        stop.set()
        killer.join()
        engine.close()
    [record] = out.records
    assert record["status"] == "error" and "given up" in record["error"], record
    assert 2 <= len(kills) <= 4


def test_a_killed_local_pool_worker_loses_only_unsaved_tasks_and_a_rerun_does_them(benchmarks, tmp_path, own_tmp):
    """The local pool cannot run a task again after a worker dies (the pool breaks): the tasks
    not finished are reported and not saved, and the same command again does exactly those."""
    tasks = _tasks(benchmarks, tmp_path, acas=[])
    engine = LocalEngine(2)

    class KillAfterFirst:
        slots = 2

        def run(self, jobs):
            for i, item in enumerate(engine.run(jobs)):
                if i == 0:
                    os.kill(next(iter(engine.pool._processes)), signal.SIGKILL)
                yield item

    try:
        first = run_batch(tasks, Store(tmp_path / "out"), KillAfterFirst(), progress=False)
    finally:
        engine.close()
    assert first.lost >= 1 and first.ran + first.lost == len(tasks)
    assert not _scratch_left(own_tmp)  # a killed worker's scratch folder holds copies of the inputs
    assert len(list((tmp_path / "out" / "results").glob("*.json"))) == first.ran
    assert _no_partial_files(tmp_path / "out")
    again = run_batch(tasks, Store(tmp_path / "out"), LocalEngine(1), progress=False)
    assert (again.skipped, again.ran) == (first.ran, first.lost)


def test_the_cluster_engine_is_loaded_only_when_asked():
    """`apothem --version`, verify and local batches import none of Dask (start-up time)."""
    code = ("import sys, prover.cli, prover.scale.engines, prover.scale.commands; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('distributed', 'dask') "
            "or m == 'prover.scale.dask_engine'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr
