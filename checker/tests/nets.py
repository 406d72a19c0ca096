"""Tiny deterministic ONNX networks and VNN-LIB properties for the checker's tests.

Weights are small dyadic values so that proofs can be written (and checked) by hand. Running

    python -m checker.tests.nets          (from the repository root)

writes every model to checker/tests/golden/models/<name>.onnx and every property to
checker/tests/golden/models/<name>.vnnlib; `test_golden.py` checks that regenerating gives
byte-identical files, so the SHA-256 lines of the golden proofs stay right.

Networks (the real-valued functions):

- `abs`:  1 input -> 2 -> 1.  z1 = (x, -x), y = relu(x) + relu(-x) = |x|.   (Gemm, Relu, Gemm)
- `net2`: 2 inputs -> 2 -> 2 -> 2, several unstable neurons on [-1, 1]^2.    (MatMul+Add, Relu, Gemm, Relu, Gemm)
- `layer`: 2 inputs -> 2 -> 2 -> 1, where optimised layer-2 slopes matter (`bounds N layer 2`).
- `ops`:  input of shape (1, 1, 2), Flatten, Sub, Div, MatMul, Add, Relu, MatMul, Mul:
          x' = (x - (1/2, -1/2)) / (2, 1/2);  h = relu(W x' + b);  y = 2 (v . h).
- `shift`: 1 input -> 1 -> 1, y = relu(x + 2^24) - 2^24 = x for x > -2^24 (issue 19's example:
          in binary32, x + 2^24 rounds to a multiple of 2, so y = 2 on all of [1.25, 1.75]).
- `resid`: input (1, 1, 2, 2); r = relu(Conv 1x1 with weights 1, -1) = (relu(x), relu(-x)), a Conv 1x1
          adds the two channels (|x|), a residual Add of the input (|x| + x = 2 relu(x)), GlobalAveragePool:
          y = mean(2 relu(x)) >= 0. The input is carried over the ReLU layer as relu(x), relu(-x) (spec 1).
- `maxpool`: input (1, 1, 2, 2), MaxPool 2x2: y = max(x), two tournament layers (spec 1).
"""
from __future__ import annotations

import sys
from decimal import Decimal, getcontext
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

GOLDEN = Path(__file__).resolve().parent / "golden"
MODELS = GOLDEN / "models"
OPSET = 13
IR_VERSION = 8  # pinned: the bytes of a model must not depend on the installed onnx version


def _t(name: str, values, shape=None) -> onnx.TensorProto:
    arr = np.array(values, dtype=np.float32)
    if shape is not None:
        arr = arr.reshape(shape)
    return numpy_helper.from_array(arr, name)


