"""Certification on a CIFAR-10 convolutional network (issue 20): oval21's base network in pixel
space (bench/certify_cifar.py builds the copy: its normalisation prepended as Sub and Div nodes)
around a test image of the competition's properties, on the 1/255 grid."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import msgpack
import numpy as np
import onnxruntime as ort

from apothem_check.certification import classified
from apothem_check.network import load_network
from prover.certify.certify import Options, certify_one

ROOT = Path(__file__).resolve().parents[2]
PROPERTY = "oval21/vnnlib/cifar_base_kw-img8194-eps0.018300653594771243.vnnlib"


def _script():
    spec = importlib.util.spec_from_file_location("certify_cifar", ROOT / "bench" / "certify_cifar.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(path: Path, x: np.ndarray) -> np.ndarray:
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x.astype(np.float32).reshape(1, 3, 32, 32)})[0].ravel()


def test_the_pixel_space_copy_is_the_network_on_normalised_pixels(benchmarks, tmp_path):
    cc, model = _script(), tmp_path / "base.onnx"
    cc.pixel_network(benchmarks / "oval21/onnx/cifar_base_kw.onnx", model)
    x = np.random.default_rng(0).integers(0, 256, 3 * 32 * 32) / 255
    normalised = (x.reshape(3, -1) - np.array(cc.MEAN)[:, None]) / np.array(cc.STD)[:, None]
    assert np.allclose(_run(model, x), _run(benchmarks / "oval21/onnx/cifar_base_kw.onnx", normalised), atol=1e-4)


def test_a_cifar_image_is_certified_apothem_optimal_and_the_checker_alone_accepts_it(benchmarks, tmp_path):
    cc, model = _script(), tmp_path / "base.onnx"
    cc.pixel_network(benchmarks / "oval21/onnx/cifar_base_kw.onnx", model)
    eps = float(re.search(r"eps([0-9.]+)\.vnnlib", PROPERTY).group(1))
    x = cc.image_of(benchmarks / PROPERTY, eps)
    assert np.allclose(x * 255, np.round(x * 255)) and 0 <= x.min() and x.max() <= 1
    inp = tmp_path / "img8194.csv"
    inp.write_text(",".join(f"{v:.12f}" for v in x) + "\n")
    net, bundle = load_network(model), tmp_path / "img8194.bundle"
    r = certify_one(net, model, inp, bundle, Options(timeout=20))
    assert r.verdict == "valid", r.check_lines
    b = msgpack.unpackb(bundle.read_bytes(), raw=False)
    claim = b["claims"]["apothem"]
    # the property's eps (4.67 steps) is unsat: the apothem is at least 4 steps, proven; a flip found
    # by the attack bounds it from above (one step further would show it optimal: at 5 steps the
    # verifier needs more than this test's 20 s)
    assert claim["k"] == r.row["apothem_k"] >= 4 and claim["bracket"][0] == claim["k"] < claim["bracket"][1]
    flip = [Fraction(v) for v in b["calls"][claim["refuted_by"]]["point"]]
    centre = [Fraction(v) for v in b["input"]]
    assert max(abs(p - c) for p, c in zip(flip, centre)) <= Fraction(claim["bracket"][1], 255)
    assert not classified(net, flip, r.label)
    p = subprocess.run([sys.executable, "-m", "apothem_check.cli", "certification", str(bundle),
                        "--network", str(model)], capture_output=True, text=True)
    assert p.stdout.strip() == "valid", p.stderr
