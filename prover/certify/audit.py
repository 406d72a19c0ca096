"""Audit boxes another tool claims robust: prove (proof + VNN-LIB query for standalone
re-checking with `apothem-check check`), refute (exact counterexample and the class it goes to),
or leave unknown.

Claims file: CSV with a header, one row per claim, columns `input` and either `radius` (the box
is B_inf(centre, radius) ∩ D, centre = the optional `centre` file, default the input) or `lower`
and `upper` (files of the same shape as the input); optional `id`, `label` (must equal the
network's exact prediction at the input). Paths are relative to the claims file. JSON (a list
of such objects) also works. Numbers are read exactly (`Fraction(text)`, e.g. `0.0039215686` or
`1/255`); bound files are not snapped to the grid. Example:

    id,input,label,radius
    a,inputs/3-2.csv,3,2/255
    id,input,lower,upper
    b,inputs/3-2.csv,boxes/3-2.lo.csv,boxes/3-2.hi.csv

Output per claim (CSV row): the claim's query `.vnnlib` (unsafe: some other class scores at
least the label's somewhere in the box) and a verdict: `proven` (a proof `.apf` that the query
is unsat), `refuted` (a witness proof `.apf` -- `witness` and `sat` steps holding the exact
counterexample -- that the query is sat, with the class it flips to, `flips_to`, and the margin
there), `unknown` (reason) or `error` (reason: the claim could not be decided, e.g. an unreadable
file). Either proof is evidence for a third party: `apothem-check check --query Q.vnnlib --proof
Q.apf --network MODEL.onnx` prints `valid`. A claim whose label is not the network's prediction
at the input is refuted by the input itself (`via` = `input`): no search is needed.
"""
from __future__ import annotations

import csv
import json
import os
import time
from fractions import Fraction
from pathlib import Path

from apothem_check.certification import classified, query
from apothem_check.errors import InputError
from apothem_check.vnnlib import load_property

from ..outfile import write_bytes, write_text
from ..problem import accepted_witness
from ..proof import write_sat_proof
from ..semantics import binary32_in_box, outputs, semantics_of
from .inputs import CertifyError, prediction, read_input
from .oracle import Oracle


def read_claims(path) -> list[dict]:
    path = Path(path)
    try:
        data = path.read_text(encoding="utf-8")
        items = json.loads(data) if path.suffix.lower() == ".json" else list(csv.DictReader(data.splitlines()))
    except OSError as err:
        raise CertifyError(f"claims file {path}: cannot read: {err.strerror}") from None
    except (UnicodeDecodeError, ValueError, csv.Error) as err:
        raise CertifyError(f"claims file {path}: not a CSV or JSON list of claims: {err}") from None
    if not isinstance(items, list) or not all(isinstance(it, dict) for it in items):
        raise CertifyError(f"claims file {path}: expected a list of claims (objects with an `input`)")
    out = []
    for n, it in enumerate(items):
        it = {k.strip(): (v.strip() if isinstance(v, str) else v) for k, v in it.items() if k}
        if "input" not in it:
            raise CertifyError(f"{path}: claim {n}: no `input`")
        it.setdefault("id", str(n))
        for k in ("input", "lower", "upper", "centre"):
            if it.get(k):
                it[k] = str((path.parent / it[k]) if not os.path.isabs(it[k]) else it[k])
        out.append(it)
    return out


def audit(network, claims_path, out_dir, lo=Fraction(0), hi=Fraction(1), grid=255, timeout=60.0,
          log=None) -> list[dict]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rows = []
    for cl in read_claims(claims_path):
        t0 = time.perf_counter()
        row = {"id": cl["id"], "input": os.path.basename(cl["input"])}
        try:
            row.update(_decide(network, cl, out_dir, lo, hi, grid, timeout))
        except (CertifyError, InputError, OSError, OverflowError, ValueError, ZeroDivisionError) as err:
            row.update({"verdict": "error", "reason": str(err)})
        row["seconds"] = round(time.perf_counter() - t0, 3)
        rows.append(row)
        if log:
            log(f"{row['id']} {row['input']}: {row['verdict']}")
    return rows


