#!/usr/bin/env python3
"""Check a hand-generated deep ReLU split tree on mnist_fc 784-256-256-10 and print the figures.

Not run in CI. For every disjunct of an unsat mnist_fc property the proof opens a root, tightens
it once with CROWN bounds (`bounds N layer 1` .. `layer L`), splits the first DEPTH unstable neurons
of hidden layer 1 into a complete binary tree (2^DEPTH leaves), and closes every leaf with `close linear` (default slopes,
no multipliers; a leaf where that fails first gets its own CROWN bounds; without multipliers a
split can also loosen a bound, so deep trees on other properties may stop with NOT_POSITIVE). Every step is replayed
while writing, so the file is known valid; it is then checked by `apothem-check` in a fresh
process, and the script prints proof size, steps, wall time and peak RSS.

    .venv/bin/python bench/checker_deep_tree.py --depth 8
    .venv/bin/python bench/checker_deep_tree.py --depth 6 --prop mnist_fc/vnnlib/prop_3_0.03.vnnlib
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from apothem_check import steps as S
from apothem_check.kernel import CheckError, Session
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from proof_format.writer import ProofWriter

BENCH = Path(os.environ.get("APOTHEM_BENCHMARKS", Path(__file__).resolve().parents[2] / "shared" / "benchmarks"))


def write_tree(out, net, prop, depth: int) -> int:
    """Write the proof; the root's replay (one Session) picks the unstable neurons to split."""
    writer, session, ids = ProofWriter(out, net.sha256, prop.sha256), Session(net, prop), iter(range(1, 1 << 40))
    steps = 0

    def emit(step):
        nonlocal steps
        writer.write(step)
        steps += 1

    for d in range(len(prop.disjuncts)):
        root = next(ids)
        for step in (S.Root(root, (d,)), *(S.BoundsLayer(next(ids), root, k) for k in range(1, len(net.layers)))):
            session.apply(step)
            emit(step)
        node = session.open[root]
        unstable = [(1, j) for j, (l, u) in enumerate(zip(node.lower[0], node.upper[0])) if l < 0 < u][:depth]
        if len(unstable) < depth:
            sys.exit(f"disjunct {d}: only {len(unstable)} unstable neurons (depth {depth} asked)")
        frontier = [root]
        for k, j in unstable:
            nxt = []
            for n in frontier:
                sid, a, b = next(ids), next(ids), next(ids)
                session.apply(S.SplitRelu(sid, n, k, j, a, b))
                emit(S.SplitRelu(sid, n, k, j, a, b))
                nxt += [a, b]
            frontier = nxt
        for n in frontier:  # replayed first: a leaf that needs it gets its own CROWN bounds
            close = S.CloseLinear(next(ids), n, (1,) * len(prop.disjuncts[d].constraints))
            try:
                session.apply(close)
            except CheckError:
                tighten = [S.BoundsLayer(close.id if k == 1 else next(ids), n, k) for k in range(1, len(net.layers))]
                close = S.CloseLinear(next(ids), n, close.lambdas)
                for step in (*tighten, close):
                    session.apply(step)
                    emit(step)
                continue
            emit(close)
    emit(S.Unsat(next(ids)))
    return steps


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--depth", type=int, default=8)
    ap.add_argument("--network", default="mnist_fc/onnx/mnist-net_256x2.onnx")
    ap.add_argument("--prop", default="mnist_fc/vnnlib/prop_0_0.03.vnnlib")
    args = ap.parse_args()
    net_path, prop_path = BENCH / args.network, BENCH / args.prop
    net = load_network(net_path)
    prop = load_property(prop_path, net.n_inputs, net.n_outputs)
    with tempfile.TemporaryDirectory() as tmp:
        proof = Path(tmp) / "deep.apf"
        with open(proof, "w") as out:
            steps = write_tree(out, net, prop, args.depth)
        cmd = [str(Path(sys.executable).parent / "apothem-check"), "check", "--query", str(prop_path),
               "--proof", str(proof), "--network", str(net_path)]
        start = time.monotonic()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], capture_output=True, text=True)
        wall = time.monotonic() - start
        rss_kb = int(done.stderr.strip().splitlines()[-1])
        print(f"network {args.network}, property {args.prop}, depth {args.depth}: "
              f"{steps} steps, {proof.stat().st_size} bytes")
        print(f"apothem-check: {done.stdout.strip()} in {wall:.1f} s wall, peak RSS {rss_kb / 1024:.0f} MB")
        print("command:", " ".join(cmd))
        if done.stdout.strip() != "valid":
            print(done.stderr.strip().splitlines()[0])
        return 0 if done.stdout.strip() == "valid" else 1


if __name__ == "__main__":
    sys.exit(main())
