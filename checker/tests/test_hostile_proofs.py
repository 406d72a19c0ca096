"""Hostile proofs, each pinned to its outcome (issue 17's classes and the spec's rules).

The golden files (golden/invalid, golden/parse_error) hold the attacks on each rule; this table adds
lexical cases, headers, bounded number costs, inputs that used to crash the checker after it had
decided (a witness beyond the float range, z3 handed integers of more than 4,300 digits), and
`--expect`.
"""
from __future__ import annotations

import time

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import nets
from apothem_check.cli import main
from helpers import MODELS, check_text, outcome, proof_text, sha

ABS, NEG, SAT = MODELS / "abs.onnx", MODELS / "abs_neg.vnnlib", MODELS / "abs_sat.vnnlib"


CLOSE = "1 root 0\n2 close 1 linear lambda 1\n3 unsat"


def close_with(*items) -> str:
    return f"1 root 0\n2 close 1 linear lambda {' '.join(items)}\n3 unsat"


HEADERS = [  # (name, header, outcome): the proof CLOSE under a changed header
    ("semantics float32", f"apothem-proof 1\nsemantics float32\nnetwork sha256:{sha(ABS)}\nproperty sha256:{sha(NEG)}",
     "valid unsat"),  # |x| >= 0 in binary32 too
    ("semantics float64", f"apothem-proof 1\nsemantics float64\nnetwork sha256:{sha(ABS)}\nproperty sha256:{sha(NEG)}",
     "invalid PARSE"),
    ("version 2", f"apothem-proof 2\nsemantics real\nnetwork sha256:{sha(ABS)}\nproperty sha256:{sha(NEG)}",
     "invalid HEADER"),
    ("no network hash", f"apothem-proof 1\nsemantics real\nproperty sha256:{sha(NEG)}", "invalid HEADER"),
    ("property hash of another file",
     f"apothem-proof 1\nsemantics real\nnetwork sha256:{sha(ABS)}\nproperty sha256:{sha(SAT)}", "invalid HASH_PROPERTY"),
]


@pytest.mark.parametrize("name, head, expect", HEADERS, ids=[h[0] for h in HEADERS])
def test_hostile_header(tmp_path, name, head, expect):
    assert outcome(check_text(tmp_path, ABS, NEG, head + "\n" + CLOSE + "\n")) == expect


def test_a_binary_file_is_not_a_proof(tmp_path):
    """A proof is a text file (spec section 2): bytes that are not UTF-8 are PARSE, naming the line."""
    result = check_text(tmp_path, ABS, NEG, b"\x85\xa6format\xadapothem-proof\n1 root 0\n")
    assert outcome(result) == "invalid PARSE" and "not UTF-8 text" in result.error.message


