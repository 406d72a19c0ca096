"""The proof grammar is unambiguous: lark's strict mode (with interegular) proves its terminals disjoint and its
LALR tables free of conflicts. The reader builds the parser without strict mode, so this is checked here, once."""
from __future__ import annotations

from importlib.resources import files

import lark


def test_proof_grammar_passes_lark_strict_mode():
    grammar = files("apothem_check").joinpath("proof.lark").read_text()
    lark.Lark(grammar, start=["proof", "line"], parser="lalr", strict=True)  # raises on a collision or conflict


def test_strict_mode_would_catch_a_collision():
    """The check above can fail: a terminal that overlaps NUM is refused."""
    grammar = files("apothem_check").joinpath("proof.lark").read_text() + '\nCLASH: /[0-9]+x?/\n'
    grammar = grammar.replace('"sat" NUM', '"sat" (NUM | CLASH)')  # where NUM may also come
    try:
        lark.Lark(grammar, start=["proof", "line"], parser="lalr", strict=True)
    except lark.exceptions.LarkError as err:
        assert "collision" in str(err).lower() or "conflict" in str(err).lower()
    else:
        raise AssertionError("strict mode accepted two overlapping terminals")
