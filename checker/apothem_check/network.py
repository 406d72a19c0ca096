"""Read an ONNX file into exact affine+ReLU layers (`load_network`).

Why this shape: the checker must reason about the *real-valued* function the graph
computes, so every initializer is converted exactly (a float32 is a dyadic rational:
float32 -> float64 -> Fraction loses nothing) and no float arithmetic is ever done.
Rather than interpreting ONNX generally, we run a tiny dataflow over the nodes in
topological order. Each tensor is either a constant (object array of Fractions) or
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
from onnx import numpy_helper

from .errors import InputError
from .exact import ONE

SUPPORTED_OPERATORS = ("Add", "Constant", "Div", "Flatten", "Gemm", "Identity", "MatMul", "Mul",
                       "Relu", "Reshape", "Sub", "Transpose")
# Attributes we understand; any other (e.g. the pre-opset-7 `broadcast`) changes semantics.
_ATTRS = {"Gemm": {"alpha", "beta", "transA", "transB"}, "Flatten": {"axis"}, "Reshape": {"allowzero"},
          "Constant": {"value", "value_float", "value_floats", "value_int", "value_ints"},
          "Transpose": {"perm"}}
_FLOAT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16)
U = Fraction(1, 1 << 24)     # unit roundoff of binary32 (round to nearest)
ETA = Fraction(1, 1 << 150)  # half the least subnormal: the absolute error of a product or quotient
OVERFLOW = Fraction((1 << 128) - (1 << 103))  # the least magnitude that rounds to infinity


def gamma(n: int) -> Fraction:
    """Higham's gamma_n = n u / (1 - n u): |prod of n factors (1 + d_i), |d_i| <= u, minus 1| <= gamma_n."""
    return n * U / (1 - n * U)


def f32(q: Fraction) -> Fraction:
    """q rounded to binary32, ties to even (subnormals included), exactly; OverflowError at infinity."""
    if q == 0:
        return Fraction(0)
    e = q.numerator.bit_length() - q.denominator.bit_length()  # 2^(e-1) < |q| < 2^(e+1)
    e = max((e if abs(q) >= Fraction(2) ** e else e - 1) - 23, -149)  # exponent of q's ulp
    r = round(q / Fraction(2) ** e) * Fraction(2) ** e  # Fraction.__round__ ties to even
    if abs(r) >= 1 << 128:
        raise OverflowError(f"{float(q):.3g} rounds to infinity in binary32")
    return r


class F32(Fraction):
    """A binary32 value whose + and * round like one IEEE operation each, for the reference MatMul
    of the witness check (spec 4.11): numpy's object matmul adds the products in index order."""
    def __add__(a, b):
        return F32(f32(Fraction(a) + Fraction(b)))

    def __mul__(a, b):
        return F32(f32(Fraction(a) * Fraction(b)))


# One layer z = (weight @ h + bias) / denominator, then ReLU if `relu`. Integers only: weight (out, in) and bias
# (out,) object arrays of Python ints, denominator > 0 the least common one of the exact layer. float32 only:
# |z - exact| <= (err_weight @ |h| + err_bias) / 2^64, grid ints rounded up (spec 4.11), and every value computed
# in the layer is <= peak[0] max|h| + peak[1].
Affine = namedtuple("Affine", "weight bias denominator relu err_weight err_bias peak", defaults=(None, None, None))


