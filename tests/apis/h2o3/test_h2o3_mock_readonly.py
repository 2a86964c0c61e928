"""The mock's read-only routes that the live fidelity tests check against a real server, checked here without one:
a column's views, the stored model metrics and how a GET filters them, model details written to a file, the v4
job and the Typeahead of a folder (tests/apis/h2o3/test_h2o3_mock_*_fidelity.py hold the real server's answers)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState
from h2oharness.apis.h2o3.payloads import gbm_params
from h2oharness.mocks.clock import ManualClock


def _parse(client: H2O3Client, clock: ManualClock, path: Path, name: str) -> str:
    setup = client.parse_setup(client.import_files(str(path))["destination_frames"])
    client.parse(setup, destination_frame=name)
    clock.advance(10.0)
    return name


def _metrics(http: httpx.Client, path: str) -> tuple[str | None, str | None, list[tuple[str, str]]]:
    body = http.get(path).json()
    pairs = sorted((m["model"]["name"], m["frame"]["name"]) for m in body["model_metrics"])
    return (body["model"] or {}).get("name"), (body["frame"] or {}).get("name"), pairs


def test_stored_metrics_are_listed_filtered_by_model_and_frame_checksum(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path, state: H2O3MockState
) -> None:
    train = _parse(client, clock, train_csv, "train.hex")
    copy = _parse(client, clock, train_csv, "copy.hex")
    http.post("/3/ModelBuilders/gbm", data={**gbm_params(train, model_id="gbm"), "ntrees": "2"})
    clock.advance(60.0)
    # before any prediction, only the training metrics; the copy matches them by its checksum
    assert _metrics(http, "/3/ModelMetrics/models/gbm/frames/copy.hex") == ("gbm", "copy.hex", [("gbm", train)])
    http.post("/3/Predictions/models/gbm/frames/copy.hex")
    both = [("gbm", copy), ("gbm", train)]
    assert _metrics(http, "/3/ModelMetrics") == (None, None, both)
    assert _metrics(http, "/3/ModelMetrics/frames/train.hex/models/gbm") == ("gbm", train, both)
    # a name not held filters nothing and is answered as null
    assert _metrics(http, "/3/ModelMetrics/models/nope/frames/train.hex") == (None, train, both)
    assert _metrics(http, "/3/ModelMetrics/frames/nope") == (None, None, both)
    http.delete("/3/Models/gbm")
    assert _metrics(http, "/3/ModelMetrics") == (None, None, [])
    assert state.internal_errors == []


def test_a_column_alone_starts_at_row_one_and_its_domain_is_listed(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path
) -> None:
    frame = _parse(client, clock, train_csv, "train.hex")
    column = http.get(f"/3/Frames/{frame}/columns/x1").json()["frames"][0]
    whole = http.get(f"/3/Frames/{frame}", params={"row_count": 200}).json()["frames"][0]
    assert column["frame_id"]["name"] is None
    assert (column["row_offset"], column["row_count"]) == (1, 200)
    assert column["columns"][0]["data"] == whole["columns"][0]["data"][1:]
    assert http.get(f"/3/Frames/{frame}/columns/color/domain").json()["domain"] == [["blue", "green", "red"]]
    assert http.get(f"/3/Frames/{frame}/columns/x1/domain").json()["domain"] == [None]
    light = http.get(f"/3/Frames/{frame}/light").json()["frames"][0]
    assert (light["byte_size"], light["checksum"], light["chunk_summary"]) == (0, 0, None)
    missing = http.get(f"/3/Frames/{frame}/columns/nope/summary")
    assert missing.status_code == 404
    assert missing.json()["values"] == {
        "argument": "column",
        "column_name": "nope",
        "frame_name": f"Key<Frame> {frame}",
    }


def test_model_details_are_written_to_the_file_named(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path, tmp_path: Path
) -> None:
    frame = _parse(client, clock, train_csv, "train.hex")
    job = http.post("/3/ModelBuilders/gbm", data={**gbm_params(frame, model_id="gbm"), "ntrees": "2"}).json()["job"]
    clock.advance(60.0)
    target = tmp_path / "made" / "gbm.json"
    assert http.get("/99/Models/gbm/json", params={"dir": str(target)}).json()["dir"] == str(target)
    written = json.loads(target.read_text())
    assert (written["__meta"]["schema_name"], written["model_id"]["name"]) == ("GBMModelV3", "gbm")
    refused = http.get("/99/Models/gbm/json", params={"dir": str(target), "force": "false"})
    assert refused.status_code == 400
    assert "File already exists" in refused.json()["msg"]
    v4 = http.get(f"/4/jobs/{job['key']['name']}").json()
    assert (v4["status"], v4["target_id"], v4["target_type"], v4["start_time"]) == ("DONE", "gbm", "GBMModel", 0)


def test_typeahead_completes_a_folder_and_a_prefix_without_hidden_files(http: httpx.Client, tmp_path: Path) -> None:
    for name in ("Data_a.csv", "data_b.csv", ".data_c", "other.csv"):
        (tmp_path / name).write_text("x\n")
    prefix = http.get("/3/Typeahead/files", params={"src": f"{tmp_path}/DA"}).json()["matches"]
    assert sorted(prefix) == [f"{tmp_path}/Data_a.csv", f"{tmp_path}/data_b.csv"]
    assert len(http.get("/3/Typeahead/files", params={"src": str(tmp_path)}).json()["matches"]) == 3
    assert len(http.get("/3/Typeahead/files", params={"src": str(tmp_path), "limit": 1}).json()["matches"]) == 1
    assert http.get("/3/Typeahead/files", params={"src": "relative"}).json()["matches"] == []
