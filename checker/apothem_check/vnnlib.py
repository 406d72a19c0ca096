"""Read a VNN-LIB 1 or 2 property into an ordered list of disjuncts (`load_property`).

The property decides what "unsafe" means, so the checker reads it itself (grammar vnnlib.lark,
numbers exactly: `Fraction(text)`, never via float) into disjunctive normal form, in the canonical
order proofs refer to by index; `cross_check_with_z3` has z3 prove that its SMT-LIB reading and
ours are the same set. Explicit stack, bounded nesting, DNF and number sizes: hostile files fail
cleanly. VNN-LIB 2 (vnnlib.org; grammar: github.com/VNNLIB/VNNLIB-Standard): one network with one
input and one output tensor of element type real; X[i,j,..] is X_k of VNN-LIB 1, k its C-order index.
"""
from __future__ import annotations

import hashlib
import itertools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from .errors import InputError

MAX_DEPTH = 10_000        # parenthesis nesting (z3's parser recurses in C)
MAX_DISJUNCTS = 100_000   # size of the DNF
MAX_EXPONENT = 1_000      # |e| in 1.5e<e>: bounds the integers Fraction(text) builds
MAX_DIGITS = 4_000        # of a number's exact numerator and denominator (z3 reads them as decimal text)
SUPPORTED_VERSIONS = ("1", "2")
_VAR = re.compile(r"([XY])_(0|[1-9][0-9]*)")
ZERO, ONE = Fraction(0), Fraction(1)  # shared: a Fraction is immutable, and building one costs a microsecond


@dataclass(frozen=True)
class OutputConstraint:
    """sum_j coeffs[j]*Y_j + const <= 0 (or < 0 when strict)."""
    coeffs: tuple[Fraction, ...]
    const: Fraction
    strict: bool


@dataclass(frozen=True)
class Disjunct:
    """One case of the unsafe region: the input box AND all the output constraints."""
    lower: tuple[Fraction, ...]
    upper: tuple[Fraction, ...]
    lower_strict: tuple[bool, ...]
    upper_strict: tuple[bool, ...]
    constraints: tuple[OutputConstraint, ...]


@dataclass(frozen=True)
class Property:
    n_inputs: int
    n_outputs: int
    disjuncts: tuple[Disjunct, ...]
    sha256: str
    version: str
    shapes: tuple | None = field(default=None, compare=False)  # (input, output): what a v2 header was checked against
    declared: tuple = field(default=(), compare=False)  # VNN-LIB 2: (name, element type, shape) of input, output


class Node(NamedTuple):
    """An s-expression: kind NUMBER, SYMBOL or STRING (value: its text), "ref" (value: the SYMBOL
    node and the INDEX text) or "list" (value: the children); start/end: its span in the text."""
    kind: str
    value: object
    start: int
    end: int


_TERMINALS = re.findall(r"^([A-Z]+): /(.+)/$", (Path(__file__).parent / "vnnlib.lark").read_text(), re.M)
_LEXER = re.compile("|".join(f"(?P<{n}>{p})" for n, p in _TERMINALS) + r"|(?P<LP>\()|(?P<RP>\))|(?P<BAD>[\s\S])")
"""The terminals of vnnlib.lark as one alternation. A test proves them disjoint (lark's strict
mode) and this reader equal to lark's LALR parser of the grammar; lark itself is 10 times slower."""


def _where(text: str, pos: int) -> str:
    return f"line {text.count(chr(10), 0, pos) + 1} column {pos - text.rfind(chr(10), 0, pos)}"


def _fail(code: str, node: Node, text: str, msg: str):
    """Raise with the position and (a prefix of) the source text of `node`."""
    src = " ".join(text[node.start:node.end].split())
    raise InputError(code, f"{_where(text, node.start)}: {msg}: {src[:80] + ('...' if len(src) > 80 else '')}")


def _read(path) -> tuple[bytes, str]:
    try:
        data = Path(path).read_bytes()
        return data, data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("VNNLIB_SYNTAX", f"cannot read {path} as UTF-8 text: {e}") from None


