"""Checking certification bundles (spec/certification.md): boxes, optimality and maximality.

Nothing in a bundle is believed before it is validated (spec section 4: `BundleChecker` reads every
parameter, then every call's box from them, before any claim is checked). The checker builds every
oracle query itself from (kind, box, label), so a bundle cannot smuggle in a weaker property: an
`unsat` call is checked as an ordinary proof of it, a `sat` call by exact evaluation of its point.
Each printed line names the domain, grid and box it is about, so that a meaningless claim cannot
hide behind a bare number.
"""
from __future__ import annotations

import hashlib
import re
from collections import namedtuple
from fractions import Fraction

import msgpack

from .check import check_proof
from .errors import InputError
from .exact import describe
from .network import f32
from .reader import MAX_NUMBER_CHARS
from .vnnlib import ONE, ZERO, Disjunct, OutputConstraint, Property, smt_number
from .witness import binary32, enclose

MAX_BUNDLE = 1 << 32
_NUMBER = re.compile(r"-?[0-9]+(/0*[1-9][0-9]*)?")  # p or p/q, q > 0, ASCII digits only
SIDES = ("lower", "upper")
CLAIMS = {"apothem": ("k", "proof", "bracket"), "maximal": ("lower", "upper", "proof", "faces", "maximal_shown"),
          "dual_box": ("lower", "upper", "faces"), "dual_ball": ("r_steps", "faces")}  # each claim's keys
# What a caller can demand with --expect (spec section 5), and what establishes it.
# evidence: the proof bytes (unsat), the point (sat); never read for an unknown call
Call = namedtuple("Call", "kind verdict box evidence")


def require(condition: str, holds: bool, code: str, message: str) -> None:
    """One named condition of spec section 4 that a claim's meaning rests on (the tests switch each
    off in turn and show a forged bundle that only it rejects)."""
    if not holds:
        raise InputError(code, message)


def query(kind: str, lower, upper, label: int, n_out: int) -> tuple[str, Property]:
    """An oracle query (spec/certification.md section 2): its canonical VNN-LIB text, and the property
    it states, built directly beside it (a test ties the two through the checker's VNN-LIB reader)."""
    def unit(pos: int, neg: int) -> OutputConstraint:  # Y_neg - Y_pos <= 0
        coeffs = (ONE if j == pos else -ONE if j == neg else ZERO for j in range(n_out))
        return OutputConstraint(tuple(coeffs), ZERO, False)

    others = [j for j in range(n_out) if j != label]
    lines = [f"; apothem certification query: {kind}, class {label}"]
    lines += [f"(declare-const {v}_{i} Real)" for v, n in zip("XY", (len(lower), n_out)) for i in range(n)]
    lines += [f"(assert ({op} X_{i} {smt_number(v)}))" for i, ends in enumerate(zip(lower, upper))
              for op, v in zip((">=", "<="), ends)]
    box = (tuple(lower), tuple(upper), (False,) * len(lower), (False,) * len(lower))
    if kind == "flip":
        lines.append("(assert (or " + " ".join(f"(and (>= Y_{j} Y_{label}))" for j in others) + "))")
        disjuncts = tuple(Disjunct(*box, (unit(label, j),)) for j in others)
    else:
        lines += [f"(assert (>= Y_{label} Y_{j}))" for j in others]
        disjuncts = (Disjunct(*box, tuple(unit(j, label) for j in others)),)
    text = "\n".join(lines) + "\n"
    return text, Property(len(lower), n_out, disjuncts, hashlib.sha256(text.encode()).hexdigest(), "1")


def classified(network, x, label: int, float32: bool = False) -> bool | None:
    """True when every output the point may have puts `label` strictly first, False when at every one some other
    class is at least as high, None when neither is shown: of the real network, by its grid enclosure (witness.
    enclose, spec/proof-format.md 4.8); under float32 of the reference execution (4.11) at x rounded to binary32
    (a point of the bundle is binary32 already: condition 15)."""
    try:  # the reference execution reports its own overflow as an InputError, FLOAT32_OVERFLOW
        lo, hi = enclose(network, [f32(v) for v in x] if float32 else x, float32)
    except OverflowError as err:
        raise InputError("FLOAT32_OVERFLOW", f"binary32 execution of the network overflows: {err}")
    others = [j for j in range(len(lo)) if j != label]
    if all(lo[label] > hi[j] for j in others):
        return True
    return False if any(lo[j] >= hi[label] for j in others) else None


