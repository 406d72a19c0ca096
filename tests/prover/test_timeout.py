"""`--timeout` bounds the whole command (issue 21): set-up counts, and an attack stops at the deadline.

On a 10-100-1000-1000-1000-20-2 network, `--timeout 20` used to end after 32 s: reading the
network took 8 s outside the clock, and the root attack (254 passes of 50 ms) never looked at it.
"""
from __future__ import annotations

import time

import numpy as np

import prover.cli as cli
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.engine.attack import falsify, pgd
from prover.falsify import Falsifier
from prover.problem import Problem
from prover.tree import Settings

from test_hardening import NET, ROBUST


def _net_and_problem():
    net = load_network(NET)
    return Problem.of(net, load_property(ROBUST, net.input_shape, net.output_shape))


def test_an_attack_stops_at_its_deadline():
    """A deadline already past: pgd and falsify return at once whatever their budget of steps."""
    p = _net_and_problem()
    d = p.disjuncts[0]
    rng = np.random.default_rng(0)
    start = time.perf_counter()
    xs, m = pgd(p.net, d.lo, d.hi, d.A, d.const, rng, restarts=64, steps=10 ** 6, deadline=time.monotonic() - 1)
    xs2, _ = falsify(p.net, d.lo, d.hi, d.A, d.const, rng, 64, 10 ** 6, rounds=50, deadline=time.monotonic() - 1)
    assert time.perf_counter() - start < 5
    assert xs.shape == (64, d.lo.shape[0]) and np.all(np.isfinite(m)) and len(xs2) >= 64


def test_the_falsifier_passes_its_deadline_on():
    p = _net_and_problem()
    settings = Settings(attack_restarts=64, attack_steps=10 ** 6, attack_restarts_low_dim=64,
                        attack_steps_low_dim=10 ** 6)
    start = time.perf_counter()
    Falsifier(p, settings, low_dim=True, deadline=time.monotonic() - 1).attack(p.disjuncts[0])
    assert time.perf_counter() - start < 5


def test_set_up_time_counts_against_the_timeout(monkeypatch, capsys):
    """Reading the files takes 2 s here; with --timeout 1 the answer must come at once, not after
    the search has had a second of its own."""
    real = cli.load_query

    def slow_load(query, spec, semantics):
        time.sleep(2)
        return real(query, spec, semantics)
    monkeypatch.setattr(cli, "load_query", slow_load)
    start = time.perf_counter()
    code = cli.main(["verify", str(ROBUST), "--network", str(NET), "--timeout", "1"])
    elapsed = time.perf_counter() - start
    assert code == 0 and capsys.readouterr().out.splitlines()[0] == "timed-out"
    assert elapsed < 2.6, elapsed


def _busy(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_bounded_cuts_a_long_step_and_leaves_no_alarm_behind():
    import signal
    import pytest
    from prover.tree import Clock, Timeout
    before = signal.getsignal(signal.SIGALRM)
    start = time.monotonic()
    with pytest.raises(Timeout):
        with Clock(time.monotonic() + 0.3).bounded():
            _busy(10)
    assert time.monotonic() - start < 2
    assert signal.getitimer(signal.ITIMER_REAL)[0] == 0 and signal.getsignal(signal.SIGALRM) is before


def test_bounded_leaves_a_callers_own_timer_alone():
    """The Python API may run inside a caller's alarm: it is neither replaced nor cancelled."""
    import signal
    from prover.tree import Clock
    previous = signal.signal(signal.SIGALRM, lambda *a: None)
    try:
        signal.setitimer(signal.ITIMER_REAL, 100)
        with Clock(time.monotonic() + 0.1).bounded():
            _busy(0.3)  # no Timeout from the alarm: `tick` alone sees the deadline
        assert 90 < signal.getitimer(signal.ITIMER_REAL)[0] <= 100
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_the_timeout_holds_through_one_uninterruptible_step(monkeypatch, tmp_path, capsys):
    """The search's SIGALRM cannot cut one long C-level operation short (a numpy operation on exact
    integers ran 15 s past `--timeout`); the watchdog (prover/watchdog.py) kills the process doing it
    at the deadline, removes its temporary proof file, and answers timed-out."""
    import os
    from prover.outfile import AtomicFile
    marker = tmp_path / "worker.pid"

    def stuck(network, prop, proof_path, *args, **kwargs):
        AtomicFile(proof_path, "w", "proof file").write("apothem-proof 1\n")  # a temporary beside the target
        marker.write_text(str(os.getpid()))
        return sum(range(10 ** 11))  # one C call: no signal handler runs before it returns
    monkeypatch.setattr(cli, "verify", stuck)
    start = time.perf_counter()
    code = cli.main(["verify", str(ROBUST), "--network", str(NET), "--timeout", "3", "--proof", str(tmp_path / "p.apf")])
    elapsed = time.perf_counter() - start
    assert code == 0 and capsys.readouterr().out.splitlines() == ["timed-out"]
    assert elapsed < 3.5, elapsed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["worker.pid"]  # no proof, no .part file
    worker = int(marker.read_text())
    assert worker != os.getpid()
    try:
        os.kill(worker, 0)
        alive = True
    except ProcessLookupError:
        alive = False
    assert not alive


def test_a_process_that_answers_in_time_is_not_disturbed(tmp_path, capsys):
    """With --timeout the answer and the proof come from the watchdog's child, as without it."""
    code = cli.main(["verify", str(ROBUST), "--network", str(NET), "--timeout", "120", "--proof", str(tmp_path / "p.apf")])
    out = capsys.readouterr().out.splitlines()
    assert code == 0 and out[0] in ("sat", "unsat"), out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.apf"]
