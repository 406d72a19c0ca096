"""The float proof tree and its bookkeeping, shared by the search strategies (phase 1) and the
emission (phase 2): settings, nodes, statistics, the clock, and the outcomes that end a search.

A node is decided in the float search (its bounds step, closes or split) and replayed exactly
later; the records here are what passes between the two phases.
"""
from __future__ import annotations

import contextlib
import signal
import threading
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
from apothem_check.kernel import Node as ExactNode

from .engine.certificate import Hints, default_alphas
from .problem import DisjunctData
from .progress import SearchProgress

CLOSE_MARGIN = 1e-8     # float bound needed before asking the exact checker
NO_DEADLINE = 1e9       # seconds: a deadline further away than this is "no --timeout" (verify's is 1e12 s away)


class Timeout(Exception):
    pass


class GiveUp(Exception):
    """A node the prover can neither close nor split usefully: the answer is `unknown`."""


class Found(Exception):
    def __init__(self, disjunct: int, xs):
        super().__init__(f"counterexample for disjunct {disjunct}")
        self.disjunct, self.xs = disjunct, xs


@dataclass
class Settings:
    batch: int = 64
    iters: int = 20
    root_iters: int = 60
    attack_restarts: int = 64          # high-dimensional inputs
    attack_steps: int = 60
    attack_restarts_low_dim: int = 2048  # input splitting (cheap networks, non-smooth margins)
    attack_steps_low_dim: int = 100
    attack_rounds_low_dim: int = 3      # local refinement rounds; high-dimensional inputs: none
    attack_first_step: float = 0.5      # high-dimensional inputs: first step, share of the box width
                                        # (0.25 leaves mnist_fc 256x4 prop_6_0.05 on a plateau,
                                        # margin 0.03; 0.5 finds its counterexample, margin -0.92)
    attack_every: float = 5.0           # seconds of search before the first fresh attack round;
                                        # the gap doubles after each (attacks stay a small share)
    node_attacks: int = 4               # local PGD in the worst boxes of each batch
    rugged: float = 0.5                 # attacks whose best margin is > 0 but below this share of the
                                        # median one are polished by LP (input splitting only)
    input_split_max_dim: int = 20
    seed: int = 0
    jobs: int = 1                       # processes for the exact replay
    slope_iters: int = 30               # slope optimisation steps per layer for the root's bounds
    relu_candidates: int = 32           # neurons per node whose split is looked ahead (8 left oval21's
                                        # base img8717 unsolved in 100 s; 16: 40 s, 32: 12 s, 64: 16 s)


@dataclass
class Again:
    """The emission's request to the search: the Session rejected a close of node `id`; search
    it again from the Session's own state of it (`exact`: box, phases, bounds, open disjuncts)."""
    id: int
    exact: ExactNode


@dataclass
class Warm:
    """Where a child's certificate for one disjunct starts: its parent's, row by row."""
    alphas: list                 # per hidden layer (n_k,)
    betas: list | None           # per hidden layer (n_k,) (ReLU splitting), else None
    lambdas: np.ndarray          # (m,)


@dataclass(eq=False)
class Node:
    """A search node. Float arrays live only while the node is open in the float search; a
    decided node keeps what the exact replay needs: its bounds step, close hints or split."""
    lo: np.ndarray | None
    hi: np.ndarray | None
    lower: list | None           # per hidden layer (n_k,): the Session's bounds, mirrored in float
    upper: list | None
    open: tuple = ()             # the disjuncts (indices) still open on the node
    sigmas: list | None = None   # per hidden layer (n_k,) in {-1, 0, 1} (ReLU splitting)
    warm: dict[int, Warm] | None = None   # disjunct -> the parent's certificate
    depth: int = 0
    force_split: bool = False    # a close of this node was rejected by the Session
    # decision
    method: str | None = None    # bounds step emitted before the close
    layer_steps: dict | None = None  # {K: [(neurons, slope hints)]}: `bounds N layer K` steps (ReLU-split roots)
    hints: dict[int, Hints] | None = None  # disjunct -> its close: one per open disjunct
    split: tuple | None = None   # ("input", dim, t) or ("relu", layer, neuron)
    children: list | None = None
    id: int | None = None        # kernel id, assigned during the exact replay
    size: int | None = None      # nodes in the float subtree (cached by subtree_size)

    def drop_arrays(self):
        self.lo = self.hi = self.lower = self.upper = self.sigmas = self.warm = None

    def add_close(self, d: int, hints: Hints) -> None:
        self.hints = {**(self.hints or {}), d: hints}


