"""Command line: `apothem verify | inspect | certify | audit | supports` (README, "Commands").

`apothem verify`, stdout, first line: `sat`, `unsat`, `unknown` or `timed-out` (VNN-LIB 2
convention), whatever happened once the command line is understood (a usage error prints only
on stderr, as argparse does); after `sat` the counterexample (`_assignment`): for a VNN-LIB 1
query VNN-COMP's `((X_0 v) ... (Y_0 v) ...)`, for a VNN-LIB 2 query the VNN-LIB 2 standard's
command-line assignment format; inputs as exact decimals (they are dyadic), outputs as the nearest
float64 (repr).
Diagnostics go to stderr as one line `apothem: error: CODE: message` (or `apothem: warning:
...`). Never a traceback unless APOTHEM_DEBUG is set.

Exit status, one convention for every subcommand (prover/usage.py; the codes the two tools share
mean the same in `apothem-check`: 4 unreadable input, 5 out of memory, 64 usage, 70 internal,
73 output, 130 interrupted, 141 closed stdout):
"""
from __future__ import annotations

import argparse
import errno
import json
import os
import sys
import time
from importlib.metadata import PackageNotFoundError, version

from apothem_check import cli as checker_cli
from apothem_check.errors import InputError
from proof_format.numbers import exact_decimal

from .api import load_query
from .certify.cli import add_subcommands
from .scale.cli import add_subcommand as add_batch_subcommand
from .certify.inputs import CertifyError
from .outfile import Interrupted, OutputError, check_target, install_signal_handlers, restore_signal_handlers
from .runtime_note import RuntimeView, runtime_note
from .semantics import DEFAULT_SEMANTICS, SEMANTICS
from .semantics import HELP as SEMANTICS_HELP
from .tree import Settings
from .usage import EPILOG, EXIT, Parser, UsageError, positive_int, seconds
from .verify import empty_boxes, verify
from .watchdog import Overran, run_bounded

__doc__ += "".join(f"\n    {code:3d}  {meaning}" for code, meaning in EXIT.values()) + "\n"

# the rules the prover writes: every rule of the checker's (tests/test_layout.py)
PROOF_RULES = ["root", "split input", "split relu", "bounds layer", "close linear", "witness", "sat", "unsat"]


def _version() -> str:
    try:
        return f"apothem {version('apothem')} (apothem-check {version('apothem-check')})"
    except PackageNotFoundError:  # run from a source tree without installing
        return "apothem (not installed: version unknown)"


