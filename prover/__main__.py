"""`python -m prover ...` is `apothem ...`."""
import sys

from .cli import main

sys.exit(main())
