"""Read a VNN-LIB 1 or 2 property into an ordered list of disjuncts (`load_property`).

The property decides what "unsafe" means, so the checker reads it itself (grammar vnnlib.lark,
numbers exactly: `Fraction(text)`, never via float) into disjunctive normal form, in the canonical
order proofs refer to by index; `cross_check_with_z3` has z3 prove that its SMT-LIB reading and
ours are the same set. Explicit stack, bounded nesting, DNF and number sizes: hostile files fail
cleanly. VNN-LIB 2 (vnnlib.org; grammar: github.com/VNNLIB/VNNLIB-Standard): one network with one
input and one output tensor of element type real; X[i,j,..] is X_k of VNN-LIB 1, k its C-order index.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import lark

from .errors import InputError

MAX_DEPTH = 10_000        # parenthesis nesting (z3's parser recurses in C)
MAX_DISJUNCTS = 100_000   # size of the DNF
MAX_EXPONENT = 1_000      # |e| in 1.5e<e>: bounds the integers Fraction(text) builds
MAX_DIGITS = 4_000        # of a number's exact numerator and denominator (z3 reads them as decimal text)
SUPPORTED_VERSIONS = ("1", "2")
_VAR = re.compile(r"([XY])_(0|[1-9][0-9]*)")


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


@functools.cache
def _get_parser() -> lark.Lark:
    grammar = (Path(__file__).parent / "vnnlib.lark").read_text()
    return lark.Lark(grammar, parser="lalr", strict=True, propagate_positions=True)


def _where(node) -> str:
    m = node if isinstance(node, lark.Token) else node.meta
    return f"line {m.line} column {m.column}"


def _fail(code: str, node, text: str, msg: str):
    """Raise with the position and (a prefix of) the source text of `node`."""
    src = " ".join((str(node) if isinstance(node, lark.Token) else text[node.meta.start_pos:node.meta.end_pos]).split())
    raise InputError(code, f"{_where(node)}: {msg}: {src[:80] + ('...' if len(src) > 80 else '')}")


def _read(path) -> tuple[bytes, str]:
    try:
        data = Path(path).read_bytes()
        return data, data.decode("utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise InputError("VNNLIB_SYNTAX", f"cannot read {path} as UTF-8 text: {e}") from None


def _check_depth(text: str):
    """Checked before parsing, so neither lark nor z3 ever sees deeper nesting."""
    depth = 0
    for m in re.finditer(r";[^\n]*|[()]", text):
        depth += {"(": 1, ")": -1}.get(m.group(), 0)
        if depth > MAX_DEPTH:
            line = text.count("\n", 0, m.start()) + 1
            raise InputError("VNNLIB_TOO_DEEP", f"line {line}: nesting deeper than {MAX_DEPTH}")


def _parse(text: str) -> lark.Tree:
    _check_depth(text)
    try:
        return _get_parser().parse(text)
    except lark.UnexpectedInput as e:
        what = getattr(e, "token", None) or getattr(e, "char", None)
        what = "end of file" if what is None or what == "" else repr(str(what))
        raise InputError("VNNLIB_SYNTAX", f"line {e.line} column {e.column}: unexpected {what}") from None


def _number(tok: lark.Token) -> Fraction:
    exp = re.search(r"[eE]([+-]?[0-9]+)$", tok)
    try:
        if exp and abs(int(exp.group(1))) > MAX_EXPONENT:
            raise ValueError("exponent too large")
        q = Fraction(str(tok))  # exact: "0.1" is 1/10, "1.5E+3" is 1500
        if max(abs(q.numerator), q.denominator).bit_length() > MAX_DIGITS * 3.32:
            raise ValueError(f"more than {MAX_DIGITS} digits")
        return q
    except ValueError as e:
        raise InputError("VNNLIB_NUMBER", f"{_where(tok)}: number {str(tok)[:40]!r} not accepted: {e}") from None


def _combine(head: str, args: list, node, text: str):
    """Value of (head args...). Terms are (coeffs dict, const); formulas are DNFs: lists of
    disjuncts, each a tuple of atoms (see _atom)."""
    if head not in ("and", "or", "<=", ">=", "<", ">", "+", "-", "*", "/"):
        _fail("VNNLIB_UNSUPPORTED", node, text, f"operator '{head}' is not supported "
              "(supported: and, or, <=, >=, <, >, +, -, * by a constant, / of two constants)")
    formulas = [isinstance(a, list) for a in args]
    if head in ("and", "or"):
        if not args or not all(formulas):
            _fail("VNNLIB_SYNTAX", node, text, f"'{head}' needs one or more formulas")
        return _join(head, args, _where(node))
    if any(formulas):
        _fail("VNNLIB_SYNTAX", node, text, f"'{head}' applied to a formula")
    if head in ("<=", ">=", "<", ">"):
        if len(args) != 2:
            _fail("VNNLIB_UNSUPPORTED", node, text, f"'{head}' needs exactly two arguments")
        a, b = args if head in ("<=", "<") else args[::-1]
        return [(_atom(*_lin(a, b, sign=-1), head in ("<", ">"), node, text),)]
    if head == "+" and args:
        return _lin(*args) if len(args) > 1 else args[0]
    if head == "-" and args:
        return _lin(({}, Fraction(0)), args[0], sign=-1) if len(args) == 1 else _lin(args[0], *args[1:], sign=-1)
    if head == "*" and len(args) >= 2:
        if sum(1 for coeffs, _ in args if coeffs) > 1:
            _fail("VNNLIB_UNSUPPORTED", node, text, "non-linear product")
        factor = math.prod(const for coeffs, const in args if not coeffs)
        (coeffs, const), = [a for a in args if a[0]] or [({}, Fraction(1))]
        return {v: c * factor for v, c in coeffs.items()}, const * factor
    if head == "/" and len(args) == 2:
        if args[0][0] or args[1][0] or args[1][1] == 0:
            _fail("VNNLIB_UNSUPPORTED", node, text, "'/' needs two constants and a non-zero divisor")
        return {}, args[0][1] / args[1][1]  # an exact rational constant such as (/ 1 255)
    _fail("VNNLIB_SYNTAX", node, text, f"'{head}' with {len(args)} argument(s)")


def _atom(coeffs: dict, const: Fraction, strict: bool, node, text: str) -> tuple:
    """Classify sum + const <= 0 (< 0) once: ("bound", i, is_upper, value, strict) for a bound
    on one input X_i, else ("output", coeffs, const, strict) when no input occurs in it."""
    xs = [v for v in coeffs if v[0] == "X"]
    if not xs:
        return ("output", coeffs, const, strict)
    if len(coeffs) != 1:
        _fail("VNNLIB_UNSUPPORTED", node, text, "an atom must bound one input variable, or constrain outputs only")
    (_, i), c = xs[0], coeffs[xs[0]]
    return ("bound", i, c > 0, -const / c, strict)


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
    """Post-order walk with an explicit stack: the value of an s-expression."""
    stack, values = [(root, False)], []
    while stack:
        node, ready = stack.pop()
        if isinstance(node, lark.Token) and node.type == "NUMBER":
            values.append(({}, _number(node)))
        elif isinstance(node, lark.Token) or node.data == "ref":
            values.append(({_var(node, env, text): Fraction(1)}, Fraction(0)))
        elif ready:
            n = len(node.children) - 1
            args = values[len(values) - n:]
            del values[len(values) - n:]
            values.append(_combine(str(node.children[0]), args, node, text))
        else:
            if not node.children or not isinstance(node.children[0], lark.Token) \
                    or node.children[0].type != "SYMBOL" or str(node.children[0]) in env:
                _fail("VNNLIB_SYNTAX", node, text, "expected an operator after '('")
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.children[1:]))
    return values[0]


def _declare(cmd, env: dict, n_inputs: int, n_outputs: int, text: str):
    args = cmd.children[1:]
    if len(args) != 2 or not all(isinstance(a, lark.Token) and a.type == "SYMBOL" for a in args):
        _fail("VNNLIB_SYNTAX", cmd, text, "expected (declare-const <name> Real)")
    name, sort = str(args[0]), str(args[1])
    m = _VAR.fullmatch(name)
    if not m or sort != "Real":
        _fail("VNNLIB_UNSUPPORTED", cmd, text, "only Real variables named X_<i> and Y_<j> are supported")
    if name in env:
        _fail("VNNLIB_DUPLICATE", cmd, text, f"{name} is declared twice")
    kind, index = m.group(1), int(m.group(2))
    if index >= (n_inputs if kind == "X" else n_outputs):
        _fail("VNNLIB_VAR_RANGE", cmd, text, f"the network has {n_inputs} inputs and {n_outputs} outputs")
    env[name] = (kind, (), index)  # as (kind, shape, offset) of _header, shape () for a scalar


def _head(cmd) -> str:
    ok = isinstance(cmd, lark.Tree) and cmd.data == "list" and cmd.children
    return str(cmd.children[0]) if ok and isinstance(cmd.children[0], lark.Token) else ""


def _squeezed(shape) -> tuple:
    """A shape without its leading unit dimensions (the batch dimension of (1, 5) is not part of X);
    a scalar is (1,)."""
    shape = tuple(shape) or (1,)
    while shape[:1] == (1,) and len(shape) > 1:
        shape = shape[1:]
    return shape


def _header(cmds: list, shapes: tuple | None, text: str) -> tuple:
    """VNN-LIB 2: (vnnlib-version <2.x>) (declare-network N (declare-input X real [..]) (declare-output Y
    real [..])) -> "2", env {X: ("X", shape, 0), Y: ...}, other commands. VNN-LIB 1: "1", {}, cmds.
    A declared shape must be the network's, up to leading unit dimensions ([5] for (1, 5); not [3, 2]
    for (1, 2, 3)); `shapes` None: no network to compare with (a property built directly)."""
    if _head(cmds[0] if cmds else None) != "vnnlib-version":
        return "1", {}, cmds
    if len(cmds[0].children) != 2 or not re.fullmatch(r"<2\.(0|[1-9][0-9]*)>", str(cmds[0].children[1])):
        _fail("VNNLIB_UNSUPPORTED", cmds[0], text, f"supported VNN-LIB versions: {SUPPORTED_VERSIONS}, 2 as <2.x>")
    net = cmds[min(1, len(cmds) - 1)]
    decls, env = net.children[2:] if _head(net) == "declare-network" else [], {}
    bad = [d for d, h in zip(decls, ("declare-input", "declare-output")) if _head(d) != h] + decls[2:] + [net]
    if bad[0] is not net or len(decls) != 2:
        _fail("VNNLIB_UNSUPPORTED", bad[0], text, "VNN-LIB 2: only one network, declared first, with one "
              "declare-input and one declare-output (no equal-to, isomorphic-to, declare-hidden) is supported")
    for d, kind, size in zip(decls, "XY", shapes or (None, None)):
        ref = d.children[2] if len(d.children) == 3 else d
        if getattr(ref, "data", "") != "ref" or str(ref.children[0]) not in ("real", "Real"):
            _fail("VNNLIB_UNSUPPORTED", d, text, f"only ({_head(d)} <name> real [<dims>]) is supported, not "
                  "options or other element types (float32 etc.: floating-point semantics)")
        shape = tuple(int(v) for v in re.findall(r"[0-9]+", ref.children[1]))
        if size is not None and _squeezed(shape) != _squeezed(size):
            _fail("VNNLIB_SHAPE", d, text, f"shape {list(shape)}, but the network's is {list(size)}")
        env[str(d.children[1])] = (kind, shape, 0)
    names = [str(net.children[1]), *env]
    if len(set(names)) != 3 or not all(re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", n) for n in names) \
            or {"and", "or", "assert"} & set(names):
        _fail("VNNLIB_SYNTAX", net, text, "the network, input and output need distinct names [A-Za-z][A-Za-z0-9_]*")
    return "2", env, cmds[2:]


def _var(node, env: dict, text: str) -> tuple:
    """(kind, index) of X_i / Y_j (VNN-LIB 1) or of VNN-LIB 2's X[i,j,..] (scalar: X): C-order index."""
    name, idx = (node, None) if isinstance(node, lark.Token) else node.children
    if str(name) not in env:
        _fail("VNNLIB_UNDECLARED", node, text, "undeclared or unsupported symbol")
    (kind, shape, flat), ix = env[str(name)], [int(v) for v in re.findall(r"[0-9]+", idx or "")]
    if len(ix) != len(shape) or (idx is not None and not ix) or any(i >= n for i, n in zip(ix, shape)):
        _fail("VNNLIB_VAR_RANGE", node, text, f"{name} has shape {list(shape)}: give one in-range index per dimension")
    for i, n in zip(ix, shape):
        flat = flat * n + i
    return kind, flat


