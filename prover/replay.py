"""Exact replay of a proof tree's subtrees in forked processes.

Why: once the float search has built the tree, replaying it exactly (chiefly the backward `bounds N layer K`
steps of the leaves) is most of the prover's time, and subtrees are independent. Each forked
process replays some subtrees through its own copy of the in-process checker Session, with ids
from its own range, into its own step file. The parent replays the first group itself, then
takes over each child's steps in order (ids stay increasing in the final proof) and merges the
child's work into its Session. No step is written that a Session did not accept; a child's
counterexample, give-up or timeout becomes the parent's.

What a process does with its subtrees is the caller's `work` (prover/verify.py: replay, and
search again where the Session rejects a close); this module only forks and joins.
"""
from __future__ import annotations

import ctypes
import os
import pickle
import select
import signal
import tempfile
import time
from typing import Callable

from .temporaries import tag
from .proof import ProofLog
from .tree import Clock, Found, GiveUp, Node, Stats, Timeout, subtree_size

ID_STRIDE = 10 ** 12  # ids per process; a replay needing more would fail loudly (RuntimeError)
SELECT_WAIT = 3600.0  # seconds per select() call while waiting for a replay process
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def die_with_parent(parent: int) -> None:
    """In a forked child: end when the parent ends, even by SIGKILL. No handler of the parent runs
    then, so only the kernel can tell the child (Linux's PR_SET_PDEATHSIG). Where prctl does not
    exist, a child outlives its parent until it next writes to the closed pipe."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:  # the parent ended before prctl took effect
        os._exit(0)


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


class Child:
    """A forked process replaying `nodes`; its result comes back pickled through a pipe."""

    def __init__(self, work: Callable[[list[Node]], None], log: ProofLog, clock: Clock, stats: Stats,
                 nodes: list[Node], first_id: int):
        self.nodes = nodes
        folder = os.path.dirname(log.temp) if log.temp else None
        fd, self.steps_path = tempfile.mkstemp(prefix=f".apothem-replay-{tag()}", suffix=".part", dir=folder)
        os.close(fd)
        log.flush()  # an unflushed buffer would be written twice (once by the child)
        read, write = os.pipe()
        parent = os.getpid()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                die_with_parent(parent)
                os.close(read)
                status = _replay_here(work, log, clock, stats, nodes, first_id, self.steps_path)
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


def _replay_here(work, log: ProofLog, clock: Clock, stats: Stats, nodes, first_id, steps_path) -> dict:
    """In the child: replay `nodes` and describe the outcome (never raises)."""
    clock.progress = None  # the parent alone draws the progress display
    stats.clear()  # only this process's work goes back to the parent
    log.redirect(steps_path, first_id)
    try:
        work(nodes)
    except Found as f:
        return {"found": (f.disjunct, list(f.xs))}
    except GiveUp as g:
        return {"giveup": str(g)}
    except Timeout:
        return {"timeout": True}
    except BaseException as err:  # reported by the parent; a child must not unwind into its code
        return {"error": f"{type(err).__name__}: {err}"}
    log.flush()
    if log.next_id > first_id + ID_STRIDE:
        return {"error": "replay ran out of its id range"}
    return {"last_id": log.session.last_id, "next_id": log.next_id,
            "steps": log.steps, "exact_seconds": log.exact_seconds, "stats": stats}


def replay_in_parallel(work: Callable[[list[Node]], None], log: ProofLog, clock: Clock, stats: Stats,
                       frontier: list[Node], jobs: int) -> None:
    """`work` on the frontier's subtrees in `jobs` processes (this one included), then every
    child's steps appended in order."""
    groups = balance(frontier, jobs)
    start = log.next_id
    children = []
    try:
        for g, nodes in enumerate(groups[1:], 1):
            children.append(Child(work, log, clock, stats, nodes, start + g * ID_STRIDE))
        work(groups[0])
        if log.next_id > start + ID_STRIDE:
            raise RuntimeError("replay ran out of its id range")
        for child in children:
            status = child.result(clock.deadline)
            if "found" in status:
                raise Found(*status["found"])
            if "giveup" in status:
                raise GiveUp(status["giveup"])
            if "timeout" in status:
                raise Timeout()
            if "error" in status:
                raise RuntimeError(f"replay process: {status['error']}")
            log.adopt(child.steps_path, [n.id for n in child.nodes], status)
            stats.merge(status["stats"])
    finally:
        for child in children:
            child.cleanup()
