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
from prover.certify.inputs import CertifyError, Grid, classified

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
    # maximal box: every face off the boundary has evidence or is declared not shown
    m = b["claims"]["maximal"]
    assert len(m["faces"]) > 0 or all(v in ("0", "1") for v in m["lower"] + m["upper"])


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
