"""Exact numbers as text: one module for the three notations the project writes, each chosen by
its reader (none goes through a float).

- `format_number`: proofs (spec section 2). Integers, hexadecimal floats for dyadic rationals
  (the kernel's 2^-64 grid written in decimal would take up to 64 digits), p/q otherwise.
- `ratio`: certification bundles and audit files, read back with `Fraction(text)`.
- `exact_decimal`: the counterexample printed by `apothem verify` (VNN-COMP reads decimals).
"""
from __future__ import annotations

from fractions import Fraction


def ratio(q) -> str:
    """`n` or `p/q`."""
    q = Fraction(q)
    return str(q.numerator) if q.denominator == 1 else f"{q.numerator}/{q.denominator}"


def format_number(q) -> str:
    """Integer, hexadecimal float for other dyadics, else p/q."""
    q = Fraction(q)
    d = q.denominator
    if d != 1 and d & (d - 1) == 0:  # a power of two: m * 2^-e with m odd
        sign = "-" if q < 0 else ""
        return f"{sign}0x{abs(q.numerator):x}p-{d.bit_length() - 1}"
    return ratio(q)


def exact_decimal(q) -> str:
    """Exact decimal text of a rational with a power-of-two (or five) denominator; other
    rationals (never a counterexample the prover snapped to floats) as the nearest float."""
    q = Fraction(q)
    sign = "-" if q < 0 else ""
    q = abs(q)
    n, den = q.numerator, q.denominator
    digits = 0
    while den % 10 and den != 1:
        if den % 2 == 0:
            n, den = n * 5, den // 2
        elif den % 5 == 0:
            n, den = n * 2, den // 5
        else:
            return f"{sign}{float(q)!r}"
        digits += 1
    while den % 10 == 0:
        den //= 10
        digits += 1
    whole, frac = divmod(n, 10 ** digits)
    if digits == 0:
        return f"{sign}{whole}"
    return f"{sign}{whole}.{str(frac).rjust(digits, '0').rstrip('0') or '0'}"
