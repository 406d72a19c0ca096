"""Meaning-changing mutations of valid proofs are rejected at the mutated step, with the right code.

Base proof (golden/valid/split_relu_beta_tight): network |x| + 2^-60, property |x| + 2^-60 <= 0 on
[-1, 1]. Its certificates are *tight*: the lower bound of each leaf is
    node 3 (x <= 0): lambda * eps - |beta - lambda * alpha|,   node 4 (x >= 0): lambda * eps - |lambda - beta|
with lambda = alpha = beta = 1 and eps = 2^-60, so moving any multiplier by delta >= 2^-58 (within its
domain) makes the bound non-positive. Where a mutation need not break the proof (arbitrary values), the
test asserts instead that an accepted leaf is confirmed safe by z3 on the exact network.
"""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apothem_check.kernel import CheckError, Session
from apothem_check import steps as S
from helpers import GOLDEN, MODELS, check_text, load, outcome, proof_text, sha, z3_node_is_empty
from proof_format.writer import format_step

NET, PROP = MODELS / "abs_eps.onnx", MODELS / "abs_zero.vnnlib"
EPS = Fraction(1, 2 ** 60)
F1 = Fraction(1)
BASE = [S.Root(1, (0,)), S.SplitRelu(2, 1, 1, 0, 3, 4),
        S.CloseLinear(5, 3, (F1,), ((1, 1, F1),), ((1, 0, F1),)),
        S.CloseLinear(6, 4, (F1,), (), ((1, 0, F1),)), S.Unsat(7)]
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def run(steps, tmp_path: Path, net=NET, prop=PROP, **kw):
    text = proof_text(net, prop, "\n".join(format_step(s) for s in steps), **kw)
    return check_text(tmp_path, net, prop, text)


def replace_step(steps, index, new):
    return steps[:index] + [new] + steps[index + 1:]


def test_base_proof_is_valid(tmp_path):
    assert outcome(run(BASE, tmp_path)) == "valid unsat"


# (step index in BASE, which multiplier) -> how to rebuild the step with value v
def _with(kind: str, index: int, v: Fraction):
    st_ = BASE[index]
    if kind == "lambda":
        return S.CloseLinear(st_.id, st_.node, (v,), st_.alphas, st_.betas)
    if kind == "alpha":
        return S.CloseLinear(st_.id, st_.node, st_.lambdas, ((1, 1, v),), st_.betas)
    return S.CloseLinear(st_.id, st_.node, st_.lambdas, st_.alphas, ((1, 0, v),))


SLOTS = [("lambda", 2), ("alpha", 2), ("beta", 2), ("lambda", 3), ("beta", 3)]
deltas = st.fractions(min_value=Fraction(1, 2 ** 58), max_value=Fraction(1), max_denominator=2 ** 70)


@SETTINGS
@given(slot=st.sampled_from(SLOTS), delta=deltas, up=st.booleans())
def test_moved_multiplier_is_not_positive(tmp_path, slot, delta, up):
    kind, index = slot
    value = F1 + delta if up else F1 - delta
    if kind == "alpha" and value > 1:
        expected = "BAD_ALPHA"
    else:
        expected = "NOT_POSITIVE"
    result = run(replace_step(BASE, index, _with(kind, index, value)), tmp_path)
    assert outcome(result) == f"invalid step {BASE[index].id} {expected}", (kind, value, str(result.error))


@SETTINGS
@given(slot=st.sampled_from(SLOTS), value=st.fractions(max_value=Fraction(-1, 2 ** 60), max_denominator=2 ** 70))
def test_negative_multiplier_is_rejected_by_domain(tmp_path, slot, value):
    kind, index = slot
    code = {"lambda": "BAD_LAMBDA", "alpha": "BAD_ALPHA", "beta": "BAD_BETA"}[kind]
    result = run(replace_step(BASE, index, _with(kind, index, value)), tmp_path)
    assert outcome(result) == f"invalid step {BASE[index].id} {code}"


