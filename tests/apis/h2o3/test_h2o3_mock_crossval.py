"""Cross-validation outputs, validation scoring history and metric descriptions of the mock's models."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.mocks.clock import ManualClock


@pytest.fixture
def frames(http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path) -> tuple[str, str]:
    """A training and a validation frame, split from the classification CSV as split_frame does."""
    raw = client.import_files(str(train_csv))["destination_frames"]
    name = client.parse(client.parse_setup(raw))["destination_frame"]["name"]
    clock.advance(10.0)
    for ast in (
        f"(tmp= tr (rows {name} (<= (tmp= rnd (h2o.runif {name} 1)) 0.75)))",
        f"(tmp= va (rows {name} (> rnd 0.75)))",
    ):
        assert http.post("/99/Rapids", data={"ast": ast}).status_code == 200
    return "tr", "va"


def _train(client: H2O3Client, clock: ManualClock, **params: Any) -> dict[str, Any]:
    job = client.build_model("gbm", response_column="label", ntrees=5, max_depth=3, seed=1, **params)
    clock.advance(10.0)
    model: dict[str, Any] = client.model(job["job"]["dest"]["name"])
    return model


def test_nfolds_publishes_fold_models_holdout_predictions_and_metrics(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, frames: tuple[str, str]
) -> None:
    train, valid = frames
    model = _train(
        client, clock, training_frame=train, validation_frame=valid, nfolds=3,
        keep_cross_validation_predictions=True, keep_cross_validation_fold_assignment=True,
    )  # fmt: skip
    out = model["output"]
    model_id = model["model_id"]["name"]
    train_rows = http.get(f"/3/Frames/{train}").json()["frames"][0]["rows"]
    cv = out["cross_validation_metrics"]
    assert (
        cv["description"]
        == "3-fold cross-validation on training data (Metrics computed for combined holdout predictions)"
    )
    assert cv["frame"]["name"] == train
    assert cv["nobs"] == train_rows
    assert 0.5 < cv["AUC"] <= 1.0
    assert out["validation_metrics"]["description"] == "Validation metrics"
    assert out["training_metrics"]["description"] is None
    fold_ids = [k["name"] for k in out["cross_validation_models"]]
    assert fold_ids == [f"{model_id}_cv_{k}" for k in (1, 2, 3)]
    fold_rows = 0
    for fold_id in fold_ids:
        fold = client.model(fold_id)["output"]
        fold_rows += fold["validation_metrics"]["nobs"]
    assert fold_rows == train_rows  # every row is held out exactly once
    holdout = out["cross_validation_holdout_predictions_frame_id"]["name"]
    assert holdout == f"cv_holdout_prediction_{model_id}"
    held = http.get(f"/3/Frames/{holdout}").json()["frames"][0]
    assert (held["rows"], [c["label"] for c in held["columns"]]) == (train_rows, ["predict", "no", "yes"])
    for fold_frame in out["cross_validation_predictions"]:
        assert http.get(fold_frame["URL"]).status_code == 200
    folds = http.get(out["cross_validation_fold_assignment_frame_id"]["URL"]).json()["frames"][0]["columns"][0]
    assert folds["label"] == "fold_assignment"
    summary = out["cross_validation_metrics_summary"]
    assert [c["name"] for c in summary["columns"]] == ["", "mean", "sd", "cv_1_valid", "cv_2_valid", "cv_3_valid"]
    names = summary["data"][0]
    assert {"auc", "logloss", "rmse", "accuracy", "aic"} <= set(names)
    auc = names.index("auc")
    fold_aucs = [summary["data"][3 + k][auc] for k in range(3)]
    assert summary["data"][1][auc] == pytest.approx(sum(fold_aucs) / 3)


def test_without_nfolds_there_are_no_cross_validation_outputs(
    client: H2O3Client, clock: ManualClock, frames: tuple[str, str]
) -> None:
    out = _train(client, clock, training_frame=frames[0])["output"]
    assert out["cross_validation_metrics"] is None
    assert out["cross_validation_models"] is None
    names = [c["name"] for c in out["scoring_history"]["columns"]]
    assert not any(n.startswith("validation_") for n in names)


def test_the_scoring_history_scores_the_validation_frame(
    client: H2O3Client, clock: ManualClock, frames: tuple[str, str]
) -> None:
    history = _train(client, clock, training_frame=frames[0], validation_frame=frames[1])["output"]["scoring_history"]
    names = [c["name"] for c in history["columns"]]
    assert names[-6:] == [
        "validation_rmse", "validation_logloss", "validation_auc", "validation_pr_auc", "validation_lift",
        "validation_classification_error",
    ]  # fmt: skip
    last_auc = history["data"][names.index("validation_auc")][-1]
    assert 0.5 < last_auc <= 1.0


# what a real H2O-3 3.46.0.12 answered on the 200-row classification frame (label: 2 classes), each hint shortened
# to its field; TAIL: the hints a build of a 2-class classification ends with
TAIL = ["tweedie_power", "quantile_alpha", "max_after_balance_size", "max_confusion_matrix_size",
        "max_after_balance_size", "class_sampling_factors"]  # fmt: skip
NOT_FOUND = "ERRR Response column 'nope' not found in the training frame"
REGRESSION = ["balance_classes", "class_sampling_factors", "max_after_balance_size", "max_confusion_matrix_size"]
NFOLDS_MESSAGES: dict[str, tuple[dict[str, str], list[str]]] = {
    "1": ({"nfolds": "1"}, ["ERRR nfolds must be either 0 or >1.", "tweedie_power", *TAIL]),
    "-1": ({"nfolds": "-1"}, ["ERRR nfolds must be either 0 or >1.", "tweedie_power", *TAIL]),
    "1000": (
        {"nfolds": "1000"},
        ["ERRR nfolds cannot be larger than the number of rows (200).", "fold_column", "tweedie_power", *TAIL],
    ),
    "3, bad ntrees": (
        {"nfolds": "3", "ntrees": "-1"},
        ["fold_column", "tweedie_power", *TAIL, "ERRR Requested ntrees must be between 1 and 100000"],
    ),
    "3, no such response": (
        {"nfolds": "3", "response_column": "nope"},
        ["fold_column", "tweedie_power", NOT_FOUND, NOT_FOUND, "max_after_balance_size", *REGRESSION, *TAIL[3:]],
    ),
}


@pytest.mark.parametrize("case", list(NFOLDS_MESSAGES))
def test_nfolds_errors_come_first_and_cross_validation_drops_its_hints_as_on_a_real_server(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, train_csv: Path, case: str
) -> None:
    name = client.parse(client.parse_setup(client.import_files(str(train_csv))["destination_frames"]))
    clock.advance(10.0)
    extra, expected = NFOLDS_MESSAGES[case]
    form = {"training_frame": name["destination_frame"]["name"], "response_column": "label", **extra}
    answer = http.post("/3/ModelBuilders/gbm", data=form)
    assert answer.status_code == 412
    messages = [
        f"ERRR {m['message']}" if m["message_type"] == "ERRR" else m["field_name"] for m in answer.json()["messages"]
    ]
    assert messages == expected
