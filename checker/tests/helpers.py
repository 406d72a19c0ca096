"""Shared helpers for the checker's tests: hashing, writing proofs, checking them, z3 oracles."""
from __future__ import annotations

import hashlib
import io
import re
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.reader import read_proof
from apothem_check.vnnlib import load_property

HERE = Path(__file__).resolve().parent
GOLDEN = HERE / "golden"
MODELS = GOLDEN / "models"
EXPECT = re.compile(r"^# expect: (valid unsat|valid sat|invalid step (\d+) ([A-Z_0-9]+)|invalid ([A-Z_0-9]+))\s*$")


def dense(m) -> np.ndarray:
    """A checker `Sparse` as a dense object array (zeros the int 0)."""
    out = np.zeros(m.shape, dtype=object)
    out[m.rows, m.cols] = m.vals
    return out


def evaluate(net, x) -> list:
    """The folded network's exact map at x (Fractions): what the layers compute, which the checker itself only
    ever encloses (spec 4.8)."""
    h = np.array([Fraction(v) for v in x], dtype=object)
    for layer in net.layers:
        h = (layer.weight @ h + layer.bias) * Fraction(1, layer.denominator)  # sparse: conv layers are wide
        h = np.maximum(h, Fraction(0)) if layer.relu else h
    return list(h)


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


def z3_node_is_empty(network, disjunct, node, timeout_ms: int = 60_000) -> str:
    """An oracle independent of the kernel's arithmetic: z3's answer ('unsat', 'sat' or 'unknown')
    for a point of a kernel node (real semantics) that satisfies `disjunct`. The node's grid box is
    intersected with the disjunct's exact box; every layer is written as exact linear real
    arithmetic, with h = If(z >= 0, z, 0), the node's bounds and phases. (The checker itself has no
    z3 leaf rule: spec/proof-format.md 4.6.)"""
    import z3
    from apothem_check.exact import ONE
    solver = z3.Solver()
    solver.set("timeout", timeout_ms)
    q = lambda v: z3.RealVal(f"{Fraction(v).numerator}/{Fraction(v).denominator}")
    h = [z3.Real(f"x{i}") for i in range(network.n_inputs)]
    for i, v in enumerate(h):
        solver.add(q(Fraction(int(node.lo[i]), ONE)) <= v, v <= q(Fraction(int(node.hi[i]), ONE)))
        lower, upper = q(disjunct.lower[i]), q(disjunct.upper[i])
        solver.add(lower < v if disjunct.lower_strict[i] else lower <= v)
        solver.add(v < upper if disjunct.upper_strict[i] else v <= upper)
    for k, layer in enumerate(network.layers, start=1):
        z = [z3.Real(f"z{k}_{j}") for j in range(len(layer.bias))]
        for zj, row, b in zip(z, dense(layer.weight), layer.bias):
            solver.add(zj * int(layer.denominator) == z3.Sum([int(w) * v for w, v in zip(row, h) if w != 0] + [q(b)]))
        if not layer.relu:
            h = z
            break
        h = []
        for j, zj in enumerate(z):
            lo, hi = Fraction(int(node.lower[k - 1][j]), ONE), Fraction(int(node.upper[k - 1][j]), ONE)
            solver.add(q(lo) <= zj, zj <= q(hi))
            phase = node.phases.get((k, j))
            if phase is not None:
                solver.add(zj >= 0 if phase > 0 else zj <= 0)
            h.append(z3.If(zj >= 0, zj, z3.RealVal(0)))
    for c in disjunct.constraints:
        lhs = z3.Sum([q(a) * yj for a, yj in zip(c.coeffs, h) if a != 0] + [q(c.const)])
        solver.add(lhs < 0 if c.strict else lhs <= 0)
    return str(solver.check())
