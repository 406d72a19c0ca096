"""Build networks on which real arithmetic and binary32 execution disagree (issue 19, evidence).

Why: a proof about the real-valued function of a graph says nothing about the network as it runs
in float32. `shift`: y = relu(x + 2^24) - 2^24 on x in [1.25, 1.75]. In real arithmetic y = x < 1.9,
so the query "y >= 1.9" is unsat (Apothem proves it under `--semantics real`); in binary32,
x + 2^24 rounds to 2^24 + 2 (the spacing of binary32 there is 2), so y = 2 at every point of the
box: `--semantics float32` answers sat, and onnxruntime confirms the witness.
`tiny`: small random Gemm networks (at most 5 inputs per dot product) with a large bias, for the
brute-force guard of tests/prover/test_float32.py (every summation order, with and without FMA).

Run: python examples/float32_gap.py OUT_DIR   (writes shift.onnx and shift.vnnlib there)
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

SHIFT_QUERY = """; unsat in real arithmetic (y = x <= 1.75); sat in binary32 (y = 2 on the whole box)
(declare-const X_0 Real)
(declare-const Y_0 Real)
(assert (>= X_0 1.25))
(assert (<= X_0 1.75))
(assert (>= Y_0 1.9))
"""


def gemm_net(weights: list, biases: list, name: str) -> onnx.ModelProto:
    """Gemm layers (transB: weights are (out, in), as the checker folds them), Relu between them."""
    nodes, inits, prev = [], [], "input"
    for k, (w, b) in enumerate(zip(weights, biases), start=1):
        inits += [numpy_helper.from_array(np.asarray(w, np.float32), f"W{k}"),
                  numpy_helper.from_array(np.asarray(b, np.float32), f"B{k}")]
        out = "output" if k == len(weights) else f"z{k}"
        nodes.append(helper.make_node("Gemm", [prev, f"W{k}", f"B{k}"], [out], transB=1, name=f"gemm{k}"))
        if k < len(weights):
            nodes.append(helper.make_node("Relu", [out], [f"h{k}"], name=f"relu{k}"))
            prev = f"h{k}"
    n_in, n_out = np.shape(weights[0])[1], np.shape(weights[-1])[0]
    graph = helper.make_graph(nodes, name, [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, n_in])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, n_out])], inits)
    model = helper.make_model(graph, producer_name="apothem-examples", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def shift_net() -> onnx.ModelProto:
    return gemm_net([[[1.0]], [[1.0]]], [[2.0 ** 24], [-2.0 ** 24]], "shift")


def tiny_net(seed: int, sizes=(3, 3, 1)) -> onnx.ModelProto:
    """Random weights of mixed scale and one bias of 2^20 per layer: sums whose rounding matters."""
    rng = np.random.default_rng(seed)
    ws, bs = [], []
    for n_in, n_out in zip(sizes, sizes[1:]):
        ws.append(rng.standard_normal((n_out, n_in)) * 2.0 ** rng.integers(-2, 3, (n_out, n_in)))
        b = rng.standard_normal(n_out)
        b[0] = 2.0 ** 20
        bs.append(b)
    return gemm_net(ws, bs, f"tiny{seed}")


def write_shift(out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    onnx.save(shift_net(), out / "shift.onnx")
    (out / "shift.vnnlib").write_text(SHIFT_QUERY)
    return out / "shift.onnx", out / "shift.vnnlib"


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for p in write_shift(Path(sys.argv[1])):
        print(p)