def _tokens(text: str):
    """(kind, text, start) of each token but whitespace and comments; kind BAD: a character that no
    terminal matches (a syntax error for `_parse`)."""
    return ((m.lastgroup, m.group(), m.start()) for m in _LEXER.finditer(text) if m.lastgroup not in ("WS", "COMMENT"))


def _parse(text: str) -> list:
    """The top-level s-expressions (grammar vnnlib.lark), built with an explicit stack; nesting is
    bounded for z3, whose parser recurses."""
    stack = [(0, [])]  # (start, children) of the top level and of each open list
    for kind, tok, start in itertools.chain(_tokens(text), [("END", "", len(text))]):
        siblings = stack[-1][1]
        if kind == "INDEX" and siblings and siblings[-1].kind == "SYMBOL":  # the token before was that symbol
            siblings[-1] = Node("ref", (siblings[-1], tok), siblings[-1].start, start + len(tok))
        elif kind == "LP":
            stack.append((start, []))
            if len(stack) > MAX_DEPTH + 1:
                raise InputError("VNNLIB_TOO_DEEP", f"{_where(text, start)}: nesting deeper than {MAX_DEPTH}")
        elif kind == "RP" and len(stack) > 1:
            opened = stack.pop()[0]
            stack[-1][1].append(Node("list", siblings, opened, start + 1))
        elif kind in ("NUMBER", "SYMBOL", "STRING"):
            siblings.append(Node(kind, tok, start, start + len(tok)))
        elif kind != "END" or len(stack) > 1:
            raise InputError("VNNLIB_SYNTAX", f"{_where(text, start)}: unexpected {repr(tok) if tok else 'end of file'}")
    return stack[0][1]


def _number(tok: Node, text: str) -> Fraction:
    exp = re.search(r"[eE]([+-]?[0-9]+)$", tok.value)
    try:
        if exp and abs(int(exp.group(1))) > MAX_EXPONENT:
            raise ValueError("exponent too large")
        q = Fraction(tok.value)  # exact: "0.1" is 1/10, "1.5E+3" is 1500
        if max(abs(q.numerator), q.denominator).bit_length() > MAX_DIGITS * 3.32:
            raise ValueError(f"more than {MAX_DIGITS} digits")
        return q
    except ValueError as e:
        raise InputError("VNNLIB_NUMBER", f"{_where(text, tok.start)}: number {tok.value[:40]!r} not accepted: {e}") from None


def _apply(head: str, args: list, node: Node, text: str):
    """Value of (head args...). A term is (coeffs dict, const). A formula is a DNF: a list of
    disjuncts, each a tuple of atoms; an atom, sum + const <= 0 (< 0), is classified once, as
    ("bound", i, is_upper, value, strict) for a bound on one input X_i, or ("output", coeffs,
    const, strict) when no input occurs in it."""
    if head not in ("and", "or", "<=", ">=", "<", ">", "+", "-", "*", "/"):
        _fail("VNNLIB_UNSUPPORTED", node, text, f"operator '{head}' is not supported "
              "(supported: and, or, <=, >=, <, >, +, -, * by a constant, / of two constants)")
    formulas = [isinstance(a, list) for a in args]
    if head in ("and", "or"):
        if not args or not all(formulas):
            _fail("VNNLIB_SYNTAX", node, text, f"'{head}' needs one or more formulas")
        return _join(head, args, _where(text, node.start))
    if any(formulas):
        _fail("VNNLIB_SYNTAX", node, text, f"'{head}' applied to a formula")
    if head in ("<=", ">=", "<", ">"):
        if len(args) != 2:
            _fail("VNNLIB_UNSUPPORTED", node, text, f"'{head}' needs exactly two arguments")
        coeffs, const = _lin(*(args if head in ("<=", "<") else args[::-1]), sign=-1)
        xs = [v for v in coeffs if v[0] == "X"]
        if not xs:
            return [(("output", coeffs, const, head in ("<", ">")),)]
        if len(coeffs) != 1:
            _fail("VNNLIB_UNSUPPORTED", node, text, "an atom must bound one input variable, or constrain outputs only")
        (_, i), c = xs[0], coeffs[xs[0]]
        return [(("bound", i, c > 0, -const / c, head in ("<", ">")),)]
    if head == "-" and len(args) == 1:
        args = [({}, ZERO), *args]  # (- t) is 0 - t
    if head in ("+", "-") and args:
        return _lin(*args, sign=1 if head == "+" else -1) if len(args) > 1 else args[0]
    if head == "*" and len(args) >= 2:
        terms = [a for a in args if a[0]]
        if len(terms) > 1:
            _fail("VNNLIB_UNSUPPORTED", node, text, "non-linear product")
        factor = math.prod(const for coeffs, const in args if not coeffs)
        coeffs, const = terms[0] if terms else ({}, ONE)
        return {v: c * factor for v, c in coeffs.items()}, const * factor
    if head == "/" and len(args) == 2:
        if args[0][0] or args[1][0] or args[1][1] == 0:
            _fail("VNNLIB_UNSUPPORTED", node, text, "'/' needs two constants and a non-zero divisor")
        return {}, args[0][1] / args[1][1]  # an exact rational constant such as (/ 1 255)
    _fail("VNNLIB_SYNTAX", node, text, f"'{head}' with {len(args)} argument(s)")


