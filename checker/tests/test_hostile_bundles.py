"""Hostile certification bundles (spec/certification.md sections 3-5), each pinned to its code.

Three kinds of test:
- a table of hostile bundles, mutations of a hand-written valid one (bundles.py), each rejected
  with the code of the condition it breaks, through the command line, with no traceback;
- mutation tests of the checker itself: each named condition (`certification.require`) switched
  off in turn lets a forged bundle through that is rejected, with that condition's code, when it
  is on — no condition is dead weight;
- what the claims print (domain, grid, box) and `--expect`.
"""
from __future__ import annotations

import copy
import time
from fractions import Fraction as F

import msgpack
import pytest

import bundles as B
from apothem_check import certification as C
from apothem_check.cli import EXPECTABLE, main
from apothem_check.network import load_network


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return B.affine_model(tmp_path_factory.mktemp("cls") / "cls.onnx")


@pytest.fixture(scope="module")
def net(model):
    return load_network(model)


def run(capsys, tmp_path, model, data: bytes, *extra) -> tuple[int, str, str]:
    path = tmp_path / "b.cert"
    path.write_bytes(data)
    code = main(["certification", str(path), "--network", str(model), *extra])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_hand_written_bundle_is_valid_and_shows_every_claim(capsys, tmp_path, model, net):
    verdict, lines = C.check_certification(B.pack(B.valid_bundle(model)), net, EXPECTABLE)
    assert verdict == "valid", lines
    assert lines[0].startswith("apothem 1 × 1/8 (≈ 0.125) around the input (inside [0, 1]^2, grid 1/8 (8 steps "
                               "across), class 0): optimal (a flip within 2 steps)")
    assert "robust box around the input (inside [0, 1]^2" in lines[1] and lines[1].endswith("maximal (each face "
                                                                                          "moved one step outward admits a flip)")
    assert "apothem 1 × 1/8" in lines[1] and "widths 4 to 5 steps" in lines[1] and "2 of 4 faces on the domain" in lines[1]
    assert lines[2].startswith("dual box: every point of [0, 1]^2 weakly classified 0 lies in the box")
    assert lines[2].endswith("(1 faces not shown tight)")
    assert lines[3].startswith("dual ball of 4 × 1/8 (≈ 0.5): ")
    code, out, err = run(capsys, tmp_path, model, B.pack(B.valid_bundle(model)), "--expect", "maximal",
                         "--expect", "optimal")
    assert (code, out) == (0, "valid\n") and "Traceback" not in err


def test_the_bundle_under_float32_is_valid(model, net):
    """Every claim holds under float32 too (its proofs `semantics float32`, its points binary32 and
    classified by the reference execution), and the lines say the same."""
    real = C.check_certification(B.pack(B.valid_bundle(model)), net, EXPECTABLE)
    assert C.check_certification(B.pack(B.float32(B.valid_bundle(model))), net, EXPECTABLE) == real
    assert real[0] == "valid"


def _set(*path_and_value):
    *path, value = path_and_value

    def apply(b):
        for key in path[:-1]:
            b = b[key]
        if value is DELETE:
            del b[path[-1]]
        else:
            b[path[-1]] = value
    return apply


DELETE = object()


def _extra_face(b):
    b["claims"]["maximal"]["faces"].append([0, "lower", None])


def _duplicate_face(b):
    b["claims"]["maximal"]["faces"].append([0, "upper", None])


def _sat_as_point_at_x(b):
    b["calls"][1]["point"] = ["1/4", "1/2"]