TEXT = [  # (name, body, outcome): text proofs of abs_neg, the header right
    ("decimal exponent", "1 root 0\n2 close 1 linear lambda 1e5\n3 unsat", "invalid PARSE"),
    ("leading dot", "1 root 0\n2 close 1 linear lambda .5\n3 unsat", "invalid PARSE"),
    ("nan", "1 root 0\n2 close 1 linear lambda nan\n3 unsat", "invalid PARSE"),
    ("division by zero", "1 root 0\n2 split 1 input 0 1/0 3 4\n5 unsat", "invalid PARSE"),
    ("NUL byte", "1 root 0\n2 close 1 linear lambda 1\x00\n3 unsat", "invalid PARSE"),
    ("id of 31 digits", "1 root 0\n" + "9" * 31 + " close 1 linear lambda 1\n", "invalid PARSE"),
    ("carriage return inside a line", "1 root 0\n2 close 1\rlinear lambda 1\n3 unsat", "invalid PARSE"),
    ("tab separated", "1\troot\t0\n2\tclose\t1\tlinear\tlambda\t1\n3\tunsat", "valid unsat"),
    ("unsat first", "1 unsat", "invalid step 1 MISSING_ROOT"),
    ("witness of a safe point", "1 witness 0 0", "invalid step 1 WITNESS_SAFE"),
    ("upper-case keyword", "1 root 0\n2 close 1 linear LAMBDA 1\n3 unsat", "invalid PARSE"),
    ("hole, a removed rule", '1 root 0\n2 hole 1 "# not a comment"\n3 unsat', "invalid PARSE"),
    ("close z3, a removed rule", "1 root 0\n2 close 1 z3\n3 unsat", "invalid PARSE"),
    ("number of 4001 characters", close_with("1" * 4001), "invalid LIMIT"),
    ("hexadecimal exponent too large", close_with("0x1p99999"), "invalid LIMIT"),
    ("truncated in a step", CLOSE[:-14], "invalid PARSE"),
    ("truncated after a step", CLOSE[:-8], "invalid NO_VERDICT"),
    ("negative multiplier", close_with("-1"), "invalid step 2 BAD_LAMBDA"),
    ("unknown node", "1 root 0\n2 close 9 linear lambda 1\n3 unsat", "invalid step 2 UNKNOWN_NODE"),
    ("decreasing ids", "5 root 0\n2 close 5 linear lambda 1\n3 unsat", "invalid step 2 ID_ORDER"),
    ("unsat with an open node", "1 root 0\n3 unsat", "invalid step 3 OPEN_NODES"),
]


@pytest.mark.parametrize("name, body, expect", TEXT, ids=[t[0] for t in TEXT])
def test_hostile_text_proof(tmp_path, name, body, expect):
    assert outcome(check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, body))) == expect


Z3 = "`close N z3` is not a rule: spec/proof-format.md 4.6"
LAYER_1 = "`bounds N interval` is now `bounds N layer 1`: spec/proof-format.md 4.4"
LAYERS = "`bounds N crown` is now `bounds N layer 1` .. `bounds N layer L`: spec/proof-format.md 4.4"


@pytest.mark.parametrize("step, word, column, why", [
    ("2 close 1 z3", "z3", 11, Z3), ("2 close 1 z3 disjunct 0", "z3", 11, Z3),
    ('2 hole 1 "left to the reader"', "hole", 3, "`hole` is not a rule: spec/proof-format.md 4.6"),
    ("2 bounds 1 interval", "interval", 12, LAYER_1), ("2 bounds 1 crown", "crown", 12, LAYERS)])
def test_removed_rules_are_named_in_the_parse_error(tmp_path, step, word, column, why):
    """A proof written for the removed rules (spec 4.4, 4.6) is told so and what replaced them, not just shown one
    bad character."""
    result = check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, f"1 root 0\n{step}\n3 unsat"))
    assert outcome(result) == "invalid PARSE"
    assert str(result.error) == f"PARSE: line 6: unexpected {word!r} at column {column} ({why})"
    other = check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, "1 root 0\n2 trust 1\n3 unsat"))
    assert str(other.error) == "PARSE: line 6: unexpected 'trust' at column 3"


def test_witness_beyond_the_float_range(tmp_path):
    """A witness of 10^400 is checked exactly, with no float conversion anywhere (an informational float32
    evaluation used to raise OverflowError after the exact check had accepted the witness)."""
    prop = tmp_path / "huge.vnnlib"
    prop.write_text(nets.vnnlib(1, 1, "(assert (>= X_0 0))\n(assert (<= X_0 1e401))\n(assert (>= Y_0 0))", "huge"))
    result = check_text(tmp_path, ABS, prop, proof_text(ABS, prop, f"1 witness 0 1{'0' * 400}\n2 sat 1"))
    assert outcome(result) == "valid sat"


def _huge_weight_model(path, multiplications: int = 120):
    """y = x * (2^127)^multiplications: exact weights of 4,588 digits."""
    nodes = [helper.make_node("Mul", ["input" if i == 0 else f"m{i}", "K"], [f"m{i + 1}" if i + 1 < multiplications
                                                                           else "output"]) for i in range(multiplications)]
    graph = helper.make_graph(nodes, "huge", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1])],
                              [numpy_helper.from_array(np.array([2.0 ** 127], dtype=np.float32), "K")])
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString())
    return path