def _lin(first, *rest, sign=1):
    """first + sign*rest[0] + sign*rest[1] ...; zero coefficients are dropped."""
    coeffs, const = dict(first[0]), first[1]
    for c2, k2 in rest:
        for v, c in c2.items():
            coeffs[v] = coeffs.get(v, 0) + sign * c
        const += sign * k2
    return {v: c for v, c in coeffs.items() if c != 0}, const


def _join(head: str, dnfs: list, where: str) -> list:
    """"and": the cartesian product in order, the first conjunct varying slowest (itertools.product);
    "or": the operands' disjuncts, in order."""
    n = math.prod(len(d) for d in dnfs) if head == "and" else sum(len(d) for d in dnfs)
    if n > MAX_DISJUNCTS:
        raise InputError("VNNLIB_TOO_LARGE", f"{where}: a disjunctive normal form of {n} > {MAX_DISJUNCTS} disjuncts")
    if head == "and":
        return [tuple(itertools.chain.from_iterable(combo)) for combo in itertools.product(*dnfs)]
    return [d for dnf in dnfs for d in dnf]


def _evaluate(root, env: dict, text: str):
    """The value of an s-expression (see `_apply`), post-order with an explicit stack."""
    stack, values = [(root, False)], []
    while stack:
        node, ready = stack.pop()
        if node.kind == "NUMBER":
            values.append(({}, _number(node, text)))
        elif node.kind != "list":
            values.append(({_var(node, env, text): ONE}, ZERO))
        elif ready:
            first = len(values) - len(node.value) + 1
            values[first:] = [_apply(node.value[0].value, values[first:], node, text)]
        else:
            if not node.value or node.value[0].kind != "SYMBOL" or node.value[0].value in env:
                _fail("VNNLIB_SYNTAX", node, text, "expected an operator after '('")
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.value[1:]))
    return values[0]


def _declare(cmd, env: dict, sizes: tuple, text: str):
    """VNN-LIB 1: (declare-const X_i Real), i < the network's inputs, or Y_j, j < its outputs."""
    if len(cmd.value) != 3 or not all(a.kind == "SYMBOL" for a in cmd.value[1:]):
        _fail("VNNLIB_SYNTAX", cmd, text, "expected (declare-const <name> Real)")
    name, sort = (a.value for a in cmd.value[1:])
    m = _VAR.fullmatch(name)
    if not m or sort != "Real":
        _fail("VNNLIB_UNSUPPORTED", cmd, text, "only Real variables named X_<i> and Y_<j> are supported")
    if name in env:
        _fail("VNNLIB_DUPLICATE", cmd, text, f"{name} is declared twice")
    if int(m.group(2)) >= sizes["XY".index(m.group(1))]:
        _fail("VNNLIB_VAR_RANGE", cmd, text, f"the network has {sizes[0]} inputs and {sizes[1]} outputs")
    env[name] = (m.group(1), (), int(m.group(2)))  # as (kind, shape, offset) of _header: a scalar


def _head(cmd: Node | None) -> str:
    ok = cmd is not None and cmd.kind == "list" and cmd.value and isinstance(cmd.value[0].value, str)
    return cmd.value[0].value if ok else ""


