"""Golden proofs (VeriPB-style folders, one test per file; negative tests pin step id AND code).

golden/valid/*.apf        -> `# expect: valid unsat|valid sat`
golden/invalid/*.apf      -> `# expect: invalid step <id> <CODE>` or `invalid <CODE>` (header, no verdict)
golden/parse_error/*.apf  -> `# expect: invalid PARSE|LIMIT` (the reader rejects the file, no step)

Every file names its model and property (`# model:`, `# property:`, relative to golden/); the
files are written by golden_cases.py and the models by nets.py, and both are checked here to be
reproducible byte for byte (so the SHA-256 header lines stay right).
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import golden_cases
import nets
from apothem_check.check import check_proof
from helpers import EXPECT, GOLDEN, check_file, golden_param, load, outcome, parse_expect, z3_node_is_empty

FOLDERS = ("valid", "invalid", "parse_error")
FILES = sorted(p for f in FOLDERS for p in (GOLDEN / f).glob("*.apf"))
ALL_CODES = {"ID_ORDER", "UNKNOWN_NODE", "BAD_INDEX", "DUPLICATE_ROOT", "ALREADY_SPLIT", "BAD_LAMBDA", "BAD_ALPHA",
             "BAD_BETA", "BETA_NOT_SPLIT", "DUPLICATE_HINT", "NOT_POSITIVE", "WITNESS_ARITY",
             "WITNESS_OUTSIDE", "WITNESS_SAFE", "UNKNOWN_WITNESS", "MISSING_ROOT", "OPEN_NODES", "AFTER_VERDICT",
             "NO_VERDICT", "HEADER", "HASH_NETWORK", "HASH_PROPERTY", "PARSE", "LIMIT",
             "WITNESS_NOT_FLOAT32", "FLOAT32_OVERFLOW"}  # SEMANTICS: binary headers only (test_hostile_proofs)


def _expected(meta) -> str:
    m = EXPECT.match(f"# expect: {meta['expect']}")
    assert m, f"bad expect line {meta['expect']!r}"
    return meta["expect"]


@pytest.mark.parametrize("path, meta", [golden_param(p) for p in FILES])
def test_golden(path: Path, meta: dict):
    expect = _expected(meta)
    result = check_file(path, GOLDEN / meta["model"], GOLDEN / meta["property"])
    got = outcome(result)
    assert got == expect, f"{path.name}: expected {expect}, got {got} ({result.error})"
    if result.error is not None and result.error.step is not None:
        # the message format of spec section 4
        assert re.fullmatch(rf"step {result.error.step.id} \(rule [a-z]+\) line \d+: {result.error.code}: .+",
                            str(result.error)), str(result.error)


def test_every_folder_matches_its_expectations():
    for path in FILES:
        expect = parse_expect(path)["expect"]
        folder = path.parent.name
        if folder == "valid":
            assert expect in ("valid unsat", "valid sat"), path
        elif folder == "invalid":
            assert expect.startswith("invalid ") and not re.fullmatch(r"invalid (PARSE|LIMIT)", expect), path
        else:
            assert re.fullmatch(r"invalid (PARSE|LIMIT)", expect), path


def test_every_error_code_and_rule_is_covered():
    expects = [parse_expect(p)["expect"] for p in FILES]
    codes = {e.split()[-1] for e in expects if e.startswith("invalid")}
    assert ALL_CODES <= codes, sorted(ALL_CODES - codes)
    texts = "\n".join(p.read_text("latin-1") for p in (GOLDEN / "valid").glob("*.apf"))
    for rule in (" root ", " input ", " relu ", "bounds 1 layer 1", "bounds 1 layer 2\n", " linear ", " witness ",
                 " sat ", " unsat", " alpha ", " beta "):
        assert rule in texts, rule
    for verdict in ("valid unsat", "valid sat"):
        assert verdict in expects


def test_models_are_reproducible(tmp_path: Path):
    """Regenerating the tiny networks and properties gives byte-identical files."""
    nets.write_all(tmp_path)
    for p in sorted(tmp_path.iterdir()):
        assert p.read_bytes() == (GOLDEN / "models" / p.name).read_bytes(), p.name
    assert {p.name for p in (GOLDEN / "models").iterdir()} == {p.name for p in tmp_path.iterdir()}


def test_golden_files_are_reproducible(tmp_path: Path):
    (tmp_path / "models").symlink_to(GOLDEN / "models")
    golden_cases.write_all(tmp_path)
    for folder in FOLDERS:
        made = {p.name: p.read_bytes() for p in (tmp_path / folder).glob("*.apf")}
        have = {p.name: p.read_bytes() for p in (GOLDEN / folder).glob("*.apf")}
        assert made.keys() == have.keys(), folder
        for name in made:
            assert made[name] == have[name], f"{folder}/{name}: run python -m checker.tests.golden_cases"


def test_models_load_and_properties_cross_check():
    from apothem_check.vnnlib import cross_check_with_z3
    for name in nets.PROPERTIES:
        model = {"abs_zero": "abs_eps"}.get(name, name.split("_")[0])
        net, prop = load(GOLDEN / "models" / f"{model}.onnx", GOLDEN / "models" / f"{name}.vnnlib")
        cross_check_with_z3(GOLDEN / "models" / f"{name}.vnnlib", prop)


def test_valid_unsat_proofs_agree_with_z3_on_each_disjunct():
    """Independent oracle: every property proved unsat here is unsat for z3 on the exact network."""
    from apothem_check.kernel import Session
    from apothem_check import steps as S
    for path in FILES:
        meta = parse_expect(path)
        if path.parent.name != "valid" or meta["expect"] != "valid unsat" or "xfail" in path.read_text("latin-1"):
            continue
        net, prop = load(GOLDEN / meta["model"], GOLDEN / meta["property"])
        for d in range(len(prop.disjuncts)):
            session = Session(net, prop)
            session.apply(S.Root(1, (d,)))
            assert z3_node_is_empty(net, prop.disjuncts[d], session.open[1]) == "unsat", path


def test_the_z3_oracle_finds_the_counterexamples_of_valid_sat_proofs():
    """The oracle of the test above can fail: on every property a golden proof shows sat (real
    semantics), it finds an unsafe point in some disjunct's root box."""
    from apothem_check.kernel import Session
    from apothem_check import steps as S
    checked = 0
    for path in FILES:
        meta = parse_expect(path)
        if path.parent.name != "valid" or meta["expect"] != "valid sat" or "semantics float32" in path.read_text():
            continue
        net, prop = load(GOLDEN / meta["model"], GOLDEN / meta["property"])
        verdicts = []
        for d in range(len(prop.disjuncts)):
            session = Session(net, prop)
            session.apply(S.Root(1, (d,)))
            verdicts.append(z3_node_is_empty(net, prop.disjuncts[d], session.open[1]))
        assert "sat" in verdicts, path
        checked += 1
    assert checked >= 5
