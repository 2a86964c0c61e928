"""Metrics of models whose 3 classes tie on every row, on the mock against a real local H2O-3 3.46.0.12.

The frame's classes are equally common and no predictor tells them apart, so each row's probabilities are all 1/3.
A real server counts a tied row as the class its tie-breaking picks: by a draw seeded with the row's predictor values
when it scores a frame (validation metrics) and a tree model's training rows before its first tree, with a seed of 0
(every row the same class) once the model has trees. The top-k hit ratios rank the rest by the same draws.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.targets import Target

BUILDS: dict[str, tuple[str, dict[str, str]]] = {
    "gbm_3_trees": ("gbm", {"ntrees": "3", "min_rows": "1"}),
    "gbm_0_trees": ("gbm", {"ntrees": "0"}),
    "drf_0_trees": ("drf", {"ntrees": "0"}),
}
CLASSES = ("a", "b", "c")


def tied_csv() -> str:
    """30 rows, 10 of each class, both predictors spread evenly over the classes."""
    rows = ["x,z,y"] + [f"{i % 2},{(i * 7) % 5},{CLASSES[i % 3]}" for i in range(30)]
    return "\n".join(rows) + "\n"


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    client = H2O3Client(http)
    raw = client.import_files(str(csv_path))["destination_frames"]
    frame = f"ties_{tag}.hex"
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    out: dict[str, Any] = {}
    for name, (algo, params) in BUILDS.items():
        model_id = f"{name}_{tag}"
        form = {"training_frame": frame, "validation_frame": frame, "response_column": "y", "seed": "1"}
        built = http.post(f"/3/ModelBuilders/{algo}", data={**form, **params, "model_id": model_id})
        assert built.status_code == 200, built.text
        client.wait(built.json()["job"]["key"]["name"], timeout=60)
        out[name] = http.get(f"/3/Models/{model_id}").json()["models"][0]["output"]
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The same builds on the real server and on the mock (fast clock)."""
    csv_path = Path(tmp_path_factory.mktemp("ties_fidelity")) / "tied.csv"
    csv_path.write_text(tied_csv())
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag))


def _table(metrics: dict[str, Any], name: str) -> tuple[Any, ...]:
    table = metrics[name] if name == "hit_ratio_table" else metrics[name]["table"]
    hits = [round(float(v), 6) for v in table["data"][1]] if name == "hit_ratio_table" else None
    return table["name"], [c["type"] for c in table["columns"]], hits or table["data"]


@pytest.mark.live
@pytest.mark.parametrize("build", list(BUILDS))
@pytest.mark.parametrize("metrics", ["training_metrics", "validation_metrics"])
@pytest.mark.parametrize("table", ["cm", "hit_ratio_table"])
def test_tied_rows_are_counted_as_the_class_a_real_server_picks(
    both: tuple[dict[str, Any], ...], build: str, metrics: str, table: str
) -> None:
    real, mock = (side[build][metrics] for side in both)
    assert _table(mock, table) == _table(real, table)
    assert mock["mean_per_class_error"] == pytest.approx(real["mean_per_class_error"], nan_ok=True)
