"""Certification on the bundled tiny network (4 inputs, 3 classes, D = [0,1]) and one ppnn input."""
from __future__ import annotations

import itertools
import random
from fractions import Fraction
from pathlib import Path

import msgpack
import pytest

from apothem_check.certification import check_certification
from apothem_check.network import load_network

from prover.certify.certify import Options, certify_one
from apothem_check.certification import classified
from prover.certify.inputs import CertifyError, Grid
from prover.semantics import outputs

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "examples" / "tiny" / "model.onnx"


@pytest.fixture(scope="module")
def net():
    return load_network(TINY)


@pytest.fixture()
def tiny_input(tmp_path):
    p = tmp_path / "x.csv"
    p.write_text("64/255 128/255 191/255 128/255\n")
    return p


def _ball_points(grid, k, rng, n=400):
    lower, upper = grid.ball(k)
    pts = [list(c) for c in itertools.product(*zip(lower, upper))]          # corners
    for _ in range(n):
        pts.append([l + (u - l) * Fraction(rng.randrange(0, 65), 64) for l, u in zip(lower, upper)])
    return pts


def test_apothem_optimal_and_bundle_valid(net, tiny_input, tmp_path):
    out = tmp_path / "b.bundle"
    r = certify_one(net, TINY, tiny_input, out, Options(timeout=30, maximal=True, maximal_budget=60))
    assert r.verdict == "valid", r.check_lines
    k = r.row["apothem_k"]
    assert r.row["apothem_optimal"]
    grid = Grid([Fraction(v) for v in msgpack.unpackb(out.read_bytes(), raw=False)["input"]], Fraction(0), Fraction(1), 255)
    rng = random.Random(0)
    assert all(classified(net, p, r.label) for p in _ball_points(grid, k, rng, 200))
    b = msgpack.unpackb(out.read_bytes(), raw=False)
    # the refutation lies in ball(k+1) and flips
    c = b["calls"][b["claims"]["apothem"]["refuted_by"]]
    assert not classified(net, [Fraction(v) for v in c["point"]], r.label)
    # maximal box: shown, i.e. every face off the boundary has its one-step counterexample
    m = b["claims"]["maximal"]
    assert m["maximal_shown"] and all(f[2] is not None for f in m["faces"]), m["faces"]


def _tamper(src, dst, fn):
    b = msgpack.unpackb(Path(src).read_bytes(), raw=False)
    fn(b)
    Path(dst).write_bytes(msgpack.packb(b, use_bin_type=True))
    return dst


def test_tampered_bundles_invalid(net, tiny_input, tmp_path):
    out = tmp_path / "b.bundle"
    r = certify_one(net, TINY, tiny_input, out, Options(timeout=30, maximal=True, maximal_budget=60))
    assert r.verdict == "valid"

    def widen(b):
        b["claims"]["apothem"]["k"] += 1

    def swap(b):
        ap = b["claims"]["apothem"]
        others = [i for i, c in enumerate(b["calls"]) if c["verdict"] == "unsat" and i != ap["proof"]]
        if others:
            ap["proof"] = others[0]
        else:
            b["calls"][ap["proof"]]["proof"] = b"apothem-proof 1\n"

    def relabel(b):
        b["label"] = (b["label"] + 1) % 3

    def widen_box(b):
        m = b["claims"]["maximal"]
        i = next(i for i, v in enumerate(m["upper"]) if v != "1")
        m["upper"][i] = str(Fraction(m["upper"][i]) + Fraction(1, 255))

    for fn in (widen, swap, relabel, widen_box):
        bad = _tamper(out, tmp_path / f"{fn.__name__}.bundle", fn)
        verdict, lines = check_certification(bad, net)
        assert verdict == "invalid", (fn.__name__, lines)


def test_wrong_label_refused(net, tiny_input, tmp_path):
    with pytest.raises(CertifyError):
        certify_one(net, TINY, tiny_input, tmp_path / "b.bundle", Options(), label=2 if True else 0) if False else \
            certify_one(net, TINY, tiny_input, tmp_path / "b.bundle", Options(), label=_other_label(net, tiny_input))


