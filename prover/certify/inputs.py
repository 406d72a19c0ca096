"""Inputs (exact, on the grid) and the grid geometry of boxes around them."""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np

from ..semantics import outputs

SNAP_TOLERANCE = Fraction(1, 10 ** 9)


class CertifyError(Exception):
    """A user-facing error (bad input file, wrong label, ...)."""


@dataclass
class InputFile:
    path: str
    x: list                 # exact values (Fractions)
    sha256: str


def read_input(path, lo: Fraction = Fraction(0), hi: Fraction = Fraction(1), grid: int = 255,
               snap: bool = True) -> InputFile:
    """Read whitespace/comma-separated numbers (e.g. a 28x28 CSV of k/255 values).

    Each value is read exactly (`Fraction(text)`) and, with `snap`, moved to the nearest grid
    value lo + k (hi - lo) / grid; a value farther than 1e-9 from the grid is refused.
    """
    try:
        data = Path(path).read_bytes()
        text = data.decode("utf-8", errors="strict").replace(",", " ").replace(";", " ")
    except OSError as err:
        raise CertifyError(f"{path}: cannot read: {err.strerror}") from None
    except UnicodeDecodeError:
        raise CertifyError(f"{path}: not UTF-8 text") from None
    xs = []
    delta = (hi - lo) / grid
    for tok in text.split():
        try:
            v = Fraction(tok)
        except (ValueError, ZeroDivisionError):
            raise CertifyError(f"{path}: not a number: {tok[:40]!r}") from None
        if snap:
            k = round((v - lo) / delta)
            q = lo + k * delta
            if abs(q - v) > SNAP_TOLERANCE:
                raise CertifyError(f"{path}: value {tok} is not within 1e-9 of the grid (lo + k/{grid} of the domain width)")
            v = q
        if not lo <= v <= hi:
            raise CertifyError(f"{path}: value {tok} lies outside the domain [{lo}, {hi}]")
        xs.append(v)
    if not xs:
        raise CertifyError(f"{path}: empty input file")
    return InputFile(str(path), xs, hashlib.sha256(data).hexdigest())


def step_text(lo, hi, G) -> str:
    """The grid step (HI - LO) / G as an exact fraction, e.g. '1/255'."""
    d = (Fraction(hi) - Fraction(lo)) / int(G)
    return str(d.numerator) if d.denominator == 1 else f"{d.numerator}/{d.denominator}"


def prediction(network, x) -> tuple[int | None, list]:
    """The exact predicted class (None on a tie for the maximum) and the exact outputs; under
    float32 those of the reference execution at x rounded to binary32 (prover/semantics.py)."""
    try:
        y = outputs(network, x)
    except OverflowError as err:
        raise CertifyError(f"binary32 execution of the network overflows at the input: {err}") from None
    top = max(y)
    winners = [j for j, v in enumerate(y) if v == top]
    return (winners[0] if len(winners) == 1 else None), y


@dataclass
class Grid:
    """Boxes around x* whose faces lie on the grid x*_i + k delta, clipped to D = [lo, hi]^n.

    A box is described by integer step counts a (lower faces) and b (upper faces)."""
    x: list
    lo: Fraction
    hi: Fraction
    G: int
    xf: np.ndarray = field(init=False)

    def __post_init__(self):
        self.delta = (self.hi - self.lo) / self.G
        self.n = len(self.x)
        # steps until a face reaches the domain boundary (a face at >= cap is on the boundary)
        self.cap_lo = np.array([math.ceil((v - self.lo) / self.delta) for v in self.x], dtype=np.int64)
        self.cap_hi = np.array([math.ceil((self.hi - v) / self.delta) for v in self.x], dtype=np.int64)
        self.kmax = int(max(self.cap_lo.max(), self.cap_hi.max()))
        self.xf = np.array([float(v) for v in self.x])
        self.df = float(self.delta)
        self._cache: dict = {}

    def lower_at(self, i: int, a: int) -> Fraction:
        key = (i, -a)
        v = self._cache.get(key)
        if v is None:
            v = self._cache[key] = max(self.lo, self.x[i] - a * self.delta)
        return v

    def upper_at(self, i: int, b: int) -> Fraction:
        key = (i, b)
        v = self._cache.get(key)
        if v is None:
            v = self._cache[key] = min(self.hi, self.x[i] + b * self.delta)
        return v

    def box(self, a, b) -> tuple[list, list]:
        return ([self.lower_at(i, int(v)) for i, v in enumerate(a)],
                [self.upper_at(i, int(v)) for i, v in enumerate(b)])

    def ball_steps(self, k: int):
        return np.minimum(self.cap_lo, k), np.minimum(self.cap_hi, k)

    def ball(self, k: int):
        return self.box(*self.ball_steps(k))

    def float_box(self, a, b):
        """A float box containing the exact one (for attacks; points are snapped exactly later)."""
        lo = np.maximum(float(self.lo), self.xf - np.asarray(a) * self.df)
        hi = np.minimum(float(self.hi), self.xf + np.asarray(b) * self.df)
        return lo, hi

    def steps_of(self, p) -> tuple[np.ndarray, np.ndarray]:
        """Per coordinate, how many steps below (a) and above (b) x* the exact point p lies."""
        a = np.zeros(self.n, dtype=np.int64)
        b = np.zeros(self.n, dtype=np.int64)
        for i, (v, c) in enumerate(zip(p, self.x)):
            if v < c:
                a[i] = math.ceil((c - v) / self.delta)
            elif v > c:
                b[i] = math.ceil((v - c) / self.delta)
        return a, b

    def distance(self, p) -> int:
        a, b = self.steps_of(p)
        return int(max(a.max(initial=0), b.max(initial=0)))

    def snap(self, xf: np.ndarray, a, b) -> list:
        """The grid point nearest to the float point xf inside the box (a, b). Clipping the step
        count is enough: a grid value is monotone in its step count (clipped to D alike)."""
        k = np.rint((xf - self.xf) / self.df).astype(np.int64)
        k = np.clip(k, -np.asarray(a), np.asarray(b))
        return [self.lower_at(i, -kk) if kk < 0 else self.upper_at(i, kk) for i, kk in enumerate(k.tolist())]
