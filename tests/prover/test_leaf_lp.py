"""Leaves with every ReLU fixed, decided by the LP solver (prover/engine/leaf_lp.py): its verdict
agrees with z3 on the same leaf written independently, its duals close empty leaves through
the float backward pass, and its point satisfies the leaf's constraints otherwise."""
from __future__ import annotations

import numpy as np
import pytest
import z3

from prover.engine.backward import backward
from prover.engine.leaf_lp import solve_leaf
from prover.engine.model import FloatNet


def _leaf(seed):
    """A random 3-4-3-2 network, a box, a split per hidden neuron (the phases of a random point of
    the box, a fifth of them flipped), one output row near its value there."""
    rng = np.random.default_rng(seed)
    widths = [3, 4, 3, 2]
    net = FloatNet(tuple(rng.normal(size=(widths[k + 1], widths[k])) for k in range(3)),
                   tuple(rng.normal(size=widths[k + 1]) for k in range(3)))
    lo = rng.uniform(-1, 0, 3)
    hi = lo + rng.uniform(0.1, 1, 3)
    x0, h, sigmas = rng.uniform(lo, hi), None, []   # phases of a point of the box: many leaves not empty
    h = x0
    for k in range(2):
        z = net.weights[k] @ h + net.biases[k]
        sigmas.append(np.where(z >= 0, 1.0, -1.0) * np.where(rng.random(len(z)) < 0.2, -1, 1))
        h = np.maximum(z, 0)
    lower = [np.where(s > 0, 0.0, -1e9) for s in sigmas]   # split bounds: phase fixed by sigma
    upper = [np.where(s > 0, 1e9, 0.0) for s in sigmas]
    A = rng.normal(size=(1, 2))
    const = -A @ (net.weights[2] @ h + net.biases[2]) + rng.normal(size=1)
    return net, lo, hi, sigmas, lower, upper, A, const


def _z3_nonempty(net, lo, hi, sigmas, A, const) -> bool:
    """The leaf as z3 sees it: inputs in the box, each neuron in its phase, the output row <= 0."""
    xs = [z3.Real(f"x{i}") for i in range(len(lo))]
    s = z3.Solver()
    s.add([z3.And(x >= float(l), x <= float(u)) for x, l, u in zip(xs, lo, hi)])
    h = xs
    for k, (w, b) in enumerate(zip(net.weights, net.biases)):
        z = [sum(float(w[j, i]) * h[i] for i in range(len(h))) + float(b[j]) for j in range(len(b))]
        if k == net.depth - 1:
            s.add(sum(float(A[0, j]) * z[j] for j in range(len(z))) + float(const[0]) <= 0)
            break
        s.add([zj >= 0 if sg > 0 else zj <= 0 for zj, sg in zip(z, sigmas[k])])
        h = [zj if sg > 0 else z3.RealVal(0) for zj, sg in zip(z, sigmas[k])]
    return s.check() == z3.sat


@pytest.mark.parametrize("seed", range(40))
def test_lp_verdict_agrees_with_z3_and_its_evidence_holds(seed):
    net, lo, hi, sigmas, lower, upper, A, const = _leaf(seed)
    sol = solve_leaf(net, lo, hi, lower, sigmas, A, const)
    assert sol is not None
    nonempty = _z3_nonempty(net, lo, hi, sigmas, A, const)
    if abs(sol.t) < 1e-9:
        return  # a leaf touching its boundary: either verdict is within float resolution
    assert (sol.t <= 0) == nonempty
    if sol.t > 0:   # the duals are a closing certificate: the backward bound equals t*
        bound = backward(net, net.depth, (sol.lambdas @ A)[None, None, :], (sol.lambdas @ const)[None, None],
                         [v[None] for v in lower], [v[None] for v in upper], lo[None], hi[None],
                         sigmas=[s[None] for s in sigmas], betas=[b[None] for b in sol.betas]).bound[0, 0]
        assert bound > 0 and bound == pytest.approx(sol.t, rel=1e-6, abs=1e-9)
    else:           # the point is in the box, in every phase, and violates the output row
        x = sol.x
        assert np.all(x >= lo - 1e-9) and np.all(x <= hi + 1e-9)
        h = x
        for k, s in enumerate(sigmas):
            z = net.weights[k] @ h + net.biases[k]
            assert np.all(s * z >= -1e-7)
            h = np.maximum(z, 0)
        y = net.weights[-1] @ h + net.biases[-1]
        assert (A @ y + const)[0] <= 1e-7


@pytest.mark.parametrize("seed", range(40))
def test_lp_certificates_keep_full_float_precision_when_rounded(seed):
    """The search rounds an LP leaf's certificate to 52-bit hints: the rounded bound stays within
    1e-12 of the LP's (relative to the lambda scale), so a leaf the LP shows empty by 1e-7 still
    closes. With 30-bit hints 3 of these 40 leaves fail the bound, and ppnn 784-input leaves the
    LP showed empty by t* ~ 4e-7 did not close (they went to z3)."""
    from prover.engine.certificate import Certificate, round_certificate
    net, lo, hi, sigmas, lower, upper, A, const = _leaf(seed)
    sol = solve_leaf(net, lo, hi, lower, sigmas, A, const)
    if sol is None or sol.t <= 1e-9 or sol.lambdas.max() <= 0:
        return
    L, U, S = [v[None] for v in lower], [v[None] for v in upper], [s[None] for s in sigmas]
    cert = Certificate(np.array([sol.t]), sol.lambdas[None], [np.zeros_like(v) for v in L],
                       [b[None] for b in sol.betas], None, None, None)

    def bound(lam, betas):
        return backward(net, net.depth, (lam @ A)[:, None, :], (lam @ const)[:, None], L, U, lo[None], hi[None],
                        sigmas=S, betas=betas).bound[0, 0]

    scale = sol.lambdas.max()
    exact = bound(sol.lambdas[None] / scale, [b[None] / scale for b in sol.betas])
    lam, _, betas = round_certificate(cert, L, U, S, bits=52)
    assert abs(bound(lam, betas) - exact) <= 1e-12 * max(1.0, abs(exact))
