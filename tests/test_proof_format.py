"""The writer (proof_format) against the checker's reader and grammar: lossless round trips (here,
not in the checker's suite, which must not need proof_format)."""
from __future__ import annotations

import io
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apothem_check import steps as S
from apothem_check.reader import _convert, _parser, read_proof
from helpers import read_steps  # the checker's (tests/conftest.py)
from proof_format.numbers import exact_decimal, format_number
from proof_format.writer import ProofWriter, format_step

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "checker" / "tests" / "golden"
READABLE = sorted(p for p in (GOLDEN / "valid").glob("*.apf")) + sorted((GOLDEN / "invalid").glob("*.apf"))


def read_all(path: Path):
    with open(path, "rb") as f:
        items = list(read_proof(io.BufferedReader(f)))
    return items


def parse_line(text: str):
    return _convert(_parser().parse(text, start="line"), 1)


def _readable(path):
    try:
        items = read_all(path)
    except Exception:
        return False
    return len(items) >= 4 and all(isinstance(i, tuple) for i in items[:4]) \
        and all(not isinstance(i, tuple) for i in items[4:])



def _case(p):
    return pytest.param(p, id=f"{p.parent.name}/{p.stem}")


@pytest.mark.parametrize("path", [_case(p) for p in READABLE if _readable(p) and p.stem != "header_order"])
def test_golden_proofs_rewritten_read_back_the_same(path: Path):
    """Every readable golden proof, its steps written again by ProofWriter, reads back item for item."""
    head, steps = read_steps(path)
    out = io.StringIO()
    writer = ProofWriter(out, head["network_hash"].removeprefix("sha256:"), head["property_hash"].removeprefix("sha256:"),
                         semantics=head["semantics"], version=int(head["version"]))
    writer.start()
    for step in steps:
        writer.write(step)
    assert list(read_proof(io.BytesIO(out.getvalue().encode()))) == read_all(path)


NUMBERS = st.one_of(
    st.integers(-10 ** 30, 10 ** 30).map(Fraction),
    st.fractions(max_denominator=10 ** 12),
    st.builds(lambda m, e: Fraction(m, 2 ** e), st.integers(-2 ** 80, 2 ** 80), st.integers(0, 200)),
    st.builds(lambda p, q: Fraction(p, q), st.integers(-10 ** 300, 10 ** 300), st.integers(1, 10 ** 300)),
    st.sampled_from([Fraction(0), Fraction(-1, 3), Fraction(1, 2 ** 64), Fraction(-3, 16), Fraction(10 ** 100)]))
IDS = st.integers(0, 10 ** 12)
SMALL = st.integers(0, 10 ** 6)
TRIPLES = st.lists(st.tuples(SMALL, SMALL, NUMBERS), max_size=4).map(tuple)

STEPS = st.one_of(
    st.builds(S.Root, IDS, st.lists(SMALL, min_size=1, max_size=4).map(tuple)),
    st.builds(S.SplitInput, IDS, IDS, SMALL, NUMBERS, IDS, IDS),
    st.builds(S.SplitRelu, IDS, IDS, SMALL, SMALL, IDS, IDS),
    st.builds(S.BoundsLayer, IDS, IDS, SMALL, TRIPLES, st.lists(SMALL, max_size=4).map(tuple)),
    st.builds(S.CloseLinear, IDS, IDS, st.lists(NUMBERS, min_size=1, max_size=5).map(tuple), TRIPLES, TRIPLES,
              st.none() | SMALL),
    st.builds(S.Witness, IDS, SMALL, st.lists(NUMBERS, min_size=1, max_size=5).map(tuple)),
    st.builds(S.Sat, IDS, IDS),
    st.builds(S.Unsat, IDS))


@settings(max_examples=300, deadline=None)
@given(step=STEPS)
def test_format_step_parses_back_to_the_same_step(step):
    line = format_step(step)
    assert "\n" not in line
    assert parse_line(line) == step


@settings(max_examples=300, deadline=None)
@given(q=NUMBERS)
def test_format_number_is_exact(q):
    from apothem_check.reader import number
    text = format_number(q)
    assert number(text) == q
    assert parse_line(f"1 witness 0 {text}") == S.Witness(1, 0, (q,))


@settings(max_examples=60, deadline=None)
@given(steps=st.lists(STEPS, max_size=30))
def test_step_sequences_round_trip(steps):
    net, prop = "ab" * 32, "cd" * 32
    text = io.StringIO()
    writer = ProofWriter(text, net, prop)
    writer.start()
    for step in steps:
        writer.write(step)
    header = [("version", "1"), ("semantics", "real"), ("network_hash", f"sha256:{net}"),
              ("property_hash", f"sha256:{prop}")]
    assert list(read_proof(io.BytesIO(text.getvalue().encode()))) == header + steps


def test_exact_decimal():
    assert exact_decimal(Fraction(-3, 8)) == "-0.375"
    assert exact_decimal(Fraction(5)) == "5"
    assert Fraction(exact_decimal(Fraction(1, 2 ** 40))) == Fraction(1, 2 ** 40)
