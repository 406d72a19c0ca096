"""`apothem-check` command line: one stdout line, exit codes of checker/README.md, stderr format."""
from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from apothem_check.cli import main
from helpers import GOLDEN, MODELS, proof_text

ABS, NEG = MODELS / "abs.onnx", MODELS / "abs_neg.vnnlib"
STEP_LINE = re.compile(r"^step (\d+) \(rule ([a-z]+)\) line (\d+): ([A-Z_0-9]+): (.+)$")


def run(capsys, *argv) -> tuple[int, list[str], str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def check(capsys, proof, network=ABS, query=NEG, *extra):
    return run(capsys, "check", "--query", query, "--proof", proof, "--network", network, *extra)


@pytest.mark.parametrize("name, verdict, code", [
    ("valid/root_close_linear", "valid", 0), ("valid/witness_sat", "valid", 0),
    ("parse_error/hole_removed", "invalid", 1),
    ("invalid/open_nodes_root", "invalid", 1), ("invalid/hash_network", "invalid", 1),
    ("invalid/no_verdict", "invalid", 1), ("parse_error/unknown_rule", "invalid", 1)])
def test_verdicts_and_exit_codes(capsys, name, verdict, code):
    from helpers import parse_expect
    path = GOLDEN / f"{name}.apf"
    meta = parse_expect(path)
    got, out, err = check(capsys, path, GOLDEN / meta["model"], GOLDEN / meta["property"])
    assert (got, out) == (code, [verdict])
    assert "Traceback" not in err


def test_valid_names_conclusion_on_stderr(capsys):
    code, out, err = check(capsys, GOLDEN / "valid/root_close_linear.apf")
    assert (code, out) == (0, ["valid"]) and "unsat" in err
    code, out, err = check(capsys, GOLDEN / "valid/witness_sat.apf", ABS, MODELS / "abs_sat.vnnlib")
    assert (code, out) == (0, ["valid"]) and "proof establishes: sat" in err


def test_stderr_format_of_a_step_error(capsys):
    code, out, err = check(capsys, GOLDEN / "invalid/missing_root.apf", ABS, MODELS / "abs_or.vnnlib")
    assert (code, out) == (1, ["invalid"])
    m = STEP_LINE.match(err.splitlines()[0])
    assert m and m.group(1, 2, 4) == ("3", "unsat", "MISSING_ROOT"), err
    assert m.group(3) == "10"  # physical line: 3 comment lines + 4 header lines + 3rd step


def test_error_without_step(capsys):
    code, out, err = check(capsys, GOLDEN / "invalid/hash_property.apf")
    assert (code, out) == (1, ["invalid"]) and err.startswith("HASH_PROPERTY: ")


@pytest.mark.parametrize("what, expected", [
    ("--proof-rules", ["root", "split input", "split relu", "bounds layer", "close linear", "witness", "sat", "unsat"]),
    ("--vnnlib-versions", ["1", "2"])])
def test_supports(capsys, what, expected):
    code, out, err = run(capsys, "supports", what)
    assert code == 0 and out == expected


def test_supports_operators(capsys):
    code, out, _ = run(capsys, "supports", "--onnx-operators")
    assert code == 0 and {"Gemm", "MatMul", "Add", "Relu", "Flatten", "Sub", "Mul", "Div"} <= set(out)
    assert {"Conv", "MaxPool", "AveragePool", "Pad", "Concat"} <= set(out) and "Sigmoid" not in out
    code, out, _ = run(capsys, "supports", "--onnx-element-types")
    assert code == 0 and len(out) >= 1


@pytest.mark.parametrize("argv", [[], ["check"], ["check", "--query", "q"], ["frobnicate"], ["supports"],
                                  ["supports", "--proof-rules", "--onnx-operators"],
                                  ["check", "--query", "a", "--proof", "b", "--network", "c", "--timeout", "x"]])
def test_usage_errors(capsys, argv):
    assert main(argv) == 64
    out, err = capsys.readouterr()
    assert out == "" and err


def _unreadable(capsys, tmp_path, network=ABS, query=NEG, proof=None):
    if proof is None:
        proof = tmp_path / "p.apf"
        proof.write_text(proof_text(ABS, NEG, "1 root 0\n2 close 1 linear lambda 1\n3 unsat"))
    code, out, err = check(capsys, proof, network, query)
    assert (code, out) == (4, ["invalid"]), err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    return err


def test_truncated_onnx(capsys, tmp_path):
    bad = tmp_path / "m.onnx"
    bad.write_bytes(ABS.read_bytes()[: len(ABS.read_bytes()) // 2])
    assert "ONNX" in _unreadable(capsys, tmp_path, network=bad)


def test_unsupported_operator(capsys, tmp_path):
    import onnx
    from onnx import helper
    import nets
    model = nets.abs_net()
    model.graph.node[1].op_type = "Sigmoid"
    bad = tmp_path / "sig.onnx"
    bad.write_bytes(model.SerializeToString())
    err = _unreadable(capsys, tmp_path, network=bad)
    assert "ONNX_UNSUPPORTED_OP" in err and "Sigmoid" in err


def test_missing_files(capsys, tmp_path):
    _unreadable(capsys, tmp_path, network=tmp_path / "nope.onnx")
    _unreadable(capsys, tmp_path, query=tmp_path / "nope.vnnlib")
    _unreadable(capsys, tmp_path, proof=tmp_path / "nope.apf")


@pytest.mark.parametrize("text", ["(declare-const X_0 Real)\n(assert (<= X_0 1)",
                                  "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= (sin X_0) 1))",
                                  "(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1))",
                                  "(declare-const X_7 Real)", "\xff\xfe"])
def test_malformed_vnnlib(capsys, tmp_path, text):
    bad = tmp_path / "bad.vnnlib"
    bad.write_bytes(text.encode("latin-1"))
    assert "VNNLIB" in _unreadable(capsys, tmp_path, query=bad)


def test_timeout(capsys, tmp_path):
    """A proof that takes a minute (200,000 layer-2 bounds steps), with --timeout 1: timed-out, exit 3."""
    body = ["1 root 0"] + [f"{i} bounds 1 layer 2" for i in range(2, 200_000)]
    proof = tmp_path / "slow.apf"
    proof.write_text(proof_text(MODELS / "net2.onnx", MODELS / "net2_a.vnnlib", "\n".join(body)))
    start = time.perf_counter()
    code, out, err = check(capsys, proof, MODELS / "net2.onnx", MODELS / "net2_a.vnnlib", "--timeout", "1")
    assert (code, out) == (3, ["timed-out"]), err
    assert time.perf_counter() - start < 10 and "Traceback" not in err


def _alarm_inside(monkeypatch, module, name):
    """Deterministically simulate the --timeout alarm arriving while `module.name` runs."""
    import apothem_check.cli as cli

    def fire(*args, **kwargs):
        raise cli._Timeout()
    monkeypatch.setattr(module, name, fire)


def test_timeout_during_proof_checking(capsys, monkeypatch):
    import apothem_check.check as check_module
    _alarm_inside(monkeypatch, check_module, "read_proof")
    code, out, err = check(capsys, GOLDEN / "valid/root_close_linear.apf")
    assert (code, out) == (3, ["timed-out"]), err


def test_timeout_during_model_loading(capsys, monkeypatch):
    import onnx
    _alarm_inside(monkeypatch, onnx.checker, "check_model")
    code, out, err = check(capsys, GOLDEN / "valid/root_close_linear.apf")
    assert (code, out) == (3, ["timed-out"]), err


def test_version(capsys):
    from apothem_check import __version__
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"apothem-check {__version__}\n"


@pytest.mark.parametrize("value", ["-5", "nan", "inf"])
def test_timeout_must_be_finite_and_not_negative(capsys, value):
    code, out, err = check(capsys, GOLDEN / "valid" / "root_close_linear.apf", ABS, NEG, "--timeout", value)
    assert code == 64 and out == [] and "--timeout must be a finite number" in err


def test_interrupt_is_not_a_traceback(capsys, monkeypatch):
    import apothem_check.cli as cli

    def interrupted(args):
        raise KeyboardInterrupt
    monkeypatch.setattr(cli, "_run", interrupted)
    code, out, err = check(capsys, GOLDEN / "valid" / "root_close_linear.apf")
    assert (code, err) == (130, "interrupted\n")


def test_an_unforeseen_error_is_invalid_not_a_traceback(capsys, monkeypatch):
    import apothem_check.cli as cli

    def bug(args):
        raise ZeroDivisionError("a checker bug")
    monkeypatch.setattr(cli, "_run", bug)
    code, out, err = check(capsys, GOLDEN / "valid" / "root_close_linear.apf")
    assert (code, out) == (70, ["invalid"]) and err == "internal error: ZeroDivisionError: a checker bug\n"


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_stdout_on_a_full_device(tmp_path):
    import subprocess
    import sys
    proof = GOLDEN / "valid" / "root_close_linear.apf"
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "apothem_check.cli", "check", "--query", str(NEG), "--proof",
                               str(proof), "--network", str(ABS)], stdout=full, stderr=subprocess.PIPE, text=True)
    assert done.returncode == 73 and "cannot write to stdout" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
@pytest.mark.parametrize("args", [["--help"], ["--version"], ["check", "--help"], ["certification", "--help"],
                                  ["supports", "--help"]])
def test_help_and_version_on_a_full_device(args):
    """argparse ignores a failed write: these exited 0 before _Parser._print_message."""
    import subprocess
    import sys
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "apothem_check.cli", *args], stdout=full, stderr=subprocess.PIPE,
                              text=True)
    assert done.returncode == 73 and done.stderr == "cannot write to stdout: [Errno 28] No space left on device\n"
