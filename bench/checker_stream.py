#!/usr/bin/env python3
"""Stream a large proof to disk and check it with `apothem-check check`: size, steps, wall time, peak RSS.

Not run in CI. The proof is a depth-first chain on the tiny `abs` network (checker/tests/golden/models):

    root; split N input 0 t_k A B; close A linear lambda 1; ... ; close last; unsat

so at most two nodes are ever open: the checker's memory must stay flat however long the file is.
`--pad-digits D` writes every threshold as an exact fraction p/q with about D digits each (the same
value), which makes each line ~2D bytes: that is how a multi-GB file is produced quickly.

    .venv/bin/python bench/checker_stream.py --splits 500000                 # 10^6 steps
    .venv/bin/python bench/checker_stream.py --splits 270000 --pad-digits 1900  # ~1 GB
"""
from __future__ import annotations

import argparse
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "checker" / "tests" / "golden" / "models"


def sha(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_chain(path: Path, model: Path, prop: Path, splits: int, pad_digits: int) -> int:
    pad = 10 ** pad_digits + 7 if pad_digits else 1  # p/q scaled by a common factor: same value, long text
    steps = 0
    with open(path, "w") as out:
        out.write(f"apothem-proof 1\nsemantics real\nnetwork sha256:{sha(model)}\nproperty sha256:{sha(prop)}\n")
        out.write("1 root 0\n")
        node, i = 1, 2
        for k in range(splits):
            t = Fraction(-1) + Fraction(2 * (k + 1), splits + 2)
            text = f"{t.numerator * pad}/{t.denominator * pad}" if pad_digits else f"{t.numerator}/{t.denominator}"
            out.write(f"{i} split {node} input 0 {text} {i + 1} {i + 2}\n")
            out.write(f"{i + 3} close {i + 1} linear lambda 1\n")
            node, i = i + 2, i + 4
        out.write(f"{i} close {node} linear lambda 1\n{i + 1} unsat\n")
        steps = 2 * splits + 3
    return steps


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--splits", type=int, default=500_000)
    ap.add_argument("--pad-digits", type=int, default=0)
    ap.add_argument("--dir", default=None, help="where to write the proof (default: a temp dir, removed after)")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args(argv)
    model, prop = MODELS / "abs.onnx", MODELS / "abs_neg.vnnlib"
    workdir = Path(args.dir or tempfile.mkdtemp(prefix="apothem-stream-"))
    proof = workdir / "chain.apf"
    t0 = time.perf_counter()
    steps = write_chain(proof, model, prop, args.splits, args.pad_digits)
    t_write = time.perf_counter() - t0
    size = proof.stat().st_size
    exe = Path(sys.executable).parent / "apothem-check"
    cmd = [str(exe), "check", "--query", str(prop), "--proof", str(proof), "--network", str(model)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"proof: {proof} ({size / 1e9:.3f} GB, {steps} steps, written in {t_write:.1f} s)")
    print(f"command: {' '.join(cmd)}")
    print(f"stdout: {done.stdout.strip()}  exit: {done.returncode}  stderr: {done.stderr.strip()[:200]}")
    print(f"check wall time: {wall:.1f} s ({wall / steps * 1e6:.0f} us/step, {size / wall / 1e6:.1f} MB/s)  "
          f"peak RSS: {peak_mib:.0f} MiB")
    if not args.keep:
        proof.unlink()
        if not args.dir:
            workdir.rmdir()
    return 0 if done.stdout.strip() == "valid" else 1


if __name__ == "__main__":
    sys.exit(main())
