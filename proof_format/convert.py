"""Lossless conversion between the text and msgpack forms of a proof (same steps, same header)."""
from __future__ import annotations

import io
from pathlib import Path

from apothem_check.reader import read_proof

from .writer import ProofWriter


def convert(source: Path, target: Path, binary: bool) -> None:
    """Re-write `source` (either form) as text or binary at `target`."""
    with open(source, "rb") as f:
        items = read_proof(io.BufferedReader(f))
        header = dict(next(items) for _ in range(4))
        net = header["network_hash"].removeprefix("sha256:")
        prop = header["property_hash"].removeprefix("sha256:")
        with open(target, "wb" if binary else "w") as out:
            writer = ProofWriter(out, net, prop, binary=binary, semantics=header["semantics"],
                                 version=int(header["version"]) if header["version"].isdigit() else header["version"])
            writer.start()
            for step in items:
                writer.write(step)
