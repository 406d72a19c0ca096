"""Checking certification bundles (spec/certification.md): boxes, optimality and maximality.

The checker builds every oracle query itself from (kind, box, label), so a bundle cannot smuggle
in a weaker property; each `unsat` call is checked as an ordinary proof of that query and each
`sat` call by exact evaluation of its point.
"""
from __future__ import annotations

import hashlib
from fractions import Fraction

import msgpack

from .check import check_proof
from .vnnlib import Disjunct, OutputConstraint, Property

MAX_BUNDLE = 1 << 32


class BundleError(Exception):
    pass


def _text(q: Fraction) -> str:
    if q < 0:
        return f"(- {_text(-q)})"
    return str(q.numerator) if q.denominator == 1 else f"(/ {q.numerator} {q.denominator})"


def query_text(kind: str, lower, upper, label: int, n_out: int) -> str:
    """The canonical VNN-LIB text of an oracle query (spec/certification.md section 2)."""
    lines = [f"; apothem certification query: {kind}, class {label}"]
    lines += [f"(declare-const X_{i} Real)" for i in range(len(lower))]
    lines += [f"(declare-const Y_{j} Real)" for j in range(n_out)]
    for i, (lo, hi) in enumerate(zip(lower, upper)):
        lines.append(f"(assert (>= X_{i} {_text(lo)}))")
        lines.append(f"(assert (<= X_{i} {_text(hi)}))")
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


def classified(network, x, label: int, weakly: bool = False) -> bool:
    y = network.evaluate(list(x))
    return all(y[label] > v or (weakly and y[label] == v) for j, v in enumerate(y) if j != label)


class BundleChecker:
    """Replays a bundle's calls on demand (each at most once) and checks its claims."""

    def __init__(self, bundle: dict, network):
        self.b, self.net = bundle, network
        self.x = tuple(Fraction(v) for v in bundle["input"])
        self.lo, self.hi = (Fraction(v) for v in bundle["domain"])
        self.delta = (self.hi - self.lo) / int(bundle["grid"])
        self.label = int(bundle["label"])
        self.holey = False
        self._done: dict[int, tuple] = {}

    def box_of(self, i: int) -> tuple:
        """A call's box: explicit, or an earlier call's box with faces moved outward by grid steps."""
        c = self.b["calls"][i]
        if "lower" in c:
            return tuple(map(Fraction, c["lower"])), tuple(map(Fraction, c["upper"]))
        if not 0 <= int(c["like"]) < i:
            raise BundleError(f"call {i} refers to call {c['like']}, which is not an earlier call")
        box = self.box_of(int(c["like"]))
        for coord, side, steps in c["move"]:
            box = self.moved(*box, int(coord), side, int(steps) * self.delta)
        return tuple(box[0]), tuple(box[1])

    def call(self, i: int, kind: str, verdict: str, lower, upper) -> None:
        """Call i must be a checked `verdict` answer to query `kind` on exactly [lower, upper]."""
        c = self.b["calls"][i]
        box = self.box_of(i)
        if (c["kind"], c["verdict"]) != (kind, verdict) or box != (tuple(lower), tuple(upper)):
            raise BundleError(f"call {i} is not a {verdict} {kind} query on the claimed box")
        if i in self._done:
            return
        if verdict == "unsat":
            prop = query_property(kind, *box, self.label, self.net.n_outputs)
            result = check_proof(bytes(c["proof"]), self.net, prop)
            if result.verdict == "invalid" or result.conclusion != "unsat":
                raise BundleError(f"call {i}: proof rejected: {result.error}")
            self.holey |= result.verdict == "holey"
        else:
            x = tuple(Fraction(v) for v in c["point"])
            inside = len(x) == len(box[0]) and all(l <= v <= u for v, l, u in zip(x, *box))
            if not inside or classified(self.net, x, self.label) != (kind == "reach"):
                raise BundleError(f"call {i}: the point is outside the box or does not show {kind}")
        self._done[i] = box

    def ball(self, k: int):
        return ([max(self.lo, v - k * self.delta) for v in self.x], [min(self.hi, v + k * self.delta) for v in self.x])

    def on_grid(self, v: Fraction, i: int) -> bool:
        return v in (self.lo, self.hi) or ((v - self.x[i]) / self.delta).denominator == 1

    def moved(self, lower, upper, i: int, side: str, step: Fraction):
        if side not in ("lower", "upper") or step < 0:
            raise BundleError(f"a face move must be outward on side lower or upper, not {side} by {step}")
        lower, upper = list(lower), list(upper)
        if side == "lower":
            lower[i] = max(self.lo, lower[i] - step)
        else:
            upper[i] = min(self.hi, upper[i] + step)
        return lower, upper

    def apothem(self, claim) -> str:
        """flip(ball(k)) unsat; a flip(ball(top)) sat call, if any, bounds it: optimal when top = k + 1."""
        k, top, refuted_by = int(claim["k"]), claim["bracket"][1], claim.get("refuted_by")
        self.call(claim["proof"], "flip", "unsat", *self.ball(k))
        if refuted_by is not None:
            self.call(refuted_by, "flip", "sat", *self.ball(int(top)))
        elif top is not None:
            raise BundleError(f"the bracket's upper end {top} has no flip call")
        if refuted_by is not None and int(top) == k + 1:
            return f"apothem {k} grid steps: optimal (a flip within {k + 1} steps)"
        if self.ball(k) == ([self.lo] * len(self.x), [self.hi] * len(self.x)):
            return f"apothem {k} grid steps: the whole domain is robust"
        return f"apothem {k} grid steps: NOT shown optimal (bracket [{k}, {top if top is not None else '?'}])"

    def box_faces(self, lower, upper, faces, on_face) -> int:
        """Check one entry per face off the domain boundary; returns how many are not shown."""
        listed = {(int(f[0]), f[1]): f[2:] for f in faces}
        unknown = 0
        for i in range(len(self.x)):
            for side, v in (("lower", lower[i]), ("upper", upper[i])):
                if v == (self.lo if side == "lower" else self.hi):
                    continue
                if (i, side) not in listed:
                    raise BundleError(f"face {side} of X_{i} has no entry")
                unknown += on_face(i, side, *listed[(i, side)])
        return unknown

    def maximal(self, claim) -> str:
        lower, upper = [Fraction(v) for v in claim["lower"]], [Fraction(v) for v in claim["upper"]]
        if not all(self.lo <= l <= v <= u <= self.hi and self.on_grid(l, i) and self.on_grid(u, i)
                   for i, (l, v, u) in enumerate(zip(lower, self.x, upper))):
            raise BundleError("the maximal box is not a grid box around the input inside the domain")
        self.call(claim["proof"], "flip", "unsat", lower, upper)

        def face(i, side, j):
            if j is None:
                return 1
            self.call(j, "flip", "sat", *self.moved(lower, upper, i, side, self.delta))
            return 0
        unknown = self.box_faces(lower, upper, claim["faces"], face)
        if claim.get("maximal_shown") and unknown:
            raise BundleError(f"claimed maximal, but {unknown} faces are not shown")
        return f"robust box with {unknown} faces not shown at their limit" + ("" if unknown else ": maximal")

    def dual(self, lower, upper, faces) -> str:
        def face(i, side, proof, witness):
            if proof is None:
                raise BundleError(f"dual face {side} of X_{i} has no proof")
            slab = ([self.lo] * len(self.x), [self.hi] * len(self.x))
            (slab[0] if side == "upper" else slab[1])[i] = (upper if side == "upper" else lower)[i]
            self.call(proof, "reach", "unsat", *slab)
            if witness is None:
                return 1
            inner = self.moved(*slab, i, "lower" if side == "upper" else "upper", self.delta)
            self.call(witness, "reach", "sat", *inner)
            return 0
        loose = self.box_faces(lower, upper, faces, face)
        return f"every point weakly classified {self.label} lies in the dual box ({loose} faces not shown tight)"


