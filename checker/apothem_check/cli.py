"""`apothem-check`: the command a third party runs. One stdout line, diagnostics on stderr.

Exit codes (documented in checker/README.md): 0 valid, 1 invalid, 2 holey, 3 timed-out,
4 the network, property or proof file cannot be read (stdout: invalid), 5 out of memory
(stdout: invalid), 64 usage error.
"""
from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

EXIT = {"valid": 0, "invalid": 1, "holey": 2, "timed-out": 3}


class _Timeout(BaseException):  # not Exception: readers catch Exception to report bad files
    pass


def _on_alarm(signum, frame):
    raise _Timeout()


def _network_path(spec: str) -> Path:
    """`--network [NAME=]PATH` (VNN-LIB 2 convention); the name is informational in v1."""
    return Path(spec.split("=", 1)[1] if "=" in spec and not Path(spec).exists() else spec)


def _supports(what: str) -> list[str]:
    from . import network, vnnlib
    return {"proof-rules": ["root", "split input", "split relu", "bounds interval", "bounds crown",
                            "bounds layer", "close linear", "close z3", "hole", "witness", "sat", "unsat"],
            "onnx-operators": list(network.SUPPORTED_OPERATORS),
            "vnnlib-versions": list(vnnlib.SUPPORTED_VERSIONS),
            "onnx-element-types": ["real"]}[what]


def _run(args) -> tuple[str, int]:
    """Read the inputs (any defect: exit 4), then check the proof or the certification bundle."""
    from .certification import check_certification
    from .check import check_proof
    from .errors import InputError
    from .network import load_network
    from .vnnlib import cross_check_with_z3, load_property
    try:
        net = load_network(_network_path(args.network))
        if args.command == "check":
            prop = load_property(Path(args.query), net.n_inputs, net.n_outputs)
            cross_check_with_z3(Path(args.query), prop, timeout_s=60)
            if not Path(args.proof).is_file():
                raise InputError("PROOF_MISSING", f"no proof file {args.proof}")
    except InputError as err:
        print(f"input error: {err}", file=sys.stderr)
        return "invalid", 4
    if args.command == "certification":
        verdict, lines = check_certification(Path(args.bundle), net)
    else:
        result = check_proof(Path(args.proof), net, prop)
        verdict, lines = result.verdict, [str(result.error) if result.error else
                                          f"proof establishes: {result.conclusion} ({result.steps} steps)", *result.notes]
    for line in lines:
        print(line, file=sys.stderr)
    return verdict, EXIT[verdict]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="apothem-check", description="Independent exact checker for Apothem proofs.")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="check a proof of a VNN-LIB query")
    check.add_argument("--query", required=True, help="VNN-LIB property file")
    check.add_argument("--proof", required=True, help="proof file (text or msgpack binary)")
    cert = sub.add_parser("certification", help="check a robustness certification bundle")
    cert.add_argument("bundle", help="bundle file (msgpack) written by `apothem certify`")
    for command in (check, cert):
        command.add_argument("--network", required=True, help="[NAME=]MODEL.onnx")
        command.add_argument("--timeout", type=float, default=0, help="seconds (0: none)")
    supports = sub.add_parser("supports", help="list what this checker supports")
    group = supports.add_mutually_exclusive_group(required=True)
    for what in ("proof-rules", "onnx-operators", "vnnlib-versions", "onnx-element-types"):
        group.add_argument(f"--{what}", action="store_const", const=what, dest="what")
    try:
        args = parser.parse_args(argv)
    except SystemExit as err:
        return 64 if err.code else 0
    if args.command == "supports":
        print("\n".join(_supports(args.what)))
        return 0
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
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    print(verdict)
    return code


if __name__ == "__main__":
    sys.exit(main())