def _header(cmds: list, shapes: tuple, text: str) -> tuple:
    """VNN-LIB 2: (vnnlib-version <2.x>) (declare-network N (declare-input X real [..]) (declare-output Y
    real [..])) -> "2", env {X: ("X", shape, 0), Y: ...}, other commands, declarations (name, element type,
    shape) as written. VNN-LIB 1: "1", {}, cmds, ().
    A declared shape must be the network's, up to leading unit dimensions ([5] for (1, 5); not [3, 2] for (1, 2, 3))."""
    if _head(cmds[0] if cmds else None) != "vnnlib-version":
        return "1", {}, cmds, ()
    src = lambda node: text[node.start:node.end]  # noqa: E731
    if len(cmds[0].value) != 2 or not re.fullmatch(r"<2\.(0|[1-9][0-9]*)>", src(cmds[0].value[1])):
        _fail("VNNLIB_UNSUPPORTED", cmds[0], text, f"supported VNN-LIB versions: {SUPPORTED_VERSIONS}, 2 as <2.x>")
    net = cmds[min(1, len(cmds) - 1)]
    decls, env, declared = net.value[2:] if _head(net) == "declare-network" else [], {}, []
    bad = [d for d, h in zip(decls, ("declare-input", "declare-output")) if _head(d) != h] + decls[2:] + [net]
    if bad[0] is not net or len(decls) != 2:
        _fail("VNNLIB_UNSUPPORTED", bad[0], text, "VNN-LIB 2: only one network, declared first, with one "
              "declare-input and one declare-output (no equal-to, isomorphic-to, declare-hidden) is supported")
    for d, kind, size in zip(decls, "XY", shapes):
        ref = d.value[2] if len(d.value) == 3 else d
        if ref.kind != "ref" or ref.value[0].value not in ("real", "Real"):
            _fail("VNNLIB_UNSUPPORTED", d, text, f"only ({_head(d)} <name> real [<dims>]) is supported, not "
                  "options or other element types (float32 etc.: floating-point semantics)")
        shape = tuple(int(v) for v in re.findall(r"[0-9]+", ref.value[1]))
        width = max(len(shape), len(size))  # compared up to leading unit dimensions: both padded with 1s
        if (1,) * (width - len(shape)) + shape != (1,) * (width - len(size)) + size:
            _fail("VNNLIB_SHAPE", d, text, f"shape {list(shape)}, but the network's is {list(size)}")
        env[src(d.value[1])] = (kind, shape, 0)
        declared.append((src(d.value[1]), ref.value[0].value, shape))
    names = [src(net.value[1]), *env]
    if len(set(names)) != 3 or not all(re.fullmatch(r"(?!(and|or|assert)\Z)[A-Za-z][A-Za-z0-9_]*", n) for n in names):
        _fail("VNNLIB_SYNTAX", net, text, "the network, input and output need distinct names [A-Za-z][A-Za-z0-9_]*")
    return "2", env, cmds[2:], tuple(declared)


def _var(node, env: dict, text: str) -> tuple:
    """(kind, index) of X_i / Y_j (VNN-LIB 1) or of VNN-LIB 2's X[i,j,..] (scalar: X): C-order index."""
    name, idx = (node.value[0].value, node.value[1]) if node.kind == "ref" else (node.value, None)
    if name not in env:
        _fail("VNNLIB_UNDECLARED", node, text, "undeclared or unsupported symbol")
    (kind, shape, flat), ix = env[name], [int(v) for v in re.findall(r"[0-9]+", idx or "")]
    if len(ix) != len(shape) or (idx is not None and not ix) or any(i >= n for i, n in zip(ix, shape)):
        _fail("VNNLIB_VAR_RANGE", node, text, f"{name} has shape {list(shape)}: give one in-range index per dimension")
    for i, n in zip(ix, shape):
        flat = flat * n + i
    return kind, flat


