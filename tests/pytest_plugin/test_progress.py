"""progress.jsonl as a resumed run reads it back: what it cannot read is dropped, never the session's end."""

from __future__ import annotations

import json
from pathlib import Path

from h2oharness.pytest_plugin.progress import PROGRESS, read_progress


def test_lines_that_are_not_records_are_dropped_and_the_rest_kept(tmp_path: Path) -> None:
    nodeid = "contracts/h2o3/test_x.py::test_x"
    record = {"record": {"api": "h2o3", "suite": "contract", "name": "test_x", "nodeid": nodeid, "outcome": "passed"}}
    drift = {"drift": {"api": "h2o3", "where": "seed 000"}}
    lines = [
        json.dumps(record).encode(),
        b"\xff\xfe garbage that is not UTF-8",  # before: UnicodeDecodeError, pytest's INTERNALERROR and no report
        b'{"record": 5}',  # before: AttributeError on resume
        b'{"crash": "not an object"}',
        b"[1, 2]",
        b'{"record": {}}',  # before: KeyError building the report
        json.dumps(drift).encode(),
        b'{"record": {"api": "h2o3", "nodeid": "torn',
    ]
    (tmp_path / PROGRESS).write_bytes(b"\n".join(lines))
    assert read_progress(tmp_path) == [record, drift]
