"""The network as float64 matrices, layered exactly as the checker folds it (spec section 1).

Under `semantics float32` (spec 4.11) each layer also carries the checker's own bound on the
rounding of its pre-activations, |z(k) - (W h + b)| <= err_weight |h| + err_bias, read from the
folded network (never re-derived here: the prover must widen by what the checker subtracts), so
that the float search closes only what the exact replay accepts."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FloatNet:
    weights: tuple  # W(k), k = 1..K, shape (n_k, n_{k-1})
    biases: tuple   # b(k), shape (n_k,)
    errors: tuple | None = None  # error terms (float32 rounding, or a BatchNormalization's enclosure under real):
    # (err_weight (n_k, n_{k-1}), err_bias (n_k,)) per layer, rounded up

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
        return h_abs @ w.T + b

    @classmethod
    def of(cls, network) -> "FloatNet":
        ws, bs = [], []
        # float32 grid bounds (units 2^-64) as float64, one ulp up: float() rounds to nearest
        up = lambda a: np.nextafter(np.array(a, dtype=float) / 2.0 ** 64, np.inf)
        errors = None if network.layers[0].err_weight is None else [
            (up(layer.err_weight.todense()), up(layer.err_bias)) for layer in network.layers]
        for layer in network.layers:  # Python's int / int rounds correctly, even for enormous denominators
            d = layer.denominator
            ws.append(np.array(layer.weight.todense(lambda v: v / d), dtype=float))
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
            h = h @ w.T + b
            if k < self.depth - 1:
                h = np.maximum(h, 0.0)
        return h
