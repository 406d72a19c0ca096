"""Streaming readers for proofs: text (lark grammar, one line at a time) and msgpack binary.

Both yield the header, then typed steps (steps.py) carrying their line (text) or record number
(binary); a defect in the file is a `CheckError` with code PARSE, HEADER or LIMIT. Reading
line by line keeps memory bounded by the longest line, whatever the proof's size.
"""
from __future__ import annotations

import re
from fractions import Fraction
from importlib.resources import files
from typing import BinaryIO, Iterator

import lark
import msgpack

from . import steps as S
from .kernel import CheckError

MAX_LINE = 16 << 20
MAX_NUMBER_CHARS = 4000  # below Python's 4300-digit int-parsing limit; bounds work per token
_PARSER = lark.Lark(files("apothem_check").joinpath("proof.lark").read_text(), start=["proof", "line"],
                    parser="lalr", strict=True, propagate_positions=True)
_HEX = re.compile(r"(-?)0x([0-9a-fA-F]+)(?:\.([0-9a-fA-F]*))?p([+-]?[0-9]+)$")


def number(text: str) -> Fraction:
    """The exact value of a NUM token (never through a binary float)."""
    if len(text) > MAX_NUMBER_CHARS:
        raise CheckError("LIMIT", f"a number of {len(text)} characters (limit {MAX_NUMBER_CHARS})")
    m = _HEX.match(text)
    if m is None:
        return Fraction(text)
    sign, whole, frac, exp = m.groups()
    frac = frac or ""
    exp = int(exp) - 4 * len(frac)
    if abs(exp) > 4 * MAX_NUMBER_CHARS:
        raise CheckError("LIMIT", f"exponent of {text[:40]} is too large")
    mant = int(whole + frac, 16) * (-1 if sign else 1)
    return Fraction(mant << exp) if exp >= 0 else Fraction(mant, 1 << -exp)


def index(text) -> int:
    """Ids and indices: plain non-negative integers."""
    text = str(text)
    if not text.isdigit() or len(text) > 30:
        raise CheckError("PARSE", f"expected a non-negative integer id or index, got {text[:40]!r}")
    return int(text)


def _hints(items) -> tuple:
    return tuple((index(k), index(j), number(str(v))) for k, j, v in items)


def build_step(sid, rule: str, args: list, line: int):
    """One typed step from its rule name and argument texts (shared by both readers)."""
    i, n = index, number
    try:
        if rule == "root":
            return S.Root(i(sid), i(args[0]), line)
        if rule == "split_input":
            return S.SplitInput(i(sid), i(args[0]), i(args[1]), n(str(args[2])), i(args[3]), i(args[4]), line)
        if rule == "split_relu":
            return S.SplitRelu(i(sid), *(i(a) for a in args[:5]), line)
        if rule == "bounds":
            if str(args[1]) not in ("interval", "crown"):
                raise CheckError("PARSE", f"unknown bound method {args[1]!r}")
            return S.Bounds(i(sid), i(args[0]), str(args[1]), line)
        if rule == "close_linear":
            parts = {p[0]: p[1:] for p in args[1:]}
            return S.CloseLinear(i(sid), i(args[0]), tuple(n(str(v)) for v in parts["lambda"]),
                                 _hints(parts.get("alpha", ())), _hints(parts.get("beta", ())), line)
        if rule == "close_z3":
            return S.CloseZ3(i(sid), i(args[0]), line)
        if rule == "hole":
            return S.Hole(i(sid), i(args[0]), str(args[1]).strip('"'), line)
        if rule == "witness":
            return S.Witness(i(sid), i(args[0]), tuple(n(str(v)) for v in args[1:]), line)
        if rule == "sat":
            return S.Sat(i(sid), i(args[0]), line)
        if rule == "unsat":
            return S.Unsat(i(sid), line)
    except (KeyError, IndexError, TypeError, ValueError, ZeroDivisionError) as err:
        raise CheckError("PARSE", f"malformed {rule} step: {err}") from None
    raise CheckError("PARSE", f"unknown rule {rule!r}")


def _from_tree(tree: lark.Tree, line: int):
    """Header tuple (name, value) or typed step from a parsed `line`."""
    if tree.data != "step":
        return (str(tree.data), str(tree.children[0]))
    sid, body = tree.children
    args = []
    for child in body.children:
        if isinstance(child, lark.Tree) and child.data == "lambdas":
            args.append(["lambda", *child.children])
        elif isinstance(child, lark.Tree):
            args.append([child.data[:-1], *(t.children for t in child.children)])
        else:
            args.append(child)
    return build_step(sid, str(body.data), args, line)


def read_text(stream: BinaryIO) -> Iterator:
    """Yield header items and steps from a text proof, one line at a time."""
    for number_, raw in enumerate(iter(lambda: stream.readline(MAX_LINE + 1), b""), start=1):
        if len(raw) > MAX_LINE:
            raise CheckError("LIMIT", f"line {number_} is longer than {MAX_LINE} bytes")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise CheckError("PARSE", f"line {number_} is not UTF-8") from None
        if not text.strip() or text.lstrip().startswith("#"):
            continue
        try:
            tree = _PARSER.parse(text.rstrip("\r\n"), start="line")
        except lark.exceptions.LarkError as err:
            reason = str(err).splitlines()[0]
            raise CheckError("PARSE", f"line {number_}: {reason}") from None
        yield _from_tree(tree, number_)


def read_binary(stream: BinaryIO) -> Iterator:
    """Yield header items and steps from a msgpack proof (spec section 2)."""
    unpacker = msgpack.Unpacker(stream, raw=False, max_buffer_size=MAX_LINE, strict_map_key=True)
    try:
        head = next(unpacker)
        if not isinstance(head, dict) or head.get("format") != "apothem-proof":
            raise CheckError("HEADER", "the binary proof does not start with an apothem-proof map")
        yield ("version", str(head.get("version")))
        yield ("semantics", str(head.get("semantics")))
        yield ("network_hash", str(head.get("network")))
        yield ("property_hash", str(head.get("property")))
        for record, item in enumerate(unpacker, start=1):
            if not isinstance(item, list) or len(item) < 2:
                raise CheckError("PARSE", f"record {record} is not a step array")
            yield build_step(item[0], str(item[1]), list(item[2:]), record)
    except (msgpack.exceptions.ExtraData, msgpack.exceptions.FormatError,
            msgpack.exceptions.StackError, msgpack.exceptions.BufferFull, ValueError) as err:
        raise CheckError("PARSE", f"binary proof is malformed: {err}") from None
    except StopIteration:
        raise CheckError("HEADER", "empty binary proof") from None


def read_proof(stream: BinaryIO) -> Iterator:
    """Text or binary, told apart by the first byte (text proofs start with 'a' or '#')."""
    first = stream.peek(1)[:1] if hasattr(stream, "peek") else b""
    return read_binary(stream) if first and first[0] >= 0x80 else read_text(stream)
