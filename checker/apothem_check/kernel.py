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
from .exact import ONE, backward_bound, describe, grid_down, grid_up, ints, interval_layer
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
                       S.Bounds: self._bounds, S.BoundsLayer: self._bounds_layer, S.CloseLinear: self._close_linear,
                       S.Witness: self._witness, S.Sat: self._sat, S.Unsat: self._unsat}

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

    def _neuron(self, k: int, j: int) -> None:
        if not (1 <= k <= len(self.hidden) and 0 <= j < self.hidden[k - 1]):
            _fail("BAD_INDEX", f"no hidden neuron ({k}, {j}); hidden layer sizes are {self.hidden}")

    def _room(self, new_nodes: int) -> None:
        """Called before a rule changes anything, so that a LIMIT leaves the state as it was."""
        if len(self.open) + new_nodes > MAX_OPEN_NODES:
            _fail("LIMIT", f"more than {MAX_OPEN_NODES} open nodes; write proofs depth first")

    # -- rules --------------------------------------------------------------------------
    def _root(self, st: S.Root) -> None:
        ds = self.prop.disjuncts
        for d in st.disjuncts:
            if not 0 <= d < len(ds):
                _fail("BAD_INDEX", f"no disjunct {d}; the property has {len(ds)}")
        for i, d in enumerate(st.disjuncts):
            if d in self.roots or d in st.disjuncts[:i]:
                _fail("DUPLICATE_ROOT", f"disjunct {d} already has a root")
        box = lambda d: (ints(map(grid_down, ds[d].lower)), ints(map(grid_up, ds[d].upper)))  # grid box, rounded outward
        lo, hi = box(st.disjuncts[0])
        for d in st.disjuncts[1:]:
            if not all(map(np.array_equal, (lo, hi), box(d))):
                _fail("BOX_MISMATCH", f"disjuncts {st.disjuncts[0]} and {d} do not share one box")
        lower, upper = self._interval(lo, hi, (), ())
        for k, (layer, h) in enumerate(zip(self.network.layers, self._h_abs(lo, hi, upper)), start=1):
            peak = self.float32 and layer.peak[0] * Fraction(int(h.max()), ONE) + layer.peak[1]
            if peak >= OVERFLOW:  # every node lies in a root's region: checked once, at its root
                _fail("FLOAT32_OVERFLOW", f"a value computed in layer {k} may reach {describe(peak)}, "
                                          "where binary32 overflows (2^128 - 2^103)")
        self._room(1)
        self.roots.update(st.disjuncts)
        self.open[st.id] = Node(tuple(sorted(st.disjuncts)), lo, hi, {}, lower, upper)

    def _split_input(self, st: S.SplitInput) -> None:
        node = self._node(st.node)
        if not 0 <= st.index < self.network.n_inputs:
            _fail("BAD_INDEX", f"no input {st.index}; the network has {self.network.n_inputs}")
        hi, lo = node.hi.copy(), node.lo.copy()
        hi[st.index] = min(hi[st.index], grid_up(st.threshold))
        lo[st.index] = max(lo[st.index], grid_down(st.threshold))
        self._room(1)
        del self.open[st.node]
        self.open[st.low], self.open[st.high] = node._replace(hi=hi), node._replace(lo=lo)

    def _split_relu(self, st: S.SplitRelu) -> None:
        node = self._node(st.node)
        self._neuron(st.layer, st.neuron)
        key, i = (st.layer, st.neuron), st.layer - 1
        if key in node.phases:
            _fail("ALREADY_SPLIT", f"neuron {key} already has a phase in node {st.node}")
        up, low = node.upper[i].copy(), node.lower[i].copy()
        up[st.neuron], low[st.neuron] = min(up[st.neuron], 0), max(low[st.neuron], 0)
        with_layer = lambda seq, arr: seq[:i] + (arr,) + seq[i + 1:]
        self._room(1)
        del self.open[st.node]
        self.open[st.neg] = node._replace(phases={**node.phases, key: -1}, upper=with_layer(node.upper, up))
        self.open[st.pos] = node._replace(phases={**node.phases, key: +1}, lower=with_layer(node.lower, low))

    def _interval(self, lo, hi, lower, upper, start: int = 0):
        """Interval bounds (spec 4.4) of the hidden layers after the first `start` ones, from the
        box (start 0) or from layer `start`'s bounds, intersected with the old ones."""
        new_l, new_u = list(lower[:start]), list(upper[:start])
        h_lo, h_hi = (lo, hi) if start == 0 else (np.maximum(lower[start - 1], 0), np.maximum(upper[start - 1], 0))
        for k in range(start, len(self.hidden)):
            l, u = interval_layer(self.layers[k], h_lo, h_hi)
            if lower:
                l, u = np.maximum(l, lower[k]), np.minimum(u, upper[k])
            new_l.append(l)
            new_u.append(u)
            h_lo, h_hi = np.maximum(l, 0), np.maximum(u, 0)
        return tuple(new_l), tuple(new_u)

    def _h_abs(self, lo, hi, upper) -> list:
        """Grid bounds of |h(k-1)| for every layer k, from a node's box and bounds."""
        return [np.maximum(-lo, hi)] + [np.maximum(u, 0) for u in upper]

    def _errors(self, lo, hi, upper, through: int | None = None):
        """Per layer k (up to `through`: a backward pass from layer k reads no later one), the grid bound
        E_k of z(k)'s error on a node (spec 4.11); None without error terms."""
        if not self.network.enclosed:
            return None
        return [layer.error(h) for layer, h in zip(self.layers[:through], self._h_abs(lo, hi, upper))]

    def _bounds(self, st: S.Bounds) -> None:
        node = self._node(st.node)
        lower, upper = self._interval(node.lo, node.hi, node.lower, node.upper)
        # _tighten recomputes every later layer, spec 4.4 only layer k+1: the same bounds, since interval
        # bounds are monotone and each later iteration intersects ones from tighter inputs
        for k in range(2, len(self.hidden) + 1) if st.method == "crown" else ():
            lower, upper = self._tighten(node, lower, upper, k, None)
        self.open[st.node] = node._replace(lower=lower, upper=upper)

    def _bounds_layer(self, st: S.BoundsLayer) -> None:
        node = self._node(st.node)
        if not 2 <= st.layer <= len(self.hidden):
            _fail("BAD_INDEX", f"no hidden layer {st.layer} after the first; hidden layer sizes are {self.hidden}")
        lower, upper = self._tighten(node, node.lower, node.upper, st.layer, self._alphas(st.alphas))
        self.open[st.node] = node._replace(lower=lower, upper=upper)

    def _tighten(self, node: Node, lower: tuple, upper: tuple, k: int, alphas) -> tuple:
        """Backward bounds (spec 4.5, no multipliers) of layer k's unstable neurons, intersected; then the
        later layers' interval bounds, which see the tighter ones."""
        unstable = [j for j in range(self.hidden[k - 1]) if lower[k - 1][j] < 0 < upper[k - 1][j]]
        if unstable:
            n = len(unstable)
            rows = np.zeros((2 * n, self.hidden[k - 1]), dtype=object)  # z_j, then -z_j, per unstable neuron j
            rows[np.arange(2 * n), unstable * 2] = [1] * n + [-1] * n
            got = backward_bound(self.layers, k, rows, ints([0] * (2 * n)), lower, upper, node.lo, node.hi, alphas,
                                 errors=self._errors(node.lo, node.hi, upper, k))
            l, u = lower[k - 1].copy(), upper[k - 1].copy()
            for r, j in enumerate(unstable):
                l[j], u[j] = max(l[j], grid_down(got[r])), min(u[j], grid_up(-got[n + r]))
            lower, upper = lower[:k - 1] + (l,) + lower[k:], upper[:k - 1] + (u,) + upper[k:]
        return self._interval(node.lo, node.hi, lower, upper, start=k)

    def _alphas(self, hints) -> list:
        """Per hidden layer, grid slopes from (k, j, v) hints (None where no hint)."""
        alphas, seen = [[None] * n for n in self.hidden], set()
        for k, j, v in hints:
            self._neuron(k, j)
            if (k, j) in seen:
                _fail("DUPLICATE_HINT", f"alpha for neuron ({k}, {j}) given twice")
            seen.add((k, j))
            if not 0 <= v <= 1:
                _fail("BAD_ALPHA", f"slope {v} for neuron ({k}, {j}) is outside [0, 1]")
            alphas[k - 1][j] = grid_down(v)
        return alphas

    def _pending(self, node: Node, st) -> int:
        """The disjunct a close step is about: named by `disjunct D`, or the node's only one."""
        if st.disjunct is None:
            if len(node.disjuncts) != 1:
                _fail("BAD_DISJUNCT", f"node {st.node} is open for disjuncts {list(node.disjuncts)}: name one")
            return node.disjuncts[0]
        if st.disjunct not in node.disjuncts:
            _fail("BAD_DISJUNCT", f"disjunct {st.disjunct} is not open in node {st.node} "
                                  f"(open for {list(node.disjuncts)})")
        return st.disjunct

    def _discharge(self, node_id: int, node: Node, d: int) -> None:
        """Disjunct d is shown unsafe-free on the node; the node closes with its last disjunct."""
        rest = tuple(e for e in node.disjuncts if e != d)
        if rest:
            self.open[node_id] = node._replace(disjuncts=rest)
        else:
            del self.open[node_id]

    def _close_linear(self, st: S.CloseLinear) -> None:
        node = self._node(st.node)
        d = self._pending(node, st)
        cons = self.prop.disjuncts[d].constraints
        if len(st.lambdas) != len(cons) or any(v < 0 for v in st.lambdas):
            _fail("BAD_LAMBDA", f"need {len(cons)} multipliers >= 0, got {[str(v) for v in st.lambdas]}")
        coeffs = [sum(lam * c.coeffs[i] for lam, c in zip(st.lambdas, cons)) for i in range(self.network.n_outputs)]
        const = sum((lam * c.const for lam, c in zip(st.lambdas, cons)), Fraction(0))
        den = lcm(*(q.denominator for q in coeffs + [const]))  # the objective is scaled by den to integers, betas too
        alphas, betas = self._alphas(st.alphas), {}
        for k, j, v in st.betas:
            self._neuron(k, j)
            if (k, j) in betas:
                _fail("DUPLICATE_HINT", f"beta for neuron ({k}, {j}) given twice")
            if v < 0:
                _fail("BAD_BETA", f"multiplier {v} for neuron ({k}, {j}) is negative")
            if (k, j) not in node.phases:
                _fail("BETA_NOT_SPLIT", f"neuron ({k}, {j}) has no phase in node {st.node}")
            betas[(k, j)] = (node.phases[(k, j)], grid_down(v) * den)
        row = ints(int(q * den) for q in coeffs).reshape(1, -1)
        (bound,) = backward_bound(self.layers, len(self.layers), row, ints([int(const * den)]),
                                  node.lower, node.upper, node.lo, node.hi, alphas, betas,
                                  self._errors(node.lo, node.hi, node.upper))
        if bound / den <= 0:
            _fail("NOT_POSITIVE", f"the certified lower bound is {describe(bound / den)}, not > 0")
        self._discharge(st.node, node, d)

    def _witness(self, st: S.Witness) -> None:
        if not 0 <= st.disjunct < len(self.prop.disjuncts):
            _fail("BAD_INDEX", f"no disjunct {st.disjunct}")
        if len(st.values) != self.network.n_inputs:
            _fail("WITNESS_ARITY", f"{len(st.values)} values for {self.network.n_inputs} inputs")
        problem = check_witness(self.network, self.prop.disjuncts[st.disjunct], st.values, self.float32)
        if problem:
            _fail(*problem)
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
