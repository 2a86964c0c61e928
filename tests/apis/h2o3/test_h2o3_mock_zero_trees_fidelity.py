"""GBMs and DRFs of no trees on the mock against a real local H2O-3 3.46.0.12: ``ntrees=0`` is accepted (only a
negative number is refused), and the model predicts what it starts from: a GBM the prior (each class equally likely
for more than 2), a DRF no votes at all (0, or the second of 2 classes certainly), its out-of-bag metrics NaN."""

from __future__ import annotations

import csv
import io
import math
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv
from h2oharness.targets import Target

# name: algo, response (2 classes, a number, 3 classes), ntrees
BUILDS = {
    f"{algo}_{response}_{ntrees}": (algo, response, ntrees)
    for algo in ("gbm", "drf")
    for response in ("label", "x1", "color")
    for ntrees in ("0", "-1")
}
METRICS = ("MSE", "RMSE", "nobs", "logloss", "AUC", "mean_per_class_error", "description")


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    client = H2O3Client(http)
    raw = client.import_files(str(csv_path))["destination_frames"]
    frame = f"zero_{tag}.hex"
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    out: dict[str, Any] = {}
    for name, (algo, response, ntrees) in BUILDS.items():
        model_id = f"{name}_{tag}"
        form = {
            "training_frame": frame,
            "response_column": response,
            "seed": "1",
            "ntrees": ntrees,
            "model_id": model_id,
        }
        answer = http.post(f"/3/ModelBuilders/{algo}", data=form)
        out[name] = {"status": answer.status_code, "body": answer.json()}
        if answer.status_code != 200:
            continue
        client.wait(answer.json()["job"]["key"]["name"], timeout=60)
        out[name]["model"] = http.get(f"/3/Models/{model_id}").json()["models"][0]["output"]
        predicted = f"pred_{model_id}"
        http.post(f"/3/Predictions/models/{model_id}/frames/{frame}", data={"predictions_frame": predicted})
        rows = list(csv.reader(io.StringIO(http.get("/3/DownloadDataset", params={"frame_id": predicted}).text)))
        out[name]["predictions"] = rows
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The same builds on the real server and on the mock (fast clock), under the same ids."""
    csv_path = Path(tmp_path_factory.mktemp("zero_trees_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag))


def _same(mock: Any, real: Any) -> bool:
    """Equal, numbers to 1e-6 (relative: a real server sums in its own order), NaN ("NaN" on the wire) equal to NaN."""
    if isinstance(real, list) and isinstance(mock, list):
        return len(mock) == len(real) and all(_same(m, r) for m, r in zip(mock, real, strict=True))
    m, r = _number(mock), _number(real)
    if m is not None and r is not None:
        return (math.isnan(m) and math.isnan(r)) or math.isclose(m, r, rel_tol=1e-6, abs_tol=1e-12)
    return bool(mock == real)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@pytest.mark.live
@pytest.mark.parametrize("build", list(BUILDS))
def test_no_trees_is_accepted_and_a_negative_number_refused_as_on_a_real_server(
    both: tuple[dict[str, Any], ...], build: str
) -> None:
    real, mock = (side[build] for side in both)
    assert mock["status"] == real["status"] == (200 if build.endswith("_0") else 412)
    assert mock["body"]["__meta"] == real["body"]["__meta"]
    if real["status"] != 200:
        assert mock["body"]["msg"] == real["body"]["msg"]
        return
    assert _same(mock["model"]["init_f"], real["model"]["init_f"])
    assert mock["model"]["model_summary"]["data"] == real["model"]["model_summary"]["data"]
    assert mock["model"]["variable_importances"] is real["model"]["variable_importances"] is None
    # of 3 equally likely classes a real server picks one by the row, and the mock picks the same
    for field in METRICS:
        assert _same(mock["model"]["training_metrics"].get(field), real["model"]["training_metrics"].get(field)), field
    # the scoring history's one row (at 0 trees), from its number of trees on
    history = [side["model"]["scoring_history"] for side in (mock, real)]
    assert [c["name"] for c in history[0]["columns"]] == [c["name"] for c in history[1]["columns"]]
    picked = list(range(3, len(history[1]["columns"])))
    assert _same([history[0]["data"][i] for i in picked], [history[1]["data"][i] for i in picked])


@pytest.mark.live
@pytest.mark.parametrize("build", [b for b in BUILDS if b.endswith("_0")])
def test_a_model_of_no_trees_predicts_as_on_a_real_server(both: tuple[dict[str, Any], ...], build: str) -> None:
    """Of 3 equally likely classes a real server picks one by the row (a draw seeded by its values, weighted by the
    classes' shares of the training rows): the mock picks the same."""
    real, mock = (side[build]["predictions"] for side in both)
    assert mock[0] == real[0]
    assert len(mock) == len(real)
    assert _same(mock[1:], real[1:])
