"""progress.jsonl as a resumed run reads it back: what it cannot read is dropped, never the session's end."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from h2oharness.pytest_plugin.progress import PROGRESS, finished_line, read_progress


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


def test_the_line_of_a_test_whose_request_killed_the_server_says_so() -> None:
    # the crash is a record of its own, merged at the report's end: the test's line read "FAILED (56 cases, 0.6 s)"
    from h2oharness.pytest_plugin.recording import _failed
    from h2oharness.sweep import ServerCrash

    record: dict[str, Any] = {"api": "h2o3", "method": "POST", "path": "/99/AutoMLBuilder", "outcome": "failed"}
    record |= {"failures": [], "error": None, "cases": 56, "duration": 0.6}
    crash = ServerCrash("POST /99/AutoMLBuilder", "GET /3/Cloud got no answer either; not restarted")
    _failed(record, None, crash, ("POST", "/99/AutoMLBuilder"))  # type: ignore[arg-type]
    assert record["outcome"] == "failed"
    assert record["failures"] == []  # the report's failure is the crash record's, not a second one
    line = finished_line(record, 144, 224)
    assert "FAILED: server crash on POST /99/AutoMLBuilder: GET /3/Cloud got no answer" in line, line
