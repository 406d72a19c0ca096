"""Whether a floating-point runtime agrees with a counterexample: information, never an answer.

Why: the checker decides a `sat` answer exactly (the real network, or under float32 the bit-exact
reference execution), and evaluates nothing in floating point. But VNN-COMP judges counterexamples
by running the network in onnxruntime, whose summation order and fused operations differ: a witness
whose margin is tiny can be unsafe exactly and safe there. So `apothem verify` says, on stderr,
what onnxruntime (when installed) computes at the counterexample.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

# What onnxruntime needs of a Network (prover/watchdog.py sends it back from the worker: the exact
# layers would be large to pickle)
RuntimeView = namedtuple("RuntimeView", "source input_shape")


def runtime_note(network, prop, xs) -> str:
    """One line: does onnxruntime's float32 execution at xs (rounded to float32) reach the unsafe region?"""
    try:
        import onnxruntime
    except ImportError:
        return "onnxruntime is not installed: float32 execution at the counterexample not compared"
    x = np.array([float(v) for v in xs], dtype=np.float32)
    try:
        runtime = onnxruntime.InferenceSession(network.source, providers=["CPUExecutionProvider"])
        feed = {runtime.get_inputs()[0].name: x.reshape(network.input_shape)}
        y = runtime.run(None, feed)[0].astype(np.float64).ravel()
    except Exception as err:  # a graph onnxruntime refuses: information only
        return f"onnxruntime could not run the network ({type(err).__name__}): float32 execution not compared"
    unsafe = any(np.all((np.array([float(v) for v in d.lower]) <= x) & (x <= np.array([float(v) for v in d.upper])))
                 and all(_holds(c, y) for c in d.constraints) for d in prop.disjuncts)
    verb = "reaches" if unsafe else "does NOT reach"
    return f"onnxruntime's float32 execution at the counterexample (rounded to float32) {verb} the unsafe region"


def _holds(constraint, y: np.ndarray) -> bool:
    value = float(np.dot([float(a) for a in constraint.coeffs], y)) + float(constraint.const)
    return value < 0 if constraint.strict else value <= 0
