"""Exact sparse matrices for the network loader (`Sparse`): coordinates in int64, values Python objects.

Why: a convolution's map is mostly zeros (verivital's first layer is 23,328 x 784 with 4 non-zeros a
row), and folding dense Fraction matrices costs time and memory in the product of the dimensions.
Every operation here costs time in proportion to the non-zeros; values stay exact (Fractions or ints),
numpy only moves coordinates and applies Python arithmetic elementwise.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np


def objects(values) -> np.ndarray:
    """A 1-D object array of the values (np.array would make a 2-D array of a list of tuples)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values)
    return out


def _times(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a * b entrywise; a side of ones (identities, selections: most maps of a graph) costs no Python product."""
    return a if (b == 1).all() else b if (a == 1).all() else a * b


class Sparse(namedtuple("Sparse", "shape rows cols vals")):
    """(N, n) matrix: entries vals[i] at (rows[i], cols[i]), sorted by (row, col), no duplicates, no zeros."""

    @classmethod
    def of(cls, shape, rows, cols, vals) -> "Sparse":
        """From coordinates in any order, duplicates summed (np.add.reduceat on sorted keys), zeros dropped."""
        rows, cols = np.asarray(rows, dtype=np.int64), np.asarray(cols, dtype=np.int64)
        vals = vals if isinstance(vals, np.ndarray) and vals.dtype == object else objects(vals)
        key = rows * shape[1] + cols
        order = np.argsort(key, kind="stable")
        key, vals = key[order], vals[order]
        if len(key):
            starts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
            key, vals = key[starts], np.add.reduceat(vals, starts)
            keep = vals != 0
            key, vals = key[keep], vals[keep]
        return cls(tuple(shape), key // max(shape[1], 1), key % max(shape[1], 1), vals)

    @property
    def indptr(self) -> np.ndarray:  # row i's entries are at indptr[i]:indptr[i + 1]
        return np.searchsorted(self.rows, np.arange(self.shape[0] + 1))

    def take(self, idx: np.ndarray) -> "Sparse":
        """Row i of the result is row idx[i], or zero where idx[i] < 0 (padding)."""
        idx = np.asarray(idx, dtype=np.int64)
        ptr = np.append(self.indptr, len(self.rows))  # idx < 0 reads an empty row even when there is none
        start = np.where(idx >= 0, ptr[np.maximum(idx, 0)], 0)
        length = np.where(idx >= 0, ptr[np.maximum(idx, 0) + 1] - start, 0)
        pos = np.repeat(start - np.cumsum(length) + length, length) + np.arange(length.sum())
        return Sparse((len(idx), self.shape[1]), np.repeat(np.arange(len(idx)), length), self.cols[pos], self.vals[pos])

    def scale(self, s: np.ndarray) -> "Sparse":
        """Row i times s[i]."""
        return Sparse.of(self.shape, self.rows, self.cols, self.vals * s[self.rows])

    def __abs__(self) -> "Sparse":
        return self._replace(vals=np.abs(self.vals))

    def __add__(self, other: "Sparse") -> "Sparse":
        return Sparse.of(self.shape, *(np.concatenate([a, b]) for a, b in zip(self[1:], other[1:])))

    def __matmul__(self, t):
        """self @ t for a Sparse t (each non-zero of self meets the row of t it selects) or a vector."""
        if not isinstance(t, Sparse):
            out = np.zeros(self.shape[0], dtype=object)
            np.add.at(out, self.rows, _times(self.vals, t[self.cols]))  # sequentially, in entry order
            return out
        ptr = t.indptr
        length = ptr[self.cols + 1] - ptr[self.cols]
        pos = np.repeat(ptr[self.cols] - np.cumsum(length) + length, length) + np.arange(length.sum())
        vals = _times(np.repeat(self.vals, length), t.vals[pos])
        return Sparse.of((self.shape[0], t.shape[1]), np.repeat(self.rows, length), t.cols[pos], vals)

    @classmethod
    def stack(cls, ms: list) -> "Sparse":
        """The matrices' rows one after the other (same number of columns)."""
        offsets = np.cumsum([0] + [m.shape[0] for m in ms])
        return cls((int(offsets[-1]), ms[0].shape[1]), *(np.concatenate(v) for v in zip(*(
            (m.rows + o, m.cols, m.vals) for m, o in zip(ms, offsets)))))

    def times(self, k) -> "Sparse":
        return self._replace(vals=self.vals * k)
