"""Attacks on the checker (lean4checker style): tampered inputs, forged hashes, hostile sizes.

Each test pins the exact outcome (step id and error code), not just "rejected".
"""
from __future__ import annotations

import resource
import time
from fractions import Fraction
from pathlib import Path

import msgpack
import pytest

import nets
from apothem_check import steps as S
from apothem_check.kernel import CheckError, Session
from helpers import MODELS, check_text, load, outcome, proof_text, sha

ABS, NEG = MODELS / "abs.onnx", MODELS / "abs_neg.vnnlib"
ABS_CLOSE = "1 root 0\n2 close 1 linear lambda 1\n3 unsat"


def test_proof_for_a_slightly_different_network(tmp_path):
    """Made for |x| + 1/8 (one bias changed), hash line forged to the real |x|: rejected at the close."""
    other = tmp_path / "other.onnx"
    other.write_bytes(nets.model_bytes(nets.abs_net(b2=(0.125,))))
    prop = MODELS / "abs_zero.vnnlib"  # |x| <= 0: sat at x = 0 for the real network
    assert outcome(check_text(tmp_path, other, prop, proof_text(other, prop, ABS_CLOSE))) == "valid unsat"
    forged = proof_text(other, prop, ABS_CLOSE, net_hash=sha(ABS))
    assert outcome(check_text(tmp_path, ABS, prop, forged)) == "invalid step 2 NOT_POSITIVE"
    assert outcome(check_text(tmp_path, ABS, prop, proof_text(other, prop, ABS_CLOSE))) == "invalid HASH_NETWORK"


def test_proof_for_one_weight_changed(tmp_path):
    """Second-layer weight 1 -> 2 on relu(x): the certificate with beta no longer holds on the real file."""
    other = tmp_path / "w.onnx"
    other.write_bytes(nets.model_bytes(nets.abs_net(w2=((2.0, 1.0),))))
    prop = MODELS / "abs_one.vnnlib"
    body = "1 root 0\n2 split 1 relu 1 0 3 4\n5 close 3 linear lambda 1\n6 close 4 linear lambda 1 beta 1 0 2\n7 unsat"
    assert outcome(check_text(tmp_path, other, prop, proof_text(other, prop, body))) == "valid unsat"
    forged = proof_text(other, prop, body, net_hash=sha(ABS))
    assert outcome(check_text(tmp_path, ABS, prop, forged)) == "invalid step 6 NOT_POSITIVE"


def test_proof_for_a_smaller_box(tmp_path):
    """Proof for x in [1/2, 1] of |x| <= 1/4 (unsat there); the real property has x in [-1, 1] (sat)."""
    small = tmp_path / "small.vnnlib"
    small.write_text(nets.vnnlib(1, 1, nets.box([(0.5, 1)]) + "\n(assert (<= Y_0 0.25))", "edited"))
    real = MODELS / "abs_sat.vnnlib"
    assert outcome(check_text(tmp_path, ABS, small, proof_text(ABS, small, ABS_CLOSE))) == "valid unsat"
    assert outcome(check_text(tmp_path, ABS, real, proof_text(ABS, small, ABS_CLOSE))) == "invalid HASH_PROPERTY"
    forged = proof_text(ABS, small, ABS_CLOSE, prop_hash=sha(real))
    assert outcome(check_text(tmp_path, ABS, real, forged)) == "invalid step 2 NOT_POSITIVE"


def test_split_proof_for_a_smaller_box(tmp_path):
    """net2: a proof with input splits made for x0 in [-1, 1], checked on x0 in [-1, 3/2] (sat there)."""
    from golden_cases import NET2A_CROWN
    net, real = MODELS / "net2.onnx", MODELS / "net2_a.vnnlib"
    big = tmp_path / "big.vnnlib"
    big.write_text(real.read_text().replace("(<= X_0 1)", "(<= X_0 1.5)"))
    result = check_text(tmp_path, net, big, proof_text(net, real, NET2A_CROWN, prop_hash=sha(big)))
    assert result.verdict == "invalid" and result.error.code == "NOT_POSITIVE"
    assert isinstance(result.error.step, S.CloseLinear)