def _disjunct(atoms: tuple, n_inputs: int, n_outputs: int, index: int) -> Disjunct:
    """The box: per input and side, the tightest bound atom (on a tie, the strict one); the output
    atoms become OutputConstraints in their order."""
    sides = [None] * n_inputs, [None] * n_inputs  # lower, upper: the bound atom chosen for each input
    for atom in atoms:
        if atom[0] == "bound":
            _, i, upper, value, strict = atom
            old = sides[upper][i]
            if old is None or (value < old[3] if upper else value > old[3]) or (value == old[3] and strict):
                sides[upper][i] = atom
    for i, (upper, side) in itertools.product(range(n_inputs), enumerate(("lower", "upper"))):
        if sides[upper][i] is None:
            raise InputError("VNNLIB_UNBOUNDED_INPUT", f"X_{i} has no {side} bound in disjunct {index}")
    constraints = (OutputConstraint(tuple(a[1].get(("Y", j), ZERO) for j in range(n_outputs)), a[2], a[3])
                   for a in atoms if a[0] == "output")
    # lower, upper (the atoms' values a[3]), lower_strict, upper_strict (their flags a[4])
    return Disjunct(*(tuple(a[k] for a in side) for k in (3, 4) for side in sides), tuple(constraints))


def load_property(path, inputs, outputs) -> Property:
    """Parse and normalise a VNN-LIB 1 or 2 file for a network with the given input/output shapes
    (tuples; an int n stands for the flat shape (n,))."""
    shapes = tuple((v,) if isinstance(v, int) else tuple(v) for v in (inputs, outputs))
    n_inputs, n_outputs = (math.prod(v) for v in shapes)
    data, text = _read(path)
    (version, env, cmds, declared), asserts = _header(_parse(text), shapes, text), []
    for cmd in cmds:
        if not (head := _head(cmd)):
            _fail("VNNLIB_SYNTAX", cmd, text, "expected a command (declare-const ...) or (assert ...)")
        if head == "declare-const" and version == "1":
            _declare(cmd, env, (n_inputs, n_outputs), text)
        elif head == "assert" and len(cmd.value) == 2:
            formula = _evaluate(cmd.value[1], env, text)
            if not isinstance(formula, list):
                _fail("VNNLIB_SYNTAX", cmd, text, "assert needs a formula, not a term")
            asserts.append(formula)
        else:
            _fail("VNNLIB_UNSUPPORTED", cmd, text, f"command '{head}' is not supported in VNN-LIB {version} "
                  "(VNN-LIB 1: declare-const, assert with one formula; VNN-LIB 2: (vnnlib-version <2.x>), "
                  "one declare-network, then assert with one formula)")
    disjuncts = tuple(_disjunct(atoms, n_inputs, n_outputs, d)
                      for d, atoms in enumerate(_join("and", asserts, "the conjunction of all asserts")))
    return Property(n_inputs, n_outputs, disjuncts, hashlib.sha256(data).hexdigest(), version, shapes, declared)


def smt_number(q: Fraction) -> str:
    """q as SMT-LIB text: p, (/ p q) or (- ..); z3 reads the integers as reals where a real is meant."""
    if q < 0:
        return f"(- {smt_number(-q)})"
    return str(q.numerator) if q.denominator == 1 else f"(/ {q.numerator} {q.denominator})"


def _z3_text(text: str, prop: Property) -> str:
    """The file as SMT-LIB for z3: numbers z3 cannot read (1e-5, .5, 5., +1) as exact quotients; for
    VNN-LIB 2 the header (re-read by `_header`) as (declare-const X_k Real).., each X[i,j,..] (scalar: X)
    as X_k, k = sum(i * stride) computed here, not by `_var`. Lost independence: z3 reads the assertions
    itself, not the declarations (input or output, shapes, element type) nor the index arithmetic."""
    names, last, out = {}, 0, []
    if prop.version == "2":
        cmds, sizes = _parse(text), (prop.n_inputs, prop.n_outputs)
        names = _header(cmds, prop.shapes, text)[1]
        last = cmds[1].end if names else 0  # no names: not VNN-LIB 2, z3 will reject it
        out = [f"(declare-const {k}_{i} Real)\n" for k, n in zip("XY", sizes) for i in range(n)]
    elif not re.search(r"[0-9][eE]|(?<![0-9])\.|\.(?![0-9])|\+", re.sub(r";[^\n]*", "", text)):
        return text  # nothing to rewrite (the common case): skip lexing
    toks = [t for t in _tokens(text) if t[2] >= last] + [("END", "", len(text))]
    for (kind, tok, start), (next_kind, next_tok, next_start) in zip(toks, toks[1:]):
        if kind == "NUMBER" and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", tok):
            out += [text[last:start], smt_number(Fraction(tok))]
            last = start + len(tok)
        elif tok in names:
            ix, (var, shape, _) = [int(v) for v in re.findall(r"[0-9]+", next_tok) if next_kind == "INDEX"], names[tok]
            out += [text[last:start], f"{var}_{sum(i * math.prod(shape[k + 1:]) for k, i in enumerate(ix))}"]
            last = next_start + len(next_tok) if ix else start + len(tok)
    return "".join(out) + text[last:]


