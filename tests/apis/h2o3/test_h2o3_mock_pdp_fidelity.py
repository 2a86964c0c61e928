"""POST /3/PartialDependence/ and its GET on the mock against a real local H2O-3 3.46.0.12: the same refusals in the
same words, the same job, and a PartialDependenceV3 of the same shape with the same grid of each column (the data's
own values), the same table names, descriptions and columns. The mean response and its spread are the real numbers
for GBMs of no trees, which are the same model on both (the prior, or the mean of the response); for GBMs and a
GLM with trees and coefficients the mock's own learners fit other numbers, so only their shape is compared."""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import job_end, on_both, shape_differences

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv, gbm_params, glm_params
from h2oharness.targets import Target

# name: the form; {frame}, {gbm}, {glm}, {prior}, {mean}, {multi}, {multi_prior}, {tag} are the test's own keys
REQUESTS: dict[str, dict[str, str]] = {
    "two_columns": {"model_id": "{gbm}", "frame_id": "{frame}", "cols": '["x1","color"]', "nbins": "5"},
    "top_features": {"model_id": "{gbm}", "frame_id": "{frame}", "nbins": "3"},
    "int_and_missing": {"model_id": "{glm}", "frame_id": "{frame}", "cols": '["size","x2"]', "add_missing_na": "true"},
    "enum_missing": {"model_id": "{gbm}", "frame_id": "{frame}", "cols": '["color"]', "add_missing_na": "true"},
    "one_row": {"model_id": "{glm}", "frame_id": "{frame}", "cols": '["x1"]', "nbins": "3", "row_index": "4"},
    "weighted": {
        "model_id": "{glm}", "frame_id": "{frame}", "cols": '["x1"]', "nbins": "3", "weight_column_index": "1",
    },
    "named": {
        "model_id": "{glm}", "frame_id": "{frame}", "cols": '["x1"]', "nbins": "3", "destination_key": "pd_{tag}",
    },
    "response_column": {"model_id": "{glm}", "frame_id": "{frame}", "cols": '["label"]', "nbins": "3"},
    "pairs": {
        "model_id": "{gbm}", "frame_id": "{frame}", "cols": '["x1"]', "nbins": "3",
        "col_pairs_2dpdp": '[["x1","color"]]',
    },
    "pairs_one_row": {
        "model_id": "{gbm}", "frame_id": "{frame}", "cols": '["x1"]', "nbins": "2", "row_index": "3",
        "col_pairs_2dpdp": '[["x1","x2"]]',
    },
    "user_splits": {
        "model_id": "{gbm}", "frame_id": "{frame}", "cols": '["x1","x2"]', "user_cols": '["x1"]',
        "num_user_splits": "[2]", "user_splits": "[-1.5,0.25]", "nbins": "4",
    },
    "prior": {"model_id": "{prior}", "frame_id": "{frame}", "cols": '["x1","color","size"]', "nbins": "4"},
    "prior_weighted": {
        "model_id": "{prior}", "frame_id": "{frame}", "cols": '["x1"]', "nbins": "3", "weight_column_index": "3",
    },
    "mean": {"model_id": "{mean}", "frame_id": "{frame}", "cols": '["color","x1"]', "nbins": "3"},
    "multi_no_targets": {"model_id": "{multi}", "frame_id": "{frame}", "cols": '["x1"]', "nbins": "3"},
    "multi_unknown_target": {"model_id": "{multi}", "frame_id": "{frame}", "cols": '["x1"]', "targets": '["zz"]'},
    "multi_targets": {
        "model_id": "{multi}", "frame_id": "{frame}", "cols": '["x1","size"]', "nbins": "3",
        "targets": '["red","blue"]', "col_pairs_2dpdp": '[["x1","size"]]',
    },
    "multi_prior": {
        "model_id": "{multi_prior}", "frame_id": "{frame}", "cols": '["x2"]', "nbins": "3", "targets": '["green"]',
        "row_index": "7",
    },
    "unknown_model": {"model_id": "nope_{tag}", "frame_id": "{frame}", "cols": '["x1"]'},
    "unknown_frame": {"model_id": "{gbm}", "frame_id": "nope_{tag}", "cols": '["x1"]'},
    "no_model": {"frame_id": "{frame}", "cols": '["x1"]'},
    "no_frame": {"model_id": "{gbm}", "cols": '["x1"]'},
    "one_bin": {"model_id": "{gbm}", "frame_id": "{frame}", "cols": '["x1"]', "nbins": "1"},
    "unknown_column": {"model_id": "{gbm}", "frame_id": "{frame}", "cols": '["nope"]'},
    "too_many_levels": {"model_id": "{gbm}", "frame_id": "{frame}", "cols": '["color"]', "nbins": "2"},
    "targets": {"model_id": "{glm}", "frame_id": "{frame}", "cols": '["x1"]', "targets": '["yes"]'},
    "enum_weights": {"model_id": "{glm}", "frame_id": "{frame}", "cols": '["x1"]', "weight_column_index": "2"},
}  # fmt: skip
# where a real server answers 500 (a NullPointerException), the mock answers 400 with its message (mock.DEVIATIONS)
REAL_500 = {"unknown_frame", "no_model", "no_frame", "unknown_column"}
# models that are the same on both servers: their responses are compared as numbers
SAME_MODEL = {"prior", "prior_weighted", "mean", "multi_prior"}


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    client = H2O3Client(http)
    frame = f"pdp_{tag}.hex"
    raw = client.import_files(str(csv_path))["destination_frames"]
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    keys = {"frame": frame, "gbm": f"gbm_{tag}", "glm": f"glm_{tag}", "prior": f"prior_{tag}", "mean": f"mean_{tag}"}
    keys.update(multi=f"multi_{tag}", multi_prior=f"multi_prior_{tag}")
    builds = {
        "gbm": ("gbm", gbm_params(frame, ntrees=3)),
        "glm": ("glm", glm_params(frame)),
        "prior": ("gbm", gbm_params(frame, ntrees=0)),
        "mean": ("gbm", {**gbm_params(frame, ntrees=0), "response_column": "x2"}),
        "multi": ("gbm", {**gbm_params(frame, ntrees=2), "response_column": "color"}),
        "multi_prior": ("gbm", {**gbm_params(frame, ntrees=0), "response_column": "color"}),
    }
    for name, (algo, params) in builds.items():
        job = client.build_model(algo, **{**params, "model_id": keys[name]})["job"]
        client.wait(job["key"]["name"], timeout=120)
    keys["tag"] = tag
    out: dict[str, Any] = {}
    for name, form in REQUESTS.items():
        answer = http.post("/3/PartialDependence/", data={k: v.format(**keys) for k, v in form.items()})
        body = answer.json()
        out[name] = (answer.status_code, body)
        if answer.status_code == 200:
            status = job_end(http, body["key"]["name"])
            result = http.get(f"/3/PartialDependence/{body['dest']['name']}")
            out[name + "_result"] = (status["status"], status["exception"], result.status_code, result.json())
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The requests on the real server and on the mock."""
    csv_path = Path(tmp_path_factory.mktemp("pdp_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag), timeout=300)


def _untagged(text: str, both: tuple[dict[str, Any], ...]) -> str:
    tag = both[0]["named_result"][3]["model_id"]["name"].removeprefix("glm_")
    return text.replace(tag, "TAG")


@pytest.mark.live
@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_mock_starts_or_refuses_as_the_real_server(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real), (mock_status, mock) = (side[name] for side in both)
    assert (real_status, mock_status) == ((500, 400) if name in REAL_500 else (real_status, real_status))
    assert mock["__meta"]["schema_name"] == real["__meta"]["schema_name"]
    if real_status != 200:
        assert _untagged(mock["msg"], both) == _untagged(real["msg"], both)
        assert mock["exception_type"] == real["exception_type"]
        return
    assert shape_differences(real, mock) == []
    assert (mock["description"], mock["dest"]["type"], mock["dest"]["URL"].rsplit("/", 1)[0]) == (
        real["description"], real["dest"]["type"], real["dest"]["URL"].rsplit("/", 1)[0]
    )  # fmt: skip
    if "destination_key" in REQUESTS[name]:
        assert mock["dest"]["name"] == real["dest"]["name"]


@pytest.mark.live
@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_result_has_the_real_grid_tables_and_shape(both: tuple[dict[str, Any], ...], name: str) -> None:
    real_side, mock_side = both
    if name + "_result" not in real_side:
        assert name + "_result" not in mock_side
        return
    (real_job, real_exc, real_code, real), (mock_job, mock_exc, mock_code, mock) = (
        real_side[name + "_result"], mock_side[name + "_result"]
    )  # fmt: skip
    assert (mock_job, mock_exc, mock_code) == (real_job, real_exc, real_code)
    assert shape_differences(real, mock) == []
    echoed = ("row_index", "cols", "weight_column_index", "add_missing_na", "nbins", "user_splits", "user_cols",
              "num_user_splits", "col_pairs_2dpdp", "destination_key", "targets")  # fmt: skip
    assert {f: mock[f] for f in echoed} == {f: real[f] for f in echoed}
    assert len(mock["partial_dependence_data"]) == len(real["partial_dependence_data"])
    for real_table, mock_table in zip(real["partial_dependence_data"], mock["partial_dependence_data"], strict=True):
        assert _untagged(mock_table["description"], both) == _untagged(real_table["description"], both)
        assert (mock_table["name"], mock_table["columns"], mock_table["rowcount"]) == (
            real_table["name"], real_table["columns"], real_table["rowcount"]
        )  # fmt: skip
        grid = len(real_table["columns"]) - 3
        assert mock_table["data"][:grid] == real_table["data"][:grid]
        if name in SAME_MODEL:
            for real_column, mock_column in zip(real_table["data"][grid:], mock_table["data"][grid:], strict=True):
                assert all(
                    math.isclose(m, r, rel_tol=1e-9, abs_tol=1e-12)
                    for r, m in zip(real_column, mock_column, strict=True)
                ), (real_column, mock_column)


@pytest.mark.live
def test_an_unknown_result_is_an_empty_answer(h2o3_local: Target) -> None:
    real, mock = on_both(h2o3_local, lambda http: http.get("/3/PartialDependence/nope_pdp").json())
    assert mock == real
