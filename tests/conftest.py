"""Set-up for the tests outside the checker's own suite.

- `import prover` pins BLAS to one thread (prover/__init__.py) before any test module loads
  numpy: on a shared 2-core machine threaded BLAS made single tests 4x slower.
- The checker's test helpers (checker/tests/helpers.py: golden files, proof texts, outcomes) are
  importable as `helpers`: the tests here that need both them and the prover's writer
  (proof_format) live outside checker/tests, which must run with the checker alone.
"""
import sys
from pathlib import Path

import prover  # noqa: F401  (BLAS pinning, see above)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "checker" / "tests"))
