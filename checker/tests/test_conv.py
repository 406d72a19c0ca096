"""The image operators (Conv, pools, Pad, Concat, Squeeze/Unsqueeze) and graph structure (residual Add,
branches, MaxPool rewrite) read exactly: random small graphs with random attributes, the checker's exact
evaluation, its binary32 reference execution and its float32 error bounds compared with onnxruntime."""
from __future__ import annotations

import math
import os
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
import pytest
from helpers import evaluate
from onnx import TensorProto, helper, numpy_helper

from apothem_check.certification import classified
from apothem_check.errors import CheckError, InputError
from apothem_check.witness import enclose
from apothem_check.exact import ONE
from apothem_check.network import _load, _move, _select

import onnxruntime as ort  # noqa: E402  (a test dependency of the checker: checker[test])


def _model(nodes, inits: dict, in_shape, opset: int = 13) -> bytes:
    tensors = [numpy_helper.from_array(np.asarray(v, dtype=np.int64 if k.startswith("i_") else np.float32), k)
               for k, v in inits.items()]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], tensors)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    return onnx.shape_inference.infer_shapes(model, strict_mode=True).SerializeToString()  # the output's shape


def _compare(data: bytes, in_shape, rng: np.random.Generator, bounds: bool = False, reference: bool = True):
    """Exact evaluation within float32 rounding of onnxruntime; reference execution within a few ulps;
    with `bounds` (graphs without a Relu before the output), onnxruntime's value inside the float32 bound."""
    net = _load(data, "real")
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    for _ in range(3):
        x = rng.uniform(-2, 2, size=in_shape).astype(np.float32)
        want = sess.run(None, {"x": x})[0]
        assert net.output_shape == want.shape
        want = want.ravel().astype(np.float64)
        exact = evaluate(net, [Fraction(float(v)) for v in x.ravel()])
        scale = 1 + np.abs(want).max()
        np.testing.assert_allclose([float(v) for v in exact], want, atol=2e-5 * scale, rtol=0)
        if reference:  # and onnxruntime's value within the float32 enclosure at x
            ref = [float(v) for v in _load(data, "reference", [Fraction(float(v)) for v in x.ravel()])]
            np.testing.assert_allclose(ref, want, atol=4e-6 * scale, rtol=0)
            lo, hi = enclose(net.float32(), [Fraction(float(v)) for v in x.ravel()])
            assert all(l <= Fraction(float(w)) <= h for l, w, h in zip(lo, want, hi))
        if bounds:
            last = net.float32().layers[-1]
            h = np.array([abs(int(Fraction(float(v)) * ONE)) for v in x.ravel()], dtype=object)
            err = ((last.err_weight @ h) // ONE + 1 + last.err_bias) / ONE
            gap = np.array([abs(Fraction(float(w)) - e) for w, e in zip(want, exact)], dtype=object)
            assert all(gap <= err), max(gap - err)


def _pads(rng, kernel):
    return [rng.randrange(k) for k in kernel] + [rng.randrange(k) for k in kernel]


@pytest.mark.parametrize("seed", range(12))
def test_conv_random_attributes(seed):
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    group = rng.choice([1, 1, 2])
    cin, m = group * rng.randint(1, 2), group * rng.randint(1, 2)
    kernel = [rng.randint(1, 3), rng.randint(1, 3)]
    attrs = dict(kernel_shape=kernel, strides=[rng.randint(1, 3), rng.randint(1, 2)], pads=_pads(rng, kernel),
                 dilations=[rng.randint(1, 2), rng.randint(1, 2)], group=group)
    inits = {"w": nprng.uniform(-1, 1, (m, cin // group, *kernel)), "b": nprng.uniform(-1, 1, m)}
    node = helper.make_node("Conv", ["x", "w"] + (["b"] if seed % 2 else []), ["y"], **attrs)
    shape = (1, cin, rng.randint(5, 8), rng.randint(5, 8))
    _compare(_model([node], inits, shape), shape, nprng, bounds=True)


@pytest.mark.parametrize("seed", range(10))
def test_average_pool_random_attributes(seed):
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    kernel = [rng.randint(1, 3), rng.randint(1, 3)]
    node = helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=kernel, strides=[rng.randint(1, 3), rng.randint(1, 3)],
                            pads=_pads(rng, kernel), ceil_mode=rng.randint(0, 1), count_include_pad=rng.randint(0, 1))
    shape = (1, 2, rng.randint(4, 7), rng.randint(4, 7))
    _compare(_model([node], {}, shape, opset=19), shape, nprng, bounds=True)


def test_global_average_pool():
    node = helper.make_node("GlobalAveragePool", ["x"], ["y"])
    _compare(_model([node], {}, (1, 3, 4, 5)), (1, 3, 4, 5), np.random.default_rng(0), bounds=True)


@pytest.mark.parametrize("seed", range(10))
def test_max_pool_random_attributes(seed):
    """Overlapping windows, padding, dilations, ceil_mode; on a Relu output (non-negative: one neuron per
    carried value) and on the input itself (each carried value as relu(u), relu(-u))."""
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    kernel = [rng.randint(1, 3), rng.randint(2, 3)]
    attrs = dict(kernel_shape=kernel, strides=[rng.randint(1, 2), rng.randint(1, 3)], pads=_pads(rng, kernel),
                 dilations=[1, rng.randint(1, 2)], ceil_mode=rng.randint(0, 1))
    nodes = ([helper.make_node("Relu", ["x"], ["r"])] if seed % 2 else []) + [
        helper.make_node("MaxPool", ["r" if seed % 2 else "x"], ["y"], **attrs)]
    shape = (1, 2, rng.randint(4, 6), rng.randint(4, 6))
    _compare(_model(nodes, {}, shape), shape, nprng)


@pytest.mark.parametrize("seed", range(8))
def test_same_padding_random_attributes(seed):
    """auto_pad SAME_UPPER / SAME_LOWER (ONNX's pads from the input size) on Conv, AveragePool and MaxPool
    (onnxruntime refuses dilations with them, and so does the checker: test_refused_attributes_and_operators)."""
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    op, auto = ["Conv", "AveragePool", "MaxPool"][seed % 3], ["SAME_UPPER", "SAME_LOWER"][seed // 3 % 2]
    kernel = [rng.randint(1, 4), rng.randint(2, 4)]
    attrs = dict(kernel_shape=kernel, strides=[rng.randint(1, 3), rng.randint(1, 3)], auto_pad=auto)
    inits = {"w": nprng.uniform(-1, 1, (2, 2, *kernel))}
    node = helper.make_node(op, ["x", "w"] if op == "Conv" else ["x"], ["y"], **attrs)
    shape = (1, 2, rng.randint(4, 8), rng.randint(4, 8))
    _compare(_model([node], inits if op == "Conv" else {}, shape, opset=19), shape, nprng, bounds=op != "MaxPool")


@pytest.mark.parametrize("seed", range(6))
def test_batch_normalization_random_parameters(seed):
    """Conv then BatchNormalization (random scale, bias, mean, var, epsilon; 2-D input too): the exact map
    (with s~) within float32 rounding of onnxruntime; the enclosure width is negligible, and a point is
    classified by it; refused under float32 and in training form."""
    nprng = np.random.default_rng(seed)
    c = 3
    inits = {"w": nprng.uniform(-1, 1, (c, 2, 3, 3)), "s": nprng.uniform(-2, 2, c), "b": nprng.uniform(-1, 1, c),
             "m": nprng.uniform(-1, 1, c), "v": nprng.uniform(0, 2, c)}
    eps = {} if seed % 2 else {"epsilon": float(nprng.uniform(1e-6, 1e-2))}
    flat = seed % 3 == 0  # (N, C) input: a BN after a Gemm
    nodes = [] if flat else [helper.make_node("Conv", ["x", "w"], ["c"], pads=[1, 1, 1, 1])]
    nodes.append(helper.make_node("BatchNormalization", ["x" if flat else "c", "s", "b", "m", "v"], ["y"], **eps))
    shape = (1, c) if flat else (1, 2, 5, 5)
    data = _model(nodes, inits, shape, opset=15)
    _compare(data, shape, nprng, reference=False)
    net = _load(data, "real")
    assert net.layers[0].err_weight is not None and all(layer.err_bias.max() < 1 << 8 for layer in net.layers)  # < 2^-56 each
    with pytest.raises(InputError) as e:
        net.float32()
    assert e.value.code == "ONNX_FLOAT32" and "fold BatchNormalization into the previous Conv" in e.value.message
    x = [Fraction(float(v)) for v in nprng.uniform(-1, 1, net.n_inputs).astype(np.float32)]
    lo, hi = enclose(net, x)  # certification classifies by the enclosure, which is as tight as the grid
    assert all(0 < u - l < Fraction(1, 1 << 50) for l, u in zip(lo, hi))
    top = max(range(len(lo)), key=lambda j: lo[j])
    assert classified(net, x, top) is True and classified(net, x, (top + 1) % len(lo)) is False
    nodes[-1] = helper.make_node("BatchNormalization", nodes[-1].input, ["y", "rm", "rv"], training_mode=1)
    with pytest.raises(InputError) as e:
        _load(_model(nodes, inits, shape, opset=15), "real")
    assert e.value.code == "ONNX_UNSUPPORTED_GRAPH"


def _bn_edge(tmp_path, strict: bool):
    """y = x / sqrt(2) (a BatchNormalization) on x = 2^40, with s~ x + t < x / sqrt(2) (t = 2^-60, s~ the exact
    map's factor): the unsafe condition 'y <= s~ x + t' (false: a witness at x must be rejected, but would be
    accepted if the enclosure were dropped, since t is wider than the grid's 2^-64) or 'y >= s~ x + t' (true: an
    unsat proof must fail, but would pass from the map alone)."""
    from apothem_check.vnnlib import load_property
    inits = {"s": [1.0], "b": [0.0], "m": [0.0], "v": [2.0]}
    node = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], epsilon=0.0)
    data = _model([node], inits, (1, 1))
    net = _load(data, "real")
    x = 1 << 40
    theta = evaluate(net, [Fraction(x)])[0] + Fraction(1, 1 << 60)
    assert (theta / x) ** 2 < Fraction(1, 2)  # the true value lies above the threshold
    path = tmp_path / "p.vnnlib"
    atom = f"({'<=' if strict else '>='} Y_0 (/ {theta.numerator} {theta.denominator}))"
    path.write_text(f"(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 {x}))\n"
                    f"(assert (>= X_0 {x}))\n(assert {atom})\n")
    return net, load_property(path, 1, 1)


def test_batch_normalization_enclosure_is_applied(tmp_path):
    """Mutation: with the enclosure's error terms dropped (delta = 0) the checker accepts a witness whose true
    output is safe and an unsat proof of a sat query; with them, it rejects both (spec 1, 4.8)."""
    import dataclasses
    from apothem_check.kernel import Session
    from apothem_check import steps as S
    from apothem_check.witness import check_witness
    for unsafe_low in (True, False):
        net, prop = _bn_edge(tmp_path, unsafe_low)
        zero = dataclasses.replace(net, layers=tuple(layer._replace(err_weight=None, err_bias=None, peak=None)
                                                     for layer in net.layers))
        if unsafe_low:
            with pytest.raises(CheckError, match="WITNESS_SAFE"):
                check_witness(net, prop.disjuncts[0], (Fraction(1 << 40),))
            check_witness(zero, prop.disjuncts[0], (Fraction(1 << 40),))  # accepted
            continue
        for network, ok in ((net, False), (zero, True)):
            session = Session(network, prop)
            session.apply(S.Root(id=1, line=1, disjuncts=(0,)))
            try:
                session.apply(S.CloseLinear(id=2, line=2, node=1, disjunct=None, lambdas=(Fraction(1),), alphas=(),
                                            betas=()))
            except Exception as err:
                assert not ok and err.code == "NOT_POSITIVE"
            else:
                assert ok


@pytest.mark.parametrize("opset", [10, 13])
def test_pad_attribute_and_input_forms(opset):
    pads = [0, 0, 1, -1, 0, 1, 2, 0]
    if opset < 11:
        node = helper.make_node("Pad", ["x"], ["y"], pads=pads, value=0.5)
        inits = {}
    else:
        node = helper.make_node("Pad", ["x", "i_pads", "v"], ["y"], mode="constant")
        inits = {"i_pads": pads, "v": 0.5}
    _compare(_model([node], inits, (1, 2, 3, 4), opset), (1, 2, 3, 4), np.random.default_rng(opset), bounds=True)


def test_residual_concat_and_squeeze():
    """y = [relu(c2(relu(c1 x)) + c3 x) ; x] flattened: a residual Add of two computed tensors (the shortcut
    carried through a closed layer as relu(u) - relu(-u)), a Concat with the input, Squeeze/Unsqueeze."""
    rng = np.random.default_rng(7)
    w = lambda *s: rng.uniform(-1, 1, s)
    nodes = [helper.make_node("Conv", ["x", "w1", "b1"], ["a"], pads=[1, 1, 1, 1]),
             helper.make_node("Conv", ["x", "w3"], ["s"], kernel_shape=[1, 1]),
             helper.make_node("Relu", ["a"], ["ra"]),
             helper.make_node("Conv", ["ra", "w2", "b2"], ["c"], pads=[1, 1, 1, 1]),
             helper.make_node("Add", ["c", "s"], ["sum"]),
             helper.make_node("Relu", ["sum"], ["r"]),
             helper.make_node("Concat", ["r", "x"], ["cat"], axis=1),
             helper.make_node("Unsqueeze", ["cat", "i_ax"], ["u"]),
             helper.make_node("Squeeze", ["u", "i_ax"], ["y"])]
    inits = {"w1": w(2, 2, 3, 3), "b1": w(2), "w2": w(2, 2, 3, 3), "b2": w(2), "w3": w(2, 2, 1, 1), "i_ax": [0]}
    data = _model(nodes, inits, (1, 2, 4, 4))
    _compare(data, (1, 2, 4, 4), rng)
    widths = [layer.weight.shape for layer in _load(data, "real").layers]
    assert widths == [(32 + 2 * 32 + 2 * 32, 32), (32 + 2 * 32, 160), (64, 96)]


def test_squeeze_unsqueeze_attribute_form():
    """Axes out of order: onnx's reference implementation of opset < 13 removes them one at a time, giving shape
    (1, 5) here instead of (5, 1) (and refusing the Unsqueeze); the checker reads them as opset 13's input."""
    nodes = [helper.make_node("Squeeze", ["x"], ["s"], axes=[2, 0, 1]),
             helper.make_node("Unsqueeze", ["s"], ["y"], axes=[3, 0])]
    _compare(_model(nodes, {}, (1, 1, 1, 5, 1), opset=11), (1, 1, 1, 5, 1), np.random.default_rng(1), bounds=True)


def _move_case(op: str, opset: int, rng: random.Random):
    """A random instance of a data-movement operator on the input x: (nodes, initializers, input shape)."""
    rank = rng.randint(1, 4)
    shape = [rng.randint(1, 3) for _ in range(rank)]
    node, inits = lambda *ins, **attrs: [helper.make_node(op, ["x", *ins], ["y"], **attrs)], {}
    axes = lambda r, k: [a - r if rng.random() < 0.5 else a for a in rng.sample(range(r), k)]  # any order, negative too
    if op in ("Identity", "Flatten", "Transpose"):  # Flatten's axis and Transpose's perm, or their defaults
        attrs = {"Flatten": {"axis": rng.randint(-rank, rank)}, "Transpose": {"perm": rng.sample(range(rank), rank)}}
        return node(**(attrs.get(op, {}) if rng.random() < 0.7 else {})), {}, shape
    if op == "Reshape":
        dims = [1] * rng.randint(1, 3)
        for f in shape:
            dims[rng.randrange(len(dims))] *= f
        if rng.random() < 0.5:
            dims[rng.randrange(len(dims))] = -1
        keep = [i for i, d in enumerate(dims) if i < rank and d == shape[i]]
        if keep and rng.random() < 0.5:
            dims[keep[0]] = 0
        return node("i_shape"), {"i_shape": dims}, shape
    if op == "Squeeze":
        ones = [i for i, d in enumerate(shape) if d == 1] or [0]
        shape = [1 if i in ones else d for i, d in enumerate(shape)]
        ax = [a - rank if rng.random() < 0.5 else a for a in rng.sample(ones, rng.randint(1, len(ones)))]
        if rng.random() < 0.2:
            return node(), {}, shape
        return (node(axes=ax), {}, shape) if opset < 13 else (node("i_axes"), {"i_axes": ax}, shape)
    if op == "Unsqueeze":
        k = rng.randint(1, 2)
        ax = axes(rank + k, k)
        return (node(axes=ax), {}, shape) if opset < 13 else (node("i_axes"), {"i_axes": ax}, shape)
    if op == "Concat":
        axis = rng.randrange(rank)
        other = [rng.randint(1, 3) if i == axis else d for i, d in enumerate(shape)]
        nodes = [helper.make_node(op, ["x", "c", "x"], ["y"], axis=axis - rank if rng.random() < 0.5 else axis)]
        return nodes, {"c": np.random.default_rng(rng.randrange(99)).uniform(-1, 1, other)}, shape
    if op == "Slice":
        ax = rng.sample(range(rank), rng.randint(1, rank))
        ax = ax if opset >= 10 else sorted(ax)  # onnx's inference of opset 9's Slice needs sorted axes
        steps = [rng.choice([-2, -1, 1, 2, 3]) if opset >= 10 else 1 for _ in ax]
        ends = [rng.choice([2 ** 63 - 1, -2 ** 63] + [rng.randint(-shape[a] - 1, shape[a] + 1)] * 3) for a in ax]
        starts = [rng.randint(-shape[a] - 1, shape[a] + 1) for a in ax]
        cut = {a: slice(s, max(min(e, 99), -99), t) for a, s, e, t in zip(ax, starts, ends, steps)}
        picked = np.arange(math.prod(shape)).reshape(shape)[tuple(cut.get(i, slice(None)) for i in range(rank))]
        if picked.size == 0:  # (numpy's slices clip like ONNX's) an empty result: draw again
            return _move_case(op, opset, rng)
        if opset < 10:
            return node(starts=starts, ends=ends, axes=ax), {}, shape
        return node("i_s", "i_e", "i_a", "i_t"), {"i_s": starts, "i_e": ends, "i_a": [a - rank for a in ax],
                                                  "i_t": steps}, shape
    if op == "Gather":
        axis = rng.randrange(rank)
        idx = np.random.default_rng(rng.randrange(99)).integers(-shape[axis], shape[axis], [rng.randint(1, 3)] *
                                                                 rng.randint(0, 2))
        return node("i_idx", axis=axis - rank if rng.random() < 0.5 else axis), {"i_idx": idx}, shape
    if op == "Expand":
        shape = [rng.choice([1, d]) for d in shape]
        to = [rng.randint(1, 3)] * rng.randint(0, 1)
        to += [rng.randint(1, 3) if d == 1 else rng.choice([1, d]) for d in shape]
        return node("i_shape"), {"i_shape": to}, shape
    if op == "Tile":
        return node("i_rep"), {"i_rep": [rng.randint(1, 3) for _ in shape]}, shape
    b, c = rng.randint(2, 3), rng.randint(1, 2)
    if op == "DepthToSpace":
        mode = {"mode": rng.choice(["DCR", "CRD"])} if opset >= 11 else {}
        return node(blocksize=b, **mode), {}, [1, c * b * b, rng.randint(1, 3), rng.randint(1, 3)]
    return node(blocksize=b), {}, [1, c, b * rng.randint(1, 2), b * rng.randint(1, 2)]  # SpaceToDepth


MOVE_CASES = [("Identity", 13), ("Flatten", 13), ("Reshape", 13), ("Reshape", 14), ("Squeeze", 11), ("Squeeze", 13),
              ("Unsqueeze", 11), ("Unsqueeze", 13), ("Transpose", 13), ("Concat", 13), ("Slice", 9), ("Slice", 13),
              ("Gather", 13), ("Expand", 13), ("Tile", 13), ("DepthToSpace", 9), ("DepthToSpace", 13),
              ("SpaceToDepth", 13)]


@pytest.mark.parametrize("op, opset", MOVE_CASES)
@pytest.mark.parametrize("seed", range(12))
def test_data_movement_random_attributes(op, opset, seed):
    """Every data-movement operator, read by ONNX's reference implementation on entry numbers (spec 1), against
    onnxruntime: random shapes, attributes and parameter inputs (negative axes in any order, out-of-range
    slice ends, negative steps and indices, both opset forms where the operator changed)."""
    rng = random.Random(f"{op} {opset} {seed}")
    nodes, inits, shape = _move_case(op, opset, rng)
    _compare(_model(nodes, inits, shape, opset), shape, np.random.default_rng(seed), bounds=True)


@pytest.mark.parametrize("seed", range(8))
def test_matmul_random_shapes(seed):
    """MatMul with the constant matrix on either side of a tensor of rank 1 to 4 (numpy's batching), and Gemm's
    transposes, against onnxruntime."""
    rng, nprng = random.Random(seed), np.random.default_rng(seed)
    batch, (m, k, p) = [rng.randint(1, 3) for _ in range(rng.randint(0, 2))], [rng.randint(1, 4) for _ in range(3)]
    if seed % 2:  # x @ W
        shape, nodes, w = batch + [rng.randint(1, 3), k], [helper.make_node("MatMul", ["x", "w"], ["y"])], (k, p)
    else:  # W @ x, x a vector or a batch of (k, p) matrices
        shape, nodes, w = (batch + [k, p]) if seed % 4 else [k], [helper.make_node("MatMul", ["w", "x"], ["y"])], (m, k)
    _compare(_model(nodes, {"w": nprng.uniform(-1, 1, w)}, shape), shape, nprng, bounds=True)
    ta, tb = rng.randint(0, 1), rng.randint(0, 1)
    shape, w = [k, m] if ta else [m, k], [p, k] if tb else [k, p]
    nodes = [helper.make_node("Gemm", ["x", "w", "c"], ["y"], transA=ta, transB=tb)]
    inits = {"w": nprng.uniform(-1, 1, w), "c": nprng.uniform(-1, 1, p)}
    _compare(_model(nodes, inits, shape), shape, nprng, bounds=True)


def test_parameter_inputs_must_be_constant_integers():
    """No supported operator makes an integer tensor from the (float) input, so a graph cannot reach this: the
    rule itself refuses a parameter (here a Gather's indices) that depends on the input, or is not integral."""
    x = _select((1, 3), [1], 3, 0, 0, False)
    node = helper.make_node("Gather", ["x", "i"], ["y"], axis=1)
    for bad in (x, np.array([Fraction(1, 2)], dtype=object)):
        with pytest.raises(InputError) as e:
            _move(node, [x, bad], {"opset": 13}, "Gather (node 'y')")
        assert e.value.code == "ONNX_UNSUPPORTED_GRAPH" and "must be constant integers" in str(e.value)
    assert _move(node, [x, np.array([Fraction(2)], dtype=object)], {"opset": 13}, "").T.cols.tolist() == [2]


@pytest.mark.parametrize("node, code", [
    (helper.make_node("LeakyRelu", ["x"], ["y"], alpha=0.5), "ONNX_UNSUPPORTED_OP"),  # not yet (spec 1)
    (helper.make_node("Conv", ["x", "w"], ["y"], auto_pad="SAME_UPPER", dilations=[2, 1]), "ONNX_UNSUPPORTED_GRAPH"),
    (helper.make_node("Conv", ["x", "w"], ["y"], unknown=1), "ONNX_MALFORMED"),  # onnx's own check names it
    (helper.make_node("MaxPool", ["x"], ["y", "idx"], kernel_shape=[2, 2], storage_order=1), None),
    (helper.make_node("Pad", ["x", "i_pads"], ["y"], mode="reflect"), "ONNX_UNSUPPORTED_GRAPH"),
    (helper.make_node("Sigmoid", ["x"], ["y"]), "ONNX_UNSUPPORTED_OP"),
])
def test_refused_attributes_and_operators(node, code):
    inits = {"w": np.ones((1, 1, 2, 2)), "i_pads": [0, 0, 1, 1, 0, 0, 1, 1]}
    if code is None:  # MaxPool's second output (Indices), unused, is fine, and so is the order of its indices
        assert len(_load(_model([node], inits, (1, 1, 4, 4)), "real").layers) == 3
        return
    with pytest.raises(InputError) as e:
        _load(_model([node], inits, (1, 1, 4, 4)), "real")
    assert e.value.code == code and (node.op_type in str(e.value) or "unknown" in str(e.value))


BENCH = Path(os.environ.get("APOTHEM_BENCHMARKS", Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"))
CONV_NETS = ["oval21/onnx/cifar_base_kw.onnx", "oval21/onnx/cifar_wide_kw.onnx", "oval21/onnx/cifar_deep_kw.onnx",
             "verivital/onnx/Convnet_avgpool.onnx", "verivital/onnx/Convnet_maxpool.onnx",
             "sri_resnet_a/onnx/resnet_3b2_bn_mixup_adv_4.0_bs128_lr-1.onnx"]


@pytest.mark.skipif(not BENCH.is_dir() and os.environ.get("APOTHEM_REQUIRE_BENCHMARKS") != "1",
                    reason=f"benchmark data not found at {BENCH}")
@pytest.mark.parametrize("name", CONV_NETS)
def test_benchmark_networks_match_onnxruntime(name):
    """The real convolutional and residual benchmark networks load and their exact evaluation agrees with
    onnxruntime within float32 rounding at a random point of [0, 1]^n (images)."""
    data = (BENCH / name).read_bytes()
    net = _load(data, "real")
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(len(name)).random(net.input_shape, dtype=np.float32)
    want = sess.run(None, {sess.get_inputs()[0].name: x})[0].ravel().astype(np.float64)
    got = [float(v) for v in evaluate(net, [Fraction(float(v)) for v in x.ravel()])]
    np.testing.assert_allclose(got, want, atol=1e-4 * (1 + np.abs(want).max()), rtol=0)
