"""exact.backward_bound and exact.interval_layer against a direct transcription of spec 4.4-4.5.

The kernel's pass skips inactive neurons, multiplies narrow or single-row operands with numpy
and the rest in int64 limbs, and divides by shifts when a denominator is a power of two; the
reference below does none of that (full matrices, one neuron at a time), so any shortcut that
changed a single bit of a result fails here. The cases force the corners of those shortcuts:
all-inactive and all-active layers, zero rows and columns of the objective, slopes on stable
neurons, beta multipliers on inactive and active neurons, denominators that are and are not
powers of two, and shapes on both sides of the numpy/limb threshold. The limb product itself is
tested at the edge of its overflow bound (limb_bits) below.
"""
from __future__ import annotations

import math
import random
from fractions import Fraction

import numpy as np
import pytest
from helpers import dense

from apothem_check.exact import (ONE, Layer, backward_bound, ints, interval_layer, limb_bits, limb_product,
                                 to_limbs)
from apothem_check.sparse import Sparse


def sparse(w: np.ndarray) -> Sparse:
    """A dense integer matrix as the Sparse a Layer holds."""
    rows, cols = np.nonzero(w != 0)
    return Sparse.of(w.shape, rows, cols, w[rows, cols])


def reference_bound(layers, start, coeffs, const, lower, upper, lo, hi, alphas, betas):
    """Spec 4.5 verbatim: exact rationals, every neuron, then the same grid roundings."""
    results = []
    for row, e in zip(coeffs.tolist(), const.tolist()):
        c, e = [Fraction(v) for v in row], Fraction(e)
        for k in range(start, 0, -1):
            w, b, d = dense(layers[k - 1].weight).tolist(), layers[k - 1].bias.tolist(), layers[k - 1].denominator
            e += sum(cj * Fraction(bj, d) for cj, bj in zip(c, b))
            c = [sum(c[i] * Fraction(w[i][j], d) for i in range(len(c))) for j in range(len(w[0]))]
            if k == 1:
                break
            new = []
            for j, cj in enumerate(c):
                l, u = Fraction(lower[k - 2][j], ONE), Fraction(upper[k - 2][j], ONE)
                if l >= 0:
                    new.append(cj)
                elif u <= 0:
                    new.append(Fraction(0))
                else:
                    t = Fraction(-((-upper[k - 2][j] * ONE) // (upper[k - 2][j] - lower[k - 2][j])), ONE)
                    alpha = alphas[k - 2][j] if alphas and alphas[k - 2][j] is not None else (ONE if u > -l else 0)
                    if cj >= 0:
                        new.append(cj * Fraction(alpha, ONE))
                    else:
                        new.append(cj * t)
                        e -= cj * t * l
                sigma, beta = betas.get((k - 1, j), (0, 0))
                new[-1] -= sigma * Fraction(beta, ONE)
            c = [Fraction(math.floor(v * ONE), ONE) for v in new]
            e += sum((v - g) * Fraction(lower[k - 2][j], ONE) for j, (v, g) in enumerate(zip(new, c)))
            e = Fraction(math.floor(e * ONE), ONE)
        results.append(e + sum(min(cj * lo[i], cj * hi[i]) / ONE for i, cj in enumerate(c)))
    return results


def random_case(rnd: random.Random, mode: str):
    widths = [rnd.choice([2, 5, 12])] + [rnd.choice([3, 9, 14, 16]) for _ in range(rnd.randint(1, 3))] + [rnd.choice([2, 10])]
    layers = []
    for n_in, n_out in zip(widths, widths[1:]):
        d = rnd.choice([1, 3, 12, 2 ** 7, 2 ** 40])
        w = ints(rnd.randint(-2 ** 20, 2 ** 20) for _ in range(n_in * n_out)).reshape(n_out, n_in)
        layers.append(Layer(sparse(w), ints(rnd.randint(-9, 9) for _ in range(n_out)), d, False))
    lower, upper = [], []
    for k, n in enumerate(widths[1:-1]):
        kind = mode if mode != "mixed" else rnd.choice(["inactive", "active", "unstable", "any"])
        l, u = [], []
        for _ in range(n):
            a, b = sorted(rnd.randint(-3 * ONE, 3 * ONE) for _ in range(2))
            a, b = {"inactive": (a - 4 * ONE, min(b, 0) - ONE), "active": (max(a, 0) + ONE, b + 4 * ONE),
                    "unstable": (min(a, -1), max(b, 1))}.get(kind, (a, b))
            l.append(a)
            u.append(b)
        lower.append(ints(l))
        upper.append(ints(u))
    lo = ints(rnd.randint(-ONE, 0) for _ in range(widths[0]))
    hi = lo + ints(rnd.randint(0, 2 * ONE) for _ in range(widths[0]))
    return widths, layers, lower, upper, lo, hi


@pytest.mark.parametrize("seed", range(60))
def test_backward_bound_matches_the_spec(seed):
    rnd = random.Random(seed)
    mode = ["mixed", "inactive", "active", "unstable"][seed % 4]
    widths, layers, lower, upper, lo, hi = random_case(rnd, mode)
    start = rnd.randint(1, len(layers))
    rows = rnd.choice([1, 4, 2 * widths[start] + 1, 2 * widths[start] + 1])
    coeffs = ints(rnd.choice([0, 0, 1, -1, rnd.randint(-2 ** 70, 2 ** 70)]) for _ in range(rows * widths[start]))
    coeffs = coeffs.reshape(rows, -1)
    coeffs[rnd.randrange(rows)] = 0  # a zero row
    const = ints(rnd.randint(-2 ** 66, 2 ** 66) for _ in range(rows))
    alphas = betas = None
    if seed % 3:  # slopes everywhere, stable neurons included (ignored there)
        alphas = [[rnd.choice([None, 0, ONE, rnd.randint(0, ONE)]) for _ in range(n)] for n in widths[1:-1]]
    if seed % 2:  # multipliers on any neuron: those on inactive ones must revive their column
        betas = {(k, j): (rnd.choice([-1, 1]), rnd.randint(0, 3 * ONE))
                 for k, n in enumerate(widths[1:-1], 1) for j in range(n) if rnd.random() < 0.4}
    got = backward_bound(layers, start, coeffs, const, lower, upper, lo, hi, alphas, betas)
    assert got == reference_bound(layers, start, coeffs, const, lower, upper, lo, hi, alphas, betas or {})


@pytest.mark.parametrize("seed", range(10))
def test_interval_layer_matches_the_spec(seed):
    rnd = random.Random(seed)
    _, layers, _, _, lo, hi = random_case(rnd, "mixed")
    layer = layers[0]
    got_lo, got_hi = interval_layer(layer, lo, hi)
    for j, (w, b) in enumerate(zip(dense(layer.weight).tolist(), layer.bias.tolist())):
        least = sum(min(wi * a, wi * z) for wi, a, z in zip(w, lo, hi)) + b * ONE
        most = sum(max(wi * a, wi * z) for wi, a, z in zip(w, lo, hi)) + b * ONE
        assert got_lo[j] == math.floor(Fraction(least, layer.denominator))
        assert got_hi[j] == math.ceil(Fraction(most, layer.denominator))


def extreme_values(rnd: random.Random, bits: int, count: int) -> np.ndarray:
    """Entries at the ends of what `bits` bits hold (where a limb or an int64 sum overflows
    first), zeros, and random values."""
    pool = [2 ** bits - 1, -(2 ** bits - 1), -(2 ** bits), 0]
    return ints(rnd.choice(pool) if rnd.random() < 0.7 else rnd.randint(-2 ** bits, 2 ** bits) for _ in range(count))


@pytest.mark.parametrize("bits", [1, 20, 24, 29, 63, 64, 200, 1000])
def test_limbs_reassemble_and_stay_within_their_bound(bits):
    rnd = random.Random(bits)
    a = extreme_values(rnd, bits, 60).reshape(6, 10)
    for width in (20, 24, 29):
        limbs = to_limbs(a, width)
        assert all(x.dtype == np.int64 for x in limbs)
        assert all(np.abs(x).max() <= 2 ** width for x in limbs)
        assert all(x.min() >= 0 for x in limbs[:-1])
        assert (sum(x.astype(object) << (i * width) for i, x in enumerate(limbs)) == a).all()


@pytest.mark.parametrize("inner", [1, 31, 32, 255, 1023, 1568])
@pytest.mark.parametrize("bits_a,bits_b", [(67, 43), (130, 24), (600, 560)])
def test_limb_product_is_exact_at_its_overflow_bound(inner, bits_a, bits_b):
    """inner = 2^k - 1 puts n 2^(2L) next to 2^59; every entry at +-(2^bits - 1) makes every limb
    of it maximal, so each int64 sum is as large as limb_bits allows; 600 x 560 bits sums more
    than 16 limb products of one weight, so the chunking is needed too."""
    rnd = random.Random(inner * bits_a)
    a = extreme_values(rnd, bits_a, 3 * inner).reshape(3, inner)
    b = extreme_values(rnd, bits_b, inner * 4).reshape(inner, 4)
    a[0], b[:, 0] = 2 ** bits_a - 1, 2 ** bits_b - 1  # one all-maximal entry of the product
    a[1], b[:, 1] = -(2 ** bits_a - 1), 2 ** bits_b - 1
    width = limb_bits(inner)
    got = limb_product((width, to_limbs(a, width)), b)
    assert (got == a.dot(b)).all()


def thinned(rnd, w: np.ndarray, density: float) -> np.ndarray:
    """w with each entry kept with probability `density` (zero otherwise)."""
    return np.where(np.array([rnd.random() < density for _ in range(w.size)]).reshape(w.shape), w, 0)


@pytest.mark.parametrize("density", [1.0, 0.05])
@pytest.mark.parametrize("shape,picked", [((50, 60), 30), ((1023, 20), 1023)])
@pytest.mark.parametrize("rows,cols", [(1, 5), (8, 20), (9, 9), (20, 20), (20, 0), (0, 12)])
def test_rows_times_is_the_product_with_the_selected_weights(shape, picked, rows, cols, density):
    """A tall weight with every row picked sums as many terms as a layer can (limb_bits must
    follow the weight's row count, not its column count). Density 0.05, and any matrix of over 2^14 entries,
    takes the sparse (CSR) product."""
    rnd = random.Random(rows * 100 + cols)
    w = thinned(rnd, extreme_values(rnd, 45, shape[0] * shape[1]).reshape(shape), density)
    picked_rows = np.array(sorted(rnd.sample(range(shape[0]), picked)))
    picked_cols = np.array(sorted(rnd.sample(range(shape[1]), cols)), dtype=int)
    c = extreme_values(rnd, 70, rows * picked).reshape(rows, picked)
    if rows and cols:  # one entry with every limb of every term maximal (2^b - 1 is all ones)
        c[0], w[:, picked_cols[0]] = 2 ** 70 - 1, 2 ** 45 - 1
    layer = Layer(sparse(w), ints([0] * shape[0]), 1, False)
    assert isinstance(layer.transposed_limbs[1][0], np.ndarray) == (density == 1.0 and w.size <= 2 ** 14)
    got = layer.rows_times(c, picked_rows, picked_cols)
    assert got.shape == (rows, cols)
    assert (got == c.dot(w[np.ix_(picked_rows, picked_cols)])).all()


@pytest.mark.parametrize("n_rows,density", [(3, 1.0), (40, 0.05)])
def test_interval_layer_is_exact_at_the_overflow_bound(n_rows, density):
    """511 inputs (the product's inner dimension is twice that). Row 0 and the box's ends are all
    ones in binary, so every limb of every term is maximal, and 450-bit values sum more than 16
    limb products of one weight. 40 rows at density 0.05 take the sparse (CSR) product."""
    rnd = random.Random(7)
    w = thinned(rnd, extreme_values(rnd, 450, n_rows * 511).reshape(n_rows, 511), density)
    w[0] = 2 ** 450 - 1
    layer = Layer(sparse(w), ints([5, -5] + [0] * (n_rows - 2)), 2 ** 30, False)
    assert isinstance(layer.sign_limbs[1][0], np.ndarray) == (density == 1.0)
    lo, hi = ints([2 ** 460 - 1] * 511), ints([2 ** 470 - 1] * 511)
    lo[:100] = -(2 ** 470 - 1)
    got_lo, got_hi = interval_layer(layer, lo, hi)
    for j, (row, b) in enumerate(zip(w.tolist(), layer.bias.tolist())):
        least = sum(min(wi * a, wi * z) for wi, a, z in zip(row, lo, hi)) + b * ONE
        most = sum(max(wi * a, wi * z) for wi, a, z in zip(row, lo, hi)) + b * ONE
        assert (got_lo[j], got_hi[j]) == (least // 2 ** 30, -(-most // 2 ** 30))