@SETTINGS
@given(value=st.fractions(min_value=Fraction(1) + Fraction(1, 2 ** 60), max_value=10 ** 6, max_denominator=2 ** 70))
def test_alpha_above_one(tmp_path, value):
    assert outcome(run(replace_step(BASE, 2, _with("alpha", 2, value)), tmp_path)) == "invalid step 5 BAD_ALPHA"


@SETTINGS
@given(slot=st.sampled_from(SLOTS),
       value=st.fractions(min_value=0, max_value=Fraction(3, 2), max_denominator=2 ** 66))
def test_arbitrary_multiplier_accepted_only_if_leaf_is_safe(tmp_path, slot, value):
    """Any value: if the checker accepts the mutated step, z3 confirms the leaf has no unsafe point;
    if it rejects it, it is at the mutated step with NOT_POSITIVE."""
    kind, index = slot
    if kind == "alpha" and value > 1:
        return
    result = run(replace_step(BASE, index, _with(kind, index, value)), tmp_path)
    if result.verdict == "valid":
        net, prop = load(NET, PROP)
        session = Session(net, prop)
        for st_ in BASE[:2]:
            session.apply(st_)
        assert z3_node_is_empty(net, prop.disjuncts[0], session.open[BASE[index].node]) == "unsat"
    else:
        assert outcome(result) == f"invalid step {BASE[index].id} NOT_POSITIVE"


def spec_bound(node: int, lam: Fraction, alpha: Fraction, beta: Fraction) -> Fraction:
    """The exact lower bound of spec 4.5 for the two leaves (alpha, beta already on the grid)."""
    return lam * EPS - (abs(beta - lam * alpha) if node == 3 else abs(lam - beta))


def test_checker_agrees_with_spec_bound_fractional_lambda_accepts(tmp_path):
    """lambda = 1/2 at node 3: spec bound eps/2 - 1/2 < 0, must be NOT_POSITIVE."""
    assert spec_bound(3, Fraction(1, 2), F1, F1) < 0
    assert outcome(run(replace_step(BASE, 2, _with("lambda", 2, Fraction(1, 2))), tmp_path)) == "invalid step 5 NOT_POSITIVE"


def test_checker_agrees_with_spec_bound_fractional_lambda_rejects(tmp_path):
    """lambda = 1 - 2^-70 at node 4: spec bound > 0, must be valid."""
    lam = F1 - Fraction(1, 2 ** 70)
    assert spec_bound(4, lam, F1, F1) > 0
    assert outcome(run(replace_step(BASE, 3, _with("lambda", 3, lam)), tmp_path)) == "valid unsat"


def test_dropped_leaf_is_open_nodes(tmp_path):
    for index in (2, 3):
        result = run(BASE[:index] + BASE[index + 1:], tmp_path)
        assert outcome(result) == "invalid step 7 OPEN_NODES"
        assert f"node {BASE[index].node} is still open" in result.error.message


@pytest.mark.parametrize("mutate, codes", [
    (lambda: replace_step(BASE, 2, S.CloseLinear(5, 6, (F1,))), ("UNKNOWN_NODE",)),
    (lambda: [BASE[0], S.SplitRelu(2, 3, 1, 0, 3, 4)] + BASE[2:], ("UNKNOWN_NODE", "ID_ORDER")),
    (lambda: [BASE[0], BASE[1], S.CloseLinear(5, 4, (F1,), (), ((1, 0, F1),)), S.CloseLinear(4, 3, (F1,)), BASE[4]],
     ("ID_ORDER",))])
def test_premise_pointing_forward(tmp_path, mutate, codes):
    result = run(mutate(), tmp_path)
    assert result.verdict == "invalid" and result.error.code in codes and result.error.step is not None


# --- closes naming their disjunct (golden/valid/shared_root_split_crown) ----------------------------
def _shared_steps():
    from helpers import read_steps
    return read_steps(GOLDEN / "valid" / "shared_root_split_crown.apf")[1]


