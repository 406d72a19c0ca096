"""A certification bundle written by hand, with every claim of spec/certification.md, for attacks.

The network is affine, so that each proof is one `close linear` per disjunct and every number
can be checked on paper (inputs in [0, 1]^2, grid 1/8, x* = (1/4, 1/2), class 0):

    y0 = 1,  y1 = 2 x0 - 1/8,  y2 = 2 x1 - 1/2,  y3 = -1

Class 0 holds exactly where x0 < 9/16 and x1 < 3/4 (weakly: <=); class 3 nowhere.
- apothem: ball(1) = [1/8, 3/8] x [3/8, 5/8] is robust; ball(2) holds the flip (1/4, 3/4) (y2 = y0).
- maximal box [0, 1/2] x [0, 5/8]: robust; upper x0 -> 5/8 flips at (5/8, 0), upper x1 -> 3/4 at (0, 3/4).
- dual box [0, 5/8] x [0, 7/8]: no weakly-0 point with x0 >= 5/8 or x1 >= 7/8; (1/2, 0) is class 0
  one step inside the first face (tight), the second face is not shown tight.
- dual ball of 4 steps = [0, 3/4] x [0, 1]: no weakly-0 point with x0 >= 3/4.
"""
from __future__ import annotations

import hashlib
from fractions import Fraction as F
from pathlib import Path

import msgpack
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from apothem_check.certification import query

W = [[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [0.0, 0.0]]
B = [1.0, -0.125, -0.5, -1.0]
X = (F(1, 4), F(1, 2))


def affine_model(path: Path, w=W, b=B) -> Path:
    """One Gemm: y = W x + b (float32 constants, exact)."""
    out = len(w)
    graph = helper.make_graph(
        [helper.make_node("Gemm", ["input", "W", "B"], ["output"], transB=1)], "cls",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 2])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, out])],
        [numpy_helper.from_array(np.array(w, dtype=np.float32), "W"),
         numpy_helper.from_array(np.array(b, dtype=np.float32), "B")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    path.write_bytes(model.SerializeToString(deterministic=True))
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def text(q) -> str:
    q = F(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def proof(model: Path, kind: str, lower, upper, label: int, n_out: int, lambdas=None) -> bytes:
    """A proof that query (kind, box, label) is unsat: one `close linear` per disjunct.

    flip: one disjunct per other class, multiplier 1; reach: one disjunct, `lambdas` given."""
    digest = hashlib.sha256(query(kind, lower, upper, label, n_out)[0].encode()).hexdigest()
    lines = ["apothem-proof 1", "semantics real", f"network sha256:{sha(model)}", f"property sha256:{digest}"]
    if kind == "flip":
        for d in range(n_out - 1):
            lines += [f"{2 * d + 1} root {d}", f"{2 * d + 2} close {2 * d + 1} linear lambda 1"]
        lines.append(f"{2 * n_out - 1} unsat")
    else:
        lines += ["1 root 0", "2 close 1 linear lambda " + " ".join(map(str, lambdas)), "3 unsat"]
    return ("\n".join(lines) + "\n").encode()


def box_call(model, kind, lower, upper, label=0, n_out=4, lambdas=None, point=None) -> dict:
    call = {"kind": kind, "lower": [text(v) for v in lower], "upper": [text(v) for v in upper],
            "verdict": "sat" if point else "unsat"}
    if point:
        call["point"] = [text(v) for v in point]
    else:
        call["proof"] = proof(model, kind, lower, upper, label, n_out, lambdas)
    return call


def ball(k, x=X, delta=F(1, 8), lo=F(0), hi=F(1)):
    return [max(lo, v - k * delta) for v in x], [min(hi, v + k * delta) for v in x]


def valid_bundle(model: Path) -> dict:
    """Every claim kind, each shown (the maximal box maximal, the apothem optimal)."""
    half, five8 = F(1, 2), F(5, 8)
    calls = [
        box_call(model, "flip", *ball(1)),                                         # 0: apothem proof
        box_call(model, "flip", *ball(2), point=(F(1, 4), F(3, 4))),               # 1: flip within 2 steps
        box_call(model, "flip", (0, 0), (half, five8)),                            # 2: maximal box proof
        {"kind": "flip", "like": 2, "move": [[0, "upper", 1]], "verdict": "sat", "point": ["5/8", "0"]},  # 3
        {"kind": "flip", "like": 2, "move": [[1, "upper", 1]], "verdict": "sat", "point": ["0", "3/4"]},  # 4
        box_call(model, "reach", (five8, 0), (1, 1), lambdas=(1, 0, 0)),           # 5: dual face x0 >= 5/8
        box_call(model, "reach", (half, 0), (1, 1), point=(half, 0)),              # 6: its tightness witness
        box_call(model, "reach", (0, F(7, 8)), (1, 1), lambdas=(0, 1, 0)),         # 7: dual face x1 >= 7/8
        box_call(model, "reach", (F(3, 4), 0), (1, 1), lambdas=(1, 0, 0)),         # 8: dual ball face x0 >= 3/4
    ]
    claims = {"apothem": {"k": 1, "proof": 0, "refuted_by": 1, "bracket": [1, 2]},
              "maximal": {"lower": ["0", "0"], "upper": ["1/2", "5/8"], "proof": 2,
                          "faces": [[0, "upper", 3], [1, "upper", 4]], "maximal_shown": True},
              "dual_box": {"lower": ["0", "0"], "upper": ["5/8", "7/8"],
                           "faces": [[0, "upper", 5, 6], [1, "upper", 7, None]]},
              "dual_ball": {"r_steps": 4, "faces": [[0, "upper", 8, None]]}}
    return {"format": "apothem-certification", "version": 1, "model_sha256": sha(model),
            "input": [text(v) for v in X], "input_sha256": "0" * 64, "domain": ["0", "1"], "grid": 8, "label": 0,
            "calls": calls, "claims": claims, "tool": {"name": "hand-written"}, "timings": {}}


def float32(bundle: dict, keep_real: tuple = ()) -> dict:
    """The bundle under semantics float32: its proofs say so too (but those of the calls in
    `keep_real`). The affine network's margins dwarf binary32 rounding, and every point is binary32."""
    bundle["semantics"] = "float32"
    for i, c in enumerate(bundle["calls"]):
        if "proof" in c and i not in keep_real:
            c["proof"] = c["proof"].replace(b"semantics real", b"semantics float32")
    return bundle


def pack(bundle) -> bytes:
    return msgpack.packb(bundle, use_bin_type=True)
