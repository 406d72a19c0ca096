"""End-to-end prover tests: verdicts agree with expected.csv, and every proof the prover writes
is `valid` for the independent checker (`check_proof` re-reads the written file from scratch).

Benchmarks are read from ../shared/benchmarks (the `benchmarks` fixture in the root conftest
skips with the reason when they are absent).
"""
from __future__ import annotations

import csv
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import SUPPORTED_VERSIONS, load_property
from prover.cli import main
from prover.verify import verify
from prover.semantics import outputs

ROOT = Path(__file__).resolve().parents[2]


def expected(folder: Path, onnx: str, vnnlib: str) -> str:
    with open(folder / "expected.csv") as f:
        for row in csv.DictReader(f):
            if row["onnx"] == onnx and row["vnnlib"] == vnnlib:
                return row["expected"]
    raise KeyError((onnx, vnnlib))


def prove(folder: Path, onnx: str, vnnlib: str, tmp_path: Path, timeout: float = 60):
    network = load_network(folder / onnx)
    prop = load_property(folder / vnnlib, network.n_inputs, network.n_outputs)
    proof = tmp_path / "proof.apf"
    out = verify(network, prop, str(proof), timeout=timeout)
    return network, prop, proof, out


def assert_agrees(folder, onnx, vnnlib, tmp_path, timeout=60):
    want = expected(folder, onnx, vnnlib)
    network, prop, proof, out = prove(folder, onnx, vnnlib, tmp_path, timeout)
    assert out.verdict == want, (out.verdict, out.reason, out.stats)
    result = check_proof(proof, network, prop)
    assert result.verdict == "valid", result.error
    assert result.conclusion == want
    if want == "sat":
        d = prop.disjuncts
        assert any(all(lo <= x <= hi for x, lo, hi in zip(out.inputs, dj.lower, dj.upper)) for dj in d)
        assert outputs(network, out.inputs) == out.outputs
    assert not list(tmp_path.glob(".apothem-*")), "temporary proof file left behind"
    return out


@pytest.mark.parametrize("onnx,vnnlib", [("test_nano.onnx", "test_nano.vnnlib"),
                                         ("test_tiny.onnx", "test_tiny.vnnlib"),
                                         ("test_small.onnx", "test_small.vnnlib"),
                                         ("test_sat.onnx", "test_prop.vnnlib"),
                                         ("test_unsat.onnx", "test_prop.vnnlib")])
def test_smoke_networks(benchmarks, tmp_path, onnx, vnnlib):
    assert_agrees(benchmarks / "test", onnx, vnnlib, tmp_path)


@pytest.mark.parametrize("net,prop", [("2_1", 2), ("1_1", 1), ("1_1", 3), ("2_9", 8)])  # 2_9 prop_8: sat, small margin
def test_acasxu(benchmarks, tmp_path, net, prop):
    assert_agrees(benchmarks / "acasxu", f"onnx/ACASXU_run2a_{net}_batch_2000.onnx",
                  f"vnnlib/prop_{prop}.vnnlib", tmp_path, timeout=100)


def _closes_by_node(proof: Path) -> dict:
    out = {}
    for line in proof.read_text().splitlines():
        words = line.split()
        if len(words) > 3 and words[1] == "close":
            out.setdefault(words[2], []).append(words[words.index("disjunct") + 1])
    return out


def test_acasxu_disjuncts_sharing_a_box_share_a_root(benchmarks, tmp_path):
    """prop_10 ("Y_0 is minimal") is 4 disjuncts over one box: one tree serves them all, with one
    root for the four and, in every leaf, a close naming each of them."""
    assert_agrees(benchmarks / "acasxu", "onnx/ACASXU_run2a_4_5_batch_2000.onnx", "vnnlib/prop_10.vnnlib",
                  tmp_path, timeout=100)
    proof = tmp_path / "proof.apf"
    roots = [line.split()[2:] for line in proof.read_text().splitlines() if " root " in line]
    assert roots == [["0", "1", "2", "3"]]
    leaves = _closes_by_node(proof)
    assert len(leaves) > 1 and all(sorted(ds) == ["0", "1", "2", "3"] for ds in leaves.values())


def test_rejected_close_in_a_shared_root_resplits_the_rest(benchmarks, tmp_path, monkeypatch):
    """When a leaf's second close is rejected, the first disjunct stays closed on the node and
    only the others are searched again below it; the proof is still complete and valid."""
    from prover.proof import ProofLog
    real = ProofLog.close_linear
    calls = {"n": 0, "node": None}

    def reject_second(self, node, disjunct, hints):
        calls["n"] += 1
        if calls["n"] == 2:
            calls["node"] = node
            self.rejected += 1
            return False
        return real(self, node, disjunct, hints)

    monkeypatch.setattr(ProofLog, "close_linear", reject_second)
    out = assert_agrees(benchmarks / "acasxu", "onnx/ACASXU_run2a_4_5_batch_2000.onnx", "vnnlib/prop_10.vnnlib",
                        tmp_path, timeout=100)
    assert out.stats["rejected_closes"] == 1
    text = (tmp_path / "proof.apf").read_text()
    assert f" split {calls['node']} input " in text  # the node was split after its first close
    assert len(_closes_by_node(tmp_path / "proof.apf")[str(calls["node"])]) == 1