def _our_text(prop: Property) -> str:
    """Our reading as SMT-LIB: (or over disjuncts of (and box constraints)), each distinct box written
    once as (define-fun box_k ..) (disjuncts often share one box: the text stays the file's size). Boxes
    made of the same bound objects are the same (comparing by id: hashing thousands of Fractions is slow)."""
    lines = [f"(declare-const {k}_{i} Real)" for k, n in zip("XY", (prop.n_inputs, prop.n_outputs)) for i in range(n)]
    boxes, cases = {}, []
    for d in prop.disjuncts:
        box = (*map(id, d.lower + d.upper), *d.lower_strict, *d.upper_strict)
        if box not in boxes:
            atoms = [f"({op}{'' if s else '='} X_{i} {smt_number(q)})" for op, ends, flags in
                     ((">", d.lower, d.lower_strict), ("<", d.upper, d.upper_strict))
                     for i, (q, s) in enumerate(zip(ends, flags))]
            boxes[box] = f"box_{len(boxes)}"
            lines.append(f"(define-fun {boxes[box]} () Bool (and true {' '.join(atoms)}))")
        atoms = [boxes[box]]
        for g in d.constraints:
            terms = " ".join(f"(* {smt_number(c)} Y_{j})" for j, c in enumerate(g.coeffs) if c)
            atoms.append(f"({'<' if g.strict else '<='} (+ {terms} {smt_number(g.const)} 0.0) 0.0)")
        cases.append(f"(and {' '.join(atoms)})")
    return "\n".join(lines + [f"(assert (or false {' '.join(cases)}))"])


def cross_check_with_z3(path, prop: Property, timeout_s: float = 10.0) -> None:
    """Prove with z3 (exact linear real arithmetic) that z3's SMT-LIB reading of the file and our
    disjuncts are the same set of (X, Y), else raise InputError. Both sides are handed to z3 as SMT-LIB
    text (fast to build, see `_z3_text`); X_i/Y_j name the same z3 constants in both. The file's
    assertions are conjoined by z3's C API (z3.And would wrap each of thousands of them in Python);
    ours is one assertion."""
    import z3

    data, text = _read(path)
    if hashlib.sha256(data).hexdigest() != prop.sha256:
        _parse(text)  # not the file `prop` was read from: z3 must not see nesting or text the reader refuses
    ctx = z3.Context()
    try:
        vector = z3.parse_smt2_string(_z3_text(text, prop), ctx=ctx)
    except z3.Z3Exception as e:
        raise InputError("VNNLIB_Z3_PARSE", f"z3 cannot parse {path}: {e}") from None
    items = [z3.Z3_ast_vector_get(ctx.ref(), vector.vector, i) for i in range(len(vector))]
    theirs = z3.BoolRef(z3.Z3_mk_and(ctx.ref(), len(items), (z3.Ast * len(items))(*items)), ctx)
    ours, = z3.parse_smt2_string(_our_text(prop), ctx=ctx)
    solver = z3.Solver(ctx=ctx)
    solver.set("timeout", max(1, int(timeout_s * 1000)))
    solver.add(theirs != ours)
    result = solver.check()
    if result == z3.sat:
        raise InputError("VNNLIB_Z3_MISMATCH", f"z3 reads {path} differently from the checker")
    if result != z3.unsat:
        raise InputError("VNNLIB_Z3_UNKNOWN", f"z3 could not decide the cross-check of {path}: "
                         f"{solver.reason_unknown()}")
