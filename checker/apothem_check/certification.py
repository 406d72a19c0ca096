"""Checking certification bundles (spec/certification.md): boxes, optimality and maximality.

Nothing in a bundle is believed before it is validated (spec section 4: `Bundle.read`, then every
call's box from the validated parameters). The checker builds every oracle query itself from (kind,
box, label), so a bundle cannot smuggle in a weaker property: an `unsat` call is checked as an
ordinary proof of it, a `sat` call by exact evaluation of its point. Each printed line names the
domain, grid and box it is about, so that a meaningless claim cannot hide behind a bare number.
"""
from __future__ import annotations

import hashlib
import re
from collections import namedtuple
from dataclasses import dataclass
from fractions import Fraction

import msgpack

from .check import check_proof
from .exact import describe
from .network import f32
from .reader import MAX_NUMBER_CHARS
from .vnnlib import Disjunct, OutputConstraint, Property

MAX_BUNDLE = 1 << 32
_NUMBER = re.compile(r"-?[0-9]+(/[0-9]+)?")
SIDES = ("lower", "upper")
CLAIMS = ("apothem", "maximal", "dual_box", "dual_ball")
# What a caller can demand with --expect (spec section 5), and what establishes it.
EXPECTABLE = ("apothem", "optimal", "box", "maximal", "dual-box", "dual-ball")


class BundleError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(f"{code}: {message}")
        self.code, self.message = code, message


def _fail(code: str, message: str):
    raise BundleError(code, message)


def require(condition: str, holds: bool, code: str, message: str) -> None:
    """One named condition of spec section 4 that a claim's meaning rests on (the tests switch each
    off in turn and show a forged bundle that only it rejects)."""
    if not holds:
        _fail(code, message)


def _text(q: Fraction) -> str:
    if q < 0:
        return f"(- {_text(-q)})"
    return str(q.numerator) if q.denominator == 1 else f"(/ {q.numerator} {q.denominator})"


def query_text(kind: str, lower, upper, label: int, n_out: int) -> str:
    """The canonical VNN-LIB text of an oracle query (spec/certification.md section 2)."""
    lines = [f"; apothem certification query: {kind}, class {label}"]
    lines += [f"(declare-const X_{i} Real)" for i in range(len(lower))]
    lines += [f"(declare-const Y_{j} Real)" for j in range(n_out)]
    lines += [f"(assert ({op} X_{i} {_text(v)}))" for i, ends in enumerate(zip(lower, upper))
              for op, v in zip((">=", "<="), ends)]
    others = [j for j in range(n_out) if j != label]
    if kind == "flip":
        lines.append("(assert (or " + " ".join(f"(and (>= Y_{j} Y_{label}))" for j in others) + "))")
    else:
        lines += [f"(assert (>= Y_{label} Y_{j}))" for j in others]
    return "\n".join(lines) + "\n"


def query_property(kind: str, lower, upper, label: int, n_out: int) -> Property:
    """The same query built directly (a test ties it to the reader's reading of query_text)."""
    def unit(pos: int, neg: int) -> OutputConstraint:
        coeffs = [Fraction(0)] * n_out
        coeffs[pos], coeffs[neg] = Fraction(1), Fraction(-1)
        return OutputConstraint(tuple(coeffs), Fraction(0), False)

    others = [j for j in range(n_out) if j != label]
    box = (tuple(lower), tuple(upper), (False,) * len(lower), (False,) * len(lower))
    if kind == "flip":
        disjuncts = tuple(Disjunct(*box, (unit(label, j),)) for j in others)
    else:
        disjuncts = (Disjunct(*box, tuple(unit(j, label) for j in others)),)
    digest = hashlib.sha256(query_text(kind, lower, upper, label, n_out).encode()).hexdigest()
    return Property(len(lower), n_out, disjuncts, digest, "1")


