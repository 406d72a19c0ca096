"""Exact arithmetic on the grid (multiples of 2^-GRID_BITS) and the two bound computations.

Why a grid: exact rationals with per-neuron denominators would make every backward pass build
ever larger common denominators. Keeping box and neuron bounds (and hint values) on the dyadic
grid, rounded *outward* / in the safe direction, makes every product a Python integer while
every region the checker reasons about still contains the true one. Nothing here uses floats.

Values on the grid are Python ints `v` standing for `v / ONE`; vectors are numpy object arrays
of Python ints (numpy only for vectorised integer arithmetic). Wide matrix products cut their
operands into int64 limbs small enough that no int64 sum can overflow (limb_bits).
"""
from __future__ import annotations

from collections import namedtuple
from decimal import Decimal, localcontext
from fractions import Fraction
from functools import cached_property

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


def limb_bits(n: int) -> int:
    """Limb width L for inner dimension <= n: limbs |x| <= 2^L make a product entry < 2^(bit_length(n) + 2L)
    <= 2^59, so a sum of up to 16 products stays below 2^63: limb_product's int64 arithmetic never overflows."""
    return (59 - n.bit_length()) // 2


def to_limbs(a: np.ndarray, bits: int) -> list[np.ndarray]:
    """int64 arrays x_0, x_1, ... with a = sum_i x_i 2^(i bits), all at most 2^bits in magnitude:
    every x_i but the last in [0, 2^bits), the last carrying the sign (|a| <= 2^top holds as
    top drops by `bits` per limb, since a >> bits >= -2^(top - bits))."""
    top = int(max(a.max(), -a.min())).bit_length() if a.size else 0
    mask, limbs = (1 << bits) - 1, []
    while top > bits:
        limbs.append((a & mask).astype(np.int64))
        a, top = a >> bits, top - bits
    limbs.append(a.astype(np.int64))
    return limbs


def limb_product(a: tuple, x: np.ndarray) -> np.ndarray:
    """Exact A @ x as Python ints, for a = (bits, the limbs a_i of A = sum_i a_i 2^(i bits)) as sparse_limbs
    makes them and x an integer array cut the same way: limb products of equal weight summed in int64, at most
    16 at a time (limb_bits); 2-3x faster than numpy's object product or FLINT."""
    bits, a_limbs = a
    b_limbs, total = to_limbs(x, bits), 0
    for s in range(len(a_limbs) + len(b_limbs) - 1):
        pairs = [(i, s - i) for i in range(len(a_limbs)) if 0 <= s - i < len(b_limbs)]
        for first in range(0, len(pairs), 16):
            q = sum(a_limbs[i] @ b_limbs[j] for i, j in pairs[first:first + 16])
            total = total + (q.astype(object) << (s * bits))
    return total


def sparse_limbs(m, cols=None, width: int | None = None) -> tuple:
    """(bits, limbs) for limb_product: m's values in int64 limbs (to_limbs) as wide as its columns allow
    (limb_bits), each a matrix with m's non-zeros (at columns `cols` of a matrix `width` wide when given).
    Why sparse: a CSR product (scipy's integer kernel: no float, and limb_bits keeps every int64 sum exact) costs
    time in proportion to the non-zeros (oval21's first layer: 48 of 3,072 a row, 60x less than dense), and numpy's
    int64 matmul has no fast kernel, so beyond 2^14 entries CSR wins even on full matrices (mnist_fc 256 x 256:
    1.5x; sri_resnet_a's 1024 x 3072 at 13 %: 7x). A smaller one with over an eighth non-zero stays dense, where
    scipy's cost per call and 0.2 s import would dominate (ACAS Xu's 50 x 50 layers: 1.2x slower checks)."""
    cols, shape = m.cols if cols is None else cols, (m.shape[0], m.shape[1] if width is None else width)
    bits = limb_bits(shape[1])
    limbs = to_limbs(m.vals, bits)
    if 8 * len(m.vals) <= shape[0] * shape[1] or shape[0] * shape[1] > 1 << 14:
        from scipy.sparse import csr_array
        return bits, [csr_array((v, (m.rows, cols)), shape=shape) for v in limbs]
    dense = [np.zeros(shape, dtype=np.int64) for _ in limbs]
    for x, v in zip(dense, limbs):
        x[m.rows, cols] = v
    return bits, dense


