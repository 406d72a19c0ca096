"""Counterexample checking (spec 4.8, 4.11): exact bounds, no tolerance, no floating point."""
from __future__ import annotations

from fractions import Fraction

from .errors import CheckError, InputError
from .exact import ONE, grid_down, grid_up, interval_bounds, ints
from .network import f32


def binary32(v: Fraction) -> bool:
    """A finite binary32 value (a coordinate beyond the range is not one: no OverflowError)."""
    try:
        return f32(v) == v
    except OverflowError:
        return False


def check_witness(network, disjunct, x: tuple[Fraction, ...], float32: bool = False) -> None:
    """A CheckError naming the first defect, unless the witness is unsafe for the real network at every output its
    grid enclosure allows (spec 4.8), or under float32 for the bit-exact reference execution (4.11)."""
    for i, (v, lo, hi) in enumerate(zip(x, disjunct.lower, disjunct.upper)):
        if v < lo or (v == lo and disjunct.lower_strict[i]) or v > hi or (v == hi and disjunct.upper_strict[i]):
            raise CheckError("WITNESS_OUTSIDE", f"X_{i} = {v} is outside [{lo}, {hi}]")
        if float32 and not binary32(v):
            raise CheckError("WITNESS_NOT_FLOAT32", f"X_{i} = {v} is not a binary32 value")
    try:
        lo, hi = enclose(network, x, float32)
    except InputError as err:  # FLOAT32_OVERFLOW: the reference execution reaches infinity
        raise CheckError(err.code, err.message) from None
    for i, c in enumerate(disjunct.constraints):
        value = sum((a * (u if a > 0 else l) for a, l, u in zip(c.coeffs, lo, hi)), c.const)  # the worst case
        if value > 0 or (value == 0 and c.strict):
            raise CheckError("WITNESS_SAFE", f"output constraint {i} fails: its left side is {value}")


def enclose(network, x, float32: bool = False) -> tuple[list, list]:
    """Bounds of the network's output at x (spec 4.8): interval bounds on the grid box around x, the layers' error
    terms (if any) included; one mechanism whatever the layers, as tight as the grid (2^-64) allows, so a point
    is judged safe or unsafe unless it lies that close to the boundary. Under float32 the reference execution's
    output (4.11), twice."""
    if float32:
        y = network.reference(list(x))
        return y, y
    lo, hi = interval_bounds(network.layers, ints(map(grid_down, x)), ints(map(grid_up, x)))
    return [Fraction(int(v), ONE) for v in lo[-1]], [Fraction(int(v), ONE) for v in hi[-1]]
