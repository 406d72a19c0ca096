"""Read an ONNX file into exact affine+ReLU layers (`load_network`).

Why this shape: the checker must reason about the *real-valued* function the graph
computes, so every initializer is converted exactly (a float32 is a dyadic rational:
float32 -> float64 -> rational loses nothing) and no float arithmetic is ever done.
The fold's rationals are GMP's (gmpy2.mpq: exact like Python's Fraction, ~10x faster, which
folding float32 error bounds needs); what leaves the module is ints and Fractions.
Rather than interpreting ONNX generally, we run a tiny dataflow over the nodes in
topological order. Each tensor is either a constant (object array of rationals) or
`_Lin`: affine in h, the input of the layer being built (the network input, or the
output of the last ReLU). Affine ops fold into that map; a Relu closes the layer. Any
graph that does not fit this mould is rejected with an `InputError`, never guessed at.

Under `semantics float32` (spec 4.11) the same dataflow also carries, per tensor, a bound on how far
its binary32 value can be from the exact map (`_Err`), composed op by op from lemma 4.11.1; and the
same dataflow, with the input a constant of binary32 values, is the reference execution of witnesses.
"""
from __future__ import annotations

import hashlib
import math
from collections import namedtuple
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Sequence

import numpy as np
import onnx
from gmpy2 import mpq
from onnx import numpy_helper

from .errors import InputError
from . import onnx_maps
from .exact import ONE, Layer
from .sparse import Sparse, objects

SUPPORTED_OPERATORS = ("Add", "AveragePool", "BatchNormalization", "Concat", "Constant", "Conv", "DepthToSpace", "Div",
                       "Expand", "Flatten", "Gather", "Gemm", "GlobalAveragePool", "Identity", "MatMul", "MaxPool",
                       "Mul", "Pad", "Relu", "Reshape", "Slice", "SpaceToDepth", "Squeeze", "Sub", "Tile", "Transpose",
                       "Unsqueeze")
# Attributes we understand; any other (e.g. the pre-opset-7 `broadcast`) changes semantics. (MaxPool's
# storage_order only orders its Indices output, which must be unused.)
_WINDOW = {"auto_pad", "kernel_shape", "pads", "strides"}
_ATTRS = {"Gemm": {"alpha", "beta", "transA", "transB"}, "Flatten": {"axis"}, "Reshape": {"allowzero"},
          "Constant": {"value", "value_float", "value_floats", "value_int", "value_ints"},
          "Transpose": {"perm"}, "Conv": _WINDOW | {"dilations", "group"}, "Concat": {"axis"},
          "AveragePool": _WINDOW | {"ceil_mode", "count_include_pad", "dilations"},
          "MaxPool": _WINDOW | {"ceil_mode", "dilations", "storage_order"}, "Pad": {"mode", "pads", "value"},
          "Squeeze": {"axes"}, "Unsqueeze": {"axes"}, "Gather": {"axis"}, "Slice": {"axes", "ends", "starts"},
          "DepthToSpace": {"blocksize", "mode"}, "SpaceToDepth": {"blocksize"},
          "BatchNormalization": {"epsilon", "momentum", "training_mode"}}
# Operators that only move entries (and fill some with constants): one rule, `_move`.
_MOVES = {"Concat", "DepthToSpace", "Expand", "Flatten", "Gather", "Identity", "Reshape", "Slice", "SpaceToDepth",
          "Squeeze", "Tile", "Transpose", "Unsqueeze"}
_FLOAT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16)
U = mpq(1, 1 << 24)     # unit roundoff of binary32 (round to nearest)
ETA = mpq(1, 1 << 150)  # half the least subnormal: the absolute error of a product or quotient
OVERFLOW = mpq((1 << 128) - (1 << 103))  # the least magnitude that rounds to infinity


def gamma(n: int, mode: str = "float32") -> mpq:
    """Higham's gamma_n = n u / (1 - n u): |prod of n factors (1 + d_i), |d_i| <= u, minus 1| <= gamma_n;
    0 under semantics real, where the ops are exact."""
    return 0 if mode == "real" else n * U / (1 - n * U)


def f32(q):
    """q rounded to binary32, ties to even (subnormals included), exactly, in q's type; OverflowError at infinity."""
    e = q.numerator.bit_length() - q.denominator.bit_length()  # 2^(e-1) < |q| < 2^(e+1)
    two = q ** 0 * 2  # in q's own type: a Fraction, or the fold's mpq
    e = max((e if abs(q) >= two ** e else e - 1) - 23, -149)  # exponent of q's ulp
    r = round(q / two ** e) * two ** e  # round() ties to even (Fraction's and mpq's alike)
    if abs(r) >= 1 << 128:
        raise OverflowError(f"{float(q):.3g} rounds to infinity in binary32")
    return r