HOSTILE = [  # (name, mutation, code)
    ("format other", _set("format", "apothem-proof"), "FORMAT"),
    ("version 2", _set("version", 2), "FORMAT"),
    ("version true", _set("version", True), "FORMAT"),
    ("no grid", _set("grid", DELETE), "FORMAT"),
    ("no claims key", _set("claims", DELETE), "FORMAT"),
    ("grid as text", _set("grid", "8"), "FORMAT"),
    ("grid true", _set("grid", True), "FORMAT"),
    ("grid float", _set("grid", 8.0), "FORMAT"),
    ("grid zero", _set("grid", 0), "GRID"),
    ("grid negative", _set("grid", -255), "GRID"),
    ("domain inverted", _set("domain", ["1", "0"]), "DOMAIN"),
    ("domain a point", _set("domain", ["1/2", "1/2"]), "DOMAIN"),
    ("domain one end", _set("domain", ["0"]), "FORMAT"),
    ("domain ints", _set("domain", [0, 1]), "NUMBER"),
    ("domain float", _set("domain", ["0", 1.0]), "NUMBER"),
    ("number with exponent", _set("domain", ["0", "1e30000000"]), "NUMBER"),
    ("number decimal", _set("domain", ["0", "1.0"]), "NUMBER"),
    ("number hex", _set("domain", ["0", "0x1p0"]), "NUMBER"),
    ("number over zero", _set("domain", ["0", "1/0"]), "NUMBER"),
    ("number over 00", _set("domain", ["0", "1/00"]), "NUMBER"),
    ("number with spaces", _set("domain", ["0", " 1"]), "NUMBER"),
    ("number of 5000 digits", _set("domain", ["0", "1" * 5000]), "LIMIT"),
    ("input too short", _set("input", ["1/4"]), "FORMAT"),
    ("input too long", _set("input", ["1/4", "1/2", "0"]), "FORMAT"),
    ("input not a list", _set("input", "1/4 1/2"), "FORMAT"),
    ("input outside domain", _set("input", ["5", "1/2"]), "INPUT"),
    ("input just below", _set("input", ["-1/1000000", "1/2"]), "INPUT"),
    ("label out of range", _set("label", 7), "FORMAT"),
    ("label negative", _set("label", -1), "FORMAT"),
    ("label as text", _set("label", "0"), "FORMAT"),
    ("label not the prediction", _set("label", 1), "LABEL"),
    ("label never predicted", _set("label", 3), "LABEL"),
    ("model hash", _set("model_sha256", "0" * 64), "MODEL_HASH"),
    ("no claim", _set("claims", {}), "NO_CLAIM"),
    ("unknown claim", _set("claims", "certified", {"everything": True}), "CLAIM"),
    ("claims a list", _set("claims", []), "NO_CLAIM"),
    ("calls not a list", _set("calls", {}), "FORMAT"),
    ("call kind", _set("calls", 0, "kind", "flop"), "FORMAT"),
    ("call verdict", _set("calls", 0, "verdict", "maybe"), "FORMAT"),
    ("unsat call without proof", _set("calls", 0, "proof", DELETE), "FORMAT"),
    ("proof as text", _set("calls", 0, "proof", "apothem-proof 1"), "FORMAT"),
    ("sat call without point", _set("calls", 1, "point", DELETE), "FORMAT"),
    ("point too short", _set("calls", 1, "point", ["0"]), "FORMAT"),
    ("like itself", _set("calls", 3, "like", 3), "FORMAT"),
    ("like a later call", _set("calls", 3, "like", 4), "FORMAT"),
    ("like negative", _set("calls", 3, "like", -1), "FORMAT"),
    ("move coord out of range", _set("calls", 3, "move", [[2, "upper", 1]]), "FORMAT"),
    ("move side", _set("calls", 3, "move", [[0, "left", 1]]), "FORMAT"),
    ("move inward", _set("calls", 3, "move", [[0, "upper", -1]]), "FORMAT"),
    ("move not a triple", _set("calls", 3, "move", [[0, "upper"]]), "FORMAT"),
    ("apothem k negative", _set("claims", "apothem", "k", -1), "CLAIM"),
    ("apothem k text", _set("claims", "apothem", "k", "1"), "FORMAT"),
    ("apothem k too large", _set("claims", "apothem", "k", 2), "FORMAT"),  # bracket start is still 1
    ("apothem bracket start", _set("claims", "apothem", "bracket", [2, 2]), "FORMAT"),
    ("apothem top without flip", _set("claims", "apothem", "refuted_by", None), "CLAIM"),
    ("apothem flip without top", _set("claims", "apothem", "bracket", [1, None]), "CLAIM"),
    ("apothem bracket end not above k", _set("claims", "apothem", "bracket", [1, 1]), "FORMAT"),
    ("apothem proof index out of range", _set("claims", "apothem", "proof", 99), "FORMAT"),
    ("apothem proof index negative", _set("claims", "apothem", "proof", -1), "FORMAT"),
    ("apothem proof is the sat call", _set("claims", "apothem", "proof", 1), "MISMATCH"),
    ("apothem proof of another box", _set("claims", "apothem", "proof", 2), "MISMATCH"),
    ("apothem flip of another ball", _set("claims", "apothem", "bracket", [1, 3]), "MISMATCH"),
    ("apothem flip at the input", _sat_as_point_at_x, "POINT"),
    ("apothem flip outside its box", _set("calls", 1, "point", ["1", "1"]), "POINT"),
    ("apothem proof truncated", lambda b: b["calls"][0].update(proof=b["calls"][0]["proof"][:-7]), "PROOF"),
    ("apothem proof of the maximal box", lambda b: b["calls"][0].update(proof=b["calls"][2]["proof"]), "PROOF"),
    ("apothem proof under float32", lambda b: b["calls"][0].update(
        proof=b["calls"][0]["proof"].replace(b"semantics real", b"semantics float32")), "PROOF"),
    ("float32 bundle, one proof under real", lambda b: B.float32(b, keep_real=(0,)), "PROOF"),
    ("float32 bundle, a dual proof under real", lambda b: B.float32(b, keep_real=(7,)), "PROOF"),
    ("float32 bundle, flip not binary32", lambda b: B.float32(b)["calls"][1].update(point=["1/3", "3/4"]), "POINT"),
    ("semantics float64", _set("semantics", "float64"), "FORMAT"),
    ("semantics a list", _set("semantics", ["real"]), "FORMAT"),
    ("maximal box not robust", _set("claims", "maximal", "upper", ["5/8", "5/8"]), "MISMATCH"),
    ("maximal box misses the input", _set("claims", "maximal", "upper", ["1/8", "5/8"]), "BOX"),
    ("maximal box leaves the domain", _set("claims", "maximal", "lower", ["-1/8", "0"]), "BOX"),
    ("maximal box inverted", _set("claims", "maximal", "lower", ["1/2", "0"]), "BOX"),
    ("maximal box off the grid", _set("claims", "maximal", "upper", ["7/16", "5/8"]), "BOX"),
    ("maximal face missing", _set("claims", "maximal", "faces", [[0, "upper", 3]]), "FACES"),
    ("maximal face on the boundary", _extra_face, "FACES"),
    ("maximal face twice", _duplicate_face, "FACES"),
    ("maximal face coord", _set("claims", "maximal", "faces", 0, 0, 9), "FORMAT"),
    ("maximal face side", _set("claims", "maximal", "faces", 0, 1, "middle"), "FORMAT"),
    ("maximal face entry short", _set("claims", "maximal", "faces", 0, [0, "upper"]), "FORMAT"),
    ("maximal shown but a face is not", _set("claims", "maximal", "faces", 1, 2, None), "CLAIM"),
    ("maximal shown not a bool", _set("claims", "maximal", "maximal_shown", 1), "CLAIM"),
    ("maximal face call swapped", _set("claims", "maximal", "faces", [[0, "upper", 4], [1, "upper", 3]]), "MISMATCH"),
    ("maximal face flip not a flip", _set("calls", 3, "point", ["1/2", "0"]), "POINT"),
    ("dual face without proof", _set("claims", "dual_box", "faces", 0, 2, None), "FORMAT"),
    ("dual box misses the input", _set("claims", "dual_box", "lower", ["3/8", "0"]), "BOX"),
    ("dual witness not classified", _set("calls", 6, "point", ["1", "0"]), "POINT"),
    ("dual witness outside", _set("calls", 6, "point", ["1/4", "0"]), "POINT"),
    ("dual ball negative", _set("claims", "dual_ball", "r_steps", -1), "FORMAT"),
    ("dual ball of another size", _set("claims", "dual_ball", "r_steps", 5), "MISMATCH"),
    ("dual ball the whole domain", _set("claims", "dual_ball", "r_steps", 8), "FACES"),
    ("number in a call box", _set("calls", 2, "upper", ["1e30000000", "5/8"]), "NUMBER"),
]