def _renamed(step, disjunct):
    return S.CloseLinear(step.id, step.node, step.lambdas, step.alphas, step.betas, disjunct)


SHARED_CLOSES = [i for i, s in enumerate(_shared_steps()) if isinstance(s, S.CloseLinear)]


@pytest.mark.parametrize("index", SHARED_CLOSES)
def test_shared_root_close_for_the_other_disjunct(tmp_path, index):
    """Root 10 is open for disjuncts 0 and 1; its close names 1, every leaf's names 0. Naming the
    other disjunct is rejected at that step: at the root the certificate is not one for
    disjunct 0; in a leaf disjunct 1 is no longer open (closed at the root)."""
    steps = _shared_steps()
    old = steps[index]
    steps[index] = _renamed(old, 1 - old.disjunct)
    expected = "NOT_POSITIVE" if old.node == 10 else "BAD_DISJUNCT"
    assert outcome(run(steps, tmp_path, MODELS / "net2.onnx", MODELS / "net2_c.vnnlib")) == \
        f"invalid step {old.id} {expected}"


@pytest.mark.parametrize("index", SHARED_CLOSES)
def test_shared_root_unnamed_close(tmp_path, index):
    """Leaving the disjunct out is accepted exactly where one disjunct is open (the leaves)."""
    steps = _shared_steps()
    old = steps[index]
    steps[index] = _renamed(old, None)
    expected = f"invalid step {old.id} BAD_DISJUNCT" if old.node == 10 else "valid unsat"
    assert outcome(run(steps, tmp_path, MODELS / "net2.onnx", MODELS / "net2_c.vnnlib")) == expected


# --- split thresholds on net2 (golden/valid/input_splits_crown) -----------------------------------
def _net2_steps():
    from helpers import read_steps
    return read_steps(GOLDEN / "valid" / "input_splits_crown.apf")[1]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 4), shift=st.fractions(min_value=-2, max_value=2, max_denominator=64))
def test_moved_split_threshold(tmp_path, which, shift):
    """Moving a threshold keeps the cover sound; the proof is either still valid (then z3 agrees the
    property is unsat) or rejected at a *close* step with NOT_POSITIVE -- never at the split itself."""
    steps = _net2_steps()
    splits = [i for i, s in enumerate(steps) if isinstance(s, S.SplitInput)]
    i = splits[which % len(splits)]
    old = steps[i]
    steps[i] = S.SplitInput(old.id, old.node, old.index, old.threshold + shift, old.low, old.high)
    net, prop = MODELS / "net2.onnx", MODELS / "net2_a.vnnlib"
    result = run(steps, tmp_path, net, prop)
    if result.verdict == "invalid":
        assert result.error.code == "NOT_POSITIVE" and isinstance(result.error.step, S.CloseLinear)
        assert result.error.step.id > old.id
    else:
        assert outcome(result) == "valid unsat"


def test_threshold_moved_breaks_a_leaf(tmp_path):
    """The first split at x0 = 0 moved to x0 = 1/2: the low child now contains (1/2, 1), where y0 = 7/4 - ..."""
    steps = _net2_steps()
    i = next(i for i, s in enumerate(steps) if isinstance(s, S.SplitInput))
    old = steps[i]
    steps[i] = S.SplitInput(old.id, old.node, old.index, Fraction(3, 4), old.low, old.high)
    result = run(steps, tmp_path, MODELS / "net2.onnx", MODELS / "net2_a.vnnlib")
    assert result.verdict == "invalid" and result.error.code == "NOT_POSITIVE"
    assert result.error.step.node == old.low