def test_witness_just_outside_the_box(tmp_path):
    prop = MODELS / "abs_sat.vnnlib"
    eps = Fraction(1, 2 ** 70)
    for value in (1 + eps, -1 - eps):
        body = f"1 witness 0 {value.numerator}/{value.denominator}\n2 sat 1"
        assert outcome(check_text(tmp_path, ABS, prop, proof_text(ABS, prop, body))) == "invalid step 1 WITNESS_OUTSIDE"
    body = "1 witness 0 0x1.00000000000000000p0\n2 sat 1"  # exactly 1: inside
    assert outcome(check_text(tmp_path, ABS, MODELS / "abs_high.vnnlib",
                              proof_text(ABS, MODELS / "abs_high.vnnlib", body))) == "invalid step 1 WITNESS_SAFE"


@pytest.mark.parametrize("where", ["lambda", "witness", "threshold", "hex"])
def test_million_digit_number_is_a_quick_limit(tmp_path, where):
    digits = "1" * 10 ** 6
    body = {"lambda": f"1 root 0\n2 close 1 linear lambda {digits}\n3 unsat",
            "witness": f"1 witness 0 {digits}/3\n2 sat 1",
            "threshold": f"1 root 0\n2 split 1 input 0 0.{digits} 3 4\n5 unsat",
            "hex": f"1 root 0\n2 close 1 linear lambda 0x{digits}p0\n3 unsat"}[where]
    start = time.perf_counter()
    result = check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, body))
    assert time.perf_counter() - start < 2
    assert outcome(result) == "invalid LIMIT" and "characters" in result.error.message


def test_number_at_the_spec_limit_is_accepted_and_one_more_character_is_not(tmp_path):
    """Spec section 2: literals of up to 4,000 characters are read; longer ones are LIMIT."""
    body = "1 root 0\n2 close 1 linear lambda 1" + "0" * 3999 + "\n3 unsat"
    assert outcome(check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, body))) == "valid unsat"
    body = "1 root 0\n2 close 1 linear lambda 1" + "0" * 4000 + "\n3 unsat"
    assert outcome(check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, body))) == "invalid LIMIT"


def test_long_line_is_a_limit(tmp_path):
    body = "1 root 0\n2 close 1 linear lambda " + " ".join(["1"] * (9 << 20)) + "\n3 unsat"
    result = check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, body))
    assert outcome(result) == "invalid LIMIT"


def _chain(n_splits: int) -> str:
    """A chain of input splits; the low child of each is closed at once (depth-first, one open node)."""
    lines, node, i = ["1 root 0"], 1, 2
    for k in range(n_splits):
        t = Fraction(-1) + Fraction(2 * (k + 1), n_splits + 2)
        lines.append(f"{i} split {node} input 0 {t.numerator}/{t.denominator} {i + 1} {i + 2}")
        lines.append(f"{i + 3} close {i + 1} linear lambda 1")
        node, i = i + 2, i + 4
    lines.append(f"{i} close {node} linear lambda 1")
    lines.append(f"{i + 1} unsat")
    return "\n".join(lines)


def test_hundred_thousand_chained_steps(tmp_path):
    """10^5 steps, half of them `close linear`: bounded time and memory (the 10^6 version is
    bench/checker_stream.py). CPU time, not wall time: this machine is shared."""
    text = proof_text(ABS, NEG, _chain(50_000))
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.process_time()
    result = check_text(tmp_path, ABS, NEG, text)
    elapsed = time.process_time() - start
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024
    assert outcome(result) == "valid unsat" and result.steps == 100_003
    assert elapsed < 45, elapsed
    assert grown_mib < 200, grown_mib


