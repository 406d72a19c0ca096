"""Which function a proof is about (spec 4.11), and the default of `verify`, `certify`, `audit`.

`real`: the real-valued function of the ONNX graph. `float32`: the network as it runs, every
input a binary32 value of the box and every admissible binary32 execution (any summation order,
with or without FMA) covered; a counterexample is a binary32 input unsafe under the reference
execution. A real proof does not carry over to the deployed artifact (issue 19: networks whose
real `unsat` has a float32 counterexample), and VNN-COMP scores counterexamples by onnxruntime
float32 execution. The default stays `real` (README, "Semantics"): real proofs are the field's
convention (VNN-COMP's ground truth, the published boxes `audit` re-examines), BatchNormalization
graphs have only those, and float32 costs more than the 20 % a default may on mnist_fc (median
prove time 1.39x on 60 instances, 1.60x on the 37 quickest: a fixed 0.6-1.1 s per instance, almost
all of it the checker's float32 folding; ACAS Xu 1.10x; certification on ppnn 1.24-1.30x), and `certify --maximal` under float32 shows no
face at its limit on ppnn (README). A certificate for a deployed artifact should ask for `float32`.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
from apothem_check.network import f32

SEMANTICS = ("float32", "real")
DEFAULT_SEMANTICS = "real"
HELP = ("what the proof is about: 'float32', the network as deployed (binary32 inputs, every summation "
        "order, with or without FMA; counterexamples judged by binary32 execution), or 'real', the "
        f"real-valued function of the graph (default: {DEFAULT_SEMANTICS}: float32 costs 1.1-1.6x; a "
        "certificate for a deployed network should ask for float32)")


def semantics_of(network) -> str:
    """A network folded with its binary32 rounding bounds (`Network.float32()`) is the float32 one:
    the only network a float32 Session checks against, so the semantics travels with it (error terms
    alone do not tell: a BatchNormalization's enclosure puts them on real networks too)."""
    return network.semantics


def fold(network, semantics: str):
    """The network for `semantics`; a real network is folded for float32 (spec 4.11; InputError
    ONNX_FLOAT32 for a graph that folding refuses), and a float32 one's reference execution remembered."""
    if semantics_of(network) != semantics:
        if semantics != "float32":
            raise ValueError("a float32-folded network has no real counterpart here: load the file again")
        network = network.float32()
    return RememberedReference(network) if semantics == "float32" and not isinstance(network, RememberedReference) \
        else network


class RememberedReference:
    """A float32 network whose reference execution is remembered per point. The checker's re-reads
    the ONNX file and takes seconds per point on 784 inputs (mnist_fc 256x2: 18 s on a loaded
    machine), and a witness is executed twice: when the attack confirms it and when the proof's
    Session replays its `witness` step; with this, once. Everything else is the network's own."""

    def __init__(self, network):
        self._network, self._seen = network, {}

    def __getattr__(self, name):
        if name.startswith("_"):  # (copy and pickle probe for these before __init__ has run)
            raise AttributeError(name)
        return getattr(self._network, name)

    def reference(self, x) -> list[Fraction]:
        key = tuple(Fraction(v) for v in x)
        if key not in self._seen:
            self._seen[key] = self._network.reference(list(key))
        return list(self._seen[key])


def outputs(network, x) -> list[Fraction]:
    """N(x) as the semantics has it: the folded layers' exact map (the checker judges a real point by its
    grid enclosure, spec 4.8, so a point this close to a boundary may not convince it), or under float32 the
    reference execution (spec 4.11) at x rounded to binary32 (the value the deployed network receives).
    OverflowError if it overflows."""
    if semantics_of(network) == "float32":
        return network.reference([f32(v) for v in x])
    h = np.array([Fraction(v) for v in x], dtype=object)
    for layer in network.layers:
        h = (layer.weight @ h + layer.bias) * Fraction(1, layer.denominator)
        h = np.maximum(h, Fraction(0)) if layer.relu else h
    return list(h)


def binary32_in_box(lower, upper, x) -> list[Fraction] | None:
    """A binary32 point of [lower, upper] near the float point x (a float32 witness must be one),
    None when some coordinate's interval holds no binary32 value."""
    out = []
    for v, lo, hi in zip(x, lower, upper):
        q = np.float32(min(max(Fraction(float(v)), lo), hi))  # nearest binary32 of a value inside
        q = np.nextafter(q, np.float32(np.inf)) if Fraction(float(q)) < lo else q
        q = np.nextafter(q, np.float32(-np.inf)) if Fraction(float(q)) > hi else q
        if not lo <= Fraction(float(q)) <= hi:
            return None
        out.append(Fraction(float(q)))
    return out
