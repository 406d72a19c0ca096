"""Proof emission: every step is replayed by an in-process checker Session before it is written.

A step the Session rejects is never written. The proof goes to a temporary file next to the
target (prover/outfile.py) and is moved into place only when it ends with a verdict the Session
accepted.
"""
from __future__ import annotations

import shutil
import time
from fractions import Fraction

from apothem_check import steps as S
from apothem_check.kernel import CheckError, Session
from proof_format.writer import ProofWriter

from .engine.certificate import Hints
from .outfile import AtomicFile
from .semantics import semantics_of
from .tree import GiveUp


def dyadic(v: float) -> Fraction:
    return Fraction(float(v))


class ProofLog:
    def __init__(self, network, prop, path: str | None, verify: bool = True):
        self.network, self.prop, self.path = network, prop, path
        self.verify = verify
        self._session = None
        self.stream = None
        self.temp = None   # the temporary proof file (replay.py puts its step files beside it)
        if path is not None and verify:
            self.out = AtomicFile(path, "w", "proof file")
            self.temp, self.stream = self.out.temp, self.out.file
            self.writer = ProofWriter(self.stream, network.sha256, prop.sha256, semantics=semantics_of(network))
        self.next_id = 1  # the kernel requires ids > 0
        self.exact_seconds = 0.0
        self.steps = 0
        self.rejected = 0
        self.last_error: CheckError | None = None  # why the Session rejected the last step it rejected

    @property
    def session(self):
        """The exact replay Session, None without verification. Built on first use: a query
        decided by the first attack never needs one."""
        if self._session is None and self.verify:
            self._session = Session(self.network, self.prop)
        return self._session

    def flush(self) -> None:
        if self.stream is not None:
            self.stream.flush()

    def redirect(self, steps_path: str, first_id: int) -> None:
        """In a forked replay process (prover/replay.py): steps go, without a header, to
        `steps_path`, with ids from `first_id`. The parent's stream was flushed before the
        fork, so dropping this process's copy of it writes nothing."""
        self.next_id, self.steps, self.exact_seconds = first_id, 0, 0.0
        if self.stream is not None:
            self.stream = open(steps_path, "w")
            self.writer = ProofWriter(self.stream, self.network.sha256, self.prop.sha256,
                                      semantics=semantics_of(self.network))
            self.writer.started = True  # the header is the parent's

    def adopt(self, steps_path: str, closed: list[int], status: dict) -> None:
        """Take over a forked replay's steps, which its own Session copy accepted: append them,
        and merge its work into this Session."""
        if self.stream is not None:
            with open(steps_path) as f:
                shutil.copyfileobj(f, self.stream)
        self._merge(closed, status["last_id"])
        self.next_id = status["next_id"]
        self.steps += status["steps"]
        self.exact_seconds += status["exact_seconds"]

    def _merge(self, closed: list[int], last_id: int) -> None:
        """Adopt a forked copy's Session work: it closed everything below the open nodes `closed`,
        with ids up to `last_id`. The fork's own Session accepted each step; this only moves the
        bookkeeping across (the checker never sees a fork: proof files are checked step by step)."""
        session = self.session
        missing = [node_id for node_id in closed if node_id not in session.open]
        if missing or last_id < session.last_id:
            raise CheckError("MERGE", f"a forked replay closed nodes {missing} that are not open, or "
                                      f"ended at id {last_id} < {session.last_id}")
        for node_id in set(closed):
            del session.open[node_id]
        session.last_id = last_id

    def ids(self, n: int = 1) -> list[int]:
        out = list(range(self.next_id, self.next_id + n))
        self.next_id += n
        return out

    def apply(self, step) -> bool:
        """Replay `step` exactly; write it if accepted. Returns False if rejected."""
        t = time.perf_counter()  # before the first use builds the Session: its cost is exact work too
        if self.session is not None:
            try:
                self.session.apply(step)
            except CheckError as err:
                self.rejected += 1
                self.last_error = err
                return False
            finally:
                self.exact_seconds += time.perf_counter() - t
            if self.stream is not None:
                self.writer.write(step)
        self.steps += 1
        return True

    def must(self, step) -> None:
        if not self.apply(step):
            err = self.last_error
            raise RuntimeError(f"checker rejected a structural step {step}: {err.code}: {err.message}")

    # convenience constructors
    def root(self, disjuncts: list[int]) -> int:
        """GiveUp when the Session finds that float32 execution may overflow on the box (spec 4.11:
        no float32 proof exists there); any other rejection of a root is a bug."""
        (i,) = self.ids()
        step = S.Root(i, tuple(disjuncts))
        if not self.apply(step) and self.last_error.code == "FLOAT32_OVERFLOW":
            raise GiveUp(f"{self.last_error.code}: {self.last_error.message}")
        if self.last_error is not None and self.last_error.step is step:
            raise RuntimeError(f"checker rejected a structural step {step}: {self.last_error.code}: "
                               f"{self.last_error.message}")
        return i

    def split_input(self, node: int, index: int, threshold: float) -> tuple[int, int]:
        i, a, b = self.ids(3)
        self.must(S.SplitInput(i, node, index, dyadic(threshold), a, b))
        return a, b

    def split_relu(self, node: int, layer: int, neuron: int) -> tuple[int, int]:
        i, a, b = self.ids(3)
        self.must(S.SplitRelu(i, node, layer, neuron, a, b))
        return a, b

    def bounds(self, node: int, method: str) -> None:
        """The prover's `interval` bounds as `bounds N layer 1`, its `crown` bounds (default slopes) as `bounds N
        layer 1` .. `layer L`, one step per hidden layer: the same bounds (spec 4.4)."""
        for k in range(1, len(self.network.layers) if method == "crown" else 2):
            self.bounds_layer(node, k, ())

    def bounds_layer(self, node: int, layer: int, alphas, neurons=()) -> None:
        (i,) = self.ids()
        self.must(S.BoundsLayer(i, node, layer, tuple((k, j, dyadic(v)) for k, j, v in alphas), tuple(neurons)))

    def close_linear(self, node: int, disjunct: int | None, hints: Hints) -> bool:
        """Close `disjunct` on the node (None: the node's only open disjunct)."""
        (i,) = self.ids()
        step = S.CloseLinear(i, node, tuple(dyadic(v) for v in hints.lambdas),
                             tuple((k, j, dyadic(v)) for k, j, v in hints.alphas),
                             tuple((k, j, dyadic(v)) for k, j, v in hints.betas), disjunct)
        return self.apply(step)

    def finish_unsat(self) -> bool:
        (i,) = self.ids()
        ok = self.apply(S.Unsat(i))
        if ok and self.session is not None and self.session.verdict != "unsat":
            ok = False
        self._close(ok)
        return ok

    def abandon(self) -> None:
        self._close(False)

    def _close(self, keep: bool) -> None:
        if self.stream is not None:
            self.stream = None
            if keep:
                self.out.commit()
            else:
                self.out.discard()


def write_sat_proof(network, prop, path: str | None, disjunct: int, xs, verify: bool = True) -> bool:
    """A fresh proof `witness; sat`, replayed before it is moved into place."""
    log = ProofLog(network, prop, path, verify)
    w, s = log.ids(2)
    ok = log.apply(S.Witness(w, disjunct, tuple(xs))) and log.apply(S.Sat(s, w))
    ok = ok and (log.session is None or log.session.verdict == "sat")
    log._close(ok)
    return ok
