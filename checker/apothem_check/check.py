"""Checking a proof file against a network and a property: the header, then every step.

`check_proof` is the one entry point the CLI and the certification checker share; it returns a
`Result` whose `verdict` is valid or invalid and never raises on a bad proof.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError
from .kernel import CheckError, Session
from .reader import read_proof


@dataclass
class Result:
    verdict: str                  # "valid" | "invalid"
    conclusion: str | None = None  # "sat" | "unsat" once derived
    error: CheckError | InputError | None = None
    steps: int = 0


def _check_header(items, network, prop, semantics) -> None:
    said = items[1][1] if isinstance(items[1], tuple) else None
    expected = [("version", "1"), ("semantics", said if said in semantics else " or ".join(semantics)),
                ("network_hash", f"sha256:{network.sha256}"), ("property_hash", f"sha256:{prop.sha256}")]
    for (want_key, want), got in zip(expected, items):
        if not isinstance(got, tuple) or got[0] != want_key:
            raise CheckError("HEADER", f"expected the {want_key.replace('_', ' ')} line, got {got!r:.80}")
        if got[1] != want:
            code = {"semantics": "SEMANTICS", "network_hash": "HASH_NETWORK",
                    "property_hash": "HASH_PROPERTY"}.get(want_key, "HEADER")
            raise CheckError(code, f"{want_key.replace('_', ' ')} is {got[1]}, expected {want}")


def check_proof(proof: Path | bytes, network, prop, semantics=("real", "float32")) -> Result:
    """Check a proof file (or the bytes of one, as stored in certification bundles, which accept
    only the bundle's own semantics: its other evidence is about the same network)."""
    result = Result("invalid")
    try:
        opened = io.BytesIO(proof) if isinstance(proof, bytes) else open(proof, "rb")
        with opened as stream:
            items = read_proof(stream)
            header = [next(items, None) for _ in range(4)]
            _check_header(header, network, prop, semantics)
            session = Session(network.float32() if header[1][1] == "float32" else network, prop)
            for step in items:
                if isinstance(step, tuple):
                    raise CheckError("HEADER", f"header line {step[0]} after the first step")
                session.apply(step)
                result.steps += 1
        if session.verdict is None:
            raise CheckError("NO_VERDICT", "the proof ends without an unsat or sat step (truncated?)")
    except (CheckError, InputError) as err:  # InputError: a graph the float32 folding refuses (spec 4.11)
        result.error = err
        return result
    result.conclusion, result.verdict = session.verdict, "valid"
    return result