def _disjunct(atoms: tuple, n_inputs: int, n_outputs: int, index: int) -> Disjunct:
    """Bounds on one input form the box (tightest wins, on a tie strict wins); the
    output atoms become OutputConstraints in their order."""
    lo, hi = [None] * n_inputs, [None] * n_inputs  # (value, strict)
    constraints = []
    for atom in atoms:
        if atom[0] == "output":
            _, coeffs, const, strict = atom
            row = tuple(coeffs.get(("Y", j), Fraction(0)) for j in range(n_outputs))
            constraints.append(OutputConstraint(row, const, strict))
            continue
        _, i, upper, bound, strict = atom
        side = hi if upper else lo
        old = side[i]
        if old is None or (bound < old[0] if upper else bound > old[0]) or (bound == old[0] and strict):
            side[i] = (bound, strict)
    for i, (side, what) in itertools.product(range(n_inputs), ((lo, "lower"), (hi, "upper"))):
        if side[i] is None:
            raise InputError("VNNLIB_UNBOUNDED_INPUT", f"X_{i} has no {what} bound in disjunct {index}")
    return Disjunct(tuple(v for v, _ in lo), tuple(v for v, _ in hi), tuple(s for _, s in lo),
                    tuple(s for _, s in hi), tuple(constraints))


