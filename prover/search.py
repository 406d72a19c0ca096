"""Branch and bound with proof emission: input splitting (low-dimensional inputs) and ReLU
phase splitting (high-dimensional inputs), batched over nodes, falsification at every node."""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from .engine.attack import pgd
from .engine.bounds import compute_bounds
from .engine.certificate import (default_alphas, evaluate, hints_of, optimise, round_certificate)
from .problem import DisjunctData, Problem, exact_unsafe, snap_into_box

CLOSE_MARGIN = 1e-8     # float bound needed before asking the exact checker
MIN_WIDTH = 1e-9        # input boxes narrower than this in every dimension are given up


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
    attack_restarts_low_dim: int = 512  # input splitting (cheap networks, non-smooth margins)
    attack_steps_low_dim: int = 100
    node_attacks: int = 4               # local PGD in the worst boxes of each batch
    input_split_max_dim: int = 20
    crown_before_split: bool = os.environ.get('APOTHEM_CBS', '0') == '1'
    seed: int = 0


@dataclass
class Node:
    id: int
    lo: np.ndarray
    hi: np.ndarray
    lower: list            # per hidden layer (n_k,): the Session's bounds, mirrored in float
    upper: list
    sigmas: list | None = None   # per hidden layer (n_k,) in {-1, 0, 1}
    alphas: list | None = None   # warm start
    betas: list | None = None
    lam: np.ndarray | None = None
    depth: int = 0


@dataclass
class Stats:
    nodes: int = 0
    closed: int = 0
    bounds_steps: dict = field(default_factory=lambda: {"interval": 0, "crown": 0})
    rejected: int = 0
    worst: float = float("nan")


def _stack(arrs):
    return np.stack(arrs, axis=0)


