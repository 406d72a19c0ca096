"""The network as float64 matrices, layered exactly as the checker folds it (spec section 1).

Under `semantics float32` (spec 4.11) each layer also carries the checker's own bound on the
rounding of its pre-activations, |z(k) - (W h + b)| <= err_weight |h| + err_bias, read from the
folded network (never re-derived here: the prover must widen by what the checker subtracts), so
that the float search closes only what the exact replay accepts.

A layer with at most 1/8 of its entries non-zero (convolutions, pooling) is a `scipy.sparse.csr_array`,
any other a dense numpy array (float64 products go through BLAS, so dense pays here, unlike the
checker's int64 limbs). Why sparse: verivital's Convnet_maxpool folds into layers up to 23,328 x 784
and 18,432 x 23,328 with a few non-zeros a row; dense they take more than 5 GB and a backward pass
some 1e11 flops. Consumers multiply through `FloatNet.apply`, `FloatNet.pullback` and the sign parts
`positive` / `negative`, which take both kinds; on dense layers they compute exactly the products the
engine always computed."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


def is_sparse(w) -> bool:
    return not isinstance(w, np.ndarray)


def times_transpose(x: np.ndarray, w) -> np.ndarray:
    """x @ w.T for x (..., n) and w (m, n) dense or CSR. Dense: numpy's product as written. CSR only
    multiplies from the left, so the batch is flattened: (w @ x.T).T."""
    if not is_sparse(w):
        return x @ w.T
    flat = x.reshape(-1, x.shape[-1])
    return (w @ flat.T).T.reshape(x.shape[:-1] + (w.shape[0],))


def layer_matrix(m, convert, sparse: bool):
    """A checker `Sparse` (exact entries) as float64: CSR when `sparse`, else dense. `convert` maps an object
    array of entries to floats; dense, it sees the zeros too (as the int 0)."""
    if not sparse:
        dense = np.zeros(m.shape, dtype=object)
        dense[m.rows, m.cols] = m.vals
        return convert(dense)
    from scipy.sparse import csr_array  # SciPy costs 0.35 s per process; dense networks never import it here
    return csr_array((convert(m.vals), m.cols, m.indptr), shape=m.shape)


def _sign_parts(w) -> tuple:
    if is_sparse(w):
        return w.maximum(0.0), w.minimum(0.0)
    return np.maximum(w, 0.0), np.minimum(w, 0.0)


def _transpose(w):
    return w.T.tocsr() if is_sparse(w) else w.T


@dataclass(frozen=True)
class FloatNet:
    weights: tuple  # W(k), k = 1..K, shape (n_k, n_{k-1}), dense or CSR
    biases: tuple   # b(k), shape (n_k,)
    errors: tuple | None = None  # error terms (float32 rounding, or a BatchNormalization's enclosure under real):
    # (err_weight (n_k, n_{k-1}), err_bias (n_k,)) per layer, rounded up
    # derived once from the weights (__post_init__): W(k).T (CSR for a CSR layer), max(W, 0), min(W, 0)
    transposed: tuple = field(init=False, repr=False, compare=False)
    positive: tuple = field(init=False, repr=False, compare=False)
    negative: tuple = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        parts = [_sign_parts(w) for w in self.weights]
        object.__setattr__(self, "transposed", tuple(_transpose(w) for w in self.weights))
        object.__setattr__(self, "positive", tuple(p for p, _ in parts))
        object.__setattr__(self, "negative", tuple(n for _, n in parts))

    def apply(self, k: int, h: np.ndarray) -> np.ndarray:
        """W(k) h for a batch h (..., n_{k-1}), no bias: h @ W(k).T."""
        return times_transpose(h, self.weights[k - 1])

    def pullback(self, k: int, c: np.ndarray) -> np.ndarray:
        """c W(k) for coefficient rows c (..., n_k) on z(k): c @ W(k)."""
        return times_transpose(c, self.transposed[k - 1])

    @property
    def depth(self) -> int:
        """K: number of affine layers; hidden layers are 1..K-1."""
        return len(self.weights)

    @property
    def widths(self) -> list[int]:
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    def rounding(self, k: int, h_abs: np.ndarray) -> np.ndarray | None:
        """E_k = err_weight |h| + err_bias: the bound on the rounding of z(k) when |h(k-1)| <= h_abs
        (B, n_{k-1}), as the checker computes it on a node; None under semantics real."""
        if self.errors is None:
            return None
        w, b = self.errors[k - 1]
        return times_transpose(h_abs, w) + b

    @classmethod
    def of(cls, network) -> "FloatNet":
        ws, bs = [], []
        sparse = [8 * len(layer.weight.vals) <= layer.weight.shape[0] * layer.weight.shape[1]
                  for layer in network.layers]
        # float32 grid bounds (units 2^-64) as float64, one ulp up: float() rounds to nearest
        up = lambda a: np.nextafter(np.array(a, dtype=float) / 2.0 ** 64, np.inf)
        errors = None if network.layers[0].err_weight is None else [
            (layer_matrix(layer.err_weight, up, s), up(layer.err_bias)) for layer, s in zip(network.layers, sparse)]
        for layer, s in zip(network.layers, sparse):
            d = layer.denominator  # Python's int / int (entrywise on object arrays) rounds correctly, even for huge d
            ws.append(layer_matrix(layer.weight, lambda a: np.array(a / d, dtype=float), s))
            bs.append(np.array([v / d for v in layer.bias], dtype=float))
        if network.layers[-1].relu:  # a ReLU on the output: the checker's y is then an identity layer
            n = ws[-1].shape[0]
            ws.append(np.eye(n))
            bs.append(np.zeros(n))
            if errors is not None:  # an identity is exact
                errors.append((np.zeros((n, n)), np.zeros(n)))
        return cls(tuple(ws), tuple(bs), None if errors is None else tuple(errors))

    def astype(self, dtype) -> "FloatNet":
        errors = None if self.errors is None else tuple((w.astype(dtype), b.astype(dtype)) for w, b in self.errors)
        return FloatNet(tuple(w.astype(dtype) for w in self.weights), tuple(b.astype(dtype) for b in self.biases),
                        errors)

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Outputs for a batch of inputs x (B, n_0)."""
        h = x
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = times_transpose(h, w) + b
            if k < self.depth - 1:
                h = np.maximum(h, 0.0)
        return h
