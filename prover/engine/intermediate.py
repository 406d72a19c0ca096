"""Intermediate bounds with optimised lower-relaxation slopes (alpha-CROWN), the float side of the
kernel's `bounds N layer K [neurons J] alpha ...` step.

Why: crown bounds with default slopes leave many neurons of deep networks unstable, and every
unstable neuron loosens all the bounds behind it; on mnist_fc 256x4 at eps 0.05 the ReLU
search then cannot close its tree. Optimised slopes tighten a layer, and the tightened layer
tightens the ones after it. Slopes per neuron (one step each, `neurons j`) beat one slope set
for the whole layer: on mnist_fc 256x4 prop_0_0.05 the last hidden layer keeps 67 unstable
neurons instead of 90, and the root's bounds on its nine disjuncts rise by 0.31 on average;
where the steps' exact replay would cost too much (PER_NEURON_WORK), one set per layer.
"""
from __future__ import annotations

import time

import numpy as np

from .backward import backward, relaxation_parts
from .bounds import interval_layer
from .certificate import HINT_BITS, _adam, default_alphas


def _rows(unstable: np.ndarray, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Objective rows +e_j (lower bounds) then -e_j (upper bounds) for the unstable neurons j."""
    cols = np.nonzero(unstable)[0]
    r, n = len(cols), len(unstable)
    C = np.zeros((2 * r, n), dtype)
    C[np.arange(r), cols] = 1.0
    C[r + np.arange(r), cols] = -1.0
    return cols, C


def _slope_gradient(net, p, lo, hi, K):
    """d(sum of rows' bounds)/d(alpha) per hidden layer < K: at each row's minimiser of the
    relaxed problem, the value of z(k) times the row's coefficient (where the lower line is used)."""
    x = np.where(p.coeff_x >= 0, lo[:, None, :], hi[:, None, :])  # (1, rows, n0)
    h, grads = x, []
    for k in range(1, K):
        v = net.apply(k, h) + net.biases[k - 1]
        low, up, off, unst = p.relax[k - 1]
        ch = p.coeff_h[k - 1]
        pos = ch >= 0
        grads.append(np.where(pos & unst[:, None, :], ch * v, 0.0).sum(axis=1))
        h = np.where(pos, v * low[:, None, :], v * up[:, None, :] - off[:, None, :])
    return grads


PER_NEURON_WORK = 2e8   # per layer K: unstable neurons x the non-zeros of layers K.. that each of their steps
                        # re-derives exactly (spec 4.4 stage 2); beyond it one slope set serves the whole layer
                        # (oval21's base net, layer 2: ~250 steps x 2.3e5; img8194's proof with them replays
                        # in 20 s as before, its tree 19 % smaller; sri_resnet_a's deep layers stay shared)
CHUNK = 256             # neurons optimised at once (memory: CHUNK x the widths of the layers below K)


def optimised_layer_bounds(net, lo, hi, lower, upper, iters=30, lr=0.2, deadline: float | None = None):
    """Tightened (lower, upper) of one node (lo/hi (1, n0), bounds per hidden layer (1, n_k)) and
    the kernel steps that derive them: {K: [(neurons, hints) per `bounds N layer K` step]}, `neurons`
    the step's list (empty: every unstable neuron) and a hint (k, j, slope) for an unstable neuron of a
    layer k < K off its default slope.

    Layer by layer, K = 2..depth-1: slopes of the layers < K optimised per unstable neuron of layer K
    for the width of its bounds (alpha-CROWN; `_per_neuron`), or, when one step per neuron would cost
    the exact replay more than PER_NEURON_WORK, one slope set for the sum of the layer's bounds
    (`_shared`); each bound is the better of that and crown's (default slopes); then the interval
    bounds of the later layers recomputed from the tightened layer K exactly as the kernel does.
    Layers without unstable neurons get no step. Past `deadline` (time.monotonic()) no slope step is
    taken: each remaining layer gets its default slopes' bound (on sri_resnet_a, 30 steps per layer
    took the whole query's time before the first node)."""
    lower, upper = [l.copy() for l in lower], [u.copy() for u in upper]
    slopes = {}
    for K in range(2, net.depth):
        unstable = ((lower[K - 1] < 0) & (upper[K - 1] > 0))[0]
        if np.any(unstable):
            cols, C = _rows(unstable, lower[0].dtype)
            r = len(cols)
            crown = backward(net, K, C[None], np.zeros((1, 2 * r)), lower, upper, lo, hi).bound[0]
            work = r * sum(_nonzeros(net.weights[k - 1]) for k in range(K, net.depth))
            per_neuron = work <= PER_NEURON_WORK and (deadline is None or time.monotonic() < deadline)
            way = _per_neuron if per_neuron else _shared
            got, slopes[K] = way(net, K, cols, C, lower, upper, lo, hi, crown, iters, lr, deadline)
            lower[K - 1][0, cols] = np.maximum(lower[K - 1][0, cols], got[:r])
            upper[K - 1][0, cols] = np.minimum(upper[K - 1][0, cols], -got[r:])
            for k in range(K, net.depth - 1):  # the kernel re-derives every later layer's intervals
                zl, zu = interval_layer(net, k + 1, np.maximum(lower[k - 1], 0.0),
                                        np.maximum(upper[k - 1], 0.0))
                lower[k], upper[k] = np.maximum(zl, lower[k]), np.minimum(zu, upper[k])
    return lower, upper, slopes


def _nonzeros(w) -> int:
    return w.nnz if hasattr(w, "nnz") else int(np.count_nonzero(w))


def _hints(alphas, lower, upper, default) -> list:
    """(k, j, slope) for the unstable neurons of the layers below K whose slope is off its default."""
    return [(h + 1, int(j), float(a[j])) for h, a in enumerate(alphas)
            for j in np.nonzero(((lower[h][0] < 0) & (upper[h][0] > 0)) & (a != default[h][0]))[0]]


def _optimise_slopes(net, K, C, lower, upper, lo, hi, iters, lr, deadline, parts=None):
    """Slopes of the layers below K, one set per batch entry of C (B, rows, n_K), optimised for the sum of
    that entry's rows (best iterate kept, Adam); returns them rounded down to hint precision, as the proof
    carries them, (B, n_k) per layer, and the bounds (B, rows) they give."""
    B, H = C.shape[0], K - 1
    alphas = [np.repeat(a, B, axis=0) for a in default_alphas(lower, upper)[:H]]
    chosen = [a.copy() for a in alphas]
    best, state = None, {}
    for t in range(1, iters + 2):
        p = backward(net, K, C, np.zeros(C.shape[:2]), lower, upper, lo, hi, alphas, parts=parts)
        better = np.ones(B, bool) if best is None else p.bound.sum(axis=1) > best.sum(axis=1)
        best = p.bound.copy() if best is None else np.where(better[:, None], p.bound, best)
        for h in range(H):
            chosen[h][better] = alphas[h][better]
        if t > iters or (deadline is not None and time.monotonic() > deadline):
            break
        grads = _slope_gradient(net, p, lo, hi, K)
        for h in range(H):
            alphas[h] = np.clip(alphas[h] + _adam(state, h, grads[h], lr, t), 0.0, 1.0)
    chosen = [np.floor(a * 2.0 ** HINT_BITS) / 2.0 ** HINT_BITS for a in chosen]
    return chosen, backward(net, K, C, np.zeros(C.shape[:2]), lower, upper, lo, hi, chosen, parts=parts).bound


def _shared(net, K, cols, C, lower, upper, lo, hi, crown, iters, lr, deadline):
    """One slope set for the sum of layer K's bounds over its unstable neurons: the bounds (rows of C) and
    the steps, a crown step first when crown's bound is better for some row."""
    chosen, got = _optimise_slopes(net, K, C[None], lower, upper, lo, hi, iters, lr, deadline)
    hints = _hints([a[0] for a in chosen], lower, upper, default_alphas(lower, upper))
    if not hints:
        return crown, [((), [])]
    # shared slopes trade some rows for the sum: a first step with the default slopes keeps every row at
    # least as tight as crown's when that helps any row
    steps = [((), []), ((), hints)] if np.any(crown > got[0]) else [((), hints)]
    return np.maximum(got[0], crown), steps


def _per_neuron(net, K, cols, C, lower, upper, lo, hi, crown, iters, lr, deadline):
    """Per unstable neuron j of layer K, slopes for the layers below K optimised for l_j - u_j (its two rows
    of C), CHUNK neurons at a time. A `neurons j` step for each neuron they improve (on either bound), after
    a crown step when some neuron is left to crown or crown is better on some bound. The bounds (rows of C)
    are what those steps give."""
    r = len(cols)
    default = default_alphas(lower, upper)
    parts = [relaxation_parts(l, u) for l, u in zip(lower, upper)]  # the node's (1, n_k): they broadcast
    pairs = np.stack([C[:r], C[r:]], axis=1)  # (r, 2, n_K): +e_j, -e_j
    chunks = [_optimise_slopes(net, K, pairs[s:s + CHUNK], lower, upper, lo, hi, iters, lr, deadline, parts)
              for s in range(0, r, CHUNK)]
    chosen = [np.concatenate(layer) for layer in zip(*(c for c, _ in chunks))]
    got = np.concatenate([g for _, g in chunks])
    first = np.stack([crown[:r], crown[r:]], axis=1)
    improves = np.any(got > first, axis=1)
    crown_step = not improves.all() or bool(np.any(first[improves] > got[improves]))
    if crown_step:  # a neuron the crown step leaves stable gets no step of its own (the kernel would skip it)
        improves &= (first[:, 0] < 0) & (first[:, 1] < 0)
    bounds = np.where(improves[:, None], np.maximum(got, first) if crown_step else got, first)
    steps = [((), [])] if crown_step else []
    steps += [((int(cols[i]),), _hints([c[i] for c in chosen], lower, upper, default)) for i in np.nonzero(improves)[0]]
    return np.concatenate([bounds[:, 0], bounds[:, 1]]), steps
