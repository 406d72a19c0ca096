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

Output per claim (CSV row): verdict `proven` (a proof file `.apf` of the `.vnnlib` query written
beside it, re-checkable with `apothem-check check`), `refuted` (an exact counterexample file and
the class it flips to, `flips_to`, with the exact margin), `unknown` (reason) or `error`.
"""
from __future__ import annotations

import csv
import json
import os
import time
from fractions import Fraction
from pathlib import Path

from apothem_check.certification import query_text
from proof_format.numbers import ratio

from .inputs import CertifyError, prediction, read_input
from .oracle import Oracle


def read_claims(path) -> list[dict]:
    path = Path(path)
    data = path.read_text()
    if path.suffix.lower() == ".json":
        items = json.loads(data)
    else:
        items = list(csv.DictReader(data.splitlines()))
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
            inp = read_input(cl["input"], lo, hi, grid)
            pred, _ = prediction(network, inp.x)
            label = int(cl["label"]) if cl.get("label") not in (None, "") else pred
            if pred is None or label != pred:
                raise CertifyError(f"the network's prediction is {pred}, the claim's label {label}")
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
            o = Oracle(network, label, timeout=timeout)
            try:
                ans = o.ask("flip", lower, upper)
                call = o.calls[ans.index] if ans.index is not None else {}
            finally:
                o.close()
            row.update({"label": label, "verdict": {"unsat": "proven", "sat": "refuted"}.get(ans.verdict, "unknown"),
                        "via": ans.via})
            stem = f"{cl['id']}_{Path(cl['input']).stem}"
            q = out_dir / f"{stem}.vnnlib"
            q.write_text(query_text("flip", lower, upper, label, network.n_outputs))
            row["query"] = str(q)
            if ans.verdict == "unsat":
                p = out_dir / f"{stem}.apf"
                p.write_bytes(call["proof"])
                row["proof"] = str(p)
            elif ans.verdict == "sat":
                y = network.evaluate(ans.point)
                others = [j for j in range(len(y)) if j != label]
                flip = max(others, key=lambda j: y[j])
                row["flips_to"] = flip
                row["margin"] = float(y[label] - y[flip])
                p = out_dir / f"{stem}.counterexample.txt"
                p.write_text(" ".join(ratio(v) for v in ans.point) + "\n")
                row["counterexample"] = str(p)
            elif call.get("reason"):
                row["reason"] = call["reason"]
        except (CertifyError, OSError, ValueError, ZeroDivisionError) as err:
            row.update({"verdict": "error", "reason": str(err)})
        row["seconds"] = round(time.perf_counter() - t0, 3)
        rows.append(row)
        if log:
            log(f"{row['id']} {row['input']}: {row['verdict']}")
    return rows
