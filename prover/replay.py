"""Exact replay of a proof tree's subtrees in forked processes.

Why: once the float search has built the tree, replaying it exactly (chiefly the `bounds crown`
steps of the leaves) is most of the prover's time, and subtrees are independent. Each forked
process replays some subtrees through its own copy of the in-process checker Session, with ids
from its own range, into its own step file. The parent replays the first group itself, then
takes over each child's steps in order (ids stay increasing in the final proof) and removes the
child's subtree roots from its Session's open set. No step is written that a Session did not
accept; a child's counterexample, give-up or timeout becomes the parent's.
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import tempfile
import time

from .search import Found, GiveUp, Stats, Timeout, subtree_size

ID_STRIDE = 10 ** 12  # ids per process; a replay needing more would fail loudly (RuntimeError)


def balance(nodes: list, jobs: int) -> list[list]:
    """Split subtrees into at most `jobs` groups of similar total size (largest first), each
    group kept in the original order."""
    groups = [[] for _ in range(jobs)]
    load = [0] * jobs
    for n in sorted(nodes, key=subtree_size, reverse=True):
        g = load.index(min(load))
        groups[g].append(n)
        load[g] += subtree_size(n)
    order = {id(n): i for i, n in enumerate(nodes)}
    return [sorted(g, key=lambda n: order[id(n)]) for g in groups if g]


SELECT_WAIT = 3600.0  # seconds per select() call while waiting for a replay process


class Child:
    """A forked process replaying `nodes`; its result comes back pickled through a pipe."""

    def __init__(self, search, group, nodes: list, first_id: int):
        self.nodes = nodes
        folder = os.path.dirname(search.log.temp) if search.log.temp else None
        fd, self.steps_path = tempfile.mkstemp(prefix=".apothem-replay-", suffix=".part", dir=folder)
        os.close(fd)
        search.log.flush()  # an unflushed buffer would be written twice (once by the child)
        read, write = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                os.close(read)
                status = _replay_here(search, group, nodes, first_id, self.steps_path)
                with os.fdopen(write, "wb") as pipe:
                    pickle.dump(status, pipe)
            finally:
                os._exit(0)
        os.close(write)
        self.pipe = read

    def result(self, deadline: float) -> dict:
        data = b""
        while True:
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise Timeout()
            # select() rejects waits beyond time_t (no --timeout: the deadline is 1e12 s away)
            if not select.select([self.pipe], [], [], min(wait, SELECT_WAIT))[0]:
                continue
            chunk = os.read(self.pipe, 1 << 16)
            if not chunk:
                break
            data += chunk
        os.waitpid(self.pid, 0)
        self.pid = None
        if not data:
            raise RuntimeError("a replay process died without a result")
        return pickle.loads(data)

    def cleanup(self) -> None:
        if self.pid is not None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.pipe)
        if os.path.exists(self.steps_path):
            os.unlink(self.steps_path)


def _replay_here(search, group, nodes, first_id, steps_path) -> dict:
    """In the child: replay `nodes` and describe the outcome (never raises)."""
    search.progress = False
    search.stats = Stats()  # only this process's work goes back to the parent
    search.log.redirect(steps_path, first_id)
    try:
        search.replay(group, nodes)
    except Found as f:
        return {"found": (f.disjunct, list(f.xs))}
    except GiveUp as g:
        return {"giveup": str(g)}
    except Timeout:
        return {"timeout": True}
    except BaseException as err:  # reported by the parent; a child must not unwind into its code
        return {"error": f"{type(err).__name__}: {err}"}
    search.log.flush()
    if search.log.next_id > first_id + ID_STRIDE:
        return {"error": "replay ran out of its id range"}
    return {"last_id": search.log.session.last_id, "next_id": search.log.next_id,
            "steps": search.log.steps, "exact_seconds": search.log.exact_seconds, "stats": search.stats}


def replay_in_parallel(search, group, frontier: list) -> None:
    groups = balance(frontier, search.s.jobs)
    log = search.log
    start = log.next_id
    children = []
    try:
        for g, nodes in enumerate(groups[1:], 1):
            children.append(Child(search, group, nodes, start + g * ID_STRIDE))
        search.replay(group, groups[0])
        if log.next_id > start + ID_STRIDE:
            raise RuntimeError("replay ran out of its id range")
        for child in children:
            status = child.result(search.deadline)
            if "found" in status:
                raise Found(*status["found"])
            if "giveup" in status:
                raise GiveUp(status["giveup"])
            if "timeout" in status:
                raise Timeout()
            if "error" in status:
                raise RuntimeError(f"replay process: {status['error']}")
            log.adopt(child.steps_path, [n.id for n in child.nodes], status)
            _merge(search.stats, status["stats"])
    finally:
        for child in children:
            child.cleanup()


def _merge(stats, other) -> None:
    stats.closed += other.closed
    stats.rejected += other.rejected
    stats.float_seconds += other.float_seconds
    for k, v in other.bounds_steps.items():
        stats.bounds_steps[k] += v
