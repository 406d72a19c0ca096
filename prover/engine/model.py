"""The network as float64 matrices, layered exactly as the checker folds it (spec section 1)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class FloatNet:
    weights: tuple  # W(k), k = 1..K, shape (n_k, n_{k-1})
    biases: tuple   # b(k), shape (n_k,)

    @property
    def depth(self) -> int:
        """K: number of affine layers; hidden layers are 1..K-1."""
        return len(self.weights)

    @property
    def widths(self) -> list[int]:
        return [self.weights[0].shape[1]] + [w.shape[0] for w in self.weights]

    @classmethod
    def of(cls, network) -> "FloatNet":
        ws, bs = [], []
        for layer in network.layers:
            den = float(layer.denominator) if layer.denominator < 2 ** 1000 else None
            w = np.array(layer.weight, dtype=float)
            b = np.array(layer.bias, dtype=float)
            if den is None:  # enormous denominators: scale via Python ints
                w = np.array([[float(v) / layer.denominator for v in row] for row in layer.weight])
                b = np.array([float(v) / layer.denominator for v in layer.bias])
            else:
                w, b = w / den, b / den
            ws.append(w)
            bs.append(b)
        if network.layers[-1].relu:  # a ReLU on the output: the checker's y is then an identity layer
            n = ws[-1].shape[0]
            ws.append(np.eye(n))
            bs.append(np.zeros(n))
        return cls(tuple(ws), tuple(bs))

    def astype(self, dtype) -> "FloatNet":
        return FloatNet(tuple(w.astype(dtype) for w in self.weights), tuple(b.astype(dtype) for b in self.biases))

    def forward(self, x: np.ndarray) -> np.ndarray:
        """Outputs for a batch of inputs x (B, n_0)."""
        h = x
        for k, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = h @ w.T + b
            if k < self.depth - 1:
                h = np.maximum(h, 0.0)
        return h
