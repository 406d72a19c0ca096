"""Counterexample checking (spec 4.8, 4.11): exact, zero tolerance; numpy float32 agreement only reported."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .errors import InputError
from .network import f32


def _binary32(v: Fraction) -> bool:
    try:
        return f32(v) == v
    except OverflowError:
        return False


def check_witness(network, disjunct, x: tuple[Fraction, ...], float32: bool = False):
    """Return ((code, reason) or None, float32 note). The exact check alone decides: of the real
    network, or under float32 of the bit-exact reference execution (spec 4.11)."""
    for i, (v, lo, hi) in enumerate(zip(x, disjunct.lower, disjunct.upper)):
        if v < lo or (v == lo and disjunct.lower_strict[i]) or v > hi or (v == hi and disjunct.upper_strict[i]):
            return ("WITNESS_OUTSIDE", f"X_{i} = {v} is outside [{lo}, {hi}]"), ""
        if float32 and not _binary32(v):
            return ("WITNESS_NOT_FLOAT32", f"X_{i} = {v} is not a binary32 value"), ""
    try:
        y = network.reference(list(x)) if float32 else network.evaluate(list(x))
    except InputError as err:  # FLOAT32_OVERFLOW: the reference execution reaches infinity
        return (err.code, err.message), ""
    for i, c in enumerate(disjunct.constraints):
        value = sum((a * yj for a, yj in zip(c.coeffs, y)), c.const)
        if value > 0 or (value == 0 and c.strict):
            return ("WITNESS_SAFE", f"output constraint {i} fails: its left side is {value}"), ""
    return None, _float32_note(network, disjunct, x)


def _float32_note(network, disjunct, x) -> str:
    """Informational, not part of the verdict: does IEEE float32 execution (numpy, one summation order) agree?"""
    try:
        with np.errstate(all="ignore"):
            h = np.array([float(v) for v in x], dtype=np.float32)
            for layer in network.layers:
                w = (np.array(layer.weight, dtype=np.float64) / layer.denominator).astype(np.float32)
                b = (np.array(layer.bias, dtype=np.float64) / layer.denominator).astype(np.float32)
                h = w @ h + b
                if layer.relu:
                    h = np.maximum(h, np.float32(0))
            ok = all(float(np.float32(sum(float(a) * float(v) for a, v in zip(c.coeffs, h)) + float(c.const)))
                     <= 0 for c in disjunct.constraints)
    except OverflowError:  # a witness beyond the float range: float32 execution is not evaluated
        return "float32 execution not evaluated: a value lies beyond the floating-point range"
    return "float32 execution agrees" if ok else "float32 execution does NOT reach the unsafe region"
