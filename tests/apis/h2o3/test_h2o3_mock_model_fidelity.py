"""Model JSON of the mock against a real local H2O-3 3.46.0.12, field by field, for GBM (cross-validated, with a
validation frame), GLM and DRF built with the same requests.

Values may differ (the mock's learners are stand-ins); the shape may not: the same parameter names (the mock
lists them in the metadata's order, a real model in its own), the same ``actual_value`` for every default a real
server resolves (bar ``ALLOWED``), the same output fields, scoring-history columns, metrics descriptions and
cross-validation summary rows.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv
from h2oharness.targets import Target

BUILDS: dict[str, tuple[str, dict[str, Any]]] = {
    "gbm": ("gbm", {"ntrees": 5, "seed": 1, "nfolds": 3, "keep_cross_validation_predictions": "true"}),
    "glm": ("glm", {"family": "binomial"}),
    "drf": ("drf", {"ntrees": 5, "seed": 1}),
}
# (build, parameter) -> why the actual value differs on purpose
ALLOWED: dict[tuple[str, str], str] = {
    ("glm", "seed"): "a real server draws a random seed for -1; the mock fits with 1234 (DEVIATIONS 'seed -1')",
    ("glm", "lambda"): "a real GLM searches lambda from the data; the mock fits a ridge with lambda 1e-3",
}


def _models(http: httpx.Client, csv_path: Path) -> dict[str, dict[str, Any]]:
    """Parse the CSV and build every model of BUILDS on one server; their ModelV3 bodies by build name."""
    client = H2O3Client(http)
    raw = client.import_files(str(csv_path))["destination_frames"]
    frame = f"fidelity_{uuid.uuid4().hex[:8]}.hex"
    parsed = client.parse(client.parse_setup(raw), destination_frame=frame)
    client.wait(parsed["job"]["key"]["name"], timeout=60)
    out = {}
    for name, (algo, params) in BUILDS.items():
        built = client.build_model(
            algo, training_frame=frame, validation_frame=frame, response_column="label", **params
        )
        client.wait(built["job"]["key"]["name"], timeout=120)
        out[name] = client.model(built["job"]["dest"]["name"])
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], dict[str, Any]]:
    """The models built on the real server and on the mock (fast clock)."""
    csv_path = Path(tmp_path_factory.mktemp("model_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    return on_both(h2o3_local, lambda http: _models(http, csv_path), timeout=60)


def _plain(value: Any) -> Any:
    """A key or column specifier as its name, so values compare across servers."""
    if isinstance(value, dict):
        return value.get("name", value.get("column_name"))
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


IDS = ("model_id", "training_frame", "validation_frame")


@pytest.mark.live
@pytest.mark.parametrize("build", list(BUILDS))
def test_parameters_have_the_real_names_and_actual_values(
    both: tuple[dict[str, Any], dict[str, Any]], build: str
) -> None:
    real, mock = ({p["name"]: p for p in side[build]["parameters"]} for side in both)
    assert set(mock) == set(real)
    mismatched = {
        name: (_plain(r["actual_value"]), _plain(mock[name]["actual_value"]))
        for name, r in real.items()
        if name not in IDS and _plain(r["actual_value"]) != _plain(mock[name]["actual_value"])
    }
    assert {name: v for name, v in mismatched.items() if (build, name) not in ALLOWED} == {}
    assert {(build, name) for name in mismatched} == {k for k in ALLOWED if k[0] == build}


@pytest.mark.live
@pytest.mark.parametrize("build", list(BUILDS))
def test_outputs_have_the_real_fields_columns_and_descriptions(
    both: tuple[dict[str, Any], dict[str, Any]], build: str
) -> None:
    real, mock = (side[build] for side in both)
    assert set(mock) == set(real)
    real_out, mock_out = real["output"], mock["output"]
    assert set(mock_out) == set(real_out)
    for metrics in ("training_metrics", "validation_metrics", "cross_validation_metrics"):
        expected = (real_out[metrics] or {}).get("description")
        assert (mock_out[metrics] or {}).get("description") == expected, metrics
    if build != "glm":  # a GLM's scoring history has its own columns
        names = [c["name"] for c in mock_out["scoring_history"]["columns"]]
        assert names == [c["name"] for c in real_out["scoring_history"]["columns"]]
    summary = real_out["cross_validation_metrics_summary"]
    if summary is None:
        assert mock_out["cross_validation_metrics_summary"] is None
        return
    mock_summary = mock_out["cross_validation_metrics_summary"]
    assert [c["name"] for c in mock_summary["columns"]] == [c["name"] for c in summary["columns"]]
    assert mock_summary["data"][0] == summary["data"][0]
    assert len(mock_out["cross_validation_models"]) == len(real_out["cross_validation_models"])
