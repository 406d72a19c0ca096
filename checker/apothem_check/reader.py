"""The streaming proof reader: the lark grammar (proof.lark), one line at a time.

It yields the header, then typed steps (steps.py) carrying their line; a defect in the file is a
`CheckError` with code PARSE, HEADER or LIMIT. Reading line by line keeps memory bounded by the
longest line, whatever the proof's size.
"""
from __future__ import annotations

import functools
import re
from fractions import Fraction
from importlib.resources import files
from typing import BinaryIO, Iterator

import lark

from . import steps as S
from .kernel import CheckError

MAX_LINE = 16 << 20
MAX_NUMBER_CHARS = 4000  # below Python's 4300-digit int-parsing limit; bounds work per token
# words of rules removed from version 1, each with what replaced it (a PARSE error names it)
_REMOVED = {"z3": "`close N z3` is not a rule: spec/proof-format.md 4.6",
            "hole": "`hole` is not a rule: spec/proof-format.md 4.6",
            "interval": "`bounds N interval` is now `bounds N layer 1`: spec/proof-format.md 4.4",
            "crown": "`bounds N crown` is now `bounds N layer 1` .. `bounds N layer L`: spec/proof-format.md 4.4"}
_HEX = re.compile(r"(-?)0x([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?p([+-]?[0-9]+)$")


def number(text: str) -> Fraction:
    """The exact value of a NUM token (never through a binary float)."""
    if len(text) > MAX_NUMBER_CHARS:
        raise CheckError("LIMIT", f"a number of {len(text)} characters (limit {MAX_NUMBER_CHARS})")
    m = _HEX.match(text)
    if m is None:
        if "/" in text and int(text.split("/")[1]) == 0:
            raise CheckError("PARSE", f"division by zero in {text[:40]}")
        return Fraction(text)
    sign, whole, frac, exp = m.groups()
    frac, exp = frac or "", int(exp) - 4 * len(frac or "")
    if abs(exp) > 4 * MAX_NUMBER_CHARS:
        raise CheckError("LIMIT", f"exponent of {text[:40]} is too large")
    mant = int(whole + frac, 16) * (-1 if sign else 1)
    return Fraction(mant << exp) if exp >= 0 else Fraction(mant, 1 << -exp)


def index(text) -> int:
    """Ids and indices: plain non-negative integers."""
    text = str(text)
    if not re.fullmatch(r"[0-9]{1,30}", text):
        raise CheckError("PARSE", f"expected a non-negative integer id or index, got {text[:40]!r}")
    return int(text)


def _convert(tree: lark.Tree, line: int):
    """Header tuple (name, value) or typed step from a parsed `line`."""
    if tree.data != "step":
        return (str(tree.data), str(tree.children[0]))
    sid, body = tree.children
    i, n, rule, a = index, number, str(body.data), body.children
    if rule == "root":
        return S.Root(i(sid), tuple(i(t) for t in a), line)
    if rule == "split_input":
        return S.SplitInput(i(sid), i(a[0]), i(a[1]), n(a[2]), i(a[3]), i(a[4]), line)
    if rule == "split_relu":
        return S.SplitRelu(i(sid), *(i(t) for t in a[:5]), line)
    groups = {g.data: g.children for g in a if isinstance(g, lark.Tree)}
    which = i(groups["which"][0]) if "which" in groups else None
    hints = lambda name: tuple((i(t.children[0]), i(t.children[1]), n(t.children[2])) for t in groups.get(name, ()))
    if rule == "bounds_layer":
        return S.BoundsLayer(i(sid), i(a[0]), i(a[1]), hints("alphas"), tuple(map(i, groups.get("neurons", ()))), line)
    if rule == "close_linear":
        return S.CloseLinear(i(sid), i(a[0]), tuple(n(t) for t in groups["lambdas"]), hints("alphas"), hints("betas"),
                             which, line)
    if rule == "witness":
        return S.Witness(i(sid), i(a[0]), tuple(n(t) for t in a[1:]), line)
    if rule == "sat":
        return S.Sat(i(sid), i(a[0]), line)
    return S.Unsat(i(sid), line)


@functools.cache
def _parser() -> lark.Lark:
    """Built on first use (the grammar is compiled once per process). Not in lark's strict mode: that its
    terminals are disjoint and its tables conflict-free is a property of the fixed grammar file, proved once by
    the test suite (checker/tests/test_reader_grammar.py), not re-proved by every check (0.5 s a run)."""
    return lark.Lark(files("apothem_check").joinpath("proof.lark").read_text(), start=["proof", "line"],
                     parser="lalr", propagate_positions=True)


def _parse_line(text: str, where: str):
    try:
        return _parser().parse(text, start="line")
    except lark.exceptions.UnexpectedCharacters as err:  # the word, not lark's one character
        word = re.split(r"[ \t]", text[err.pos_in_stream:])[0][:40]
        why = f" ({_REMOVED[word]})" if word in _REMOVED else ""
        raise CheckError("PARSE", f"{where}: unexpected {word!r} at column {err.column}{why}") from None
    except lark.exceptions.LarkError as err:
        raise CheckError("PARSE", f"{where}: {str(err).splitlines()[0]}") from None


def read_proof(stream: BinaryIO) -> Iterator:
    """Yield header items and steps from a proof, one line at a time."""
    for number_, raw in enumerate(iter(lambda: stream.readline(MAX_LINE + 1), b""), start=1):
        if len(raw) > MAX_LINE:
            raise CheckError("LIMIT", f"line {number_} is longer than {MAX_LINE} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckError("PARSE", f"line {number_} is not UTF-8 text (a proof is a text file)") from None
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        yield _convert(_parse_line(text.rstrip("\r\n"), f"line {number_}"), number_)


