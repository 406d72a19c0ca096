"""Typed proof steps: what the text and binary readers produce and the kernel consumes.

One frozen dataclass per rule of spec/proof-format.md section 4, with the fields of its syntax.
`line` is the source line (0 when a step is built in memory, e.g. by a prover re-verifying its
own steps), used only in messages; `rule` is the rule's name in messages.
"""
from __future__ import annotations

from dataclasses import field, make_dataclass
from fractions import Fraction


def _step(name: str, rule: str, *fields):
    cls = make_dataclass(name, [*fields, ("line", int, field(default=0, compare=False))], frozen=True)
    cls.rule = rule
    return cls


Root = _step("Root", "root", ("id", int), ("disjuncts", tuple))
SplitInput = _step("SplitInput", "split", ("id", int), ("node", int), ("index", int), ("threshold", Fraction),
                   ("low", int), ("high", int))
SplitRelu = _step("SplitRelu", "split", ("id", int), ("node", int), ("layer", int), ("neuron", int),
                  ("neg", int), ("pos", int))
BoundsLayer = _step("BoundsLayer", "bounds", ("id", int), ("node", int), ("layer", int),
                    ("alphas", tuple, field(default=())), ("neurons", tuple, field(default=())))
CloseLinear = _step("CloseLinear", "close", ("id", int), ("node", int), ("lambdas", tuple),
                    ("alphas", tuple, field(default=())), ("betas", tuple, field(default=())),
                    ("disjunct", int | None, field(default=None)))
Witness = _step("Witness", "witness", ("id", int), ("disjunct", int), ("values", tuple))
Sat = _step("Sat", "sat", ("id", int), ("witness", int))
Unsat = _step("Unsat", "unsat", ("id", int))
