"""Streaming proof writer: typed steps (apothem_check.steps) to text lines or msgpack records."""
from __future__ import annotations

from typing import IO

import msgpack

from apothem_check import steps as S
from apothem_check.reader import record_line

from .numbers import format_number


def _hints(word: str, hints) -> list:
    return [word, *([str(k), str(j), format_number(v)] for k, j, v in hints)] if hints else []


def _which(step) -> list:
    return [] if step.disjunct is None else ["disjunct", str(step.disjunct)]


def step_record(step) -> list:
    """The msgpack record of a step: [id, rule, args...], numbers as exact text (spec section 2)."""
    n, sid = format_number, str(step.id)
    match step:
        case S.Root():
            return [sid, "root", *map(str, step.disjuncts)]
        case S.SplitInput():
            return [sid, "split_input", str(step.node), str(step.index), n(step.threshold), str(step.low), str(step.high)]
        case S.SplitRelu():
            return [sid, "split_relu", *map(str, (step.node, step.layer, step.neuron, step.neg, step.pos))]
        case S.Bounds():
            return [sid, "bounds", str(step.node), step.method]
        case S.BoundsLayer():
            return [sid, "bounds_layer", str(step.node), str(step.layer), *[p for p in [_hints("alpha", step.alphas)] if p]]
        case S.CloseLinear():
            parts = [_which(step), ["lambda", *map(n, step.lambdas)], _hints("alpha", step.alphas),
                     _hints("beta", step.betas)]
            return [sid, "close_linear", str(step.node), *[p for p in parts if p]]
        case S.CloseZ3():
            return [sid, "close_z3", str(step.node), *[p for p in [_which(step)] if p]]
        case S.Hole():
            return [sid, "hole", str(step.node), step.reason.replace('"', "'").replace("\\", "/").replace("\n", " ")]
        case S.Witness():
            return [sid, "witness", str(step.disjunct), *map(n, step.values)]
        case S.Sat():
            return [sid, "sat", str(step.witness)]
        case S.Unsat():
            return [sid, "unsat"]
    raise TypeError(f"not a proof step: {step!r}")


def format_step(step) -> str:
    """The text line of a step (without newline): the checker's own rendering of its record."""
    return record_line(step_record(step))


def header_lines(network_sha256: str, property_sha256: str, semantics: str = "real", version: int = 1) -> list[str]:
    return [f"apothem-proof {version}", f"semantics {semantics}", f"network sha256:{network_sha256}",
            f"property sha256:{property_sha256}"]


class ProofWriter:
    """Writes the header, then one step per `write` call, to a text or binary stream."""

    def __init__(self, stream: IO, network_sha256: str, property_sha256: str, binary: bool = False,
                 semantics: str = "real", version: int = 1):
        self.stream, self.binary = stream, binary
        self.header = (network_sha256, property_sha256, semantics, version)
        self.started = False

    def start(self) -> None:
        self.started = True
        net, prop, semantics, version = self.header
        if self.binary:
            self.stream.write(msgpack.packb({"format": "apothem-proof", "version": version, "semantics": semantics,
                                             "network": f"sha256:{net}", "property": f"sha256:{prop}"}))
        else:
            self.stream.write("".join(line + "\n" for line in header_lines(net, prop, semantics, version)))

    def write(self, step) -> None:
        if not self.started:
            self.start()
        if self.binary:
            self.stream.write(msgpack.packb(step_record(step)))
        else:
            self.stream.write(format_step(step) + "\n")