# --- property and witness mutations -----------------------------------------------------------------
@pytest.mark.parametrize("new_box", ["(<= X_0 1.5)", "(<= X_0 1.0000000000000000001)"])
def test_changed_input_box(tmp_path, new_box):
    """Box changed: HASH_PROPERTY; with the hash line forged to the new file: the step that no longer holds."""
    from golden_cases import NET2A_CROWN
    net, real = MODELS / "net2.onnx", MODELS / "net2_a.vnnlib"
    edited = tmp_path / "edited.vnnlib"
    edited.write_text(real.read_text().replace("(<= X_0 1)", new_box))
    text = proof_text(net, real, NET2A_CROWN)
    assert outcome(check_text(tmp_path, net, edited, text)) == "invalid HASH_PROPERTY"
    forged = proof_text(net, real, NET2A_CROWN, prop_hash=sha(edited))
    result = check_text(tmp_path, net, edited, forged)
    if new_box == "(<= X_0 1.5)":
        assert result.verdict == "invalid" and result.error.code == "NOT_POSITIVE"
    else:  # a box larger by 10^-19: still unsat there, and the margins absorb it
        assert outcome(result) == "valid unsat"
        n, p = load(net, edited)
        s = Session(n, p)
        s.apply(S.Root(1, (0,)))
        assert z3_node_is_empty(n, p.disjuncts[0], s.open[1]) == "unsat"


@SETTINGS
@given(out=st.fractions(min_value=Fraction(1, 2 ** 100), max_value=10 ** 9, max_denominator=2 ** 100),
       side=st.booleans(), which=st.integers(0, 1))
def test_witness_moved_outside(tmp_path, out, side, which):
    net, prop = MODELS / "net2.onnx", MODELS / "net2_sat.vnnlib"
    values = [F1, F1]
    values[which] = (F1 + out) if side else (-F1 - out)
    result = run([S.Witness(1, 0, tuple(values)), S.Sat(2, 1)], tmp_path, net, prop)
    assert outcome(result) == "invalid step 1 WITNESS_OUTSIDE"
    assert f"X_{which}" in result.error.message


@SETTINGS
@given(x0=st.fractions(min_value=-1, max_value=1, max_denominator=2 ** 20),
       x1=st.fractions(min_value=-1, max_value=1, max_denominator=2 ** 20))
def test_witness_accepted_iff_exactly_unsafe(tmp_path, x0, x1):
    """Any point of the box: accepted iff the exact output satisfies y0 >= 1/2 (independent evaluation)."""
    net, prop = MODELS / "net2.onnx", MODELS / "net2_sat.vnnlib"
    result = run([S.Witness(1, 0, (x0, x1)), S.Sat(2, 1)], tmp_path, net, prop)
    relu = lambda v: max(v, Fraction(0))
    h = [relu(x0 + x1), relu(x0 - x1)]
    h2 = [relu(h[0] + h[1] / 2 - Fraction(1, 4)), relu(-h[0] / 2 + h[1])]
    y0 = h2[0] - h2[1]
    assert outcome(result) == ("valid sat" if y0 >= Fraction(1, 2) else "invalid step 1 WITNESS_SAFE")


def test_real_network_proof_mutations(tmp_path, benchmarks):
    """A proof on /work/shared/benchmarks/test/test_small.onnx (per disjunct a root and its CROWN bounds, `bounds N
    layer 1` .. `layer L`, no close):
    its verdict, then a witness moved outside and the property hash changed."""
    net = benchmarks / "test" / "test_small.onnx"
    prop = benchmarks / "test" / "test_small.vnnlib"
    if not net.exists() or not prop.exists():
        pytest.skip("test_small not present")
    n, p = load(net, prop)
    lines, i, hidden = [], 1, len(n.layers) - 1
    for d in range(len(p.disjuncts)):
        lines += [f"{i} root {d}"] + [f"{i + k} bounds {i} layer {k}" for k in range(1, hidden + 1)]
        i += hidden + 1
    # find what the checker says; the expected answer is in the benchmark's expected.csv
    text = proof_text(net, prop, "\n".join(lines) + f"\n{i} unsat")
    assert outcome(check_text(tmp_path, net, prop, text)) == f"invalid step {i} OPEN_NODES"
    assert outcome(check_text(tmp_path, net, prop, text.replace(sha(prop), sha(net)))) == "invalid HASH_PROPERTY"
