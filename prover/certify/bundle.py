"""Certification bundles (spec/certification.md section 3): build, write, read, self-check."""
from __future__ import annotations

import hashlib
import platform
from fractions import Fraction

import msgpack

from apothem_check.certification import check_certification
from proof_format.numbers import ratio

from ..outfile import write_bytes
from . import TOOL


def _texts(v):
    return [ratio(q) for q in v]


def file_sha256(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def call_record(c: dict) -> dict:
    if "like" in c:   # an earlier call's box with faces moved (spec section 3): no explicit bounds
        out = {"kind": c["kind"], "like": int(c["like"]), "move": [[int(i), s, int(k)] for i, s, k in c["move"]],
               "verdict": c["verdict"], "seconds": c.get("seconds", 0.0)}
    else:
        out = {"kind": c["kind"], "lower": _texts(c["lower"]), "upper": _texts(c["upper"]),
               "verdict": c["verdict"], "seconds": c.get("seconds", 0.0)}
    if c["verdict"] == "unsat":
        out["proof"] = bytes(c["proof"])
    if c["verdict"] == "sat":
        out["point"] = _texts(c["point"])
    for k in ("via", "reason"):
        if k in c:
            out[k] = c[k]
    return out


def build(model_sha256: str, x, input_sha256: str, lo, hi, G: int, label: int, calls: list,
          claims: dict, timings: dict, extra: dict | None = None) -> dict:
    def fix(obj):  # Fractions in claims (box bounds) become text
        if isinstance(obj, Fraction):
            return ratio(obj)
        if isinstance(obj, dict):
            return {k: fix(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [fix(v) for v in obj]
        return obj
    b = {"format": "apothem-certification", "version": 1, "model_sha256": model_sha256,
         "input": _texts(x), "input_sha256": input_sha256, "domain": [ratio(lo), ratio(hi)], "grid": int(G),
         "label": int(label), "calls": [call_record(c) for c in calls], "claims": fix(claims),
         "tool": {"name": TOOL, "python": platform.python_version(), "platform": platform.platform()},
         "timings": timings}
    if extra:
        b.update(fix(extra))
    return b


def write(bundle: dict, path) -> int:
    """Atomically (prover/outfile.py); the number of bytes written."""
    return write_bytes(path, msgpack.packb(bundle, use_bin_type=True), "bundle file")


def read(path) -> dict:
    with open(path, "rb") as f:
        return msgpack.unpackb(f.read(), raw=False, strict_map_key=False)


def self_check(path, network) -> tuple[str, list[str]]:
    """The independent checker's verdict (apothem_check.certification), run in-process."""
    return check_certification(path, network)
