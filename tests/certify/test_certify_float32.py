"""`apothem certify` / `audit` under `--semantics float32` (issue 19): bundles that record their
semantics and that the bundle checker accepts under it, binary32 points, float32 proofs."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import msgpack
import numpy as np
import pytest

from apothem_check.certification import check_certification, classified
from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.certify.audit import audit
from prover.certify.certify import Options, certify_one
from prover.semantics import binary32_in_box

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "examples" / "tiny" / "model.onnx"


@pytest.fixture()
def tiny_input(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("64/255 128/255 191/255 128/255\n")
    return p


def test_float32_bundle_is_valid_and_says_float32(tmp_path, tiny_input):
    net = load_network(TINY)
    out = {s: tmp_path / f"{s}.bundle" for s in ("real", "float32")}
    r = {s: certify_one(net, TINY, tiny_input, out[s], Options(timeout=30, semantics=s)) for s in out}
    assert r["float32"].verdict == "valid", r["float32"].check_lines
    b = msgpack.unpackb(out["float32"].read_bytes(), raw=False)
    assert b["semantics"] == "float32"
    assert all(b"semantics float32" in c["proof"] for c in b["calls"] if "proof" in c)
    point = [Fraction(v) for v in b["calls"][b["claims"]["apothem"]["refuted_by"]]["point"]]
    assert all(Fraction(float(np.float32(v))) == v for v in point)          # a binary32 flip
    assert not classified(net, point, r["float32"].label, float32=True)
    # this network's margins dwarf binary32 rounding: the same apothem, or one step less
    assert r["real"].row["apothem_k"] - r["float32"].row["apothem_k"] in (0, 1)
    # the bundle checked as real: its float32 proofs are refused (condition 14)
    b["semantics"] = "real"
    tampered = tmp_path / "t.bundle"
    tampered.write_bytes(msgpack.packb(b, use_bin_type=True))
    verdict, lines = check_certification(tampered, net)
    assert verdict == "invalid" and lines[0].startswith("certification: PROOF"), lines


def test_float32_audit_writes_float32_evidence(tmp_path, tiny_input):
    net = load_network(TINY).float32()
    (tmp_path / "claims.csv").write_text("id,input,radius\nsmall,x.csv,1/255\nhuge,x.csv,1\n")
    rows = {r["id"]: r for r in audit(net, tmp_path / "claims.csv", tmp_path / "out")}
    assert (rows["small"]["verdict"], rows["huge"]["verdict"]) == ("proven", "refuted")
    for name, conclusion in (("small", "unsat"), ("huge", "sat")):
        text = Path(rows[name]["proof"]).read_bytes()
        assert b"semantics float32" in text
        prop = load_property(rows[name]["query"], net.n_inputs, net.n_outputs)
        res = check_proof(text, load_network(TINY), prop)
        assert (res.verdict, res.conclusion) == ("valid", conclusion), res.error


def test_binary32_in_box_stays_in_the_box():
    """Rounding to binary32 at a box edge must not leave the box: 1/3 rounds up to 0.33333334, above
    an upper bound of 1/3, so the point is the binary32 value just below it; a box holding no
    binary32 value gives None."""
    third = Fraction(1, 3)
    (q,) = binary32_in_box([Fraction(0)], [third], [1 / 3])
    assert q <= third and Fraction(float(np.float32(q))) == q and third - q < Fraction(1, 2 ** 25)
    (q,) = binary32_in_box([third], [Fraction(1)], [1 / 3])
    assert q >= third and Fraction(float(np.float32(q))) == q
    assert binary32_in_box([third], [third + Fraction(1, 10 ** 12)], [1 / 3]) is None


def test_float32_maximal_box_is_shown(tmp_path, tiny_input):
    """`--maximal` under float32: every face off the domain's boundary has its one-step flip, a
    binary32 point (the grid snap of the attack's point rarely is one, so the evidence must look
    for a binary32 point first, as every other float32 witness does)."""
    out = tmp_path / "m.bundle"
    r = certify_one(load_network(TINY), TINY, tiny_input, out,
                    Options(timeout=30, maximal=True, maximal_budget=60, semantics="float32"))
    assert r.verdict == "valid", r.check_lines
    m = msgpack.unpackb(out.read_bytes(), raw=False)["claims"]["maximal"]
    assert m["maximal_shown"] and m["faces"] and all(f[2] is not None for f in m["faces"]), m["faces"]