@dataclass(frozen=True)
class Network:
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: tuple[Layer, ...]  # the last one has relu=False
    sha256: str                 # of the exact file bytes, binds proofs to this file
    n_inputs: int               # entries of the input and output tensors
    n_outputs: int
    source: bytes = field(default=b"", repr=False, compare=False)  # the file, for float32() and reference()
    semantics: str = "real"     # what the layers' error terms (if any) bound: see _Err

    def float32(self) -> "Network":
        """The same graph folded with its binary32 rounding bounds (spec 4.11)."""
        return _load(self.source, "float32")

    def reference(self, x: Sequence[Fraction]) -> list[Fraction]:
        """The reference binary32 execution (spec 4.11) at a binary32 point x: every op of the graph
        rounded to nearest even, sums in index order, no FMA."""
        return [Fraction(int(v.numerator), int(v.denominator)) for v in _load(self.source, "reference", x)]


# The bounded error of a tensor: |value - (T h + c)| <= A |h| + a (A a Sparse laid out like T), whatever the reason:
# binary32 rounding (float32) and/or an enclosed irrational constant (BatchNormalization, spec 1). float32 only: every
# value computed since h is at most peak[0] max|h| + peak[1]; `terms` = n when the tensor is the result of n-term
# dot products, into which a runtime may fuse a following Add (spec 4.11).
_Err = namedtuple("_Err", "A a terms peak", defaults=(0, (0, 0)))
# A tensor whose flattened entries are T @ h + c; T a Sparse (N, n_h); `epoch`: which layer's input h this is affine
# in (number of layers closed); `err`: an _Err, None under semantics real without a BatchNormalization.
_Lin = namedtuple("_Lin", "shape T c epoch err", defaults=(None,))


def _select(shape: tuple, signs: list, width: int, offset: int, epoch: int, f32: bool) -> _Lin:
    """Entries read back from the layer input h: sum over s of signs[s] * h[offset + s*N + i] (N entries),
    exactly, so with no error bound of their own (no signs: the zero map)."""
    n = math.prod(shape)
    t = Sparse.of((n, width), np.tile(np.arange(n), len(signs)), offset + np.arange(len(signs) * n),
                  [sign for sign in signs for _ in range(n)])
    zero = np.zeros(n, dtype=object)
    return _Lin(tuple(shape), t, zero, epoch, _Err(Sparse.of((n, width), [], [], []), zero) if f32 else None)


def _rounded(out: _Lin, v: _Lin, spread, g: mpq, k=0, products: int = 0, terms: int = 0) -> _Lin:
    """`out` = an op on v, with its error: the op's linear part with absolute values (`spread`) applied to
    v's error and magnitude, times g, the op's relative error: float32 rounding (lemma 4.11.1: gamma g on the
    magnitude of its terms, incl. the constant k, and ETA per product), or an enclosed constant's relative
    width under real (then k = 0, no products), or 0 (an exact op under real: the error only moves)."""
    if v.err is None:
        return out
    e = v.err
    grown = e.A.times(1 + g) + abs(v.T).times(g) if g else e.A  # (no Sparse sum for nothing: exact ops)
    pre = spread(_Lin(v.shape, grown, (1 + g) * e.a + g * np.abs(v.c), v.epoch))
    if g == 0:
        return out._replace(err=e._replace(A=pre.T, a=pre.c))
    fused = gamma(max(e.terms, 1))  # an added constant may pass through every rounding of v's sum
    A, a = pre.T, pre.c + fused * np.abs(np.broadcast_to(k, pre.c.shape)) + products * ETA * (1 + g)
    sums = A @ np.ones(A.shape[1], dtype=object)  # A's row sums (A >= 0): its largest value per unit max|h|
    peak = tuple(max(p, (1 + 1 / g) * max(m, default=0)) for p, m in zip(e.peak, (sums, a)))
    return out._replace(err=_Err(A, a, terms, peak))


