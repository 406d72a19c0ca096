"""ReLU phase splitting (high-dimensional inputs, e.g. MNIST): every disjunct keeps its own tree,
since the neurons worth splitting depend on the disjunct's objective (the proof still replays the
root's bounds steps once for the disjuncts of one box: prover/verify.py `_plan`). Per batch of nodes one
certificate with split multipliers (beta); the nodes it does not close are split on the neuron
a one-step lookahead ranks best, or, with every ReLU fixed, handed to the LP leaves. A leaf that
neither closes is given up (the checker closes leaves only by linear certificates, spec 4.6).
"""
from __future__ import annotations

import time

import numpy as np

from .engine.certificate import evaluate, hints_of, optimise, round_certificate
from .engine.intermediate import optimised_layer_bounds
from .falsify import Falsifier
from .lp_leaves import close_linear_programs
from .problem import DisjunctData, Problem
from .tree import CLOSE_MARGIN, GiveUp, Node, Settings, Stats, Warm, stack, warm_start


ROOT_SLOPE_SHARE = 0.25  # of the remaining time, at most, for the root's slope optimisation
# The split lookahead bounds 2 x relu_candidates children per node (4,096 per batch of 64); a
# backward pass holds about ten (children, hidden neurons) float64 arrays at once (bounds, phases,
# slopes, multipliers, coefficients, relaxation). It goes in chunks of at most this many (child,
# neuron) entries, 2 MB per array. In one go, verivital's Convnet_avgpool prop_7_0.04 took the
# prover to 9.4 GB and 30-40 s per batch; in chunks, 0.6 GB and 7 s (2^16..2^18 alike, 2^20
# 9 s, 2^24 16 s). Float search alone, one core: oval21 deep img7878 29.7 -> 24.6 s (1.09 ->
# 0.30 GB), base img8717 10.7 -> 10.3 s; mnist_fc 256x6 prop_1_0.03 ~1,850 -> 2,175 nodes in 30 s.
LOOKAHEAD_ENTRIES = 1 << 18


def _children_bounds(net, d, cert, lo, hi, L, U, SIG, src, hs, js, sg) -> np.ndarray:
    """The bound of each child: node src[r] with neuron (hs[r], js[r]) fixed to phase sg[r],
    under the node's certificate."""
    Lr, Ur, Sr = [v[src] for v in L], [v[src] for v in U], [v[src] for v in SIG]
    for h in range(len(L)):
        r = np.nonzero(hs == h)[0]
        Sr[h][r, js[r]] = sg[r]
        neg, pos = r[sg[r] < 0], r[sg[r] > 0]
        Ur[h][neg, js[neg]] = np.minimum(Ur[h][neg, js[neg]], 0.0)
        Lr[h][pos, js[pos]] = np.maximum(Lr[h][pos, js[pos]], 0.0)
    return evaluate(net, lo[src], hi[src], Lr, Ur, d.A, d.const, cert.lambdas[src],
                    [a[src] for a in cert.alphas], Sr, [v[src] for v in cert.betas]).bound[:, 0]


