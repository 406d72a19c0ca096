"""Build the bundled example: a small ReLU classifier and two robustness queries around one input.

The project ships what this script writes (examples/tiny/), so the quick start needs no
third-party data. Deterministic: fixed seed, float32 weights, byte-identical output on rerun.
Run: python examples/build_examples.py
"""
from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = Path(__file__).resolve().parent / "tiny"
SIZES = (4, 16, 16, 3)  # inputs, two hidden layers, classes
CENTRE = (0.25, 0.5, 0.75, 0.5)


def build_model() -> onnx.ModelProto:
    rng = np.random.default_rng(2026)
    nodes, inits, prev = [], [], "input"
    for k, (n_in, n_out) in enumerate(zip(SIZES, SIZES[1:]), start=1):
        w = (rng.standard_normal((n_out, n_in)) / np.sqrt(n_in)).astype(np.float32)
        b = (0.1 * rng.standard_normal(n_out)).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"W{k}"), numpy_helper.from_array(b, f"B{k}")]
        out = "output" if k == len(SIZES) - 1 else f"z{k}"
        nodes.append(helper.make_node("Gemm", [prev, f"W{k}", f"B{k}"], [out], transB=1, name=f"gemm{k}"))
        if out != "output":
            nodes.append(helper.make_node("Relu", [out], [f"h{k}"], name=f"relu{k}"))
            prev = f"h{k}"
    graph = helper.make_graph(nodes, "apothem_tiny",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, SIZES[0]])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, SIZES[-1]])], inits)
    model = helper.make_model(graph, producer_name="apothem-examples", opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def forward(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    h = x
    for k in range(1, len(SIZES)):
        h = w[f"W{k}"] @ h + w[f"B{k}"]
        if k < len(SIZES) - 1:
            h = np.maximum(h, 0)
    return h


def robustness_query(label: int, eps: str, n_out: int) -> str:
    """VNN-LIB 1: the box of radius eps around CENTRE, unsafe if another class scores >= label's."""
    lines = [f"; robustness of the bundled tiny network at {CENTRE}, radius {eps}, class {label}"]
    lines += [f"(declare-const X_{i} Real)" for i in range(len(CENTRE))]
    lines += [f"(declare-const Y_{j} Real)" for j in range(n_out)]
    for i, c in enumerate(CENTRE):
        lo, hi = Decimal(str(c)) - Decimal(eps), Decimal(str(c)) + Decimal(eps)
        lines += [f"(assert (>= X_{i} {lo}))", f"(assert (<= X_{i} {hi}))"]
    others = " ".join(f"(and (>= Y_{j} Y_{label}))" for j in range(n_out) if j != label)
    lines.append(f"(assert (or {others}))")
    return "\n".join(lines) + "\n"


def main() -> None:
    HERE.mkdir(exist_ok=True)
    model = build_model()
    onnx.save(model, HERE / "model.onnx")
    label = int(np.argmax(forward(model, np.array(CENTRE))))
    (HERE / "robust.vnnlib").write_text(robustness_query(label, "0.05", SIZES[-1]))
    (HERE / "not_robust.vnnlib").write_text(robustness_query(label, "0.5", SIZES[-1]))
    print(f"wrote {HERE}: class {label} at {CENTRE}")


if __name__ == "__main__":
    main()
