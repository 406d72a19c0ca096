"""Tests of apothem_check.network: exact folding of ONNX graphs into affine+ReLU layers."""
from __future__ import annotations

import hashlib
import math
import os
import random
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from apothem_check.errors import InputError
from apothem_check.network import SUPPORTED_OPERATORS, load_network
from apothem_check.witness import enclose
from helpers import dense, evaluate

# Third-party data, never copied into the repository; CI sets APOTHEM_REQUIRE_BENCHMARKS=1 so
# that its absence fails the benchmark tests instead of skipping them (as in ../../conftest.py).
BENCH = Path(os.environ.get("APOTHEM_BENCHMARKS",
                            Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"))
needs_bench = pytest.mark.skipif(not BENCH.is_dir() and os.environ.get("APOTHEM_REQUIRE_BENCHMARKS") != "1",
                                 reason=f"benchmark data not found at {BENCH}")


def bench_onnx():
    if not BENCH.is_dir():
        return ["<benchmarks missing>"]
    return sorted(str(p.relative_to(BENCH)) for d in ("acasxu", "mnist_fc", "test", "ppnn")
                  for p in (BENCH / d).rglob("*.onnx"))


def float64_eval(path: Path, x: np.ndarray) -> np.ndarray:
    """Independent float64 interpretation of the raw graph (test-only reference)."""
    model = onnx.load(str(path))
    g = model.graph
    env = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in g.initializer}
    inp = [i for i in g.input if i.name not in env][0]
    dims = [d.dim_value or 1 for d in inp.type.tensor_type.shape.dim]
    env[inp.name] = x.astype(np.float64).reshape(dims)
    for n in g.node:
        a = {at.name: helper.get_attribute_value(at) for at in n.attribute}
        i = [env[k] for k in n.input]
        if n.op_type == "Sub":
            r = i[0] - i[1]
        elif n.op_type == "Add":
            r = i[0] + i[1]
        elif n.op_type == "MatMul":
            r = i[0] @ i[1]
        elif n.op_type == "Relu":
            r = np.maximum(i[0], 0)
        elif n.op_type == "Flatten":
            ax = a.get("axis", 1)
            r = i[0].reshape(math.prod(i[0].shape[:ax]), -1)
        elif n.op_type == "Reshape":
            r = i[0].reshape([int(v) for v in i[1]])
        elif n.op_type == "Gemm":
            A = i[0].T if a.get("transA") else i[0]
            B = i[1].T if a.get("transB") else i[1]
            r = a.get("alpha", 1.0) * A @ B + a.get("beta", 1.0) * i[2]
        else:
            raise NotImplementedError(n.op_type)
        env[n.output[0]] = r
    return env[g.output[0].name].ravel()


@needs_bench
@pytest.mark.parametrize("rel", bench_onnx())
def test_benchmark_networks_match_float64(rel):
    path = BENCH / rel
    net = load_network(path)
    assert net.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert net.layers[-1].relu is False and all(layer.relu for layer in net.layers[:-1])
    for layer in net.layers:
        ints = list(dense(layer.weight).ravel()) + list(layer.bias)
        assert all(type(v) is int for v in ints)
        assert layer.denominator > 0 and math.gcd(layer.denominator, *ints) == 1  # smallest
    rng = random.Random(rel)
    lo = -1 if "acasxu" in rel or "test/" in rel else 0  # images are in [0, 1]
    for _ in range(3):
        x = [Fraction(rng.randint(lo * 10**6, 10**6), 10**6) for _ in range(net.n_inputs)]
        exact = evaluate(net, x)
        ref = float64_eval(path, np.array([float(v) for v in x]))
        assert len(exact) == net.n_outputs == ref.size
        scale = max(1.0, float(np.max(np.abs(ref))))
        for e, r in zip(exact, ref):
            assert isinstance(e, Fraction)
            assert abs(float(e) - r) <= 1e-6 * scale


@needs_bench
def test_benchmark_shapes():
    acas = load_network(BENCH / "acasxu/onnx/ACASXU_run2a_1_1_batch_2000.onnx")
    assert (acas.input_shape, acas.output_shape) == ((1, 1, 1, 5), (1, 5))
    assert [l.weight.shape for l in acas.layers] == [(50, 5)] + [(50, 50)] * 5 + [(5, 50)]
    mnist = load_network(BENCH / "mnist_fc/onnx/mnist-net_256x2.onnx")
    assert (mnist.input_shape, mnist.n_inputs, mnist.n_outputs, len(mnist.layers)) == ((1, 784, 1), 784, 10, 3)
    ppnn = load_network(BENCH / "ppnn/onnx/mnist_nn-32.onnx")  # dynamic batch dimension
    assert (ppnn.input_shape, ppnn.output_shape) == ((1, 28, 28), (1, 10))


@needs_bench
def test_test_networks_exact_by_hand():
    nano = load_network(BENCH / "test/test_nano.onnx")  # y = relu(0.5 x), ends in Relu
    assert [(dense(l.weight).tolist(), l.bias.tolist(), l.denominator, l.relu) for l in nano.layers] == \
        [([[1]], [0], 2, True), ([[1]], [0], 1, False)]
    assert evaluate(nano, [Fraction(3, 7)]) == [Fraction(3, 14)]
    assert evaluate(nano, [Fraction(-5)]) == [0]
    tiny = load_network(BENCH / "test/test_tiny.onnx")  # y = relu(x)
    assert evaluate(tiny, [Fraction(-1, 3)]) == [0] and evaluate(tiny, [Fraction(2, 9)]) == [Fraction(2, 9)]
    small = load_network(BENCH / "test/test_small.onnx")  # h1 = relu(x+1.5), h2 = relu(4 h1 + 2.5), y = 6 h2 + 3.5
    assert evaluate(small, [Fraction(0)]) == [Fraction(109, 2)]
    assert evaluate(small, [Fraction(-2)]) == [Fraction(37, 2)]
    assert evaluate(small, [Fraction(1, 3)]) == [Fraction(125, 2)]
    assert small.layers[0].bias.tolist() == [3, 3] and small.layers[0].denominator == 2


# ---------- synthetic graphs built with onnx.helper ----------

def save(tmp_path, nodes, inits, inputs=None, out_shape=(None, None), opset=13, name="m.onnx"):
    inputs = inputs or [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])]
    graph = helper.make_graph(nodes, "g", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, out_shape)],
                              [numpy_helper.from_array(np.asarray(v, dtype=np.float32), k) for k, v in inits.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def test_float32_weights_are_exact(tmp_path):
    w = np.array([[0.1, -0.2, 1e-30]], dtype=np.float32)
    path = save(tmp_path, [helper.make_node("MatMul", ["x", "W"], ["y"])], {"W": w.T})
    layer, = load_network(path).layers
    exact = [Fraction(float(v)) for v in w.ravel()]
    assert [Fraction(n, layer.denominator) for n in dense(layer.weight).ravel()] == exact
    assert layer.denominator == math.lcm(*(q.denominator for q in exact))
    assert exact[0] == Fraction(13421773, 134217728)  # float32(0.1), not 1/10


def test_folding_of_affine_operators(tmp_path):
    """Sub, Div, Mul, Gemm (transA, transB), Reshape, Transpose, Identity, Constant fold into one exact affine
    map; compared with a hand computation. Gemm's alpha and beta other than 1 are refused."""
    nodes = [
        helper.make_node("Sub", ["M", "x"], ["a"]),                 # a = M - x   (1,3)
        helper.make_node("Div", ["a", "D"], ["b"]),                 # b = a / 4
        helper.make_node("Constant", [], ["two"], value_float=2.0),
        helper.make_node("Mul", ["two", "b"], ["c"]),               # c = 2 b
        helper.make_node("Transpose", ["c"], ["ct"], perm=[1, 0]),  # (3,1)
        helper.make_node("Gemm", ["ct", "W", "C"], ["g"], transA=1, transB=1),  # (1,2)
        helper.make_node("Reshape", ["g", "shape3"], ["u"]),        # (1,1,2)
        helper.make_node("Identity", ["u"], ["i"]),
        helper.make_node("Reshape", ["i", "shape"], ["y"]),         # (2,)
    ]
    M, W, C = [1.0, 2.0, 3.0], [[1.0, 0.0, -1.0], [0.5, 0.25, 2.0]], [0.125, -1.0]
    path = tmp_path / "m.onnx"
    inits = [numpy_helper.from_array(np.array(v, dtype=np.float32), k) for k, v in
             {"M": [M], "D": 4.0, "W": W, "C": C}.items()]
    inits += [numpy_helper.from_array(np.array(v, dtype=np.int64), k) for k, v in {"shape3": [1, 0, -1], "shape": [-1]}.items()]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    net = load_network(path)
    assert len(net.layers) == 1 and net.output_shape == (2,)
    x = [Fraction(1, 3), Fraction(-2), Fraction(5, 7)]
    cvec = [2 * (Fraction(m) - xi) / 4 for m, xi in zip(M, x)]
    want = [sum(Fraction(w) * ci for w, ci in zip(row, cvec)) + Fraction(c) for row, c in zip(W, C)]
    assert evaluate(net, x) == want
    for scale in ({"alpha": 0.5}, {"beta": 3.0}):  # exporters write 1; other values are refused, not guessed at
        nodes[5] = helper.make_node("Gemm", ["ct", "W", "C"], ["g"], transA=1, transB=1, **scale)
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])],
                                  [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])], inits)
        onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
        expect("ONNX_UNSUPPORTED_GRAPH", path)