def load_property(path, inputs, outputs) -> Property:
    """Parse and normalise a VNN-LIB 1 or 2 file for a network with the given input/output shapes
    (tuples; an int n stands for the flat shape (n,))."""
    shapes = tuple((v,) if isinstance(v, int) else tuple(v) for v in (inputs, outputs))
    n_inputs, n_outputs = (math.prod(v) for v in shapes)
    data, text = _read(path)
    (version, env, cmds), asserts = _header(_parse(text).children, shapes, text), []
    for cmd in cmds:
        if not (head := _head(cmd)):
            _fail("VNNLIB_SYNTAX", cmd, text, "expected a command (declare-const ...) or (assert ...)")
        if head == "declare-const" and version == "1":
            _declare(cmd, env, n_inputs, n_outputs, text)
        elif head == "assert" and len(cmd.children) == 2:
            formula = _evaluate(cmd.children[1], env, text)
            if not isinstance(formula, list):
                _fail("VNNLIB_SYNTAX", cmd, text, "assert needs a formula, not a term")
            asserts.append(formula)
        else:
            _fail("VNNLIB_UNSUPPORTED", cmd, text, f"command '{head}' is not supported in VNN-LIB {version} "
                  "(VNN-LIB 1: declare-const, assert with one formula; VNN-LIB 2: (vnnlib-version <2.x>), "
                  "one declare-network, then assert with one formula)")
    disjuncts = tuple(_disjunct(atoms, n_inputs, n_outputs, d)
                      for d, atoms in enumerate(_join("and", asserts, "the conjunction of all asserts")))
    return Property(n_inputs, n_outputs, disjuncts, hashlib.sha256(data).hexdigest(), version, shapes)


