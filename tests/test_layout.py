"""The project's shape, read from its source: no import cycle, no prover module over 300 lines,
the prover touching only the kernel Session's interface, and one answer to `supports`.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from apothem_check.cli import main as checker_main
from prover.cli import main as prover_main

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"prover": ROOT / "prover", "proof_format": ROOT / "proof_format",
            "apothem_check": ROOT / "checker" / "apothem_check"}
MAX_LINES = 300
# Session's interface (checker/apothem_check/kernel.py, the class docstring)
SESSION_INTERFACE = {"apply", "open", "verdict", "last_id"}


def _modules() -> dict[str, Path]:
    out = {}
    for top, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            parts = [top, *path.relative_to(folder).with_suffix("").parts]
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `name` imports, anywhere in it (inside functions too)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            targets = [base] + [f"{base}.{a.name}" for a in node.names]  # `from . import steps`
        else:
            continue
        found.update(t for t in targets if t in known)
    return found - {name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycle():
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert graph["prover.verify"] >= {"prover.search", "prover.emit", "prover.replay"}  # the scan sees imports
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_prover_module_over_300_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines())
             for top in ("prover", "proof_format") for p in PACKAGES[top].rglob("*.py")}
    assert len(sizes) > 20
    assert {p: n for p, n in sizes.items() if n > MAX_LINES} == {}


def _session_attributes(source: str) -> set[str]:
    """Attributes read or set on anything called `session` (`x.session.a`, `session.a`)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute):
            inner = node.value
            owner = inner.attr if isinstance(inner, ast.Attribute) else getattr(inner, "id", None)
            if owner in ("session", "_session"):
                names.add(node.attr)
    return names


def test_the_prover_uses_only_the_session_interface():
    used = set()
    for top in ("prover", "proof_format"):
        for path in PACKAGES[top].rglob("*.py"):
            used |= _session_attributes(path.read_text())
    assert used >= {"apply", "open", "last_id"}
    assert used <= SESSION_INTERFACE, sorted(used - SESSION_INTERFACE)
    assert _session_attributes("self.log.session.open[3]\nsession.last_id = 4") == {"open", "last_id"}


def _supports(main, what: str, capsys) -> list[str]:
    assert main(["supports", f"--{what}"]) == 0
    return capsys.readouterr().out.split("\n")[:-1]


@pytest.mark.parametrize("what", ["onnx-operators", "vnnlib-versions"])
def test_both_supports_commands_agree(capsys, what):
    assert _supports(prover_main, what, capsys) == _supports(checker_main, what, capsys) != []


def test_the_prover_proves_the_semantics_the_checker_checks(capsys):
    """Every semantics the prover writes is one the checker checks, and the prover writes both
    (issue 19: `verify --semantics float32|real`)."""
    prover, checker = (_supports(m, "onnx-element-types", capsys) for m in (prover_main, checker_main))
    assert set(prover) == set(checker) == {"real", "float32"}


def test_the_prover_writes_every_rule(capsys):
    assert _supports(prover_main, "proof-rules", capsys) == _supports(checker_main, "proof-rules", capsys)
