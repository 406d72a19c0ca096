"""Tests of the VNN-LIB 2 subset read by apothem_check.vnnlib: one network with one input and one
output tensor of element type real; X[i,j,..] means X_k of VNN-LIB 1, k its C-order (row-major)
index. The format is VNN-LIB 2.0 (released 2025-12-15, www.vnnlib.org; LBNF grammar and
examples in github.com/VNNLIB/VNNLIB-Standard). The test files below are written for these tests.
"""
from __future__ import annotations

import dataclasses
import math
from fractions import Fraction as F

import pytest
from hypothesis import given, settings, strategies as st

from apothem_check import vnnlib
from apothem_check.errors import InputError
from apothem_check.vnnlib import SUPPORTED_VERSIONS, cross_check_with_z3, load_property


def write(tmp_path, text, name="p.vnnlib"):
    path = tmp_path / name
    path.write_text(text)
    return path


def load(tmp_path, text, n_in, n_out, name="p.vnnlib"):
    path = write(tmp_path, text, name)
    prop = load_property(path, n_in, n_out)
    cross_check_with_z3(path, prop, 60)  # every accepted file also passes the z3 cross-check
    return prop


def mutations(prop):
    """Small misreadings of a property; z3 must notice each one."""
    d = prop.disjuncts[0]
    c = d.constraints[0]
    yield dataclasses.replace(prop, disjuncts=prop.disjuncts[1:])  # a case lost
    yield dataclasses.replace(prop, disjuncts=(dataclasses.replace(d, upper=(d.upper[0] + F(1, 10**30),)
                                                                   + d.upper[1:]),) + prop.disjuncts[1:])
    yield dataclasses.replace(prop, disjuncts=(dataclasses.replace(d, lower_strict=(True,) + d.lower_strict[1:]),)
                              + prop.disjuncts[1:])
    for c2 in (dataclasses.replace(c, strict=not c.strict),
               dataclasses.replace(c, coeffs=tuple(-v for v in c.coeffs), const=-c.const),
               dataclasses.replace(c, coeffs=c.coeffs[1:] + c.coeffs[:1])):  # outputs renumbered
        yield dataclasses.replace(prop, disjuncts=(dataclasses.replace(d, constraints=(c2,) + d.constraints[1:]),)
                                  + prop.disjuncts[1:])


def test_supported_versions():
    assert SUPPORTED_VERSIONS == ("1", "2")


# ---------- a VNN-LIB 2 file and its hand-written VNN-LIB 1 equivalent read the same ----------

ACAS_V2 = """(vnnlib-version <2.0>)
; ACAS Xu-like: a box on 5 inputs (input 1 in one of two intervals), unsafe if COC is not minimal
(declare-network acasxu
    (declare-input  X real [1,5])
    (declare-output Y real [5])
)
(assert (<= X[0,0] 0.679857769))
(assert (>= X[0,0] 0.6))
(assert (or (and (>= X[0,1] 0.11140846) (<= X[0,1] 0.5))
            (and (>= X [0, 1] -0.5) (<= X [ 0 , 1 ] -0.11140846))))
(assert (and (>= X[0,2] -0.5) (<= X[0,2] 0.5)))
(assert (<= X[0,3] 0.5))
(assert (>= X[0,3] 0.45))
(assert (<= X[0,4] -0.45))
(assert (> X[0,4] -0.5))
(assert (or (<= Y[1] Y[0]) (<= Y[2] Y[0]) (<= Y[3] Y[0]) (< (- Y[4] Y[0]) -0.25)))
"""