@dataclass(frozen=True)
class Network:
    input_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: tuple[Affine, ...]  # the last one has relu=False
    sha256: str                 # of the exact file bytes, binds proofs to this file
    source: bytes = field(default=b"", repr=False, compare=False)  # the file, for float32() and reference()

    @property
    def n_inputs(self) -> int:
        return self.layers[0].weight.shape[1]

    @property
    def n_outputs(self) -> int:
        return self.layers[-1].weight.shape[0]

    def evaluate(self, x: Sequence[Fraction]) -> list[Fraction]:
        """Exact forward pass on the flattened (C order) input; integer matrix products."""
        if len(x) != self.n_inputs:
            raise InputError("INPUT_ARITY", f"expected {self.n_inputs} inputs, got {len(x)}")
        h = [Fraction(v) for v in x]
        for layer in self.layers:
            d = math.lcm(*(v.denominator for v in h))  # h = H / d with integer H
            hh = np.array([v.numerator * (d // v.denominator) for v in h], dtype=object)
            num = layer.weight.dot(hh) + layer.bias * d
            h = [Fraction(int(n), layer.denominator * d) for n in num]
            if layer.relu:
                h = [max(v, Fraction(0)) for v in h]
        return h

    def float32(self) -> "Network":
        """The same graph folded with its binary32 rounding bounds (spec 4.11)."""
        return _load(self.source, "float32")

    def reference(self, x: Sequence[Fraction]) -> list[Fraction]:
        """The reference binary32 execution (spec 4.11) at a binary32 point x: every op of the graph
        rounded to nearest even, sums in index order, no FMA."""
        return list(_load(self.source, "reference", x))


# float32 only: |binary32 value - (T h + c)| <= A |h| + a (A laid out like T); every value computed since h is
# at most peak[0] max|h| + peak[1]; `terms` = n when the tensor is the result of n-term dot products, into which a
# runtime may fuse a following Add (spec 4.11).
_Err = namedtuple("_Err", "A a terms peak", defaults=(0, (0, 0)))
# A tensor whose flattened entries are T @ h + c; T is (N, n_h), or (N,) for diag(T); `epoch`: which layer's input
# h this is affine in (number of ReLUs passed); `err`: an _Err, None under semantics real.
_Lin = namedtuple("_Lin", "shape T c epoch err", defaults=(None,))


def _identity(shape: tuple, epoch: int, f32: bool) -> _Lin:
    n = math.prod(shape)
    zero = np.zeros(n, dtype=object)
    return _Lin(tuple(shape), _objs([1] * n), zero, epoch, _Err(zero, zero) if f32 else None)


def _rounded(out: _Lin, v: _Lin, spread, g: Fraction, k=0, products: int = 0, terms: int = 0) -> _Lin:
    """`out` = an op on v, with its float32 error: the op's linear part with absolute values
    (`spread`) applied to v's error and magnitude, plus the op's own rounding (lemma 4.11.1:
    gamma g on the magnitude of its terms, incl. the constant k, and ETA per product)."""
    if v.err is None:
        return out
    e = v.err
    pre = spread(_Lin(v.shape, (1 + g) * e.A + g * abs(v.T), (1 + g) * e.a + g * abs(v.c), v.epoch))
    fused = gamma(max(e.terms, 1))  # an added constant may pass through every rounding of v's sum
    A, a = pre.T, pre.c + fused * np.abs(np.broadcast_to(k, pre.c.shape)) + products * ETA * (1 + g)
    rows = A if A.ndim == 1 else A.sum(axis=1)  # |value| <= (1 + 1/g) (A |h| + a): see lemma 4.11.1
    peak = tuple(max(p, (1 + 1 / g) * max(m, default=0)) for p, m in zip(e.peak, (rows, a)))
    return out._replace(err=_Err(A, a, terms, peak))


def _objs(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _exact(arr: np.ndarray, what: str, mode: str) -> np.ndarray:
    """Exact Fractions of a numeric array (float16/32/64 widen to float64 exactly)."""
    if arr.dtype.kind == "f" and arr.dtype != np.float32 and mode != "real":
        raise InputError("ONNX_FLOAT32", f"{what}: element type {arr.dtype} under semantics float32")
    if arr.dtype.kind == "f":
        with np.errstate(invalid="ignore"):  # a NaN widens to NaN, rejected just below
            flat = arr.astype(np.float64).ravel().tolist()
    elif arr.dtype.kind in "iu":
        flat = [int(v) for v in arr.ravel().tolist()]
    else:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{what}: element type {arr.dtype} is not supported")
    try:
        return _objs([Fraction(v) for v in flat]).reshape(arr.shape)
    except (ValueError, OverflowError):
        raise InputError("ONNX_NONFINITE", f"{what} contains NaN or infinity") from None


def _dense(t: np.ndarray) -> np.ndarray:
    return np.diag(t) if t.ndim == 1 else t


def _rows(a: _Lin, idx: np.ndarray, shape: tuple) -> _Lin:
    """Entry i of the result is entry idx[i] of `a` (reshape, transpose, broadcast)."""
    if np.array_equal(idx, np.arange(len(a.c))):
        return a._replace(shape=tuple(shape))
    err = a.err and a.err._replace(A=_dense(a.err.A)[idx], a=a.err.a[idx])  # the errors move along
    return _Lin(tuple(shape), _dense(a.T)[idx], a.c[idx], a.epoch, err)


def _scale(a: _Lin, s: np.ndarray) -> _Lin:
    """Entry i times s[i]; exact for s = -1 (the only use not followed by _rounded)."""
    col = s if a.T.ndim == 1 else s[:, None]
    err = a.err and a.err._replace(A=a.err.A * np.abs(col), a=a.err.a * np.abs(s))
    return _Lin(a.shape, a.T * col, a.c * s, a.epoch, err)


def _apply(a: _Lin, m: np.ndarray, shape: tuple) -> _Lin:
    """Left-multiply the map by the constant matrix m (the flattened effect of an op)."""
    if a.T.ndim == 2:
        t = m.dot(a.T)
    elif all(v == 1 for v in a.T):
        t = m  # identity: the common first layer, skip 10^5 multiplications by one
    else:
        t = m * a.T[None, :]
    c = m.dot(a.c) if any(a.c) else np.zeros(m.shape[0], dtype=object)
    return _Lin(tuple(shape), t, c, a.epoch)


def _reshape(a, shape: tuple):
    if isinstance(a, np.ndarray):
        return a.reshape(shape)
    if math.prod(shape) != math.prod(a.shape):
        raise ValueError(f"cannot reshape {a.shape} to {shape}")
    return a._replace(shape=tuple(shape))


def _transpose(a, perm):
    if isinstance(a, np.ndarray):
        return a.transpose(perm)
    idx = np.arange(math.prod(a.shape)).reshape(a.shape).transpose(perm)
    return _rows(a, idx.ravel(), idx.shape)


def _elementwise(op: str, a, b, mode: str):
    """Add/Sub/Mul/Div with numpy broadcasting; affine only if linear in h. Under float32 a
    constant result is rounded (one IEEE operation), a linear one carries its rounding bound."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        div = np.frompyfunc(lambda p, q: Fraction(p) / Fraction(q), 2, 1)  # never int / int
        out = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": div}[op](a, b)
        return out if mode == "real" else np.frompyfunc(f32, 1, 1)(out)
    if isinstance(a, _Lin) and isinstance(b, _Lin):  # x*x is not affine; x+x is, but rare: refuse
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{op} of two input-dependent tensors")
    lin, k, lin_first = (a, b, True) if isinstance(a, _Lin) else (b, a, False)
    shape = np.broadcast_shapes(lin.shape, k.shape)
    lin = _rows(lin, np.broadcast_to(np.arange(math.prod(lin.shape)).reshape(lin.shape), shape).ravel(), shape)
    k = np.broadcast_to(k, shape).ravel()
    if op in ("Add", "Sub"):
        neg = lin if lin_first or op == "Add" else _scale(lin, _objs([-1] * len(k)))
        out = neg._replace(c=neg.c - k if op == "Sub" and lin_first else neg.c + k)
        return _rounded(out, neg, lambda p: p, gamma(1), k)
    if op == "Div" and not lin_first:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "division by an input-dependent tensor is not affine")
    s = k if op == "Mul" else _objs([Fraction(1) / v for v in k])  # ZeroDivisionError: the caller reports it
    return _rounded(_scale(lin, s), lin, lambda p: _scale(p, np.abs(s)), gamma(1), products=1)


def _kron_eye(n: int, m: np.ndarray) -> np.ndarray:
    """Block-diagonal matrix of n copies of m (n == 1 in every real network: skip the work)."""
    return m if n == 1 else np.kron(np.identity(n, dtype=object), m)


def _matmul(a, b, mode: str):
    """numpy.matmul semantics; the constant operand must be a matrix. Under float32 a dot product
    of n terms is bounded as one of n + 1 (a runtime may fuse the next Add: lemma 4.11.1)."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        if mode == "float32":  # in any summation order a constant would be a set of values
            raise InputError("ONNX_FLOAT32", "MatMul of two constants under semantics float32")
        if mode == "reference":
            return np.frompyfunc(Fraction, 1, 1)(np.matmul(*(np.frompyfunc(F32, 1, 1)(v) for v in (a, b))))
        return np.matmul(a, b)
    if isinstance(a, _Lin) and isinstance(b, _Lin):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "MatMul of two input-dependent tensors is not affine")
    k = b if isinstance(b, np.ndarray) else a
    if k.ndim != 2:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "MatMul with a constant operand that is not a matrix")
    if isinstance(a, _Lin):  # a: (*batch, k) -> (*batch, n): each row is multiplied by k
        if a.shape[-1] != k.shape[0]:
            raise ValueError(f"shapes {a.shape} and {k.shape} do not match")
        v, m, shape, n = a, _kron_eye(math.prod(a.shape[:-1]), k.T), a.shape[:-1] + (k.shape[1],), k.shape[0]
    else:
        vec = len(b.shape) == 1  # b: (k,) or (*batch, k, p)
        shape = (k.shape[0],) if vec else b.shape[:-2] + (k.shape[0], b.shape[-1])
        if (b.shape[0] if vec else b.shape[-2]) != k.shape[1]:
            raise ValueError(f"shapes {k.shape} and {b.shape} do not match")
        p = 1 if vec else b.shape[-1]
        m = k if p == 1 else np.kron(k, np.identity(p, dtype=object))  # acts on each of the p columns
        v, m, n = b, _kron_eye(math.prod(b.shape[:-2]), m), k.shape[1]
    return _rounded(_apply(v, m, shape), v, lambda q: _apply(q, np.abs(m), shape), gamma(n + 1), products=n, terms=n)


def _affine(a: _Lin, relu: bool) -> Affine:
    """Integer weights over the least common denominator of the layer's exact entries."""
    w, c = _dense(a.T), a.c
    d = math.lcm(*(v.denominator for v in w.ravel()), *(v.denominator for v in c))
    ints = lambda m: _objs([int(v.numerator * (d // v.denominator)) for v in m.ravel()]).reshape(m.shape)
    if a.err is None:
        return Affine(ints(w), ints(c), d, relu)
    up = lambda m: _objs([math.ceil(v * ONE) for v in m.ravel()]).reshape(m.shape)  # onto the grid, up
    return Affine(ints(w), ints(c), d, relu, up(_dense(a.err.A)), up(a.err.a), a.err.peak)


def _node(node, op: str, ins: list, attrs: dict, state: dict):
    """Value of one node's (single) output."""
    x = ins[0] if ins else None
    if op == "Identity":
        return x
    if op == "Constant":
        (key, v), = [("value", attrs["value"])] if "value" in attrs else attrs.items()
        arr = numpy_helper.to_array(v) if key == "value" else np.array(v, dtype=np.float32 if "float" in key else None)
        return _exact(arr, f"constant {node.name}", state["mode"])
    if op in ("Add", "Sub", "Mul", "Div"):
        return _elementwise(op, x, ins[1], state["mode"])
    if op == "MatMul":
        return _matmul(x, ins[1], state["mode"])
    shape = x.shape
    if op == "Flatten":
        axis = attrs.get("axis", 1)
        if not -len(shape) <= axis <= len(shape):
            raise ValueError(f"axis {axis} out of range for rank {len(shape)}")
        axis += len(shape) if axis < 0 else 0
        return _reshape(x, (math.prod(shape[:axis]), math.prod(shape[axis:])))
    if op == "Reshape":
        if any(Fraction(v).denominator != 1 for v in ins[1].ravel()):
            raise ValueError("expected integers")
        dims = [shape[i] if v == 0 and not attrs.get("allowzero") else int(v) for i, v in enumerate(ins[1].ravel())]
        if -1 in dims:
            dims[dims.index(-1)] = math.prod(shape) // -math.prod(dims) if math.prod(dims) else 0
        return _reshape(x, tuple(dims))
    if op == "Transpose":
        return _transpose(x, attrs.get("perm", list(range(len(shape)))[::-1]))
    if op == "Gemm":
        a, b = (_transpose(v, (1, 0)) if attrs.get(t, 0) else v for v, t in zip(ins, ("transA", "transB")))
        alpha, beta, mode = Fraction(attrs.get("alpha", 1.0)), Fraction(attrs.get("beta", 1.0)), state["mode"]
        if mode != "real" and (alpha != 1 or beta != 1):  # where a runtime scales inside its blocked sums
            raise InputError("ONNX_FLOAT32", f"Gemm {node.name!r} with alpha or beta other than 1 under semantics float32")
        y = _matmul(a, b, mode)
        y = y if alpha == 1 else _elementwise("Mul", y, _objs([alpha]), mode)
        if len(ins) > 2 and ins[2] is not None:
            y = _elementwise("Add", y, ins[2] if beta == 1 else _elementwise("Mul", ins[2], _objs([beta]), mode), mode)
        return y
    if op == "Relu":
        if isinstance(x, np.ndarray):
            return _objs([max(v, Fraction(0)) for v in x.ravel()]).reshape(shape)
        state["layers"].append(_affine(x, relu=True))
        state["epoch"] += 1
        return _identity(shape, state["epoch"], state["mode"] != "real")
    raise AssertionError(op)  # unreachable: filtered against SUPPORTED_OPERATORS


def load_network(path) -> Network:
    """Load and fold an ONNX file; raises InputError for anything not understood."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise InputError("ONNX_MALFORMED", f"cannot read ONNX model {path}: {e}") from None
    return _load(data, "real", path=path)


def _load(data: bytes, mode: str, x=None, path="the network"):
    """Fold the graph (mode "real" or "float32") into a Network, or evaluate it at the constant input
    x (mode "reference": the binary32 reference execution, spec 4.11)."""
    try:
        model = onnx.load_model_from_string(data)
        onnx.checker.check_model(model)
    except Exception as e:  # protobuf, checker and OS errors alike: the file is unusable
        raise InputError("ONNX_MALFORMED", f"cannot read ONNX model {path}: {e}") from None
    try:  # strict type and shape inference: a graph no runtime would load proves nothing about it
        onnx.checker.check_model(model, full_check=True)
    except Exception as e:
        raise InputError("ONNX_TYPE", f"the ONNX model {path} does not type-check: {str(e).strip()[:300]}") from None
    g = model.graph
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in g.initializer):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "external tensor data (not covered by the file hash)")
    try:
        arrays = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    except Exception as e:  # inconsistent tensor data that the checker let through
        raise InputError("ONNX_MALFORMED", f"cannot decode an initializer: {e}") from None
    consts = {name: _exact(a, f"initializer {name}", mode) for name, a in arrays.items()}
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
    values = dict(consts)
    values[inputs[0].name] = _identity(shape, 0, mode == "float32") if x is None else _objs(list(x)).reshape(shape)
    needed = {g.output[0].name}  # prune nodes the output does not depend on (dead branches)
    for node in reversed(g.node):
        if needed & set(node.output):
            needed |= set(node.input)
    used = [node for node in g.node if needed & set(node.output)]
    # every unsupported operator named at once: a user converting a model wants the whole list
    unsupported = [f"{n.op_type} (node {n.name or n.output[0]!r})" for n in used
                   if n.op_type not in SUPPORTED_OPERATORS or n.domain not in ("", "ai.onnx")]
    if unsupported:
        raise InputError("ONNX_UNSUPPORTED_OP", f"{len(unsupported)} unsupported operator"
                         f"{'s' if len(unsupported) > 1 else ''}: {', '.join(unsupported)}; "
                         f"supported: {', '.join(SUPPORTED_OPERATORS)}")
    state = {"layers": [], "epoch": 0, "mode": mode}
    for node in used:
        op, where = node.op_type, f"(node {node.name or node.output[0]!r})"
        attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
        if set(attrs) - _ATTRS.get(op, set()) or len(node.output) != 1:
            raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{op} {where}: unsupported attributes "
                             f"{sorted(set(attrs) - _ATTRS.get(op, set()))} or several outputs")
        ins = [values.get(i) for i in node.input]
        if any(isinstance(v, _Lin) and v.epoch != state["epoch"] for v in ins):
            raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{op} {where} uses a value from before the "
                             "last Relu: only a plain chain of affine+ReLU layers is supported")
        try:
            values[node.output[0]] = _node(node, op, ins, attrs, state)
        except OverflowError as e:  # a binary32 constant or reference value reaches infinity
            raise InputError("FLOAT32_OVERFLOW", f"{op} {where}: {e}") from None
        except (ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, AttributeError) as e:
            raise InputError("ONNX_MALFORMED", f"{op} {where}: {e}") from None
    out = values.get(g.output[0].name)
    if x is not None:
        return out.ravel()
    if not isinstance(out, _Lin) or out.epoch != state["epoch"]:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "the output is not the end of the affine+ReLU chain")
    layers = tuple(state["layers"]) + (_affine(out, relu=False),)
    return Network(inputs[0].name, shape, out.shape, layers, hashlib.sha256(data).hexdigest(), data)
