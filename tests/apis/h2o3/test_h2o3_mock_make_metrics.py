"""h2o.make_metrics and the DELETEs of stored metrics on the mock: metrics of given predictions with no model, and
a store that forgets what was deleted while each model keeps its own (test_h2o3_mock_make_metrics_fidelity.py
compares both with a real server)."""

from __future__ import annotations

import math
from pathlib import Path

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import gbm_params
from h2oharness.mocks.clock import ManualClock


@pytest.fixture
def frame(client: H2O3Client, clock: ManualClock, train_csv: Path) -> str:
    """The parsed training CSV."""
    raw = client.import_files(str(train_csv))["destination_frames"]
    client.parse(client.parse_setup(raw), destination_frame="mm.hex")
    clock.advance(10.0)
    return "mm.hex"


def _assign(http: httpx.Client, name: str, ast: str) -> None:
    assert http.post("/99/Rapids", data={"ast": f"(assign {name} {ast})"}).status_code == 200


def test_perfect_predictions_make_perfect_metrics(http: httpx.Client, frame: str) -> None:
    _assign(http, "actual", f"(cols {frame} [4])")
    _assign(http, "perfect", f"(== (cols {frame} [4]) 1)")
    made = http.post(
        "/3/ModelMetrics/predictions_frame/perfect/actuals_frame/actual", data={"domain": '["no","yes"]'}
    ).json()
    metrics = made["model_metrics"]
    assert (made["predictions_frame"], made["actuals_frame"], made["domain"]) == ("perfect", "actual", ["no", "yes"])
    assert (metrics["model"], metrics["frame"], metrics["model_category"]) == (None, None, None)
    assert (metrics["AUC"], metrics["pr_auc"], metrics["MSE"], metrics["nobs"]) == (1.0, 1.0, 0.0, 200)
    assert metrics["description"].startswith("Computed on user-given predictions and labels, using F1-optimal")


def test_regression_metrics_are_those_of_the_two_columns(http: httpx.Client, frame: str) -> None:
    _assign(http, "x1", f"(cols {frame} [0])")
    _assign(http, "shifted", f"(+ (cols {frame} [0]) 2)")
    made = http.post("/3/ModelMetrics/predictions_frame/shifted/actuals_frame/x1", data={"distribution": "laplace"})
    metrics = made.json()["model_metrics"]
    assert metrics["MSE"] == pytest.approx(4.0, rel=1e-6)
    assert metrics["mean_residual_deviance"] == pytest.approx(2.0, rel=1e-6)
    assert metrics["description"] == "Computed on user-given predictions and targets, distribution: laplace."
    assert not math.isnan(metrics["r2"])
    unknown = http.post("/3/ModelMetrics/predictions_frame/nope/actuals_frame/x1")
    assert (unknown.status_code, unknown.json()["msg"].strip()) == (
        404,
        "ERROR MESSAGE:\n\nObject 'nope' not found in function: make for argument: predictions_frame",
    )


def test_a_deleted_metrics_leaves_the_store_not_the_model(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, frame: str
) -> None:
    for name in ("m1", "m2"):
        client.build_model("gbm", **{**gbm_params(frame, ntrees=2), "model_id": name})
    clock.advance(10.0)

    def stored() -> list[str]:
        return sorted(m["model"]["name"] for m in http.get("/3/ModelMetrics").json()["model_metrics"])

    assert stored() == ["m1", "m2"]
    deleted = http.delete(f"/3/ModelMetrics/models/m1/frames/{frame}").json()
    assert [m["model"]["name"] for m in deleted["model_metrics"]] == ["m1"]
    assert stored() == ["m2"]
    assert http.get("/3/Models/m1").json()["models"][0]["output"]["training_metrics"] is not None
    # a name not held is no filter: the frame's every stored metrics go
    assert [m["model"]["name"] for m in http.delete(f"/3/ModelMetrics/frames/{frame}/models/nope").json()[
        "model_metrics"]] == ["m2"]  # fmt: skip
    assert stored() == []
    client.build_model("gbm", **{**gbm_params(frame, ntrees=2), "model_id": "m1"})
    clock.advance(10.0)
    assert stored() == ["m1"]  # a model built again under the name has new metrics