def classified(network, x, label: int, weakly: bool = False, float32: bool = False) -> bool:
    """Exactly, of the real network; under float32 of the reference execution (spec/proof-format.md
    4.11) at x rounded to binary32 (a point of the bundle is binary32 already: condition 15)."""
    try:
        y = network.reference([f32(v) for v in x]) if float32 else network.evaluate(list(x))
    except OverflowError as err:
        _fail("FLOAT32_OVERFLOW", f"binary32 execution of the network overflows: {err}")
    return all(y[label] > v or (weakly and y[label] == v) for j, v in enumerate(y) if j != label)


# -- validated reading: every value's type and range before it is used ----------------------------
def _int(v, what: str, low: int | None = 0, high: int | None = None) -> int:
    """An integer in [low, high] (msgpack int; a bool or a text is not one)."""
    if type(v) is not int or (low is not None and v < low) or (high is not None and v > high):
        _fail("FORMAT", f"{what} must be an integer in [{low}, {'inf' if high is None else high}], not {v!r:.40}")
    return v


def _num(v, what: str) -> Fraction:
    """An exact number written as text `p` or `p/q` (bounded length: bounded parsing cost)."""
    if isinstance(v, str) and len(v) > MAX_NUMBER_CHARS:
        _fail("LIMIT", f"{what}: a number of {len(v)} characters (limit {MAX_NUMBER_CHARS})")
    if isinstance(v, str) and _NUMBER.fullmatch(v):
        p, _, q = v.partition("/")
        if int(q or 1):
            return Fraction(int(p), int(q or 1))
    _fail("NUMBER", f"{what} must be an exact number as text, p or p/q with q > 0, not {v!r:.40}")


def _vector(v, n: int, what: str) -> list[Fraction]:
    if not isinstance(v, list) or len(v) != n:
        _fail("FORMAT", f"{what} must be a list of {n} numbers (one per network input)")
    return [_num(e, f"{what}[{i}]") for i, e in enumerate(v)]


def _map(v, what: str, *required: str) -> dict:
    if not isinstance(v, dict) or not all(k in v for k in required):
        _fail("FORMAT", f"{what} must be a map with the keys {', '.join(required)}")
    return v


def _choice(v, options: tuple, what: str) -> str:
    if v not in options:
        _fail("FORMAT", f"{what} must be one of {', '.join(options)}, not {v!r:.40}")
    return v


# evidence: the proof bytes (unsat), the point (sat), None (unknown)
Call = namedtuple("Call", "kind verdict lower upper evidence")


@dataclass(frozen=True)
class Bundle:
    """A bundle's parameters, each validated (spec section 4, conditions 1-6)."""
    x: tuple
    lo: Fraction
    hi: Fraction
    grid: int
    label: int
    calls: tuple
    claims: dict
    semantics: str = "real"

    @property
    def delta(self) -> Fraction:
        return (self.hi - self.lo) / self.grid

    @classmethod
    def read(cls, raw, network) -> "Bundle":
        b = _map(raw, "the bundle", "format", "version", "model_sha256", "input", "domain", "grid", "label",
                 "calls", "claims")
        if b["format"] != "apothem-certification" or b["version"] != 1:
            _fail("FORMAT", f"not an apothem-certification bundle of version 1 ({b['format']!r:.40}, {b['version']!r:.10})")
        if b["model_sha256"] != network.sha256:
            _fail("MODEL_HASH", f"the bundle is for model {b['model_sha256']!r:.80}, not {network.sha256}")
        grid = _int(b["grid"], "the grid", low=None)
        require("grid > 0", grid > 0, "GRID", f"the grid must be a positive number of steps, not {grid}")
        if not isinstance(b["domain"], list) or len(b["domain"]) != 2:
            _fail("FORMAT", "the domain must be a list [lo, hi]")
        lo, hi = (_num(v, "the domain") for v in b["domain"])
        require("lo < hi", lo < hi, "DOMAIN", f"the domain [{lo}, {hi}] is empty or a point: lo < hi is required")
        n, m = network.n_inputs, network.n_outputs
        x = _vector(b["input"], n, "the input")
        i = next((i for i, v in enumerate(x) if not lo <= v <= hi), None)
        require("input in domain", i is None, "INPUT", i is not None and f"the input's X_{i} = {x[i]} lies outside "
                f"the domain [{lo}, {hi}]")
        require("two outputs", m >= 2, "LABEL", f"the network has {m} output: a classifier needs at least two")
        label = _int(b["label"], "the label", 0, m - 1)
        semantics = _choice(b.get("semantics", "real"), ("real", "float32"), "the semantics")
        require("input classified", classified(network, x, label, float32=semantics == "float32"), "LABEL",
                f"the network does not classify the input as {label} (exactly, no tie; semantics {semantics})")
        if not isinstance(b["claims"], dict) or not b["claims"]:
            _fail("NO_CLAIM", "the bundle makes no claim")
        other = next((k for k in b["claims"] if k not in CLAIMS), None)
        require("known claims", other is None, "CLAIM", f"unknown claim {other!r:.40}: every claim present must be "
                f"checkable ({', '.join(CLAIMS)})")
        return cls(tuple(x), lo, hi, grid, label, _calls(b["calls"], n, lo, hi, (hi - lo) / grid),
                   {k: v for k, v in b["claims"].items() if k in CLAIMS}, semantics)