def _other_label(net, path):
    from prover.certify.inputs import prediction, read_input
    pred, _ = prediction(net, read_input(path).x)
    return (pred + 1) % 3


def test_off_grid_input_refused(tmp_path):
    from prover.certify.inputs import read_input
    p = tmp_path / "x.csv"
    p.write_text("0.5 0.25 0 1\n")
    with pytest.raises(CertifyError):
        read_input(p)


def test_ppnn_one_input(benchmarks, tmp_path):
    model = benchmarks / "ppnn" / "onnx" / "mnist_nn-32.onnx"
    inp = benchmarks / "ppnn" / "inputs" / "mnist" / "3-2.csv"
    net = load_network(model)
    r = certify_one(net, model, inp, tmp_path / "b.bundle", Options(timeout=60))
    assert r.verdict == "valid", r.check_lines
    assert r.row["apothem_optimal"]


# ---------------------------------------------------------------- maximal box, dual, audit, figures

def test_maximal_bundle_uses_face_moves(net, tiny_input, tmp_path):
    """Face evidence is recorded as {like: final proof, move: [[i, side, 1]]} and checks."""
    out = tmp_path / "m.bundle"
    r = certify_one(net, TINY, tiny_input, out, Options(timeout=30, maximal=True, maximal_budget=30))
    assert r.verdict == "valid", r.check_lines
    b = msgpack.unpackb(out.read_bytes(), raw=False)
    m = b["claims"]["maximal"]
    shown = [f for f in m["faces"] if f[2] is not None]
    assert shown, "no face shown at its limit on the tiny network"
    for _, _, j in shown:
        c = b["calls"][j]
        assert c["like"] == m["proof"] and "lower" not in c and len(c["move"]) == 1
    assert r.row["maximal_faces_at_limit"] == len(shown)
    # the box contains the apothem ball and is robust at sampled points
    grid = Grid([Fraction(v) for v in b["input"]], Fraction(0), Fraction(1), 255)
    lo, hi = [Fraction(v) for v in m["lower"]], [Fraction(v) for v in m["upper"]]
    bl, bu = grid.ball(b["claims"]["apothem"]["k"])
    assert all(l <= a and c <= u for l, a, c, u in zip(lo, bl, bu, hi))
    rng = random.Random(1)
    for _ in range(200):
        p = [l + (u - l) * Fraction(rng.randrange(0, 33), 32) for l, u in zip(lo, hi)]
        assert classified(net, p, r.label)

    def move_wrong_face(bd):
        c = next(bd["calls"][f[2]] for f in bd["claims"]["maximal"]["faces"] if f[2] is not None)
        c["move"][0][2] = 2

    bad = _tamper(out, tmp_path / "bad.bundle", move_wrong_face)
    assert check_certification(bad, net)[0] == "invalid"


def test_dual_claims_valid(net, tiny_input, tmp_path):
    out = tmp_path / "d.bundle"
    r = certify_one(net, TINY, tiny_input, out, Options(timeout=30, dual=True, dual_budget=30, dual_timeout=5))
    assert r.verdict == "valid", r.check_lines
    b = msgpack.unpackb(out.read_bytes(), raw=False)
    assert "dual_box" in b["claims"]
    assert r.row["dual_faces"] == 8


def test_dual_proof_path(net, tiny_input, tmp_path, monkeypatch):
    """With the edge attack disabled every face goes through bisection and a reach query; the
    bundle stays valid whatever the verifier answers (failed faces go to the boundary)."""
    from prover.certify import dual as DU
    real = DU._reach_points

    def no_edge(oracle, LO, HI, restarts=4, steps=40):
        X, v = real(oracle, LO, HI, restarts, steps)
        return X, (v * 0 + 1 if len(LO) > 1 else v)
    monkeypatch.setattr(DU, "_reach_points", no_edge)
    out = tmp_path / "d2.bundle"
    r = certify_one(net, TINY, tiny_input, out, Options(timeout=30, dual=True, dual_budget=30, dual_timeout=5))
    assert r.verdict == "valid", r.check_lines
    assert r.row["dual_proven"] + r.row["dual_edge_gave_up"] + r.row["dual_skipped"] == 8


