"""Tests of apothem_check.vnnlib: exact VNN-LIB reading, canonical DNF order, z3 cross-check."""
from __future__ import annotations

import csv
import dataclasses
import functools
import os
from fractions import Fraction
from pathlib import Path

import pytest

from apothem_check.errors import InputError
from apothem_check.network import load_network
from apothem_check.vnnlib import MAX_DEPTH, cross_check_with_z3, load_property

# Third-party data, never copied into the repository; CI sets APOTHEM_REQUIRE_BENCHMARKS=1 so
# that its absence fails the benchmark tests instead of skipping them (as in ../../conftest.py).
BENCH = Path(os.environ.get("APOTHEM_BENCHMARKS",
                            Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"))
needs_bench = pytest.mark.skipif(not BENCH.is_dir() and os.environ.get("APOTHEM_REQUIRE_BENCHMARKS") != "1",
                                 reason=f"benchmark data not found at {BENCH}")
F = Fraction
HEAD = "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(declare-const Y_1 Real)\n"
BOX = "(assert (>= X_0 0))\n(assert (<= X_0 1))\n"


def write(tmp_path, text, name="p.vnnlib"):
    path = tmp_path / name
    path.write_text(text)
    return path


def load(tmp_path, text, n_in=1, n_out=2):
    path = write(tmp_path, text)
    prop = load_property(path, n_in, n_out)
    cross_check_with_z3(path, prop, 10)  # every accepted hand-written file also passes z3
    return prop


@functools.lru_cache(maxsize=None)
def io_sizes(onnx_path: str) -> tuple[int, int]:
    net = load_network(onnx_path)
    return net.n_inputs, net.n_outputs


# ---------- the real benchmark properties ----------

@needs_bench
@pytest.mark.parametrize("bench,listing", [("acasxu", "instances.csv"), ("mnist_fc", "instances.csv"),
                                           ("mnist_fc", "instances_2021.csv"), ("test", "instances.csv")])
def test_all_benchmark_instances_parse_and_cross_check(bench, listing):
    """Every instance (network, property) of the lists: sizes from the network itself; each
    distinct (file, sizes) pair is read and proven equivalent to z3's reading once."""
    root = BENCH / bench
    rows = [r for r in csv.reader((root / listing).read_text().splitlines()) if r]
    assert len(rows) == {"acasxu": 186, "mnist_fc": 90, "test": 5}[bench]
    seen = {}
    for onnx_rel, vnnlib_rel, _timeout in rows:
        key = (vnnlib_rel, io_sizes(str(root / onnx_rel)))
        if key not in seen:
            prop = load_property(root / vnnlib_rel, *key[1])
            cross_check_with_z3(root / vnnlib_rel, prop, 30)
            seen[key] = prop
        prop = seen[key]
        assert prop.version == "1" and len(prop.disjuncts) >= 1
        for d in prop.disjuncts:
            assert len(d.lower) == len(d.upper) == prop.n_inputs
            assert all(lo <= hi for lo, hi in zip(d.lower, d.upper))
            assert all(len(c.coeffs) == prop.n_outputs for c in d.constraints)
        if bench == "mnist_fc":
            assert len(prop.disjuncts) == 9 and prop.n_inputs == 784
            assert all(len(d.constraints) == 1 and d.lower == prop.disjuncts[0].lower for d in prop.disjuncts)


@needs_bench
def test_acasxu_disjunct_counts_and_values():
    v = BENCH / "acasxu" / "vnnlib"
    counts = {p: len(load_property(v / f"{p}.vnnlib", 5, 5).disjuncts) for p in
              ("prop_1", "prop_2", "prop_5", "prop_6", "prop_7", "prop_8")}
    assert counts == {"prop_1": 1, "prop_2": 1, "prop_5": 4, "prop_6": 8, "prop_7": 2, "prop_8": 3}
    p1, = load_property(v / "prop_1.vnnlib", 5, 5).disjuncts
    c, = p1.constraints  # (>= Y_0 3.991125645861615): 3.99... - Y_0 <= 0
    assert (c.coeffs, c.const, c.strict) == ((-1, 0, 0, 0, 0), F("3.991125645861615"), False)
    assert p1.upper[0] == F("0.679857769") and p1.lower[0] == F("0.6") and not any(p1.upper_strict)
    p6 = load_property(v / "prop_6.vnnlib", 5, 5).disjuncts
    # (box1 | box2) & (Y_1<=Y_0 | ... | Y_4<=Y_0): box varies slowest
    assert [d.lower[1] for d in p6] == [F("0.11140846")] * 4 + [F("-0.499999896")] * 4
    assert [d.constraints[0].coeffs for d in p6[:4]] == [(-1, 1, 0, 0, 0), (-1, 0, 1, 0, 0),
                                                         (-1, 0, 0, 1, 0), (-1, 0, 0, 0, 1)]


@needs_bench
def test_mnist_output_constraints():
    prop = load_property(BENCH / "mnist_fc" / "vnnlib" / "prop_0_0.03.vnnlib", 784, 10)
    # label 4: "(>= Y_j Y_4)" becomes Y_4 - Y_j <= 0 for j != 4, in file order
    want = [tuple(1 if k == 4 else -1 if k == j else 0 for k in range(10)) for j in range(10) if j != 4]
    assert [d.constraints[0].coeffs for d in prop.disjuncts] == want
    assert prop.disjuncts[0].upper[0] == F("0.029999999329447746")


# ---------- hand-written properties ----------

def test_canonical_order(tmp_path):
    prop = load(tmp_path, HEAD + """
(assert (or (and (>= X_0 0) (<= X_0 1)) (and (>= X_0 2) (<= X_0 3))))
(assert (or (<= Y_0 1) (and (<= Y_0 2) (>= Y_1 7)) (< Y_1 3)))
(assert (and (or (<= Y_0 10) (<= Y_0 20)) (or (<= Y_1 30) (<= Y_1 40))))
""")
    assert len(prop.disjuncts) == 2 * 3 * 4
    got = [(d.lower[0], [(c.coeffs, c.const, c.strict) for c in d.constraints]) for d in prop.disjuncts]
    second = [[((1, 0), -1, False)], [((1, 0), -2, False), ((0, -1), 7, False)], [((0, 1), -3, True)]]
    third = [[((1, 0), -a, False), ((0, 1), -b, False)] for a in (10, 20) for b in (30, 40)]
    want = [(lo, s + t) for lo in (0, 2) for s in second for t in third]
    assert got == want


def test_bounds_tightest_and_strict(tmp_path):
    prop = load(tmp_path, HEAD + """
(assert (>= X_0 -1)) (assert (> X_0 0)) (assert (>= X_0 0)) (assert (>= X_0 -0.5))
(assert (< X_0 6)) (assert (<= X_0 5)) (assert (<= X_0 5.5))
(assert (<= Y_0 0))""")
    d, = prop.disjuncts
    assert (d.lower, d.lower_strict, d.upper, d.upper_strict) == ((0,), (True,), (5,), (False,))
    prop = load(tmp_path, HEAD + "(assert (<= X_0 1)) (assert (< X_0 1)) (assert (>= X_0 1)) (assert (<= Y_0 Y_1))")
    d, = prop.disjuncts
    assert (d.lower, d.lower_strict, d.upper, d.upper_strict) == ((1,), (False,), (1,), (True,))


def test_terms_and_exact_numbers(tmp_path):
    prop = load(tmp_path, HEAD + """
(assert (<= (* 2 X_0) 1e-5))           ; X_0 <= 1/200000
(assert (>= (* -4 X_0) 1.5E+3))        ; X_0 <= -375 (tighter)
(assert (<= (- X_0) 400.25))           ; X_0 >= -400.25
(assert (>= (+ Y_0 (* 0.1 Y_1) (- 3 1) (- Y_1)) (* 3 (* 2 Y_0) 0.5)))
(assert (< (- Y_0 Y_1 0.5) -.5))
""")
    d, = prop.disjuncts
    assert d.lower == (F("-400.25"),) and d.upper == (F(-375),)
    c1, c2 = d.constraints
    # 3*Y_0 - (Y_0 + Y_1/10 + 2 - Y_1) <= 0
    assert (c1.coeffs, c1.const, c1.strict) == ((F(2), F(9, 10)), F(-2), False)
    assert (c2.coeffs, c2.const, c2.strict) == ((F(1), F(-1)), F(0), True)
    assert all(type(v) is Fraction for v in d.lower + d.upper + c1.coeffs + (c1.const,))


def test_sha256_and_version(tmp_path):
    import hashlib
    prop = load(tmp_path, HEAD + BOX)
    assert prop.sha256 == hashlib.sha256((tmp_path / "p.vnnlib").read_bytes()).hexdigest()
    assert prop.version == "1" and prop.disjuncts[0].constraints == ()


def test_deep_nesting_within_limit(tmp_path):
    depth = MAX_DEPTH - 3
    formula = "(and " * depth + "(<= X_0 1)" + ")" * depth
    term = "(+ " * 2000 + "Y_0" + ")" * 2000
    prop = load(tmp_path, HEAD + f"(assert {formula})\n(assert (>= X_0 0))\n(assert (<= {term} 2))")
    d, = prop.disjuncts
    assert d.upper == (1,) and d.constraints[0].coeffs == (1, 0)


# ---------- errors ----------

@pytest.mark.parametrize("code,text,needle", [
    ("VNNLIB_SYNTAX", HEAD + "(assert (<= X_0 1)", "end of file"),
    ("VNNLIB_SYNTAX", HEAD + BOX + "\n (assert (<= Y_0 1)))", "line 7 column 21: unexpected ')'"),
    ("VNNLIB_SYNTAX", HEAD + BOX + "(assert (<= Y_0 -x))", "line 6"),
    ("VNNLIB_SYNTAX", HEAD + BOX + "(assert (and))", "'and' needs"),
    ("VNNLIB_SYNTAX", HEAD + BOX + "(assert Y_0)", "term"),
    ("VNNLIB_SYNTAX", HEAD + BOX + "(assert (<= (and (<= Y_0 1)) 1))", "formula"),
    ("VNNLIB_UNSUPPORTED", HEAD + BOX + "(assert (<= X_0 Y_0))", "line 6"),
    ("VNNLIB_UNSUPPORTED", HEAD + BOX + "(assert (= Y_0 1))", "'='"),
    ("VNNLIB_UNSUPPORTED", HEAD + BOX + "(assert (not (<= Y_0 1)))", "'not'"),
    ("VNNLIB_UNSUPPORTED", HEAD + BOX + "(assert (distinct Y_0 Y_1))", "'distinct'"),
    ("VNNLIB_UNSUPPORTED", HEAD + BOX + "(assert (<= (* Y_0 Y_1) 1))", "non-linear"),
    ("VNNLIB_UNSUPPORTED", HEAD + BOX + "(assert (<= (* (+ (* 0 Y_0)) Y_1) 1))", "non-linear"),
    ("VNNLIB_UNSUPPORTED", HEAD + BOX + "(assert (<= Y_0 Y_1 1))", "two arguments"),
    ("VNNLIB_SYNTAX", HEAD + BOX + "(assert (<= (+) 1))", "'+' with 0 argument(s)"),
    ("VNNLIB_SYNTAX", HEAD + BOX + "(assert (<= (X_0 1) 1))", "operator after"),
    ("VNNLIB_SYNTAX", HEAD + BOX + "X_0", "expected a command"),
    ("VNNLIB_UNSUPPORTED", HEAD + "(declare-fun f (Real) Real)" + BOX, "declare-fun"),
    ("VNNLIB_UNSUPPORTED", HEAD + "(declare-const Z Real)", "X_<i>"),
    ("VNNLIB_UNSUPPORTED", HEAD + "(declare-const X_1 Int)", "Real"),
    ("VNNLIB_UNSUPPORTED", "(vnnlib-version <2.0>)\n", "VNN-LIB 2"),
    ("VNNLIB_UNSUPPORTED", "; v2\n(declare-network acc (declare-input X Real [3]) (declare-output Y Real []))", "VNN-LIB 2"),
    ("VNNLIB_UNSUPPORTED", HEAD + BOX + "(check-sat)", "check-sat"),
    ("VNNLIB_UNDECLARED", "(declare-const X_0 Real)\n" + BOX + "(assert (<= Y_0 1))", "line 4"),
    ("VNNLIB_UNDECLARED", "(declare-const Y_0 Real)\n(assert (<= X_0 1))\n(declare-const X_0 Real)", "X_0"),
    ("VNNLIB_VAR_RANGE", HEAD + "(declare-const X_1 Real)", "1 inputs"),
    ("VNNLIB_VAR_RANGE", HEAD + "(declare-const Y_2 Real)", "2 outputs"),
    ("VNNLIB_DUPLICATE", HEAD + "(declare-const Y_0 Real)", "twice"),
    ("VNNLIB_UNBOUNDED_INPUT", HEAD + "(assert (<= X_0 1))", "X_0 has no lower bound in disjunct 0"),
    ("VNNLIB_UNBOUNDED_INPUT", HEAD + "(assert (or (<= X_0 1) (>= X_0 0))) (assert (<= X_0 2))",
     "lower bound in disjunct 0"),
    ("VNNLIB_UNBOUNDED_INPUT", HEAD + "(assert (or (and (<= X_0 1) (>= X_0 0)) (>= X_0 0)))",
     "upper bound in disjunct 1"),
    ("VNNLIB_NUMBER", HEAD + "(assert (<= X_0 1e999999999))", "1e999999999"),
    ("VNNLIB_TOO_LARGE", HEAD + BOX + "(assert (or (<= Y_0 1) (<= Y_0 2)))\n" * 17, "131072"),
    ("VNNLIB_TOO_LARGE", HEAD + BOX + "(assert (or" + (" (and" + " (or (<= Y_0 1) (<= Y_0 2))" * 16 + ")") * 2
     + "))", "131072"),
    ("VNNLIB_TOO_DEEP", HEAD + "(assert " + "(and " * MAX_DEPTH + "(<= X_0 1)" + ")" * (MAX_DEPTH + 1), "line 4"),
])
def test_error_codes(tmp_path, code, text, needle):
    path = write(tmp_path, text)
    with pytest.raises(InputError) as e:
        load_property(path, 1, 2)
    assert e.value.code == code, str(e.value)
    assert needle in str(e.value), str(e.value)


def test_atom_on_two_inputs(tmp_path):
    text = HEAD.replace("Y_1", "X_1") + BOX + "(assert (and (<= Y_0 0) (<= (+ X_0 X_1) 1)))"
    with pytest.raises(InputError) as e:
        load_property(write(tmp_path, text), 2, 1)
    assert e.value.code == "VNNLIB_UNSUPPORTED" and "line 6 column 25" in str(e.value)
    assert "(<= (+ X_0 X_1) 1)" in str(e.value)


def test_unreadable_file(tmp_path):
    with pytest.raises(InputError) as e:
        load_property(tmp_path / "absent.vnnlib", 1, 1)
    assert e.value.code == "VNNLIB_SYNTAX"
    (tmp_path / "bin.vnnlib").write_bytes(b"(declare-const X_0 Real)\xff\xfe")
    with pytest.raises(InputError) as e:
        load_property(tmp_path / "bin.vnnlib", 1, 1)
    assert e.value.code == "VNNLIB_SYNTAX"


# ---------- the z3 cross-check can fail ----------

def mutations(prop):
    d = prop.disjuncts[0]
    c = d.constraints[0]
    yield dataclasses.replace(prop, disjuncts=prop.disjuncts[1:])  # a case lost
    yield dataclasses.replace(prop, disjuncts=(dataclasses.replace(d, upper=(d.upper[0] + F(1, 10**30),) + d.upper[1:]),)
                              + prop.disjuncts[1:])  # box a hair too large
    yield dataclasses.replace(prop, disjuncts=(dataclasses.replace(d, lower_strict=(True,) + d.lower_strict[1:]),) + prop.disjuncts[1:])
    flipped = dataclasses.replace(c, strict=not c.strict)
    neg = dataclasses.replace(c, coeffs=tuple(-v for v in c.coeffs), const=-c.const)
    for c2 in (flipped, neg):
        d2 = dataclasses.replace(d, constraints=(c2,) + d.constraints[1:])
        yield dataclasses.replace(prop, disjuncts=(d2,) + prop.disjuncts[1:])


def test_z3_detects_misreadings(tmp_path):
    text = HEAD + "(assert (or (and (>= X_0 0) (<= X_0 1)) (and (>= X_0 2) (<= X_0 3))))\n" \
                  "(assert (or (<= Y_0 Y_1) (< Y_1 0.5)))"
    prop = load(tmp_path, text)
    for bad in mutations(prop):
        with pytest.raises(InputError) as e:
            cross_check_with_z3(tmp_path / "p.vnnlib", bad, 10)
        assert e.value.code == "VNNLIB_Z3_MISMATCH"


@needs_bench
def test_z3_detects_misreadings_of_benchmarks():
    for path, n_in, n_out in [(BENCH / "acasxu/vnnlib/prop_6.vnnlib", 5, 5),
                              (BENCH / "mnist_fc/vnnlib/prop_3_0.05.vnnlib", 784, 10)]:
        prop = load_property(path, n_in, n_out)
        for bad in mutations(prop):
            with pytest.raises(InputError) as e:
                cross_check_with_z3(path, bad, 30)
            assert e.value.code == "VNNLIB_Z3_MISMATCH"


def test_z3_parse_error(tmp_path):
    prop = load(tmp_path, HEAD + BOX)
    path = write(tmp_path, HEAD + BOX + "(assert (<= Y_0 unknown_thing))", "other.vnnlib")
    with pytest.raises(InputError) as e:
        cross_check_with_z3(path, prop, 10)
    assert e.value.code == "VNNLIB_Z3_PARSE"


@needs_bench
def test_z3_unknown_on_timeout():
    path = BENCH / "mnist_fc/vnnlib/prop_0_0.05.vnnlib"
    prop = load_property(path, 784, 10)
    with pytest.raises(InputError) as e:
        cross_check_with_z3(path, prop, 1e-9)
    assert e.value.code == "VNNLIB_Z3_UNKNOWN"


# ---------- never a traceback ----------

from hypothesis import given, settings, strategies as st  # noqa: E402

TOKENS = ["(", ")", " ", "\n", "; c\n", "assert", "declare-const", "X_0", "Y_0", "Y_1", "Real", "and", "or",
          "<=", ">=", "<", ">", "+", "-", "*", "=", "1", "-0.5", "1e3", ".5", "X_7", "foo", "(assert", "(<= X_0"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_random_token_soup_gives_input_error_or_property(tmp_path_factory, tokens):
    path = tmp_path_factory.mktemp("fuzz") / "p.vnnlib"
    path.write_text(HEAD + BOX + " ".join(tokens))
    try:
        prop = load_property(path, 1, 2)
    except InputError:
        return
    cross_check_with_z3(path, prop, 10)
