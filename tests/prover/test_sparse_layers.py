"""The float engine on sparse layers (prover/engine/model.py): a convolution's and a max pool's folded
layers are CSR matrices, and every bound, gradient and proof is the one the same layers give dense."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.engine.attack import margin_and_grad
from prover.engine.backward import backward
from prover.engine.bounds import compute_bounds
from prover.engine.certificate import optimise
from prover.engine.intermediate import optimised_layer_bounds
from prover.engine.model import FloatNet, is_sparse
from prover.tree import Settings
from prover.verify import verify
from prover.semantics import outputs


def conv_maxpool_net(seed: int) -> onnx.ModelProto:
    """(1, 1, 10, 10) -> Conv 4x3x3 -> ReLU -> MaxPool 2x2 -> Flatten -> Gemm 64 -> 3."""
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(a.astype(np.float32), name) for name, a in [
        ("K", rng.normal(size=(4, 1, 3, 3)) / 3), ("c", rng.normal(size=4) * 0.1),
        ("W", rng.normal(size=(3, 64)) / 8), ("b", rng.normal(size=3) * 0.1)]]
    nodes = [helper.make_node("Conv", ["input", "K", "c"], ["z"]),
             helper.make_node("Relu", ["z"], ["r"]),
             helper.make_node("MaxPool", ["r"], ["m"], kernel_shape=[2, 2], strides=[2, 2]),
             helper.make_node("Flatten", ["m"], ["f"]),
             helper.make_node("Gemm", ["f", "W", "b"], ["output"], transB=1)]
    graph = helper.make_graph(nodes, "conv_maxpool",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 10, 10])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 3])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def _nets(tmp_path, seed=0, float32=False):
    path = tmp_path / "conv.onnx"
    onnx.save(conv_maxpool_net(seed), path)
    network = load_network(path)
    if float32:
        network = network.float32()
    net = FloatNet.of(network)
    dense = lambda w: w.toarray() if is_sparse(w) else w
    errors = None if net.errors is None else tuple((dense(w), b) for w, b in net.errors)
    return network, net, FloatNet(tuple(dense(w) for w in net.weights), net.biases, errors)


def _close(a, b):
    for x, y in zip(a, b):
        np.testing.assert_allclose(x, y, rtol=1e-10, atol=1e-10)


def test_conv_and_pool_layers_are_sparse_and_bound_like_dense_ones(tmp_path):
    for float32 in (False, True):
        network, net, dense = _nets(tmp_path, float32=float32)
        kinds = [is_sparse(w) for w in net.weights]
        assert kinds[0] and not kinds[-1], kinds  # the conv: 9 of 100 entries a row; the Gemm is dense
        assert all(not is_sparse(w) for w in dense.weights)
        assert (net.errors is not None) == float32 and (not float32 or is_sparse(net.errors[0][0]))
        rng = np.random.default_rng(1)
        x0 = rng.uniform(0, 1, (1, 100))
        lo, hi = x0 - 0.05, x0 + 0.05
        L, U = compute_bounds(net, lo, hi)
        dL, dU = compute_bounds(dense, lo, hi)
        _close(L + U, dL + dU)
        cL, cU = compute_bounds(net, lo, hi, L, U, "crown")
        dcL, dcU = compute_bounds(dense, lo, hi, dL, dU, "crown")
        _close(cL + cU, dcL + dcU)
        assert sum(float((u - l).sum()) for l, u in zip(cL, cU)) < sum(float((u - l).sum()) for l, u in zip(L, U))
        oL, oU, steps = optimised_layer_bounds(net, lo, hi, cL, cU, iters=10)
        doL, doU, dsteps = optimised_layer_bounds(dense, lo, hi, cL, cU, iters=10)
        _close(oL + oU, doL + doU)
        A, const = np.array([[1.0, -1.0, 0.0]]), np.array([0.0])
        C = np.broadcast_to(A, (1,) + A.shape)
        p, q = (backward(n, n.depth, C, np.zeros((1, 1)), oL, oU, lo, hi) for n in (net, dense))
        _close([p.bound, p.coeff_x] + p.coeff_h, [q.bound, q.coeff_x] + q.coeff_h)
        c1 = optimise(net, lo, hi, oL, oU, A, const, iters=5)
        c2 = optimise(dense, lo, hi, oL, oU, A, const, iters=5)
        _close([c1.bound, c1.coeff_x], [c2.bound, c2.coeff_x])
        xs = rng.uniform(lo, hi, (50, 100))
        _close([net.forward(xs)], [dense.forward(xs)])
        _close(margin_and_grad(net, xs, A, const), margin_and_grad(dense, xs, A, const))
        x32 = xs.astype(np.float32)
        y32 = net.astype(np.float32).forward(x32)
        assert y32.dtype == np.float32
        np.testing.assert_allclose(y32, dense.astype(np.float32).forward(x32), rtol=1e-5, atol=1e-5)
        exact = np.array([float(v) for v in outputs(network, [Fraction(v) for v in xs[0]])])
        np.testing.assert_allclose(net.forward(xs[:1])[0], exact, rtol=1e-6, atol=1e-6)
        for k in range(len(L)):  # sound: every sampled z(k) inside the bounds
            z = xs
            for j in range(k + 1):
                z = net.apply(j + 1, z if j == 0 else np.maximum(z, 0.0)) + net.biases[j]
            assert np.all(z >= oL[k] - 1e-9) and np.all(z <= oU[k] + 1e-9)


def test_verify_on_a_sparse_conv_maxpool_net_gives_proofs_the_checker_accepts(tmp_path):
    network, net, _ = _nets(tmp_path, seed=2)
    x0 = np.random.default_rng(3).uniform(0, 1, 100)
    y0 = net.forward(x0[None])[0]
    box = "".join(f"(declare-const X_{i} Real)\n" for i in range(100)) + \
        "".join(f"(declare-const Y_{j} Real)\n" for j in range(3)) + \
        "".join(f"(assert (>= X_{i} {x0[i] - 0.02:.6f}))\n(assert (<= X_{i} {x0[i] + 0.02:.6f}))\n" for i in range(100))
    gap = y0[0] - y0[1]
    cases = {"unsat": f"(assert (<= Y_0 (+ Y_1 {gap - 0.3:.6f})))\n",   # Y_0 - Y_1 drops by 0.3 in the box: no
             "sat": f"(assert (<= Y_0 (+ Y_1 {gap + 0.001:.6f})))\n"}    # x0 itself is a counterexample
    for want, body in cases.items():
        query = tmp_path / f"{want}.vnnlib"
        query.write_text(box + body)
        prop = load_property(query, network.n_inputs, network.n_outputs)
        proof = tmp_path / f"{want}.apf"
        out = verify(network, prop, str(proof), timeout=120, settings=Settings())
        assert out.verdict == want, (out.verdict, out.reason)
        result = check_proof(proof, network, prop)
        assert result.verdict == "valid" and result.conclusion == want, result.error
