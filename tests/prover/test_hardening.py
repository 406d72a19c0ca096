"""Issue 21, the user's surface: output targets, exit codes, clear errors, progress, reports.

Every case runs on the bundled tiny network (examples/tiny) unless it needs a long search."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import pytest

from apothem_check.check import check_proof
from apothem_check.network import load_network
from apothem_check.vnnlib import load_property
from prover.cli import EXIT, main, parser

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "examples" / "tiny"
NET, ROBUST, NOT_ROBUST = TINY / "model.onnx", TINY / "robust.vnnlib", TINY / "not_robust.vnnlib"
APOTHEM = [sys.executable, "-m", "prover.cli"]


def run(args, **kw):
    return subprocess.run(APOTHEM + [str(a) for a in args], capture_output=True, text=True, cwd=ROOT, **kw)


def first_err(r) -> str:
    return (r.stderr.splitlines() or [""])[0]


def query(tmp_path, name, edit) -> Path:
    p = tmp_path / name
    p.write_text(edit(ROBUST.read_text()))
    return p


def parts(folder) -> list:
    return list(Path(folder).rglob(".apothem-*"))


# ---------------------------------------------------------------- output targets

@pytest.mark.parametrize("kind", ["fifo", "symlink", "directory", "missing folder", "empty name", "device"])
def test_bad_proof_target_is_refused_before_the_search(tmp_path, kind, monkeypatch, capsys):
    """Refused with exit 73 before any search (verify is never called), the target untouched."""
    target = {"fifo": tmp_path / "f", "symlink": tmp_path / "l", "directory": tmp_path,
              "missing folder": tmp_path / "no" / "p.apf", "empty name": "", "device": "/dev/null"}[kind]
    if kind == "fifo":
        os.mkfifo(target)
    if kind == "symlink":
        (tmp_path / "t").write_text("keep")
        os.symlink(tmp_path / "t", target)
    import prover.cli
    monkeypatch.setattr(prover.cli, "verify", lambda *a, **k: pytest.fail("the search ran"))
    code = main(["verify", str(ROBUST), "--network", str(NET), "--proof", str(target)])
    out = capsys.readouterr()
    assert code == 73 and out.out.splitlines() == ["unknown"]
    assert out.err.startswith("apothem: error: OUTPUT: ")
    if kind == "fifo":
        assert os.path.exists(target) and not os.path.isfile(target)
    if kind == "symlink":
        assert os.path.islink(target) and (tmp_path / "t").read_text() == "keep"
    if kind == "device":
        assert Path("/dev/null").is_char_device()
    assert not parts(tmp_path)


def test_atomic_file_leaves_nothing_on_error(tmp_path):
    from prover.outfile import AtomicFile
    (tmp_path / "p").write_text("old")
    with pytest.raises(RuntimeError):
        with AtomicFile(tmp_path / "p", "w") as f:
            f.write("half")
            raise RuntimeError("boom")
    assert (tmp_path / "p").read_text() == "old" and not parts(tmp_path)
    with AtomicFile(tmp_path / "p", "w") as f:
        f.write("new")
    assert (tmp_path / "p").read_text() == "new" and not parts(tmp_path)
    assert os.stat(tmp_path / "p").st_mode & 0o044  # readable by others under the usual umask, not mkstemp's 0600


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signal_while_writing_removes_the_temporary(tmp_path, signum):
    code = ("import sys, time\nfrom prover.outfile import AtomicFile, install_signal_handlers, Interrupted\n"
            "install_signal_handlers()\n"
            "try:\n"
            "    with AtomicFile(sys.argv[1], 'w') as f:\n"
            "        f.write('x'); f.file.flush(); print('ready', flush=True); time.sleep(60)\n"
            "except Interrupted as e:\n"
            "    sys.exit(e.exit_code)\n")
    p = subprocess.Popen([sys.executable, "-c", code, str(tmp_path / "out")], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert p.stdout.readline().strip() == "ready"
    assert len(parts(tmp_path)) == 1
    p.send_signal(signum)
    assert p.wait(30) == 128 + signum
    assert not parts(tmp_path) and not (tmp_path / "out").exists()


def test_what_a_killed_process_left_is_removed_and_nothing_else(tmp_path):
    """SIGKILL (the out-of-memory killer, a cluster ending a worker) cannot be caught: the killed
    process leaves its scratch folder in the system's temporary folder and a `.part` file beside
    its output. Their names carry its pid: any later process removes the scratch folder, and the
    `.part` file goes when the parent that saw this pid die names it (an output folder may be shared
    with another host, where the pid says nothing); a running process's temporaries stay, and so
    does a user's folder named like a scratch folder beside the outputs."""
    from prover.temporaries import remove, remove_orphans, temp_dir
    code = ("import os, signal, sys\nfrom prover.outfile import AtomicFile\nfrom prover.temporaries import temp_dir\n"
            "d = temp_dir('apothem-task-')\nopen(os.path.join(d, 'net.onnx'), 'w').write('x')\n"
            "AtomicFile(sys.argv[1], 'w').write('partial')\nprint(d, flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n")
    r = subprocess.run([sys.executable, "-c", code, str(tmp_path / "p.apf")], capture_output=True, text=True, cwd=ROOT)
    scratch = Path(r.stdout.strip())
    assert r.returncode == -signal.SIGKILL and (scratch / "net.onnx").exists() and len(parts(tmp_path)) == 1
    lookalike = tmp_path / scratch.name  # a user's folder, beside the outputs, named like a scratch folder
    lookalike.mkdir()
    mine = temp_dir("apothem-task-")
    try:
        remove_orphans(beside=[tmp_path])  # another host may share an output folder: its pids say nothing
        assert not scratch.exists() and len(parts(tmp_path)) == 1
        remove_orphans(killed=int(re.search(r"-p(\d+)-", scratch.name).group(1)), beside=[tmp_path])
        assert not scratch.exists() and not parts(tmp_path)
        assert lookalike.is_dir() and os.path.isdir(mine)
    finally:
        remove(mine)