ACAS_V1 = """; the same property in VNN-LIB 1
(declare-const X_0 Real)
(declare-const X_1 Real)
(declare-const X_2 Real)
(declare-const X_3 Real)
(declare-const X_4 Real)
(declare-const Y_0 Real)
(declare-const Y_1 Real)
(declare-const Y_2 Real)
(declare-const Y_3 Real)
(declare-const Y_4 Real)
(assert (<= X_0 0.679857769))
(assert (>= X_0 0.6))
(assert (or (and (>= X_1 0.11140846) (<= X_1 0.5)) (and (>= X_1 -0.5) (<= X_1 -0.11140846))))
(assert (and (>= X_2 -0.5) (<= X_2 0.5)))
(assert (<= X_3 0.5))
(assert (>= X_3 0.45))
(assert (<= X_4 -0.45))
(assert (> X_4 -0.5))
(assert (or (<= Y_1 Y_0) (<= Y_2 Y_0) (<= Y_3 Y_0) (< (- Y_4 Y_0) -0.25)))
"""


def test_acas_like_v2_equals_v1(tmp_path):
    p2 = load(tmp_path, ACAS_V2, 5, 5, "v2.vnnlib")
    p1 = load(tmp_path, ACAS_V1, 5, 5, "v1.vnnlib")
    assert (p2.version, p1.version) == ("2", "1")
    assert p2.disjuncts == p1.disjuncts and (p2.n_inputs, p2.n_outputs) == (5, 5)
    # canonical order as in VNN-LIB 1: the two boxes vary slowest, then the four output cases
    assert len(p2.disjuncts) == 8
    assert [d.lower[1] for d in p2.disjuncts] == [F("0.11140846")] * 4 + [F("-0.5")] * 4
    assert [d.constraints[0].coeffs for d in p2.disjuncts[:4]] == [(-1, 1, 0, 0, 0), (-1, 0, 1, 0, 0),
                                                                   (-1, 0, 0, 1, 0), (-1, 0, 0, 0, 1)]
    last = p2.disjuncts[3].constraints[0]
    assert (last.const, last.strict) == (F("0.25"), True)
    assert p2.disjuncts[0].lower_strict == (False, False, False, False, True)


def _dec(n: int) -> str:
    """n/1000 as an exact decimal."""
    return f"{'-' if n < 0 else ''}{abs(n) // 1000}.{abs(n) % 1000:03d}"


def mnist_pair(dims: list[int], label: int = 7, eps: int = 15) -> tuple[str, str]:
    """A 784-input, 10-output L-inf robustness property: a box of half-width eps/1000 around the
    pixels (37*k mod 1000)/1000, unsafe if some other class scores at least the label's.
    The v2 file names the tensors image/logits, uses the shape `dims` (28 x 28 in its last two
    dimensions, leading 1s) and mixes reference styles; the v1 file is plain X_k / Y_j."""
    lead = "0," * (len(dims) - 2)
    v2 = ["(vnnlib-version <2.0>)", "(declare-network mnist",
          f"  (declare-input image real [{','.join(map(str, dims))}])", "  (declare-output logits real [1,10]))"]
    v1 = [f"(declare-const X_{k} Real)" for k in range(784)] + [f"(declare-const Y_{j} Real)" for j in range(10)]
    for r in range(28):
        for c in range(28):
            k = 28 * r + c  # the C-order index of pixel (r, c)
            q = 37 * k % 1000
            lo, hi = _dec(max(q - eps, 0)), _dec(min(q + eps, 1000))
            ref = f"image[{lead}{r},{c}]" if k % 3 else f"image [ {lead.replace(',', ' , ')}{r} , {c} ]"
            if k % 2:
                v2.append(f"(assert (and (>= {ref} {lo}) (<= {ref} {hi})))")
            else:
                v2 += [f"(assert (<= {ref} {hi}))", f"(assert (>= {ref} {lo}))"]
            v1 += [f"(assert (<= X_{k} {hi}))", f"(assert (>= X_{k} {lo}))"]
    others = [j for j in range(10) if j != label]
    v2.append("(assert (or " + " ".join(f"(>= logits[0,{j}] logits[0,{label}])" for j in others) + "))")
    v1.append("(assert (or " + " ".join(f"(>= Y_{j} Y_{label})" for j in others) + "))")
    return "\n".join(v2) + "\n", "\n".join(v1) + "\n"