class ReluSplitting:
    def __init__(self, problem: Problem, settings: Settings, stats: Stats, falsifier: Falsifier):
        self.net, self.s, self.stats, self.falsifier = problem.net, settings, stats, falsifier
        self.root_bounds = {}  # (lo, hi) bytes -> optimised_layer_bounds of a root

    def _share(self, fraction: float) -> float | None:
        """The time.monotonic() at which `fraction` of the query's remaining time is spent (None: no deadline)."""
        deadline = self.falsifier.deadline
        return None if deadline is None else time.monotonic() + fraction * (deadline - time.monotonic())

    def root(self, group: list[DisjunctData], root: Node) -> None:
        """Optimised-slope bounds of every hidden layer at the root when the plain bound does not
        close it (`bounds N layer K` steps, inherited by the whole tree): on mnist_fc 256x4 at
        eps 0.05 they leave 91 of 256 last-layer neurons unstable where crown leaves 230."""
        d = group[0]
        net, H = self.net, self.net.depth - 1
        lo, hi = d.lo[None], d.hi[None]
        L = [l[None] for l in root.lower]
        U = [u[None] for u in root.upper]
        cert = optimise(net, lo, hi, L, U, d.A, d.const, iters=self.s.root_iters, stop_at=CLOSE_MARGIN * 10)
        if cert.bound[0] <= CLOSE_MARGIN * 10 and H >= 2:
            key = (d.lo.tobytes(), d.hi.tobytes())  # disjuncts of one robustness query share the box
            if key not in self.root_bounds:
                self.root_bounds[key] = optimised_layer_bounds(net, lo, hi, L, U, self.s.slope_iters,
                                                               deadline=self._share(ROOT_SLOPE_SHARE))
            crL, crU, root.layer_steps = self.root_bounds[key]
            root.lower, root.upper = [v[0] for v in crL], [v[0] for v in crU]
        root.sigmas = [np.zeros_like(l) for l in root.lower]

    def batch(self, group: list[DisjunctData], batch: list[Node]) -> list[Node]:
        d, net, H = group[0], self.net, self.net.depth - 1
        B = len(batch)
        lo = np.broadcast_to(d.lo, (B, len(d.lo)))
        hi = np.broadcast_to(d.hi, (B, len(d.hi)))
        L = [stack([n.lower[h] for n in batch]) for h in range(H)]
        U = [stack([n.upper[h] for n in batch]) for h in range(H)]
        SIG = [stack([n.sigmas[h] for n in batch]) for h in range(H)]
        alphas0, lam0 = warm_start(d, batch, L, U)
        betas0 = [np.zeros_like(l) for l in L]
        for i, n in enumerate(batch):
            if n.warm is not None:
                for h in range(H):
                    betas0[h][i] = n.warm[d.index].betas[h]
        iters = self.s.root_iters if batch[0].depth == 0 else self.s.iters
        cert = optimise(net, lo, hi, L, U, d.A, d.const, sigmas=SIG, alphas0=alphas0, betas0=betas0,
                        lambdas0=lam0, iters=iters, stop_at=CLOSE_MARGIN * 10)
        self.stats.worst = float(np.min(cert.bound))
        self.falsifier.check_candidates(d, cert.x_star)
        lam_r, al_r, be_r = round_certificate(cert, L, U, SIG)
        b = evaluate(net, lo, hi, L, U, d.A, d.const, lam_r, al_r, SIG, be_r).bound[:, 0]
        for i, n in enumerate(batch):
            if b[i] > CLOSE_MARGIN and not n.force_split:
                n.hints = {d.index: hints_of(i, lam_r, al_r, be_r, L, U)}
        self.stats.lp_leaves += close_linear_programs(self.net, self.falsifier, d, batch, b, lo, hi, L, U, SIG)
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
        proofs shrank from 223 KB to 133 KB in all. On conv nets, with hundreds of unstable
        neurons, the score misranks more: with 32 candidates instead of 8, oval21 went from 14 to 18
        solved of 30 with checked proofs (deep img7878 447 s -> 38 s; base img8717, img2578, deep
        img4510 and img4168 solved in 15-260 s, where 8 timed out at 720 s)."""
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
        rows = max(1, LOOKAHEAD_ENTRIES // sum(l.shape[1] for l in L))
        b = np.concatenate([_children_bounds(self.net, d, cert, lo, hi, L, U, SIG, src[c:c + rows], hs[c:c + rows],
                                             js[c:c + rows], sg[c:c + rows])
                            for c in range(0, len(src), rows)])
        gain = np.full(ok.shape, -np.inf)
        gain[node_r, cand_r] = np.minimum(b, 0.0).reshape(-1, 2).sum(axis=1)
        best = np.argmax(gain, axis=1)
        return {i: (int(layer[top[r, best[r]]]), int(neuron[top[r, best[r]]])) if ok[r].any() else None
                for r, i in enumerate(idx)}

    def _split_relu(self, d: DisjunctData, n: Node, cert, i: int, where) -> list[Node]:
        if where is None:  # every ReLU fixed: a linear program that neither the LP's duals nor its point settled
            raise GiveUp("a leaf with every ReLU fixed that no linear certificate closes in float "
                         "(a margin below float resolution, or a point on the boundary of the unsafe set)")
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
            warm = Warm([a_[i].copy() for a_ in cert.alphas], [b_[i].copy() for b_ in cert.betas], cert.lambdas[i].copy())
            out.append(Node(n.lo, n.hi, lower, upper, n.open, sig, {d.index: warm}, depth=n.depth + 1))
        n.split, n.children = ("relu", h + 1, j), out
        n.drop_arrays()
        return out
