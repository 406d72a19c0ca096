"""BatchNormalization (an enclosed irrational constant under semantics real) and SAME padding end to end (issue 20): `apothem verify` answers `unsat` with a proof the checker calls valid and
`sat` with a witness it accepts, on small Conv networks built here."""
from __future__ import annotations

import subprocess
import sys
from fractions import Fraction
from itertools import product

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.api import verify_query
from prover.semantics import outputs


def _net(path, activation: str, seed: int) -> None:
    """x (1, 1, 4, 4) -> Conv (2 channels, 3x3, SAME_UPPER) -> [BatchNormalization ->] activation -> Gemm (2)."""
    rng = np.random.default_rng(seed)
    f = lambda *s: rng.uniform(-1, 1, s).astype(np.float32)
    inits = {"w": f(2, 1, 3, 3), "cb": f(2), "s": f(2) + 1.5, "b": f(2), "m": f(2), "v": np.abs(f(2)) + 0.5,
             "g": f(2, 32), "gb": f(2), "shape": np.array([1, 32], dtype=np.int64)}
    nodes = [helper.make_node("Conv", ["input", "w", "cb"], ["c"], auto_pad="SAME_UPPER", kernel_shape=[3, 3])]
    if activation == "bn":
        nodes += [helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"], epsilon=1e-3),
                  helper.make_node("Relu", ["n"], ["a"])]
    else:
        nodes.append(helper.make_node("Relu", ["c"], ["a"]))
    nodes += [helper.make_node("Reshape", ["a", "shape"], ["r"]),
              helper.make_node("Gemm", ["r", "g", "gb"], ["output"], transB=1)]
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1, 4, 4])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 2])],
                              [numpy_helper.from_array(v, k) for k, v in inits.items()])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)], ir_version=8), path)


def _query(path, centre: np.ndarray, eps: float, unsafe: str) -> None:
    lines = [f"(declare-const X_{i} Real)" for i in range(16)] + [f"(declare-const Y_{j} Real)" for j in range(2)]
    for i, v in enumerate(centre):
        lines += [f"(assert (>= X_{i} {v - eps:.6f}))", f"(assert (<= X_{i} {v + eps:.6f}))"]
    path.write_text("\n".join(lines + [f"(assert {unsafe})", ""]))


@pytest.mark.parametrize("activation", ["bn", "relu"])
def test_verify_unsat_and_sat_end_to_end(tmp_path, activation):
    """unsat: Y_0 cannot move by 1 on a box of radius 0.01 (the Lipschitz constant is small); sat: Y_0 can
    reach its value at the centre plus a little. Both proofs are checked by the checker, under semantics real
    and (without BatchNormalization) float32."""
    model = tmp_path / "net.onnx"
    _net(model, activation, seed=3)
    net = load_network(model)
    assert (net.layers[0].err_weight is not None) == (activation == "bn") and net.semantics == "real"
    centre = np.round(np.random.default_rng(0).uniform(-1, 1, 16), 3)
    y0 = float(outputs(net, [Fraction(float(v)) for v in centre])[0])
    cases = [(f"(<= Y_0 {y0 - 1:.6f})", "unsat"), (f"(<= Y_0 {y0 + 0.01:.6f})", "sat")]
    for (unsafe, verdict), semantics in product(cases, ["real"] if activation == "bn" else ["real", "float32"]):
        query, proof = tmp_path / f"{verdict}.vnnlib", tmp_path / f"{verdict}.apf"
        _query(query, centre, 0.01, unsafe)
        result = verify_query(query, model, proof=proof, semantics=semantics, timeout=120)
        assert result.verdict == verdict and proof.read_text().splitlines()[1] == f"semantics {semantics}"
        checked = check_proof(proof, net, load_property(query, net.input_shape, net.output_shape))
        assert (checked.verdict, checked.conclusion) == ("valid", verdict)


def test_batch_normalization_near_the_boundary(tmp_path):
    """On a box of radius 0.1 the least Y_0 lies between y0 - 0.86 and y0 - 0.83: the unsat side needs a
    ReLU split (backward bounds with the enclosure's error terms, on a split node), the sat side a witness
    judged by enclosure; both proofs valid."""
    model = tmp_path / "net.onnx"
    _net(model, "bn", seed=3)
    net = load_network(model)
    centre = np.round(np.random.default_rng(0).uniform(-1, 1, 16), 3)
    y0 = float(outputs(net, [Fraction(float(v)) for v in centre])[0])
    for margin, verdict in ((0.86, "unsat"), (0.83, "sat")):
        query, proof = tmp_path / f"{verdict}.vnnlib", tmp_path / f"{verdict}.apf"
        _query(query, centre, 0.1, f"(<= Y_0 {y0 - margin:.6f})")
        assert verify_query(query, model, proof=proof, semantics="real", timeout=120).verdict == verdict
        checked = check_proof(proof, net, load_property(query, net.input_shape, net.output_shape))
        assert (checked.verdict, checked.conclusion) == ("valid", verdict)
        assert verdict == "sat" or " split " in proof.read_text()


def test_batch_normalization_refused_under_float32(tmp_path):
    model, query = tmp_path / "net.onnx", tmp_path / "q.vnnlib"
    _net(model, "bn", seed=3)
    _query(query, np.zeros(16), 0.01, "(<= Y_0 -100)")
    with pytest.raises(Exception) as e:
        verify_query(query, model, proof=tmp_path / "p.apf", semantics="float32", timeout=60)
    assert getattr(e.value, "code", "") == "ONNX_FLOAT32"


def test_batch_normalization_certify_names_the_real_semantics(tmp_path):
    """`certify --semantics float32` refuses BatchNormalization: the error says what to ask for instead."""
    model, x = tmp_path / "net.onnx", tmp_path / "x.csv"
    _net(model, "bn", seed=3)
    x.write_text(" ".join(["0.5"] * 16) + "\n")
    r = subprocess.run([sys.executable, "-m", "prover", "certify", "--network", str(model), "--input", str(x),
                        "--out", str(tmp_path / "x.bundle"), "--semantics", "float32"], capture_output=True, text=True)
    assert r.returncode != 0 and not (tmp_path / "x.bundle").exists()
    assert "ONNX_FLOAT32" in r.stderr and "--semantics real" in r.stderr and "Traceback" not in r.stderr, r.stderr
