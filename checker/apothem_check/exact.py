"""Exact arithmetic on the grid (multiples of 2^-GRID_BITS) and the two bound computations.

Why a grid: exact rationals with per-neuron denominators would make every backward pass build
ever larger common denominators. Keeping box and neuron bounds (and hint values) on the dyadic
grid, rounded *outward* / in the safe direction, makes every product a Python integer while
every region the checker reasons about still contains the true one. Nothing here uses floats.

Values on the grid are Python ints `v` standing for `v / ONE`; vectors are numpy object arrays
of Python ints (numpy only for vectorised integer arithmetic).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

import flint
import numpy as np

GRID_BITS = 64
ONE = 1 << GRID_BITS


def grid_down(q: Fraction) -> int:
    """Largest grid value <= q."""
    return (q.numerator << GRID_BITS) // q.denominator


def grid_up(q: Fraction) -> int:
    """Smallest grid value >= q."""
    return -((-q.numerator << GRID_BITS) // q.denominator)


def describe(q: Fraction) -> str:
    """Eight significant decimal digits of q, for messages only (decimal, not binary floats)."""
    with localcontext() as ctx:
        ctx.prec = 8
        return str(Decimal(q.numerator) / Decimal(q.denominator))


def ceil_div(a, b):
    """Elementwise ceil(a / b) for integer (object) arrays and a positive integer b."""
    return -((-a) // b)


def ints(values) -> np.ndarray:
    return np.array(list(values), dtype=object)


@dataclass(frozen=True)
class ExactLayer:
    """One affine layer z = (weight @ h + bias) / denominator, with [W+ | W-] cached in FLINT."""
    weight: np.ndarray
    bias: np.ndarray
    denominator: int
    sign_parts: flint.fmpz_mat  # [positive part | negative part] of weight, for interval_layer

    @classmethod
    def of(cls, affine) -> "ExactLayer":
        w = affine.weight
        zero = np.zeros_like(w)
        parts = np.hstack([np.where(w > 0, w, zero), np.where(w < 0, w, zero)])
        return cls(w, affine.bias, affine.denominator, to_flint(parts))


def to_flint(a: np.ndarray) -> flint.fmpz_mat:
    return flint.fmpz_mat(*a.shape, a.ravel().tolist())


def from_flint(m: flint.fmpz_mat) -> np.ndarray:
    """As Python ints: numpy's elementwise operations are 5x slower on flint.fmpz entries."""
    return np.array(list(map(int, m.entries())), dtype=object).reshape(m.nrows(), m.ncols())


def matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Exact a @ w for integer matrices, as Python ints.

    FLINT's product is exact like numpy's object-array product and, conversions included,
    several times faster. But converting an entry costs about ten products of entries, so
    numpy's product is the cheaper one (2x) when a has few rows (the one objective of close)
    or w few columns (ACAS Xu's 5 inputs).
    """
    return a.dot(w) if min(a.shape[0], w.shape[1]) <= 8 else from_flint(to_flint(a) * to_flint(w))


def floor_divmod(a: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Elementwise (a // d, a % d) for a positive integer d; by shifts when d is a power of two
    (always, for float32 weights), which are 3x faster than divisions on ~150-bit ints."""
    if d & (d - 1):
        return a // d, a % d
    return a >> (d.bit_length() - 1), a & (d - 1)


def interval_layer(layer, h_lo: np.ndarray, h_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid bounds of z = (W h + b) / D for h in [h_lo, h_hi] (grid), rounded outward.

    Both ends in one FLINT product: [W+ | W-] @ [[h_lo, h_hi], [h_hi, h_lo]] (2x faster)."""
    ends = np.stack([np.concatenate([h_lo, h_hi]), np.concatenate([h_hi, h_lo])], axis=1)
    lo, hi = from_flint(layer.sign_parts * to_flint(ends)).T + layer.bias * ONE
    return lo // layer.denominator, ceil_div(hi, layer.denominator)


def relaxation(l: np.ndarray, u: np.ndarray, alpha: np.ndarray | None):
    """Per neuron: lower slope, upper slope, and upper-line offset t*l, all on the grid.

    active (l >= 0): h = z; inactive (u <= 0): h = 0; unstable: h >= alpha z and
    h <= t (z - l) with t = u/(u-l) rounded up (a steeper line through (l, 0) stays above relu).
    Default alpha: 1 if u > -l else 0 (spec 4.5).
    """
    n = len(l)
    low, up, offset = ints([0] * n), ints([0] * n), ints([0] * n)
    for j in range(n):
        lj, uj = l[j], u[j]
        if lj >= 0:
            low[j] = up[j] = ONE
        elif uj > 0:
            low[j] = alpha[j] if alpha is not None and alpha[j] is not None else (ONE if uj > -lj else 0)
            up[j] = -((-uj * ONE) // (uj - lj))
            offset[j] = up[j] * lj
    return low, up, offset


def backward_bound(layers, start: int, coeffs: np.ndarray, const: np.ndarray, lower, upper,
                   lo: np.ndarray, hi: np.ndarray, alphas=None, betas=None) -> list[Fraction]:
    """Exact lower bounds of rows of `coeffs . z(start) + const` over a node (spec 4.5).

    coeffs: (rows, n_start) ints; const: (rows,) ints; both over the common denominator 1.
    lower/upper: grid bounds per hidden layer (index k-1); lo/hi: grid box.
    alphas[k-1]: per-neuron grid slopes (None = default); betas: {(k, j): (sigma, grid value)}.
    Returns one exact Fraction per row.

    Only the columns of c that can be nonzero are carried (`cols`, neuron indices): an inactive
    neuron's relaxation is h = 0, so its coefficient is 0 unless a beta multiplier is on it,
    and then the products need neither its column of W(k) nor its row of W(k-1) (on ACAS Xu
    two thirds of the neurons are inactive on a typical node, and the +-e_j objectives of crown
    are zero but for one column).
    """
    cols = np.flatnonzero((coeffs != 0).any(axis=0))
    c, e, den = coeffs[:, cols], const, 1
    for k in range(start, 0, -1):
        layer = layers[k - 1]
        keep = np.arange(layer.weight.shape[1])  # on x, every column
        if k > 1:
            low, up, offset = relaxation(lower[k - 2], upper[k - 2], alphas[k - 2] if alphas else None)
            beta = ints([0] * len(up))  # sigma * beta per neuron of layer k-1
            for (kk, j), (sigma, value) in (betas or {}).items():
                if kk == k - 1:
                    beta[j] = sigma * value
            keep = np.flatnonzero((up != 0) | (beta != 0))
        e = e * layer.denominator + c.dot(layer.bias[cols])
        c = matmul(c, layer.weight[np.ix_(cols, keep)])
        den *= layer.denominator
        if k == 1:
            break
        low, up, offset, beta = low[keep], up[keep], offset[keep], beta[keep]
        positive, unstable = c >= 0, np.flatnonzero(offset)  # only unstable neurons have offsets
        e = e * ONE * ONE - np.where(positive, 0, c)[:, unstable].dot(offset[unstable])  # over den * ONE^2
        c = c * np.where(positive, low, up)  # over den * ONE, now on z(k-1)
        phased = np.flatnonzero(beta)  # coefficient -= sigma beta (over den * ONE)
        c[:, phased] -= beta[phased] * den
        # Round the coefficients down onto the grid so integers stay short; the dropped part
        # delta >= 0 of each coefficient contributes delta * z >= delta * l on the node.
        grid_c, delta = floor_divmod(c, den)
        e = (e + delta.dot(lower[k - 2][keep])) // (den * ONE)
        c, den, cols = grid_c, ONE, keep
    # minimise c . x over the box: x = lo/ONE or hi/ONE per coordinate
    total = e * ONE + np.where(c >= 0, c * lo, c * hi).sum(axis=-1)
    return [Fraction(int(v), den * ONE) for v in total]
