#!/usr/bin/env python3
"""Fold benchmark networks with the checker and print, per network, the wall time and peak RSS of the
fold (each in a fresh process), the folded layer shapes, and the agreement of the exact evaluation with
onnxruntime at one random image.

Not run in CI. Why a fresh process per network: peak RSS (ru_maxrss) is per process, and a conv net's
fold allocates its dense layers once; the figure is what `apothem-check` pays before its first step.

    .venv/bin/python bench/checker_load.py                      # the convolutional benchmarks
    .venv/bin/python bench/checker_load.py ../shared/benchmarks/oval21/onnx/cifar_deep_kw.onnx
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks"
DEFAULT = ["oval21/onnx/cifar_base_kw.onnx", "oval21/onnx/cifar_wide_kw.onnx", "oval21/onnx/cifar_deep_kw.onnx",
           "verivital/onnx/Convnet_avgpool.onnx", "verivital/onnx/Convnet_maxpool.onnx",
           "sri_resnet_a/onnx/resnet_3b2_bn_mixup_adv_4.0_bs128_lr-1.onnx"]


def child(path: str) -> None:
    """In the fresh process: fold, time it, compare one evaluation with onnxruntime; print one JSON line."""
    import numpy as np
    import onnxruntime as ort

    from apothem_check.network import load_network
    from apothem_check.witness import enclose
    start = time.monotonic()
    net = load_network(path)
    fold = time.monotonic() - start
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    x = np.random.default_rng(0).random(net.input_shape, dtype=np.float32)
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    want = sess.run(None, {sess.get_inputs()[0].name: x})[0].ravel()
    got = [float(v) for v in enclose(net, [Fraction(float(v)) for v in x.ravel()])[0]]
    print(json.dumps({"fold_s": round(fold, 1), "fold_rss_mb": round(rss), "layers": [list(a.weight.shape) for a in net.layers],
                      "max_abs_diff_vs_onnxruntime": float(np.abs(np.array(got) - want).max())}))


def main() -> None:
    if sys.argv[1:2] == ["--child"]:
        return child(sys.argv[2])
    for name in sys.argv[1:] or DEFAULT:
        path = Path(name) if Path(name).exists() else BENCH / name
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True)
        print(path.name, out.stdout.strip() or out.stderr.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