def test_audit_claims(net, tiny_input, tmp_path):
    from prover.certify.audit import audit
    (tmp_path / "lo.csv").write_text("60/255 124/255 187/255 124/255\n")
    (tmp_path / "hi.csv").write_text("68/255 132/255 195/255 132/255\n")
    (tmp_path / "claims.csv").write_text("id,input,radius\nsmall,x.csv,1/255\nhuge,x.csv,1\n")
    (tmp_path / "boxes.csv").write_text("id,input,lower,upper\nbox,x.csv,lo.csv,hi.csv\n")
    rows = audit(net, tmp_path / "claims.csv", tmp_path / "out") + audit(net, tmp_path / "boxes.csv", tmp_path / "out")
    v = {r["id"]: r for r in rows}
    assert v["small"]["verdict"] == "proven" and Path(v["small"]["proof"]).exists()
    assert v["box"]["verdict"] == "proven"
    assert v["huge"]["verdict"] == "refuted"
    # both proofs re-check against their written queries: unsat for the proven claim, a witness
    # (sat) whose point flips to the class named for the refuted one
    from apothem_check.check import check_proof
    from apothem_check.vnnlib import load_property
    for name, conclusion in (("small", "unsat"), ("huge", "sat")):
        prop = load_property(v[name]["query"], net.n_inputs, net.n_outputs)
        res = check_proof(Path(v[name]["proof"]).read_bytes(), net, prop)
        assert res.verdict == "valid" and res.conclusion == conclusion, res.error
    witness = next(line for line in Path(v["huge"]["proof"]).read_text().splitlines() if " witness " in line)
    from apothem_check.reader import number
    p = [number(t) for t in witness.split()[3:]]
    y = outputs(net, p)
    assert y[v["huge"]["flips_to"]] >= y[v["huge"]["label"]]


def test_figures_for_every_input(net, tmp_path):
    pytest.importorskip("matplotlib")
    from prover.certify.report import figures
    rows = []
    for n in range(14):
        p = tmp_path / f"x{n}.csv"
        p.write_text(" ".join(str(Fraction(v, 255)) for v in (60 + n, 128, 191, 128)) + "\n")
        out = tmp_path / f"x{n}.bundle"
        r = certify_one(net, TINY, p, out, Options(timeout=30))
        rows.append({"input": p.name, "dataset": "tiny", "apothem_k": r.row["apothem_k"], "bundle": str(out)})
    # a 4-input image is 2x2: every input gets its figure (the old code stopped after 12)
    figs = figures(rows, tmp_path / "figs", (Fraction(0), Fraction(1), 255))
    assert sum(1 for f in figs if f.path.name.startswith("box_")) == 14


def test_allocate_shares_margin_among_faces_that_can_move():
    """One model, margin 1, theta 1/2: face 0 costs nothing and takes its whole room; faces 1
    and 2 share the budget 0.5 (0.25 each: 2 and 0 steps; face 3 has no room and takes no
    share); the leftover 0.3 buys the cheapest face one more step, not face 2's 0.3 after it."""
    import numpy as np
    from prover.certify.faces import allocate
    cost = np.array([[0.0, 0.1, 0.3, 0.05]])
    s = allocate(cost, np.array([1.0]), 0.5, np.array([10, 10, 10, 0]))
    assert list(s) == [10, 3, 0, 0]


def test_pair_models_are_class_models_for_one_class(net):
    """The maximal search's per-row single-class margin model equals the all-class one's entry."""
    import numpy as np

    from prover.certify.faces import Faces
    from prover.certify.oracle import Oracle
    grid = Grid([Fraction(v, 255) for v in (64, 128, 191, 128)], Fraction(0), Fraction(1), 255)
    oracle = Oracle(net, 0)
    S = Faces(oracle, grid, 2, 5)
    X = np.random.default_rng(0).random((7, 4))
    js = S.others[np.arange(7) % len(S.others)]
    M, G = S.class_models(X)
    m, g = S.pair_models(X, js)
    r, col = np.arange(7), np.arange(7) % len(S.others)
    assert np.allclose(m, M[r, col]) and np.allclose(g, G[r, col])