def parser() -> argparse.ArgumentParser:
    p = Parser(prog="apothem", description="Proof-producing robustness verifier for ReLU networks. Every "
               "proof and bundle it writes is checked by the independent `apothem-check`.",
               epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--version", action="version", version=_version())
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    v = sub.add_parser("verify", help="decide a VNN-LIB query", epilog=EPILOG,
                       description="Decide a VNN-LIB query. stdout, first line: sat, unsat, unknown or "
                       "timed-out; after sat the counterexample: for a VNN-LIB 1 query ((X_0 v) ... (Y_0 v) ...), "
                       "for a VNN-LIB 2 query each declared variable as '<name> <type> [<dims>]' followed by its "
                       "values, one a line, in row-major order.",
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    v.add_argument("query", help="VNN-LIB 1 or 2 query file")
    _network_option(v, many=True)
    out = v.add_mutually_exclusive_group()
    out.add_argument("--proof", metavar="FILE", help="write the proof here, atomically, once the checker's kernel "
                     "has replayed every step (default: no proof file; the proof is still replayed)")
    out.add_argument("--no-proof", action="store_true",
                     help="timing only: no proof and no exact replay; an unsat is then a float claim, flagged "
                          "on stderr (default: off)")
    v.add_argument("--timeout", type=seconds, default=None, metavar="S",
                   help="wall-clock limit in seconds, > 0 (default: no limit)")
    v.add_argument("--progress", action="store_true",
                   help="progress on stderr: redrawn in place on a terminal, a line every 10 s otherwise "
                        "(default: off)")
    v.add_argument("--semantics", choices=SEMANTICS, default=DEFAULT_SEMANTICS, help=SEMANTICS_HELP)
    v.add_argument("--stats", action="store_true", help="search statistics as one JSON line on stderr (default: off)")
    v.add_argument("--jobs", type=positive_int, default=None, metavar="N",
                   help=f"processes for the exact replay of the proof (default: the usable CPUs, here "
                        f"{len(os.sched_getaffinity(0))})")
    v.set_defaults(handler=_verify)
    i = sub.add_parser("inspect", help="read a network and a query as verify would, and say whether Apothem "
                       "takes them (exit 0) or why not (exit 4)")
    i.add_argument("query", help="VNN-LIB 1 or 2 query file")
    _network_option(i, many=True)
    i.set_defaults(handler=_inspect)
    s = sub.add_parser("supports", help="list supported features")
    g = s.add_mutually_exclusive_group(required=True)
    for what, text in (("proof-rules", "proof rules the prover writes"),
                       ("onnx-operators", "ONNX operators the network reader takes"),
                       ("vnnlib-versions", "VNN-LIB versions the query reader takes"),
                       ("onnx-element-types", "semantics of the network's numbers")):
        g.add_argument(f"--{what}", action="store_const", const=what, dest="what", help=text)
    s.set_defaults(handler=_supports)
    add_subcommands(sub)  # certify, audit
    add_batch_subcommand(sub)  # batch
    return p


def _network_option(p, many: bool = False) -> None:
    p.add_argument("--network", required=True, action="append" if many else "store", metavar="[NAME=]MODEL.onnx",
                   help="the ONNX network (VNN-LIB 2 style NAME= prefix allowed; exactly one)")


# the semantics the prover proves: every one the checker checks (tests/test_layout.py)
ELEMENT_TYPES = ["real", "float32"]


def _supports(args) -> int:
    """What the prover reads is what its checker reads (the checker must accept the proof):
    operators and VNN-LIB versions are the checker's own answer; proof rules and element types
    are what the prover writes."""
    if args.what in ("proof-rules", "onnx-element-types"):
        print("\n".join(PROOF_RULES if args.what == "proof-rules" else ELEMENT_TYPES))
        return 0
    return checker_cli.main(["supports", f"--{args.what}"])


def _one_network(args) -> str:
    if len(args.network) != 1:
        raise UsageError("exactly one --network is supported")
    return args.network[0]


def _inspect(args) -> int:
    net, prop = load_query(args.query, _one_network(args))
    relus = sum(1 for layer in net.layers if layer.relu)
    print(f"network: {net.n_inputs} inputs, {net.n_outputs} outputs, {len(net.layers)} affine layers "
          f"({relus} with ReLU); query: VNN-LIB {prop.version}, {len(prop.disjuncts)} disjunct(s)")
    for w in empty_boxes(prop):
        sys.stderr.write(f"apothem: warning: empty input box: {w}\n")
    return 0


def _assignment(prop, inputs, outputs) -> list[str]:
    """The lines after `sat`. VNN-LIB 2 (vnnlib.org, the standard's "command-line assignment
    format"): each declared variable in declaration order (the input, then the output) as
    `<name> <element type> [<dims>]` as declared, then its values one a line, row-major. VNN-LIB 1:
    the VNN-COMP result form ((X_0 v) ... (Y_0 v) ...), which competition harnesses parse."""
    xs, ys = [exact_decimal(v) for v in inputs], [repr(float(v)) for v in outputs]
    if not prop.declared:
        return ["(" + "\n ".join([f"(X_{i} {v})" for i, v in enumerate(xs)] +
                                 [f"(Y_{j} {v})" for j, v in enumerate(ys)]) + ")"]
    lines = []
    for (name, element, shape), values in zip(prop.declared, (xs, ys)):
        lines += [f"{name} {element} [{','.join(map(str, shape))}]", *values]
    return lines


def _verify(args) -> int:
    spec = _one_network(args)
    if args.proof is not None:
        check_target(args.proof, "proof file")  # before the search: a run must not end in "cannot write"
    def decide(seconds: float | None):
        """Read and decide the query within `seconds` (None: no limit) of this call."""
        started = time.monotonic()
        network, prop = load_query(args.query, spec, args.semantics)
        settings = Settings(jobs=args.jobs or len(os.sched_getaffinity(0)))
        left = None if seconds is None else seconds - (time.monotonic() - started)
        out = verify(network, prop, args.proof, left, args.progress, proof=not args.no_proof, settings=settings)
        return prop, out, RuntimeView(network.source, network.input_shape)

    if args.timeout is None:
        prop, out, view = decide(None)
    else:  # the whole command, set-up included, within --timeout, even through one long exact step
        try:
            prop, out, view = run_bounded(decide, args.timeout - (time.monotonic() - args.started), [args.proof])
        except Overran as err:
            print("timed-out")
            sys.stderr.write(f"apothem: timed-out: {err} (no proof written)\n")
            return 0
    print(out.verdict)
    if out.verdict == "sat":
        print("\n".join(_assignment(prop, out.inputs, out.outputs)))
        sys.stderr.write(f"apothem: note: {runtime_note(view, prop, out.inputs)}\n")
    for w in out.warnings:
        sys.stderr.write(f"apothem: warning: {w}\n")
    if out.reason:
        sys.stderr.write(f"apothem: {out.verdict}: {out.reason}\n")
    if args.no_proof and out.verdict == "unsat":
        sys.stderr.write("apothem: --no-proof: this unsat comes from the float search only; it is NOT proven\n")
    if args.stats:
        sys.stderr.write(json.dumps(out.stats) + "\n")
    return 0


# errno values of a write that failed for want of room or a working device (stdout on /dev/full,
# a full disk under a proof): an output error, not a bug
WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EFBIG, errno.EROFS}


def _drop_stdout() -> None:
    """Point stdout at /dev/null, so that nothing more fails there (at exit Python flushes what
    is still buffered, which would raise again, with a traceback)."""
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def main(argv=None) -> int:
    """Run one command; every failure becomes one stderr line and an exit status from EXIT.
    `verify` prints `unknown` first when it cannot answer, so that its first stdout line is
    always one of the four answers."""
    started = time.monotonic()
    try:
        args = parser().parse_args(argv)
    except OSError as err:  # --help or --version on an unwritable stdout (Parser._print_message)
        _drop_stdout()
        sys.stderr.write(f"apothem: error: OUTPUT: cannot write: {err.strerror}\n")
        return EXIT["pipe" if isinstance(err, BrokenPipeError) else "output"][0]
    args.started = started
    answer_line = args.command == "verify"

    def fail(kind: str, message: str) -> int:
        if answer_line:
            try:
                print("unknown", flush=True)
            except OSError:  # stdout itself is what failed
                _drop_stdout()
        sys.stderr.write(f"apothem: {message}\n")
        return EXIT[kind][0]

    previous = install_signal_handlers()
    try:
        code = args.handler(args)
        sys.stdout.flush()  # a reader gone early shows here, not as an error at exit
        return code
    except UsageError as err:
        return fail("usage", f"error: USAGE: {err}")
    except InputError as err:  # a graph float32 folding refuses: say what proves it
        hint = "; --semantics real proves the real-valued graph" if err.code == "ONNX_FLOAT32" else ""
        return fail("input", f"error: {err.code}: {err.message}{hint}")
    except CertifyError as err:
        return fail("input", f"error: INPUT: {err}")
    except OutputError as err:
        return fail("output", f"error: OUTPUT: {err}")
    except Interrupted as err:
        fail("signal", f"{err}; temporary files removed")
        return err.exit_code
    except KeyboardInterrupt:  # SIGINT where no handler could be installed (main() outside the main thread)
        fail("signal", "interrupted")
        return 128 + 2
    except BrokenPipeError:  # the reader closed stdout (`| head -1`): nothing left to say
        _drop_stdout()
        return EXIT["pipe"][0]
    except MemoryError:
        return fail("memory", "error: out of memory")
    except OSError as err:
        if err.errno not in WRITE_ERRORS:
            return fail("internal", f"internal error: {type(err).__name__}: {err}")
        _drop_stdout()  # stdout may be the file that failed: print nothing more there
        return fail("output", f"error: OUTPUT: cannot write: {err.strerror}")
    except Exception as err:  # never a traceback for users
        if os.environ.get("APOTHEM_DEBUG"):
            raise
        return fail("internal", f"internal error: {type(err).__name__}: {err}")
    finally:
        restore_signal_handlers(previous)  # main() called in-process (tests, embedding) leaves no trace


if __name__ == "__main__":  # run the module under its own name: its exception classes are the ones raised
    from prover import cli
    sys.exit(cli.main())