class Search:
    def __init__(self, problem: Problem, log, deadline: float, progress: bool = False,
                 settings: Settings | None = None):
        self.p, self.net, self.log = problem, problem.net, log
        self.deadline, self.progress = deadline, progress
        self.s = settings or Settings()
        self.rng = np.random.default_rng(self.s.seed)
        self.stats = Stats()
        self.t0 = time.monotonic()
        self.open = 0
        self._last_print = 0.0

    # -- bookkeeping
    def tick(self):
        now = time.monotonic()
        if now > self.deadline:
            raise Timeout()
        if self.progress and now - self._last_print > 0.25:
            self._last_print = now
            sys.stderr.write(f"\r[apothem] nodes {self.stats.nodes} open {self.open} closed {self.stats.closed}"
                             f" worst-bound {self.stats.worst:.3g} elapsed {now - self.t0:.1f}s   ")
            sys.stderr.flush()

    def done_progress(self):
        if self.progress:
            sys.stderr.write("\n")

    def check_candidates(self, d: DisjunctData, xs: np.ndarray, limit: int = 4):
        xs = np.clip(xs, d.lo, d.hi)
        y = self.net.forward(xs)
        m = self.p.margin(d, y)
        for i in np.argsort(m)[:limit]:
            if m[i] > 1e-9:
                break
            q = snap_into_box(d, xs[i])
            if q is not None and exact_unsafe(self.p.network, d, q):
                raise Found(d.index, q)

    def attack(self, d: DisjunctData, restarts=None, steps=None, x0=None):
        if d.A.shape[0] == 0:
            self.check_candidates(d, ((d.lo + d.hi) / 2)[None])
            return
        low = self.net.widths[0] <= self.s.input_split_max_dim
        restarts = restarts or (self.s.attack_restarts_low_dim if low else self.s.attack_restarts)
        steps = steps or (self.s.attack_steps_low_dim if low else self.s.attack_steps)
        xs, m = pgd(self.net, d.lo, d.hi, d.A, d.const, self.rng, restarts, steps, x0)
        self.check_candidates(d, xs)

    # -- per disjunct
    def solve(self, d: DisjunctData):
        if d.A.shape[0] == 0:
            raise GiveUp("disjunct without output constraints (every box point is unsafe)")
        if self.net.widths[0] <= self.s.input_split_max_dim:
            self.input_split(d)
        else:
            self.relu_split(d)

    def _root(self, d: DisjunctData) -> Node:
        rid = self.log.root(d.index)
        lower, upper = compute_bounds(self.net, d.lo[None], d.hi[None])
        return Node(rid, d.lo.copy(), d.hi.copy(), [l[0] for l in lower], [u[0] for u in upper])

    # ---------------------------------------------------------------- input splitting
    def input_split(self, d: DisjunctData):
        stack = [self._root(d)]
        while stack:
            self.open = len(stack)
            self.tick()
            batch = stack[-self.s.batch:]
            del stack[-self.s.batch:]
            stack.extend(self._input_batch(d, batch))

    def _input_batch(self, d: DisjunctData, batch: list[Node]) -> list[Node]:
        net, H = self.net, self.net.depth - 1
        B = len(batch)
        self.stats.nodes += B
        lo, hi = _stack([n.lo for n in batch]), _stack([n.hi for n in batch])
        L = [_stack([n.lower[h] for n in batch]) for h in range(H)]
        U = [_stack([n.upper[h] for n in batch]) for h in range(H)]
        ivL, ivU = compute_bounds(net, lo, hi, L, U, "interval")
        crL, crU = compute_bounds(net, lo, hi, L, U, "crown")
        alphas0 = default_alphas(crL, crU)
        lam0 = None
        if d.A.shape[0] > 1 and all(n.lam is not None for n in batch):
            lam0 = _stack([n.lam for n in batch])
        for i, n in enumerate(batch):
            if n.alphas is not None:
                for h in range(H):
                    alphas0[h][i] = n.alphas[h]
        iters = self.s.root_iters if batch[0].depth == 0 else self.s.iters
        cert = optimise(net, lo, hi, crL, crU, d.A, d.const, alphas0=alphas0, lambdas0=lam0,
                        iters=iters, stop_at=CLOSE_MARGIN * 10)
        self.stats.worst = float(np.min(cert.bound))
        self.check_candidates(d, np.concatenate([cert.x_star, (lo + hi) / 2]))
        for i in np.argsort(cert.bound)[:self.s.node_attacks]:  # local attacks in the worst boxes
            if cert.bound[i] <= 0:
                xs, _ = pgd(net, lo[i], hi[i], d.A, d.const, self.rng, 16, 25, cert.x_star[i][None])
                self.check_candidates(d, xs, limit=2)
        lam_r, al_r, _ = round_certificate(cert, crL, crU)
        variants = [(None, L, U), ("interval", ivL, ivU), ("crown", crL, crU)]
        choice = [None] * B
        for vi, (name, VL, VU) in enumerate(variants):
            b = evaluate(net, lo, hi, VL, VU, d.A, d.const, lam_r, al_r).bound[:, 0]
            for i in np.nonzero(b > CLOSE_MARGIN)[0]:
                if choice[i] is None:
                    choice[i] = vi
        children = []
        split_dims = self._choose_dims(d, batch, choice, cert, lo, hi, crL, crU, lam_r)
        for i, n in enumerate(batch):
            self.tick()
            if choice[i] is not None:
                name, VL, VU = variants[choice[i]]
                if name is not None:
                    self.log.bounds(n.id, name)
                    self.stats.bounds_steps[name] += 1
                    n.lower, n.upper = [v[i] for v in VL], [v[i] for v in VU]
                lam, ah, _ = hints_of(i, lam_r, al_r, None, VL, VU)
                if self.log.close_linear(n.id, lam, ah, ()):
                    self.stats.closed += 1
                    continue
                self.stats.rejected += 1
            if self.s.crown_before_split and (choice[i] is None or variants[choice[i]][0] != "crown"):
                self.log.bounds(n.id, "crown")
                self.stats.bounds_steps["crown"] += 1
                n.lower, n.upper = [v[i] for v in crL], [v[i] for v in crU]
            children.extend(self._split_input(d, n, cert, i, [a[i] for a in cert.alphas], split_dims.get(i)))
        return children

    def _choose_dims(self, d, batch, choice, cert, lo, hi, L, U, lam):
        """Input dimension per unclosed node: the one whose two halves have the best worse
        bound (default slopes, crown bounds of the halves): a one-step lookahead, batched."""
        idx = [i for i in range(len(batch)) if choice[i] is None]
        if not idx:
            return {}
        n0 = lo.shape[1]
        idx_a = np.array(idx)
        k = len(idx)
        mid = (lo[idx_a] + hi[idx_a]) / 2
        clo = np.repeat(lo[idx_a], 2 * n0, axis=0).reshape(k, 2, n0, n0)
        chi = np.repeat(hi[idx_a], 2 * n0, axis=0).reshape(k, 2, n0, n0)
        for dim in range(n0):
            chi[:, 0, dim, dim] = mid[:, dim]
            clo[:, 1, dim, dim] = mid[:, dim]
        clo, chi = clo.reshape(-1, n0), chi.reshape(-1, n0)
        rep = lambda a: np.repeat(a[idx_a], 2 * n0, axis=0)
        cl, cu = compute_bounds(self.net, clo, chi, [rep(a) for a in L], [rep(a) for a in U], "crown")
        b = evaluate(self.net, clo, chi, cl, cu, d.A, d.const, rep(lam), None).bound[:, 0]
        b = b.reshape(k, 2, n0).min(axis=1)
        width = (hi - lo)[idx_a]
        b = np.where(width > MIN_WIDTH, b, -np.inf)
        return {i: int(np.argmax(b[r])) for r, i in enumerate(idx)}

    def _split_input(self, d, n: Node, cert, i: int, alphas, dim=None) -> list[Node]:
        width = n.hi - n.lo
        if np.max(width) < MIN_WIDTH:
            raise GiveUp(f"node {n.id}: box too small to split and not closed")
        if dim is None:
            score = np.abs(cert.coeff_x[i]) * width
            dim = int(np.argmax(score if np.any(score > 0) else width))
        mid = (n.lo[dim] + n.hi[dim]) / 2
        t = round(mid * 2.0 ** 50) / 2.0 ** 50
        if not n.lo[dim] < t < n.hi[dim]:
            t = mid
        if not n.lo[dim] < t < n.hi[dim]:
            raise GiveUp(f"node {n.id}: cannot split dimension {dim}")
        a, b = self.log.split_input(n.id, dim, t)
        out = []
        for cid, lo_t, hi_t in ((a, None, t), (b, t, None)):
            lo, hi = n.lo.copy(), n.hi.copy()
            if hi_t is not None:
                hi[dim] = min(hi[dim], hi_t)
            if lo_t is not None:
                lo[dim] = max(lo[dim], lo_t)
            out.append(Node(cid, lo, hi, n.lower, n.upper, alphas=alphas,
                            lam=cert.lambdas[i].copy(), depth=n.depth + 1))
        return out[::-1]  # low child processed first

    # ---------------------------------------------------------------- ReLU splitting
    def relu_split(self, d: DisjunctData):
        net, H = self.net, self.net.depth - 1
        root = self._root(d)
        lo, hi = d.lo[None], d.hi[None]
        L = [l[None] for l in root.lower]
        U = [u[None] for u in root.upper]
        crL, crU = compute_bounds(net, lo, hi, L, U, "crown")
        cert = optimise(net, lo, hi, L, U, d.A, d.const, iters=self.s.root_iters, stop_at=CLOSE_MARGIN * 10)
        if cert.bound[0] <= CLOSE_MARGIN * 10 and H >= 2:
            self.log.bounds(root.id, "crown")
            self.stats.bounds_steps["crown"] += 1
            root.lower, root.upper = [v[0] for v in crL], [v[0] for v in crU]
        root.sigmas = [np.zeros_like(l) for l in root.lower]
        stack = [root]
        while stack:
            self.open = len(stack)
            self.tick()
            batch = stack[-self.s.batch:]
            del stack[-self.s.batch:]
            stack.extend(self._relu_batch(d, batch))

    def _relu_batch(self, d: DisjunctData, batch: list[Node]) -> list[Node]:
        net, H = self.net, self.net.depth - 1
        B = len(batch)
        self.stats.nodes += B
        lo = np.broadcast_to(d.lo, (B, len(d.lo)))
        hi = np.broadcast_to(d.hi, (B, len(d.hi)))
        L = [_stack([n.lower[h] for n in batch]) for h in range(H)]
        U = [_stack([n.upper[h] for n in batch]) for h in range(H)]
        SIG = [_stack([n.sigmas[h] for n in batch]) for h in range(H)]
        alphas0 = default_alphas(L, U)
        betas0 = [np.zeros_like(l) for l in L]
        for i, n in enumerate(batch):
            if n.alphas is not None:
                for h in range(H):
                    alphas0[h][i] = n.alphas[h]
                    betas0[h][i] = n.betas[h]
        lam0 = None
        if d.A.shape[0] > 1 and all(n.lam is not None for n in batch):
            lam0 = _stack([n.lam for n in batch])
        iters = self.s.root_iters if batch[0].depth == 0 else self.s.iters
        cert = optimise(net, lo, hi, L, U, d.A, d.const, sigmas=SIG, alphas0=alphas0, betas0=betas0,
                        lambdas0=lam0, iters=iters, stop_at=CLOSE_MARGIN * 10)
        self.stats.worst = float(np.min(cert.bound))
        self.check_candidates(d, cert.x_star)
        lam_r, al_r, be_r = round_certificate(cert, L, U, SIG)
        b = evaluate(net, lo, hi, L, U, d.A, d.const, lam_r, al_r, SIG, be_r).bound[:, 0]
        children = []
        for i, n in enumerate(batch):
            self.tick()
            if b[i] > CLOSE_MARGIN:
                lam, ah, bh = hints_of(i, lam_r, al_r, be_r, L, U)
                if self.log.close_linear(n.id, lam, ah, bh):
                    self.stats.closed += 1
                    continue
                self.stats.rejected += 1
            children.extend(self._split_relu(d, n, cert, i))
        return children

    def _split_relu(self, d, n: Node, cert, i: int) -> list[Node]:
        best, where = -1.0, None
        for h in range(len(n.lower)):
            l, u = n.lower[h], n.upper[h]
            unstable = (l < 0) & (u > 0)
            if not np.any(unstable):
                continue
            c = cert.coeff_h[h][i]
            with np.errstate(divide="ignore", invalid="ignore"):
                gap = np.where(unstable, u * (-l) / (u - l), 0.0)
            score = np.abs(c) * gap + 1e-12 * gap
            j = int(np.argmax(score))
            if unstable[j] and score[j] > best:
                best, where = float(score[j]), (h, j)
        if where is None:
            raise GiveUp(f"node {n.id}: no unstable neuron left and not closed")
        h, j = where
        a, b = self.log.split_relu(n.id, h + 1, j)
        out = []
        for cid, sigma in ((a, -1), (b, 1)):
            lower = [v.copy() for v in n.lower]
            upper = [v.copy() for v in n.upper]
            sig = [v.copy() for v in n.sigmas]
            sig[h][j] = sigma
            if sigma < 0:
                upper[h][j] = min(upper[h][j], 0.0)
            else:
                lower[h][j] = max(lower[h][j], 0.0)
            out.append(Node(cid, n.lo, n.hi, lower, upper, sig,
                            alphas=[a_[i].copy() for a_ in cert.alphas],
                            betas=[b_[i].copy() for b_ in cert.betas],
                            lam=cert.lambdas[i].copy(), depth=n.depth + 1))
        return out