def test_weights_of_thousands_of_digits_close_linearly(tmp_path):
    """Exact weights beyond Python's 4,300-digit int-to-text limit: `close linear` works in integers
    throughout and never converts them to text (no ValueError)."""
    model = _huge_weight_model(tmp_path / "huge.onnx")
    prop = tmp_path / "p.vnnlib"
    prop.write_text(nets.vnnlib(1, 1, nets.box([(0, 1)]) + "\n(assert (<= Y_0 -1))", "y <= -1 on [0, 1]"))
    result = check_text(tmp_path, model, prop, proof_text(model, prop, "1 root 0\n2 close 1 linear lambda 1\n3 unsat"))
    assert outcome(result) == "valid unsat"


def test_numbers_cost_little_in_every_reader(tmp_path):
    """A number such as 1e30000000 or a million digits is refused at once by each reader."""
    start = time.perf_counter()
    for number in ("1e30000000", "1" * 10 ** 6):
        prop = tmp_path / "p.vnnlib"
        prop.write_text(nets.vnnlib(1, 1, f"(assert (>= X_0 0))\n(assert (<= X_0 {number}))\n(assert (<= Y_0 0))", "n"))
        code = main(["check", "--query", str(prop), "--proof", str(prop), "--network", str(ABS)])
        assert code == 4
        body = f"1 root 0\n2 close 1 linear lambda {number}\n3 unsat"
        assert outcome(check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, body))) in ("invalid PARSE", "invalid LIMIT")
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize("prop, body, expect, code, line", [
    (NEG, "1 root 0\n2 close 1 linear lambda 1\n3 unsat", "unsat", 0, "valid"),
    (NEG, "1 root 0\n2 close 1 linear lambda 1\n3 unsat", "sat", 1, "invalid"),
    (SAT, "1 witness 0 0\n2 sat 1", "unsat", 1, "invalid"),
    (SAT, "1 witness 0 0\n2 sat 1", "sat", 0, "valid")])
def test_expect(capsys, tmp_path, prop, body, expect, code, line):
    """`--expect` makes a valid proof of the other verdict invalid: a script reading `valid` never
    takes a counterexample for a safety proof."""
    path = tmp_path / "p.apf"
    path.write_text(proof_text(ABS, prop, body))
    got = main(["check", "--query", str(prop), "--proof", str(path), "--network", str(ABS), "--expect", expect])
    out, err = capsys.readouterr()
    assert (got, out) == (code, line + "\n"), err
    assert ("EXPECT: the proof establishes" in err) == (line == "invalid")


def test_ill_typed_onnx_is_an_input_error(capsys, tmp_path):
    graph = helper.make_graph([helper.make_node("Mul", ["input", "K"], ["output"])], "g",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, 1])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1])],
                              [numpy_helper.from_array(np.array([2], dtype=np.int64), "K")])
    model = tmp_path / "m.onnx"
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), str(model))
    code = main(["check", "--query", str(NEG), "--proof", str(NEG), "--network", str(model)])
    out, err = capsys.readouterr()
    assert (code, out) == (4, "invalid\n") and "ONNX_TYPE" in err


def test_a_vnnlib_number_too_long_for_z3_is_an_input_error(capsys, tmp_path):
    """4,000 digits times 10^1000: within each reader limit alone, but 5,000 digits for z3's cross-check."""
    prop = tmp_path / "p.vnnlib"
    prop.write_text(nets.vnnlib(1, 1, f"(assert (>= X_0 0))\n(assert (<= X_0 {'1' * 4000}e1000))\n"
                                      "(assert (<= Y_0 -1))", "big"))
    code = main(["check", "--query", str(prop), "--proof", str(prop), "--network", str(ABS)])
    out, err = capsys.readouterr()
    assert (code, out) == (4, "invalid\n") and "VNNLIB_NUMBER" in err and "more than 4000 digits" in err
