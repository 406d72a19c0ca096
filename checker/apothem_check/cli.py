"""`apothem-check`: the command a third party runs. One stdout line, diagnostics on stderr.

Exit codes (documented in checker/README.md): 0 valid, 1 invalid, 3 timed-out,
4 the network, property, proof or bundle file cannot be read (stdout: invalid), 5 out of memory
(stdout: invalid), 64 usage error, 70 internal error (stdout: invalid), 73 stdout cannot be written, 130 interrupted,
141 stdout closed by its reader. No input makes it print a traceback: the outermost handler turns
anything unforeseen into `invalid` with exit 70 and one line naming it.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from . import __version__

EXIT = {"valid": 0, "invalid": 1, "timed-out": 3}  # 2 was the verdict holey (removed)
EXPECTABLE = ("apothem", "optimal", "box", "maximal", "dual-box", "dual-ball")  # certification claims: --expect


class _Timeout(BaseException):  # not Exception: readers catch Exception to report bad files
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def network_path(spec: str) -> Path:
    """`--network [NAME=]PATH` (VNN-LIB 2 convention); the name is informational in v1."""
    return Path(spec.split("=", 1)[1] if "=" in spec and not Path(spec).exists() else spec)


def _supports(what: str) -> list[str]:
    from . import network, vnnlib
    return {"proof-rules": ["root", "split input", "split relu", "bounds layer", "close linear", "witness",
                            "sat", "unsat"],
            "onnx-operators": list(network.SUPPORTED_OPERATORS),
            "vnnlib-versions": list(vnnlib.SUPPORTED_VERSIONS),
            "onnx-element-types": ["real", "float32"]}[what]


def _run(args) -> tuple[str, int]:
    """Read the inputs (any defect: exit 4), then check the proof or the certification bundle."""
    from .check import check_proof
    from .errors import InputError
    from .network import load_network
    from .vnnlib import cross_check_with_z3, load_property
    try:
        net = load_network(network_path(args.network))
        if args.command == "check":
            prop = load_property(Path(args.query), net.input_shape, net.output_shape)
            cross_check_with_z3(Path(args.query), prop, timeout_s=60)
        open(args.proof if args.command == "check" else args.bundle, "rb").close()  # readable (not a directory)
    except InputError as err:
        print(f"input error: {err}", file=sys.stderr)
        return "invalid", 4
    except OSError as err:  # missing, a directory, no permission, an I/O error
        print(f"input error: UNREADABLE: {err}", file=sys.stderr)
        return "invalid", 4
    if args.command == "certification":  # (imported here: msgpack and the bundle reader, which `check` skips)
        from .certification import check_certification
        verdict, lines = check_certification(Path(args.bundle), net, args.expect or ())
    else:
        result = check_proof(Path(args.proof), net, prop)
        verdict, lines = result.verdict, [str(result.error) if result.error else
                                          f"proof establishes: {result.conclusion} ({result.steps} steps)"]
        if args.expect and verdict != "invalid" and result.conclusion != args.expect:
            verdict, lines = "invalid", [f"EXPECT: the proof establishes {result.conclusion}, "
                                         f"but the caller expects {args.expect}", *lines]
    for line in lines:
        print(line, file=sys.stderr)
    return verdict, EXIT[verdict]


class _Parser(argparse.ArgumentParser):
    def _print_message(self, message, file=None):
        """argparse ignores a failed write; on stdout (--help, --version) it must show: exit 73."""
        if message and file is sys.stdout:
            file.write(message)
            file.flush()
        else:
            super()._print_message(message, file)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="apothem-check", description="Independent exact checker for Apothem proofs.")
    parser.add_argument("--version", action="version", version=f"apothem-check {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check a proof of a VNN-LIB query")
    check.add_argument("--query", required=True, help="VNN-LIB property file")
    check.add_argument("--proof", required=True, help="proof file (text, spec/proof-format.md)")
    check.add_argument("--expect", choices=("unsat", "sat"), help="the verdict the caller relies on: a valid "
                       "proof of the other verdict is then invalid (default: accept either)")
    cert = sub.add_parser("certification", help="check a robustness certification bundle")
    cert.add_argument("bundle", help="bundle file (msgpack) written by `apothem certify`")
    cert.add_argument("--expect", action="append", choices=EXPECTABLE, help="a claim the caller relies on "
                      "(repeatable): the bundle is invalid unless it establishes it (default: none)")
    for command in (check, cert):
        command.add_argument("--network", required=True, help="[NAME=]MODEL.onnx")
        command.add_argument("--timeout", type=float, default=0, help="seconds, > 0 (default 0: no limit)")
    supports = sub.add_parser("supports", help="list what this checker supports")
    group = supports.add_mutually_exclusive_group(required=True)
    for what in ("proof-rules", "onnx-operators", "vnnlib-versions", "onnx-element-types"):
        group.add_argument(f"--{what}", action="store_const", const=what, dest="what")
    return parser


def _main(argv) -> int:
    try:
        args = _parser().parse_args(argv)
    except SystemExit as err:
        return 64 if err.code else 0
    if args.command == "supports":
        print("\n".join(_supports(args.what)))
        return 0
    if not args.timeout >= 0 or args.timeout == float("inf"):  # NaN fails both tests
        print(f"usage error: --timeout must be a finite number of seconds >= 0, not {args.timeout}", file=sys.stderr)
        return 64
    if args.timeout > 0:
        signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, args.timeout)
    try:
        verdict, code = _run(args)
    except _Timeout:
        verdict, code = "timed-out", 3
        print(f"timed out after {args.timeout} s", file=sys.stderr)
    except MemoryError:
        verdict, code = "invalid", 5
        print("out of memory while checking", file=sys.stderr)
    except RecursionError:
        verdict, code = "invalid", 4
        print("input error: LIMIT: the input nests too deeply", file=sys.stderr)
    except Exception as err:  # a checker bug: never a traceback, never a pass
        verdict, code = "invalid", 70
        print(f"internal error: {type(err).__name__}: {err}", file=sys.stderr)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    print(verdict)
    return code


def main(argv=None) -> int:
    """Interrupts and a stdout that cannot be written end the run with a code, not a traceback."""
    try:
        code = _main(argv)
        sys.stdout.flush()
        return code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except OSError as err:  # BrokenPipeError: the reader closed stdout (`| head -1`); else e.g. a full device
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # the exit flush must not fail again
        if isinstance(err, BrokenPipeError):
            return 141
        print(f"cannot write to stdout: {err}", file=sys.stderr)
        return 73


if __name__ == "__main__":
    sys.exit(main())
