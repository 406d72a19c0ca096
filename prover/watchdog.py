"""A hard wall-clock bound for one command: `apothem verify --timeout T` answers within T seconds.

Why a second process: inside the search the deadline is kept by `Clock.tick` and by a SIGALRM
(`Clock.bounded`), but Python runs a signal handler only between bytecodes, and one numpy
operation on exact integers (a backward `bounds N layer K` step over 1000-wide layers) ran 15 s past it
(issue 21: `--timeout 300` ended after 312.8 s; a competition harness kills such a run and scores
nothing). So the work runs in a forked child whose own deadline is `margin` earlier, and the
parent, which only waits, kills a child still running at T. A killed child cannot unwind: its
replay processes die with it (PR_SET_PDEATHSIG, prover/replay.py), and the parent removes its
temporaries, which carry the child's pid in their names (prover/temporaries.py `remove_orphans`).
"""
from __future__ import annotations

import os
import pickle
import select
import signal
import time
from typing import Callable

from .temporaries import remove_orphans
from .replay import die_with_parent


class Overran(Exception):
    """The child was still running at the deadline and was killed."""


def margin(seconds: float) -> float:
    """How much earlier than the parent the child stops: time to unwind, write and report."""
    return min(5.0, max(0.3, 0.05 * seconds))


def run_bounded(work: Callable[[float], object], seconds: float, targets: list):
    """work(seconds - margin) in a forked child; its result (pickled back), or the exception it
    raised, re-raised here. Overran when the child is still running after `seconds`: it is then
    killed and its temporaries beside the output files `targets` (and in the system's temporary
    folder) removed."""
    read, write = os.pipe()
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        die_with_parent(parent)
        try:
            answer = ("value", work(seconds - margin(seconds)))
        except BaseException as err:  # re-raised in the parent: it alone prints and exits
            answer = ("raise", err)
        try:
            data = pickle.dumps(answer)
        except Exception as err:  # an unpicklable exception
            data = pickle.dumps(("raise", RuntimeError(f"{type(answer[1]).__name__}: {answer[1]}; {err}")))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(data)
        os._exit(0)  # nothing of the parent's (atexit, buffers, pytest) runs twice
    os.close(write)
    deadline, chunks, finished = time.monotonic() + seconds, [], False
    try:
        while not finished:
            if not select.select([read], [], [], max(0.0, deadline - time.monotonic()))[0]:
                raise Overran(f"the work was still running after {seconds:.1f} s and was stopped")
            chunk = os.read(read, 1 << 20)
            chunks.append(chunk)
            finished = not chunk
    finally:
        os.close(read)
        if not finished:
            os.kill(pid, signal.SIGKILL)
        status = os.waitpid(pid, 0)[1]
        if not finished:
            remove_orphans(pid, [os.path.dirname(os.path.abspath(t)) for t in targets if t])
    if not b"".join(chunks):
        raise RuntimeError(f"the work process ended without an answer (wait status {status})")
    kind, value = pickle.loads(b"".join(chunks))
    if kind == "raise":
        raise value
    return value