# One layer z = (weight @ h + bias) / denominator, then ReLU if `relu`. Integers only: weight (out, in) a Sparse of
# Python ints and bias (out,) an object array of them, denominator > 0 the least common one of the exact layer.
# With error terms (float32 rounding, spec 4.11, or a BatchNormalization's enclosure under real, spec 1):
# |z - exact| <= (err_weight @ |h| + err_bias) / 2^64, err_weight a Sparse of grid ints and err_bias grid ints,
# rounded up; float32 only: every value computed in the layer is <= (peak[0] max|h| + peak[1]) / 2^64 (grid ints).
class Layer(namedtuple("Layer", "weight bias denominator relu err_weight err_bias peak",
                       defaults=(None, None, None))):
    """An affine layer of the folded network, with what the products reuse computed on first use (a
    proof with only a witness needs none of it)."""

    @cached_property
    def err_limbs(self) -> tuple:
        return sparse_limbs(self.err_weight)

    def error(self, h_abs: np.ndarray) -> np.ndarray | None:
        """Grid bound E on the rounding error of z for inputs with |h| <= h_abs (grid), rounded up;
        None without error terms."""
        if self.err_weight is None:
            return None
        return ceil_div(limb_product(self.err_limbs, h_abs[:, None])[:, 0], ONE) + self.err_bias

    @cached_property
    def sign_limbs(self) -> tuple:
        """[positive part | negative part] of the weight in limbs, for interval_layer: entry (i, j) < 0 moves to
        column n + j."""
        w, n = self.weight, self.weight.shape[1]
        return sparse_limbs(w, w.cols + n * (w.vals < 0).astype(np.int64), 2 * n)

    @cached_property
    def transposed_limbs(self) -> tuple:
        """The weight's transpose in limbs: c @ W is computed as (W^T @ c^T)^T, with the sparse factor first (its
        limbs as wide as a sum over all the weight's rows allows)."""
        w = self.weight
        return sparse_limbs(w._replace(shape=w.shape[::-1], rows=w.cols, cols=w.rows))

    def rows_times(self, c: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Exact c @ weight[rows][:, cols] as Python ints (c's columns are the weight's rows `rows`: on a typical node
        most neurons are inactive, and their rows are never multiplied)."""
        bits, limbs = self.transposed_limbs
        return limb_product((bits, [x[cols][:, rows] for x in limbs]), c.T).T


def interval_layer(layer, h_lo: np.ndarray, h_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Grid bounds of z = (W h + b) / D for h in [h_lo, h_hi] (grid), rounded outward, in one product
    [W+ | W-] @ [[h_lo, h_hi], [h_hi, h_lo]]; under float32 widened by the rounding bound E (spec 4.11)."""
    ends = np.stack([np.concatenate([h_lo, h_hi]), np.concatenate([h_hi, h_lo])], axis=1)
    lo, hi = limb_product(layer.sign_limbs, ends).T + layer.bias * ONE
    lo, hi, err = lo // layer.denominator, ceil_div(hi, layer.denominator), layer.error(np.maximum(-h_lo, h_hi))
    return (lo, hi) if err is None else (lo - err, hi + err)


def interval_bounds(layers, lo, hi, lower=(), upper=(), start: int = 0) -> tuple:
    """Interval bounds (spec 4.4) of z(k) for the layers after the first `start` ones, from the grid box (start
    0) or from layer `start`'s bounds (every layer but a network's last is a ReLU layer), intersected with the
    old bounds `lower`, `upper` when given."""
    new_l, new_u = list(lower[:start]), list(upper[:start])
    for k in range(start, len(layers)):
        h_lo, h_hi = (lo, hi) if k == 0 else (np.maximum(new_l[k - 1], 0), np.maximum(new_u[k - 1], 0))
        l, u = interval_layer(layers[k], h_lo, h_hi)
        if lower:
            l, u = np.maximum(l, lower[k]), np.minimum(u, upper[k])
        new_l.append(l)
        new_u.append(u)
    return tuple(new_l), tuple(new_u)


def relaxation(l: np.ndarray, u: np.ndarray, alpha: list | None):
    """Per neuron, on the grid: lower slope, upper slope, upper-line offset t*l (spec 4.5). active (l >= 0): h = z;
    inactive (u <= 0): h = 0; unstable: h >= alpha z (default 1 if u > -l else 0) and h <= t (z - l) with
    t = u/(u-l) rounded up (a steeper line through (l, 0) stays above relu)."""
    zero, one, unstable = ints([0] * len(l)), ints([ONE] * len(l)), (l < 0) & (u > 0)
    slope = ceil_div(u * ONE, np.where(unstable, u - l, 1))
    default = np.where(u > -l, one, zero)
    chosen = default if alpha is None else ints(d if a is None else a for a, d in zip(alpha, default))
    low, up = (np.where(l >= 0, one, np.where(unstable, v, zero)) for v in (chosen, slope))
    return low, up, np.where(unstable, up * l, zero)


def backward_bound(layers, start: int, coeffs: np.ndarray, const: np.ndarray, lower, upper,
                   lo: np.ndarray, hi: np.ndarray, alphas=None, betas=None, errors=None) -> list[Fraction]:
    """Exact lower bounds (one Fraction per row) of `coeffs . z(start) + const` over a node (spec 4.5).

    coeffs: (rows, n_start) ints; const: (rows,) ints. lower/upper: grid bounds per hidden layer (index k-1);
    lo/hi: grid box; alphas[k-1]: grid slopes (None = default); betas: {(k, j): (sigma, grid value)};
    errors[k-1]: float32 grid bounds E of z(k)'s rounding on the node (spec 4.11), or None.
    Only the columns of c that can be nonzero are carried (`cols`): an inactive neuron (h = 0, no beta)
    needs neither its column of W(k) nor its row of W(k-1); two thirds of ACAS Xu's on a typical node."""
    cols = np.flatnonzero((coeffs != 0).any(axis=0))
    c, e, den = coeffs[:, cols], const, 1
    if errors is not None:  # on the grid from the start, so that rounding the error terms down costs < 2^-64
        c, e, den = c * ONE, e * ONE, ONE
    for k in range(start, 0, -1):
        layer = layers[k - 1]
        if errors is not None:  # c . z >= c . (W h + b) - |c| . E; the floor only lowers the bound
            e = (e * ONE - np.abs(c).dot(errors[k - 1][cols])) // ONE
        keep = np.arange(layer.weight.shape[1])  # on x, every column
        if k > 1:
            low, up, offset = relaxation(lower[k - 2], upper[k - 2], alphas[k - 2] if alphas else None)
            beta = ints([0] * len(up))  # sigma * beta per neuron of layer k-1
            for (kk, j), (sigma, value) in (betas or {}).items():
                if kk == k - 1:
                    beta[j] = sigma * value
            keep = np.flatnonzero((up != 0) | (beta != 0))
        e = e * layer.denominator + c.dot(layer.bias[cols])
        c = layer.rows_times(c, cols, keep)
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
        # (c // den, c % den), by shifts when den is a power of two (always, for float32 weights): 3x faster
        grid_c, delta = (c // den, c % den) if den & (den - 1) else (c >> (den.bit_length() - 1), c & (den - 1))
        e = (e + delta.dot(lower[k - 2][keep])) // (den * ONE)
        c, den, cols = grid_c, ONE, keep
    # minimise c . x over the box: x = lo/ONE or hi/ONE per coordinate
    total = e * ONE + np.where(c >= 0, c * lo, c * hi).sum(axis=-1)
    return [Fraction(int(v), den * ONE) for v in total]
