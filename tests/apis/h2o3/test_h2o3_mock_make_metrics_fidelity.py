"""h2o.make_metrics (POST /3/ModelMetrics/predictions_frame/{p}/actuals_frame/{a}) and the DELETEs of stored model
metrics on the mock against a real local H2O-3 3.46.0.12. The predictions are columns of the data (the same on both
servers), so the metrics are compared as numbers as well as by shape; a DELETE removes from the store what the GET
of the same names lists, and the store lists it no more."""

from __future__ import annotations

import math
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both, shape_differences

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv
from h2oharness.targets import Target

# the frames a test makes from its parsed frame {f} (columns x1, x2, color, size, label)
FRAMES = {
    "p_num": "(cols {f} [0])",
    "a_num": "(cols {f} [1])",
    "p_prob": "(/ (cols {f} [1]) 10)",
    "a_label": "(cols {f} [4])",
    "a_color": "(cols {f} [2])",
    "p_three": "(cbind (/ (cols {f} [1]) 10) (/ (- 1 (/ (cols {f} [1]) 10)) 2) (/ (- 1 (/ (cols {f} [1]) 10)) 2))",
    # two classes tie on every row: the predicted class is a real server's draw
    "p_tied": "(cbind (/ (cols {f} [3]) 10) (/ (- 1 (/ (cols {f} [3]) 10)) 2) (/ (- 1 (/ (cols {f} [3]) 10)) 2))",
}
# name: predictions, actuals, form
MAKES: dict[str, tuple[str, str, dict[str, str]]] = {
    "binomial": ("p_prob", "a_label", {"domain": '["no","yes"]'}),
    "binomial_auc_type": ("p_prob", "a_label", {"domain": '["no","yes"]', "auc_type": "MACRO_OVO"}),
    "binomial_two_columns": ("p_three", "a_label", {"domain": '["no","yes"]'}),
    "multinomial": ("p_three", "a_color", {"domain": '["blue","green","red"]', "auc_type": "NONE"}),
    "multinomial_auto": ("p_three", "a_color", {"domain": '["blue","green","red"]', "auc_type": "AUTO"}),
    "multinomial_tied": ("p_tied", "a_color", {"domain": '["red","green","blue"]', "auc_type": "NONE"}),
    "multinomial_no_auc_type": ("p_three", "a_color", {"domain": '["blue","green","red"]'}),
    "multinomial_one_column": ("p_prob", "a_color", {"domain": '["blue","green","red"]'}),
    "regression": ("p_num", "a_num", {}),
    "regression_gaussian": ("p_num", "a_num", {"distribution": "gaussian"}),
    "regression_laplace": ("p_num", "a_num", {"distribution": "laplace"}),
    "regression_enum_actuals": ("p_num", "a_label", {}),
    "regression_enum_predictions": ("a_color", "a_num", {}),
    "unknown_predictions": ("nope", "a_num", {}),
    "unknown_actuals": ("p_num", "nope", {}),
}
# where a real server answers 500 (a NullPointerException), the mock answers 400 with its message (mock.DEVIATIONS)
REAL_500 = {"multinomial_no_auc_type"}
NUMBERS = ("nobs", "MSE", "RMSE", "r2", "logloss", "AUC", "pr_auc", "Gini", "mean_per_class_error",
           "mean_residual_deviance", "mae", "rmsle")  # fmt: skip


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    client = H2O3Client(http)
    frame = f"mm_{tag}.hex"
    raw = client.import_files(str(csv_path))["destination_frames"]
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    for name, ast in FRAMES.items():
        made = http.post("/99/Rapids", data={"ast": f"(assign {name}_{tag} {ast.format(f=frame)})"})
        assert made.status_code == 200, made.text
    out: dict[str, Any] = {}
    for name, (predictions, actuals, form) in MAKES.items():
        p, a = (n if n == "nope" else f"{n}_{tag}" for n in (predictions, actuals))
        answer = http.post(f"/3/ModelMetrics/predictions_frame/{p}/actuals_frame/{a}", data=form)
        out[name] = (answer.status_code, answer.json())
    for model in ("a", "b"):
        form = {"training_frame": frame, "response_column": "label", "ntrees": 2, "model_id": f"{model}_{tag}"}
        client.wait(client.build_model("gbm", **form)["job"]["key"]["name"], timeout=120)

    def listed() -> list[tuple[str | None, str | None]]:
        stored = http.get("/3/ModelMetrics").json()["model_metrics"]
        pairs = [((m["model"] or {}).get("name"), (m["frame"] or {}).get("name")) for m in stored]
        return sorted(p for p in pairs if str(p[0]).endswith(tag))

    out["stored"] = listed()
    for name, path in (
        ("delete", f"/3/ModelMetrics/models/a_{tag}/frames/{frame}"),
        ("delete_again", f"/3/ModelMetrics/models/a_{tag}/frames/{frame}"),
        ("delete_unknown_frame", f"/3/ModelMetrics/frames/nope_{tag}/models/b_{tag}"),
    ):
        answer = http.delete(path)
        body = answer.json()
        out[name] = (answer.status_code, body, listed())
    out["model_keeps_its_metrics"] = http.get(f"/3/Models/a_{tag}").json()["models"][0]["output"]["training_metrics"]
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The requests on the real server and on the mock."""
    csv_path = Path(tmp_path_factory.mktemp("make_metrics_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag), timeout=300)


def _close(real: Any, mock: Any) -> bool:
    if isinstance(real, float) and isinstance(mock, float):
        return math.isclose(real, mock, rel_tol=1e-9, abs_tol=1e-12)
    return bool(real == mock)


@pytest.mark.live
@pytest.mark.parametrize("name", list(MAKES))
def test_make_metrics_answers_the_real_numbers(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real), (mock_status, mock) = (side[name] for side in both)
    assert (real_status, mock_status) == ((500, 400) if name in REAL_500 else (real_status, real_status))
    assert mock["__meta"]["schema_name"] == real["__meta"]["schema_name"]
    if real_status != 200:
        assert mock["msg"] == real["msg"]
        assert mock["exception_type"] == real["exception_type"]
        return
    assert shape_differences(real, mock) == []
    real_metrics, mock_metrics = real["model_metrics"], mock["model_metrics"]
    echoed = [k for k in real if k not in ("__meta", "model_metrics", "predictions_frame", "actuals_frame")]
    assert {k: mock[k] for k in echoed} == {k: real[k] for k in echoed}
    same = ("model", "frame", "model_checksum", "frame_checksum", "description", "model_category", "domain")
    assert {k: mock_metrics.get(k) for k in same} == {k: real_metrics.get(k) for k in same}
    for number in NUMBERS:
        assert _close(real_metrics.get(number), mock_metrics.get(number)), number
    if "cm" in real_metrics:
        assert mock_metrics["cm"]["table"]["data"] == real_metrics["cm"]["table"]["data"]
    if real_metrics.get("hit_ratio_table"):
        assert mock_metrics["hit_ratio_table"]["data"] == real_metrics["hit_ratio_table"]["data"]


@pytest.mark.live
@pytest.mark.parametrize("name", ["delete", "delete_again", "delete_unknown_frame"])
def test_a_delete_removes_what_the_get_of_the_same_names_lists(both: tuple[dict[str, Any], ...], name: str) -> None:
    real, mock = both
    assert mock["stored"] == real["stored"]
    (real_status, real_body, real_after), (mock_status, mock_body, mock_after) = real[name], mock[name]
    assert mock_status == real_status
    assert shape_differences(real_body, mock_body) == []
    assert [(m["model"]["name"], m["frame"]["name"]) for m in mock_body["model_metrics"]] == [
        (m["model"]["name"], m["frame"]["name"]) for m in real_body["model_metrics"]
    ]
    assert mock_after == real_after


@pytest.mark.live
def test_a_model_keeps_its_own_metrics_after_the_store_forgets_them(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = both
    assert real["model_keeps_its_metrics"] is not None
    assert mock["model_keeps_its_metrics"] is not None