@pytest.mark.parametrize("dims", [[28, 28], [1, 28, 28], [1, 1, 28, 28]])
def test_mnist_like_v2_equals_v1(tmp_path, dims):
    t2, t1 = mnist_pair(dims)
    p2 = load(tmp_path, t2, (1, 1, 28, 28), (1, 10), "v2.vnnlib")
    p1 = load(tmp_path, t1, 784, 10, "v1.vnnlib")
    assert p2.disjuncts == p1.disjuncts and p2.version == "2"
    assert len(p2.disjuncts) == 9
    d = p2.disjuncts[0]
    assert d.lower[28 * 3 + 5] == F(37 * (28 * 3 + 5) % 1000 - 15, 1000)  # pixel (3, 5) is X_89
    assert [c.coeffs for e in p2.disjuncts for c in e.constraints] == \
        [tuple(1 if k == 7 else -1 if k == j else 0 for k in range(10)) for j in range(10) if j != 7]


def test_c_order_and_roles_by_declaration(tmp_path):
    """X[i,j] of shape [2,3] is X_(3i+j); tensors are input/output by their declaration, not their
    names; a scalar (shape []) is referenced without brackets."""
    v2 = "(vnnlib-version <2.0>)\n(declare-network f (declare-input Y real [2,3]) (declare-output X real []))\n" \
         + "".join(f"(assert (>= Y[{i},{j}] {10 * i + j})) (assert (<= Y[{i},{j}] {10 * i + j + 1}))\n"
                   for i in range(2) for j in range(3)) + "(assert (or (<= X -3.0) (>= X 0.5)))\n"
    v1 = "".join(f"(declare-const X_{k} Real)\n" for k in range(6)) + "(declare-const Y_0 Real)\n" \
        + "".join(f"(assert (>= X_{3 * i + j} {10 * i + j})) (assert (<= X_{3 * i + j} {10 * i + j + 1}))\n"
                  for i in range(2) for j in range(3)) + "(assert (or (<= Y_0 -3.0) (>= Y_0 0.5)))\n"
    p2, p1 = load(tmp_path, v2, (2, 3), (), "v2.vnnlib"), load(tmp_path, v1, 6, 1, "v1.vnnlib")
    assert p2.disjuncts == p1.disjuncts
    assert p2.disjuncts[0].lower == (0, 1, 2, 10, 11, 12)
    # A reader that flattened the v2 file in Fortran order (X_(i+2j)) would be caught by the z3
    # cross-check, whose translation computes the index itself.
    fortran = v1.replace("X_", "Z_")
    for i in range(2):
        for j in range(3):
            for end in " )":
                fortran = fortran.replace(f"Z_{3 * i + j}{end}", f"X_{i + 2 * j}{end}")
    bad = dataclasses.replace(load(tmp_path, fortran, 6, 1, "fortran.vnnlib"), version="2", shapes=p2.shapes)
    assert bad.disjuncts != p2.disjuncts
    with pytest.raises(InputError) as e:
        cross_check_with_z3(tmp_path / "v2.vnnlib", bad, 30)
    assert e.value.code == "VNNLIB_Z3_MISMATCH"


def test_z3_text_is_plain_smtlib(tmp_path):
    path = write(tmp_path, ACAS_V2)
    prop = load_property(path, 5, 5)
    text = vnnlib._z3_text(path.read_text(), prop)
    assert "[" not in text and "vnnlib-version" not in text and "declare-network" not in text
    assert "(declare-const X_4 Real)" in text and "(<= X_4 -0.45)" in text and "(<= Y_1 Y_0)" in text


