"""Optimised-slope intermediate bounds (prover/engine/intermediate.py) and the `bounds N layer K`
steps the ReLU search writes with them."""
from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.engine.bounds import compute_bounds
from prover.engine.intermediate import optimised_layer_bounds
from prover.engine.model import FloatNet
from prover.tree import Settings
from prover.verify import verify

MODELS = Path(__file__).resolve().parents[2] / "checker" / "tests" / "golden" / "models"


def _small_net():
    """A random 4-12-12-12-3 net, the box [-1, 1]^4, its interval bounds and its crown bounds."""
    rng = np.random.default_rng(3)
    widths = [4, 12, 12, 12, 3]
    net = FloatNet(tuple(rng.normal(size=(b, a)) / np.sqrt(a) for a, b in zip(widths, widths[1:])),
                   tuple(rng.normal(size=b) * 0.1 for b in widths[1:]))
    lo, hi = -np.ones((1, 4)), np.ones((1, 4))
    L, U = compute_bounds(net, lo, hi)
    cL, cU = compute_bounds(net, lo, hi, L, U, "crown")
    return rng, net, lo, hi, L, U, cL, cU


def test_optimised_bounds_are_sound_and_never_looser_than_crown():
    rng, net, lo, hi, L, U, cL, cU = _small_net()
    oL, oU, steps = optimised_layer_bounds(net, lo, hi, L, U, iters=40)
    for k in range(len(oL)):
        assert np.all(oL[k] >= cL[k] - 1e-9) and np.all(oU[k] <= cU[k] + 1e-9)
    assert sum(float((oU[k] - oL[k]).sum()) for k in range(len(oL))) < \
        sum(float((cU[k] - cL[k]).sum()) for k in range(len(cL))) - 1e-3  # strictly tighter here
    h = rng.uniform(-1, 1, (20000, 4))
    for k, (w, b) in enumerate(zip(net.weights[:-1], net.biases[:-1])):
        z = h @ w.T + b
        assert np.all(z >= oL[k][0] - 1e-9) and np.all(z <= oU[k][0] + 1e-9)
        h = np.maximum(z, 0.0)
    assert set(steps) <= {2, 3}
    assert all(1 <= k < K and 0.0 <= v <= 1.0
               for K, lists in steps.items() for _, hints in lists for k, j, v in hints)
    # slopes per neuron here (a small net): one step per neuron they improve, each listing its neuron
    assert any(len(neurons) == 1 for lists in steps.values() for neurons, _ in lists)
    assert all(len(neurons) <= 1 and all(0 <= j < 12 for j in neurons) for lists in steps.values() for neurons, _ in lists)


def test_one_slope_set_per_layer_where_steps_per_neuron_cost_too_much(monkeypatch):
    """With no exact work allowed for steps per neuron, every step bounds the whole layer (no `neurons` list);
    slopes per neuron give bounds at least as tight in total (on this net strictly)."""
    import prover.engine.intermediate as im
    _, net, lo, hi, L, U, cL, cU = _small_net()
    pL, pU, per_neuron = optimised_layer_bounds(net, lo, hi, L, U, iters=40)
    monkeypatch.setattr(im, "PER_NEURON_WORK", 0)
    sL, sU, shared = optimised_layer_bounds(net, lo, hi, L, U, iters=40)
    assert all(neurons == () for lists in shared.values() for neurons, _ in lists)
    width = lambda lo_, up_: sum(float((u - l).sum()) for l, u in zip(lo_, up_))  # noqa: E731
    assert width(pL, pU) < width(sL, sU) - 1e-3



def test_past_its_deadline_the_slope_optimisation_keeps_crown_bounds():
    """A deadline already passed: no slope step, so every layer gets exactly crown's (default slopes) bounds and
    no hint; a deadline far away changes nothing against none."""
    _, net, lo, hi, L, U, cL, cU = _small_net()
    pL, pU, steps = optimised_layer_bounds(net, lo, hi, L, U, iters=40, deadline=time.monotonic() - 1)
    assert all(np.allclose(a, b, atol=1e-12) for a, b in zip(pL + pU, cL + cU))
    assert all(hints == [] for lists in steps.values() for _, hints in lists)
    far = optimised_layer_bounds(net, lo, hi, L, U, iters=40, deadline=time.monotonic() + 3600)
    none = optimised_layer_bounds(net, lo, hi, L, U, iters=40)
    assert all(np.array_equal(a, b) for a, b in zip(far[0] + far[1], none[0] + none[1]))
    assert sum(float((far[1][k] - far[0][k]).sum()) for k in range(len(L))) < \
        sum(float((pU[k] - pL[k]).sum()) for k in range(len(L))) - 1e-3  # the steps do tighten here

def test_relu_search_proves_with_a_layer_step_that_crown_cannot_replace(tmp_path):
    """net `layer`, y <= -3/4: crown's default slopes leave the root open (golden case
    bounds_layer_crown_instead); the prover's optimised layer-2 slopes close it."""
    network = load_network(MODELS / "layer.onnx")
    prop = load_property(MODELS / "layer_a.vnnlib", network.n_inputs, network.n_outputs)
    proof = tmp_path / "p.apf"
    out = verify(network, prop, str(proof), timeout=60, settings=Settings(input_split_max_dim=0))
    assert out.verdict == "unsat", out.reason
    text = proof.read_text()
    assert re.search(r"^\d+ bounds \d+ layer 2 (neurons [\d ]+ )?alpha ", text, re.M), text
    assert check_proof(proof, network, prop).verdict == "valid"
    stripped = tmp_path / "stripped.apf"
    stripped.write_text(re.sub(r"(bounds \d+ layer 2)( neurons [\d ]+)? alpha[^\n]*", r"\1\2", text))
    result = check_proof(stripped, network, prop)
    assert result.verdict == "invalid" and result.error.code == "NOT_POSITIVE", result.error