def _exact(arr: np.ndarray, what: str) -> np.ndarray:
    """Exact rationals of a numeric array (float16/32/64 widen to float64 exactly). (Under float32 the input is
    binary32, and strict type inference lets no other float type into an operation with it.)"""
    if arr.dtype.kind not in "fiu":
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{what}: element type {arr.dtype} is not supported")
    with np.errstate(invalid="ignore"):  # a NaN widens to NaN, rejected just below; tolist() gives Python ints
        flat = (arr.astype(np.float64) if arr.dtype.kind == "f" else arr).ravel().tolist()
    try:
        return objects([mpq(*v.as_integer_ratio()) for v in flat]).reshape(arr.shape)  # (3x mpq(float)'s speed)
    except (ValueError, OverflowError):
        raise InputError("ONNX_NONFINITE", f"{what} contains NaN or infinity") from None


def _rows(a, idx: np.ndarray, shape: tuple, fill=0):
    """Entry i of the result is entry idx[i] of `a` (constant or not), or `fill` where idx[i] < 0 (reshape, transpose,
    broadcast, pad, gather); the errors move along with the entries."""
    idx = np.asarray(idx, dtype=np.int64).ravel()
    pick = lambda v, f: np.concatenate([objects([f]), v])[np.maximum(idx, -1) + 1]  # f put first, read at idx < 0
    if isinstance(a, np.ndarray):
        return pick(a.ravel(), fill).reshape(shape)
    if np.array_equal(idx, np.arange(len(a.c))):
        return a._replace(shape=tuple(shape))
    err = a.err and a.err._replace(A=a.err.A.take(idx), a=pick(a.err.a, 0))
    return _Lin(tuple(shape), a.T.take(idx), pick(a.c, fill), a.epoch, err)


def _scale(a: _Lin, s: np.ndarray) -> _Lin:
    """Entry i times s[i]; exact for s = -1 (the only use not followed by _rounded)."""
    err = a.err and a.err._replace(A=a.err.A.scale(np.abs(s)), a=a.err.a * np.abs(s))
    return _Lin(a.shape, a.T.scale(s), a.c * s, a.epoch, err)


def _apply(a: _Lin, m: Sparse, shape: tuple) -> _Lin:
    """Left-multiply the map by the constant sparse matrix m (the flattened effect of a linear op)."""
    c = m @ a.c if any(a.c) else np.zeros(m.shape[0], dtype=object)
    return _Lin(tuple(shape), m @ a.T, c, a.epoch)


def _evaluator(node, opset: int):
    """ONNX's reference implementation of the one node, as of the model's opset."""
    from onnx.reference import ReferenceEvaluator  # here: ~50 ms of imports that a graph without such nodes skips
    graph = onnx.helper.make_graph([node], "node", [onnx.ValueInfoProto(name=n) for n in node.input if n],
                                   [onnx.ValueInfoProto(name=node.output[0])])
    return ReferenceEvaluator(graph, opsets={node.domain: opset}).run


def _param(v, what: str) -> np.ndarray:
    """A parameter input of a data-movement node (shape, axes, starts, indices...), as ONNX's reference reads it."""
    if not isinstance(v, np.ndarray) or any(mpq(e).denominator != 1 for e in v.flat):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{what} must be constant integers")
    return np.array([int(e) for e in v.flat], dtype=np.int64).reshape(v.shape)


def _move(node, ins: list, state: dict, where: str):
    """A node that only moves entries (_MOVES), on constants and tensors alike, by ONNX's reference implementation
    run on entry numbers (spec 1): its data inputs (all of Concat's, else the first) hold their entries' numbers
    0..N-1, consecutively, as float64, its other inputs their constant values; run twice, the second time with
    every number shifted by N, each output entry must read some i, then i + N: it is input entry i. numpy only
    moves these numbers, which float64 holds exactly."""
    data = ins if node.op_type == "Concat" else ins[:1]
    sizes = [math.prod(v.shape) for v in data]
    total, starts = sum(sizes), np.cumsum([0] + sizes)
    feeds = {name: _param(v, f"{where}: input {name!r}") for name, v in zip(node.input[len(data):], ins[len(data):])
             if name}
    run = _evaluator(node, state["opset"])
    numbers = lambda shift: {name: np.arange(n, dtype=np.float64).reshape(v.shape) + start + shift
                             for name, v, start, n in zip(node.input, data, starts, sizes)}
    a, b = (run(None, feeds | numbers(shift))[0] for shift in (0, total))
    if np.shape(a) != np.shape(b) or not ((b - a == total) & (a >= 0) & (a < total) & (a % 1 == 0)).all():
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{where}: the result is not made of moved entries")
    out = _rows(_stack([v if isinstance(v, _Lin) else _const(v, state) for v in data]), a, a.shape)
    return out if any(isinstance(v, _Lin) for v in data) else out.c.reshape(a.shape)