@dataclass
class Stats:
    nodes: int = 0
    leaves: int = 0             # nodes the float search closed (its progress; `closed` counts the exact replay's)
    closed: int = 0
    bounds_steps: dict = field(default_factory=lambda: {"interval": 0, "crown": 0, "layer": 0})
    rejected: int = 0
    lp_leaves: int = 0          # leaves with every ReLU fixed closed by the LP solver's duals
    worst: float = float("nan")
    float_seconds: float = 0.0

    def clear(self) -> None:
        self.__init__()

    def merge(self, other: "Stats") -> None:
        """Add a forked replay's counts (prover/replay.py)."""
        self.closed += other.closed
        self.rejected += other.rejected
        self.float_seconds += other.float_seconds
        for k, v in other.bounds_steps.items():
            self.bounds_steps[k] += v


class Clock:
    """The query's deadline, and the progress display on stderr (when asked for: a
    prover.progress.SearchProgress, redrawn in place on a terminal, plain lines otherwise)."""

    def __init__(self, deadline: float, progress: bool = False):
        self.deadline = deadline
        self.progress = SearchProgress() if progress else None
        self.t0 = time.monotonic()
        self._last_print = 0.0

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def tick(self, stats: Stats, open_nodes: int) -> None:
        """Raises Timeout past the deadline; refreshes the progress display at most 4 times a second."""
        now = time.monotonic()
        if now > self.deadline:
            raise Timeout()
        if self.progress and now - self._last_print > 0.25:
            self._last_print = now
            self.progress.show(stats, open_nodes, now - self.t0)

    def done(self) -> None:
        if self.progress:
            self.progress.close()

    @contextlib.contextmanager
    def bounded(self):
        """Raise Timeout at the deadline even in the middle of one long step: `tick` only looks
        between steps, and one exact backward `bounds N layer K` over 1000-wide layers takes a minute (issue 21).
        A SIGALRM whose handler raises, armed for the block only (so that no cleanup code is cut
        short). Only the main thread receives signals: elsewhere, without a deadline, or when a
        caller's own timer is running (the Python API), `tick` alone. Interval timers are not
        inherited across fork: a replay process arms its own."""
        if threading.current_thread() is not threading.main_thread() or self.left() > NO_DEADLINE \
                or signal.getitimer(signal.ITIMER_REAL)[0]:
            yield
            return

        def on_alarm(signum, frame):
            raise Timeout()
        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, max(self.left(), 1e-3))  # 0 would disarm: a past deadline fires at once
        try:
            yield
        finally:
            try:
                signal.setitimer(signal.ITIMER_REAL, 0)
            finally:
                signal.signal(signal.SIGALRM, previous)


def subtree_size(n: Node) -> int:
    """Number of nodes below and including n in the float tree (balances parallel replay)."""
    if n.size is None:
        order, stack = [], [n]
        while stack:  # iterative: trees can be deeper than Python's recursion limit
            m = stack.pop()
            order.append(m)
            stack.extend(c for c in m.children or () if c.size is None)
        for m in reversed(order):
            m.size = 1 + sum(c.size for c in m.children or ())
    return n.size


def stack(arrs):
    return np.stack(arrs, axis=0)


def at(arrs, rows):
    """Rows of every array of a per-layer list."""
    return [a[rows] for a in arrs]


def float_out(v: int, up: bool) -> float:
    """A kernel grid value as a float, rounded outward."""
    q = Fraction(int(v), 1 << 64)
    f = float(q)
    if up and Fraction(f) < q:
        return float(np.nextafter(f, np.inf))
    if not up and Fraction(f) > q:
        return float(np.nextafter(f, -np.inf))
    return f


def warm_start(d: DisjunctData, nodes: list[Node], L, U):
    """Start slopes and multipliers of d on `nodes`: those the parent's certificate for d ended
    with (default slopes on L, U where there is none)."""
    alphas0 = default_alphas(L, U)
    warm = [(n.warm or {}).get(d.index) for n in nodes]
    for r, w in enumerate(warm):
        if w is not None:
            for h, a in enumerate(w.alphas):
                alphas0[h][r] = a
    lam0 = stack([w.lambdas for w in warm]) if d.A.shape[0] > 1 and all(w is not None for w in warm) else None
    return alphas0, lam0
