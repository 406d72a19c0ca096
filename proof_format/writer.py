"""Streaming proof writer: typed steps (apothem_check.steps) to the text lines of the grammar
(apothem_check/proof.lark; the tests read every line back with the checker's reader)."""
from __future__ import annotations

from typing import IO

from apothem_check import steps as S

from .numbers import format_number


def _hints(word: str, hints) -> list:
    return [word, *(t for k, j, v in hints for t in (str(k), str(j), format_number(v)))] if hints else []


def _which(step) -> list:
    return [] if step.disjunct is None else ["disjunct", str(step.disjunct)]


def _words(step) -> list:
    """The tokens of a step after its id."""
    n = format_number
    match step:
        case S.Root():
            return ["root", *map(str, step.disjuncts)]
        case S.SplitInput():
            return ["split", str(step.node), "input", str(step.index), n(step.threshold), str(step.low), str(step.high)]
        case S.SplitRelu():
            return ["split", str(step.node), "relu", *map(str, (step.layer, step.neuron, step.neg, step.pos))]
        case S.BoundsLayer():
            return ["bounds", str(step.node), "layer", str(step.layer), *(["neurons", *map(str, step.neurons)]
                    if step.neurons else []), *_hints("alpha", step.alphas)]
        case S.CloseLinear():
            return ["close", str(step.node), "linear", *_which(step), "lambda", *map(n, step.lambdas),
                    *_hints("alpha", step.alphas), *_hints("beta", step.betas)]
        case S.Witness():
            return ["witness", str(step.disjunct), *map(n, step.values)]
        case S.Sat():
            return ["sat", str(step.witness)]
        case S.Unsat():
            return ["unsat"]
    raise TypeError(f"not a proof step: {step!r}")


def format_step(step) -> str:
    """The text line of a step (without newline)."""
    return " ".join([str(step.id), *_words(step)])


def header_lines(network_sha256: str, property_sha256: str, semantics: str = "real", version: int = 1) -> list[str]:
    return [f"apothem-proof {version}", f"semantics {semantics}", f"network sha256:{network_sha256}",
            f"property sha256:{property_sha256}"]


class ProofWriter:
    """Writes the header, then one step per `write` call, to a text stream."""

    def __init__(self, stream: IO, network_sha256: str, property_sha256: str, semantics: str = "real",
                 version: int = 1):
        self.stream = stream
        self.header = (network_sha256, property_sha256, semantics, version)
        self.started = False

    def start(self) -> None:
        self.started = True
        self.stream.write("".join(line + "\n" for line in header_lines(*self.header)))

    def write(self, step) -> None:
        if not self.started:
            self.start()
        self.stream.write(format_step(step) + "\n")
