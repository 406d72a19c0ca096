"""Fuzzing everything a stranger can hand the tools (issue 21): the VNN-LIB reader and its z3
cross-check, the ONNX reader, the proof parser.

The claim under test, for every generated input: a clear error (InputError or CheckError with
an UPPER_SNAKE code) or a correct answer, never another exception, within a time limit (a hang
fails the test) and within a memory limit (the address space is capped while the readers run:
an allocation beyond it is a MemoryError, which fails the test like any other exception).

CI runs a bounded number of examples per test (APOTHEM_FUZZ_EXAMPLES, default 100) with a fixed
seed, so that CI is repeatable. A longer exploration:

    APOTHEM_FUZZ_EXAMPLES=10000 APOTHEM_FUZZ_RANDOM=1 .venv/bin/python -m pytest -q tests/test_fuzz_readers.py
"""
from __future__ import annotations

import contextlib
import io
import os
import re
import resource
import signal
from fractions import Fraction
from pathlib import Path

import numpy as np
import onnx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper

from apothem_check.errors import InputError
from apothem_check.kernel import CheckError
from apothem_check.network import load_network
from apothem_check.reader import read_proof
from apothem_check.vnnlib import cross_check_with_z3, load_property
from prover.semantics import outputs

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = int(os.environ.get("APOTHEM_FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize=not os.environ.get("APOTHEM_FUZZ_RANDOM"),
                database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                                      HealthCheck.function_scoped_fixture])
TIME_LIMIT = 20.0                 # seconds per reader call: generous for a loaded 2-core machine
MEMORY_HEADROOM = 3 << 30         # bytes of address space the readers may add to the process's
CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
N_IN, N_OUT = 3, 2


class Hang(BaseException):
    """Raised by the alarm: a BaseException, so that no reader's `except Exception` can turn a
    hang into an InputError."""


@contextlib.contextmanager
def time_limit(seconds: float = TIME_LIMIT):
    def on_alarm(signum, frame):
        raise Hang(f"no answer within {seconds} s")
    old = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module", autouse=True)