def _sum(a: _Lin, b: _Lin, sign: int) -> _Lin:
    """a + sign * b, entrywise in real arithmetic (same shape and epoch); the error bounds add."""
    b = _scale(b, objects([sign] * len(b.c)))
    err = a.err and _Err(a.err.A + b.err.A, a.err.a + b.err.a, max(a.err.terms, b.err.terms),
                         tuple(map(max, a.err.peak, b.err.peak)))
    return _Lin(a.shape, a.T + b.T, a.c + b.c, a.epoch, err)


def _elementwise(op: str, a, b, mode: str, rel=None):
    """Add/Sub/Mul/Div with numpy broadcasting; affine only if linear in h. Under float32 a
    constant result is rounded (one IEEE operation), a linear one carries its rounding bound;
    `rel`: Mul by constants known to a relative error rel (BatchNormalization, semantics real)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        div = np.frompyfunc(lambda p, q: mpq(p) / mpq(q), 2, 1)  # never int / int
        out = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": div}[op](a, b)
        return out if mode == "real" else np.frompyfunc(f32, 1, 1)(out)
    shape = np.broadcast_shapes(a.shape, b.shape)
    wide = lambda v: _rows(v, np.broadcast_to(np.arange(math.prod(v.shape)).reshape(v.shape), shape), shape) \
        if isinstance(v, _Lin) else np.broadcast_to(v, shape).ravel()
    a, b = wide(a), wide(b)
    if isinstance(a, _Lin) and isinstance(b, _Lin):  # x*x is not affine
        if op not in ("Add", "Sub"):
            raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{op} of two input-dependent tensors is not affine")
        # one rounding, bounded as two: a runtime that fuses the residual into a Conv may first add it to the bias;
        # and as t more where an operand is a t-term dot product whose accumulation may absorb the other
        out = _sum(a, b, 1 if op == "Add" else -1)
        mag = a._replace(T=abs(a.T) + abs(b.T), c=np.abs(a.c) + np.abs(b.c), err=out.err)
        g = gamma(2 + (out.err.terms if out.err else 0), mode)
        return _rounded(out, mag, lambda p: p, g)
    lin, k, lin_first = (a, b, True) if isinstance(a, _Lin) else (b, a, False)
    if op in ("Add", "Sub"):
        neg = lin if lin_first or op == "Add" else _scale(lin, objects([-1] * len(k)))
        out = neg._replace(c=neg.c - k if op == "Sub" and lin_first else neg.c + k)
        return _rounded(out, neg, lambda p: p, gamma(1, mode), k)
    if op == "Div" and not lin_first:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "division by an input-dependent tensor is not affine")
    s = k if op == "Mul" else objects([mpq(1) / v for v in k])  # ZeroDivisionError: the caller reports it
    g = gamma(1, mode) if rel is None else rel
    return _rounded(_scale(lin, s), lin, lambda p: _scale(p, np.abs(s)), g, products=int(rel is None))


def _linear(v, m: Sparse, shape: tuple, n: int, mode: str):
    """The linear op m (dot products of at most n terms) on v. Under float32 bounded as n + 1 terms (a runtime
    may fuse the next Add: lemma 4.11.1); the reference execution sums each row in entry (= index) order."""
    if isinstance(v, np.ndarray):
        if mode == "float32":  # in any summation order a constant would be a set of values
            raise InputError("ONNX_FLOAT32", "a dot product of constants under semantics float32")
        if mode == "real":
            return (m @ v.ravel()).reshape(shape)
        out, flat = [mpq(0)] * m.shape[0], v.ravel()
        for r, c, w in zip(m.rows.tolist(), m.cols.tolist(), m.vals):  # in entry (= index) order, each op rounded
            out[r] = f32(out[r] + f32(w * flat[c]))
        return objects(out).reshape(shape)
    g = gamma(n + 1, mode)
    return _rounded(_apply(v, m, shape), v, lambda q: _apply(q, abs(m), shape), g, products=n, terms=n)


def _matmul(a, b, mode: str, flip):
    """numpy.matmul semantics with a constant matrix operand (of two constants the second, unless only the first is
    a matrix), as a linear map on the other (constant or not); `flip` swaps a tensor's last two axes."""
    if isinstance(a, _Lin) and isinstance(b, _Lin):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "MatMul of two input-dependent tensors is not affine")
    k = b if isinstance(b, np.ndarray) and (isinstance(a, _Lin) or b.ndim == 2 or a.ndim != 2) else a
    if k.ndim != 2:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "MatMul with a constant operand that is not a matrix")
    if k is a:  # k @ b = (b^T @ k^T)^T, ^T swapping the last two axes (b @ k^T for a vector b)
        return _matmul(b, k.T, mode, flip) if len(b.shape) == 1 else flip(_matmul(flip(b), k.T, mode, flip))
    (rows, inner), cols = (math.prod(a.shape[:-1]), a.shape[-1]), k.shape[1]
    if inner != k.shape[0]:
        raise ValueError(f"shapes {a.shape} and {k.shape} do not match")
    r, i, j = np.ix_(range(rows), range(inner), range(cols))  # out[r, j] = sum_i a[r, i] k[i, j]
    full = lambda t: np.broadcast_to(t, (rows, inner, cols)).ravel()
    m = Sparse.of((rows * cols, rows * inner), full(r * cols + j), full(r * inner + i), full(k[i, j]))
    return _linear(a, m, a.shape[:-1] + (cols,), inner, mode)


