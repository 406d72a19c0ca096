"""Which function a proof is about (spec 4.11), and the default of `verify`, `certify`, `audit`.

`real`: the real-valued function of the ONNX graph. `float32`: the network as it runs, every
input a binary32 value of the box and every admissible binary32 execution (any summation order,
with or without FMA) covered; a counterexample is a binary32 input unsafe under the reference
execution. A real proof does not carry over to the deployed artifact (issue 19: networks whose
real `unsat` has a float32 counterexample), and VNN-COMP scores counterexamples by onnxruntime
float32 execution.
"""
from __future__ import annotations

SEMANTICS = ("float32", "real")
DEFAULT_SEMANTICS = "real"
HELP = ("what the proof is about: 'float32', the network as deployed (binary32 inputs, every summation "
        "order, with or without FMA; counterexamples judged by binary32 execution), or 'real', the "
        f"real-valued function of the graph (default: {DEFAULT_SEMANTICS})")
