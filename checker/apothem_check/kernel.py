"""The checking kernel: the state of spec/proof-format.md section 3 and one function per rule.

A verdict is created in exactly one place (`Session.apply` for the `sat`/`unsat` steps). Every
rule validates all its side conditions before it changes any state, so a rejected step leaves
the session as it was (provers rely on this to re-verify steps before writing them).
"""
from __future__ import annotations

from collections import namedtuple
from fractions import Fraction
from math import lcm

import numpy as np

from . import steps as S
from .errors import CheckError  # noqa: F401  (re-exported: readers and provers catch it from here)
from .exact import ONE, backward_bound, describe, grid_down, grid_up, interval_bounds, ints
from .network import OVERFLOW
from .witness import check_witness

MAX_OPEN_NODES = 100_000


# An open node: its region (grid box lo, hi and phases {(k, j): +1 for z >= 0, -1 for z <= 0}), grid bounds
# lower, upper per hidden layer valid on it, and the disjuncts still to be shown unsafe-free on it (several when a
# root shares one box).
Node = namedtuple("Node", "disjuncts lo hi phases lower upper")


def _fail(code: str, message: str):
    raise CheckError(code, message)


class Session:
    """Replays steps against one network and one property (both read by the checker).

    Interface for provers replaying in-process: `apply` (a CheckError leaves the state as it was),
    `open` (the open nodes by id), `verdict` and `last_id`."""

    def __init__(self, network, prop):
        """`network` is folded for the proof's semantics: its layers carry error bounds under float32
        (rounding, spec 4.11) and under real with a BatchNormalization (enclosure, spec 1), which every rule
        below takes into account."""
        self.network, self.prop = network, prop
        self.layers = network.layers
        self.float32 = network.semantics == "float32"
        self.hidden = [len(a.bias) for a in network.layers[:-1]]
        self.open: dict[int, Node] = {}
        self.roots: set[int] = set()
        self.witnesses: set[int] = set()
        self.last_id = 0
        self.verdict: str | None = None
        self._rules = {S.Root: self._root, S.SplitInput: self._split_input, S.SplitRelu: self._split_relu,
                       S.BoundsLayer: self._bounds, S.CloseLinear: self._close_linear, S.Witness: self._witness,
                       S.Sat: self._sat, S.Unsat: self._unsat}

    # -- driver -------------------------------------------------------------------------
    def apply(self, step) -> None:
        try:
            if self.verdict is not None:
                _fail("AFTER_VERDICT", f"the proof already concluded {self.verdict}")
            fresh = [step.id] + [getattr(step, a) for a in ("low", "high", "neg", "pos") if hasattr(step, a)]
            if fresh != sorted(set(fresh)) or fresh[0] <= self.last_id:
                _fail("ID_ORDER", f"ids {fresh} must be increasing and greater than {self.last_id}")
            self._rules[type(step)](step)
            self.last_id = fresh[-1]
        except CheckError as err:
            err.step = step
            raise

    def _node(self, node_id: int) -> Node:
        if node_id not in self.open:
            _fail("UNKNOWN_NODE", f"node {node_id} is not open (never opened, or already split or closed)")
        return self.open[node_id]

    def _neuron(self, k: int, j: int) -> int:
        if not (1 <= k <= len(self.hidden) and 0 <= j < self.hidden[k - 1]):
            _fail("BAD_INDEX", f"no hidden neuron ({k}, {j}); hidden layer sizes are {self.hidden}")
        return j

    def _open(self, children: dict, replaced: int | None = None) -> None:
        """Open `children` ({id: node}) in place of node `replaced` (a split's) or of none (a root's). Called
        before a rule changes anything else, so that a LIMIT leaves the state as it was."""
        if len(self.open) + len(children) - (replaced is not None) > MAX_OPEN_NODES:
            _fail("LIMIT", f"more than {MAX_OPEN_NODES} open nodes; write proofs depth first")
        self.open.pop(replaced, None)
        self.open.update(children)

    # -- rules --------------------------------------------------------------------------
    def _root(self, st: S.Root) -> None:
        ds = self.prop.disjuncts
        for i, d in enumerate(st.disjuncts):
            if not 0 <= d < len(ds):
                _fail("BAD_INDEX", f"no disjunct {d}; the property has {len(ds)}")
            if d in self.roots or d in st.disjuncts[:i]:
                _fail("DUPLICATE_ROOT", f"disjunct {d} already has a root")
        box = lambda d: (ints(map(grid_down, ds[d].lower)), ints(map(grid_up, ds[d].upper)))  # grid box, rounded outward
        lo, hi = box(st.disjuncts[0])
        for d in st.disjuncts[1:]:
            if not all(map(np.array_equal, (lo, hi), box(d))):
                _fail("BOX_MISMATCH", f"disjuncts {st.disjuncts[0]} and {d} do not share one box")
        lower, upper = interval_bounds(self.layers[:-1], lo, hi)
        for k, (layer, h) in enumerate(zip(self.network.layers, self._h_abs(lo, hi, upper)), start=1):
            peak = self.float32 and Fraction(layer.peak[0] * int(h.max()) + layer.peak[1] * ONE, ONE * ONE)
            if peak >= OVERFLOW:  # every node lies in a root's region: checked once, at its root
                _fail("FLOAT32_OVERFLOW", f"a value computed in layer {k} may reach {describe(peak)}, "
                                          "where binary32 overflows (2^128 - 2^103)")
        self._open({st.id: Node(tuple(sorted(st.disjuncts)), lo, hi, {}, lower, upper)})
        self.roots.update(st.disjuncts)

    def _split_input(self, st: S.SplitInput) -> None:
        node = self._node(st.node)
        if not 0 <= st.index < self.network.n_inputs:
            _fail("BAD_INDEX", f"no input {st.index}; the network has {self.network.n_inputs}")
        hi, lo = node.hi.copy(), node.lo.copy()
        hi[st.index] = min(hi[st.index], grid_up(st.threshold))
        lo[st.index] = max(lo[st.index], grid_down(st.threshold))
        self._open({st.low: node._replace(hi=hi), st.high: node._replace(lo=lo)}, st.node)

    def _split_relu(self, st: S.SplitRelu) -> None:
        node = self._node(st.node)
        key, i = (st.layer, self._neuron(st.layer, st.neuron)), st.layer - 1
        if key in node.phases:
            _fail("ALREADY_SPLIT", f"neuron {key} already has a phase in node {st.node}")
        up, low = node.upper[i].copy(), node.lower[i].copy()
        up[st.neuron], low[st.neuron] = min(up[st.neuron], 0), max(low[st.neuron], 0)
        with_layer = lambda seq, arr: seq[:i] + (arr,) + seq[i + 1:]
        neg = node._replace(phases={**node.phases, key: -1}, upper=with_layer(node.upper, up))
        pos = node._replace(phases={**node.phases, key: +1}, lower=with_layer(node.lower, low))
        self._open({st.neg: neg, st.pos: pos}, st.node)

    def _h_abs(self, lo, hi, upper) -> list:
        """Grid bounds of |h(k-1)| for every layer k, from a node's box and bounds."""
        return [np.maximum(-lo, hi)] + [np.maximum(u, 0) for u in upper]

    def _backward(self, node: Node, k: int, rows, const, lower, upper, alphas, betas=None) -> list:
        """Lower bounds of rows . z(k) + const on the node (spec 4.5); under error terms with the grid bound E_i
        of z(i)'s error for every layer i <= k (spec 4.11: a backward pass from layer k reads no later one)."""
        errors = [layer.error(h) for layer, h in zip(self.layers[:k], self._h_abs(node.lo, node.hi, upper))]
        return backward_bound(self.layers, k, rows, const, lower, upper, node.lo, node.hi, alphas, betas,
                              None if errors[0] is None else errors)

    def _bounds(self, st: S.BoundsLayer) -> None:
        """Spec 4.4: backward bounds (4.5, no multipliers) of layer K's unstable neurons (the listed ones if any),
        intersected (none for K = 1: layer 1 is affine in the input, its interval bounds are its exact range, rounded
        outward); then the interval bounds of layers K.. from layer K-1's (the box for K = 1), intersected too."""
        node, k = self._node(st.node), st.layer
        if not 1 <= k <= len(self.hidden):
            _fail("BAD_INDEX", f"no hidden layer {k}; hidden layer sizes are {self.hidden}")
        alphas, lower, upper = self._hints(st.alphas, "alpha", "BAD_ALPHA", 1), list(node.lower), list(node.upper)
        listed = [self._neuron(k, j) for j in st.neurons] or range(self.hidden[k - 1])  # none listed: every neuron
        unstable = [j for j in listed if lower[k - 1][j] < 0 < upper[k - 1][j]] if k > 1 else []
        if unstable:
            n = len(unstable)
            rows = np.zeros((2 * n, self.hidden[k - 1]), dtype=object)  # z_j, then -z_j, per unstable neuron j
            rows[np.arange(2 * n), unstable * 2] = [1] * n + [-1] * n
            got = self._backward(node, k, rows, ints([0] * (2 * n)), lower, upper, alphas)
            l, u = lower[k - 1].copy(), upper[k - 1].copy()
            for r, j in enumerate(unstable):
                l[j], u[j] = max(l[j], grid_down(got[r])), min(u[j], grid_up(-got[n + r]))
            lower[k - 1], upper[k - 1] = l, u
        lower, upper = interval_bounds(self.layers[:-1], node.lo, node.hi, lower, upper, start=k - 1)
        self.open[st.node] = node._replace(lower=lower, upper=upper)

    def _hints(self, hints, word: str, code: str, top: int | None) -> list:
        """Per hidden layer, grid values (rounded down; None where no hint) from (k, j, v) hints: each a hidden
        neuron given once, with 0 <= v, and v <= top unless top is None (alpha slopes, beta multipliers: 4.5)."""
        got = [[None] * n for n in self.hidden]
        for k, j, v in hints:
            self._neuron(k, j)
            if got[k - 1][j] is not None:
                _fail("DUPLICATE_HINT", f"{word} for neuron ({k}, {j}) given twice")
            if v < 0 or top is not None and v > top:
                _fail(code, f"{word} {v} for neuron ({k}, {j}) is outside [0, {'inf' if top is None else top}]")
            got[k - 1][j] = grid_down(v)
        return got

    def _pending(self, node: Node, st) -> int:
        """The disjunct a close step is about: named by `disjunct D`, or the node's only one."""
        d = node.disjuncts[0] if st.disjunct is None and len(node.disjuncts) == 1 else st.disjunct
        if d not in node.disjuncts:
            _fail("BAD_DISJUNCT", f"node {st.node} is open for disjuncts {list(node.disjuncts)}: "
                                  f"{'name one' if d is None else f'not {d}'}")
        return d

    def _discharge(self, node_id: int, node: Node, d: int) -> None:
        """Disjunct d is shown unsafe-free on the node; the node closes with its last disjunct."""
        rest = tuple(e for e in node.disjuncts if e != d)
        self._open({node_id: node._replace(disjuncts=rest)} if rest else {}, node_id)

    def _close_linear(self, st: S.CloseLinear) -> None:
        node = self._node(st.node)
        d = self._pending(node, st)
        cons = self.prop.disjuncts[d].constraints
        if len(st.lambdas) != len(cons) or any(v < 0 for v in st.lambdas):
            _fail("BAD_LAMBDA", f"need {len(cons)} multipliers >= 0, got {[str(v) for v in st.lambdas]}")
        coeffs = [sum(lam * c.coeffs[i] for lam, c in zip(st.lambdas, cons)) for i in range(self.network.n_outputs)]
        const = sum((lam * c.const for lam, c in zip(st.lambdas, cons)), Fraction(0))
        den = lcm(*(q.denominator for q in coeffs + [const]))  # the objective is scaled by den to integers, betas too
        alphas, betas = self._hints(st.alphas, "alpha", "BAD_ALPHA", 1), self._hints(st.betas, "beta", "BAD_BETA", None)
        for k, j, _ in st.betas:
            if (k, j) not in node.phases:
                _fail("BETA_NOT_SPLIT", f"neuron ({k}, {j}) has no phase in node {st.node}")
        betas = {(k, j): (node.phases[k, j], betas[k - 1][j] * den) for k, j, _ in st.betas}
        row = ints(int(q * den) for q in coeffs).reshape(1, -1)
        (bound,) = self._backward(node, len(self.layers), row, ints([int(const * den)]), node.lower, node.upper,
                                  alphas, betas)
        if bound / den <= 0:
            _fail("NOT_POSITIVE", f"the certified lower bound is {describe(bound / den)}, not > 0")
        self._discharge(st.node, node, d)

    def _witness(self, st: S.Witness) -> None:
        if not 0 <= st.disjunct < len(self.prop.disjuncts):
            _fail("BAD_INDEX", f"no disjunct {st.disjunct}")
        if len(st.values) != self.network.n_inputs:
            _fail("WITNESS_ARITY", f"{len(st.values)} values for {self.network.n_inputs} inputs")
        check_witness(self.network, self.prop.disjuncts[st.disjunct], st.values, self.float32)
        self.witnesses.add(st.id)

    def _sat(self, st: S.Sat) -> None:
        if st.witness not in self.witnesses:
            _fail("UNKNOWN_WITNESS", f"{st.witness} is not an accepted witness step")
        self.verdict = "sat"

    def _unsat(self, st: S.Unsat) -> None:
        missing = [d for d in range(len(self.prop.disjuncts)) if d not in self.roots]
        if missing:
            _fail("MISSING_ROOT", f"disjunct {missing[0]} has no root ({len(missing)} without)")
        if self.open:
            first, node = next(iter(self.open.items()))
            _fail("OPEN_NODES", f"node {first} is still open for disjuncts {list(node.disjuncts)} "
                                f"({len(self.open)} open)")
        self.verdict = "unsat"