def _affine(a: _Lin, relu: bool) -> Layer:
    """Integer weights over the least common denominator of the layer's exact entries (non-zeros only)."""
    d = math.lcm(*(v.denominator for v in a.T.vals), *(v.denominator for v in a.c))
    to_int = lambda v: int(v.numerator * (d // v.denominator))
    up = lambda v: int(math.ceil(v * ONE))  # onto the grid, up
    err = () if a.err is None else (a.err.A._replace(vals=objects([up(v) for v in a.err.A.vals])),
                                    objects([up(v) for v in a.err.a]), tuple(up(p) for p in a.err.peak))
    return Layer(a.T._replace(vals=objects([to_int(v) for v in a.T.vals])), objects([to_int(v) for v in a.c]), d, relu,
                 *err)


def _stack(parts: list) -> _Lin:
    """The flat tensors one after the other (same epoch)."""
    cat = lambda vs: np.concatenate(list(vs))
    err = parts[0].err and _Err(Sparse.stack([p.err.A for p in parts]), cat(p.err.a for p in parts), 0,
                                tuple(max(p.err.peak[i] for p in parts) for i in range(2)))
    return _Lin((sum(len(p.c) for p in parts),), Sparse.stack([p.T for p in parts]), cat(p.c for p in parts), parts[0].epoch, err)


def _const(v: np.ndarray, state: dict) -> _Lin:
    """A constant as a tensor of the current epoch (no dependence on h, no error)."""
    return _select(v.shape, [], state["width"], 0, state["epoch"], state["err"])._replace(c=v.ravel())


def _nonneg(u: _Lin) -> bool:
    """u >= 0 is evident from its map: after the first closed layer h is a ReLU output, h >= 0, so T h + c with
    T, c >= 0 is, when u carries no error term (a ReLU output, moved, padded with 0, max- or, under real,
    average-pooled)."""
    no_error = u.err is None or not (len(u.err.A.vals) or any(u.err.a))
    return u.epoch > 0 and no_error and bool((u.T.vals >= 0).all() and (u.c >= 0).all())


def _close(state: dict, relu_in: _Lin, carried: list) -> list:
    """Close a layer whose neurons are [relu_in ; every carried tensor ; every other live tensor] and read each
    back in the new epoch (spec 1): relu(relu_in); a tensor u >= 0 (_nonneg) as relu(u) = u, any other as
    relu(u) - relu(-u) = u. Both are identities in real and in binary32 arithmetic: nothing new is trusted.
    Returns relu(relu_in) and the carried tensors, read back."""
    values, live = state["values"], [name for name in state["live"]() if isinstance(state["values"][name], _Lin)]
    parts = [relu_in] + carried + [values[name] for name in live]
    signs = [[1]] + [[1] if _nonneg(u) else [1, -1] for u in parts[1:]]
    flat = [u._replace(shape=(len(u.c),)) for u in parts]
    layer = _stack([v if s == 1 else _scale(v, objects([-1] * len(v.c)))
                    for v, sign in zip(flat, signs) for s in sign])
    state["layers"].append(_affine(layer, relu=True))
    state["epoch"], state["width"] = state["epoch"] + 1, len(layer.c)
    offsets = np.cumsum([0] + [len(sign) * len(u.c) for u, sign in zip(parts, signs)])
    out = [_select(u.shape, sign, len(layer.c), offset, state["epoch"], state["err"])
           for u, sign, offset in zip(parts, signs, offsets)]
    values.update(zip(live, out[len(carried) + 1:]))
    return out[:len(carried) + 1]


def _maxpool(x, cand: np.ndarray, shape: tuple, state: dict):
    """Max over each row of cand (indices into x, -1 = padding). On a tensor: a tournament of exact rewrites
    max(a, b) = b + relu(a - b), one closed layer per round carrying b (spec 1); a padding position, and a row's
    odd one out, stand in as a copy of the row's first candidate (max(a, a) = a). Under float32 max is exact and
    a - b is formed in the model, not rounded, so its bound is A_a + A_b (spec 4.11)."""
    if (cand < 0).all(axis=1).any():
        raise ValueError("a pooling window lies entirely in the padding")
    first = cand[np.arange(len(cand)), (cand >= 0).argmax(axis=1)]
    cand = np.where(cand >= 0, cand, first[:, None])
    if isinstance(x, np.ndarray):
        return objects([max(x.ravel()[row]) for row in cand]).reshape(shape)
    x = x._replace(shape=(len(x.c),))
    while cand.shape[1] > 1:
        cand = np.hstack([cand, cand[:, :cand.shape[1] % 2]])
        a, b = (_rows(x, cand[:, side::2], (cand.size // 2,)) for side in (0, 1))
        relu_d, carry = _close(state, _sum(a, b, -1), [b])
        x, cand = _sum(carry, relu_d, 1), np.arange(cand.size // 2).reshape(len(cand), -1)
    return _rows(x, cand[:, 0], shape)


def _batchnorm(x, params: list, attrs: dict, mode: str, where: str):
    """Inference BatchNormalization y = s (x - mean) + B, s = scale / sqrt(var + eps) per channel (spec 1): the
    exact map uses a dyadic s~ with |s - s~| <= rel |s~|, rel <= 2^-90, computed with integers only, and the
    tensor's error bound takes the enclosure (_rounded with relative error rel)."""
    if mode != "real":
        raise InputError("ONNX_FLOAT32", f"{where} under semantics float32: runtimes fold BatchNormalization into "
                         "the previous Conv with rounded weights, an execution the float32 semantics does not model")
    if attrs.get("training_mode", 0) or not isinstance(x, _Lin) or not all(isinstance(v, np.ndarray) for v in params):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{where}: only the inference form on a computed tensor, "
                         "with constant parameters, is supported")
    scale, bias, mean, var = (v.reshape(-1, *[1] * (len(x.shape) - 2)) for v in params)
    q = var + mpq(attrs.get("epsilon", float(np.float32(1e-5))))  # (a float32 attribute: exact)
    if (q <= 0).any():
        raise ValueError("var + epsilon is not positive")
    r, rel = [], mpq(0)
    for v in q.ravel():  # 1/sqrt(p/d) ~ m/2^k, m = isqrt(d 4^k // p) = floor(2^k sqrt(d/p)) >= 2^90: error < 2^-k
        k = 91 + max(0, v.numerator.bit_length() - v.denominator.bit_length())
        m = math.isqrt((v.denominator << 2 * k) // v.numerator)
        r.append(mpq(m, 1 << k))
        rel = max(rel, mpq(1, m))  # 2^-k = (m/2^k)/m
    s = scale * objects(r).reshape(scale.shape)
    y = _elementwise("Mul", _elementwise("Sub", x, mean, mode), s, mode, rel)
    return _elementwise("Add", y, bias, mode)


def _node(node, op: str, ins: list, attrs: dict, state: dict):
    """Value of one node's (single used) output."""
    x, mode, where = (ins[0] if ins else None), state["mode"], f"{op} (node {node.name or node.output[0]!r})"
    if op in ("Squeeze", "Unsqueeze") and "axes" in attrs:  # onnx's reference for opset < 13 inserts or removes
        # the axes one at a time, wrongly when they are out of order: read as opset 13's axes input instead
        node = onnx.helper.make_node(op, [node.input[0], "axes"], node.output)
        return _move(node, [x, objects(attrs["axes"])], state | {"opset": 13}, where)
    if op in _MOVES:
        return _move(node, ins, state, where)
    if op == "Constant":
        return _exact(_evaluator(node, state["opset"])(None, {})[0], f"constant {node.name}")
    if op in ("Add", "Sub", "Mul", "Div"):
        return _elementwise(op, x, ins[1], mode)
    last2 = lambda v: [*range(len(v.shape) - 2), len(v.shape) - 1, len(v.shape) - 2]  # their last two axes swapped
    flip = lambda v: _move(onnx.helper.make_node("Transpose", ["in"], ["out"], perm=last2(v)), [v], state, where)
    if op == "MatMul":
        return _matmul(x, ins[1], mode, flip)
    shape = x.shape
    if op == "Gemm":
        a, b = (flip(v) if attrs.get(t, 0) else v for v, t in zip(ins, ("transA", "transB")))
        if attrs.get("alpha", 1.0) != 1 or attrs.get("beta", 1.0) != 1:  # exporters write 1 (a runtime may scale
            # inside its blocked sums, beyond the float32 error model): Mul nodes say the same, unambiguously
            raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{where}: alpha or beta other than 1 (use a Mul node)")
        y = _matmul(a, b, mode, flip)
        return y if len(ins) < 3 or ins[2] is None else _elementwise("Add", y, ins[2], mode)
    if op == "Conv":
        w = ins[1]
        if not isinstance(w, np.ndarray) or w.ndim != 4 or len(shape) != 4:
            raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{where}: only 2-D Conv with a constant weight is supported")
        args = onnx_maps.spatial(attrs, attrs.get("kernel_shape", list(w.shape[2:])), where, shape[2:])
        if list(attrs.get("kernel_shape", w.shape[2:])) != list(w.shape[2:]):
            raise ValueError(f"kernel_shape {attrs['kernel_shape']} is not the weight's {w.shape[2:]}")
        m, out, n = onnx_maps.conv(shape, w, attrs.get("group", 1), args)
        y = _linear(x, m, out, n, mode)
        return y if len(ins) < 3 or ins[2] is None else _elementwise("Add", y, ins[2].reshape(-1, 1, 1), mode)
    if op in ("AveragePool", "GlobalAveragePool", "MaxPool"):
        if len(shape) != 4 or (op == "AveragePool" and attrs.get("dilations", [1, 1]) != [1, 1]):
            raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{where}: only 2-D pooling without dilations on average pools")
        kernel = list(shape[2:]) if op == "GlobalAveragePool" else attrs["kernel_shape"]
        args = onnx_maps.spatial(attrs, kernel, where, shape[2:])
        cand, count, out = onnx_maps.pool(shape, kernel, args, attrs.get("count_include_pad", 0))
        if op == "MaxPool":
            return _maxpool(x, cand, out, state)
        m, _, _ = onnx_maps.conv(shape, np.ones((shape[1], 1, *kernel), dtype=object), shape[1], args)
        total = _linear(x, m, out, int(count.max()) + 1, mode)  # + 1: a runtime may multiply by a rounded 1/count
        return _elementwise("Div", total, objects([int(v) for v in count]).reshape(out), mode)
    if op == "Pad":  # onnx's reference Pad (np.pad) does not crop: its own index
        if attrs.get("mode", b"constant") != b"constant" or (len(ins) > 3 and ins[3] is not None):
            raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{where}: only constant Pad on every axis is supported")
        pads = attrs["pads"] if "pads" in attrs else _param(ins[1], f"{where}: pads").tolist()
        fill = mpq(attrs.get("value", 0.0)) if len(ins) < 3 or ins[2] is None else ins[2].ravel()[0]
        idx = onnx_maps.pad_index(shape, pads)
        return _rows(x, idx, idx.shape, fill)
    if op == "BatchNormalization":
        return _batchnorm(x, ins[1:], attrs, mode, where)
    if op == "Relu":
        if isinstance(x, np.ndarray):
            return objects([max(v, mpq(0)) for v in x.ravel()]).reshape(shape)
        return _close(state, x, [])[0]._replace(shape=shape)
    raise AssertionError(op)  # unreachable: filtered against SUPPORTED_OPERATORS


def load_network(path, semantics: str = "real") -> Network:
    """Load and fold an ONNX file for `semantics` ("real" or "float32"); InputError for anything not understood."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError("ONNX_MALFORMED", f"cannot read ONNX model {path}: {e}") from None
    return _load(data, semantics, path=path)


def _load(data: bytes, mode: str, x=None, path="the network"):
    """Fold the graph (mode "real" or "float32") into a Network, or evaluate it at the constant input
    x (mode "reference": the binary32 reference execution, spec 4.11)."""
    try:  # with strict type and shape inference: a graph no runtime would load proves nothing about it
        model = onnx.load_model_from_string(data)
        onnx.checker.check_model(model, full_check=True)
    except onnx.shape_inference.InferenceError as e:
        raise InputError("ONNX_TYPE", f"the ONNX model {path} does not type-check: {str(e).strip()[:300]}") from None
    except Exception as e:  # protobuf, checker and OS errors alike: the file is unusable
        raise InputError("ONNX_MALFORMED", f"cannot read ONNX model {path}: {e}") from None
    g = model.graph
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in g.initializer):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "external tensor data (not covered by the file hash)")
    try:
        arrays = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    except Exception as e:  # inconsistent tensor data that the checker let through
        raise InputError("ONNX_MALFORMED", f"cannot decode an initializer: {e}") from None
    consts = {name: _exact(a, f"initializer {name}") for name, a in arrays.items()}
    inputs = [vi for vi in g.input if vi.name not in consts]
    if len(inputs) != 1 or len(g.output) != 1:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"need exactly one input and one output, got "
                         f"{len(inputs)} input(s) {[vi.name for vi in inputs]} and {len(g.output)} output(s)")
    t = inputs[0].type.tensor_type  # a float tensor of static shape; only a leading (batch) dimension may be symbolic: 1
    dims = [d.dim_value for d in t.shape.dim]
    if t.elem_type not in _FLOAT_TYPES or not t.HasField("shape") or any(v <= 0 for v in dims[1:]):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"input {inputs[0].name!r} must be a float tensor of "
                         "static shape (a symbolic batch dimension is taken as 1)")
    shape = tuple(v if v > 0 else 1 for v in dims)
    if mode != "real" and t.elem_type != onnx.TensorProto.FLOAT:
        raise InputError("ONNX_FLOAT32", "semantics float32 needs a float32 input")
    needed = {g.output[0].name}  # prune nodes the output does not depend on (dead branches)
    for node in reversed(g.node):
        if needed & set(node.output):
            needed |= set(node.input)
    used = [node for node in g.node if needed & set(node.output)]
    values, n = dict(consts), math.prod(shape)
    err = mode == "float32" or any(node.op_type == "BatchNormalization" for node in used)  # every tensor carries _Err
    values[inputs[0].name] = _select(shape, [1], n, 0, 0, err) if x is None else objects(list(x)).reshape(shape)
    # every unsupported operator named at once: a user converting a model wants the whole list
    unsupported = [f"{n.op_type} (node {n.name or n.output[0]!r})" for n in used
                   if n.op_type not in SUPPORTED_OPERATORS or n.domain not in ("", "ai.onnx")]
    if unsupported:
        raise InputError("ONNX_UNSUPPORTED_OP", f"{len(unsupported)} unsupported operator"
                         f"{'s' if len(unsupported) > 1 else ''}: {', '.join(unsupported)}; "
                         f"supported: {', '.join(SUPPORTED_OPERATORS)}")
    last_use = {name: i for i, node in enumerate(used) for name in node.input}
    last_use[g.output[0].name] = len(used)  # live tensors are carried through every closed layer (spec 1)
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 0)  # 0: no standard node
    state = {"layers": [], "epoch": 0, "width": n, "mode": mode, "values": values, "opset": opset, "err": err}
    for i, node in enumerate(used):
        op, where = node.op_type, f"(node {node.name or node.output[0]!r})"
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if set(attrs) - _ATTRS.get(op, set()) or any(name in needed for name in node.output[1:]):
            raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{op} {where}: unsupported attributes "
                             f"{sorted(set(attrs) - _ATTRS.get(op, set()))} or a second output that is used")
        ins = [values.get(name) for name in node.input]
        state["live"] = lambda: [name for name, v in values.items() if last_use.get(name, -1) > i]
        try:
            values[node.output[0]] = _node(node, op, ins, attrs, state)
        except OverflowError as e:  # a binary32 constant or reference value reaches infinity
            raise InputError("FLOAT32_OVERFLOW", f"{op} {where}: {e}") from None
        except (ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, AttributeError, RuntimeError) as e:
            raise InputError("ONNX_MALFORMED", f"{op} {where}: {e}") from None
    out = values.get(g.output[0].name)
    if x is not None:
        return out.ravel()
    if not isinstance(out, _Lin):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "the output does not depend on the input")
    layers = tuple(state["layers"]) + (_affine(out, relu=False),)
    return Network(shape, out.shape, layers, hashlib.sha256(data).hexdigest(), n, len(out.c), data, mode)
