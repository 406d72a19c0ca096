"""The oracle: `flip(B)` / `reach(B)` answered with evidence (spec/certification.md section 2).

Every answer is recorded as a bundle call: `unsat` with the bytes of a proof of exactly the
canonical query (built by the checker's own `query`, so the hashes match), `sat` with
an exact point checked by exact evaluation, or `unknown`. A cheap falsifier runs first; any of
its points that passes the exact check is evidence by itself (no verifier call).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from apothem_check.certification import classified, query
from apothem_check.errors import InputError
from apothem_check.network import f32

from ..engine.model import FloatNet
from ..temporaries import remove, temp_dir
from ..semantics import binary32_in_box, semantics_of
from ..tree import Settings
from ..verify import verify
from . import attack as A


@dataclass
class Answer:
    verdict: str                 # sat | unsat | unknown
    index: int | None            # index of the recorded call (None: nothing recorded)
    point: list | None = None    # exact point (sat)
    via: str = ""                # attack | verifier | cache


@dataclass
class OracleStats:
    verifier_calls: int = 0
    verifier_seconds: float = 0.0
    verifier_verdicts: dict = field(default_factory=lambda: {"sat": 0, "unsat": 0, "unknown": 0, "timed-out": 0})
    attack_runs: int = 0
    attack_seconds: float = 0.0
    attack_hits: int = 0
    exact_checks: int = 0


def exact_point(lower, upper, xf: np.ndarray, snap=None, binary32: bool = False):
    """Exact candidate points for a float point, lazily (the first usually serves): under float32
    a binary32 point of the box near it (a float32 witness must be binary32), then the grid snap
    (if given), then the float's own value, each clipped exactly into [lower, upper]."""
    if binary32 and (p := binary32_in_box(lower, upper, xf)) is not None:
        yield p
    if snap is not None:
        yield snap(xf)
    yield [min(max(Fraction(float(v)), l), u) for v, l, u in zip(xf, lower, upper)]