def test_relu_on_input_and_ops_between_layers(tmp_path):
    nodes = [helper.make_node("Relu", ["x"], ["r"]),
             helper.make_node("Flatten", ["r"], ["f"], axis=1),
             helper.make_node("MatMul", ["f", "W"], ["m"]),
             helper.make_node("Relu", ["m"], ["r2"]),
             helper.make_node("Add", ["r2", "B"], ["y"])]
    path = save(tmp_path, nodes, {"W": [[1.0], [-1.0], [2.0]], "B": [0.5]}, out_shape=[1, 1])
    net = load_network(path)
    assert [l.relu for l in net.layers] == [True, True, False]
    assert evaluate(net, [Fraction(-1), Fraction(-2), Fraction(1)]) == [Fraction(5, 2)]  # relu(0-0+2)+0.5
    assert evaluate(net, [Fraction(-1), Fraction(5), Fraction(1)]) == [Fraction(1, 2)]  # relu(0-5+2)+0.5
    assert evaluate(net, [Fraction(3), Fraction(0), Fraction(1)]) == [Fraction(11, 2)]


def test_supported_operators_constant():
    assert {"Gemm", "Relu", "Conv", "MaxPool", "BatchNormalization"} <= set(SUPPORTED_OPERATORS)
    assert not {"Sigmoid", "Tanh", "Softmax", "LeakyRelu", "Clip"} & set(SUPPORTED_OPERATORS)