def test_version_2_minor_and_Real_spelling(tmp_path):
    """<2.1> (minor versions are conservative extensions) and the element type spelled Real, as in
    the standard's own test files, are read like <2.0> / real."""
    text = ACAS_V2.replace("<2.0>", "<2.1>").replace("real", "Real")
    assert load(tmp_path, text, 5, 5).disjuncts == load(tmp_path, ACAS_V1, 5, 5, "v1.vnnlib").disjuncts


# ---------- the z3 cross-check detects misreadings of VNN-LIB 2 files ----------

def test_z3_detects_misreadings_v2(tmp_path):
    prop = load(tmp_path, ACAS_V2, 5, 5)
    for bad in mutations(prop):
        with pytest.raises(InputError) as e:
            cross_check_with_z3(tmp_path / "p.vnnlib", bad, 30)
        assert e.value.code == "VNNLIB_Z3_MISMATCH"


def test_z3_detects_misreadings_mnist_v2(tmp_path):
    prop = load(tmp_path, mnist_pair([1, 28, 28])[0], (1, 1, 28, 28), (1, 10))
    for bad in list(mutations(prop))[:3]:
        with pytest.raises(InputError) as e:
            cross_check_with_z3(tmp_path / "p.vnnlib", bad, 60)
        assert e.value.code == "VNNLIB_Z3_MISMATCH"


def test_z3_rereads_the_header(tmp_path):
    """The z3 side re-reads the VNN-LIB 2 header itself, so a different file fails cleanly."""
    prop = load(tmp_path, ACAS_V2, 5, 5)
    path = write(tmp_path, ACAS_V2.replace("[1,5]", "[1,6]"), "other.vnnlib")
    with pytest.raises(InputError) as e:
        cross_check_with_z3(path, prop, 10)
    assert e.value.code == "VNNLIB_SHAPE"
    for other in ("(declare-const X_0 Real)", "(assert (<= X_0 1))", "X_0", ""):
        with pytest.raises(InputError) as e:
            cross_check_with_z3(write(tmp_path, other, "v1.vnnlib"), prop, 10)
        assert e.value.code in ("VNNLIB_Z3_PARSE", "VNNLIB_Z3_MISMATCH"), str(e.value)


# ---------- every construct outside the subset is an error naming it and its line ----------

VER = "(vnnlib-version <2.0>)\n"
HEAD2 = VER + "(declare-network net\n  (declare-input X real [1,2])\n  (declare-output Y real [2])\n)\n"
BOX2 = "(assert (and (>= X[0,0] 0) (<= X[0,0] 1) (>= X[0,1] 0) (<= X[0,1] 1)))\n"


def net(*decls: str, name: str = "net") -> str:
    return VER + f"(declare-network {name}\n" + "".join(f"  {d}\n" for d in decls) + ")\n" + BOX2


IN, OUT = "(declare-input X real [1,2])", "(declare-output Y real [2])"


