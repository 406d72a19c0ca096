"""Where tasks run. An engine takes (task, network bytes, subject bytes) jobs and yields
(task, outcome) as each finishes, outcome being work.run_task's answer, or None when the task's
worker died and the engine could not run it again (nothing is saved: resume redoes it).

The local process pool is the default and needs nothing beyond the prover. The Dask engine
(dask_engine.py, the `cluster` extra) is imported only when --cluster asks for it: `apothem
--version` and every local run pay nothing for it.
"""
from __future__ import annotations

import multiprocessing
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool

from ..outfile import install_signal_handlers
from ..temporaries import remove_orphans
from ..usage import UsageError
from .work import run_task


class EngineError(UsageError):
    """--cluster cannot be used as given: the cluster extra is not installed, or no scheduler
    answers at the address (a usage error, exit 64: the command did no work)."""


def _init_worker():
    """In a pool worker, a signal removes the worker's temporary files and ends it at once
    (unwinding there would print the pool's traceback)."""
    install_signal_handlers(unwind=False)


class LocalEngine:
    """`workers` processes forked from this one (one: the tasks run here, in order)."""

    def __init__(self, workers: int = 1):
        self.workers = workers
        self.pool = (ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_init_worker) if workers > 1 else None)

    @property
    def slots(self) -> int:
        return self.workers

    def run(self, jobs):
        if self.pool is None:
            for task, net, sub in jobs:
                yield task, run_task(task, net, sub)
            return
        # a window of 2 per worker: queued bytes stay bounded for a batch of any size
        jobs, running, broken = iter(jobs), {}, False
        while True:
            while not broken and len(running) < 2 * self.workers:
                job = next(jobs, None)
                if job is None:
                    break
                try:
                    running[self.pool.submit(run_task, *job)] = job[0]
                except BrokenProcessPool:  # a worker died: the pool takes no more work
                    broken = True
                    yield job[0], None
            if not running:
                break
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for f in done:
                task = running.pop(f)
                try:
                    outcome = f.result()
                except BrokenProcessPool:
                    outcome = None
                yield task, outcome
        for task, _, _ in jobs:  # left when the pool broke
            yield task, None

    def close(self):
        if self.pool is not None:
            # an interrupted batch ends its workers at once, not after their task (Python 3.14 has
            # ProcessPoolExecutor.terminate_workers; before it, the pool's own process table)
            for p in list((self.pool._processes or {}).values()):
                if p.is_alive():
                    p.terminate()
            self.pool.shutdown(wait=True, cancel_futures=True)
        remove_orphans()  # the scratch folders of workers that were killed (SIGKILL, out of memory)


def open_engine(cluster: str | None, workers: int, tries: int):
    """The local pool, or the Dask engine on the scheduler at `cluster` ('local': a throw-away
    local cluster of `workers` processes)."""
    if cluster is None:
        return LocalEngine(workers)
    try:
        from .dask_engine import DaskEngine
    except ImportError as err:
        raise EngineError(f"--cluster needs the cluster extra (pip install 'apothem[cluster]'): {err}") from None
    try:
        return DaskEngine(cluster, workers, tries)
    except (OSError, TimeoutError, ValueError) as err:
        raise EngineError(f"--cluster {cluster}: cannot reach a Dask scheduler there: {err}") from None