def _z3_num(q: Fraction) -> str:
    body = f"(/ {abs(q.numerator)}.0 {q.denominator}.0)"
    return f"(- {body})" if q < 0 else body


def _z3_text(text: str, prop: Property) -> str:
    """The file as SMT-LIB for z3: numbers z3 cannot read (1e-5, .5, 5., +1) as exact quotients; for
    VNN-LIB 2 the header (re-read by `_header`) as (declare-const X_k Real).., each X[i,j,..] (scalar: X)
    as X_k, k = sum(i * stride) computed here, not by `_var`. Lost independence: z3 reads the assertions
    itself, not the declarations (input or output, shapes, element type) nor the index arithmetic."""
    names, last, out = {}, 0, []
    if prop.version == "2":
        cmds, sizes = _parse(text).children, (prop.n_inputs, prop.n_outputs)
        names = _header(cmds, prop.shapes, text)[1]
        last = cmds[1].meta.end_pos if names else 0  # no names: not VNN-LIB 2, z3 will reject it
        out = [f"(declare-const {k}_{i} Real)\n" for k, n in zip("XY", sizes) for i in range(n)]
    elif not re.search(r"[0-9][eE]|(?<![0-9])\.|\.(?![0-9])|\+", re.sub(r";[^\n]*", "", text)):
        return text  # nothing to rewrite (the common case): skip lexing
    toks = [t for t in _get_parser().lex(text) if t.start_pos >= last] + [lark.Token("END", "")]
    for tok, nxt in zip(toks, toks[1:]):
        if tok.type == "NUMBER" and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", tok):
            out += [text[last:tok.start_pos], _z3_num(Fraction(str(tok)))]
            last = tok.end_pos
        elif tok in names:
            ix, (kind, shape, _) = [int(v) for v in re.findall(r"[0-9]+", nxt) if nxt.type == "INDEX"], names[tok]
            out += [text[last:tok.start_pos], f"{kind}_{sum(i * math.prod(shape[k + 1:]) for k, i in enumerate(ix))}"]
            last = (nxt if ix else tok).end_pos
    return "".join(out) + text[last:]