def _model(name: str, nodes, inits, in_shape, out_shape) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, list(out_shape))], inits)
    model = helper.make_model(graph, producer_name="apothem-tests", producer_version="1",
                              opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def abs_net(w1=((1.0,), (-1.0,)), b1=(0.0, 0.0), w2=((1.0, 1.0),), b2=(0.0,)) -> onnx.ModelProto:
    """y = relu(x) + relu(-x); the weights can be changed (attack tests)."""
    nodes = [helper.make_node("Gemm", ["input", "W1", "B1"], ["z1"], transB=1),
             helper.make_node("Relu", ["z1"], ["h1"]),
             helper.make_node("Gemm", ["h1", "W2", "B2"], ["output"], transB=1)]
    inits = [_t("W1", w1), _t("B1", b1), _t("W2", w2), _t("B2", b2)]
    return _model("abs", nodes, inits, (1, 1), (1, 1))


NET2_W1 = [[1.0, 1.0], [1.0, -1.0]]
NET2_B1 = [0.0, 0.0]
NET2_W2 = [[1.0, 0.5], [-0.5, 1.0]]
NET2_B2 = [-0.25, 0.0]
NET2_W3 = [[1.0, -1.0], [0.5, 0.25]]
NET2_B3 = [0.0, 0.125]


def net2() -> onnx.ModelProto:
    nodes = [helper.make_node("MatMul", ["input", "W1t"], ["m1"]),
             helper.make_node("Add", ["m1", "B1"], ["z1"]),
             helper.make_node("Relu", ["z1"], ["h1"]),
             helper.make_node("Gemm", ["h1", "W2", "B2"], ["z2"], transB=1),
             helper.make_node("Relu", ["z2"], ["h2"]),
             helper.make_node("Gemm", ["h2", "W3", "B3"], ["output"], transB=1)]
    inits = [_t("W1t", np.array(NET2_W1, dtype=np.float32).T), _t("B1", NET2_B1),
             _t("W2", NET2_W2), _t("B2", NET2_B2), _t("W3", NET2_W3), _t("B3", NET2_B3)]
    return _model("net2", nodes, inits, (1, 2), (1, 2))


# Two neurons of layer 1 that move together: layer 2's crown bounds are loose with the default
# slopes (0 here) and tight with slopes near 1/2, which `bounds N layer 2 alpha ...` can give.
LAYER_W = ([[1.0, -1.0], [1.0, -1.0]], [[-0.5, -1.0], [1.0, -1.0]], [[1.0, -1.0]])
LAYER_B = ([0.0, 0.5], [-0.5, -0.5], [-0.25])


def layer_net() -> onnx.ModelProto:
    nodes, inits, h = [], [], "input"
    for k, (w, b) in enumerate(zip(LAYER_W, LAYER_B), start=1):
        out = "output" if k == len(LAYER_W) else f"z{k}"
        nodes.append(helper.make_node("Gemm", [h, f"W{k}", f"B{k}"], [out], transB=1))
        inits += [_t(f"W{k}", w), _t(f"B{k}", b)]
        if out != "output":
            nodes.append(helper.make_node("Relu", [out], [f"h{k}"]))
            h = f"h{k}"
    return _model("layer", nodes, inits, (1, 2), (1, 1))


def ops_net() -> onnx.ModelProto:
    nodes = [helper.make_node("Flatten", ["input"], ["flat"], axis=1),
             helper.make_node("Sub", ["flat", "mean"], ["centred"]),
             helper.make_node("Div", ["centred", "std"], ["scaled"]),
             helper.make_node("MatMul", ["scaled", "W1t"], ["m1"]),
             helper.make_node("Add", ["m1", "B1"], ["z1"]),
             helper.make_node("Relu", ["z1"], ["h1"]),
             helper.make_node("MatMul", ["h1", "W2t"], ["m2"]),
             helper.make_node("Mul", ["m2", "two"], ["output"])]
    inits = [_t("mean", [0.5, -0.5]), _t("std", [2.0, 0.5]),
             _t("W1t", np.array([[1.0, 0.5], [-0.25, 1.0]], dtype=np.float32).T), _t("B1", [0.0, -0.5]),
             _t("W2t", [[1.0], [-0.5]]), _t("two", [2.0])]
    return _model("ops", nodes, inits, (1, 1, 2), (1, 1))


def resid_net() -> onnx.ModelProto:
    nodes = [helper.make_node("Conv", ["input", "K1"], ["c1"], kernel_shape=[1, 1]),
             helper.make_node("Relu", ["c1"], ["r"]),
             helper.make_node("Conv", ["r", "K2"], ["s"], kernel_shape=[1, 1]),
             helper.make_node("Add", ["s", "input"], ["sum"]),
             helper.make_node("GlobalAveragePool", ["sum"], ["g"]),
             helper.make_node("Flatten", ["g"], ["output"])]
    inits = [_t("K1", [1.0, -1.0], (2, 1, 1, 1)), _t("K2", [1.0, 1.0], (1, 2, 1, 1))]
    return _model("resid", nodes, inits, (1, 1, 2, 2), (1, 1))


def maxpool_net() -> onnx.ModelProto:
    nodes = [helper.make_node("MaxPool", ["input"], ["m"], kernel_shape=[2, 2]),
             helper.make_node("Flatten", ["m"], ["output"])]
    return _model("maxpool", nodes, [], (1, 1, 2, 2), (1, 1))


def exact_decimal(q: Fraction) -> str:
    """A dyadic rational as an exact decimal literal (VNN-LIB has no hexadecimal floats)."""
    q = Fraction(q)
    if q.denominator == 1:
        return str(q.numerator)
    getcontext().prec = 400
    text = format(Decimal(q.numerator) / Decimal(q.denominator), "f")
    assert Fraction(text) == q, q
    return text


def vnnlib(n_in: int, n_out: int, body: str, comment: str) -> str:
    decls = [f"(declare-const X_{i} Real)" for i in range(n_in)] + [f"(declare-const Y_{j} Real)" for j in range(n_out)]
    return f"; {comment}\n" + "\n".join(decls) + "\n" + body.strip() + "\n"


def box(bounds) -> str:
    return "\n".join(f"(assert (>= X_{i} {lo}))\n(assert (<= X_{i} {hi}))" for i, (lo, hi) in enumerate(bounds))


EPS = Fraction(1, 2 ** 60)

PROPERTIES = {
    # abs network (1 input, 1 output)
    "abs_neg": (1, 1, box([(-1, 1)]) + "\n(assert (<= Y_0 -0.0625))", "unsat: |x| <= -1/16 never holds"),
    "abs_tight": (1, 1, box([(-1, 1)]) + f"\n(assert (<= Y_0 -{exact_decimal(EPS)}))",
                  "unsat with a margin of 2^-60 only: certificates are tight"),
    "abs_one": (1, 1, box([(-1, 1)]) + "\n(assert (<= Y_0 -1))", "unsat: |x| <= -1 (integer data)"),
    "abs_zero": (1, 1, box([(-1, 1)]) + "\n(assert (<= Y_0 0))", "for abs_eps (|x| + 2^-60 <= 0): unsat, margin 2^-60"),
    "abs_sat": (1, 1, box([(-1, 1)]) + "\n(assert (<= Y_0 0.25))", "sat: |x| <= 1/4 near 0"),
    "abs_strict": (1, 1, "(assert (> X_0 -0.5))\n(assert (<= X_0 1))\n(assert (< Y_0 0.5))",
                   "sat, strict bounds: -1/2 < x <= 1 and |x| < 1/2"),
    "abs_or": (1, 1, "(assert (or (and (>= X_0 0.5) (<= X_0 1)) (and (>= X_0 -1) (<= X_0 -0.5))))\n"
                     "(assert (<= Y_0 0.25))", "unsat, two disjuncts (two boxes)"),
    "abs_two": (1, 1, box([(-1, 1)]) + "\n(assert (>= Y_0 0.5))\n(assert (<= Y_0 0.25))",
                "unsat, one disjunct with two output constraints (needs both multipliers)"),
    "abs_high": (1, 1, box([(-1, 1)]) + "\n(assert (>= Y_0 0.75))\n(assert (<= Y_0 0.875))",
                 "sat: 3/4 <= |x| <= 7/8 (x = 0.8)"),
    "abs_half": (1, 1, box([(-1, 1)]) + "\n(assert (<= Y_0 -0.0625))\n(assert (>= Y_0 -2))",
                 "unsat, two constraints, the first alone suffices"),
    # net2 (2 inputs, 2 outputs)
    "net2_a": (2, 2, box([(-1, 1), (-1, 1)]) + "\n(assert (>= Y_0 1.875))", "y0 >= 15/8 on [-1,1]^2 (max y0 is 7/4)"),
    "net2_b": (2, 2, box([(-1, 1), (-1, 1)]) + "\n(assert (<= Y_1 0.0625))", "y1 <= 1/16 on [-1,1]^2"),
    "net2_b0": (2, 2, box([(-1, 1), (-1, 1)]) + "\n(assert (<= Y_1 0))", "y1 <= 0 on [-1,1]^2 (y1 >= 1/8 always)"),
    "net2_c": (2, 2, box([(-1, 1), (-1, 1)]) + "\n(assert (or (and (>= Y_0 2)) (and (<= Y_1 0.0625))))",
               "two disjuncts sharing one box"),
    "net2_sat": (2, 2, box([(-1, 1), (-1, 1)]) + "\n(assert (>= Y_0 0.5))", "y0 >= 1/2: sat"),
    # layer network (2 inputs, 1 output)
    "layer_a": (2, 1, box([(-1, 1), (-1, 1)]) + "\n(assert (<= Y_0 -0.75))",
                "y <= -3/4 on [-1,1]^2 (min y is -1/4; needs layer 2's optimised slopes)"),
    # ops network (2 inputs, 1 output)
    "ops_a": (2, 1, box([(0, 1), (-1, 0)]) + "\n(assert (<= Y_0 -1))", "y <= -1 on [0,1] x [-1,0]"),
    # shift network (1 input, 1 output)
    "shift_ge": (1, 1, box([(1.25, 1.75)]) + "\n(assert (>= Y_0 1.9))", "unsat in real arithmetic, sat in binary32"),
    "shift_le": (1, 1, box([(1.25, 1.75)]) + "\n(assert (<= Y_0 1.6))", "sat in real arithmetic (x = 1.5), unsat in binary32"),
    "shift_huge": (1, 1, box([(0, 2 ** 127)]) + "\n(assert (<= Y_0 -1))", "unsat, but values near 2^127 may overflow"),
    # resid and maxpool networks (4 inputs, 1 output)
    "resid_neg": (4, 1, box([(-1, 1)] * 4) + "\n(assert (<= Y_0 -0.0625))", "unsat: mean(2 relu(x)) >= 0"),
    "maxpool_low": (4, 1, box([(-1, 1)] * 4) + "\n(assert (<= Y_0 -0.5))", "sat: max(x) <= -1/2 at x = (-1/2, ...)"),
    "maxpool_neg": (4, 1, box([(-1, 1)] * 4) + "\n(assert (>= Y_0 1.25))", "unsat: max(x) <= 1 on [-1, 1]^4"),
}


def models() -> dict[str, onnx.ModelProto]:
    return {"abs": abs_net(), "abs_eps": abs_net(b2=(float(EPS),)), "net2": net2(), "ops": ops_net(),
            "layer": layer_net(), "shift": abs_net(((1.0,),), (2.0 ** 24,), ((1.0,),), (-2.0 ** 24,)),
            "resid": resid_net(), "maxpool": maxpool_net()}


def model_bytes(model: onnx.ModelProto) -> bytes:
    return model.SerializeToString(deterministic=True)


def generated_files() -> dict[str, bytes]:
    """File name (relative to golden/models) -> exact bytes."""
    out = {f"{name}.onnx": model_bytes(m) for name, m in models().items()}
    for name, (n_in, n_out, body, comment) in PROPERTIES.items():
        out[f"{name}.vnnlib"] = vnnlib(n_in, n_out, body, comment).encode()
    return out


def write_all(target: Path = MODELS) -> list[Path]:
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in generated_files().items():
        path = target / name
        path.write_bytes(data)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in write_all(Path(sys.argv[1]) if len(sys.argv) > 1 else MODELS):
        print(p)
