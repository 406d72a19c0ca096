"""Input splitting (low-dimensional inputs, e.g. ACAS Xu): per batch of nodes, the cheapest bounds
that close every disjunct open on a node make it a leaf; the others are split in the input
dimension a one-step lookahead ranks best, for all their disjuncts at once.

With input splitting the disjuncts that share one box share one tree (a shared root, spec 4.1):
every split and bounds step serves all of them, and a leaf closes each one.
"""
from __future__ import annotations

import numpy as np

from .engine.bounds import compute_bounds
from .engine.certificate import evaluate, hints_of, optimise, round_certificate
from .falsify import Falsifier
from .problem import DisjunctData, Problem
from .tree import CLOSE_MARGIN, GiveUp, Node, Settings, Stats, Warm, at, stack, warm_start

MIN_WIDTH = 1e-9        # input boxes narrower than this in every dimension are given up
NO_GAIN = 0.01          # input splits improving the summed violation by less than this share count as none


class InputSplitting:
    def __init__(self, problem: Problem, settings: Settings, stats: Stats, falsifier: Falsifier):
        self.net, self.net32, self.s, self.stats, self.falsifier = problem.net, problem.net32, settings, stats, falsifier

    def root(self, group: list[DisjunctData], root: Node) -> None:
        """Nothing to prepare: the root's interval bounds serve."""

    def _certify(self, d, lo, hi, VL, VU, alphas0, lam0, iters):
        cert = optimise(self.net, lo, hi, VL, VU, d.A, d.const, alphas0=alphas0, lambdas0=lam0,
                        iters=iters, stop_at=CLOSE_MARGIN * 10)
        lam_r, al_r, _ = round_certificate(cert, VL, VU)
        return cert, lam_r, al_r

    def batch(self, group: list[DisjunctData], batch: list[Node]) -> list[Node]:
        """One batch of input-split nodes. A node becomes a leaf when every disjunct open on it
        closes with one set of bounds: the inherited ones (no bounds step), interval, or crown,
        the cheapest that serves all of them; otherwise it is split, for all of them."""
        net = self.net
        H, B = net.depth - 1, len(batch)
        lo, hi = stack([n.lo for n in batch]), stack([n.hi for n in batch])
        L = [stack([n.lower[h] for n in batch]) for h in range(H)]
        U = [stack([n.upper[h] for n in batch]) for h in range(H)]
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
            warm[d.index] = warm_start(d, [batch[i] for i in r], at(ivL, r), at(ivU, r))
            cert, lam_r, al_r = self._certify(d, lo[r], hi[r], at(ivL, r), at(ivU, r), *warm[d.index], iters)
            cheap[d.index] = (lam_r, al_r)
            self.stats.worst = min(self.stats.worst, float(np.min(cert.bound)))  # (progress display)
            if np.any(cert.bound <= 0):
                self.falsifier.check_candidates(d, cert.x_star)
            for name, VL, VU in stages:
                b = evaluate(net, lo[r], hi[r], at(VL, r), at(VU, r), d.A, d.const, lam_r, al_r).bound[:, 0]
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
                    batch[i].add_close(d.index, hints_of(k, *cheap[d.index], None, at(VL, r), at(VU, r)))
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
                left_warm[e] = (at(alphas0, keep), None if lam0 is None else lam0[keep])
        return self._crown_stage(group, [batch[i] for i in rest], left_rows, left_warm,
                                 lo[rest], hi[rest], at(L, rest), at(U, rest), iters)

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
            cert, lam_c, al_c = self._certify(d, lo[rr], hi[rr], at(crL, rr), at(crU, rr), *warm[d.index], iters)
            b = evaluate(net, lo[rr], hi[rr], at(crL, rr), at(crU, rr), d.A, d.const, lam_c, al_c).bound[:, 0]
            closes[rr[b <= CLOSE_MARGIN]] = False
            certs.append((d, rr, cert, lam_c, al_c))
            self.falsifier.check_candidates(d, np.concatenate([cert.x_star, (lo[rr] + hi[rr]) / 2]))
            attacks.extend((cert.bound[k], k, d, cert, rr) for k in range(len(rr)))
            worst = min(worst, float(np.min(cert.bound)))
        self.stats.worst = min(self.stats.worst, worst)
        for bound, k, d, cert, rr in sorted(attacks, key=lambda a: a[0])[:self.s.node_attacks]:  # worst boxes
            if bound <= 0:
                self.falsifier.near(d, lo[rr[k]], hi[rr[k]], cert.x_star[k])
        items, child_warm = [], [{} for _ in nodes]
        for d, rr, cert, lam_c, al_c in certs:
            for k, r in enumerate(rr):
                if closes[r]:
                    nodes[r].add_close(d.index, hints_of(k, lam_c, al_c, None, at(crL, rr), at(crU, rr)))
                else:
                    child_warm[r][d.index] = Warm(at(cert.alphas, k), None, cert.lambdas[k])
            on = np.nonzero(~closes[rr])[0]
            items.append((d, rr[on], cert.lambdas[on], at(cert.alphas, on), cert.bound[on]))
        dims = self._choose_dims(group[0], lo, hi, crL, crU, items)
        children = []
        for r, n in enumerate(nodes):
            if closes[r]:
                n.method = "crown"
                n.drop_arrays()
            else:  # children inherit the Session's bounds (no bounds step at a split)
                children.extend(self._split_input(n, child_warm[r], dims[r], at(L, r), at(U, r)))
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
            b = evaluate(self.net32, clo[child], chi[child], at(cl, child), at(cu, child), f32(d.A), f32(d.const),
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
