"""Phase 1 of the prover: the float search that builds a group's whole proof tree.

Why two phases: replaying a step exactly costs far more than finding it in float (on ACAS Xu a
node's exact CROWN bounds, `bounds N layer 1` .. `layer L`, take ~0.2 s, a float node ~1 ms).
Searching first means a counterexample found late, a timeout, or a search that gives up wastes no
exact work, and the float search can pick, per leaf, the cheapest way to close it in the kernel (no
bounds step, interval bounds `bounds N layer 1`, or CROWN bounds `bounds N layer 1` .. `layer L`).
Nothing is trusted from this phase: the emission (prover/emit.py) replays every step through the
checker's Session, and a close the Session rejects comes back here as a request (`Again`): search
that node again from the Session's exact bounds, splitting it.

Input splitting (prover/input_split.py) serves low-dimensional inputs, ReLU phase splitting
(prover/relu_split.py) the others; both falsify as they go (prover/falsify.py). Nodes are
processed in batches, depth first (the kernel's open-node limit and memory stay small), with
fresh attacks when they are due.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import numpy as np

from .engine.bounds import compute_bounds
from .engine.certificate import optimise
from .falsify import Falsifier
from .input_split import InputSplitting
from .problem import DisjunctData, Problem
from .relu_split import ReluSplitting
from .tree import CLOSE_MARGIN, Again, Clock, GiveUp, Node, Settings, Stats, float_out


class Search:
    def __init__(self, problem: Problem, clock: Clock, stats: Stats, settings: Settings | None = None):
        self.p, self.clock, self.stats = problem, clock, stats
        self.s = settings or Settings()
        self.low_dim = problem.net.widths[0] <= self.s.input_split_max_dim
        self.falsifier = Falsifier(problem, self.s, self.low_dim, clock.deadline)
        strategy = InputSplitting if self.low_dim else ReluSplitting
        self.strategy = strategy(problem, self.s, stats, self.falsifier)
        self._root_bounds = {}  # the last box's crown bounds (refuted_at_root)

    def groups(self) -> list[list[DisjunctData]]:
        """The trees to build: disjuncts sharing a box together when splitting inputs."""
        if not self.low_dim:
            return [[d] for d in self.p.disjuncts]
        return self.p.groups()

    def refuted_at_root(self, d: DisjunctData) -> bool:
        """Whether plain crown bounds on d's box already show it free of unsafe points, so that an attack
        on it cannot succeed (verivital's 9-disjunct queries spent 103 of 134 s attacking all of them
        first). Float: it only skips an attack; the search still proves d. Boxes shared: bounds once."""
        if d.A.shape[0] == 0:
            return False
        key = (d.lo.tobytes(), d.hi.tobytes())
        if key not in self._root_bounds:
            with self._float_time():
                self._root_bounds = {key: compute_bounds(self.p.net, d.lo[None], d.hi[None], method="crown")}
        L, U = self._root_bounds[key]
        with self._float_time():
            cert = optimise(self.p.net, d.lo[None], d.hi[None], L, U, d.A, d.const, iters=0)
        return cert.bound[0] > CLOSE_MARGIN

    def search(self, group: list[DisjunctData]) -> Node:
        """The complete float proof tree of a group (raises Found, GiveUp, Timeout)."""
        if any(d.A.shape[0] == 0 for d in group):
            raise GiveUp("disjunct without output constraints (every box point is unsafe)")
        d = group[0]
        with self._float_time():
            lower, upper = compute_bounds(self.p.net, d.lo[None], d.hi[None])
            root = Node(d.lo.copy(), d.hi.copy(), [l[0] for l in lower], [u[0] for u in upper],
                        open=tuple(e.index for e in group))
            self.strategy.root(group, root)
            self._expand(group, root)
        return root

    def again(self, group: list[DisjunctData], request: Again) -> Node:
        """The float subtree that replaces a node whose close the Session rejected: a float node
        mirroring the Session's exact state, rounded outward, and split (never closed as it was)."""
        d, kn = group[0], request.exact
        lo = np.array([float_out(v, False) for v in kn.lo])
        hi = np.array([float_out(v, True) for v in kn.hi])
        lower = [np.array([float_out(v, False) for v in l]) for l in kn.lower]
        upper = [np.array([float_out(v, True) for v in u]) for u in kn.upper]
        n = Node(np.maximum(lo, d.lo), np.minimum(hi, d.hi), lower, upper, open=kn.disjuncts, force_split=True)
        n.id = request.id
        if not self.low_dim:
            n.sigmas = [np.zeros_like(l) for l in lower]
            for (k, j), s in kn.phases.items():
                n.sigmas[k - 1][j] = s
        with self._float_time():
            self._expand(group, n)
        return n

    def _expand(self, group: list[DisjunctData], root: Node) -> None:
        """Decide every node below `root`, batch by batch, depth first."""
        stack = [root]
        while stack:
            self.clock.tick(self.stats, len(stack))
            batch = stack[-self.s.batch:]
            del stack[-self.s.batch:]
            self.falsifier.when_due(group)
            self.stats.nodes += len(batch)
            stack.extend(self.strategy.batch(group, batch))
            self.stats.leaves += sum(n.split is None and n.hints is not None for n in batch)

    @contextmanager
    def _float_time(self):
        t = time.monotonic()
        try:
            yield
        finally:
            self.stats.float_seconds += time.monotonic() - t
