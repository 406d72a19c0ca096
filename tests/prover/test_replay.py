"""Parallel exact replay (prover/replay.py): forked processes replay subtrees; the proof they
produce together must be valid for the checker, and a child's rejection, timeout or failure must
reach the parent without leaving a proof or temporary files behind."""
from __future__ import annotations

import re
import sys

import pytest

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.proof import ProofLog
from prover.replay import ID_STRIDE, balance
from prover.tree import Node, Settings, Timeout
from prover.verify import verify

NET, PROP = "onnx/ACASXU_run2a_1_1_batch_2000.onnx", "vnnlib/prop_3.vnnlib"  # unsat, ~60 nodes


def _run(benchmarks, tmp_path, jobs, timeout=100):
    folder = benchmarks / "acasxu"
    network = load_network(folder / NET)
    prop = load_property(folder / PROP, network.n_inputs, network.n_outputs)
    proof = tmp_path / f"proof{jobs}.apf"
    out = verify(network, prop, str(proof), timeout=timeout, settings=Settings(jobs=jobs))
    return network, prop, proof, out


def _leftovers(tmp_path):
    return list(tmp_path.glob(".apothem-*"))


def test_parallel_proof_is_valid_and_has_the_serial_steps(benchmarks, tmp_path):
    # no timeout: the parent waits on its children without a deadline (select() once overflowed)
    network, prop, proof3, out3 = _run(benchmarks, tmp_path, 3, timeout=None)
    _, _, proof1, out1 = _run(benchmarks, tmp_path, 1)
    assert out3.verdict == out1.verdict == "unsat"
    result = check_proof(proof3, network, prop)
    assert result.verdict == "valid", result.error
    assert out3.stats["steps"] == out1.stats["steps"]
    assert out3.stats["closed"] == out1.stats["closed"]
    ids = [int(m.group(1)) for m in re.finditer(r"^(\d+) ", proof3.read_text(), re.M)]
    assert max(ids) > 2 * ID_STRIDE, "no step came from the third process"
    assert not _leftovers(tmp_path)


def test_a_close_rejected_in_a_child_is_resplit_there(benchmarks, tmp_path, monkeypatch):
    real = ProofLog.close_linear
    seen = {"n": 0}

    def reject_first_child_close(self, node, disjunct, hints):
        if node > ID_STRIDE and seen["n"] == 0:  # the fork copies this state: once per child
            seen["n"] += 1
            self.rejected += 1
            return False
        return real(self, node, disjunct, hints)

    monkeypatch.setattr(ProofLog, "close_linear", reject_first_child_close)
    network, prop, proof, out = _run(benchmarks, tmp_path, 2)
    assert out.verdict == "unsat"
    assert out.stats["rejected_closes"] == 1  # counted in the child, merged into the parent
    assert check_proof(proof, network, prop).verdict == "valid"


@pytest.mark.parametrize("failure,verdict", [(Timeout, "timed-out"), (ValueError, None)])
def test_a_failing_child_leaves_no_proof(benchmarks, tmp_path, monkeypatch, failure, verdict):
    real = ProofLog.bounds

    def fail_in_child(self, node, method):
        if self.next_id > ID_STRIDE:
            raise failure("injected")
        return real(self, node, method)

    monkeypatch.setattr(ProofLog, "bounds", fail_in_child)
    if verdict is None:
        with pytest.raises(RuntimeError, match="replay process: ValueError: injected"):
            _run(benchmarks, tmp_path, 2)
    else:
        assert _run(benchmarks, tmp_path, 2)[3].verdict == verdict
    assert not (tmp_path / "proof2.apf").exists()
    assert not _leftovers(tmp_path)


def test_balance_keeps_order_and_evens_out_sizes():
    nodes = [Node(None, None, None, None, size=s) for s in (5, 1, 4, 2, 3, 1)]
    groups = balance(nodes, 2)
    assert sorted(sum(n.size for n in g) for g in groups) == [8, 8]
    for g in groups:
        assert [nodes.index(n) for n in g] == sorted(nodes.index(n) for n in g)
    assert balance(nodes[:1], 4) == [nodes[:1]]


def _alive(pid: int) -> bool:
    """Running or sleeping (a zombie waiting for its new parent to reap it has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_a_replay_child_dies_with_its_parent_even_by_sigkill():
    """Issue 21: a parent killed by SIGKILL runs no handler; its replay child must not live on."""
    import subprocess
    import time
    script = ("import os, time\nfrom prover.replay import die_with_parent\nparent = os.getpid()\npid = os.fork()\n"
              "if pid == 0:\n    die_with_parent(parent)\n    time.sleep(60)\n    os._exit(0)\n"
              "print(pid, flush=True)\ntime.sleep(60)\n")
    p = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(p.stdout.readline())
    assert _alive(child)
    p.kill()
    p.wait()
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child), "the replay child outlived its parent"


@pytest.mark.parametrize("where,jobs", [("parent", 1), ("top", 2), ("child", 2)])
def test_the_deadline_cuts_one_long_exact_step_short(benchmarks, tmp_path, monkeypatch, where, jobs):
    """One exact step longer than what is left of --timeout (an exact `bounds crown` over 1000-wide
    layers takes a minute): the answer is timed-out at the deadline, not after the step. The step
    here is a pure-Python loop of 120 s, like the kernel's Fraction arithmetic; `tick`, which looks
    only between steps, used to let it run to its end."""
    import os
    import time
    real = ProofLog.bounds

    def slow_bounds(self, node, method):
        in_child = self.next_id > ID_STRIDE
        if where == "parent" or (where == "child") == in_child:
            end = time.monotonic() + 120
            while time.monotonic() < end:
                pass
        return real(self, node, method)

    monkeypatch.setattr(ProofLog, "bounds", slow_bounds)
    start = time.monotonic()
    out = _run(benchmarks, tmp_path, jobs, timeout=10)[3]
    assert out.verdict == "timed-out" and time.monotonic() - start < 10 + 5, time.monotonic() - start
    assert not (tmp_path / f"proof{jobs}.apf").exists() and not _leftovers(tmp_path)
    with pytest.raises(ChildProcessError):  # every replay process was reaped
        os.waitpid(-1, os.WNOHANG)
