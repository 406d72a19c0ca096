"""ReLU-split trees of disjuncts that share a box go under one root (prover/verify.py `_plan`,
Emitter.shared_root): the root's `bounds N layer K` steps are replayed once, not once per disjunct."""
from __future__ import annotations

import re
from types import SimpleNamespace

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.proof import ProofLog
from prover.tree import Node
from prover.verify import _plan, verify


def _tree(hints: bool, steps: bool) -> Node:
    n = Node(None, None, None, None)
    n.hints = {0: object()} if hints else None
    n.layer_steps = {2: [((), [])]} if steps else None
    return n


def _group(index: int, box: int):
    return [SimpleNamespace(index=index, box=box)]


def _prove(benchmarks, net: str, query: str, tmp_path):
    """An mnist_fc query the prover must prove: (network, property, proof path, outcome)."""
    folder = benchmarks / "mnist_fc"
    network = load_network(folder / f"onnx/{net}.onnx")
    prop = load_property(folder / f"vnnlib/{query}.vnnlib", network.n_inputs, network.n_outputs)
    proof = tmp_path / "p.apf"
    out = verify(network, prop, str(proof), timeout=100)
    assert out.verdict == "unsat", out.reason
    return network, prop, proof, out


def test_plan_shares_the_closing_trees_and_the_first_splitting_one():
    trees = [(_group(0, 0), _tree(True, False)), (_group(1, 0), _tree(False, False)),
             (_group(2, 0), _tree(False, True)), (_group(3, 0), _tree(True, True)),
             (_group(4, 1), _tree(False, True)), (_group(5, 2), _tree(True, False)), (_group(6, 2), _tree(True, False))]
    plan = _plan(SimpleNamespace(low_dim=False), trees)
    shared = [(tuple(d.index for d in g), tree, tuple(d.index for d, _ in closing)) for g, tree, closing in plan]
    # box 0: disjuncts 0 and 3 close at the root; of the splitting trees the one with the root's steps
    # (2) continues below the shared root, 1 keeps its own root; box 1 alone; box 2: two closes, no tree below
    assert shared == [((2,), trees[2][1], (0, 3)), ((1,), trees[1][1], ()), ((4,), trees[4][1], ()),
                      ((), None, (5, 6))]
    assert [(g, t, c) for g, t, c in _plan(SimpleNamespace(low_dim=True), trees)] == \
        [(g, t, []) for g, t in trees]  # input splitting shares its roots in the search already


def test_a_robustness_query_replays_its_root_steps_once(benchmarks, tmp_path):
    """mnist_fc 256x4, 9 disjuncts (the other classes), each closed at the root after optimised layer
    steps: one root for all, each layer step once (before: 9 roots, each with its own steps)."""
    network, prop, proof, out = _prove(benchmarks, "mnist-net_256x4", "prop_2_0.03", tmp_path)
    text = proof.read_text()
    assert re.findall(r"^\d+ root .*$", text, re.M) == ["1 root 0 1 2 3 4 5 6 7 8"], text
    steps = re.findall(r"^\d+ bounds 1 layer (\d+)(?: neurons (\d+))?", text, re.M)  # (layer, neuron or '')
    assert steps and len(steps) == len(set(steps)), steps  # each once: the whole layer's, and one per neuron
    assert sorted(re.findall(r"^\d+ close 1 linear disjunct (\d+)", text, re.M), key=int) == [str(d) for d in range(9)]
    assert check_proof(proof, network, prop).verdict == "valid"


def test_a_close_rejected_at_the_shared_root_is_searched_again(benchmarks, tmp_path, monkeypatch):
    """The Session refuses the second close at the shared root (as if float and exact disagreed): that
    disjunct, left alone open there, is searched again from the Session's bounds and split."""
    real, calls = ProofLog.close_linear, []

    def reject_second(self, node, disjunct, hints):
        calls.append(disjunct)
        return False if len(calls) == 2 else real(self, node, disjunct, hints)

    monkeypatch.setattr(ProofLog, "close_linear", reject_second)
    network, prop, proof, out = _prove(benchmarks, "mnist-net_256x2", "prop_0_0.03", tmp_path)
    assert out.stats["rejected_closes"] == 1
    text = proof.read_text()
    assert re.findall(r"^\d+ root .*$", text, re.M) == ["1 root 0 1 2 3 4 5 6 7 8"]
    assert re.search(r"^\d+ split 1 relu ", text, re.M), text  # the rejected disjunct's new subtree
    assert check_proof(proof, network, prop).verdict == "valid"
