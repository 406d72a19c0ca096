"""apothem-check-batch over a results folder, with the checker alone (no prover): each item is
what `apothem-check` says of it, a record's claim is never believed (a proof checked against a
verdict it does not prove is invalid), and a proof changed after the batch is reported."""
from __future__ import annotations

import hashlib
import json
import shutil

import apothem_check_batch
from helpers import GOLDEN

PROOF = GOLDEN / "valid" / "alpha_hints.apf"        # unsat on models/net2.onnx, models/net2_b.vnnlib
NET, PROP = GOLDEN / "models" / "net2.onnx", GOLDEN / "models" / "net2_b.vnnlib"


def _record(folder, name: str, verdict: str, artifact: bytes | None) -> None:
    rec = {"format": "apothem-batch-result 1", "kind": "verify", "name": name, "key": name, "status": "done",
           "verdict": verdict, "network": str(NET), "subject": str(PROP), "artifact": None}
    if artifact is not None:
        (folder / name).write_bytes(artifact)
        rec.update(artifact=name, artifact_sha256=hashlib.sha256(artifact).hexdigest())
    (folder / "results").mkdir(exist_ok=True)
    (folder / "results" / f"{name}.json").write_text(json.dumps(rec))


def _run(folder, capsys) -> tuple[int, dict]:
    code = apothem_check_batch.main([str(folder), "--workers", "2"])
    lines = capsys.readouterr().out.splitlines()
    return code, {line.split()[2]: line.split()[0] for line in lines[:-1]} | {"summary": lines[-1]}


def test_every_item_valid_is_exit_0(tmp_path, capsys):
    _record(tmp_path, "a.apf", "unsat", PROOF.read_bytes())
    _record(tmp_path, "b.apf", "unknown", None)
    code, out = _run(tmp_path, capsys)
    assert code == 0 and out["a.apf"] == "valid" and out["b.apf"] == "none"
    assert out["summary"].startswith("2 items: 1 valid, 0 invalid")
    assert out["summary"].endswith("1 without proof or bundle")


def test_wrong_claim_changed_proof_and_bad_record_are_failures(tmp_path, capsys):
    _record(tmp_path, "ok.apf", "unsat", PROOF.read_bytes())
    _record(tmp_path, "claims_sat.apf", "sat", PROOF.read_bytes())       # checked with --expect sat
    _record(tmp_path, "changed.apf", "unsat", PROOF.read_bytes())
    (tmp_path / "changed.apf").write_bytes(PROOF.read_bytes() + b"\n")
    (tmp_path / "results" / "junk.json").write_text("{")
    code, out = _run(tmp_path, capsys)
    assert code == 1
    assert (out["ok.apf"], out["claims_sat.apf"], out["changed.apf"]) == ("valid", "invalid", "error")
    assert "1 valid, 1 invalid, 0 timed-out, 2 error" in out["summary"]


def test_a_folder_without_results_is_an_input_error(tmp_path, capsys):
    shutil.copy(PROOF, tmp_path / "x.apf")
    assert apothem_check_batch.main([str(tmp_path)]) == 4