def _moved(lower, upper, i: int, side: str, step: Fraction, lo: Fraction, hi: Fraction) -> tuple[list, list]:
    """The box with face (i, side) moved `step` outward, clipped to the domain [lo, hi]."""
    lower, upper = list(lower), list(upper)
    if side == "lower":
        lower[i] = max(lo, lower[i] - step)
    else:
        upper[i] = min(hi, upper[i] + step)
    return lower, upper


def _calls(raw, n: int, lo: Fraction, hi: Fraction, delta: Fraction) -> tuple:
    """Every call's kind, verdict, evidence and box; `like` boxes are built in order (no recursion)."""
    if not isinstance(raw, list):
        _fail("FORMAT", "calls must be a list")
    calls = []
    for i, c in enumerate(raw):
        where = f"call {i}"
        c = _map(c, where, "kind", "verdict")
        kind = _choice(c["kind"], ("flip", "reach"), f"{where}: kind")
        verdict = _choice(c["verdict"], ("unsat", "sat", "unknown"), f"{where}: verdict")
        if "like" in c:
            earlier = calls[_int(c["like"], f"{where}: like (an earlier call)", 0, i - 1)]
            lower, upper = earlier.lower, earlier.upper
            if not isinstance(c.get("move"), list):
                _fail("FORMAT", f"{where}: move must be a list of [coord, side, steps]")
            for move in c["move"]:
                if not isinstance(move, list) or len(move) != 3:
                    _fail("FORMAT", f"{where}: a move must be [coord, side, steps]")
                coord, side = _int(move[0], f"{where}: coord", 0, n - 1), _choice(move[1], SIDES, f"{where}: side")
                lower, upper = _moved(lower, upper, coord, side, _int(move[2], f"{where}: steps") * delta, lo, hi)
        else:
            lower, upper = _vector(c.get("lower"), n, f"{where}: lower"), _vector(c.get("upper"), n, f"{where}: upper")
        evidence = None
        if verdict == "unsat" and not isinstance(evidence := c.get("proof"), bytes):
            _fail("FORMAT", f"{where}: an unsat call needs its proof (bytes)")
        if verdict == "sat":
            evidence = tuple(_vector(c.get("point"), n, f"{where}: point"))
        calls.append(Call(kind, verdict, tuple(lower), tuple(upper), evidence))
    return tuple(calls)


