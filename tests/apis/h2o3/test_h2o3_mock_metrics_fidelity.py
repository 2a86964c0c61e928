"""GET /3/ModelMetrics and its model and frame variants, /99/Models/{id}/json, /4/modelsinfo and /4/jobs/{id} on
the mock against a real local H2O-3 3.46.0.12.

A GBM is trained on a frame with a validation frame, then scored on a copy of its training frame: the stored
metrics each GET lists (a frame matching by checksum, an unknown name no filter at all) must be the real server's,
in the real shape; the model details written to a file must have the real fields; the v4 answers the real ones."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both, shape_differences

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv, gbm_params
from h2oharness.targets import Target

# name: path, with {m} the model, {f} its training frame, {c} a copy of it, {w} the validation frame
METRICS: dict[str, str] = {
    "all": "/3/ModelMetrics",
    "model": "/3/ModelMetrics/models/{m}",
    "frame": "/3/ModelMetrics/frames/{f}",
    "copy": "/3/ModelMetrics/frames/{c}",
    "model_validation": "/3/ModelMetrics/models/{m}/frames/{w}",
    "validation_model": "/3/ModelMetrics/frames/{w}/models/{m}",
    "model_copy": "/3/ModelMetrics/models/{m}/frames/{c}",
    "unknown_model": "/3/ModelMetrics/models/nope_{t}",
    "unknown_frame": "/3/ModelMetrics/frames/nope_{t}",
    "unknown_model_frame": "/3/ModelMetrics/models/nope_{t}/frames/{w}",
    "frame_model_query": "/3/ModelMetrics/frames/{w}?model={m}",
}


def _run(http: httpx.Client, folder: Path, side: str) -> dict[str, Any]:
    client = H2O3Client(http)
    tag = uuid.uuid4().hex[:8]
    names = {"t": tag, "m": f"mm_gbm_{tag}", "f": f"mm_{tag}.hex", "c": f"mm_copy_{tag}.hex", "w": f"mm_w_{tag}.hex"}
    jobs = {}
    for frame, csv_name in (("f", "train.csv"), ("c", "train.csv"), ("w", "valid.csv")):
        setup = client.parse_setup(client.import_files(str(folder / csv_name))["destination_frames"])
        jobs[frame] = client.parse(setup, destination_frame=names[frame])["job"]["key"]["name"]
        client.wait(jobs[frame], timeout=60)
    form = {**gbm_params(names["f"], model_id=names["m"]), "ntrees": "3", "validation_frame": names["w"]}
    jobs["m"] = http.post("/3/ModelBuilders/gbm", data=form).json()["job"]["key"]["name"]
    client.wait(jobs["m"], timeout=60)
    http.post(f"/3/Predictions/models/{names['m']}/frames/{names['c']}")
    out: dict[str, Any] = {}
    for name, path in METRICS.items():
        answer = http.get(path.format(**names))
        out[name] = _untagged((answer.status_code, answer.json()), tag)
    written = folder / side / "details.json"
    details = f"/99/Models/{names['m']}/json"
    marks = f"{tag}|{folder / side}"  # the folders written to differ by side, as the tags do
    out["details"] = _answer(http.get(details, params={"dir": str(written)}), marks)
    out["details_file"] = _untagged(json.loads(written.read_text()), tag)
    out["details_again"] = _answer(http.get(details, params={"dir": str(written)}), marks)
    out["details_not_forced"] = _answer(http.get(details, params={"dir": str(written), "force": "false"}), marks)
    out["details_no_dir"] = _answer(http.get(details), marks)
    out["details_unknown"] = _answer(http.get(f"/99/Models/nope_{tag}/json", params={"dir": str(written)}), marks)
    out["modelsinfo"] = _answer(http.get("/4/modelsinfo"), marks)
    out["job_model"] = _answer(http.get(f"/4/jobs/{jobs['m']}"), marks)
    out["job_parse"] = _answer(http.get(f"/4/jobs/{jobs['w']}"), marks)
    out["job_unknown"] = _answer(http.get(f"/4/jobs/nope_{tag}"), marks)
    out["job_parameter"] = _answer(http.get(f"/4/jobs/{jobs['w']}", params={"bogus": "1"}), marks)
    out["job_fields"] = _answer(http.get(f"/4/jobs/{jobs['w']}", params={"_fields": "status"}), marks)
    out["modelsinfo_schema"] = _answer(http.get("/4/modelsinfo", params={"__schema": "x"}), marks)
    return out


def _answer(answer: httpx.Response, tag: str) -> Any:
    return _untagged((answer.status_code, answer.json()), tag)


def _untagged(body: Any, tag: str) -> Any:
    if isinstance(body, dict):
        return {k: _untagged(v, tag) for k, v in body.items()}
    if isinstance(body, list | tuple):
        return type(body)(_untagged(v, tag) for v in body)
    if not isinstance(body, str):
        return body
    for part in tag.split("|"):
        body = body.replace(part, "TAG")
    return body


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The same training, scoring and GETs on the real server and on the mock."""
    folder = Path(tmp_path_factory.mktemp("metrics_fidelity"))
    rows = classification_csv().splitlines()
    (folder / "train.csv").write_text("\n".join(rows) + "\n")
    (folder / "valid.csv").write_text("\n".join(rows[:81]) + "\n")
    sides = iter(("real", "mock"))
    return on_both(h2o3_local, lambda http: _run(http, folder, next(sides)))


