"""`apothem certify` and `apothem audit`: their arguments (wired into prover/cli.py by
`add_subcommands`); the commands themselves are certify/commands.py.

    apothem certify --network MODEL.onnx (--input FILE | --inputs DIR) [--label C]
        [--domain LO HI] [--grid G] [--out BUNDLE|DIR] [--maximal] [--dual] [--timeout S]
        [--workers N] [--cluster ADDRESS|local] [--tries N] [--csv FILE] [--report DIR] [--no-check]
    apothem audit --network MODEL.onnx --claims FILE [--out DIR] [--csv FILE] [--timeout S]

Robust means the predicted class is strictly greater than every other output, exactly (margin 0).
Errors are raised (UsageError, InputError, CertifyError, OutputError) and turned into one stderr
line and the exit status by prover/cli.py's `main`, the same for every subcommand. Every output
target is checked before the first input is read.
"""
from __future__ import annotations

import argparse
from fractions import Fraction

from ..scale.cli import add_engine_options
from ..semantics import DEFAULT_SEMANTICS, SEMANTICS
from ..semantics import HELP as SEMANTICS_HELP
from ..usage import EPILOG, exact_number, positive_int, seconds

# The commands themselves (certify/commands.py) are imported when one runs: the certification
# stack (bundles, the checker's certification module, batch workers, reports) costs ~80 ms at
# start-up, 3% of an ACAS Xu `apothem verify`, which needs none of it.


def add_subcommands(sub) -> None:
    kw = {"epilog": EPILOG, "formatter_class": argparse.RawDescriptionHelpFormatter}
    c = sub.add_parser("certify", help="apothem-optimal / maximal-box robustness certification with a bundle",
                       description="Certify inputs: the largest grid ball around each input that the network "
                       "classifies robustly, proven, in a bundle that `apothem-check certification` replays.", **kw)
    c.add_argument("--network", required=True, metavar="MODEL.onnx", help="the ONNX network")
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--input", metavar="FILE", help="one input file (numbers separated by spaces, commas or "
                   "newlines, e.g. a 28x28 CSV of k/255 values)")
    g.add_argument("--inputs", metavar="DIR", help="a folder of input files (*.csv), certified as a batch")
    c.add_argument("--label", type=int, default=None, metavar="C",
                   help="the class to certify; must equal the network's exact prediction at the input, which "
                        "is refused otherwise (default: the prediction)")
    c.add_argument("--domain", nargs=2, type=exact_number, default=[Fraction(0), Fraction(1)], metavar=("LO", "HI"),
                   help="the input domain, exact numbers, LO < HI (default: 0 1)")
    c.add_argument("--grid", type=positive_int, default=255, metavar="G",
                   help="radii are multiples of (HI-LO)/G (default: 255)")
    c.add_argument("--out", default=None, metavar="PATH",
                   help="bundle file (--input; default: INPUT-STEM.bundle here) or folder (--inputs; default: "
                        "certify-out)")
    c.add_argument("--maximal", action="store_true", help="also a maximal robust box (default: off)")
    c.add_argument("--maximal-budget", type=seconds, default=110.0, metavar="S",
                   help="seconds per input for the maximal box (default: 110)")
    c.add_argument("--dual", action="store_true", help="also the dual box / ball certifications (default: off)")
    c.add_argument("--timeout", type=seconds, default=30.0, metavar="S", help="seconds per verifier call (default: 30)")
    c.add_argument("--semantics", choices=SEMANTICS, default=DEFAULT_SEMANTICS, help=SEMANTICS_HELP + "; the bundle "
                   "records it")
    c.add_argument("--workers", type=positive_int, default=1, metavar="N",
                   help="worker processes for --inputs (local pool, or the throw-away cluster of --cluster "
                        "local; default: 1)")
    add_engine_options(c)
    c.add_argument("--csv", default=None, metavar="FILE",
                   help="per-input CSV of a batch (default: OUT/certify.csv)")
    c.add_argument("--report", default=None, metavar="DIR",
                   help="folder for the HTML report and figures of a batch (default: none)")
    c.add_argument("--no-check", action="store_true",
                   help="skip the in-process bundle check (default: each bundle is checked)")
    c.add_argument("--exact-input", action="store_true",
                   help="do not snap input values to the grid (default: snap values within 1e-9 of it)")
    c.set_defaults(handler=_run("run_certify"))
    a = sub.add_parser("audit", help="prove or refute robustness boxes claimed by another tool",
                       description="Audit robustness claims: each claimed box is proven (proof + query "
                       "for `apothem-check check`), refuted (witness proof + query, same check) or left "
                       "unknown.", **kw)
    a.add_argument("--network", required=True, metavar="MODEL.onnx", help="the ONNX network")
    a.add_argument("--claims", required=True, metavar="FILE",
                   help="CSV with header: input, optional id and label, and either radius (optional centre "
                        "file; box = B_inf(centre, radius) within the domain) or lower and upper files; paths "
                        "relative to the claims file; numbers exact (e.g. 2/255). JSON list of such objects also works")
    a.add_argument("--out", default="audit-out", metavar="DIR",
                   help="folder for proofs and queries (default: audit-out)")
    a.add_argument("--csv", default=None, metavar="FILE", help="per-claim CSV (default: OUT/audit.csv)")
    a.add_argument("--domain", nargs=2, type=exact_number, default=[Fraction(0), Fraction(1)], metavar=("LO", "HI"),
                   help="the input domain, exact numbers, LO < HI (default: 0 1)")
    a.add_argument("--grid", type=positive_int, default=255, metavar="G",
                   help="input values are snapped to LO + k (HI-LO)/G (default: 255)")
    a.add_argument("--timeout", type=seconds, default=60.0, metavar="S", help="seconds per claim (default: 60)")
    a.add_argument("--semantics", choices=SEMANTICS, default=DEFAULT_SEMANTICS, help=SEMANTICS_HELP)
    a.set_defaults(handler=_run("run_audit"))


def _run(name: str):
    """The handler of a command: `name` in certify/commands.py, imported when it runs."""
    def handler(args) -> int:
        from . import commands
        return getattr(commands, name)(args)
    return handler
