"""Partial dependence on the mock: each grid point's mean response is the mean of the model's own predictions on the
frame with the column set to that value, as H2O-3 defines it (the real server's words and shapes are checked by
test_h2o3_mock_pdp_fidelity.py)."""

from __future__ import annotations

import csv
import io
import statistics
from pathlib import Path

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.mock import H2O3MockState
from h2oharness.apis.h2o3.payloads import gbm_params
from h2oharness.mocks.clock import ManualClock


@pytest.fixture
def names(client: H2O3Client, clock: ManualClock, train_csv: Path) -> dict[str, str]:
    """A parsed frame and a GBM trained on it."""
    raw = client.import_files(str(train_csv))["destination_frames"]
    client.parse(client.parse_setup(raw), destination_frame="pd.hex")
    clock.advance(10.0)
    client.build_model("gbm", **{**gbm_params("pd.hex", ntrees=5), "model_id": "pd_gbm"})
    clock.advance(10.0)
    return {"frame": "pd.hex", "model": "pd_gbm"}


def _predicted_yes(http: httpx.Client, names: dict[str, str], column: int, value: str) -> list[float]:
    """The model's probabilities of "yes" on the frame with one column set to a value, by the ordinary routes."""
    ast = f"(tmp= set_{column} (:= {names['frame']} {value} [{column}] []))"
    assert http.post("/99/Rapids", data={"ast": ast}).status_code == 200
    scored = http.post(f"/3/Predictions/models/{names['model']}/frames/set_{column}", data={"predictions_frame": "p"})
    assert scored.status_code == 200
    text = http.get("/3/DownloadDataset", params={"frame_id": "p"}).text
    return [float(row["yes"]) for row in csv.DictReader(io.StringIO(text))]


def test_the_mean_response_is_the_mean_prediction_at_each_grid_value(
    http: httpx.Client, clock: ManualClock, names: dict[str, str]
) -> None:
    form = {"model_id": names["model"], "frame_id": names["frame"], "cols": '["x1","color"]', "nbins": "3"}
    job = http.post("/3/PartialDependence/", data=form).json()
    assert (job["description"], job["dest"]["type"]) == ("PartialDependence", "Key<PartialDependence>")
    clock.advance(5.0)
    assert http.get(job["key"]["URL"]).json()["jobs"][0]["status"] == "DONE"
    x1, color = http.get(f"/3/PartialDependence/{job['dest']['name']}").json()["partial_dependence_data"]
    assert [c["name"] for c in x1["columns"]] == ["x1", "mean_response", "stddev_response", "std_error_mean_response"]
    assert color["data"][0] == ["blue", "green", "red"]
    for table, column, values in ((x1, 0, [repr(v) for v in x1["data"][0]]), (color, 2, ["0", "1", "2"])):
        for point, value in enumerate(values):
            predicted = _predicted_yes(http, names, column, value)
            assert table["data"][1][point] == pytest.approx(statistics.fmean(predicted), rel=1e-12)
            assert table["data"][2][point] == pytest.approx(statistics.stdev(predicted), rel=1e-9, abs=1e-15)


def test_a_result_not_held_is_an_empty_answer_and_a_bad_request_says_why(
    http: httpx.Client, names: dict[str, str]
) -> None:
    empty = http.get("/3/PartialDependence/nope").json()
    assert (empty["__meta"]["schema_name"], empty["partial_dependence_data"]) == ("PartialDependenceV3", None)
    refused = http.post("/3/PartialDependence/", data={"model_id": "nope", "frame_id": names["frame"]})
    assert (refused.status_code, refused.json()["msg"].strip()) == (400, "ERROR MESSAGE:\n\nModel not found.")


def test_the_mock_holds_at_most_max_objects_results(
    http: httpx.Client, state: H2O3MockState, names: dict[str, str]
) -> None:
    state.max_objects = 2
    form = {"model_id": names["model"], "frame_id": names["frame"], "cols": '["size"]', "nbins": "2"}
    for n in range(3):
        assert http.post("/3/PartialDependence/", data={**form, "destination_key": f"pd_{n}"}).status_code == 200
    assert list(state.partial_dependences) == ["pd_1", "pd_2"]