def _stored(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    # the real server may hold other sessions' metrics: only this test's (its models are tagged) count
    found = [(m["model"]["name"], m["frame"]["name"], m["__meta"]["schema_name"]) for m in body["model_metrics"]]
    return sorted(f for f in found if "TAG" in f[0])


@pytest.mark.live
@pytest.mark.parametrize("name", list(METRICS))
def test_the_stored_metrics_are_the_real_servers(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real), (mock_status, mock) = (side[name] for side in both)
    assert (mock_status, mock["__meta"]["schema_name"]) == (real_status, real["__meta"]["schema_name"])
    for held in ("model", "frame"):  # the names a real server holds, else null
        assert (mock[held] or {}).get("name") == (real[held] or {}).get("name")
    assert _stored(mock) == _stored(real)
    for entry in real["model_metrics"]:
        pair = (entry["model"]["name"], entry["frame"]["name"])
        if "TAG" in pair[0]:
            same = next(m for m in mock["model_metrics"] if (m["model"]["name"], m["frame"]["name"]) == pair)
            assert shape_differences(entry, same) == []


@pytest.mark.live
def test_model_details_are_written_as_the_real_server_writes_them(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = both
    for name in ("details", "details_again"):
        assert mock[name] == real[name]
    written = [(side["details_file"]["__meta"]["schema_name"], sorted(side["details_file"])) for side in both]
    assert written[1] == written[0]
    assert mock["details_file"]["model_id"]["name"] == real["details_file"]["model_id"]["name"]
    assert mock["details_unknown"][0] == real["details_unknown"][0] == 404
    assert mock["details_unknown"][1]["msg"] == real["details_unknown"][1]["msg"]


@pytest.mark.live
@pytest.mark.parametrize("name", ["details_not_forced", "details_no_dir"])
def test_where_the_real_server_fails_writing_the_mock_refuses_in_its_words(
    both: tuple[dict[str, Any], ...], name: str
) -> None:
    (real_status, real), (mock_status, mock) = (side[name] for side in both)
    assert (real_status, mock_status) == (500, 400)  # DEVIATIONS["GET /99/Models/{model_id}/json"]
    assert mock["msg"] == real["msg"]


@pytest.mark.live
@pytest.mark.parametrize(
    "name", ["modelsinfo", "modelsinfo_schema", "job_model", "job_parse", "job_unknown", "job_parameter", "job_fields"]
)
def test_the_v4_answers_are_the_real_ones(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real), (mock_status, mock) = (side[name] for side in both)
    assert mock_status == real_status
    if real_status != 200:
        assert (mock["msg"], mock["exception_type"]) == (real["msg"], real["exception_type"])
        return
    assert shape_differences(real, mock) == []
    if name.startswith("modelsinfo"):
        assert mock == real
    else:
        facts = (
            "__schema",
            "status",
            "progress",
            "progress_msg",
            "start_time",
            "target_id",
            "target_type",
            "exception",
        )
        assert {k: mock[k] for k in facts} == {k: real[k] for k in facts}
