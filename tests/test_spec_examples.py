"""spec/examples/<name>/: each proof checked against its `expected` line; the spec's grammar block
is byte-identical to checker/apothem_check/proof.lark."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import cross_check_with_z3, load_property

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p for p in (ROOT / "spec" / "examples").iterdir() if p.is_dir())
EXPECT = re.compile(r"^(valid unsat|valid sat|invalid step \d+ [A-Z_0-9]+|invalid [A-Z_0-9]+)$")


def outcome(result) -> str:
    if result.verdict == "valid":
        return f"valid {result.conclusion}"
    if result.error.step is None:
        return f"invalid {result.error.code}"
    return f"invalid step {result.error.step.id} {result.error.code}"


def test_there_are_examples():
    assert len(EXAMPLES) >= 10


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example(example: Path):
    for name in ("model.onnx", "property.vnnlib", "proof.apf", "expected"):
        assert (example / name).is_file(), name
    expected = (example / "expected").read_text().strip()
    assert EXPECT.match(expected), expected
    net = load_network(example / "model.onnx")
    prop = load_property(example / "property.vnnlib", net.n_inputs, net.n_outputs)
    cross_check_with_z3(example / "property.vnnlib", prop)
    assert outcome(check_proof(example / "proof.apf", net, prop)) == expected


def test_examples_are_listed_in_readme():
    readme = (ROOT / "spec" / "examples" / "README.md").read_text()
    for example in EXAMPLES:
        assert f"`{example.name}`" in readme, example.name
        assert (example / "expected").read_text().strip() in readme


def test_every_rule_has_a_valid_example():
    texts = "\n".join((e / "proof.apf").read_text() for e in EXAMPLES
                      if (e / "expected").read_text().startswith("valid"))
    for rule in (" root ", " input ", " relu ", " layer 1\n", " layer 2\n", " linear ", " witness ", " sat ",
                 " unsat", " alpha ", " beta ", " neurons "):
        assert rule in texts, rule


def test_grammar_in_spec_is_proof_lark():
    spec = (ROOT / "spec" / "proof-format.md").read_text()
    section = spec[spec.index("## 8. Grammar"):]
    block = re.search(r"```lark\n(.*?)```", section, re.S)
    assert block, "no ```lark block in section 8"
    assert block.group(1) == (ROOT / "checker" / "apothem_check" / "proof.lark").read_text()