@pytest.mark.parametrize("code,text,needle", [
    # several networks, equivalences between networks, hidden nodes, several inputs or outputs
    ("VNNLIB_UNSUPPORTED", HEAD2 + "(declare-network g\n (declare-input A real [1,2])\n (declare-output B real [2]))\n"
     + BOX2, "line 6 column 1: command 'declare-network' is not supported in VNN-LIB 2"),
    ("VNNLIB_UNSUPPORTED", HEAD2 + BOX2 + "(declare-network g (equal-to net) (declare-input A real [1,2]) "
     "(declare-output B real [2]))\n", "line 7 column 1: command 'declare-network'"),
    ("VNNLIB_UNSUPPORTED", net("(equal-to f)", IN, OUT), "line 3 column 3: VNN-LIB 2: only one network"),
    ("VNNLIB_UNSUPPORTED", net("(isomorphic-to f)", IN, OUT), "line 3 column 3"),
    ("VNNLIB_UNSUPPORTED", net(IN, '(declare-hidden H real [4] "relu_1")', OUT), "line 4 column 3"),
    ("VNNLIB_UNSUPPORTED", net(IN, '(declare-hidden H real [4] "relu_1")', OUT), "declare-hidden"),
    ("VNNLIB_UNSUPPORTED", net(IN, "(declare-input Z real [1])", OUT), "line 4 column 3"),
    ("VNNLIB_UNSUPPORTED", net(IN, OUT, "(declare-output Z real [1])"), "line 5 column 3"),
    ("VNNLIB_UNSUPPORTED", net(IN), "line 2 column 1"),
    ("VNNLIB_UNSUPPORTED", net(OUT, IN), "line 3 column 3"),
    # element types with floating-point (or integer) semantics, input options
    ("VNNLIB_UNSUPPORTED", net("(declare-input X float32 [1,2])", OUT),
     "line 3 column 3: only (declare-input <name> real"),
    ("VNNLIB_UNSUPPORTED", net("(declare-input X float32 [1,2])", OUT), "float32"),
    ("VNNLIB_UNSUPPORTED", net(IN, "(declare-output Y int8 [2])"), "line 4 column 3"),
    ("VNNLIB_UNSUPPORTED", net("(declare-input X real [1,2] initialized)", OUT), "initialized"),
    ("VNNLIB_UNSUPPORTED", net("(declare-input X real)", OUT), "line 3"),
    # versions and the order of commands
    ("VNNLIB_UNSUPPORTED", HEAD2.replace("<2.0>", "<3.0>") + BOX2, "line 1 column 1: supported VNN-LIB versions"),
    ("VNNLIB_UNSUPPORTED", HEAD2.replace("<2.0>", "2.0") + BOX2, "line 1"),
    ("VNNLIB_UNSUPPORTED", HEAD2.replace("<2.0>", "<02.0>") + BOX2, "line 1"),
    ("VNNLIB_UNSUPPORTED", VER, "VNN-LIB 2: only one network"),
    ("VNNLIB_UNSUPPORTED", VER + BOX2 + HEAD2[len(VER):], "line 2 column 1"),
    ("VNNLIB_UNSUPPORTED", HEAD2[len(VER):] + BOX2, "command 'declare-network' is not supported in VNN-LIB 1"),
    ("VNNLIB_UNSUPPORTED", HEAD2 + VER + BOX2, "line 6 column 1: command 'vnnlib-version'"),
    ("VNNLIB_UNSUPPORTED", HEAD2 + "(declare-const X_0 Real)\n" + BOX2,
     "command 'declare-const' is not supported in VNN-LIB 2"),
    ("VNNLIB_UNSUPPORTED", HEAD2 + BOX2 + "(assert (== Y[0] 1))", "'=='"),
    ("VNNLIB_UNSUPPORTED", HEAD2 + BOX2 + "(assert (!= Y[0] Y[1]))", "'!='"),
    ("VNNLIB_UNSUPPORTED", HEAD2 + BOX2 + "(assert (<= (* Y[0] Y[1]) 1))", "non-linear"),
    ("VNNLIB_UNSUPPORTED", HEAD2 + BOX2 + "(assert (<= (+ X[0,0] X[0,1]) 1))", "line 7"),
    # shapes and references
    ("VNNLIB_SHAPE", net("(declare-input X real [1,3])", OUT), "line 3 column 3: shape [1, 3], but the network's is [2]"),
    ("VNNLIB_SHAPE", net(IN, "(declare-output Y real [])"), "shape [], but the network's is [2]"),
    ("VNNLIB_SHAPE", net("(declare-input X real [2,0])", OUT), "shape [2, 0], but the network's is [2]"),
    ("VNNLIB_VAR_RANGE", HEAD2 + BOX2 + "(assert (<= Y[2] 1))", "line 7 column 13: Y has shape [2]"),
    ("VNNLIB_VAR_RANGE", HEAD2 + "(assert (<= X[0,2] 1))", "X has shape [1, 2]"),
    ("VNNLIB_VAR_RANGE", HEAD2 + "(assert (<= X[1] 1))", "X has shape [1, 2]"),
    ("VNNLIB_VAR_RANGE", HEAD2 + "(assert (<= X[0,1,0] 1))", "X has shape [1, 2]"),
    ("VNNLIB_VAR_RANGE", HEAD2 + BOX2 + "(assert (<= Y 1))", "Y has shape [2]"),
    ("VNNLIB_VAR_RANGE", HEAD2 + BOX2 + "(assert (<= Y[] 1))", "Y has shape [2]"),
    ("VNNLIB_SYNTAX", HEAD2 + BOX2 + "(assert (<= Y[01] 1))", "line 7"),
    ("VNNLIB_SYNTAX", HEAD2 + BOX2 + "(assert (<= Y[-1] 1))", "line 7"),
    ("VNNLIB_SYNTAX", HEAD2 + BOX2 + "(assert (<= Y[0][0] 1))", "line 7"),
    ("VNNLIB_SYNTAX", HEAD2 + BOX2 + "(assert (<= Y[1234567890123456789] 1))", "line 7"),
    ("VNNLIB_UNDECLARED", HEAD2 + BOX2 + "(assert (<= Y_0 1))", "line 7 column 13"),
    ("VNNLIB_UNDECLARED", HEAD2 + BOX2 + "(assert (<= Z[0] 1))", "Z[0]"),
    ("VNNLIB_UNDECLARED", HEAD2 + BOX2 + "(assert (<= net 1))", "net"),
    ("VNNLIB_UNDECLARED", HEAD2 + BOX2 + '(assert (<= Y[0] "a"))', '"a"'),
    ("VNNLIB_SYNTAX", HEAD2 + BOX2 + "(assert (<= (X[0,0] 1) 1))", "operator after"),
    # names
    ("VNNLIB_SYNTAX", net("(declare-input Y real [1,2])", OUT), "distinct names"),
    ("VNNLIB_SYNTAX", net(IN, OUT, name="X"), "distinct names"),
    ("VNNLIB_SYNTAX", net("(declare-input assert real [1,2])", OUT), "distinct names"),
    ("VNNLIB_SYNTAX", net("(declare-input and real [1,2])", OUT), "distinct names"),
    ("VNNLIB_SYNTAX", net(IN, OUT, name="or"), "distinct names"),
    ("VNNLIB_SYNTAX", net(IN, OUT, name="_n"), "distinct names [A-Za-z][A-Za-z0-9_]*"),
    ("VNNLIB_SYNTAX", net("(declare-input <= real [1,2])", OUT), "distinct names"),
])
def test_error_codes_v2(tmp_path, code, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as e:
        load_property(path, 2, 2)
    assert e.value.code == code, str(e.value)
    assert needle in str(e.value), str(e.value)


def test_names_that_only_begin_with_a_reserved_word(tmp_path):
    """and, or and assert themselves are refused as names (above), not names that begin with them."""
    text = net("(declare-input android real [1,2])", "(declare-output assertion real [2])", name="order")
    prop = load(tmp_path, text.replace("X[", "android["), 2, 2)
    assert [d[0] for d in prop.declared] == ["android", "assertion"] and prop.disjuncts[0].upper == (1, 1)


def test_brackets_in_a_version_1_file(tmp_path):
    path = write(tmp_path, "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0[0] 1))")
    with pytest.raises(InputError) as e:
        load_property(path, 1, 1)
    assert e.value.code == "VNNLIB_VAR_RANGE" and "X_0 has shape []" in str(e.value)


# ---------- never a traceback ----------

TOKENS = ["(", ")", " ", "\n", "; c\n", "assert", "(assert", "declare-network", "(declare-network", "declare-input",
          "declare-output", "declare-hidden", "equal-to", "vnnlib-version", "<2.0>", "<3.0>", "X", "Y", "N", "real",
          "float32", "[0]", "[1]", "[0,1]", "[]", "[2]", "[1,2]", '"s"', "initialized", "and", "or", "<=", ">=",
          "<", "+", "-", "*", "==", "1", "-0.5", "X[0,0]", "Y[1]", "(<= X[0,1]"]
PREFIXES = ["", VER, VER + "(declare-network N ", HEAD2, HEAD2 + BOX2]


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(PREFIXES), st.lists(st.sampled_from(TOKENS), max_size=30))
def test_random_token_soup_gives_input_error_or_property(tmp_path_factory, prefix, tokens):
    path = tmp_path_factory.mktemp("fuzz") / "p.vnnlib"
    path.write_text(prefix + " ".join(tokens))
    try:
        prop = load_property(path, 2, 2)
    except InputError:
        return
    cross_check_with_z3(path, prop, 10)


