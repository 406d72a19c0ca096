"""The VNN-LIB reader's hand-written s-expression parser accepts exactly the language of
vnnlib.lark, with the same tree, as lark's own LALR parser of that grammar does.

The reader takes its token patterns from vnnlib.lark and builds the tree with an explicit stack
(lark's per-token Python work made it read about 130 KB/s); these tests keep grammar and reader in
step: lark's strict mode proves the terminals disjoint (so the reader's alternation order does not
matter), and on generated texts, hand-written edge cases and every benchmark property both
parsers agree on acceptance and on every node's kind, text and span.
"""
from __future__ import annotations

import os
from pathlib import Path

import lark
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apothem_check import vnnlib
from apothem_check.errors import InputError

GRAMMAR = (Path(vnnlib.__file__).parent / "vnnlib.lark").read_text()
BENCH = Path(os.environ.get("APOTHEM_BENCHMARKS",
                            Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks"))


def lark_parser() -> lark.Lark:
    return lark.Lark(GRAMMAR, parser="lalr", strict=True, propagate_positions=True)


LARK = lark_parser()


def from_lark(node) -> tuple:
    if isinstance(node, lark.Token):
        return node.type, str(node), node.start_pos, node.end_pos
    if node.data == "ref":
        name, index = node.children
        return "ref", (from_lark(name), str(index)), node.meta.start_pos, node.meta.end_pos
    return "list", [from_lark(c) for c in node.children], node.meta.start_pos, node.meta.end_pos


def from_reader(node: vnnlib.Node) -> tuple:
    if node.kind == "ref":
        return "ref", (from_reader(node.value[0]), node.value[1]), node.start, node.end
    if node.kind == "list":
        return "list", [from_reader(c) for c in node.value], node.start, node.end
    return tuple(node)


def both(text: str):
    """Both parsers' trees, or None for a parser that rejects the text (the reader must reject
    with VNNLIB_SYNTAX and a position)."""
    try:
        theirs = [from_lark(c) for c in LARK.parse(text).children]
    except lark.exceptions.LarkError:
        theirs = None
    try:
        ours = [from_reader(c) for c in vnnlib._parse(text)]
    except InputError as e:
        assert e.code == "VNNLIB_SYNTAX" and str(e).split(": ", 1)[1].startswith("line "), str(e)
        ours = None
    return ours, theirs


def test_terminals_are_disjoint_and_all_read():
    lark_parser()  # strict=True raises if two terminals can match the same text
    assert set(vnnlib._LEXER.groupindex) == {t.name for t in LARK.terminals} - {"LPAR", "RPAR"} | {"LP", "RP", "BAD"}


PIECES = ["(", ")", " ", "\n", "\t", "\r", "\f", "\v", "\u00a0", ";c\n", ";", "X_0", "X", "Y", "x", "-", "+", "<=",
          "0", "01", "1e5", "1e", "1E-3", ".5", "5.", "-0.5", "+1", "1.5.2", "[0,1]", "[ 0 , 1 ]", "[]", "[01]",
          "[", "]", ",", "[1234567890123456789]", '"s"', '"', "real", "-x", "a.b", "~!@$%^&*_=<>?/", "é", "\\"]


@settings(max_examples=int(os.environ.get("APOTHEM_FUZZ_EXAMPLES", "300")), deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), max_size=30).map("".join))
def test_generated_texts_parse_alike(text):
    ours, theirs = both(text)
    assert ours == theirs


ATOMS = st.sampled_from(["X_0", "Y_1", "1", "-0.5", "1e-3", ".5", "<=", "and", "X [0,1]", "X[2]", '"n"', "-", "X[01]"])
SPACES = st.sampled_from(["", " ", "\n", " ;c\n ", "\t"])


@settings(max_examples=int(os.environ.get("APOTHEM_FUZZ_EXAMPLES", "300")), deadline=None, derandomize=True)
@given(st.recursive(ATOMS, lambda kids: st.tuples(st.lists(kids, max_size=4), SPACES).map(
    lambda t: "(" + t[1].join(t[0]) + ")"), max_leaves=20), SPACES)
def test_generated_sexpressions_parse_alike(text, space):
    ours, theirs = both(space + text + space)
    assert ours == theirs


@pytest.mark.parametrize("text", [
    "", "()", "(())", "(X [0, 3])", "(X\n[0])", "(X ;c\n[0])", "([0])", "(X [0] [1])", "((f) [0])", "(X[0]x)",
    "(1[0])", "(1 [0])", "(\"s\"[0])", "(\"s\" [0])", "[0]", "(a)(b)", ")", "(", "(a ; (\n)", "(- -1 +2 .5 5. 1e-3)", "(-x)", "1e", "(x\v)",
    "(declare-network N (declare-input X real [1,2]) (declare-output Y real []))",
])
def test_edge_cases_parse_alike(text):
    ours, theirs = both(text)
    assert ours == theirs


@pytest.mark.skipif(not BENCH.is_dir() and os.environ.get("APOTHEM_REQUIRE_BENCHMARKS") != "1",
                    reason=f"benchmark data not found at {BENCH}")
@pytest.mark.parametrize("folder", ["acasxu", "mnist_fc", "oval21", "sri_resnet_a", "test", "verivital"])
def test_benchmark_properties_parse_alike(folder):
    files = sorted((BENCH / folder).rglob("*.vnnlib"))[:3]
    assert files
    for path in files:
        ours, theirs = both(path.read_text())
        assert ours is not None and ours == theirs, path
