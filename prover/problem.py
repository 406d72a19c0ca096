"""The query as the prover sees it: float matrices per disjunct, and exact points near float
ones (checked as counterexamples by the checker's own `check_witness`)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
from apothem_check.kernel import CheckError
from apothem_check.network import Network
from apothem_check.vnnlib import Disjunct, Property
from apothem_check.witness import check_witness

from .engine.model import FloatNet


def _down(q: Fraction) -> float:
    f = float(q)
    return math.nextafter(f, -math.inf) if Fraction(f) > q else f


def _up(q: Fraction) -> float:
    f = float(q)
    return math.nextafter(f, math.inf) if Fraction(f) < q else f


@dataclass
class DisjunctData:
    index: int
    lo: np.ndarray       # float box containing the exact box (outward)
    hi: np.ndarray
    A: np.ndarray        # (m, n_out): unsafe iff A y + const <= 0 (row-wise)
    const: np.ndarray
    strict: np.ndarray
    exact: Disjunct      # the property's own
    box: int             # disjuncts with the same exact box have the same number


@dataclass
class Problem:
    network: Network     # exact (the checker's reading of the ONNX file)
    prop: Property
    net: FloatNet        # the same in float64
    net32: FloatNet      # and in float32: attacks and the ranking of input splits (speed)
    disjuncts: list[DisjunctData]

    @property
    def float32(self) -> bool:
        """Semantics float32 (spec 4.11): the network was folded with its rounding bounds. (Error terms alone,
        `net.errors`, may also be a BatchNormalization's enclosure under real: spec 1.)"""
        return self.network.semantics == "float32"

    @classmethod
    def of(cls, network: Network, prop: Property) -> "Problem":
        net = FloatNet.of(network)
        ds = []
        boxes = []  # disjuncts often share their box (a robustness query: one per other class);
        # compared as lists, not hashed: hashing 2 x 784 Fractions per disjunct took 70 ms a query
        for i, d in enumerate(prop.disjuncts):
            number = next((k for k, b in enumerate(boxes) if b[0] == d.lower and b[1] == d.upper), None)
            if number is None:
                number = len(boxes)
                boxes.append((d.lower, d.upper, np.array([_down(Fraction(v)) for v in d.lower]),
                              np.array([_up(Fraction(v)) for v in d.upper])))
            lo, hi = boxes[number][2].copy(), boxes[number][3].copy()
            A = np.array([[float(a) for a in c.coeffs] for c in d.constraints]).reshape(len(d.constraints), net.widths[-1])
            const = np.array([float(c.const) for c in d.constraints])
            strict = np.array([bool(c.strict) for c in d.constraints])
            ds.append(DisjunctData(i, lo, hi, A, const, strict, d, number))
        return cls(network, prop, net, net.astype(np.float32), ds)

    def groups(self) -> list[list[DisjunctData]]:
        """The disjuncts grouped by their exact box (a shared root needs one box, spec 4.1), in
        order of first appearance."""
        out: dict[int, list] = {}
        for d in self.disjuncts:
            out.setdefault(d.box, []).append(d)
        return list(out.values())

    def violated(self, d: DisjunctData, y: np.ndarray) -> np.ndarray:
        """Float test per row of y: every constraint holds (candidates for exact checking)."""
        if d.A.shape[0] == 0:
            return np.ones(len(y), bool)
        g = y @ d.A.T + d.const
        return np.all(g <= 0, axis=1)

    def margin(self, d: DisjunctData, y: np.ndarray) -> np.ndarray:
        """max_i g_i(y): <= 0 means unsafe (float)."""
        if d.A.shape[0] == 0:
            return -np.ones(len(y))
        return np.max(y @ d.A.T + d.const, axis=1)


def snap_into_box(d, x: np.ndarray, dtype=np.float32, strict: bool = False) -> list[Fraction] | None:
    """Exact point near x inside the *unrounded* box of disjunct d, each coordinate a value of
    `dtype` where one fits (float32 first: short counterexamples; float64 when rounding to
    float32 moves the point off a counterexample whose margin is below float32 resolution).
    `strict` (semantics float32, whose witnesses must be binary32): only values of `dtype`, None
    when a coordinate's interval holds none near x."""
    e = d.exact
    out = []
    for i, v in enumerate(x):
        lo, hi = Fraction(e.lower[i]), Fraction(e.upper[i])
        ls, hs = e.lower_strict[i], e.upper_strict[i]

        def inside(q):
            return (q > lo if ls else q >= lo) and (q < hi if hs else q <= hi)

        f = dtype(min(max(float(v), float(lo)), float(hi)))
        q = None
        for _ in range(4):
            if inside(Fraction(float(f))):
                q = Fraction(float(f))
                break
            f = np.nextafter(f, dtype(np.inf) if Fraction(float(f)) <= lo else dtype(-np.inf))
        if q is None:
            if strict:
                return None
            if inside(lo):
                q = lo
            elif inside(hi):
                q = hi
            elif lo < hi:
                q = (lo + hi) / 2
            else:
                return None
        out.append(q)
    return out


def exact_unsafe(network: Network, d: DisjunctData, xs: list[Fraction], float32: bool = False) -> bool:
    """Exactly: x in the unrounded box and every constraint true at N(x) (spec 4.8), or under
    float32 at the reference execution of the binary32 x (spec 4.8b), decided by the checker's
    witness rule itself."""
    return accepted_witness(network, d.exact, xs, float32)


def accepted_witness(network: Network, disjunct: Disjunct, xs, float32: bool = False) -> bool:
    """Whether the checker's witness rule (spec 4.8, 4.8b) accepts xs as a counterexample for the disjunct."""
    try:
        check_witness(network, disjunct, tuple(xs), float32)
    except CheckError:
        return False
    return True