def check_certification(path, network) -> tuple[str, list[str]]:
    """(valid | invalid | holey, lines for stderr)."""
    try:
        with open(path, "rb") as f:
            bundle = msgpack.unpackb(f.read(MAX_BUNDLE + 1), raw=False, strict_map_key=False)
        if not isinstance(bundle, dict) or bundle.get("format") != "apothem-certification":
            raise BundleError("not an apothem-certification bundle")
        if bundle.get("model_sha256") != network.sha256:
            raise BundleError(f"the bundle is for model {bundle.get('model_sha256')}, not {network.sha256}")
        chk = BundleChecker(bundle, network)
        if not classified(network, chk.x, chk.label):
            raise BundleError(f"the network does not classify the input as {chk.label}")
        claims, lines = bundle.get("claims", {}), []
        if "apothem" in claims:
            lines.append(chk.apothem(claims["apothem"]))
        if "maximal" in claims:
            lines.append(chk.maximal(claims["maximal"]))
        if "dual_box" in claims:
            d = claims["dual_box"]
            lines.append("dual box: " + chk.dual([Fraction(v) for v in d["lower"]], [Fraction(v) for v in d["upper"]], d["faces"]))
        if "dual_ball" in claims:
            d = claims["dual_ball"]
            lines.append(f"dual ball of {d['r_steps']} steps: " + chk.dual(*chk.ball(int(d["r_steps"])), d["faces"]))
        if not lines:
            raise BundleError("the bundle makes no claim")
    except (BundleError, KeyError, TypeError, ValueError, IndexError, ZeroDivisionError,
            msgpack.exceptions.ExtraData, msgpack.exceptions.FormatError, msgpack.exceptions.StackError) as err:
        return "invalid", [f"certification: {type(err).__name__}: {err}"]
    return ("holey" if chk.holey else "valid"), lines