def _box(cl, inp, lo, hi, grid) -> tuple[list, list]:
    if cl.get("radius") not in (None, ""):
        r = Fraction(cl["radius"])
        centre = read_input(cl["centre"], lo, hi, grid, snap=False).x if cl.get("centre") else inp.x
        if len(centre) != len(inp.x):
            raise CertifyError("the centre file does not have the input's shape")
        lower = [max(lo, v - r) for v in centre]
        upper = [min(hi, v + r) for v in centre]
    else:
        lower = read_input(cl["lower"], lo, hi, grid, snap=False).x
        upper = read_input(cl["upper"], lo, hi, grid, snap=False).x
    if len(lower) != len(inp.x) or len(upper) != len(inp.x):
        raise CertifyError("the bound files do not have the input's shape")
    if not all(l <= v <= u for l, v, u in zip(lower, inp.x, upper)):
        raise CertifyError("the claimed box does not contain the input")
    return lower, upper


def _decide(network, cl, out_dir: Path, lo, hi, grid, timeout) -> dict:
    """One claim: its query file, then proven (proof), refuted (witness proof) or unknown."""
    inp = read_input(cl["input"], lo, hi, grid)
    if len(inp.x) != network.n_inputs:
        raise CertifyError(f"{len(inp.x)} values, the network has {network.n_inputs} inputs")
    pred, _ = prediction(network, inp.x)
    if cl.get("label") in (None, ""):
        if pred is None:
            raise CertifyError("the claim names no label and the network's output has a tie at the input")
        label = pred
    else:
        label = int(cl["label"])
        if not 0 <= label < network.n_outputs:
            raise CertifyError(f"label {label}: the network has classes 0 to {network.n_outputs - 1}")
    lower, upper = _box(cl, inp, lo, hi, grid)
    stem = f"{cl['id']}_{Path(cl['input']).stem}"
    q = out_dir / f"{stem}.vnnlib"
    write_text(q, query("flip", lower, upper, label, network.n_outputs)[0], "query file")
    row = {"label": label, "query": str(q)}
    float32 = semantics_of(network) == "float32"
    at_input = binary32_in_box(lower, upper, inp.x) if float32 else list(inp.x)  # a witness is binary32 there
    if at_input is not None and not classified(network, at_input, label, float32=float32):
        ans_verdict, point, via, call = "sat", at_input, "input", {}  # the input itself is not classified `label`
    else:
        o = Oracle(network, label, timeout=timeout)
        try:
            ans = o.ask("flip", lower, upper)
            call = o.calls[ans.index] if ans.index is not None else {}
        finally:
            o.close()
        ans_verdict, point, via = ans.verdict, ans.point, ans.via
    row["via"] = via
    p = out_dir / f"{stem}.apf"
    if ans_verdict == "unsat":
        write_bytes(p, call["proof"], "proof file")
        row.update({"verdict": "proven", "proof": str(p)})
    elif ans_verdict == "sat":
        y = outputs(network, point)
        flip = max((j for j in range(len(y)) if j != label), key=lambda j: y[j])
        prop = load_property(q, network.input_shape, network.output_shape)
        k = next((k for k, d in enumerate(prop.disjuncts) if accepted_witness(network, d, point, float32)), None)
        if k is None or not write_sat_proof(network, prop, str(p), k, point):
            raise CertifyError("the counterexample was not accepted by the exact check (a bug: please report)")
        row.update({"verdict": "refuted", "proof": str(p), "flips_to": flip, "margin": float(y[label] - y[flip])})
    else:
        row["verdict"] = "unknown"
        if call.get("reason"):
            row["reason"] = call["reason"]
    return row