class BundleChecker:
    """Checks a validated bundle's claims, replaying each call it relies on (at most once)."""

    def __init__(self, bundle: Bundle, network):
        self.b, self.net = bundle, network
        self.holey = False
        self.shown: set[str] = set()
        self._done: set[int] = set()
        n, d = len(bundle.x), bundle.delta
        self.where = (f"inside [{bundle.lo}, {bundle.hi}]^{n}, grid {d} ({bundle.grid} steps across), "
                      f"class {bundle.label}")

    def steps(self, k) -> str:
        return f"{k} × {self.b.delta} (≈ {describe(k * self.b.delta)})"

    def call(self, i, kind: str, verdict: str, lower, upper, what: str) -> None:
        """Call i must be a checked `verdict` answer to query `kind` on exactly [lower, upper]."""
        c = self.b.calls[_int(i, f"{what}: call index", 0, len(self.b.calls) - 1)]
        if (c.kind, c.verdict, c.lower, c.upper) != (kind, verdict, tuple(lower), tuple(upper)):
            _fail("MISMATCH", f"{what}: call {i} is not the {kind} query on the claimed box answered {verdict}")
        if i in self._done:
            return
        if verdict == "unsat":
            result = check_proof(c.evidence, self.net, query_property(kind, lower, upper, self.b.label,
                                                                      self.net.n_outputs), semantics=(self.b.semantics,))
            require("proof checks", result.verdict != "invalid" and result.conclusion == "unsat", "PROOF",
                    f"{what}: call {i}: proof rejected: {result.error or 'it does not conclude unsat'}")
            self.holey |= result.verdict == "holey"
        else:
            require("point in box", all(l <= v <= u for v, l, u in zip(c.evidence, lower, upper)), "POINT",
                    f"{what}: call {i}: the point lies outside the call's box")
            float32 = self.b.semantics == "float32"
            require("binary32 point", not float32 or all(f32(v) == v for v in c.evidence), "POINT",
                    f"{what}: call {i}: under semantics float32 the point must be binary32")
            shows = classified(self.net, c.evidence, self.b.label, float32=float32) == (kind == "reach")
            require("point shows", shows, "POINT",
                    f"{what}: call {i}: the point does not show {kind} (it is "
                    f"{'' if kind == 'flip' else 'not '}classified {self.b.label})")
        self._done.add(i)

    def ball(self, k: int):
        lo, hi, d = self.b.lo, self.b.hi, self.b.delta
        return [max(lo, v - k * d) for v in self.b.x], [min(hi, v + k * d) for v in self.b.x]

    def moved(self, lower, upper, i: int, side: str):
        return _moved(lower, upper, i, side, self.b.delta, self.b.lo, self.b.hi)  # one grid step outward

    def box(self, claim: dict, what: str):
        """A claim's box: inside the domain, around the input (hence not empty)."""
        n = len(self.b.x)
        lower, upper = _vector(claim["lower"], n, f"{what}: lower"), _vector(claim["upper"], n, f"{what}: upper")
        i = next((i for i, v in enumerate(self.b.x) if not self.b.lo <= lower[i] <= v <= upper[i] <= self.b.hi), None)
        require("box around input", i is None, "BOX", i is not None and f"{what}: the box is not around the input "
                f"inside the domain at X_{i}: [{lower[i]}, {upper[i]}] against x = {self.b.x[i]}")
        return lower, upper

    def describe_box(self, lower, upper) -> str:
        """Apothem (smallest slack to a face off the domain boundary), widths, and the box's hash."""
        d, lo, hi = self.b.delta, self.b.lo, self.b.hi
        slack = [v - l for v, l in zip(self.b.x, lower) if l != lo] + [u - v for v, u in zip(self.b.x, upper) if u != hi]
        widths = [(u - l) / d for l, u in zip(lower, upper)]
        boundary = sum(l == lo for l in lower) + sum(u == hi for u in upper)
        digest = hashlib.sha256(query_text("flip", lower, upper, self.b.label, self.net.n_outputs).encode()).hexdigest()
        apothem = f"apothem {self.steps(min(slack) / d)}" if slack else "every face on the domain boundary"
        return (f"{apothem}; widths {describe(min(widths))} to {describe(max(widths))} steps; "
                f"{boundary} of {2 * len(lower)} faces on the domain boundary; flip query sha256 {digest}")

    def faces(self, lower, upper, entries, width: int, what: str) -> dict:
        """Exactly one entry per face off the domain boundary: {(coord, side): rest of the entry}."""
        wanted = {(i, s) for i in range(len(self.b.x)) for s, v, end in (("lower", lower[i], self.b.lo),
                                                                        ("upper", upper[i], self.b.hi)) if v != end}
        if not isinstance(entries, list):
            _fail("FORMAT", f"{what}: faces must be a list")
        listed = {}
        for e in entries:
            if not isinstance(e, list) or len(e) != width:
                _fail("FORMAT", f"{what}: a face entry must be a list of {width} items")
            key = (_int(e[0], f"{what}: face coord", 0, len(self.b.x) - 1), _choice(e[1], SIDES, f"{what}: face side"))
            if key not in wanted or key in listed:
                _fail("FACES", f"{what}: face {key[1]} of X_{key[0]} is on the domain boundary or listed twice")
            listed[key] = e[2:]
        missing = min(wanted - set(listed), default=None)
        require("every face listed", missing is None, "FACES", missing is not None and f"{what}: face {missing[1]} "
                f"of X_{missing[0]} has no entry")
        return listed

    # -- the claims (spec section 3) --------------------------------------------------------------
    def apothem(self, claim) -> str:
        """flip(ball(k)) unsat; a flip(ball(top)) sat call, if any, bounds it: optimal when top = k + 1."""
        c, what = _map(claim, "claim apothem", "k", "proof", "bracket"), "claim apothem"
        k = _int(c["k"], f"{what}: k", low=None)
        require("k >= 0", k >= 0, "CLAIM", f"{what}: k = {k} is negative (ball(k) would be empty)")
        refuted_by, bracket = c.get("refuted_by"), c["bracket"]
        if not isinstance(bracket, list) or len(bracket) != 2 or _int(bracket[0], f"{what}: bracket start", low=None) != k:
            _fail("FORMAT", f"{what}: the bracket must be [k, k'] with k = {k}")
        top = None if bracket[1] is None else _int(bracket[1], f"{what}: bracket end")
        require("bracket with refuted_by", (top is None) == (refuted_by is None), "CLAIM",
                f"{what}: the bracket's upper end and refuted_by must be given together")
        self.call(c["proof"], "flip", "unsat", *self.ball(k), what)
        self.shown.add("apothem")
        about = f"apothem {self.steps(k)} around the input ({self.where})"
        if top is not None and refuted_by is not None:
            self.call(refuted_by, "flip", "sat", *self.ball(top), what)
        if top == k + 1 or self.ball(k) == ([self.b.lo] * len(self.b.x), [self.b.hi] * len(self.b.x)):
            self.shown.add("optimal")
            return f"{about}: optimal (" + (f"a flip within {k + 1} steps)" if top is not None
                                            else "the ball is the whole domain, which is robust)")
        return f"{about}: NOT shown optimal (a flip is shown only within {'?' if top is None else top} steps)"

    def maximal(self, claim) -> str:
        what = "claim maximal"
        c = _map(claim, what, "lower", "upper", "proof", "faces", "maximal_shown")
        lower, upper = self.box(c, what)
        off = next((i for i, v in enumerate(self.b.x) for end in (lower[i], upper[i])
                    if end not in (self.b.lo, self.b.hi) and ((end - v) / self.b.delta).denominator != 1), None)
        require("box on grid", off is None, "BOX", f"{what}: a bound of X_{off} is neither on the grid around the "
                "input nor on the domain boundary")
        self.call(c["proof"], "flip", "unsat", lower, upper, what)
        self.shown.add("box")
        unknown = 0
        for (i, side), (j,) in self.faces(lower, upper, c["faces"], 3, what).items():
            if j is None:
                unknown += 1
            else:
                self.call(j, "flip", "sat", *self.moved(lower, upper, i, side), f"{what}: face {side} of X_{i}")
        require("maximal_shown iff", c["maximal_shown"] is (unknown == 0), "CLAIM",
                f"{what}: maximal_shown is {c['maximal_shown']!r:.10}, but {unknown} faces are not shown")
        about = f"robust box around the input ({self.where}): {self.describe_box(lower, upper)}"
        if unknown:
            return f"{about}: NOT shown maximal ({unknown} faces not shown at their limit)"
        self.shown.add("maximal")
        return f"{about}: maximal (each face moved one step outward admits a flip)"

    def dual(self, lower, upper, entries, what: str) -> str:
        """Every point of the domain weakly classified c lies in [lower, upper]: a reach proof per face."""
        self.shown.add(what.replace("claim ", "").replace("_", "-"))
        loose = 0
        for (i, side), (proof, witness) in self.faces(lower, upper, entries, 4, what).items():
            slab = [self.b.lo] * len(self.b.x), [self.b.hi] * len(self.b.x)
            (slab[0] if side == "upper" else slab[1])[i] = (upper if side == "upper" else lower)[i]
            self.call(proof, "reach", "unsat", *slab, f"{what}: face {side} of X_{i}")
            if witness is None:
                loose += 1
            else:
                inner = self.moved(*slab, i, "lower" if side == "upper" else "upper")
                self.call(witness, "reach", "sat", *inner, f"{what}: face {side} of X_{i}")
        return (f"every point of [{self.b.lo}, {self.b.hi}]^{len(self.b.x)} weakly classified {self.b.label} lies "
                f"in the box: {self.describe_box(lower, upper)} ({loose} faces not shown tight)")

    def dual_box(self, claim) -> str:
        c = _map(claim, "claim dual_box", "lower", "upper", "faces")
        return "dual box: " + self.dual(*self.box(c, "claim dual_box"), c["faces"], "claim dual_box")

    def dual_ball(self, claim) -> str:
        c = _map(claim, "claim dual_ball", "r_steps", "faces")
        r = _int(c["r_steps"], "claim dual_ball: r_steps")
        return f"dual ball of {self.steps(r)}: " + self.dual(*self.ball(r), c["faces"], "claim dual_ball")


