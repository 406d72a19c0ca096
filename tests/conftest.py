"""Set-up for the tests outside the checker's own suite.

- `import prover` pins BLAS to one thread (prover/__init__.py) before any test module loads
  numpy: on a shared 2-core machine threaded BLAS made single tests 4x slower.
- The checker's test helpers (checker/tests/helpers.py: golden files, proof texts, outcomes) are
  importable as `helpers`: the tests here that need both them and the prover's writer
  (proof_format) live outside checker/tests, which must run with the checker alone.
- `own_tmp`: a system temporary folder of the test's own, to see what a run leaves behind.
"""
import sys
import tempfile
from pathlib import Path

import pytest

import prover  # noqa: F401  (BLAS pinning, see above)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "checker" / "tests"))


@pytest.fixture
def own_tmp(tmp_path, monkeypatch) -> Path:
    """A system temporary folder of the test's own (TMPDIR, which forked and spawned workers
    inherit), so that what a run or a killed worker left there can be seen."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setenv("TMPDIR", str(folder))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    return folder