def test_sigterm_during_a_long_search_leaves_nothing(benchmarks, tmp_path):
    """SIGTERM to `apothem verify` mid-search: first stdout line `unknown`, exit 143, no proof,
    no temporary file, no process of its group left. 3_3 prop_2 is the suite's largest tree (30 s
    or more on any machine we know), so it is still running after 4 s (1_1 prop_2 was not always)."""
    folder = benchmarks / "acasxu"
    p = subprocess.Popen(APOTHEM + ["verify", str(folder / "vnnlib/prop_2.vnnlib"), "--network",
                                    str(folder / "onnx/ACASXU_run2a_3_3_batch_2000.onnx"), "--proof",
                                    str(tmp_path / "p.apf"), "--jobs", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, start_new_session=True)
    time.sleep(4)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    assert p.returncode == 143, err
    assert out.splitlines() == ["unknown"] and "SIGTERM" in err and "Traceback" not in err
    assert not (tmp_path / "p.apf").exists() and not parts(tmp_path)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-g", str(p.pid)], capture_output=True, text=True).stdout.split()
    assert not left, f"processes of the run still alive: {left}"


# ---------------------------------------------------------------- clear errors, exit codes

def test_bound_beyond_float64_is_a_clear_input_error(tmp_path):
    q = query(tmp_path, "q.vnnlib", lambda t: t.replace("(assert (<= X_0 0.30))", "(assert (<= X_0 1e400))"))
    load_property(q, 4, 3)  # the checker reads it: the limit is the prover's
    r = run(["verify", q, "--network", NET])
    assert r.returncode == 4 and r.stdout.splitlines() == ["unknown"]
    assert first_err(r).startswith("apothem: error: VNNLIB_RANGE: disjunct 0: input bound of X_0 is about 1e400")


def test_property_without_output_constraints_is_sat_with_a_valid_witness(tmp_path):
    q = query(tmp_path, "q.vnnlib", lambda t: "\n".join(line for line in t.splitlines() if "Y_0)" not in line))
    r = run(["verify", q, "--network", NET, "--proof", tmp_path / "p.apf"])
    assert r.returncode == 0 and r.stdout.splitlines()[0] == "sat", r.stderr
    net = load_network(NET)
    res = check_proof(tmp_path / "p.apf", net, load_property(q, 4, 3))
    assert res.verdict == "valid" and res.conclusion == "sat"


def test_empty_box_is_a_vacuous_unsat_said_so(tmp_path):
    q = query(tmp_path, "q.vnnlib", lambda t: t.replace("(assert (<= X_0 0.30))", "(assert (<= X_0 0.10))"))
    r = run(["verify", q, "--network", NET, "--proof", tmp_path / "p.apf"])
    assert r.returncode == 0 and r.stdout.splitlines() == ["unsat"]
    assert first_err(r).startswith("apothem: warning: the query is vacuous: every input box is empty")
    assert "X_0 >= 1/5 and X_0 <= 1/10" in r.stderr
    res = check_proof(tmp_path / "p.apf", load_network(NET), load_property(q, 4, 3))
    assert res.verdict == "valid" and res.conclusion == "unsat"


@pytest.mark.parametrize("args,reason", [
    (["--timeout", "0"], "must be a positive finite number of seconds"),
    (["--timeout", "nan"], "must be a positive finite number of seconds"),
    (["--timeout", "-5"], "must be a positive finite number of seconds"),
    (["--timeout", "inf"], "must be a positive finite number of seconds"),
    (["--jobs", "0"], "must be at least 1"),
    (["--no-proof", "--proof", "p.apf"], "not allowed with argument"),
])
def test_bad_verify_options_are_usage_errors(args, reason):
    r = run(["verify", ROBUST, "--network", NET, *args])
    assert r.returncode == 64 and r.stdout == ""
    assert first_err(r).startswith("apothem verify: error: USAGE: ") and reason in first_err(r)


@pytest.mark.parametrize("command,extra,code,start", [
    ("certify", ["--input", "missing.csv"], 4, "apothem: error: INPUT: missing.csv: cannot read"),
    ("certify", ["--inputs", "missing-folder"], 4, "apothem: error: INPUT: missing-folder: cannot list"),
    ("certify", ["--inputs", "x.csv"], 64, "apothem: error: USAGE: --inputs x.csv: a file"),
    ("certify", ["--input", "x.csv", "--domain", "a", "b"], 64, "apothem certify: error: USAGE: argument --domain"),
    ("certify", ["--input", "x.csv", "--domain", "1", "0"], 64, "apothem: error: USAGE: --domain LO HI needs LO < HI"),
    ("certify", ["--input", "x.csv", "--label", "2"], 4, "apothem: error: INPUT: x.csv: --label 2 is not the network's"),
    ("audit", ["--claims", "missing.csv"], 4, "apothem: error: INPUT: claims file missing.csv: cannot read"),
    ("audit", ["--claims", "x.csv", "--domain", "a", "b"], 64, "apothem audit: error: USAGE: argument --domain"),
])
def test_certify_and_audit_errors(tmp_path, command, extra, code, start):
    (tmp_path / "x.csv").write_text("64/255 128/255 191/255 128/255\n")
    r = subprocess.run(APOTHEM + [command, "--network", str(NET), *extra], capture_output=True, text=True,
                       cwd=tmp_path, env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'checker'}"})
    assert r.returncode == code and first_err(r).startswith(start), r.stderr
    assert "internal error" not in r.stderr and not parts(tmp_path)


@pytest.mark.parametrize("command", ["certify", "audit"])
def test_missing_network_is_an_input_error(tmp_path, command):
    (tmp_path / "x.csv").write_text("64/255 128/255 191/255 128/255\n")
    extra = ["--input", "x.csv"] if command == "certify" else ["--claims", "x.csv"]
    r = subprocess.run(APOTHEM + [command, "--network", "nope.onnx", *extra], capture_output=True, text=True,
                       cwd=tmp_path, env={**os.environ, "PYTHONPATH": f"{ROOT}:{ROOT / 'checker'}"})
    assert r.returncode == 4 and first_err(r).startswith("apothem: error: ONNX_MALFORMED: cannot read ONNX model nope.onnx")


def test_version_names_both_packages():
    from importlib.metadata import version
    r = run(["--version"])
    assert r.returncode == 0
    assert r.stdout.strip() == f"apothem {version('apothem')} (apothem-check {version('apothem-check')})"
    r = subprocess.run([sys.executable, "-m", "prover", "--version"], capture_output=True, text=True, cwd=ROOT)
    assert r.stdout.startswith("apothem ")


def _actions(p, name="apothem"):
    """(command, option, whether it must be given) for every option of every subcommand."""
    import argparse
    chosen = {id(a) for g in p._mutually_exclusive_groups if g.required for a in g._group_actions}
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            for sub_name, sub in a.choices.items():
                yield from _actions(sub, f"{name} {sub_name}")
        elif not isinstance(a, (argparse._HelpAction, argparse._VersionAction)) and a.option_strings:
            yield name, a, a.required or id(a) in chosen


def test_every_option_has_help_and_its_default():
    for name, a, must in _actions(parser()):
        assert a.help, f"{name} {a.option_strings[0]} has no help text"
        if not must:
            assert "default" in a.help, f"{name} {a.option_strings[0]} does not state its default"


def test_exit_codes_are_documented_in_readme_and_help():
    readme = (ROOT / "README.md").read_text()
    helptext = run(["--help"]).stdout
    for code, meaning in EXIT.values():
        assert re.search(rf"^\| {code} \| ", readme, re.M), f"exit code {code} is not in the README's table"
        assert f"{code:3d}  {meaning}" in helptext.replace("\n       ", " ")


# ---------------------------------------------------------------- progress

class _Stream:
    def __init__(self, tty):
        self.tty, self.text = tty, ""

    def isatty(self):
        return self.tty

    def write(self, s):
        self.text += s

    def flush(self):
        pass


def test_progress_on_a_file_is_lines_without_carriage_returns_or_nan():
    from prover.progress import BatchProgress, SearchProgress
    from prover.tree import Stats
    s = _Stream(False)
    p = SearchProgress(s, every=0)
    stats = Stats()
    p.show(stats, 1, 0.1)
    stats.nodes, stats.leaves, stats.worst = 10, 4, -0.25
    p.show(stats, 6, 2.0)
    stats.closed = 3
    p.show(stats, 0, 3.0)
    p.close()
    assert "\r" not in s.text and "nan" not in s.text and s.text.endswith("\n")
    assert s.text.splitlines() == ["[apothem] 0 nodes bounded, 1 waiting, 0 closed; 0 s",
                                   "[apothem] 10 nodes bounded, 6 waiting, 4 closed; lowest bound -0.25 "
                                   "(a node closes above 0); 2 s",
                                   "[apothem] 10 nodes bounded, 0 waiting, 4 closed (3 replayed exactly); lowest bound "
                                   "-0.25 (a node closes above 0); 3 s"]
    b = _Stream(False)
    bar = BatchProgress(2, b)
    bar.step("a.csv", "apothem 3 steps")
    bar.step("b.csv", "error")
    bar.close()
    assert "\r" not in b.text and b.text.count("\n") == 2 and b.text.startswith("[1/2] a.csv: apothem 3 steps")


def test_progress_on_a_terminal_is_redrawn_in_place_and_ends_its_line():
    from prover.progress import BatchProgress
    t = _Stream(True)
    bar = BatchProgress(2, t)
    bar.step("a.csv", "ok")
    bar.step("b.csv", "ok")
    bar.close()
    assert "\r" in t.text and t.text.endswith("\n") and "2/2" in t.text


def test_verify_progress_redirected_to_a_file(tmp_path):
    with open(tmp_path / "err", "w") as err:
        r = subprocess.run(APOTHEM + ["verify", str(ROBUST), "--network", str(NET), "--progress"], stdout=subprocess.PIPE,
                           stderr=err, text=True, cwd=ROOT)
    text = (tmp_path / "err").read_text()
    assert r.returncode == 0 and text.startswith("[apothem] ") and "\r" not in text and "nan" not in text


# ---------------------------------------------------------------- certify and audit

def test_certify_summary_in_plain_words_on_the_real_grid(tmp_path):
    (tmp_path / "x.csv").write_text("25/100 50/100 75/100 50/100\n")
    r = run(["certify", "--network", NET, "--input", tmp_path / "x.csv", "--grid", "100", "--out", tmp_path / "b.cert"])
    assert r.returncode == 0, r.stderr
    m = re.match(r"class (\d) is robust up to apothem ([0-9.]+) \((\d+) steps of 1/100\), shown optimal: "
                 r"a counterexample at (\d+) steps$", r.stdout.splitlines()[0])
    assert m, r.stdout
    k = int(m.group(3))
    assert int(m.group(4)) == k + 1 and abs(float(m.group(2)) - k / 100) < 5e-3
    assert r.stdout.splitlines()[-1] == f"bundle {tmp_path / 'b.cert'}: valid"


def test_report_uses_the_real_grid_and_human_columns(tmp_path):
    pytest.importorskip("matplotlib")
    from prover.certify.certify import Options, certify_one
    from prover.certify.report import write_report
    net = load_network(NET)
    rows = []
    for n in range(3):
        p = tmp_path / f"x{n}.csv"
        p.write_text(" ".join(str(Fraction(v, 100)) for v in (20 + n, 50, 75, 50)) + "\n")
        r = certify_one(net, NET, p, tmp_path / f"x{n}.bundle", Options(grid=100, timeout=30))
        rows.append({"input": p.name, **r.row, "bundle": r.bundle_path, "check": r.verdict})
    html = write_report(rows, tmp_path / "rep", (Fraction(0), Fraction(1), 100), title="Tiny").read_text()
    assert "<title>Tiny</title>" in html and "steps of 1/100" in html and "1/255" not in html
    headings = re.findall(r"<th>(.*?)</th>", html)
    assert headings[:4] == ["input", "class", "apothem (steps)", "apothem"]
    assert not [h for h in headings if "_" in h], headings
    assert "How many inputs have each apothem, in steps of 1/100 (3 inputs)." in html
    assert ".png</figcaption>" not in html
    from prover.certify.report import figures
    import matplotlib.pyplot as plt  # the histogram's counts are whole numbers
    figs = figures(rows, tmp_path / "f2", (Fraction(0), Fraction(1), 100))
    assert figs[0].path.name == "apothem_hist.png"
    assert plt.imread(figs[0].path).shape[0] > 0


def test_audit_refutes_a_wrong_label_by_the_input_and_fails_on_errors(tmp_path):
    (tmp_path / "x.csv").write_text("64/255 128/255 191/255 128/255\n")
    (tmp_path / "claims.csv").write_text("id,input,label,radius\nwrong,x.csv,2,1/255\nmissing,nope.csv,,1/255\n")
    r = run(["audit", "--network", NET, "--claims", tmp_path / "claims.csv", "--out", tmp_path / "o"])
    assert r.returncode == 1, r.stderr
    assert r.stdout.splitlines()[0] == "1 error, 1 refuted (of 2 claims)"
    assert "apothem: error: claim missing (nope.csv): " in r.stderr
    net = load_network(NET)
    prop = load_property(tmp_path / "o" / "wrong_x.vnnlib", 4, 3)
    res = check_proof(tmp_path / "o" / "wrong_x.apf", net, prop)
    assert res.verdict == "valid" and res.conclusion == "sat"
    row = (tmp_path / "o" / "audit.csv").read_text().splitlines()
    assert row[1].startswith("wrong,x.csv,2,") and ",input," in row[1] and ",refuted," in row[1]
    # the same proof through the checker's command line
    c = subprocess.run([sys.executable, "-m", "apothem_check.cli", "check", "--query", str(tmp_path / "o" / "wrong_x.vnnlib"),
                        "--proof", str(tmp_path / "o" / "wrong_x.apf"), "--network", str(NET)], capture_output=True, text=True)
    assert c.returncode == 0 and c.stdout.strip() == "valid", c.stderr


# ---------------------------------------------------------------- VNN-COMP scripts

def test_run_instance_removes_a_stale_proof_and_writes_error(tmp_path):
    q = query(tmp_path, "q.vnnlib", lambda t: t.replace("(assert (<= X_0 0.30))", "(assert (<= X_0 1e400))"))
    (tmp_path / "r.txt.apf").write_text("an earlier run's proof\n")
    r = subprocess.run(["bash", str(ROOT / "vnncomp/run_instance.sh"), "v1", "b", str(NET), str(q),
                        str(tmp_path / "r.txt"), "30"], capture_output=True, text=True)
    assert r.returncode == 0 and (tmp_path / "r.txt").read_text() == "error\n"
    assert not (tmp_path / "r.txt.apf").exists() and not parts(tmp_path)


def test_run_instance_refuses_a_fifo_result(tmp_path):
    os.mkfifo(tmp_path / "r.txt")
    r = subprocess.run(["bash", str(ROOT / "vnncomp/run_instance.sh"), "v1", "b", str(NET), str(ROBUST),
                        str(tmp_path / "r.txt"), "30"], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0 and "exists and is a FIFO" in r.stderr
    assert not os.path.isfile(tmp_path / "r.txt")


def test_prepare_instance_rejects_an_unreadable_network_and_kills_no_stranger(tmp_path):
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx")
    stranger = subprocess.Popen(["bash", "-c", 'exec -a "apothem verify other-users-run" sleep 60'])
    try:
        r = subprocess.run(["bash", str(ROOT / "vnncomp/prepare_instance.sh"), "v1", "b", str(bad), str(ROBUST)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode != 0 and "ONNX_MALFORMED" in r.stderr
        assert stranger.poll() is None, "prepare_instance.sh killed a process that is not its own"
        r = subprocess.run(["bash", str(ROOT / "vnncomp/prepare_instance.sh"), "v1", "b", str(NET), str(ROBUST)],
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stderr
    finally:
        stranger.kill()
        stranger.wait()


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="no /dev/full here")
@pytest.mark.parametrize("args", [["verify", ROBUST, "--network", NET], ["supports", "--proof-rules"]])
def test_stdout_on_a_full_device_is_an_output_error(args):
    with open("/dev/full", "w") as full:
        r = subprocess.run(APOTHEM + [str(a) for a in args], stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert r.returncode == 73 and r.stderr == "apothem: error: OUTPUT: cannot write: No space left on device\n"


@pytest.mark.skipif(not Path("/dev/full").is_char_device(), reason="no /dev/full here")
@pytest.mark.parametrize("args", [["--help"], ["--version"], *([c, "--help"] for c in
                                                             ("verify", "certify", "audit", "supports", "inspect"))])
def test_help_and_version_on_a_full_device_are_output_errors(args):
    """argparse ignores a failed write of --help/--version: without usage.Parser._print_message
    these exited 0 with nothing written."""
    with open("/dev/full", "w") as full:
        r = subprocess.run(APOTHEM + args, stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    assert r.returncode == 73 and r.stderr == "apothem: error: OUTPUT: cannot write: No space left on device\n"


def test_help_and_version_still_print():
    assert run(["--version"]).stdout.startswith("apothem ") and "exit status:" in run(["verify", "--help"]).stdout
