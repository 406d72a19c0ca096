"""What every `apothem` subcommand shares on the command line: the exit-status table, usage
errors, and the argument types that turn a bad value into one (exit 64, the reason first,
before any work). prover/cli.py (verify, inspect, supports) and prover/certify/cli.py (certify,
audit) both build on it.
"""
from __future__ import annotations

import argparse
import math
import sys
from fractions import Fraction

# name -> (code, meaning); the --help epilog and the README table are this table. The codes the
# two tools share mean the same in `apothem-check` (checker/README.md): 4 unreadable input,
# 5 out of memory, 64 usage, 70 internal, 73 output, 130 interrupted, 141 closed stdout.
EXIT = {
    "ok": (0, "an answer was given (verify: sat, unsat, unknown or timed-out; certify/audit/batch: every input done)"),
    "failed": (1, "certify/audit/batch finished, but a bundle was not valid, an answer contradicted expected.csv, "
                  "or a row ended in an error (see stderr, CSV)"),
    "input": (4, "a network, query, input or claims file cannot be read or is not supported"),
    "memory": (5, "out of memory"),
    "usage": (64, "usage error: bad option or value, or options that exclude each other"),
    "internal": (70, "internal error (a bug: please report the stderr line)"),
    "output": (73, "an output file is refused (checked before any work starts), or an output file or stdout "
                   "cannot be written (e.g. the disk is full)"),
    "signal": (128, "128 + N: ended by signal N (130 SIGINT, 143 SIGTERM); no temporary file is left"),
    "pipe": (141, "stdout was closed by its reader"),
}
EPILOG = "exit status:\n" + "\n".join(f"  {c:3d}  {m}" for c, m in EXIT.values())


class UsageError(Exception):
    """A command-line value that parses but makes no sense (e.g. --domain 1 0)."""


class Parser(argparse.ArgumentParser):
    """argparse, with usage errors exiting 64 (sysexits EX_USAGE, as apothem-check does) rather
    than argparse's 2."""

    def error(self, message):
        sys.stderr.write(f"{self.prog}: error: USAGE: {message}\n")  # the reason first, then the usage
        self.print_usage(sys.stderr)
        self.exit(EXIT["usage"][0])

    def _print_message(self, message, file=None):
        """argparse ignores a failed write; on stdout (--help, --version) it must raise, so that
        `apothem --help > /dev/full` exits 73 like any other unwritable stdout, not 0."""
        if message and file is sys.stdout:
            file.write(message)
            file.flush()
        else:
            super()._print_message(message, file)


def seconds(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise argparse.ArgumentTypeError(f"must be a positive finite number of seconds, not {text!r} "
                                         "(leave the option out for no limit where that is allowed)")
    return v


def positive_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {v}")
    return v


def exact_number(text: str) -> Fraction:
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        raise argparse.ArgumentTypeError(f"not an exact number (e.g. 0, 0.5, 1/255): {text!r}") from None