# ---------- errors ----------

def expect(code, path):
    with pytest.raises(InputError) as e:
        load_network(path)
    assert e.value.code == code, str(e.value)
    assert str(e.value).startswith(code + ": ")
    return str(e.value)


def test_truncated_and_missing_files(tmp_path):
    good = save(tmp_path, [helper.make_node("MatMul", ["x", "W"], ["y"])], {"W": np.ones((3, 2))})
    data = good.read_bytes()
    (tmp_path / "cut.onnx").write_bytes(data[: len(data) // 2])
    expect("ONNX_MALFORMED", tmp_path / "cut.onnx")
    (tmp_path / "junk.onnx").write_bytes(b"\xff\x00not a model at all")
    expect("ONNX_MALFORMED", tmp_path / "junk.onnx")
    expect("ONNX_MALFORMED", tmp_path / "absent.onnx")
    assert load_network(good).n_outputs == 2  # the intact file is fine


def test_unsupported_operator(tmp_path):
    path = save(tmp_path, [helper.make_node("MatMul", ["x", "W"], ["m"]),
                           helper.make_node("Sigmoid", ["m"], ["y"], name="sig1")], {"W": np.ones((3, 2))})
    msg = expect("ONNX_UNSUPPORTED_OP", path)
    assert "Sigmoid" in msg and "sig1" in msg and "Gemm" in msg
    assert "1 unsupported operator: Sigmoid (node 'sig1')" in msg


def test_every_unsupported_operator_is_named_at_once(tmp_path):
    """A CNN with Conv, AveragePool, Tanh and Sigmoid: the two unsupported ones in one message, in graph order
    (a user converting a model wants the whole list, not one operator per attempt)."""
    nodes = [helper.make_node("Conv", ["x", "K"], ["c"], name="conv"),
             helper.make_node("AveragePool", ["c"], ["p"], kernel_shape=[2, 2]),
             helper.make_node("Tanh", ["p"], ["t"], name="tanh"),
             helper.make_node("Sigmoid", ["t"], ["y"])]
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 1, 6, 6])]
    path = save(tmp_path, nodes, {"K": np.ones((1, 1, 3, 3))}, inputs=inputs, out_shape=(1, 1, 3, 3))
    msg = expect("ONNX_UNSUPPORTED_OP", path)
    assert "2 unsupported operators: Tanh (node 'tanh'), Sigmoid (node 'y'); supported: " in msg


def test_two_inputs(tmp_path):
    inputs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, [1, 3]) for n in ("x", "z")]
    path = save(tmp_path, [helper.make_node("Add", ["x", "z"], ["y"])], {}, inputs=inputs)
    assert "'z'" in expect("ONNX_UNSUPPORTED_GRAPH", path)


def test_non_float_input(tmp_path):
    inputs = [helper.make_tensor_value_info("x", TensorProto.INT64, [1, 3])]
    path = save(tmp_path, [helper.make_node("Cast", ["x"], ["y"], to=TensorProto.FLOAT)], {}, inputs=inputs)
    expect("ONNX_UNSUPPORTED_GRAPH", path)