def test_open_node_explosion_is_a_limit(tmp_path):
    """Splitting without ever closing (breadth first): the open set is bounded (kernel.MAX_OPEN_NODES)."""
    from apothem_check.kernel import MAX_OPEN_NODES
    lines, i = ["1 root 0"], 2
    open_ids = [1]
    n = MAX_OPEN_NODES + 5
    for _ in range(n):
        node = open_ids.pop()
        lines.append(f"{i} split {node} input 0 0 {i + 1} {i + 2}")
        open_ids += [i + 1, i + 2]
        i += 3
    lines.append(f"{i} unsat")
    start = time.perf_counter()
    result = check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, "\n".join(lines)))
    assert time.perf_counter() - start < 30
    # open nodes after s splits: 1 + s; the split that would make MAX_OPEN_NODES + 1 fails
    assert outcome(result) == f"invalid step {2 + 3 * (MAX_OPEN_NODES - 1)} LIMIT"


def test_rejected_limit_step_leaves_the_session_unchanged(monkeypatch):
    import apothem_check.kernel as kernel
    monkeypatch.setattr(kernel, "MAX_OPEN_NODES", 3)
    net, prop = load(ABS, MODELS / "abs_or.vnnlib")
    session = Session(net, prop)
    session.apply(S.Root(1, (0,)))
    session.apply(S.SplitInput(2, 1, 0, Fraction(3, 4), 3, 4))
    session.apply(S.Root(5, (1,)))
    before = (set(session.open), set(session.roots), session.last_id)
    with pytest.raises(CheckError) as err:
        session.apply(S.SplitInput(6, 3, 0, Fraction(5, 8), 7, 8))
    assert err.value.code == "LIMIT"
    assert (set(session.open), set(session.roots), session.last_id) == before


@pytest.mark.parametrize("cut, expect", [
    ("1 root 0\n2 close 1 linear lambda 1\n", "invalid NO_VERDICT"),      # at a line boundary
    ("1 root 0\n2 close 1 linear lambda", "invalid PARSE"),               # mid-line
    ("1 root 0\n2 close 1 linear lambda 1\n3 uns", "invalid PARSE"),
    ("1 root 0\n2 close 1 linear lambda 1\n3 unsat", "valid unsat"),      # no final newline: fine
    ("1 root 0\n2 close 1 line", "invalid PARSE")])
def test_truncated_proofs(tmp_path, cut, expect):
    assert outcome(check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, "").rstrip("\n") + "\n" + cut)) == expect


def test_truncated_header(tmp_path):
    full = proof_text(ABS, NEG, ABS_CLOSE)
    for n in (10, 40, 100, full.index("property")):
        assert outcome(check_text(tmp_path, ABS, NEG, full[:n])) in ("invalid HEADER", "invalid PARSE"), n


def test_verdict_duplicated(tmp_path):
    body = ABS_CLOSE + "\n4 unsat"
    assert outcome(check_text(tmp_path, ABS, NEG, proof_text(ABS, NEG, body))) == "invalid step 4 AFTER_VERDICT"
    body = "1 witness 0 0\n2 sat 1\n3 sat 1"
    prop = MODELS / "abs_sat.vnnlib"
    assert outcome(check_text(tmp_path, ABS, prop, proof_text(ABS, prop, body))) == "invalid step 3 AFTER_VERDICT"


@pytest.mark.parametrize("data", [bytes(range(256)) * 4, b"\xc1" * 64, b"apothem-proof 1\n\x00\x01\x02\xff\n",
                                  b"\xff\xfe\x00\x01garbage", b"\x93\x01\x02\x03", msgpack.packb({"format": "x"})])
def test_binary_garbage_is_a_parse_error(tmp_path, data):
    assert outcome(check_text(tmp_path, ABS, NEG, data)) == "invalid PARSE"


def test_hash_of_a_different_file_with_the_same_network(tmp_path):
    """Re-serialising the same weights differently (another producer name) changes the hash: rejected."""
    model = nets.abs_net()
    model.producer_name = "someone-else"
    other = tmp_path / "same_weights.onnx"
    other.write_bytes(nets.model_bytes(model))
    assert outcome(check_text(tmp_path, other, NEG, proof_text(ABS, NEG, ABS_CLOSE))) == "invalid HASH_NETWORK"