@pytest.mark.parametrize("name, mutate, code", HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_bundle(capsys, tmp_path, model, name, mutate, code):
    bundle = copy.deepcopy(B.valid_bundle(model))
    mutate(bundle)
    start = time.perf_counter()
    exit_code, out, err = run(capsys, tmp_path, model, B.pack(bundle))
    assert time.perf_counter() - start < 10
    assert (exit_code, out) == (1, "invalid\n"), err
    assert err.startswith(f"certification: {code}: ") and "Traceback" not in err, err


@pytest.mark.parametrize("data", [b"", b"\xc1\xc1", msgpack.packb([1, 2, 3]), b"\x91" * 100_000,
                                  b"\xdd\xff\xff\xff\xff", msgpack.packb({"format": "apothem-certification"})[:-3]],
                         ids=["empty", "reserved byte", "a list", "deep nesting", "huge array header", "truncated"])
def test_not_a_bundle(capsys, tmp_path, model, data):
    exit_code, out, err = run(capsys, tmp_path, model, data)
    assert (exit_code, out) == (1, "invalid\n") and err.startswith("certification: FORMAT: "), err


def test_a_long_chain_of_likes_is_read_without_recursion(capsys, tmp_path, model, net):
    """10^5 calls each `like` the one before (the review's RecursionError): read in one pass; the
    last one, relied on with a box it does not have, is a MISMATCH."""
    b = B.valid_bundle(model)
    n = len(b["calls"])  # call n + i is like call n + i - 1 (the first like the maximal box's proof)
    b["calls"] += [{"kind": "flip", "like": 2 if i == 0 else n + i - 1, "move": [], "verdict": "unknown"}
                   for i in range(100_000)]
    start = time.perf_counter()
    assert C.check_certification(B.pack(b), net)[0] == "valid"
    b["claims"]["maximal"]["faces"][0][2] = len(b["calls"]) - 1
    code, out, err = run(capsys, tmp_path, model, B.pack(b))
    assert time.perf_counter() - start < 20
    assert code == 1 and err.startswith("certification: MISMATCH: claim maximal: face upper of X_0: call 100008")


def test_float32_overflow_at_the_input(capsys, tmp_path, model):
    """Under float32 the reference execution at x* = (2e38, 0) overflows (y1 = 2 x0 - 1/8 rounds to
    infinity): FLOAT32_OVERFLOW (condition 15), not an internal error."""
    b = B.float32(B.valid_bundle(model))
    b.update(domain=["0", str(3 * 10**38)], input=[str(2 * 10**38), "0"])
    code, out, err = run(capsys, tmp_path, model, B.pack(b))
    assert (code, out) == (1, "invalid\n") and err.startswith("certification: FLOAT32_OVERFLOW: "), err


def test_one_output_network(capsys, tmp_path):
    """A flip query of a one-output network has no disjunct, so it is trivially unsat: refused."""
    model = B.affine_model(tmp_path / "one.onnx", w=[[1.0, 0.0]], b=[0.0])
    b = B.valid_bundle(model)
    b["calls"] = [{"kind": "flip", "lower": ["0", "0"], "upper": ["1", "1"], "verdict": "unsat",
                   "proof": B.proof(model, "flip", (0, 0), (1, 1), 0, 1)}]
    b["claims"] = {"apothem": {"k": 8, "proof": 0, "refuted_by": None, "bracket": [8, None]}}
    code, out, err = run(capsys, tmp_path, model, B.pack(b))
    assert code == 1 and err.startswith("certification: LABEL: the network has 1 output"), err


# -- each condition switched off lets a forged bundle through -----------------------------------
def _forged(model, tmp_path, condition):
    """A bundle that only `condition` rejects (every other condition of section 4 holds)."""
    b = B.valid_bundle(model)

    def only_apothem(k, x=B.X, delta=F(1, 8), lo=F(0), hi=F(1), **bracket):
        lower, upper = B.ball(k, x, delta, lo, hi)
        b.update(input=[B.text(v) for v in x], calls=[B.box_call(model, "flip", lower, upper)])
        b["claims"] = {"apothem": {"k": k, "proof": 0, "refuted_by": None, "bracket": [k, None], **bracket}}

    def only_maximal(upper, faces, shown, lower=("0", "0")):
        b["claims"] = {"maximal": {"lower": list(lower), "upper": list(upper), "proof": 2, "faces": faces,
                                   "maximal_shown": shown}}
        b["calls"][2] = B.box_call(model, "flip", [F(v) for v in lower], [F(v) for v in upper])

    if condition == "grid > 0":  # a negative grid turns every ball inside out: empty boxes
        b["grid"] = -8
        only_apothem(100, delta=F(-1, 8))
    elif condition == "lo < hi":  # a point domain: every ball is the input itself
        b["domain"] = ["1/4", "1/4"]
        only_apothem(1000, x=(F(1, 4), F(1, 4)), delta=F(0), lo=F(1, 4), hi=F(1, 4))
    elif condition == "input in domain":  # x0 = -3: ball(1) is empty in x0
        only_apothem(1, x=(F(-3), F(1, 2)))
    elif condition == "two outputs":
        one = B.affine_model(tmp_path / "one.onnx", w=[[1.0, 0.0]], b=[0.0])
        b = B.valid_bundle(one)
        b["calls"] = [{"kind": "flip", "lower": ["0", "0"], "upper": ["1", "1"], "verdict": "unsat",
                       "proof": B.proof(one, "flip", (0, 0), (1, 1), 0, 1)}]
        b["claims"] = {"apothem": {"k": 8, "proof": 0, "refuted_by": None, "bracket": [8, None]}}
        return b, one
    elif condition == "input classified":  # class 3 is never even weakly reached: any dual box "holds"
        lower, upper = (F(1, 8), F(3, 8)), (F(3, 8), F(5, 8))
        slabs = [(0, "lower", (0, 0), (lower[0], 1)), (0, "upper", (upper[0], 0), (1, 1)),
                 (1, "lower", (0, 0), (1, lower[1])), (1, "upper", (0, upper[1]), (1, 1))]
        b["label"] = 3
        b["calls"] = [B.box_call(model, "reach", lo, hi, label=3, lambdas=(1, 0, 0)) for _, _, lo, hi in slabs]
        b["claims"] = {"dual_box": {"lower": [B.text(v) for v in lower], "upper": [B.text(v) for v in upper],
                                    "faces": [[i, side, n, None] for n, (i, side, _, _) in enumerate(slabs)]}}
    elif condition == "known claims":
        b["claims"]["certified_everywhere"] = True
    elif condition == "k >= 0":  # ball(-1) is empty
        only_apothem(-1)
    elif condition == "bracket with refuted_by":  # "optimal" with no flip shown
        b["claims"]["apothem"]["refuted_by"] = None
    elif condition == "box around input":  # a robust box elsewhere, printed as "around the input"
        only_maximal(("1/8", "1/8"), [[0, "upper", None], [1, "upper", None]], False)
    elif condition == "box on grid":
        only_maximal(("17/32", "5/8"), [[0, "upper", 3], [1, "upper", 4]], True)
        b["calls"][3]["point"] = ["21/32", "0"]
    elif condition == "maximal_shown iff":
        b["claims"]["maximal"]["faces"][1][2] = None
    elif condition == "every face listed":  # "maximal" with a face never tried
        del b["claims"]["maximal"]["faces"][1]
    elif condition == "proof checks":  # ball(3) is not robust; its "proof" is the one of ball(1)
        only_apothem(3)
        b["calls"][0]["proof"] = B.proof(model, "flip", *B.ball(1), 0, 4)
    elif condition == "point in box":  # apothem 0 "optimal", refuted by a flip far outside ball(1)
        only_apothem(0, refuted_by=1, bracket=[0, 1])
        b["calls"].append(B.box_call(model, "flip", *B.ball(1), point=(F(1), F(1))))
    elif condition == "binary32 point":  # a float32 flip at (1/3, 3/4): only its binary32 rounding flips
        only_apothem(1, refuted_by=1, bracket=[1, 2])
        b["calls"].append(B.box_call(model, "flip", *B.ball(2), point=(F(1, 3), F(3, 4))))
        B.float32(b)
    elif condition == "point shows":  # the "flip" is the input itself
        only_apothem(0, refuted_by=1, bracket=[0, 1])
        b["calls"].append(B.box_call(model, "flip", *B.ball(1), point=B.X))
    return b, model


CONDITIONS = {"grid > 0": "GRID", "lo < hi": "DOMAIN", "input in domain": "INPUT", "two outputs": "LABEL",
              "input classified": "LABEL", "known claims": "CLAIM", "k >= 0": "CLAIM",
              "bracket with refuted_by": "CLAIM", "box around input": "BOX", "box on grid": "BOX",
              "maximal_shown iff": "CLAIM", "every face listed": "FACES", "proof checks": "PROOF",
              "point in box": "POINT", "binary32 point": "POINT", "point shows": "POINT"}


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_condition_alone_stops_a_forgery(monkeypatch, tmp_path, model, condition):
    bundle, used = _forged(model, tmp_path, condition)
    network = load_network(used)
    verdict, lines = C.check_certification(B.pack(bundle), network)
    assert verdict == "invalid" and lines[0].startswith(f"certification: {CONDITIONS[condition]}: "), lines
    checked = set()
    original = C.require

    def switched_off(name, holds, code, message):
        checked.add(name)
        if name != condition:
            original(name, holds, code, message)
    monkeypatch.setattr(C, "require", switched_off)
    verdict, lines = C.check_certification(B.pack(bundle), network)
    assert condition in checked and verdict == "valid", lines


def test_every_condition_is_mutation_tested(model, net, monkeypatch):
    """The table above names every condition the checker evaluates on a full bundle."""
    seen = set()
    original = C.require
    monkeypatch.setattr(C, "require", lambda name, *rest: (seen.add(name), original(name, *rest)))
    assert C.check_certification(B.pack(B.valid_bundle(model)), net)[0] == "valid"
    assert seen == set(CONDITIONS)


# -- what a caller can rely on ------------------------------------------------------------------
@pytest.mark.parametrize("drop, expect", [("apothem", "apothem"), ("apothem", "optimal"), ("maximal", "box"),
                                          ("maximal", "maximal"), ("dual_box", "dual-box"), ("dual_ball", "dual-ball")])
def test_expect_a_claim_the_bundle_lacks(capsys, tmp_path, model, drop, expect):
    b = B.valid_bundle(model)
    del b["claims"][drop]
    code, out, err = run(capsys, tmp_path, model, B.pack(b), "--expect", expect)
    assert (code, out) == (1, "invalid\n") and err.startswith(f"certification: EXPECT: the caller expects '{expect}'")


def test_expect_optimal_of_an_apothem_not_shown_optimal(capsys, tmp_path, model):
    b = B.valid_bundle(model)
    b["calls"][1] = B.box_call(model, "flip", *B.ball(3), point=(F(1, 4), F(3, 4)))
    b["claims"]["apothem"]["bracket"] = [1, 3]
    code, out, err = run(capsys, tmp_path, model, B.pack(b), "--expect", "apothem")
    assert code == 0 and "NOT shown optimal (a flip is shown only within 3 steps)" in err
    code, out, err = run(capsys, tmp_path, model, B.pack(b), "--expect", "optimal")
    assert code == 1 and "EXPECT" in err


def test_missing_bundle_is_an_input_error(capsys, tmp_path, model):
    for path in (tmp_path / "missing.cert", tmp_path):
        code = main(["certification", str(path), "--network", str(model)])
        out, err = capsys.readouterr()
        assert (code, out) == (4, "invalid\n") and "UNREADABLE" in err and str(path) in err and "Traceback" not in err
