"""Branch and bound in two phases: a float search that builds the whole proof tree, then its
exact replay.

Why two phases: replaying a step exactly costs far more than finding it in float (on ACAS Xu a
kernel `bounds crown` step is ~0.2 s, a float node ~1 ms). Searching first means a
counterexample found late, a timeout, or a search that gives up wastes no exact work, and the
float search can pick, per leaf, the cheapest way to close it in the kernel (no bounds step,
`bounds interval`, or `bounds crown`). Nothing is trusted from the float phase: every step is
replayed by the in-process checker Session before it is written (`ProofLog`); a close the
Session rejects is never written, the node is split instead and its subtree searched again
from the Session's own exact bounds.

Input splitting serves low-dimensional inputs (ACAS Xu), ReLU phase splitting the others.
With input splitting, the disjuncts that share one box share one tree (a shared root, spec
4.1): every split and bounds step serves all of them, and a leaf closes each one. With ReLU
splitting every disjunct keeps its own tree, since the neurons worth splitting depend on the
disjunct's objective.
Nodes are processed in batches, depth first (the kernel's open-node limit and memory stay
small), with falsification at every batch.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from .engine.attack import falsify, pgd
from .engine.bounds import compute_bounds
from .engine.certificate import (Certificate, default_alphas, evaluate, hints_of, optimise, round_certificate)
from .engine.leaf_lp import polish, solve_leaf
from .engine.intermediate import optimised_layer_bounds
from .problem import DisjunctData, Problem, exact_unsafe, snap_into_box

CLOSE_MARGIN = 1e-8     # float bound needed before asking the exact checker
MIN_WIDTH = 1e-9        # input boxes narrower than this in every dimension are given up
NO_GAIN = 0.01          # input splits improving the summed violation by less than this share count as none
GRID = 2.0 ** 64        # the kernel's grid (spec section 1)
Z3_LEAF_SECONDS = 60.0  # z3's budget per leaf (less when the query's deadline is nearer)


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
    relu_candidates: int = 8            # neurons per node whose split is looked ahead


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
    warm: dict | None = None     # disjunct -> (alphas, betas, lambdas): the parent's certificate
    depth: int = 0
    force_split: bool = False    # a close of this node was rejected by the Session
    # decision
    method: str | None = None    # bounds step emitted before the close
    layer_steps: dict | None = None  # {K: [slope hints]}: `bounds N layer K` steps (ReLU-split roots)
    hints: dict | None = None    # disjunct -> (lambdas, alphas, betas): one close per open disjunct
    split: tuple | None = None   # ("input", dim, t) or ("relu", layer, neuron)
    z3_leaf: bool = False        # every ReLU fixed yet not closed in float: decided by z3 (exact LP)
    children: list | None = None
    id: int | None = None        # kernel id, assigned during the exact replay
    size: int | None = None      # nodes in the float subtree (cached by subtree_size)

    def drop_arrays(self):
        self.lo = self.hi = self.lower = self.upper = self.sigmas = self.warm = None


@dataclass
class Stats:
    nodes: int = 0
    closed: int = 0
    bounds_steps: dict = field(default_factory=lambda: {"interval": 0, "crown": 0, "layer": 0})
    rejected: int = 0
    lp_leaves: int = 0          # leaves with every ReLU fixed closed by the LP solver's duals
    worst: float = float("nan")
    float_seconds: float = 0.0


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


def _stack(arrs):
    return np.stack(arrs, axis=0)


def _at(arrs, rows):
    """Rows of every array of a per-layer list."""
    return [a[rows] for a in arrs]


def _float_out(v: int, up: bool) -> float:
    """A kernel grid value as a float, rounded outward."""
    q = Fraction(int(v), 1 << 64)
    f = float(q)
    if up and Fraction(f) < q:
        return float(np.nextafter(f, np.inf))
    if not up and Fraction(f) > q:
        return float(np.nextafter(f, -np.inf))
    return f


class Search:
    def __init__(self, problem: Problem, log, deadline: float, progress=None,
                 settings: Settings | None = None):
        self.p, self.net, self.log = problem, problem.net, log
        self.deadline, self.progress = deadline, progress
        self.s = settings or Settings()
        self.rng = np.random.default_rng(self.s.seed)
        self.stats = Stats()
        self.t0 = time.monotonic()
        self.open = 0
        self._last_print = 0.0
        self.low_dim = self.net.widths[0] <= self.s.input_split_max_dim
        self.net32 = self.net.astype(np.float32)  # for the split lookahead and the attack (rank, search)
        self.root_bounds = {}  # (lo, hi) bytes -> optimised_layer_bounds of a ReLU-split root
        self.last_attack = time.monotonic()
        self.attack_gap = self.s.attack_every

    # -- bookkeeping
    def tick(self):
        now = time.monotonic()
        if now > self.deadline:
            raise Timeout()
        if self.progress and now - self._last_print > 0.25:
            self._last_print = now
            self.progress.show(self.stats, self.open, now - self.t0)  # a prover.progress.SearchProgress

    def done_progress(self):
        if self.progress:
            self.progress.close()

    def check_candidates(self, d: DisjunctData, xs: np.ndarray, limit: int = 4):
        xs = np.clip(xs, d.lo, d.hi)
        y = self.net.forward(xs)
        m = self.p.margin(d, y)
        for i in np.argsort(m)[:limit]:
            if m[i] > 1e-9:
                break
            for dtype in (np.float32, np.float64):
                q = snap_into_box(d, xs[i], dtype)
                if q is not None and exact_unsafe(self.p.network, d, q):
                    raise Found(d.index, q)

    def attack(self, d: DisjunctData, restarts=None, steps=None) -> float:
        """Falsify d (raises Found); returns the least margin the attack reached."""
        if d.A.shape[0] == 0:
            self.check_candidates(d, ((d.lo + d.hi) / 2)[None])
            return -np.inf
        restarts = restarts or (self.s.attack_restarts_low_dim if self.low_dim else self.s.attack_restarts)
        steps = steps or (self.s.attack_steps_low_dim if self.low_dim else self.s.attack_steps)
        rounds = self.s.attack_rounds_low_dim if self.low_dim else 0  # 30 s per mnist_fc query otherwise
        first = 0.25 if self.low_dim else self.s.attack_first_step
        # in float32: 4x faster on ACAS Xu's 2048 restarts (wider SIMD; one BLAS thread), and
        # every candidate is re-evaluated in float64 and checked exactly before it counts
        f32 = lambda a: a.astype(np.float32)
        xs, m = falsify(self.net32, f32(d.lo), f32(d.hi), f32(d.A), f32(d.const), self.rng, restarts, steps,
                        rounds=rounds, first=first)
        xs = xs.astype(np.float64)
        self.check_candidates(d, xs)
        if self.low_dim and 0 < m[0] < self.s.rugged * np.median(m):
            # the restarts stopped in different local minima, the best just above 0: finish the
            # descent exactly on the best pieces (1_9 prop_7: found at the root in 15 of 16
            # seeds, against 7 without; 0.05-0.2 s). Input splitting only: with 784 inputs every LP
            # has 784 columns, and the attacks that fail there end far above 0 (margins 0.8)
            self.check_candidates(d, polish(self.net, d.lo, d.hi, d.A, d.const, xs))
        self.last_attack = time.monotonic()
        return float(np.min(m))

    # -- per group of disjuncts: float search, then exact replay
    def groups(self) -> list[list[DisjunctData]]:
        """The trees to build: disjuncts sharing a box together when splitting inputs."""
        if not self.low_dim:
            return [[d] for d in self.p.disjuncts]
        return self.p.groups()

    def search(self, group: list[DisjunctData]) -> Node:
        """Phase 1: the complete float proof tree of a group (raises Found, GiveUp, Timeout)."""
        if any(d.A.shape[0] == 0 for d in group):
            raise GiveUp("disjunct without output constraints (every box point is unsafe)")
        t = time.monotonic()
        try:
            root = self._root(group)
            self.expand(group, [root])
        finally:
            self.stats.float_seconds += time.monotonic() - t
        return root

    def _root(self, group: list[DisjunctData]) -> Node:
        d = group[0]
        lower, upper = compute_bounds(self.net, d.lo[None], d.hi[None])
        root = Node(d.lo.copy(), d.hi.copy(), [l[0] for l in lower], [u[0] for u in upper],
                    open=tuple(e.index for e in group))
        if not self.low_dim:
            self._relu_root(d, root)
        return root

    def expand(self, group: list[DisjunctData], roots: list[Node]):
        stack = list(roots)
        while stack:
            self.open = len(stack)
            self.tick()
            batch = stack[-self.s.batch:]
            del stack[-self.s.batch:]
            if time.monotonic() - self.last_attack > self.attack_gap:
                for d in group:
                    self.attack(d)  # fresh random restarts: sat instances with small margins
                self.attack_gap *= 2
            self.stats.nodes += len(batch)
            if self.low_dim:
                stack.extend(self._input_batch(group, batch))
            else:
                stack.extend(self._relu_batch(group[0], batch))

    def emit(self, group: list[DisjunctData], root: Node):
        """Phase 2: replay the tree through the ProofLog (every step exactly checked), split over
        `jobs` processes when there is more than one (prover/replay.py)."""
        root.id = self.log.root([d.index for d in group])
        if self.s.jobs <= 1 or self.log.session is None:
            self.replay(group, [root])
            return
        from .replay import replay_in_parallel
        replay_in_parallel(self, group, self._frontier(group, root, 4 * self.s.jobs))

    def replay(self, group: list[DisjunctData], nodes: list[Node]):
        """Replay the subtrees below `nodes` depth first (the kernel's open set stays small)."""
        stack = list(reversed(nodes))
        while stack:
            n = stack.pop()
            self.open = len(stack)
            self.tick()
            stack.extend(reversed(self._emit_node(group, n)))  # first child replayed first

    def _frontier(self, group: list[DisjunctData], root: Node, want: int) -> list[Node]:
        """Replay the top of the tree, largest subtree first, until `want` subtrees are open."""
        frontier = [root]
        while len(frontier) < want:
            big = max(frontier, key=subtree_size)
            if subtree_size(big) == 1:
                break
            frontier.remove(big)
            frontier.extend(self._emit_node(group, big))
        return frontier

    def _emit_node(self, group: list[DisjunctData], n: Node) -> list[Node]:
        """The steps of one node: bounds, then closes (one per open disjunct, named when the
        root is shared) or a split; returns the children it opened."""
        if n.method is not None:
            self.log.bounds(n.id, n.method)
            self.stats.bounds_steps[n.method] += 1
        for K, hint_lists in (n.layer_steps or {}).items():
            for hints in hint_lists:
                self.log.bounds_layer(n.id, K, hints)
                self.stats.bounds_steps["layer"] += 1
        if n.hints is not None:
            named = len(group) > 1
            if all(self.log.close_linear(n.id, d if named else None, *h) for d, h in n.hints.items()):
                self.stats.closed += 1
                return []
            self.stats.rejected += 1  # the disjuncts still open on the node are searched again
            n = self._from_session(group, n.id)
            t = time.monotonic()
            try:
                self.expand(group, [n])
            finally:
                self.stats.float_seconds += time.monotonic() - t
        if n.z3_leaf:
            if self.log.session is None:
                raise GiveUp("a leaf without unstable neurons that only z3 decides (no exact replay)")
            model, left = [], self.deadline - time.monotonic()
            if self.log.close_z3(n.id, model, min(left, Z3_LEAF_SECONDS)):
                self.stats.closed += 1
                return []
            if model:
                raise Found(n.open[0], model)  # z3's exact point; verify() re-checks it exactly
            if left < Z3_LEAF_SECONDS:
                raise Timeout()  # z3 had all the query's remaining time: timed-out, not unknown
            raise GiveUp("a leaf without unstable neurons that z3 could not decide")
        kind, a, b = n.split
        ids = self.log.split_input(n.id, a, b) if kind == "input" else self.log.split_relu(n.id, a, b)
        for child, cid in zip(n.children, ids):
            child.id = cid
        children, n.children = n.children, None
        return children

    def _from_session(self, group: list[DisjunctData], node_id: int) -> Node:
        """A float node mirroring the Session's own (exact) state of an open node, rounded
        outward; it must be split (its float close was just rejected)."""
        d = group[0]
        kn = self.log.session.open[node_id]
        lo = np.array([_float_out(v, False) for v in kn.lo])
        hi = np.array([_float_out(v, True) for v in kn.hi])
        lower = [np.array([_float_out(v, False) for v in l]) for l in kn.lower]
        upper = [np.array([_float_out(v, True) for v in u]) for u in kn.upper]
        n = Node(np.maximum(lo, d.lo), np.minimum(hi, d.hi), lower, upper, open=kn.disjuncts, force_split=True)
        n.id = node_id
        if not self.low_dim:
            n.sigmas = [np.zeros_like(l) for l in lower]
            for (k, j), s in kn.phases.items():
                n.sigmas[k - 1][j] = s
        return n

    # ---------------------------------------------------------------- input splitting
    def _certify(self, d, lo, hi, VL, VU, alphas0, lam0, iters):
        cert = optimise(self.net, lo, hi, VL, VU, d.A, d.const, alphas0=alphas0, lambdas0=lam0,
                        iters=iters, stop_at=CLOSE_MARGIN * 10)
        lam_r, al_r, _ = round_certificate(cert, VL, VU)
        return cert, lam_r, al_r

    @staticmethod
    def _warm(d: DisjunctData, nodes: list[Node], L, U):
        """Start slopes and multipliers of d on `nodes`: those the parent's certificate for d
        ended with (default slopes on L, U where there is none)."""
        alphas0 = default_alphas(L, U)
        warm = [(n.warm or {}).get(d.index) for n in nodes]
        for r, w in enumerate(warm):
            if w is not None:
                for h, a in enumerate(w[0]):
                    alphas0[h][r] = a
        lam0 = _stack([w[2] for w in warm]) if d.A.shape[0] > 1 and all(w is not None for w in warm) else None
        return alphas0, lam0

    @staticmethod
    def _add_close(n: Node, d: DisjunctData, k: int, lam_r, al_r, VL, VU) -> None:
        """The close of disjunct d on node n from row k of a rounded certificate."""
        lam, ah, _ = hints_of(k, lam_r, al_r, None, VL, VU)
        n.hints = {**(n.hints or {}), d.index: (lam, ah, ())}

    def _input_batch(self, group: list[DisjunctData], batch: list[Node]) -> list[Node]:
        """One batch of input-split nodes. A node becomes a leaf when every disjunct open on it
        closes with one set of bounds: the inherited ones (no bounds step), interval, or crown,
        the cheapest that serves all of them; otherwise it is split, for all of them."""
        net = self.net
        H, B = net.depth - 1, len(batch)
        lo, hi = _stack([n.lo for n in batch]), _stack([n.hi for n in batch])
        L = [_stack([n.lower[h] for n in batch]) for h in range(H)]
        U = [_stack([n.upper[h] for n in batch]) for h in range(H)]
        ivL, ivU = compute_bounds(net, lo, hi, L, U, "interval")
        iters = self.s.root_iters if batch[0].depth == 0 else self.s.iters
        forced = np.array([n.force_split for n in batch])
        self.stats.worst = np.inf
        # cheap closes first: per disjunct one certificate, optimised on interval bounds and
        # tried with the inherited bounds and with interval bounds
        rows = {d.index: np.array([i for i, n in enumerate(batch) if d.index in n.open], int) for d in group}
        ds = [d for d in group if len(rows[d.index])]
        stages = ((None, L, U), ("interval", ivL, ivU))
        closes = {name: ~forced for name, _, _ in stages}
        cheap, warm = {}, {}
        for d in ds:
            r = rows[d.index]
            warm[d.index] = self._warm(d, [batch[i] for i in r], _at(ivL, r), _at(ivU, r))
            cert, lam_r, al_r = self._certify(d, lo[r], hi[r], _at(ivL, r), _at(ivU, r), *warm[d.index], iters)
            cheap[d.index] = (lam_r, al_r)
            self.stats.worst = min(self.stats.worst, float(np.min(cert.bound)))  # (progress display)
            if np.any(cert.bound <= 0):
                self.check_candidates(d, cert.x_star)
            for name, VL, VU in stages:
                b = evaluate(net, lo[r], hi[r], _at(VL, r), _at(VU, r), d.A, d.const, lam_r, al_r).bound[:, 0]
                closes[name][r[b <= CLOSE_MARGIN]] = False
        method = {}  # batch index -> the cheapest stage closing every disjunct open on the node
        for stage in stages:
            for i in np.nonzero(closes[stage[0]])[0]:
                method.setdefault(int(i), stage)
        for d in ds:
            r = rows[d.index]
            for k, i in enumerate(r):
                if int(i) in method:
                    _, VL, VU = method[int(i)]
                    self._add_close(batch[i], d, k, *cheap[d.index], _at(VL, r), _at(VU, r))
        for i, (name, _, _) in method.items():
            batch[i].method = name
            batch[i].drop_arrays()
        rest = np.array([i for i in range(B) if i not in method], int)
        if not len(rest):
            return []
        left_rows, left_warm = {}, {}  # the same, restricted to the nodes left
        for e, r in rows.items():
            keep = np.isin(r, rest)
            left_rows[e] = np.searchsorted(rest, r[keep])
            if e in warm:
                alphas0, lam0 = warm[e]
                left_warm[e] = (_at(alphas0, keep), None if lam0 is None else lam0[keep])
        return self._crown_stage(group, [batch[i] for i in rest], left_rows, left_warm,
                                 lo[rest], hi[rest], _at(L, rest), _at(U, rest), iters)

    def _crown_stage(self, group, nodes, rows, warm, lo, hi, L, U, iters) -> list[Node]:
        """Nodes that cheap bounds did not close: crown bounds, a certificate per disjunct
        warm-started from the node's own (inherited) slopes and multipliers, not from the
        interval ones just optimised; a leaf if every open disjunct closes, else a split
        chosen for all of them. `rows[d]`: the nodes d is open on; `warm[d]`: their start."""
        net = self.net
        crL, crU = compute_bounds(net, lo, hi, L, U, "crown")
        closes = np.array([not n.force_split for n in nodes])
        certs, attacks, worst = [], [], np.inf
        for d in group:
            rr = rows[d.index]
            if not len(rr):
                continue
            cert, lam_c, al_c = self._certify(d, lo[rr], hi[rr], _at(crL, rr), _at(crU, rr), *warm[d.index], iters)
            b = evaluate(net, lo[rr], hi[rr], _at(crL, rr), _at(crU, rr), d.A, d.const, lam_c, al_c).bound[:, 0]
            closes[rr[b <= CLOSE_MARGIN]] = False
            certs.append((d, rr, cert, lam_c, al_c))
            self.check_candidates(d, np.concatenate([cert.x_star, (lo[rr] + hi[rr]) / 2]))
            attacks.extend((cert.bound[k], k, d, cert, rr) for k in range(len(rr)))
            worst = min(worst, float(np.min(cert.bound)))
        self.stats.worst = min(self.stats.worst, worst)
        for bound, k, d, cert, rr in sorted(attacks, key=lambda a: a[0])[:self.s.node_attacks]:  # worst boxes
            if bound <= 0:
                i = rr[k]
                xs, _ = pgd(net, lo[i], hi[i], d.A, d.const, self.rng, 16, 25, cert.x_star[k][None])
                self.check_candidates(d, xs, limit=2)
        items, child_warm = [], [{} for _ in nodes]
        for d, rr, cert, lam_c, al_c in certs:
            for k, r in enumerate(rr):
                if closes[r]:
                    self._add_close(nodes[r], d, k, lam_c, al_c, _at(crL, rr), _at(crU, rr))
                else:
                    child_warm[r][d.index] = (_at(cert.alphas, k), None, cert.lambdas[k])
            on = np.nonzero(~closes[rr])[0]
            items.append((d, rr[on], cert.lambdas[on], _at(cert.alphas, on), cert.bound[on]))
        dims = self._choose_dims(group[0], lo, hi, crL, crU, items)
        children = []
        for r, n in enumerate(nodes):
            if closes[r]:
                n.method = "crown"
                n.drop_arrays()
            else:  # children inherit the Session's bounds (no bounds step at a split)
                children.extend(self._split_input(n, child_warm[r], dims[r], _at(L, r), _at(U, r)))
        return children

    def _choose_dims(self, box: DisjunctData, lo, hi, L, U, items) -> dict:
        """Input dimension per node to split: the one whose two halves have the least summed
        violation, summed over the disjuncts open on the node: a one-step lookahead, batched.
        The halves' crown bounds are intersected with the node's own crown bounds (L, U) and
        each disjunct's bound uses its certificate's slopes and multipliers, so a half scores
        no worse than its parent (up to rounding). Scored with fresh default slopes and bounds,
        most real splits looked worse than a split that changes nothing, and the search halved
        one dimension down to the float grid while the others stayed wide (ACAS Xu 1_1 prop_2:
        173k nodes in 400 s without closing; with this, 235 nodes and 2.6 s). It only ranks
        dimensions, so it runs in float32 (half the memory traffic of float64).
        `items`: per disjunct (d, node rows, lambdas, alphas, own bound) of the nodes to split.

        When no split improves on the nodes' own bounds `own` (by NO_GAIN of them), the ranking
        is rounding noise, and the node needs more slope optimisation rather than a particular
        split: the widest dimension (relative to the box) is halved then. Left to the noise,
        ACAS Xu 1_1 prop_6's disjunct 6 halved one input to 2^-20 of its width and ran past 31k
        nodes; with the rule it closes after 2.9k."""
        todo = sorted({int(r) for _, rr, *_ in items for r in rr})
        if not todo:
            return {}
        at_row = {r: s for s, r in enumerate(todo)}
        ix, n0 = np.array(todo), lo.shape[1]
        k, twice = len(ix), 2 * n0
        mid = (lo[ix] + hi[ix]) / 2
        clo = np.repeat(lo[ix], twice, axis=0).reshape(k, 2, n0, n0)
        chi = np.repeat(hi[ix], twice, axis=0).reshape(k, 2, n0, n0)
        for dim in range(n0):
            chi[:, 0, dim, dim] = mid[:, dim]
            clo[:, 1, dim, dim] = mid[:, dim]
        f32 = lambda a: a.astype(np.float32)
        clo, chi = f32(clo.reshape(-1, n0)), f32(chi.reshape(-1, n0))
        rep = lambda a: f32(np.repeat(a, twice, axis=0))
        cl, cu = compute_bounds(self.net32, clo, chi, [rep(a[ix]) for a in L], [rep(a[ix]) for a in U], "crown")
        score, noop = np.zeros((k, 2, n0)), np.zeros(k)
        for d, rr, lam, alphas, own in items:
            s = np.array([at_row[int(r)] for r in rr], int)
            if not len(s):
                continue
            child = (s[:, None] * twice + np.arange(twice)).ravel()
            b = evaluate(self.net32, clo[child], chi[child], _at(cl, child), _at(cu, child), f32(d.A), f32(d.const),
                         rep(lam), [rep(a) for a in alphas]).bound[:, 0]
            score[s] += np.minimum(b.reshape(len(s), 2, n0), 0.0)
            noop[s] += 2 * np.minimum(own, 0.0)  # the score of a split that changes nothing
        b = score.sum(axis=1)
        width = (hi - lo)[ix]
        b = np.where(width > MIN_WIDTH, b, -np.inf)
        best = np.argmax(b, axis=1)
        useless = b[np.arange(k), best] <= noop + NO_GAIN * np.abs(noop)
        relative = np.divide(width, box.hi - box.lo, out=np.full_like(width, -np.inf), where=width > MIN_WIDTH)
        widest = np.argmax(relative, axis=1)  # (fixed inputs have width 0: not divided)
        best = np.where(useless, widest, best)
        return {r: int(best[s]) for s, r in enumerate(todo)}

    def _split_input(self, n: Node, warm: dict, dim: int, lower, upper) -> list[Node]:
        if np.max(n.hi - n.lo) < MIN_WIDTH:
            raise GiveUp("box too small to split and not closed")
        mid = (n.lo[dim] + n.hi[dim]) / 2
        t = round(mid * 2.0 ** 50) / 2.0 ** 50
        if not n.lo[dim] < t < n.hi[dim]:
            t = mid
        if not n.lo[dim] < t < n.hi[dim]:
            raise GiveUp(f"cannot split dimension {dim}")
        out = []
        for lo_t, hi_t in ((None, t), (t, None)):
            lo, hi = n.lo.copy(), n.hi.copy()
            if hi_t is not None:
                hi[dim] = min(hi[dim], hi_t)
            if lo_t is not None:
                lo[dim] = max(lo[dim], lo_t)
            out.append(Node(lo, hi, lower, upper, open=n.open, warm=warm, depth=n.depth + 1))
        n.split, n.children = ("input", dim, t), out
        n.drop_arrays()
        return out[::-1]  # low child processed first

    # ---------------------------------------------------------------- ReLU splitting
    def _relu_root(self, d: DisjunctData, root: Node):
        """Optimised-slope bounds of every hidden layer at the root when the plain bound does not
        close it (`bounds N layer K` steps, inherited by the whole tree): on mnist_fc 256x4 at
        eps 0.05 they leave 91 of 256 last-layer neurons unstable where crown leaves 230."""
        net, H = self.net, self.net.depth - 1
        lo, hi = d.lo[None], d.hi[None]
        L = [l[None] for l in root.lower]
        U = [u[None] for u in root.upper]
        cert = optimise(net, lo, hi, L, U, d.A, d.const, iters=self.s.root_iters, stop_at=CLOSE_MARGIN * 10)
        if cert.bound[0] <= CLOSE_MARGIN * 10 and H >= 2:
            key = (d.lo.tobytes(), d.hi.tobytes())  # disjuncts of one robustness query share the box
            if key not in self.root_bounds:
                self.root_bounds[key] = optimised_layer_bounds(net, lo, hi, L, U, self.s.slope_iters)
            crL, crU, root.layer_steps = self.root_bounds[key]
            root.lower, root.upper = [v[0] for v in crL], [v[0] for v in crU]
        root.sigmas = [np.zeros_like(l) for l in root.lower]

    def _relu_batch(self, d: DisjunctData, batch: list[Node]) -> list[Node]:
        net, H = self.net, self.net.depth - 1
        B = len(batch)
        lo = np.broadcast_to(d.lo, (B, len(d.lo)))
        hi = np.broadcast_to(d.hi, (B, len(d.hi)))
        L = [_stack([n.lower[h] for n in batch]) for h in range(H)]
        U = [_stack([n.upper[h] for n in batch]) for h in range(H)]
        SIG = [_stack([n.sigmas[h] for n in batch]) for h in range(H)]
        alphas0, lam0 = self._warm(d, batch, L, U)
        betas0 = [np.zeros_like(l) for l in L]
        for i, n in enumerate(batch):
            if n.warm is not None:
                for h in range(H):
                    betas0[h][i] = n.warm[d.index][1][h]
        iters = self.s.root_iters if batch[0].depth == 0 else self.s.iters
        cert = optimise(net, lo, hi, L, U, d.A, d.const, sigmas=SIG, alphas0=alphas0, betas0=betas0,
                        lambdas0=lam0, iters=iters, stop_at=CLOSE_MARGIN * 10)
        self.stats.worst = float(np.min(cert.bound))
        self.check_candidates(d, cert.x_star)
        lam_r, al_r, be_r = round_certificate(cert, L, U, SIG)
        b = evaluate(net, lo, hi, L, U, d.A, d.const, lam_r, al_r, SIG, be_r).bound[:, 0]
        for i, n in enumerate(batch):
            if b[i] > CLOSE_MARGIN and not n.force_split:
                n.hints = {d.index: hints_of(i, lam_r, al_r, be_r, L, U)}
        self._close_linear_programs(d, batch, b, cert, lo, hi, L, U, SIG)
        children = []
        todo = [i for i, n in enumerate(batch) if n.hints is None]
        where = self._choose_relus(d, todo, cert, lo, hi, L, U, SIG)
        for i, n in enumerate(batch):
            if n.hints is not None:
                n.drop_arrays()
            else:
                children.extend(self._split_relu(d, n, cert, i, where[i]))
        return children

    def _choose_relus(self, d, idx, cert, lo, hi, L, U, SIG) -> dict:
        """Per node to split, the unstable neuron (layer index h, neuron j) whose two children
        have the least summed violation, None if it has none: a one-step lookahead among the
        `relu_candidates` best by the usual score |coefficient| * (-l u / (u - l)), each child
        bounded with the node's certificate (its slopes, multipliers and lambda) and the split
        neuron fixed. The score alone ranks neurons by the relaxation gap they carry, not by
        what fixing them does to this bound. With 8 candidates a ppnn 784-32-10 maximal-box
        query took 1,553 nodes instead of 6,077 (2.4x less time), and mnist_fc 256x2's 30
        proofs shrank from 223 KB to 133 KB in all."""
        H, K = len(L), self.s.relu_candidates
        if not idx:
            return {}
        ix = np.array(idx)
        scores, layer, neuron = [], [], []
        for h in range(H):      # scores of every neuron of every node, unstable ones >= 0
            l, u = L[h][ix], U[h][ix]
            unstable = (l < 0) & (u > 0)
            with np.errstate(divide="ignore", invalid="ignore"):
                gap = np.where(unstable, u * (-l) / (u - l), 0.0)
            scores.append(np.where(unstable, np.abs(cert.coeff_h[h][ix]) * gap + 1e-12 * gap, -1.0))
            layer.append(np.full(l.shape[1], h))
            neuron.append(np.arange(l.shape[1]))
        scores, layer, neuron = np.concatenate(scores, axis=1), np.concatenate(layer), np.concatenate(neuron)
        top = np.argsort(-scores, axis=1, kind="stable")[:, :K]      # (nodes, K) best first
        ok = np.take_along_axis(scores, top, axis=1) >= 0             # candidates that are unstable
        node_r, cand_r = np.nonzero(ok)
        if not len(node_r):
            return {i: None for i in idx}
        src = np.repeat(ix[node_r], 2)                                # two children per candidate
        hs, js = np.repeat(layer[top[node_r, cand_r]], 2), np.repeat(neuron[top[node_r, cand_r]], 2)
        sg = np.tile([-1.0, 1.0], len(node_r))
        Lr, Ur, Sr = [v[src] for v in L], [v[src] for v in U], [v[src] for v in SIG]
        for h in range(H):
            r = np.nonzero(hs == h)[0]
            Sr[h][r, js[r]] = sg[r]
            neg, pos = r[sg[r] < 0], r[sg[r] > 0]
            Ur[h][neg, js[neg]] = np.minimum(Ur[h][neg, js[neg]], 0.0)
            Lr[h][pos, js[pos]] = np.maximum(Lr[h][pos, js[pos]], 0.0)
        b = evaluate(self.net, lo[src], hi[src], Lr, Ur, d.A, d.const, cert.lambdas[src],
                     [a[src] for a in cert.alphas], Sr, [v[src] for v in cert.betas]).bound[:, 0]
        gain = np.full(ok.shape, -np.inf)
        gain[node_r, cand_r] = np.minimum(b, 0.0).reshape(-1, 2).sum(axis=1)
        best = np.argmax(gain, axis=1)
        return {i: (int(layer[top[r, best[r]]]), int(neuron[top[r, best[r]]])) if ok[r].any() else None
                for r, i in enumerate(idx)}

    def _close_linear_programs(self, d, batch, b, cert, lo, hi, L, U, SIG):
        """Nodes with every ReLU fixed are linear programs: an LP solver decides them
        (engine/leaf_lp.py). Empty: its duals are the closing certificate (rounded and
        re-evaluated like any other); not empty: its point is a counterexample candidate.
        What it leaves undecided (a margin below float resolution) goes to z3."""
        H = len(L)
        lp = [i for i, n in enumerate(batch) if n.hints is None and not n.force_split and b[i] <= CLOSE_MARGIN
              and not any(np.any((L[h][i] < 0) & (U[h][i] > 0)) for h in range(H))]
        empty = []
        for i in lp:
            sol = solve_leaf(self.net, lo[i], hi[i], [v[i] for v in L], [v[i] for v in SIG], d.A, d.const)
            if sol is None:
                continue
            # the point is checked even when t > 0: t within the solver's tolerance (1e-7) of 0
            # is a tie the LP cannot settle, where the network itself (the real ReLUs at the
            # point) may still show a counterexample
            self.check_candidates(d, sol.x[None])
            if sol.t > 0:
                empty.append((i, sol))
        if not empty:
            return
        ix = np.array([i for i, _ in empty])
        Li, Ui, Si = _at(L, ix), _at(U, ix), _at(SIG, ix)   # the empty leaves' rows, sliced once
        lam = np.stack([s.lambdas for _, s in empty])
        if d.A.shape[0] and np.any(lam.max(axis=1) <= 0):  # the splits alone are contradictory
            lam = np.maximum(lam, 1e-9 * np.max([np.max(np.concatenate(s.betas)) for _, s in empty]))
        found = Certificate(np.array([s.t for _, s in empty]), lam, [np.zeros_like(v) for v in Li],
                            [np.stack([s.betas[h] for _, s in empty]) for h in range(H)], None, None, None)
        # full float precision: a leaf the LP shows empty by 1e-7 lost that much to 30-bit
        # hints (ppnn maximal-box boxes) and went to z3, which a float-only search cannot run
        lam_r, al_r, be_r = round_certificate(found, Li, Ui, Si, bits=52)
        got = evaluate(self.net, lo[ix], hi[ix], Li, Ui, d.A, d.const, lam_r, al_r, Si, be_r).bound[:, 0]
        for r, i in enumerate(ix):
            if got[r] > CLOSE_MARGIN:
                batch[i].hints = {d.index: hints_of(r, lam_r, al_r, be_r, Li, Ui)}
                self.stats.lp_leaves += 1

    def _split_relu(self, d: DisjunctData, n: Node, cert, i: int, where) -> list[Node]:
        if where is None:  # a linear program: the float multipliers did not settle it, z3 will
            n.z3_leaf = True
            n.drop_arrays()
            return []
        h, j = where
        out = []
        for sigma in (-1, 1):
            lower = [v.copy() for v in n.lower]
            upper = [v.copy() for v in n.upper]
            sig = [v.copy() for v in n.sigmas]
            sig[h][j] = sigma
            if sigma < 0:
                upper[h][j] = min(upper[h][j], 0.0)
            else:
                lower[h][j] = max(lower[h][j], 0.0)
            warm = ([a_[i].copy() for a_ in cert.alphas], [b_[i].copy() for b_ in cert.betas], cert.lambdas[i].copy())
            out.append(Node(n.lo, n.hi, lower, upper, n.open, sig, {d.index: warm}, depth=n.depth + 1))
        n.split, n.children = ("relu", h + 1, j), out
        n.drop_arrays()
        return out
