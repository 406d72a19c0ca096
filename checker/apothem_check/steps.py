"""Typed proof steps: what the text and binary readers produce and the kernel consumes.

One dataclass per rule of spec/proof-format.md section 4. `line` is the source line (0 when the
step was built in memory, e.g. by a prover re-verifying its own steps), used only in messages.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

Hint = tuple[int, int, Fraction]  # (hidden layer k, neuron j, value)


@dataclass(frozen=True)
class Root:
    id: int
    disjunct: int
    line: int = field(default=0, compare=False)
    rule = "root"


@dataclass(frozen=True)
class SplitInput:
    id: int
    node: int
    index: int
    threshold: Fraction
    low: int
    high: int
    line: int = field(default=0, compare=False)
    rule = "split"


@dataclass(frozen=True)
class SplitRelu:
    id: int
    node: int
    layer: int
    neuron: int
    neg: int
    pos: int
    line: int = field(default=0, compare=False)
    rule = "split"


@dataclass(frozen=True)
class Bounds:
    id: int
    node: int
    method: str  # "interval" | "crown"
    line: int = field(default=0, compare=False)
    rule = "bounds"


@dataclass(frozen=True)
class CloseLinear:
    id: int
    node: int
    lambdas: tuple[Fraction, ...]
    alphas: tuple[Hint, ...] = ()
    betas: tuple[Hint, ...] = ()
    line: int = field(default=0, compare=False)
    rule = "close"


@dataclass(frozen=True)
class CloseZ3:
    id: int
    node: int
    line: int = field(default=0, compare=False)
    rule = "close"


@dataclass(frozen=True)
class Hole:
    id: int
    node: int
    reason: str
    line: int = field(default=0, compare=False)
    rule = "hole"


@dataclass(frozen=True)
class Witness:
    id: int
    disjunct: int
    values: tuple[Fraction, ...]
    line: int = field(default=0, compare=False)
    rule = "witness"


@dataclass(frozen=True)
class Sat:
    id: int
    witness: int
    line: int = field(default=0, compare=False)
    rule = "sat"


@dataclass(frozen=True)
class Unsat:
    id: int
    line: int = field(default=0, compare=False)
    rule = "unsat"


Step = Root | SplitInput | SplitRelu | Bounds | CloseLinear | CloseZ3 | Hole | Witness | Sat | Unsat


@dataclass(frozen=True)
class Header:
    version: int
    semantics: str
    network_sha256: str
    property_sha256: str