def _our_text(prop: Property) -> str:
    """Our reading as SMT-LIB: (or over disjuncts of (and box constraints))."""
    lines = [f"(declare-const {k}_{i} Real)" for k, n in zip("XY", (prop.n_inputs, prop.n_outputs)) for i in range(n)]
    cases = []
    for d in prop.disjuncts:
        atoms = [f"({'>' if s else '>='} X_{i} {_z3_num(q)})" for i, (q, s) in enumerate(zip(d.lower, d.lower_strict))]
        atoms += [f"({'<' if s else '<='} X_{i} {_z3_num(q)})" for i, (q, s) in enumerate(zip(d.upper, d.upper_strict))]
        for g in d.constraints:
            terms = " ".join(f"(* {_z3_num(c)} Y_{j})" for j, c in enumerate(g.coeffs) if c)
            atoms.append(f"({'<' if g.strict else '<='} (+ {terms} {_z3_num(g.const)} 0.0) 0.0)")
        cases.append(f"(and true {' '.join(atoms)})")
    return "\n".join(lines + [f"(assert (or false {' '.join(cases)}))"])


def cross_check_with_z3(path, prop: Property, timeout_s: float = 10.0) -> None:
    """Prove with z3 (exact linear real arithmetic) that z3's SMT-LIB reading of the file and our
    disjuncts are the same set of (X, Y), else raise InputError. Both sides are handed to z3 as SMT-LIB
    text (fast to build, see `_z3_text`); X_i/Y_j name the same z3 constants in both."""
    import z3

    _, text = _read(path)
    _check_depth(text)
    ctx = z3.Context()
    try:
        theirs = z3.And(*z3.parse_smt2_string(_z3_text(text, prop), ctx=ctx), ctx)
    except z3.Z3Exception as e:
        raise InputError("VNNLIB_Z3_PARSE", f"z3 cannot parse {path}: {e}") from None
    ours = z3.And(*z3.parse_smt2_string(_our_text(prop), ctx=ctx), ctx)
    solver = z3.Solver(ctx=ctx)
    solver.set("timeout", max(1, int(timeout_s * 1000)))
    solver.add(theirs != ours)
    result = solver.check()
    if result == z3.sat:
        raise InputError("VNNLIB_Z3_MISMATCH", f"z3 reads {path} differently from the checker")
    if result != z3.unsat:
        raise InputError("VNNLIB_Z3_UNKNOWN", f"z3 could not decide the cross-check of {path}: "
                         f"{solver.reason_unknown()}")