def capped_memory():
    """Cap the address space at what the process maps now plus MEMORY_HEADROOM while this
    module runs, and give the old limit back after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        mapped = int(f.read().split()[0]) * resource.getpagesize()
    cap = mapped + MEMORY_HEADROOM
    if hard != resource.RLIM_INFINITY:
        cap = min(cap, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    yield
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def clear_or(fn, *errors):
    """fn()'s value, or None if it raised one of `errors` with a proper code. Anything else
    (another exception, a hang) propagates and fails the test."""
    try:
        with time_limit():
            return fn()
    except errors as err:
        assert CODE.match(err.code), f"error without a proper code: {err!r}"
        assert err.message.strip(), f"error without a message: {err!r}"
        return None


# ---------------------------------------------------------------- mutations of any text or bytes

def mutated(base: st.SearchStrategy, alphabet: bytes) -> st.SearchStrategy:
    """`base` (bytes) with 0 to 4 edits (none in 3 of 7 cases): a byte flipped, set, deleted, inserted, a slice
    duplicated, or the end cut off."""
    @st.composite
    def build(draw):
        data = bytearray(draw(base))
        for _ in range(draw(st.sampled_from([0, 0, 0, 1, 1, 2, 4]))):
            op = draw(st.sampled_from(["flip", "set", "delete", "insert", "duplicate", "truncate"]))
            i = draw(st.integers(0, max(0, len(data) - 1)))
            if op == "flip" and data:
                data[i] ^= 1 << draw(st.integers(0, 7))
            elif op == "set" and data:
                data[i] = draw(st.sampled_from(alphabet))
            elif op == "delete":
                del data[i:i + draw(st.integers(1, 8))]
            elif op == "insert":
                data[i:i] = bytes(draw(st.lists(st.sampled_from(alphabet), min_size=1, max_size=8)))
            elif op == "duplicate":
                data[i:i] = data[i:i + draw(st.integers(1, 64))]
            elif op == "truncate":
                del data[i:]
        return bytes(data)
    return build()


# ---------------------------------------------------------------- VNN-LIB

def _num_text(q: Fraction, style: int) -> str:
    """An exact number with a short decimal expansion (see `decimals`) as VNN-LIB files spell it:
    an integer (style 0, when it is one) or a decimal, negatives as (- ...)."""
    k = next(k for k in range(12) if (q * 10 ** k).denominator == 1)
    n = abs(q.numerator * 10 ** k // q.denominator)
    if k == 0:
        text = str(n) if style == 0 else f"{n}.0"
    else:
        text = f"{n // 10 ** k}.{str(n % 10 ** k).rjust(k, '0')}"
    return f"(- {text})" if q < 0 else text


decimals = st.builds(lambda n, k: Fraction(n, 10 ** k), st.integers(-10 ** 6, 10 ** 6), st.integers(0, 4))
odd_numbers = st.sampled_from(["1e400", "-1e400", "1e-400", "1E3", "0x10", "#b101", "1/2", "(/ 1 2)", "1.", ".5",
                               "--1", "1e", "00012", "0.0000", "(- 0)", "9" * 300, "0." + "1" * 300])
good_variables = st.sampled_from([f"X_{i}" for i in range(N_IN)] + [f"Y_{j}" for j in range(N_OUT)])
numbers = st.tuples(decimals, st.integers(0, 1)).map(lambda t: _num_text(*t))
# mostly what the reader takes, now and then what it must refuse (one_of picks a branch uniformly)
terms = st.recursive(
    st.one_of(good_variables, good_variables, numbers, numbers, odd_numbers, st.sampled_from(["X_9", "Z", "Y_-1"])),
    lambda t: st.one_of(
        st.tuples(st.sampled_from(["+", "-"]), st.lists(t, min_size=1, max_size=3)),
        st.tuples(st.just("*"), st.tuples(numbers, good_variables)),
        st.tuples(st.sampled_from(["*", "/"]), st.lists(t, min_size=1, max_size=3)),
    ).map(lambda x: f"({x[0]} {' '.join(x[1])})"), max_leaves=6)
comparisons = st.sampled_from(["<=", ">=", "<=", ">=", "<", ">", "=", "distinct"])
atoms = st.tuples(comparisons, terms, terms).map(lambda a: f"({a[0]} {a[1]} {a[2]})")
formulas = st.recursive(atoms, lambda f: st.tuples(st.sampled_from(["and", "or", "and", "or", "not", "=>"]),
                                                   st.lists(f, min_size=1, max_size=3))
                        .map(lambda x: f"({x[0]} {' '.join(x[1])})"), max_leaves=8)


@st.composite
def vnnlib_texts(draw) -> bytes:
    """A VNN-LIB 1 file: declarations (sometimes missing or doubled), a box on every input
    (usually), random asserts."""
    lines = [f"(declare-const X_{i} Real)" for i in range(N_IN)] + [f"(declare-const Y_{j} Real)" for j in range(N_OUT)]
    if draw(st.integers(0, 4)) == 0:
        del lines[draw(st.integers(0, len(lines) - 1))]
    if draw(st.integers(0, 9)) == 0:
        lines.append(lines[0])
    for i in range(N_IN):
        if draw(st.integers(0, 9)):
            lo, hi = sorted(draw(st.tuples(decimals, decimals)))
            lines += [f"(assert (>= X_{i} {_num_text(lo, 1)}))", f"(assert (<= X_{i} {_num_text(hi, 1)}))"]
    lines += [f"(assert {f})" for f in draw(st.lists(formulas, max_size=3))]
    return ("\n".join(lines) + "\n").encode()


VNNLIB_ALPHABET = b"() \n;XY_0123456789.-+*/<=>eE|\"#asndortx\xff\x00"


def _read_vnnlib(tmp_path, data: bytes):
    p = tmp_path / "q.vnnlib"
    p.write_bytes(data)
    prop = clear_or(lambda: load_property(p, N_IN, N_OUT), InputError)
    if prop is not None:
        assert prop.n_inputs == N_IN and prop.n_outputs == N_OUT
        assert all(len(d.lower) == N_IN and all(len(c.coeffs) == N_OUT for c in d.constraints) for d in prop.disjuncts)
        clear_or(lambda: cross_check_with_z3(p, prop, timeout_s=2), InputError)
    return prop


@FUZZ
@given(data=mutated(vnnlib_texts(), VNNLIB_ALPHABET))
def test_vnnlib_reader_clear_error_or_answer(tmp_path, data):
    _read_vnnlib(tmp_path, data)


@st.composite
def known_queries(draw):
    """A query whose reading is known: a box, then a disjunction of conjunctions of linear
    output constraints sum_j c_j Y_j <= d (or <), each spelled one of three ways."""
    box = [sorted(draw(st.tuples(decimals, decimals))) for _ in range(N_IN)]
    cases = draw(st.lists(st.lists(st.tuples(st.lists(decimals, min_size=N_OUT, max_size=N_OUT), decimals,
                                              st.booleans(), st.integers(0, 2)), min_size=1, max_size=3),
                          min_size=1, max_size=4))
    lines = [f"(declare-const X_{i} Real)" for i in range(N_IN)] + [f"(declare-const Y_{j} Real)" for j in range(N_OUT)]
    for i, (lo, hi) in enumerate(box):
        lines += [f"(assert (>= X_{i} {_num_text(lo, 1)}))", f"(assert (<= X_{i} {_num_text(hi, 1)}))"]

    def atom(cs, d, strict, style):
        lhs = "(+ " + " ".join(f"(* {_num_text(c, 1)} Y_{j})" for j, c in enumerate(cs)) + ")"
        if style == 0:
            return f"({'<' if strict else '<='} {lhs} {_num_text(d, 1)})"
        if style == 1:
            return f"({'>' if strict else '>='} {_num_text(d, 1)} {lhs})"
        return f"({'<' if strict else '<='} (- {lhs} {_num_text(d, 1)}) 0)"
    lines.append("(assert (or " + " ".join("(and " + " ".join(atom(*a) for a in case) + ")" for case in cases) + "))")
    return ("\n".join(lines) + "\n").encode(), box, cases


@FUZZ
@given(q=known_queries(), ys=st.lists(st.lists(decimals, min_size=N_OUT, max_size=N_OUT), min_size=1, max_size=5))
def test_vnnlib_reader_reads_what_was_written(tmp_path, q, ys):
    data, box, cases = q
    prop = _read_vnnlib(tmp_path, data)
    assert prop is not None, "a well-formed query was refused"
    assert len(prop.disjuncts) == len(cases)
    for d, case in zip(prop.disjuncts, cases):
        assert [list(b) for b in zip(d.lower, d.upper)] == box
        assert not any(d.lower_strict) and not any(d.upper_strict)
        for y in ys:  # the same set of outputs: every constraint of the case holds iff all of the reading's do
            theirs = all(sum(c * v for c, v in zip(cs, y)) < dd if strict else sum(c * v for c, v in zip(cs, y)) <= dd
                         for cs, dd, strict, _ in case)
            ours = all((sum(Fraction(c) * v for c, v in zip(oc.coeffs, y)) + oc.const < 0) if oc.strict else
                       (sum(Fraction(c) * v for c, v in zip(oc.coeffs, y)) + oc.const <= 0) for oc in d.constraints)
            assert theirs == ours


def _header():
    return "".join(f"(declare-const X_{i} Real)\n(assert (>= X_{i} 0))\n(assert (<= X_{i} 1))\n" for i in range(N_IN)) + \
        "".join(f"(declare-const Y_{j} Real)\n" for j in range(N_OUT))


@pytest.mark.parametrize("name,body", [
    ("deep nesting", "(assert " + "(and " * 100_000 + "(<= Y_0 0)" + ")" * 100_000 + ")\n"),
    ("deep nesting of terms", "(assert (<= " + "(+ 1 " * 50_000 + "Y_0" + ")" * 50_000 + " 0))\n"),
    ("DNF explosion", "".join("(assert (or (<= Y_0 %d) (>= Y_1 %d)))\n" % (k, k) for k in range(40))),
    ("DNF explosion in one and", "(assert (and " + " ".join("(or (<= Y_0 %d) (>= Y_1 %d))" % (k, k) for k in range(40)) + "))\n"),
    # (a 3.8 MB line of 200,000 asserts reads too, in about 90 s: the reader is linear but slow)
    ("very long line", "(assert (<= Y_0 0))" * 5_000 + "\n"),
    ("very long line of spaces", "(assert (<= Y_0" + " " * 5_000_000 + "0))\n"),
    ("very long comment", ";" + "x" * 5_000_000 + "\n(assert (<= Y_0 0))\n"),
    ("very long number", "(assert (<= Y_0 0." + "1" * 200_000 + "))\n"),
    ("very long integer", "(assert (<= Y_0 " + "7" * 200_000 + "))\n"),
    ("huge exponent", "(assert (<= Y_0 1e999999999))\n"),
    ("many variables", "".join(f"(declare-const V_{k} Real)\n" for k in range(100_000))),
])
def test_vnnlib_reader_extremes(tmp_path, name, body):
    _read_vnnlib(tmp_path, (_header() + body).encode())


# ---------------------------------------------------------------- ONNX

def _model(kind: str) -> bytes:
    rng = np.random.default_rng(len(kind))
    nodes, inits = [], []

    def w(name, shape):
        inits.append(numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name))
        return name
    if kind == "gemm":
        nodes = [helper.make_node("Gemm", ["x", w("W1", (5, 3)), w("B1", (5,))], ["h"], transB=1),
                 helper.make_node("Relu", ["h"], ["r"]),
                 helper.make_node("Gemm", ["r", w("W2", (2, 5)), w("B2", (2,))], ["y"], transB=1)]
        shape_in, shape_out = [1, 3], [1, 2]
    elif kind == "matmul":
        nodes = [helper.make_node("Flatten", ["x"], ["f"]),
                 helper.make_node("MatMul", ["f", w("W1", (3, 4))], ["m"]),
                 helper.make_node("Add", ["m", w("B1", (4,))], ["a"]),
                 helper.make_node("Relu", ["a"], ["r"]),
                 helper.make_node("Sub", ["r", w("C", (4,))], ["s"]),
                 helper.make_node("MatMul", ["s", w("W2", (4, 2))], ["y"])]
        shape_in, shape_out = [1, 3], [1, 2]
    else:  # a CNN the reader does not support
        nodes = [helper.make_node("Conv", ["x", w("K", (1, 1, 3, 3))], ["c"]),
                 helper.make_node("AveragePool", ["c"], ["p"], kernel_shape=[2, 2]),
                 helper.make_node("Tanh", ["p"], ["t"]), helper.make_node("Sigmoid", ["t"], ["y"])]
        shape_in, shape_out = [1, 1, 6, 6], [1, 1, 2, 2]
    g = helper.make_graph(nodes, kind, [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape_in)],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, shape_out)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


MODELS = {k: _model(k) for k in ("gemm", "matmul", "cnn")}


def _forward(data: bytes, x: np.ndarray) -> np.ndarray:
    """The model evaluated in float64 by the obvious code (the two supported kinds)."""
    m = onnx.load_model_from_string(data)
    w = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in m.graph.initializer}
    if m.graph.name == "gemm":
        return w["W2"] @ np.maximum(w["W1"] @ x + w["B1"], 0) + w["B2"]
    return (np.maximum(x @ w["W1"] + w["B1"], 0) - w["C"]) @ w["W2"]


def _read_onnx(tmp_path, data: bytes):
    p = tmp_path / "m.onnx"
    p.write_bytes(data)
    net = clear_or(lambda: load_network(p), InputError)
    if net is not None and net.n_inputs <= 10_000:
        x = [Fraction(k, 7) for k in range(net.n_inputs)]
        y = clear_or(lambda: outputs(net, x), InputError)
        assert y is None or len(y) == net.n_outputs
    return net


@FUZZ
@given(data=st.sampled_from(sorted(MODELS)).flatmap(lambda k: mutated(st.just(MODELS[k]), bytes(range(256)))))
def test_onnx_reader_clear_error_or_answer(tmp_path, data):
    _read_onnx(tmp_path, data)


ONNX_OPS = ["Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Relu", "Relu", "Flatten", "Reshape", "Identity",
            "Transpose", "Constant", "Conv", "Sigmoid"]
tensor_values = st.one_of(st.floats(-4, 4, width=32), st.sampled_from([0.0, -0.0, 1e-45, 3e38, float("nan"), float("inf")]))


@st.composite
def onnx_graphs(draw) -> bytes:
    """A chain of 1 to 5 nodes of supported and unsupported operators, each on the previous
    value and maybe a random constant, with random attributes and declared shapes: the graph
    logic of the reader (shapes, affine folding, attributes), not only the protobuf decoder."""
    dims = st.integers(1, 4)
    shape_in = draw(st.sampled_from([[1, draw(dims)], [draw(dims)], [1, 1, 2, 2]]))
    nodes, inits, prev = [], [], "x"
    for k in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(ONNX_OPS))
        ins = [prev]
        if op in ("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Reshape", "Conv") and draw(st.integers(0, 5)):
            shape = draw(st.lists(dims, min_size=1, max_size=3))
            size = int(np.prod(shape))
            if op == "Reshape":
                arr = np.array(draw(st.lists(st.integers(-1, 8), min_size=1, max_size=3)), dtype=np.int64)
            else:
                arr = np.array(draw(st.lists(tensor_values, min_size=size, max_size=size)), dtype=np.float32).reshape(shape)
            inits.append(numpy_helper.from_array(arr, f"c{k}"))
            ins.append(f"c{k}")
            if op == "Gemm" and draw(st.booleans()):
                inits.append(numpy_helper.from_array(np.zeros(draw(dims), np.float32), f"b{k}"))
                ins.append(f"b{k}")
            if draw(st.integers(0, 4)) == 0:
                ins.reverse()
        attrs = {}
        if op == "Gemm":
            attrs = draw(st.dictionaries(st.sampled_from(["transA", "transB", "alpha", "beta"]),
                                         st.sampled_from([0, 1, 0.5, 2.0]), max_size=3))
        elif op in ("Flatten", "Transpose") and draw(st.booleans()):
            attrs = {"axis": draw(st.integers(-2, 3))} if op == "Flatten" else {"perm": draw(st.permutations([0, 1]))}
        elif op == "Constant":
            ins = []
            attrs = {"value": numpy_helper.from_array(np.ones(draw(dims), np.float32))}
        nodes.append(helper.make_node(op, ins, [f"v{k}"], **attrs))
        prev = f"v{k}"
    shape_out = draw(st.lists(dims, min_size=1, max_size=2))
    g = helper.make_graph(nodes, "fuzz", [helper.make_tensor_value_info("x", TensorProto.FLOAT, shape_in)],
                          [helper.make_tensor_value_info(prev, TensorProto.FLOAT, shape_out)], inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


@FUZZ
@given(data=onnx_graphs())
def test_onnx_reader_graphs_clear_error_or_answer(tmp_path, data):
    _read_onnx(tmp_path, data)


@pytest.mark.parametrize("kind", ["gemm", "matmul"])
def test_onnx_reader_reads_what_was_built(tmp_path, kind):
    net = _read_onnx(tmp_path, MODELS[kind])
    x = np.array([0.25, -0.5, 0.75])
    want = _forward(MODELS[kind], x)
    got = [float(v) for v in outputs(net, [Fraction(v) for v in x])]
    assert np.allclose(got, want, rtol=1e-9, atol=1e-9)


# ---------------------------------------------------------------- proofs

EXAMPLE_PROOFS = sorted((ROOT / "spec" / "examples").glob("*/proof.apf"))
PROOF_TEXTS = [p.read_bytes() for p in EXAMPLE_PROOFS]


def _parse_proof(data: bytes):
    def read():
        return list(read_proof(io.BufferedReader(io.BytesIO(data))))
    return clear_or(read, CheckError, InputError)


PROOF_ALPHABET = b" \n#0123456789-./xpabcdefghilnoprstuwz:\x80\x90\xa0\xc0\xff"
words = st.sampled_from(["root", "split", "input", "relu", "bounds", "interval", "crown", "layer", "close", "linear",
                         "z3", "hole", "witness", "sat", "unsat", "lambda", "alpha", "beta", "disjunct", "0", "1", "-1",
                         "1/3", "0x1p-3", "0x1.8p+2", "99999999999999999999999999999999", "1e5", "-0", "1/0"])
step_lines = st.tuples(st.integers(-1, 50), st.lists(words, max_size=8)).map(lambda t: f"{t[0]} {' '.join(t[1])}")


@st.composite
def proof_texts(draw) -> bytes:
    if PROOF_TEXTS and draw(st.booleans()):
        return draw(st.sampled_from(PROOF_TEXTS))
    head = PROOF_TEXTS[0].decode().splitlines()[:4] if PROOF_TEXTS else []
    return ("\n".join(head + draw(st.lists(step_lines, max_size=12))) + "\n").encode()


@FUZZ
@given(data=mutated(proof_texts(), PROOF_ALPHABET))
def test_text_proof_parser_clear_error_or_answer(data):
    _parse_proof(data)


@pytest.mark.parametrize("name,data", [
    ("very long line", b"apothem-proof 1\n" + b"1 root " + b"0 " * 300_000 + b"\n"),
    ("line beyond the limit", b"apothem-proof 1\n" + b"#" * (17 << 20) + b"\n"),
    ("very long number", b"apothem-proof 1\nsemantics real\n1 witness 0 " + b"1" * 100_000 + b"\n"),
    ("huge hex exponent", b"apothem-proof 1\nsemantics real\n1 witness 0 0x1p99999999999\n"),
    ("deeply nested msgpack", b"\x91" * 100_000 + b"\xc0"),
])
def test_proof_parser_extremes(name, data):
    _parse_proof(data)


def test_the_fuzz_generators_reach_both_outcomes(tmp_path):
    """A fuzz test whose inputs are all refused (or all accepted) tests little: the unmutated
    generators must produce some inputs that read without error."""
    from hypothesis import find
    find(vnnlib_texts(), lambda d: _read_vnnlib(tmp_path, d) is not None, settings=settings(database=None, max_examples=500))
    assert _parse_proof(PROOF_TEXTS[0]) is not None
    assert all(_read_onnx(tmp_path, MODELS[k]) is not None for k in ("gemm", "matmul"))
    assert _read_onnx(tmp_path, MODELS["cnn"]) is None

