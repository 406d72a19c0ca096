"""The output folder of a batch: the proofs and bundles under their own names, and one result
record per task in `results/<key>.json` (README, "Batches").

A task's result is its record plus its proof or bundle. The artifact is written first and the
record last, each atomically (prover/outfile.py), so the record is the commit mark: an
interrupted save leaves at most an artifact without a record, which resume redoes. A record is
*intact* when it parses, names the task's key, and its artifact (if any) is there with the
SHA-256 the record holds; anything else is redone, never trusted.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..outfile import check_directory, write_bytes, write_text

FORMAT = "apothem-batch-result 1"


class Store:
    def __init__(self, out_dir):
        self.dir = Path(check_directory(out_dir, "output folder"))
        self.records = Path(check_directory(self.dir / "results", "results folder"))

    def record_path(self, key: str) -> Path:
        return self.records / f"{key}.json"

    def intact(self, task) -> dict | None:
        """The task's saved record if it and its artifact are whole, else None."""
        try:
            record = json.loads(self.record_path(task.key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("key") != task.key:
            return None
        if record.get("artifact"):
            try:
                data = (self.dir / record["artifact"]).read_bytes()
            except (OSError, TypeError):
                return None
            if hashlib.sha256(data).hexdigest() != record.get("artifact_sha256"):
                return None
        return record

    def save(self, task, result: dict, artifact: bytes | None) -> dict:
        """Write the artifact, then the record (the commit mark); the record as saved."""
        record = {"format": FORMAT, "key": task.key, "kind": task.kind, "name": task.name,
                  "network": os.path.abspath(task.network), "network_sha256": task.network_sha256,
                  "subject": os.path.abspath(task.subject), "subject_sha256": task.subject_sha256,
                  "settings": task.options, **result, "artifact": None}
        if artifact is not None:
            write_bytes(self.dir / task.name, artifact, "proof file" if task.kind == "verify" else "bundle file")
            record.update(artifact=task.name, artifact_sha256=hashlib.sha256(artifact).hexdigest(),
                          artifact_bytes=len(artifact))
        write_text(self.record_path(task.key), json.dumps(record, indent=1, sort_keys=True) + "\n", "result record")
        return record