class Oracle:
    def __init__(self, network, label: int, timeout: float = 30.0, seed: int = 0, restarts: int = 16,
                 steps: int = 40, settings=None, verifier: bool = True):
        self.network, self.label = network, int(label)
        self.net = FloatNet.of(network)
        self.float32 = semantics_of(network) == "float32"  # proofs, points and labels under float32
        self._classes: dict = {}  # float32: point -> classified c by the reference execution (seconds each)
        self._net32 = self.net.astype(np.float32) if self.float32 else None
        self.n_out = network.n_outputs
        self.timeout, self.restarts, self.steps = timeout, restarts, steps
        self.rng = np.random.default_rng(seed)
        self.use_verifier = verifier
        if settings is None:
            settings = Settings(attack_restarts=8, attack_steps=20)
        self.settings = settings
        self.calls: list[dict] = []
        self.stats = OracleStats()
        self._seen: dict = {}
        self._dir = temp_dir("apothem-certify-")  # removed on close, and by a signal handler

    def close(self):
        remove(self._dir)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # ------------------------------------------------------------------ evidence
    def shows(self, kind: str, lower, upper, point) -> bool:
        """Exactly: point in [lower, upper], not classified c (flip) / classified c (reach); under
        float32 a binary32 point, classified by the reference execution (the bundle checker's
        own test, spec/certification.md condition 15)."""
        self.stats.exact_checks += 1
        if len(point) != len(lower) or not all(l <= v <= u for v, l, u in zip(point, lower, upper)):
            return False
        if not self.float32:
            return classified(self.network, point, self.label) == (kind == "reach")
        if any(f32(v) != v for v in point):
            return False
        return self._reference_class(point) == (kind == "reach")

    def _reference_class(self, point) -> bool | None:
        """Under float32: classified c by the reference execution, cached per point. The reference
        is the checker's own, which re-reads the ONNX file and takes 4-15 s per point on 784 inputs
        (the apothem search tries several points), so a point that float32 and float64 execution
        both put clearly on one side (margin beyond 1e-3 of the outputs' scale, far above any
        rounding of these sums) is judged by them: a filter only, since every point a claim rests
        on is checked by the bundle checker's reference execution. None: it overflows."""
        key = tuple(point)
        if key not in self._classes:
            x = np.array([[float(v) for v in point]])
            ys = [self.net.forward(x)[0], self._net32.forward(x.astype(np.float32))[0].astype(float)]
            margins = [y[self.label] - np.max(np.delete(y, self.label)) for y in ys]
            clear = 1e-3 * (1 + np.max(np.abs(ys[0])))
            if min(margins) > clear or max(margins) < -clear:
                self._classes[key] = bool(margins[0] > 0)
            else:
                try:
                    self._classes[key] = classified(self.network, point, self.label, float32=True)
                except InputError:  # binary32 execution overflows at the point: it shows nothing
                    self._classes[key] = None
        return self._classes[key]

    def _record(self, kind, lower, upper, verdict, seconds, via, proof=None, point=None, extra=None) -> int:
        call = {"kind": kind, "lower": list(lower), "upper": list(upper), "verdict": verdict,
                "seconds": round(seconds, 4), "via": via}
        if proof is not None:
            call["proof"] = proof
        if point is not None:
            call["point"] = list(point)
        if extra:
            call.update(extra)
        self.calls.append(call)
        idx = len(self.calls) - 1
        if verdict != "unknown":
            self._seen[(kind, tuple(lower), tuple(upper))] = idx
        return idx

    def record_sat(self, kind, lower, upper, point, seconds=0.0, via="attack") -> int | None:
        """Record a sat call for a known point (checked exactly first); None if it does not show it."""
        key = (kind, tuple(lower), tuple(upper))
        if key in self._seen and self.calls[self._seen[key]]["verdict"] == "sat":
            return self._seen[key]
        if not self.shows(kind, lower, upper, point):
            return None
        return self._record(kind, lower, upper, "sat", seconds, via, point=point)

    def record_like(self, kind, like: int, move: list, lower, upper, point, seconds=0.0, via="attack") -> int | None:
        """Record a sat call whose box is call `like`'s box with faces moved (spec: `like`/`move`);
        lower/upper are that box, given explicitly to check the point exactly. None if it does
        not show `kind`."""
        if not self.shows(kind, lower, upper, point):
            return None
        call = {"kind": kind, "like": int(like), "move": [list(m) for m in move], "lower": list(lower),
                "upper": list(upper), "verdict": "sat", "seconds": round(seconds, 4), "via": via,
                "point": list(point)}
        self.calls.append(call)
        return len(self.calls) - 1

    # ------------------------------------------------------------------ falsifier
    def attack_batch(self, kind: str, lo_f: np.ndarray, hi_f: np.ndarray, restarts=None, steps=None, x0=None):
        """Float candidates (B, n) and objective values (<= 0 promising) for a batch of float boxes."""
        t = time.perf_counter()
        sense = 1 if kind == "flip" else -1
        xs, vals = A.pgd(self.net, lo_f, hi_f, self.label, sense, self.rng, restarts or self.restarts,
                         steps or self.steps, x0)
        self.stats.attack_runs += len(np.atleast_2d(lo_f))
        self.stats.attack_seconds += time.perf_counter() - t
        return xs, vals

    def falsify(self, kind: str, lower, upper, float_box=None, snap=None, restarts=None, steps=None, x0=None):
        """An exact point showing `kind` on [lower, upper] found by the attack, or None."""
        if float_box is None:
            float_box = (np.array([float(v) for v in lower]), np.array([float(v) for v in upper]))
        xs, vals = self.attack_batch(kind, float_box[0][None], float_box[1][None], restarts, steps,
                                     None if x0 is None else np.asarray(x0)[None])
        if vals[0] > 1e-7:
            return None
        for p in exact_point(lower, upper, xs[0], snap, self.float32):
            if self.shows(kind, lower, upper, p):
                self.stats.attack_hits += 1
                return p
        return None

    # ------------------------------------------------------------------ the oracle
    def ask(self, kind: str, lower, upper, float_box=None, snap=None, attack: bool = True,
            x0=None, timeout: float | None = None) -> Answer:
        key = (kind, tuple(lower), tuple(upper))
        if key in self._seen:
            i = self._seen[key]
            return Answer(self.calls[i]["verdict"], i, self.calls[i].get("point"), "cache")
        t0 = time.perf_counter()
        if attack:
            p = self.falsify(kind, lower, upper, float_box, snap, x0=x0)
            if p is not None:
                return Answer("sat", self._record(kind, lower, upper, "sat", time.perf_counter() - t0, "attack", point=p), p, "attack")
        if not self.use_verifier:
            return Answer("unknown", None, None, "none")
        return self.verify(kind, lower, upper, timeout, t0)

    def verify(self, kind, lower, upper, timeout=None, t0=None, proof: bool = True) -> Answer:
        """The verifier's answer, recorded as a call. With proof=False (a search's intermediate
        boxes, which no claim rests on) the float search alone decides: its `unsat` is only a
        hint to the caller and is not recorded; a `sat` point is still checked exactly."""
        t0 = time.perf_counter() if t0 is None else t0
        t1 = time.perf_counter()
        prop = query(kind, list(lower), list(upper), self.label, self.n_out)[1]
        path = os.path.join(self._dir, f"call{len(self.calls)}.apf") if proof else None
        try:
            out = verify(self.network, prop, path, timeout=timeout or self.timeout, proof=proof, settings=self.settings)
        except Exception as err:  # an engine failure is an `unknown`, never a crash of the certification
            self.stats.verifier_calls += 1
            self.stats.verifier_verdicts["unknown"] += 1
            i = self._record(kind, lower, upper, "unknown", time.perf_counter() - t0, "verifier",
                             extra={"reason": f"engine error: {type(err).__name__}: {err}"[:300]})
            return Answer("unknown", i, None, "verifier")
        self.stats.verifier_calls += 1
        self.stats.verifier_seconds += time.perf_counter() - t1
        self.stats.verifier_verdicts[out.verdict] = self.stats.verifier_verdicts.get(out.verdict, 0) + 1
        seconds = time.perf_counter() - t0
        if not proof and out.verdict != "sat":
            return Answer(out.verdict if out.verdict == "unsat" else "unknown", None, None, "verifier")
        if out.verdict == "unsat":
            with open(path, "rb") as f:
                text = f.read()
            os.unlink(path)
            return Answer("unsat", self._record(kind, lower, upper, "unsat", seconds, "verifier", proof=text), None, "verifier")
        if path is not None and os.path.exists(path):
            os.unlink(path)
        if out.verdict == "sat":
            p = [Fraction(v) for v in out.inputs]
            if self.shows(kind, lower, upper, p):
                return Answer("sat", self._record(kind, lower, upper, "sat", seconds, "verifier", point=p), p, "verifier")
            reason = "verifier point is a tie (weakly, not strictly, classified)"
        else:
            reason = out.verdict + (f": {out.reason}" if out.reason else "")
        i = self._record(kind, lower, upper, "unknown", seconds, "verifier", extra={"reason": reason[:300]})
        return Answer("unknown", i, None, "verifier")