@pytest.mark.parametrize("declared, ok", [("[2,3]", True), ("[1,2,3]", True), ("[3,2]", False), ("[6]", False),
                                          ("[2,3,1]", False)])
def test_declared_shape_is_compared_as_a_shape(tmp_path, declared, ok):
    """An ONNX input of shape (1, 2, 3) is X real [2,3] (the leading batch dimension aside), never
    [3,2] or [6] although they have as many elements (issue 17)."""
    text = (f"(vnnlib-version <2.0>)\n(declare-network f (declare-input X real {declared}) "
            "(declare-output Y real [1,1]))\n(assert (<= Y[0,0] 0))\n")
    path = write(tmp_path, text)
    if ok:
        with pytest.raises(InputError) as e:  # the shape is accepted; the missing input bounds are next
            load_property(path, (1, 2, 3), (1, 1))
        assert e.value.code == "VNNLIB_UNBOUNDED_INPUT"
    else:
        with pytest.raises(InputError) as e:
            load_property(path, (1, 2, 3), (1, 1))
        assert e.value.code == "VNNLIB_SHAPE" and f"shape {declared.replace(',', ', ')}" in e.value.message


@pytest.mark.parametrize("network, declared, ok", [
    ((), "[]", True), ((), "[1]", True), ((), "[1,1]", True), ((1,), "[]", True), ((1, 1), "[1]", True),
    ((1, 5), "[5]", True), ((5,), "[1,1,5]", True), ((1, 5), "[5,1]", False), ((5, 1), "[5]", False),
    ((1,), "[2]", False), ((2,), "[]", False)])
