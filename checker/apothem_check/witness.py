"""Counterexample checking (spec 4.8, 4.11): exact, zero tolerance, no floating point."""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from .errors import InputError
from .exact import ONE, grid_down, grid_up, interval_layer, ints
from .network import f32


def binary32(v: Fraction) -> bool:
    """A finite binary32 value (a coordinate beyond the range is not one: no OverflowError)."""
    try:
        return f32(v) == v
    except OverflowError:
        return False


def check_witness(network, disjunct, x: tuple[Fraction, ...], float32: bool = False):
    """(code, reason) of the first defect, or None: the witness is unsafe for the real network (for every value
    its error terms allow, if any: spec 4.8), or under float32 for the bit-exact reference execution (4.11)."""
    for i, (v, lo, hi) in enumerate(zip(x, disjunct.lower, disjunct.upper)):
        if v < lo or (v == lo and disjunct.lower_strict[i]) or v > hi or (v == hi and disjunct.upper_strict[i]):
            return ("WITNESS_OUTSIDE", f"X_{i} = {v} is outside [{lo}, {hi}]")
        if float32 and not binary32(v):
            return ("WITNESS_NOT_FLOAT32", f"X_{i} = {v} is not a binary32 value")
    try:
        if float32 or not network.enclosed:
            lo = hi = network.reference(list(x)) if float32 else network.evaluate(list(x))
        else:  # error terms under real: every value the enclosure allows must be unsafe
            lo, hi = _enclose(network, x)
    except InputError as err:  # FLOAT32_OVERFLOW: the reference execution reaches infinity
        return (err.code, err.message)
    for i, c in enumerate(disjunct.constraints):
        value = sum((a * (u if a > 0 else l) for a, l, u in zip(c.coeffs, lo, hi)), c.const)  # the worst case
        if value > 0 or (value == 0 and c.strict):
            return ("WITNESS_SAFE", f"output constraint {i} fails: its left side is {value}")
    return None


def _enclose(network, x) -> tuple[list, list]:
    """Bounds of the network's output at x, its layers' error terms included (spec 4.8): interval_layer on the
    grid box around x."""
    lo, hi = ints(map(grid_down, x)), ints(map(grid_up, x))
    for layer in network.layers:
        lo, hi = interval_layer(layer, lo, hi)
        lo, hi = (np.maximum(lo, 0), np.maximum(hi, 0)) if layer.relu else (lo, hi)
    return [Fraction(int(v), ONE) for v in lo], [Fraction(int(v), ONE) for v in hi]
