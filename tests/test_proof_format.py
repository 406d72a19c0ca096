"""The writer (proof_format) against the checker's reader and grammar: lossless round trips, and
the binary form of the golden proofs checked like the text form (moved here from the checker's
suite, which must not need proof_format)."""
from __future__ import annotations

import io
import re
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apothem_check import steps as S
from apothem_check.cli import main as checker_main
from apothem_check.reader import _convert, _parser, read_proof
from proof_format.convert import convert
from helpers import check_file, golden_param, outcome, read_steps  # the checker's (tests/conftest.py)
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
def test_text_binary_text_round_trip(path: Path, tmp_path: Path):
    binary, text = tmp_path / "p.apb", tmp_path / "p.apf"
    convert(path, binary, binary=True)
    convert(binary, text, binary=False)
    original, via_binary, back = read_all(path), read_all(binary), read_all(text)
    assert original == via_binary == back
    canonical = tmp_path / "c.apf"
    convert(path, canonical, binary=False)
    assert canonical.read_bytes() == text.read_bytes()


NUMBERS = st.one_of(
    st.integers(-10 ** 30, 10 ** 30).map(Fraction),
    st.fractions(max_denominator=10 ** 12),
    st.builds(lambda m, e: Fraction(m, 2 ** e), st.integers(-2 ** 80, 2 ** 80), st.integers(0, 200)),
    st.builds(lambda p, q: Fraction(p, q), st.integers(-10 ** 300, 10 ** 300), st.integers(1, 10 ** 300)),
    st.sampled_from([Fraction(0), Fraction(-1, 3), Fraction(1, 2 ** 64), Fraction(-3, 16), Fraction(10 ** 100)]))
IDS = st.integers(0, 10 ** 12)
SMALL = st.integers(0, 10 ** 6)
TRIPLES = st.lists(st.tuples(SMALL, SMALL, NUMBERS), max_size=4).map(tuple)
REASONS = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'), max_size=30)

STEPS = st.one_of(
    st.builds(S.Root, IDS, st.lists(SMALL, min_size=1, max_size=4).map(tuple)),
    st.builds(S.SplitInput, IDS, IDS, SMALL, NUMBERS, IDS, IDS),
    st.builds(S.SplitRelu, IDS, IDS, SMALL, SMALL, IDS, IDS),
    st.builds(S.Bounds, IDS, IDS, st.sampled_from(["interval", "crown"])),
    st.builds(S.CloseLinear, IDS, IDS, st.lists(NUMBERS, min_size=1, max_size=5).map(tuple), TRIPLES, TRIPLES,
              st.none() | SMALL),
    st.builds(S.CloseZ3, IDS, IDS, st.none() | SMALL),
    st.builds(S.Hole, IDS, IDS, REASONS),
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
def test_step_sequences_round_trip_both_forms(steps):
    net, prop = "ab" * 32, "cd" * 32
    text, binary = io.StringIO(), io.BytesIO()
    for stream, is_binary in ((text, False), (binary, True)):
        writer = ProofWriter(stream, net, prop, binary=is_binary)
        writer.start()
        for step in steps:
            writer.write(step)
    from_text = list(read_proof(io.BufferedReader(io.BytesIO(text.getvalue().encode()))))
    from_binary = list(read_proof(io.BufferedReader(io.BytesIO(binary.getvalue()))))
    header = [("version", "1"), ("semantics", "real"), ("network_hash", f"sha256:{net}"),
              ("property_hash", f"sha256:{prop}")]
    assert from_text == from_binary == header + steps


BINARY = [p for p in READABLE if not re.search(r"header|hash|semantics|no_verdict_no_steps", p.stem)]


@pytest.mark.parametrize("path, meta", [golden_param(p) for p in BINARY])
def test_golden_binary_same_verdict(path: Path, meta: dict, tmp_path: Path):
    """The msgpack form, written by ProofWriter(binary=True) from the text steps, gives the same verdict."""
    head, steps = read_steps(path)
    target = tmp_path / (path.stem + ".apb")
    with open(target, "wb") as out:
        writer = ProofWriter(out, head["network_hash"].removeprefix("sha256:"),
                             head["property_hash"].removeprefix("sha256:"), binary=True, semantics=head["semantics"])
        writer.start()
        for step in steps:
            writer.write(step)
    assert target.read_bytes()[0] >= 0x80
    result = check_file(target, GOLDEN / meta["model"], GOLDEN / meta["property"])
    assert outcome(result) == meta["expect"], str(result.error)


def test_binary_proof_through_cli(capsys, tmp_path):
    target = tmp_path / "p.apb"
    convert(GOLDEN / "valid/root_close_linear.apf", target, binary=True)
    models = GOLDEN / "models"
    code = checker_main(["check", "--query", str(models / "abs_neg.vnnlib"), "--proof", str(target),
                         "--network", str(models / "abs.onnx")])
    assert (code, capsys.readouterr().out.splitlines()) == (0, ["valid"])


def test_exact_decimal():
    assert exact_decimal(Fraction(-3, 8)) == "-0.375"
    assert exact_decimal(Fraction(5)) == "5"
    assert Fraction(exact_decimal(Fraction(1, 2 ** 40))) == Fraction(1, 2 ** 40)
