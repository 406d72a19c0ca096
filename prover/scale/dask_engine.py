"""The cluster engine, on Dask distributed (README, "Batches on a cluster": why Dask rather
than Ray). Imported only for --cluster.

- `--cluster local` starts a throw-away local cluster: `workers` worker processes of one thread
  each, each under a nanny that restarts it if it dies; the scheduler lives in this process.
  `--cluster tcp://HOST:8786` uses a running scheduler (`dask scheduler`, `dask worker` on each
  machine, in an environment where apothem is installed).
- A worker that dies mid-task (killed, out of memory, a crash) makes the scheduler run the task
  again on another worker. A task that has been running on `tries` workers that all died is
  given up (Dask's KilledWorker) and reported as an `error` with the reason, never retried
  forever. (For a throw-away cluster `tries` is set here; a running scheduler uses its own
  `distributed.scheduler.allowed-failures` + 1, 4 by default.)
- Each network goes to the scheduler once, as a task of its own that returns its bytes, and
  from there to each worker that needs it once, not once per task; the property or input bytes
  travel with their task. (Not `scatter`: scattered data lost with a killed worker cannot be
  recovered, and every task needing it would fail; a task's result is simply computed again.)
- A task's future is released as soon as its result is taken, so a worker lost later costs
  nothing that is already saved (Dask would otherwise recompute results held on it).
"""
from __future__ import annotations

import logging

import dask
from distributed import Client, LocalCluster, as_completed
from distributed.client import FutureCancelledError
from distributed.scheduler import KilledWorker

from ..temporaries import remove_orphans
from .work import run_task


def _same(data: bytes) -> bytes:
    return data


class DaskEngine:
    def __init__(self, address: str, workers: int, tries: int):
        self.tries = tries if address == "local" else "the scheduler's"
        self.cluster = None
        dask.config.set({"distributed.scheduler.allowed-failures": tries - 1})
        try:
            if address == "local":
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None, silence_logs=logging.ERROR)
                self.client = Client(self.cluster)
            else:
                self.client = Client(address, timeout=30)
        except BaseException:
            self.close()
            raise
        self._networks = {}

    @property
    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def _network(self, sha: str, data: bytes):
        if sha not in self._networks:
            self._networks[sha] = self.client.submit(_same, data, key=f"apothem-network-{sha}", pure=False)
        return self._networks[sha]

    def run(self, jobs):
        futures = as_completed()
        tasks = {}
        for task, net, sub in jobs:
            f = self.client.submit(run_task, task, self._network(task.network_sha256, net), sub,
                                   key=f"apothem-{task.key}", pure=False)
            tasks[f.key] = task
            futures.add(f)
        for f in futures:
            task = tasks.pop(f.key)
            try:
                outcome = f.result()
            except KilledWorker as err:
                outcome = {"result": {"status": "error", "error": f"every worker that ran it died; given up after "
                                                                   f"{self.tries} tries ({err})"}, "artifact": None}
            except FutureCancelledError:
                outcome = None
            f.release()
            yield task, outcome
        for f in self._networks.values():
            f.release()
        self._networks.clear()

    def close(self):
        for closer in (getattr(self, "client", None), self.cluster):
            if closer is not None:
                try:
                    closer.close()
                except Exception:  # noqa: BLE001 -- a cluster already gone has nothing to close
                    pass
        remove_orphans()  # what this machine's killed workers left (remote ones: their next task)
