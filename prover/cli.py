"""Command line: `apothem verify QUERY --network [NAME=]MODEL.onnx [--proof OUT] [--timeout S]
[--progress] [--no-proof]` and `apothem supports --proof-rules|--onnx-operators|...`.

stdout, first line: `sat`, `unsat`, `unknown` or `timed-out`; after `sat` the counterexample
`((X_0 v) ... (Y_0 v) ...)`: inputs as exact decimals (they are dyadic), outputs as the
nearest float64 (repr). Exit status 0 for any of these answers.
Bad input (unreadable network or property, unsupported operator): stdout `error`, one line
`apothem: error: CODE: message` on stderr, exit status 2. An internal failure: stdout
`unknown`, one line on stderr, exit status 3. Never a traceback unless APOTHEM_DEBUG is set.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from apothem_check import cli as checker_cli
from apothem_check.errors import InputError
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from proof_format.numbers import exact_decimal

from .certify.cli import add_subcommands
from .tree import Settings
from .verify import verify

# the rules the prover writes: every rule of the checker's but `hole` (tests/test_layout.py)
PROOF_RULES = ["root", "split input", "split relu", "bounds interval", "bounds crown", "bounds layer",
               "close linear", "close z3", "witness", "sat", "unsat"]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="apothem", description="proof-producing verifier for ReLU networks")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify", help="decide a VNN-LIB query")
    v.add_argument("query")
    v.add_argument("--network", required=True, action="append", help="[NAME=]MODEL.onnx")
    v.add_argument("--proof", help="write the proof here (written atomically at the end)")
    v.add_argument("--timeout", type=float, default=None, help="seconds")
    v.add_argument("--progress", action="store_true", help="live progress line on stderr")
    v.add_argument("--no-proof", action="store_true",
                   help="timing only: no proof and no exact re-verification; an unsat is then a float "
                        "claim, flagged on stderr")
    v.add_argument("--stats", action="store_true", help="print search statistics (JSON) on stderr")
    v.add_argument("--jobs", type=int, default=len(os.sched_getaffinity(0)),
                   help="processes for the exact replay of the proof (default: usable CPUs)")
    s = sub.add_parser("supports", help="list supported features")
    g = s.add_mutually_exclusive_group(required=True)
    for what in ("proof-rules", "onnx-operators", "vnnlib-versions", "onnx-element-types"):
        g.add_argument(f"--{what}", action="store_const", const=what, dest="what")
    add_subcommands(sub)  # certify, audit
    return p


def _supports(args) -> int:
    """What the prover reads is what its checker reads: everything but the proof rules is the
    checker's own answer."""
    if args.what == "proof-rules":
        print("\n".join(PROOF_RULES))
        return 0
    return checker_cli.main(["supports", f"--{args.what}"])


def _verify(args) -> int:
    try:
        if len(args.network) != 1:
            raise InputError("NETWORK", "exactly one --network is supported")
        network = load_network(checker_cli.network_path(args.network[0]))
        prop = load_property(args.query, network.input_shape, network.output_shape)
    except InputError as err:
        print("error")
        sys.stderr.write(f"apothem: error: {err.code}: {err.message}\n")
        return 2
    except OSError as err:
        print("error")
        sys.stderr.write(f"apothem: error: IO: {err}\n")
        return 2
    out = verify(network, prop, None if args.no_proof else args.proof, args.timeout, args.progress,
                 proof=not args.no_proof, settings=Settings(jobs=max(1, args.jobs)))
    print(out.verdict)
    if out.verdict == "sat":
        parts = [f"(X_{i} {exact_decimal(v)})" for i, v in enumerate(out.inputs)]
        parts += [f"(Y_{j} {float(v)!r})" for j, v in enumerate(out.outputs)]
        print("(" + "\n ".join(parts) + ")")
    if out.reason:
        sys.stderr.write(f"apothem: {out.verdict}: {out.reason}\n")
    if args.no_proof and out.verdict == "unsat":
        sys.stderr.write("apothem: --no-proof: this unsat comes from the float search only; it is NOT proven\n")
    if args.stats:
        sys.stderr.write(json.dumps(out.stats) + "\n")
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "supports":
            code = _supports(args)
        elif hasattr(args, "handler"):
            code = args.handler(args)
        else:
            code = _verify(args)
        sys.stdout.flush()  # a reader gone early shows here, not as an error at exit
        return code
    except KeyboardInterrupt:
        print("unknown")
        return 130
    except BrokenPipeError:  # the reader closed stdout (`| head -1`): nothing left to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no error at exit's flush
        return 141
    except Exception as err:  # never a traceback for users
        if os.environ.get("APOTHEM_DEBUG"):
            raise
        print("unknown")
        sys.stderr.write(f"apothem: internal error: {type(err).__name__}: {err}\n")
        return 3


if __name__ == "__main__":
    sys.exit(main())
