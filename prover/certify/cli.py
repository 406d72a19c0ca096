"""`apothem certify` and `apothem audit` (wired into prover/cli.py by `add_subcommands`).

    apothem certify --network MODEL.onnx (--input FILE | --inputs DIR) [--label C]
        [--domain LO HI] [--grid G] [--out BUNDLE|DIR] [--maximal] [--dual] [--timeout S]
        [--workers N] [--csv FILE] [--report DIR] [--no-check]
    apothem audit --network MODEL.onnx --claims FILE [--out DIR] [--csv FILE] [--timeout S]

Robust means the predicted class is strictly greater than every other output, exactly (margin 0).
"""
from __future__ import annotations

# The commands themselves (certify/commands.py) are imported when one runs: the certification
# stack (bundles, the checker's certification module, batch workers, reports) costs ~80 ms at
# start-up, 3% of an ACAS Xu `apothem verify`, which needs none of it.


def add_subcommands(sub) -> None:
    c = sub.add_parser("certify", help="apothem-optimal / maximal-box robustness certification with a bundle")
    c.add_argument("--network", required=True)
    g = c.add_mutually_exclusive_group(required=True)
    g.add_argument("--input", help="one input file (e.g. 28x28 CSV of k/255 values)")
    g.add_argument("--inputs", help="a directory of input files (*.csv)")
    c.add_argument("--label", type=int, default=None, help="must equal the network's exact prediction (default)")
    c.add_argument("--domain", nargs=2, default=["0", "1"], metavar=("LO", "HI"))
    c.add_argument("--grid", type=int, default=255)
    c.add_argument("--out", default=None, help="bundle file (--input) or directory (--inputs)")
    c.add_argument("--maximal", action="store_true", help="also a maximal robust box")
    c.add_argument("--maximal-budget", type=float, default=110.0, help="seconds per input")
    c.add_argument("--dual", action="store_true", help="also the dual box / ball certifications")
    c.add_argument("--timeout", type=float, default=30.0, help="seconds per verifier call")
    c.add_argument("--workers", type=int, default=1)
    c.add_argument("--csv", default=None, help="per-input CSV (batch)")
    c.add_argument("--report", default=None, help="directory for the HTML report and figures (batch)")
    c.add_argument("--no-check", action="store_true", help="skip the in-process bundle check")
    c.add_argument("--exact-input", action="store_true", help="do not snap input values to the grid")
    c.set_defaults(handler=_run("run_certify"))
    a = sub.add_parser("audit", help="prove or refute robustness boxes claimed by another tool")
    a.add_argument("--network", required=True)
    a.add_argument("--claims", required=True,
                   help="CSV with header: input, optional id and label, and either radius (optional centre "
                        "file; box = B_inf(centre, radius) within the domain) or lower and upper files; paths "
                        "relative to the claims file; numbers exact (e.g. 2/255). JSON list of such objects also works")
    a.add_argument("--out", default="audit-out", help="directory for proofs, queries, counterexamples")
    a.add_argument("--csv", default=None)
    a.add_argument("--domain", nargs=2, default=["0", "1"], metavar=("LO", "HI"))
    a.add_argument("--grid", type=int, default=255)
    a.add_argument("--timeout", type=float, default=60.0)
    a.set_defaults(handler=_run("run_audit"))


def _run(name: str):
    """The handler of a command: `name` in certify/commands.py, imported when it runs."""
    def handler(args) -> int:
        from . import commands
        return getattr(commands, name)(args)
    return handler