@pytest.mark.parametrize("node, init", [
    (helper.make_node("Mul", ["x", "K"], ["y"]), numpy_helper.from_array(np.array([2, 3, 4], dtype=np.int64), "K")),
    (helper.make_node("Identity", ["x"], ["y"]), None)])  # declared int64 output of a float input
def test_ill_typed_graph_is_refused(tmp_path, node, init):
    """onnxruntime refuses to load these (issue 17): a float tensor times an int64 constant, an
    output whose declared type is not the computed one. Nothing is proven about such a file."""
    out = helper.make_tensor_value_info("y", TensorProto.FLOAT if init else TensorProto.INT64, [1, 3])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3])], [out],
                              [init] if init else [])
    path = tmp_path / "typed.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(path))
    onnx.checker.check_model(onnx.load(str(path)))  # the plain check lets it through
    expect("ONNX_TYPE", path)


def test_nan_weight(tmp_path):
    path = save(tmp_path, [helper.make_node("MatMul", ["x", "W"], ["y"])], {"W": [[1.0], [np.nan], [0.0]]})
    expect("ONNX_NONFINITE", path)


@pytest.mark.parametrize("nodes", [
    [helper.make_node("Mul", ["x", "x"], ["y"])],                       # quadratic
    [helper.make_node("Div", ["V", "x"], ["y"])],                       # 1/x
], ids=["quadratic", "reciprocal"])
def test_non_affine_graphs(tmp_path, nodes):
    path = save(tmp_path, nodes, {"W": np.ones((3, 3)), "V": np.ones((1, 3))})
    expect("ONNX_UNSUPPORTED_GRAPH", path)


@pytest.mark.parametrize("nodes, want, shapes", [
    ([helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Add", ["x", "h"], ["y"])],
     [Fraction(1, 2), Fraction(-5, 2), 0], [(3, 3)]),  # affine: no layer closed
    ([helper.make_node("MatMul", ["x", "W"], ["h"]), helper.make_node("Relu", ["h"], ["r"]),
      helper.make_node("Add", ["r", "h"], ["y"])],
     [Fraction(-1, 2)] * 3, [(3 + 6, 3), (3, 9)]),  # h carried over the ReLU as relu(h), relu(-h)
], ids=["sum", "skip"])
def test_sums_of_computed_tensors(tmp_path, nodes, want, shapes):
    """x = (1, -2, 1/2), W = ones: h = -1/2 everywhere; a skip connection over a ReLU is a live tensor
    carried through the closed layer (spec 1), read back exactly."""
    net = load_network(save(tmp_path, nodes, {"W": np.ones((3, 3))}))
    assert [layer.weight.shape for layer in net.layers] == shapes
    assert evaluate(net, [Fraction(1), Fraction(-2), Fraction(1, 2)]) == want


def test_relu_directly_on_input(tmp_path):
    net = load_network(save(tmp_path, [helper.make_node("Relu", ["x"], ["y"])], {}))
    assert [l.relu for l in net.layers] == [True, False]
    assert evaluate(net, [Fraction(-1), 0, Fraction(2, 3)]) == [0, 0, Fraction(2, 3)]


def test_output_not_depending_on_input(tmp_path):
    path = save(tmp_path, [helper.make_node("Identity", ["W"], ["y"])], {"W": np.ones((1, 3))})
    expect("ONNX_UNSUPPORTED_GRAPH", path)


def test_legacy_broadcast_attribute_rejected(tmp_path):
    path = save(tmp_path, [helper.make_node("Add", ["x", "B"], ["y"], broadcast=1)], {"B": [1.0]}, opset=6)
    expect("ONNX_UNSUPPORTED_GRAPH", path)


# ---------- never a traceback ----------

from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_corrupted_bytes_give_input_error_or_network(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("fuzz")
    nodes = [helper.make_node("Gemm", ["x", "W", "B"], ["h"], transB=1), helper.make_node("Relu", ["h"], ["r"]),
             helper.make_node("MatMul", ["r", "V"], ["y"])]
    raw = bytearray(save(tmp, nodes, {"W": np.ones((2, 3)), "B": [0.5, -1.0], "V": [[1.0], [2.0]]}).read_bytes())
    for _ in range(data.draw(st.integers(1, 4))):
        raw[data.draw(st.integers(0, len(raw) - 1))] = data.draw(st.integers(0, 255))
    (tmp / "bad.onnx").write_bytes(bytes(raw))
    try:
        net = load_network(tmp / "bad.onnx")
    except InputError:
        return
    enclose(net, [Fraction(1)] * net.n_inputs)
