"""Read an ONNX file into exact affine+ReLU layers (`load_network`).

Why this shape: the checker must reason about the *real-valued* function the graph
computes, so every initializer is converted exactly (a float32 is a dyadic rational:
float32 -> float64 -> Fraction loses nothing) and no float arithmetic is ever done.
Rather than interpreting ONNX generally, we run a tiny dataflow over the nodes in
topological order. Each tensor is either a constant (object array of Fractions) or
`_Lin`: affine in h, the input of the layer being built (the network input, or the
output of the last ReLU). Affine ops fold into that map; a Relu closes the layer. Any
graph that does not fit this mould is rejected with an `InputError`, never guessed at.
"""
from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np
import onnx
from onnx import numpy_helper

from .errors import InputError

SUPPORTED_OPERATORS = ("Add", "Constant", "Div", "Flatten", "Gemm", "Identity", "MatMul", "Mul",
                       "Relu", "Reshape", "Sub", "Transpose")
# Attributes we understand; any other (e.g. the pre-opset-7 `broadcast`) changes semantics.
_ATTRS = {"Gemm": {"alpha", "beta", "transA", "transB"}, "Flatten": {"axis"}, "Reshape": {"allowzero"},
          "Constant": {"value", "value_float", "value_floats", "value_int", "value_ints"},
          "Transpose": {"perm"}}
_FLOAT_TYPES = (onnx.TensorProto.FLOAT, onnx.TensorProto.DOUBLE, onnx.TensorProto.FLOAT16)


@dataclass(frozen=True)
class Affine:
    """One layer z = (weight @ h + bias) / denominator, then ReLU if `relu`. Integers only."""
    weight: np.ndarray  # dtype=object, Python ints, shape (out, in)
    bias: np.ndarray    # dtype=object, Python ints, shape (out,)
    denominator: int    # > 0, the smallest common denominator of the exact layer
    relu: bool


@dataclass(frozen=True)
class Network:
    input_name: str
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    layers: tuple[Affine, ...]  # the last one has relu=False
    sha256: str                 # of the exact file bytes, binds proofs to this file

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


@dataclass(frozen=True)
class _Lin:
    """A tensor whose flattened entries are T @ h + c; T is (N, n_h), or (N,) for diag(T)."""
    shape: tuple
    T: np.ndarray
    c: np.ndarray
    epoch: int  # which layer's input h this is affine in (number of ReLUs passed)


def _identity(shape: tuple, epoch: int) -> _Lin:
    n = math.prod(shape)
    return _Lin(tuple(shape), _objs([1] * n), np.zeros(n, dtype=object), epoch)


def _objs(values) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    out[:] = values
    return out


def _exact(arr: np.ndarray, what: str) -> np.ndarray:
    """Exact Fractions of a numeric array (float16/32/64 widen to float64 exactly)."""
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


def _ints(k: np.ndarray) -> list[int]:
    if any(Fraction(v).denominator != 1 for v in k.ravel()):
        raise ValueError("expected integers")
    return [int(v) for v in k.ravel()]


def _dense(t: np.ndarray) -> np.ndarray:
    return np.diag(t) if t.ndim == 1 else t


def _rows(a: _Lin, idx: np.ndarray, shape: tuple) -> _Lin:
    """Entry i of the result is entry idx[i] of `a` (reshape, transpose, broadcast)."""
    if np.array_equal(idx, np.arange(len(a.c))):
        return _Lin(tuple(shape), a.T, a.c, a.epoch)
    return _Lin(tuple(shape), _dense(a.T)[idx], a.c[idx], a.epoch)


def _scale(a: _Lin, s: np.ndarray) -> _Lin:
    return _Lin(a.shape, a.T * (s if a.T.ndim == 1 else s[:, None]), a.c * s, a.epoch)


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
    return _Lin(tuple(shape), a.T, a.c, a.epoch)