@pytest.mark.parametrize("prop", ["prop_1_0.05", "prop_0_0.03"])
def test_mnist_fc_256x2(benchmarks, tmp_path, prop):
    assert_agrees(benchmarks / "mnist_fc", "onnx/mnist-net_256x2.onnx", f"vnnlib_2021/{prop}.vnnlib",
                  tmp_path, timeout=100)


def test_timeout_gives_no_proof(benchmarks, tmp_path):
    folder = benchmarks / "acasxu"
    network, prop, proof, out = prove(folder, "onnx/ACASXU_run2a_1_1_batch_2000.onnx",
                                      "vnnlib/prop_2.vnnlib", tmp_path, timeout=0.5)
    assert out.verdict == "timed-out"
    assert not proof.exists()
    assert not list(tmp_path.glob(".apothem-*"))


def test_cli_sat_output_and_exit_codes(benchmarks, tmp_path, capsys):
    folder = benchmarks / "test"
    code = main(["verify", str(folder / "test_prop.vnnlib"), "--network", f"net={folder / 'test_sat.onnx'}",
                 "--proof", str(tmp_path / "p.apf")])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and out[0] == "sat"
    assert out[1].startswith("((X_0 ") and out[-1].endswith("))")
    xs = [Fraction(line.strip(" ()").split()[1]) for line in out[1:] if "X_" in line]
    network = load_network(folder / "test_sat.onnx")
    prop = load_property(folder / "test_prop.vnnlib", network.n_inputs, network.n_outputs)
    d = prop.disjuncts[0]
    assert all(lo <= x <= hi for x, lo, hi in zip(xs, d.lower, d.upper))
    assert check_proof(tmp_path / "p.apf", network, prop).conclusion == "sat"


def test_cli_bad_input(tmp_path, capsys):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not an onnx file")
    prop = tmp_path / "p.vnnlib"
    prop.write_text("(declare-const X_0 Real)\n")
    code = main(["verify", str(prop), "--network", str(bad)])
    captured = capsys.readouterr()
    assert code == 4 and captured.out.splitlines() == ["unknown"]
    assert captured.err.startswith("apothem: error: ") and captured.err.count("\n") == 1


def test_cli_supports(capsys):
    assert main(["supports", "--proof-rules"]) == 0
    assert "close linear" in capsys.readouterr().out.splitlines()
    assert main(["supports", "--vnnlib-versions"]) == 0
    # the prover reads queries with the checker's reader
    assert capsys.readouterr().out.split() == ["1", "2"] == list(SUPPORTED_VERSIONS)


def test_no_proof_mode(benchmarks, tmp_path):
    folder = benchmarks / "test"
    network = load_network(folder / "test_unsat.onnx")
    prop = load_property(folder / "test_prop.vnnlib", network.n_inputs, network.n_outputs)
    out = verify(network, prop, None, timeout=60, proof=False)
    assert out.verdict == "unsat" and out.stats["exact_seconds"] == 0


def test_console_entry_point_runs_without_traceback(tmp_path):
    r = subprocess.run([sys.executable, "-m", "prover.cli", "verify", str(tmp_path / "missing.vnnlib"),
                        "--network", str(tmp_path / "missing.onnx")], capture_output=True, text=True,
                       cwd=ROOT, env={"PYTHONPATH": f"{ROOT}:{ROOT / 'checker'}", "PATH": "/usr/bin:/bin"})
    assert r.stdout.splitlines()[0] == "unknown" and r.returncode == 4 and "Traceback" not in r.stderr


def test_reader_closing_stdout_early_gives_no_traceback(benchmarks, tmp_path):
    """`apothem verify ... | head -1` on a sat query: the assignment after the verdict meets a
    closed pipe."""
    folder = benchmarks / "test"
    p = subprocess.Popen([sys.executable, "-m", "prover.cli", "verify", str(folder / "test_prop.vnnlib"),
                          "--network", str(folder / "test_sat.onnx"), "--proof", str(tmp_path / "p.apf")],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                         env={"PYTHONPATH": f"{ROOT}:{ROOT / 'checker'}", "PATH": "/usr/bin:/bin"})
    p.stdout.close()  # the reader is gone before the first line
    err = p.stderr.read().decode()
    assert p.wait() == 141 and "Traceback" not in err and "internal error" not in err


def test_rejected_close_is_split_not_emitted(benchmarks, tmp_path, monkeypatch):
    """A close the in-process Session rejects is never written: the node is re-split from the
    Session's exact bounds and the proof is still complete and valid."""
    from prover.proof import ProofLog
    real = ProofLog.close_linear
    calls = {"n": 0}

    def reject_first(self, node, disjunct, hints):
        calls["n"] += 1
        if calls["n"] == 1:  # behave as the kernel does on NOT_POSITIVE: state unchanged, False
            self.rejected += 1
            return False
        return real(self, node, disjunct, hints)

    monkeypatch.setattr(ProofLog, "close_linear", reject_first)
    out = assert_agrees(benchmarks / "test", "test_unsat.onnx", "test_prop.vnnlib", tmp_path)
    assert out.stats["rejected_closes"] == 1
