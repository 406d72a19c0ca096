"""The checker stands alone: no module under checker/ (package or tests) imports the prover side.

Read from the source (nothing is installed or imported), so it also covers imports inside
functions, which a run of the suite reaches only when that code runs.
"""
from __future__ import annotations

import ast
from pathlib import Path

CHECKER = Path(__file__).resolve().parent.parent
PROVER_SIDE = {"prover", "proof_format"}


def _imported(source: str) -> set[str]:
    """The top-level packages a module's source imports (relative imports stay inside)."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_no_checker_module_imports_the_prover_side():
    files = sorted(CHECKER.rglob("*.py"))
    assert len(files) > 20 and CHECKER / "apothem_check" / "kernel.py" in files
    offenders = {str(p.relative_to(CHECKER)): sorted(_imported(p.read_text()) & PROVER_SIDE) for p in files}
    assert {p: m for p, m in offenders.items() if m} == {}


def test_the_scan_sees_imports_inside_functions():
    """The scan itself can fail: it finds both forms of import, at any depth."""
    source = "def f():\n    import prover.search\n    if 1:\n        from proof_format.writer import ProofWriter\n"
    assert _imported(source) == PROVER_SIDE
    assert _imported("from . import steps\nfrom .exact import ints\n") == set()