# -- validated reading: every value's type and range before it is used ----------------------------
def _int(v, what: str, low: int | None = 0, high: int | None = None) -> int:
    """An integer in [low, high] (msgpack int; a bool or a text is not one)."""
    if type(v) is not int or (low is not None and v < low) or (high is not None and v > high):
        raise InputError("FORMAT", f"{what} must be an integer in [{low}, {'inf' if high is None else high}], "
                                   f"not {v!r:.40}")
    return v


def _num(v, what: str) -> Fraction:
    """An exact number written as text `p` or `p/q` (bounded length: bounded parsing cost)."""
    if isinstance(v, str) and len(v) > MAX_NUMBER_CHARS:
        raise InputError("LIMIT", f"{what}: a number of {len(v)} characters (limit {MAX_NUMBER_CHARS})")
    if not isinstance(v, str) or not _NUMBER.fullmatch(v):
        raise InputError("NUMBER", f"{what} must be an exact number as text, p or p/q with q > 0, not {v!r:.40}")
    return Fraction(*map(int, v.split("/")))  # faster than Fraction(v), which parses the text again


def _list(v, what: str, length: int | None = None) -> list:
    """A msgpack array, of exactly `length` items when given."""
    if not isinstance(v, list) or (length is not None and len(v) != length):
        raise InputError("FORMAT", f"{what} must be a list" + ("" if length is None else f" of {length} items"))
    return v


def _vector(v, n: int, what: str) -> tuple:
    return tuple(_num(e, f"{what}[{i}]") for i, e in enumerate(_list(v, f"{what} (one number per input)", n)))


def _map(v, what: str, *required: str) -> dict:
    if not isinstance(v, dict) or not all(k in v for k in required):
        raise InputError("FORMAT", f"{what} must be a map with the keys {', '.join(required)}")
    return v


def _choice(v, options: tuple, what: str) -> str:
    if v not in options:
        raise InputError("FORMAT", f"{what} must be one of {', '.join(options)}, not {v!r:.40}")
    return v


