"""Shared helpers for the checker's tests: hashing, writing proofs, checking them, z3 oracles."""
from __future__ import annotations

import hashlib
import io
import re
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import pytest

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.reader import read_proof
from apothem_check.vnnlib import load_property

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
MODELS = GOLDEN / "models"
EXPECT = re.compile(r"^# expect: (valid unsat|valid sat|holey|invalid step (\d+) ([A-Z_0-9]+)|invalid ([A-Z_0-9]+))\s*$")


def sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@lru_cache(maxsize=None)
def _net(path: str, stamp: str):
    return load_network(Path(path))


@lru_cache(maxsize=None)
def _prop(path: str, stamp: str, n_in: int, n_out: int):
    return load_property(Path(path), n_in, n_out)


def load(model: Path, prop: Path):
    """Network and property, cached by path and content hash."""
    net = _net(str(model), sha(model))
    return net, _prop(str(prop), sha(prop), net.n_inputs, net.n_outputs)


def header(model: Path, prop: Path, net_hash: str | None = None, prop_hash: str | None = None) -> str:
    return ("apothem-proof 1\nsemantics real\n"
            f"network sha256:{net_hash or sha(model)}\nproperty sha256:{prop_hash or sha(prop)}\n")


def proof_text(model: Path, prop: Path, body: str, **kw) -> str:
    return header(model, prop, **kw) + "\n".join(line.strip() for line in body.strip().splitlines()) + "\n"


def check_file(proof: Path, model: Path, prop: Path):
    net, p = load(model, prop)
    return check_proof(proof, net, p)


def check_text(tmp_path: Path, model: Path, prop: Path, text: str | bytes, name: str = "proof.apf"):
    path = tmp_path / name
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return check_file(path, model, prop)


def outcome(result) -> str:
    """The result in the `# expect:` notation."""
    if result.verdict == "valid":
        return f"valid {result.conclusion}"
    if result.verdict == "holey":
        return "holey"
    err = result.error
    if err.step is None:
        return f"invalid {err.code}"
    return f"invalid step {err.step.id} {err.code}"


def parse_expect(path: Path) -> dict:
    """The `# model:`, `# property:` and `# expect:` comment lines that begin a golden file."""
    meta = {}
    with open(path, "rb") as f:
        for raw in f:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if not line.startswith("#"):
                break
            for key in ("model", "property", "expect"):
                if line.startswith(f"# {key}: "):
                    meta[key] = line[len(f"# {key}: "):].strip()
    return meta


def golden_param(path: Path):
    """A golden file as a pytest parameter (path, its `# expect:` lines), marked by `# xfail:`."""
    meta = parse_expect(path)
    marks = []
    xfail = re.search(rb"^# xfail: (.*)$", path.read_bytes(), re.M)
    if xfail:
        marks.append(pytest.mark.xfail(strict=True, reason=xfail.group(1).decode()))
    return pytest.param(path, meta, id=f"{path.parent.name}/{path.stem}", marks=marks)


def read_steps(path: Path) -> tuple[dict, list]:
    """Header dict and the list of typed steps of a proof file."""
    with open(path, "rb") as f:
        items = read_proof(io.BufferedReader(f))
        head = dict(next(items) for _ in range(4))
        return head, list(items)


def q(text: str) -> Fraction:
    return Fraction(text)
