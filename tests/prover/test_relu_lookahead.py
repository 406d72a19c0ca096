"""ReLU branching by one-step lookahead (ReluSplitting._choose_relus): among the candidates it picks the
neuron whose two children, bounded with the parent's certificate, have the least summed
violation; computed here child by child, independently of its batching and of the chunks
it bounds the children in."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from prover.engine.certificate import evaluate, optimise
from prover.engine.model import FloatNet
from prover import relu_split
from prover.relu_split import ReluSplitting
from prover.tree import Settings


def _node(seed):
    rng = np.random.default_rng(seed)
    widths = [4, 6, 5, 2]
    net = FloatNet(tuple(rng.normal(size=(widths[k + 1], widths[k])) for k in range(3)),
                   tuple(rng.normal(size=widths[k + 1]) * 0.3 for k in range(3)))
    lo, hi = -np.ones((1, 4)), np.ones((1, 4))
    L, U = [], []
    l, u = lo[0], hi[0]
    for k in range(2):   # interval bounds: sound, loose, many unstable neurons
        w, b = net.weights[k], net.biases[k]
        l, u = np.maximum(w, 0) @ l + np.minimum(w, 0) @ u + b, np.maximum(w, 0) @ u + np.minimum(w, 0) @ l + b
        L.append(l[None].copy())
        U.append(u[None].copy())
        l, u = np.maximum(l, 0), np.maximum(u, 0)
    SIG = [np.zeros_like(v) for v in L]
    A, const = np.array([[1.0, -1.0]]), np.array([0.5])
    cert = optimise(net, lo, hi, L, U, A, const, sigmas=SIG, iters=5)
    return net, lo, hi, L, U, SIG, A, const, cert


@pytest.mark.parametrize("entries", [11, 33, relu_split.LOOKAHEAD_ENTRIES])  # 11 hidden: chunks of 1, 3, all
@pytest.mark.parametrize("seed", range(12))
def test_the_chosen_split_has_the_least_summed_violation(seed, entries, monkeypatch):
    monkeypatch.setattr(relu_split, "LOOKAHEAD_ENTRIES", entries)
    net, lo, hi, L, U, SIG, A, const, cert = _node(seed)
    d = SimpleNamespace(A=A, const=const)
    me = SimpleNamespace(net=net, s=Settings(relu_candidates=100))   # every unstable neuron looked at
    (h, j) = ReluSplitting._choose_relus(me, d, [0], cert, lo, hi, L, U, SIG)[0]

    def children_score(h, j):
        total = 0.0
        for sg in (-1.0, 1.0):
            Lc, Uc, Sc = [v.copy() for v in L], [v.copy() for v in U], [v.copy() for v in SIG]
            Sc[h][0, j] = sg
            if sg < 0:
                Uc[h][0, j] = min(Uc[h][0, j], 0.0)
            else:
                Lc[h][0, j] = max(Lc[h][0, j], 0.0)
            b = evaluate(net, lo, hi, Lc, Uc, A, const, cert.lambdas, cert.alphas, Sc, cert.betas).bound[0, 0]
            total += min(b, 0.0)
        return total

    unstable = [(k, int(i)) for k in range(2) for i in np.nonzero((L[k][0] < 0) & (U[k][0] > 0))[0]]
    assert (h, j) in unstable
    assert children_score(h, j) >= max(children_score(*c) for c in unstable) - 1e-9


def test_no_unstable_neuron_gives_none():
    net, lo, hi, L, U, SIG, A, const, cert = _node(0)
    L = [np.maximum(v, 0.0) for v in L]     # every neuron active
    me = SimpleNamespace(net=net, s=Settings())
    assert ReluSplitting._choose_relus(me, SimpleNamespace(A=A, const=const), [0], cert, lo, hi, L, U, SIG) == {0: None}