def read_bundle(data: bytes):
    """The msgpack map of a bundle (FORMAT on anything else; LIMIT beyond MAX_BUNDLE bytes)."""
    if len(data) > MAX_BUNDLE:
        _fail("LIMIT", f"a bundle of more than {MAX_BUNDLE} bytes")
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    except (ValueError, TypeError, msgpack.exceptions.ExtraData, msgpack.exceptions.FormatError,
            msgpack.exceptions.StackError) as err:
        _fail("FORMAT", f"not a msgpack bundle: {type(err).__name__}: {err}")


def check_certification(bundle, network, expect=()) -> tuple[str, list[str]]:
    """(valid | invalid | holey, lines for stderr) for a bundle file (path) or its bytes.

    `expect`: claims the caller relies on (EXPECTABLE); any not established makes it invalid."""
    try:
        if not isinstance(bundle, bytes):
            with open(bundle, "rb") as f:
                bundle = f.read(MAX_BUNDLE + 1)
        b = Bundle.read(read_bundle(bundle), network)
        chk = BundleChecker(b, network)
        lines = [getattr(chk, name)(b.claims[name]) for name in CLAIMS if name in b.claims]
        missing = [e for e in expect if e not in chk.shown]
        if missing:
            _fail("EXPECT", f"the caller expects {missing[0]!r}, which the bundle does not establish "
                            f"(it establishes: {', '.join(sorted(chk.shown)) or 'nothing'})")
    except BundleError as err:
        return "invalid", [f"certification: {err}"]
    return ("holey" if chk.holey else "valid"), lines
