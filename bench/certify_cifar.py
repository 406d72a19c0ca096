#!/usr/bin/env python3
"""Certify CIFAR-10 images on the oval21 networks, in pixel space, and check every bundle.

    .venv/bin/python bench/certify_cifar.py [--nets base wide deep] [--images 3] [--maximal] [--out DIR]

Why a pixel-space copy: oval21's networks take normalised inputs ((pixel - mean) / std per channel,
std 0.225), while a certification's grid is over one domain for every coordinate (`--domain`,
default [0, 1] with steps of 1/255). The copy prepends the normalisation as two ONNX nodes (Sub and
Div by per-channel constants), so that its input is the image itself; the bundle is bound to the
copy's hash. Images: the centres of the competition's own properties for the network (the
boxes are x +- eps around a test image), mapped back to pixels and rounded to the nearest 1/255;
a box cut by the pixel range [0, 1] is centred on its uncut side.

Prints one row per image: the class, the apothem (in steps of 1/255), whether it is shown optimal
(a counterexample one step further), oracle calls, seconds to
certify, the maximal box's volume when asked, and the checker's verdict with its time.
"""
from __future__ import annotations

import argparse
import csv
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from apothem_check.vnnlib import load_property

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(os.environ.get("APOTHEM_BENCHMARKS", ROOT.parent / "shared" / "benchmarks")) / "oval21"
MEAN, STD = (0.485, 0.456, 0.406), (0.225, 0.225, 0.225)  # oval21's normalisation (the boxes' widths show std)


def pixel_network(src: Path, dst: Path) -> None:
    """`src` with (pixels - MEAN) / STD prepended: its input is an image in [0, 1]."""
    model = onnx.load(str(src))
    g = model.graph
    inits = {t.name for t in g.initializer}
    [data] = [i for i in g.input if i.name not in inits]
    pixels = helper.make_tensor_value_info("pixels", data.type.tensor_type.elem_type,
                                           [d.dim_value for d in data.type.tensor_type.shape.dim])
    g.initializer.extend([numpy_helper.from_array(np.array(v, np.float32).reshape(1, 3, 1, 1), name)
                          for v, name in ((MEAN, "pixel_mean"), (STD, "pixel_std"))])
    for node in reversed([helper.make_node("Sub", ["pixels", "pixel_mean"], ["pixels_centred"]),
                          helper.make_node("Div", ["pixels_centred", "pixel_std"], [data.name])]):
        g.node.insert(0, node)
    g.input.remove(data)
    g.input.insert(0, pixels)
    onnx.checker.check_model(model)
    onnx.save(model, str(dst))


def image_of(vnnlib: Path, eps: float) -> np.ndarray:
    """The image a property's box is centred on, in pixels (k/255), channel-major as the network reads it."""
    box = load_property(vnnlib, 3 * 32 * 32, 10).disjuncts[0]  # every disjunct has the same box
    std, mean = np.repeat(STD, 32 * 32), np.repeat(MEAN, 32 * 32)
    l = np.array([float(v) for v in box.lower]) * std + mean
    h = np.array([float(v) for v in box.upper]) * std + mean
    x = np.where(l <= 1e-6, h - eps, np.where(h >= 1 - 1e-6, l + eps, (l + h) / 2))
    return np.clip(np.round(x * 255), 0, 255) / 255


def run(cmd: list) -> tuple[subprocess.CompletedProcess, float]:
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p, time.perf_counter() - t


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nets", nargs="+", default=["base", "wide", "deep"], choices=["base", "wide", "deep"])
    ap.add_argument("--images", type=int, default=3, help="images per network (its first properties)")
    ap.add_argument("--maximal", action="store_true", help="also the maximal box (apothem certify --maximal)")
    ap.add_argument("--maximal-budget", type=float, default=110)
    ap.add_argument("--timeout", type=float, default=60, help="seconds per verifier call")
    ap.add_argument("--out", type=Path, default=Path("certify-cifar"))
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    bin_ = Path(sys.executable).parent
    with open(BENCH / "instances.csv") as f:
        rows = [r for r in csv.reader(f)]
    print("| net | image | class | apothem (1/255) | optimal | calls | certify s | max box log-volume | check "
          "| check s |")
    print("|---" * 10 + "|")
    failures = 0
    for net in args.nets:
        model = args.out / f"cifar_{net}_kw_pixels.onnx"
        pixel_network(BENCH / f"onnx/cifar_{net}_kw.onnx", model)
        for onnx_name, vnn, _ in [r for r in rows if f"cifar_{net}_kw" in r[0]][: args.images]:
            img = re.search(r"img(\d+)", vnn).group(1)
            eps = float(re.search(r"eps([0-9.eE-]+)\.vnnlib", vnn).group(1))
            x = image_of(BENCH / vnn, eps)
            inp = args.out / f"{net}-img{img}.csv"
            inp.write_text(",".join(f"{v:.12f}" for v in x) + "\n")  # k/255, snapped to the grid by certify
            bundle = args.out / f"{net}-img{img}.bundle"
            cmd = [str(bin_ / "apothem"), "certify", "--network", str(model), "--input", str(inp), "--out", str(bundle),
                   "--timeout", str(args.timeout), "--no-check"]
            if args.maximal:
                cmd += ["--maximal", "--maximal-budget", str(args.maximal_budget)]
            p, secs = run(cmd)
            summary = " ".join(p.stdout.split())
            c, check_s = run([str(bin_ / "apothem-check"), "certification", str(bundle), "--network", str(model)])
            verdict = c.stdout.strip() or f"error {c.returncode}"
            failures += verdict != "valid"
            found = [(re.search(pattern, summary) or [None, "-"])[1] for pattern in
                     (r"class (\d+)", r"\((\d+) steps of", r"oracle calls (\d+)", r"log-volume ([-0-9.]+)")]
            cls, steps, calls, volume = found
            optimal = "no" if "not shown optimal" in summary else "shown"
            print(f"| {net} | {img} | {cls} | {steps} | {optimal} | {calls} | {secs:.1f} | {volume} | {verdict} "
                  f"| {check_s:.1f} |", flush=True)
            if p.returncode != 0 or verdict != "valid":
                print(f"  certify exit {p.returncode}: {p.stderr.strip()[-400:]}\n  {summary[-400:]}\n"
                      f"  check: {c.stderr.strip()[-400:]}", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
