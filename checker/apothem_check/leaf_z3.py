"""`close N z3` (spec 4.6): the node written exactly in linear real arithmetic for z3."""
from __future__ import annotations

from fractions import Fraction

import z3

from .errors import CheckError
from .exact import ONE

MAX_Z3_DIGITS = 4000  # z3 takes numbers as decimal text; Python refuses ints beyond 4,300 digits


def _int(v: int) -> int:
    """An integer z3 can be given (as text): beyond MAX_Z3_DIGITS the leaf is refused, not crashed."""
    if abs(v).bit_length() > MAX_Z3_DIGITS * 3.32:
        raise CheckError("LIMIT", f"an exact value of about {int(abs(v).bit_length() / 3.32)} digits is too "
                                  f"large for the z3 leaf (limit {MAX_Z3_DIGITS} digits)")
    return v


def _q(v) -> z3.ArithRef:
    v = Fraction(v)
    return z3.RealVal(f"{_int(v.numerator)}/{_int(v.denominator)}")


def node_is_empty(network, disjunct, node, timeout_ms: int, errors=None) -> tuple[str, list | None]:
    """z3's answer ('unsat', 'sat' or 'unknown') for: a point of the node that is unsafe, and on
    `sat` that point (exact inputs, for provers; None otherwise).

    The node's grid box is intersected with the property's exact box, so that the point is a
    counterexample to the property itself. Under float32, `errors[k-1]` (grid) bounds each
    z(k)_j's distance from its affine value: z3 may choose any rounding within it (spec 4.11).
    """
    solver = z3.Solver()
    solver.set("timeout", int(timeout_ms))
    xs = h = [z3.Real(f"x{i}") for i in range(network.n_inputs)]
    for i, (v, lo, hi) in enumerate(zip(h, node.lo, node.hi)):
        solver.add(_q(Fraction(int(lo), ONE)) <= v, v <= _q(Fraction(int(hi), ONE)))
        lower, upper = _q(disjunct.lower[i]), _q(disjunct.upper[i])
        solver.add(lower < v if disjunct.lower_strict[i] else lower <= v, v < upper if disjunct.upper_strict[i] else v <= upper)
    for k, layer in enumerate(network.layers, start=1):
        z = []
        for j, (row, b) in enumerate(zip(layer.weight.todense(), layer.bias)):
            zj = z3.Real(f"z{k}_{j}")
            gap = zj * _int(layer.denominator) - z3.Sum([_int(int(w)) * v for w, v in zip(row, h) if w != 0] + [_q(b)])
            slack = 0 if errors is None else _q(Fraction(int(errors[k - 1][j]) * layer.denominator, ONE))
            solver.add(gap <= slack, -gap <= slack)
            z.append(zj)
        if not layer.relu:
            h = z
            break
        h = []
        for j, zj in enumerate(z):
            lo, hi = Fraction(int(node.lower[k - 1][j]), ONE), Fraction(int(node.upper[k - 1][j]), ONE)
            solver.add(_q(lo) <= zj, zj <= _q(hi))
            phase = node.phases.get((k, j))
            if phase is not None:
                solver.add(zj >= 0 if phase > 0 else zj <= 0)
            hj = z3.Real(f"h{k}_{j}")
            solver.add(hj == z3.If(zj >= 0, zj, z3.RealVal(0)))
            h.append(hj)
    for c in disjunct.constraints:
        lhs = z3.Sum([_q(a) * yj for a, yj in zip(c.coeffs, h) if a != 0] + [_q(c.const)])
        solver.add(lhs < 0 if c.strict else lhs <= 0)
    verdict = str(solver.check())
    if verdict != "sat":
        return verdict, None
    return verdict, [solver.model().eval(v, model_completion=True).as_fraction() for v in xs]