class BundleChecker:
    """A bundle: its parameters read, each validated (spec section 4, conditions 1-8), when it is
    made; then its claims checked, replaying each call they rely on (at most once). A face (i, s) of
    a box (lower, upper) is its bound box[s][i]: s = 0 the lower, s = 1 the upper one (SIDES[s])."""

    def __init__(self, data: bytes, network):
        """One msgpack map (FORMAT on anything else; LIMIT beyond MAX_BUNDLE bytes), then its fields."""
        if len(data) > MAX_BUNDLE:
            raise InputError("LIMIT", f"a bundle of more than {MAX_BUNDLE} bytes")
        try:
            raw = msgpack.unpackb(data, raw=False, strict_map_key=False)
        except (ValueError, TypeError) as err:  # msgpack's ExtraData, FormatError, StackError are ValueErrors
            raise InputError("FORMAT", f"not a msgpack bundle: {type(err).__name__}: {err}")
        b = _map(raw, "the bundle", "format", "version", "model_sha256", "input", "domain", "grid", "label",
                 "calls", "claims")
        _choice(b["format"], ("apothem-certification",), "the format")
        _int(b["version"], "the version", 1, 1)
        if b["model_sha256"] != network.sha256:
            raise InputError("MODEL_HASH", f"the bundle is for model {b['model_sha256']!r:.80}, not {network.sha256}")
        self.grid = _int(b["grid"], "the grid", low=None)
        require("grid > 0", self.grid > 0, "GRID", f"the grid must be a positive number of steps, not {self.grid}")
        lo, hi = self.lo, self.hi = tuple(_num(v, "the domain") for v in _list(b["domain"], "the domain [lo, hi]", 2))
        require("lo < hi", lo < hi, "DOMAIN", f"the domain [{lo}, {hi}] is empty or a point: lo < hi is required")
        self.delta = (hi - lo) / self.grid
        n, m = network.n_inputs, network.n_outputs
        self.domain = (lo,) * n, (hi,) * n
        x = self.x = _vector(b["input"], n, "the input")
        i = next((i for i, v in enumerate(x) if not lo <= v <= hi), None)
        require("input in domain", i is None, "INPUT", i is not None and f"the input's X_{i} = {x[i]} lies outside "
                f"the domain [{lo}, {hi}]")
        require("two outputs", m >= 2, "LABEL", f"the network has {m} output: a classifier needs at least two")
        label = self.label = _int(b["label"], "the label", 0, m - 1)
        self.semantics = _choice(b.get("semantics", "real"), ("real", "float32"), "the semantics")
        self.float32 = self.semantics == "float32"
        require("input classified", classified(network, x, label, float32=self.float32), "LABEL",
                f"the network is not shown to classify the input as {label} (semantics {self.semantics})")
        if not isinstance(b["claims"], dict) or not b["claims"]:
            raise InputError("NO_CLAIM", "the bundle makes no claim")
        other = next((k for k in b["claims"] if k not in CLAIMS), None)
        require("known claims", other is None, "CLAIM", f"unknown claim {other!r:.40}: every claim present must be "
                f"checkable ({', '.join(CLAIMS)})")
        self.claims, self.net = b["claims"], network
        self.calls = self.read_calls(b["calls"])
        self.shown: set[str] = set()
        self._done: set[int] = set()
        self.where = f"inside [{lo}, {hi}]^{n}, grid {self.delta} ({self.grid} steps across), class {label}"

    def read_calls(self, raw) -> tuple:
        """Every call's kind, verdict, box and evidence; `like` boxes are built in order (no recursion)."""
        calls, n = [], len(self.x)
        for i, c in enumerate(_list(raw, "calls")):
            where = f"call {i}"
            c = _map(c, where, "kind", "verdict")
            kind = _choice(c["kind"], ("flip", "reach"), f"{where}: kind")
            verdict = _choice(c["verdict"], ("unsat", "sat", "unknown"), f"{where}: verdict")
            if "like" in c:
                box = calls[_int(c["like"], f"{where}: like (an earlier call)", 0, i - 1)].box
                for move in _list(c.get("move"), f"{where}: move ([[coord, side, steps] ...])"):
                    coord, side, steps = _list(move, f"{where}: a move [coord, side, steps]", 3)
                    s = SIDES.index(_choice(side, SIDES, f"{where}: side"))
                    box = self.moved(box, _int(coord, f"{where}: coord", 0, n - 1), s, _int(steps, f"{where}: steps"))
            else:
                box = tuple(_vector(c.get(end), n, f"{where}: {end}") for end in SIDES)
            evidence = _vector(c.get("point"), n, f"{where}: point") if verdict == "sat" else c.get("proof")
            if verdict == "unsat" and not isinstance(evidence, bytes):
                raise InputError("FORMAT", f"{where}: an unsat call needs its proof (bytes)")
            calls.append(Call(kind, verdict, box, evidence))
        return tuple(calls)

    def steps(self, k) -> str:
        return f"{k} × {self.delta} (≈ {describe(k * self.delta)})"

    def call(self, i, kind: str, verdict: str, box, what: str) -> None:
        """Call i must be a checked `verdict` answer to query `kind` on exactly the box."""
        c = self.calls[_int(i, f"{what}: call index", 0, len(self.calls) - 1)]
        if (c.kind, c.verdict, c.box) != (kind, verdict, box):
            raise InputError("MISMATCH", f"{what}: call {i} is not the {kind} query on the claimed box answered "
                                         f"{verdict}")
        if i in self._done:
            return
        if verdict == "unsat":
            result = check_proof(c.evidence, self.net, query(kind, *box, self.label, self.net.n_outputs)[1],
                                 semantics=(self.semantics,))
            require("proof checks", result.verdict == "valid" and result.conclusion == "unsat", "PROOF",
                    f"{what}: call {i}: proof rejected: {result.error or 'it does not conclude unsat'}")
        else:
            require("point in box", all(l <= v <= u for v, l, u in zip(c.evidence, *box)), "POINT",
                    f"{what}: call {i}: the point lies outside the call's box")
            require("binary32 point", not self.float32 or all(map(binary32, c.evidence)), "POINT",
                    f"{what}: call {i}: under semantics float32 the point must be binary32")
            require("point shows", classified(self.net, c.evidence, self.label, self.float32) == (kind == "reach"),
                    "POINT", f"{what}: call {i}: the point does not show {kind} (it is "
                    f"{'' if kind == 'flip' else 'not '}classified {self.label})")
        self._done.add(i)

    def ball(self, k: int) -> tuple:
        return (tuple(max(self.lo, v - k * self.delta) for v in self.x),
                tuple(min(self.hi, v + k * self.delta) for v in self.x))

    def moved(self, box, i: int, s: int, steps=1) -> tuple:
        """The box with face (i, s) moved `steps` grid steps outward, clipped to the domain."""
        ends = list(box[0]), list(box[1])
        step = steps * self.delta
        ends[s][i] = min(self.hi, ends[s][i] + step) if s else max(self.lo, ends[s][i] - step)
        return tuple(ends[0]), tuple(ends[1])

    def slab(self, box, i: int, s: int, inward=0) -> tuple:
        """The part of the domain beyond face (i, s) of the box, its face on the box's side moved `inward` steps."""
        ends = list(self.domain[0]), list(self.domain[1])
        ends[1 - s][i] = box[s][i]
        return self.moved(ends, i, 1 - s, inward)

    def box(self, claim: dict, what: str) -> tuple:
        """A claim's box: inside the domain, around the input (hence not empty)."""
        lower, upper = box = tuple(_vector(claim[end], len(self.x), f"{what}: {end}") for end in SIDES)
        i = next((i for i, v in enumerate(self.x) if not self.lo <= lower[i] <= v <= upper[i] <= self.hi), None)
        require("box around input", i is None, "BOX", i is not None and f"{what}: the box is not around the input "
                f"inside the domain at X_{i}: [{lower[i]}, {upper[i]}] against x = {self.x[i]}")
        return box

    def describe_box(self, lower, upper) -> str:
        """Apothem (smallest slack to a face off the domain boundary), widths, and the box's hash."""
        d, lo, hi, n = self.delta, self.lo, self.hi, len(lower)
        slack = [v - l for v, l in zip(self.x, lower) if l != lo] + [u - v for v, u in zip(self.x, upper) if u != hi]
        widths = [(u - l) / d for l, u in zip(lower, upper)]
        digest = query("flip", lower, upper, self.label, self.net.n_outputs)[1].sha256
        apothem = f"apothem {self.steps(min(slack) / d)}" if slack else "every face on the domain boundary"
        return (f"{apothem}; widths {describe(min(widths))} to {describe(max(widths))} steps; "
                f"{2 * n - len(slack)} of {2 * n} faces on the domain boundary; flip query sha256 {digest}")

    def faces(self, box, entries, what: str, *slots) -> int:
        """Exactly one entry [coord, side, call ...] per face off the domain boundary, a call per slot (kind, verdict,
        its box from (box, coord, s), optional) checked as that query's answer: how many optional calls are null."""
        n, null = len(self.x), 0
        todo = {(i, s) for s in (0, 1) for i in range(n) if box[s][i] != self.domain[s][i]}  # off the boundary
        for e in _list(entries, f"{what}: faces"):
            coord, side, *calls = _list(e, f"{what}: a face entry", 2 + len(slots))
            i, s = _int(coord, f"{what}: face coord", 0, n - 1), SIDES.index(_choice(side, SIDES, f"{what}: side"))
            where = f"{what}: face {SIDES[s]} of X_{i}"
            if (i, s) not in todo:
                raise InputError("FACES", f"{where} is on the domain boundary or listed twice")
            todo.remove((i, s))
            for j, (kind, verdict, query_box, optional) in zip(calls, slots):
                if j is None and optional:
                    null += 1
                else:
                    self.call(j, kind, verdict, query_box(box, i, s), where)
        i, s = min(todo, default=(None, 0))
        require("every face listed", i is None, "FACES", f"{what}: face {SIDES[s]} of X_{i} has no entry")
        return null

    # -- the claims (spec section 3) --------------------------------------------------------------
    def apothem(self, c: dict, what: str) -> str:
        """flip(ball(k)) unsat; a flip(ball(top)) sat call, if any, bounds it: optimal when top = k + 1."""
        k = _int(c["k"], f"{what}: k", low=None)
        require("k >= 0", k >= 0, "CLAIM", f"{what}: k = {k} is negative (ball(k) would be empty)")
        refuted_by, (start, top) = c.get("refuted_by"), _list(c["bracket"], f"{what}: the bracket [k, k']", 2)
        _int(start, f"{what}: the bracket's start (k)", k, k)
        top = None if top is None else _int(top, f"{what}: the bracket's end (k' > k)", k + 1)
        require("bracket with refuted_by", (top is None) == (refuted_by is None), "CLAIM",
                f"{what}: the bracket's upper end and refuted_by must be given together")
        self.call(c["proof"], "flip", "unsat", self.ball(k), what)
        self.shown.add("apothem")
        about = f"apothem {self.steps(k)} around the input ({self.where})"
        if top is not None and refuted_by is not None:
            self.call(refuted_by, "flip", "sat", self.ball(top), what)
        if top == k + 1 or self.ball(k) == self.domain:
            self.shown.add("optimal")
            return f"{about}: optimal (" + (f"a flip within {k + 1} steps)" if top is not None
                                            else "the ball is the whole domain, which is robust)")
        return f"{about}: NOT shown optimal (a flip is shown only within {'?' if top is None else top} steps)"

    def maximal(self, c: dict, what: str) -> str:
        box = self.box(c, what)
        off = next((i for i, v in enumerate(self.x) for end in (box[0][i], box[1][i])
                    if end not in (self.lo, self.hi) and ((end - v) / self.delta).denominator != 1), None)
        require("box on grid", off is None, "BOX", f"{what}: a bound of X_{off} is neither on the grid around the "
                "input nor on the domain boundary")
        self.call(c["proof"], "flip", "unsat", box, what)
        self.shown.add("box")
        unknown = self.faces(box, c["faces"], what, ("flip", "sat", self.moved, True))
        require("maximal_shown iff", c["maximal_shown"] is (unknown == 0), "CLAIM",
                f"{what}: maximal_shown is {c['maximal_shown']!r:.10}, but {unknown} faces are not shown")
        about = f"robust box around the input ({self.where}): {self.describe_box(*box)}"
        if unknown:
            return f"{about}: NOT shown maximal ({unknown} faces not shown at their limit)"
        self.shown.add("maximal")
        return f"{about}: maximal (each face moved one step outward admits a flip)"

    def dual(self, box, entries, what: str) -> str:
        """Every point of the domain weakly classified c lies in the box: per face, a reach proof on the
        slab beyond it, and optionally (tightness) a reach point on the slab one grid step inside."""
        self.shown.add(what.replace("claim ", "").replace("_", "-"))
        loose = self.faces(box, entries, what, ("reach", "unsat", self.slab, False),
                           ("reach", "sat", lambda *face: self.slab(*face, inward=1), True))
        return (f"every point of [{self.lo}, {self.hi}]^{len(self.x)} weakly classified {self.label} lies "
                f"in the box: {self.describe_box(*box)} ({loose} faces not shown tight)")

    def dual_box(self, c: dict, what: str) -> str:
        return "dual box: " + self.dual(self.box(c, what), c["faces"], what)

    def dual_ball(self, c: dict, what: str) -> str:
        r = _int(c["r_steps"], f"{what}: r_steps")
        return f"dual ball of {self.steps(r)}: " + self.dual(self.ball(r), c["faces"], what)


def check_certification(bundle, network, expect=()) -> tuple[str, list[str]]:
    """(valid | invalid, lines for stderr) for a bundle file (path) or its bytes.

    `expect`: claims the caller relies on (cli.EXPECTABLE); any not established makes it invalid."""
    try:
        if not isinstance(bundle, bytes):
            with open(bundle, "rb") as f:
                bundle = f.read(MAX_BUNDLE + 1)
        chk = BundleChecker(bundle, network)
        lines = [getattr(chk, name)(_map(chk.claims[name], f"claim {name}", *keys), f"claim {name}")
                 for name, keys in CLAIMS.items() if name in chk.claims]
        missing = [e for e in expect if e not in chk.shown]
        if missing:
            raise InputError("EXPECT", f"the caller expects {missing[0]!r}, which the bundle does not establish "
                            f"(it establishes: {', '.join(sorted(chk.shown)) or 'nothing'})")
    except InputError as err:  # the bundle's, or the network's own (FLOAT32_OVERFLOW at a point)
        return "invalid", [f"certification: {err}"]
    return "valid", lines