def _transpose(a, perm):
    if isinstance(a, np.ndarray):
        return a.transpose(perm)
    idx = np.arange(math.prod(a.shape)).reshape(a.shape).transpose(perm)
    return _rows(a, idx.ravel(), idx.shape)


def _elementwise(op: str, a, b):
    """Add/Sub/Mul/Div with numpy broadcasting; affine only if linear in h."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        div = np.frompyfunc(lambda p, q: Fraction(p) / Fraction(q), 2, 1)  # never int / int
        return {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": div}[op](a, b)
    if isinstance(a, _Lin) and isinstance(b, _Lin):  # x*x is not affine; x+x is, but rare: refuse
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"{op} of two input-dependent tensors")
    lin, k, lin_first = (a, b, True) if isinstance(a, _Lin) else (b, a, False)
    shape = np.broadcast_shapes(lin.shape, k.shape)
    lin = _rows(lin, np.broadcast_to(np.arange(math.prod(lin.shape)).reshape(lin.shape), shape).ravel(), shape)
    k = np.broadcast_to(k, shape).ravel()
    if op == "Add":
        return _Lin(lin.shape, lin.T, lin.c + k, lin.epoch)
    if op == "Sub":
        neg = lin if lin_first else _scale(lin, _objs([-1] * len(k)))
        return _Lin(lin.shape, neg.T, neg.c - k if lin_first else neg.c + k, lin.epoch)
    if op == "Mul":
        return _scale(lin, k)
    if not lin_first:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "division by an input-dependent tensor is not affine")
    return _scale(lin, _objs([Fraction(1) / v for v in k]))  # ZeroDivisionError is reported by the caller


def _kron_eye(n: int, m: np.ndarray) -> np.ndarray:
    """Block-diagonal matrix of n copies of m (n == 1 in every real network: skip the work)."""
    return m if n == 1 else np.kron(np.identity(n, dtype=object), m)


def _matmul(a, b):
    """numpy.matmul semantics; the constant operand must be a matrix."""
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return np.matmul(a, b)
    if isinstance(a, _Lin) and isinstance(b, _Lin):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "MatMul of two input-dependent tensors is not affine")
    k = b if isinstance(b, np.ndarray) else a
    if k.ndim != 2:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "MatMul with a constant operand that is not a matrix")
    if isinstance(a, _Lin):  # a: (*batch, k) -> (*batch, n): each row is multiplied by k
        if a.shape[-1] != k.shape[0]:
            raise ValueError(f"shapes {a.shape} and {k.shape} do not match")
        return _apply(a, _kron_eye(math.prod(a.shape[:-1]), k.T), a.shape[:-1] + (k.shape[1],))
    vec = len(b.shape) == 1  # b: (k,) or (*batch, k, p)
    shape = (k.shape[0],) if vec else b.shape[:-2] + (k.shape[0], b.shape[-1])
    if (b.shape[0] if vec else b.shape[-2]) != k.shape[1]:
        raise ValueError(f"shapes {k.shape} and {b.shape} do not match")
    p = 1 if vec else b.shape[-1]
    m = k if p == 1 else np.kron(k, np.identity(p, dtype=object))  # acts on each of the p columns
    return _apply(b, _kron_eye(math.prod(b.shape[:-2]), m), shape)


def _affine(a: _Lin, relu: bool) -> Affine:
    """Integer weights over the least common denominator of the layer's exact entries."""
    w, c = _dense(a.T), a.c
    d = math.lcm(*(v.denominator for v in w.ravel()), *(v.denominator for v in c))
    ints = lambda m: _objs([int(v.numerator * (d // v.denominator)) for v in m.ravel()]).reshape(m.shape)
    return Affine(ints(w), ints(c), d, relu)


def _node(node, op: str, ins: list, attrs: dict, state: dict):
    """Value of one node's (single) output."""
    x = ins[0] if ins else None
    if op == "Identity":
        return x
    if op == "Constant":
        if "value" in attrs:
            return _exact(numpy_helper.to_array(attrs["value"]), f"constant {node.name}")
        (key, v), = attrs.items()
        return _exact(np.array(v), f"constant {node.name}")
    if op in ("Add", "Sub", "Mul", "Div"):
        return _elementwise(op, x, ins[1])
    if op == "MatMul":
        return _matmul(x, ins[1])
    shape = x.shape
    if op == "Flatten":
        axis = attrs.get("axis", 1)
        if not -len(shape) <= axis <= len(shape):
            raise ValueError(f"axis {axis} out of range for rank {len(shape)}")
        axis += len(shape) if axis < 0 else 0
        return _reshape(x, (math.prod(shape[:axis]), math.prod(shape[axis:])))
    if op == "Reshape":
        dims = [shape[i] if v == 0 and not attrs.get("allowzero") else v for i, v in enumerate(_ints(ins[1]))]
        if -1 in dims:
            dims[dims.index(-1)] = math.prod(shape) // -math.prod(dims) if math.prod(dims) else 0
        return _reshape(x, tuple(dims))
    if op == "Transpose":
        return _transpose(x, attrs.get("perm", list(range(len(shape)))[::-1]))
    if op == "Gemm":
        a, b = ins[0], ins[1]
        a = _transpose(a, (1, 0)) if attrs.get("transA", 0) else a
        b = _transpose(b, (1, 0)) if attrs.get("transB", 0) else b
        alpha, beta = Fraction(attrs.get("alpha", 1.0)), Fraction(attrs.get("beta", 1.0))
        y = _matmul(a, b)
        y = y if alpha == 1 else _elementwise("Mul", y, _objs([alpha]))
        if len(ins) > 2 and ins[2] is not None:
            y = _elementwise("Add", y, ins[2] if beta == 1 else _elementwise("Mul", ins[2], _objs([beta])))
        return y
    if op == "Relu":
        if isinstance(x, np.ndarray):
            return _objs([max(v, Fraction(0)) for v in x.ravel()]).reshape(shape)
        state["layers"].append(_affine(x, relu=True))
        state["epoch"] += 1
        return _identity(shape, state["epoch"])
    raise AssertionError(op)  # unreachable: filtered against SUPPORTED_OPERATORS


def _input_shape(vi) -> tuple[int, ...]:
    """Static shape of the float input; only a leading (batch) dimension may be symbolic: 1."""
    t = vi.type.tensor_type
    dims = [d.dim_value for d in t.shape.dim]
    if t.elem_type not in _FLOAT_TYPES or not t.HasField("shape") or any(v <= 0 for v in dims[1:]):
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"input {vi.name!r} must be a float tensor of "
                         "static shape (a symbolic batch dimension is taken as 1)")
    return tuple(v if v > 0 else 1 for v in dims)


def load_network(path) -> Network:
    """Load and fold an ONNX file; raises InputError for anything not understood."""
    try:
        with open(path, "rb") as f:
            data = f.read()
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
    consts = {name: _exact(a, f"initializer {name}") for name, a in arrays.items()}
    inputs = [vi for vi in g.input if vi.name not in consts]
    if len(inputs) != 1 or len(g.output) != 1:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", f"need exactly one input and one output, got "
                         f"{len(inputs)} input(s) {[vi.name for vi in inputs]} and {len(g.output)} output(s)")
    shape = _input_shape(inputs[0])
    values = dict(consts)
    values[inputs[0].name] = _identity(shape, 0)
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
    state = {"layers": [], "epoch": 0}
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
        except (ValueError, TypeError, IndexError, KeyError, ZeroDivisionError, AttributeError) as e:
            raise InputError("ONNX_MALFORMED", f"{op} {where}: {e}") from None
    out = values.get(g.output[0].name)
    if not isinstance(out, _Lin) or out.epoch != state["epoch"]:
        raise InputError("ONNX_UNSUPPORTED_GRAPH", "the output is not the end of the affine+ReLU chain")
    layers = tuple(state["layers"]) + (_affine(out, relu=False),)
    return Network(inputs[0].name, shape, out.shape, layers, hashlib.sha256(data).hexdigest())
