"""Counterexample checking (spec 4.8, 4.11): exact, zero tolerance, no floating point."""
from __future__ import annotations

from fractions import Fraction

from .errors import InputError
from .network import f32


def binary32(v: Fraction) -> bool:
    """A finite binary32 value (a coordinate beyond the range is not one: no OverflowError)."""
    try:
        return f32(v) == v
    except OverflowError:
        return False


def check_witness(network, disjunct, x: tuple[Fraction, ...], float32: bool = False):
    """(code, reason) of the first defect, or None: the witness is unsafe for the real network, or under
    float32 for the bit-exact reference execution (spec 4.11)."""
    for i, (v, lo, hi) in enumerate(zip(x, disjunct.lower, disjunct.upper)):
        if v < lo or (v == lo and disjunct.lower_strict[i]) or v > hi or (v == hi and disjunct.upper_strict[i]):
            return ("WITNESS_OUTSIDE", f"X_{i} = {v} is outside [{lo}, {hi}]")
        if float32 and not binary32(v):
            return ("WITNESS_NOT_FLOAT32", f"X_{i} = {v} is not a binary32 value")
    try:
        y = network.reference(list(x)) if float32 else network.evaluate(list(x))
    except InputError as err:  # FLOAT32_OVERFLOW: the reference execution reaches infinity
        return (err.code, err.message)
    for i, c in enumerate(disjunct.constraints):
        value = sum((a * yj for a, yj in zip(c.coeffs, y)), c.const)
        if value > 0 or (value == 0 and c.strict):
            return ("WITNESS_SAFE", f"output constraint {i} fails: its left side is {value}")
    return None