def test_unit_dimensions_are_only_leading(tmp_path, network, declared, ok):
    """Leading unit dimensions may be added or left out on either side (a scalar is [], [1] or [1,1]);
    trailing or inner ones may not."""
    text = (f"(vnnlib-version <2.0>)\n(declare-network f (declare-input X real [1]) "
            f"(declare-output Y real {declared}))\n(assert (>= X[0] 0)) (assert (<= X[0] 1))\n")
    path = write(tmp_path, text)
    if ok:
        assert load_property(path, (1,), network).n_outputs == math.prod(network)
    else:
        with pytest.raises(InputError) as e:
            load_property(path, (1,), network)
        assert e.value.code == "VNNLIB_SHAPE"


def test_declarations_are_kept_as_written(tmp_path):
    """The prover prints a VNN-LIB 2 counterexample under the declared names, types and shapes."""
    text = ACAS_V2.replace("X real [1,5]", "inp Real [ 1 , 5 ]").replace("Y real", "out real")
    prop = load(tmp_path, text.replace("X[", "inp[").replace("X [", "inp [").replace("Y[", "out["), (1, 5), (1, 5))
    assert prop.declared == (("inp", "Real", (1, 5)), ("out", "real", (5,)))
    v1 = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(assert (>= X_0 0))\n" \
         "(assert (<= Y_0 0))\n"
    assert load(tmp_path, v1, 1, 1, "v1.vnnlib").declared == ()
