"""The benchmark harness (prover/bench.py) on the smallest suite: its rows, and what it leaves behind."""
import csv

import pytest

from prover import bench


def _rows(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def test_proofs_go_with_the_scratch_folder_unless_kept(benchmarks, tmp_path, own_tmp, capsys):
    args = [str(benchmarks / "test"), "--filter", "test_tiny", "--csv"]
    assert bench.main(args + [str(tmp_path / "a.csv")]) == 0
    (row,) = _rows(tmp_path / "a.csv")
    assert (row["verdict"], row["check"], row["status"]) == ("unsat", "valid", "solved")
    assert not list(own_tmp.iterdir()), "the harness left its scratch folder (and the proofs in it)"
    assert "removed at the end" in capsys.readouterr().out

    kept = tmp_path / "proofs"
    assert bench.main(args + [str(tmp_path / "b.csv"), "--keep", str(kept)]) == 0
    assert [p.suffix for p in kept.iterdir()] == [".apf"]
    assert not list(own_tmp.iterdir())


def test_a_suite_that_cannot_be_read_is_a_usage_error(tmp_path, capsys):
    (tmp_path / "instances.csv").write_text("net.onnx,prop.vnnlib\n")  # no timeout column
    for args in ([str(tmp_path / "missing")], [str(tmp_path)], [str(tmp_path), "--filter", "("],
                 [str(tmp_path), "--checker", str(tmp_path / "none")]):
        with pytest.raises(SystemExit) as stop:
            bench.main(args)
        assert stop.value.code == 2
        assert "error:" in capsys.readouterr().err
