"""Refusals of the mock against a real local H2O-3 3.46.0.12: builds on a frame too small for a tree to split
(GBM's and DRF's ``min_rows``, weighted or not) get the same status, schema, message and validation messages in
the same places, and the builds a real server accepts on that frame are accepted; so do builds on a frame whose
predictors are all constant, and ones with an empty response column, or a weights or offset column that is not in
the frame (``weights_column=""`` among them: refused, not ignored); a grid search without a training frame (nor a
grid id to name it) gets the same 400."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.targets import Target

# algo, extra form fields (None leaves one out): on 19 rows (weights 0.5 or 1), what a real server refuses or accepts
BUILDS: dict[str, tuple[str, dict[str, str | None]]] = {
    "gbm_default": ("gbm", {}),
    "gbm_min_rows_1": ("gbm", {"min_rows": "1"}),
    "gbm_weighted": ("gbm", {"min_rows": "8", "weights_column": "w"}),  # 14 weighted rows, 19 rows
    "gbm_with_learn_rate": ("gbm", {"learn_rate": "2"}),
    "drf_default": ("drf", {}),
    "drf_min_rows_10": ("drf", {"min_rows": "10"}),
    "glm_default": ("glm", {}),
    "gbm_max_depth": ("gbm", {"min_rows": "1", "max_depth": "-1"}),
    "drf_min_rows_0": ("drf", {"min_rows": "0"}),
    "gbm_bernoulli_on_numbers": ("gbm", {"min_rows": "1", "distribution": "bernoulli", "response_column": "x2"}),
    # nfolds: its errors come first; nfolds other than 0 drops the cross-validation hints, nfolds > 1 hints fold_column
    "gbm_nfolds_1": ("gbm", {"min_rows": "1", "nfolds": "1"}),
    "drf_nfolds_minus_1_regression": ("drf", {"nfolds": "-1", "response_column": "x1"}),
    "glm_nfolds_above_rows": ("glm", {"nfolds": "20"}),
    "gbm_nfolds_3_bad_ntrees": ("gbm", {"min_rows": "1", "nfolds": "3", "ntrees": "-1"}),
    "gbm_nfolds_3_missing_response": ("gbm", {"nfolds": "3", "response_column": "nope"}),
    "glm_nfolds_1_missing_response": ("glm", {"nfolds": "1", "response_column": "nope"}),
    "gbm_missing_response": ("gbm", {"response_column": "nope"}),
    "glm_no_response": ("glm", {"response_column": None}),
    "gbm_nfolds_3_no_response": ("gbm", {"min_rows": "1", "nfolds": "3", "response_column": None}),
    # a special column not found (a name of "" too) is refused, before and after the drop, ahead of the response
    "gbm_empty_weights": ("gbm", {"min_rows": "1", "weights_column": ""}),
    "glm_empty_weights": ("glm", {"weights_column": ""}),
    "gbm_missing_weights_and_response": ("gbm", {"weights_column": "nope", "response_column": "nope2"}),
    "glm_empty_weights_and_offset": ("glm", {"weights_column": "", "offset_column": ""}),  # and offset == weights
    "drf_missing_offset": ("drf", {"min_rows": "1", "offset_column": "nope"}),  # and DRF takes no offset
}
# on 20 rows whose only predictor is constant (x=1, the label alternating): dropped with a WARN, and too few columns
CONSTANT_BUILDS: dict[str, tuple[str, dict[str, str | None]]] = {
    "glm_constant": ("glm", {}),
    "gbm_constant": ("gbm", {"min_rows": "1"}),
    "drf_constant": ("drf", {}),
    "gbm_constant_kept": ("gbm", {"min_rows": "1", "ignore_const_cols": "false"}),
    # an empty response column names a column '', not found (before and after the drop); not "not set"
    "gbm_empty_response": ("gbm", {"min_rows": "1", "response_column": ""}),
    "glm_empty_response": ("glm", {"response_column": ""}),
    "drf_empty_response_bad_ntrees": ("drf", {"response_column": "", "ntrees": "-1"}),
    # the tree checks still come after "Response column parameter not set."
    "gbm_no_response_bad_trees": ("gbm", {"response_column": None, "ntrees": "-1", "max_depth": "-1"}),
}


def small_csv(rows: int) -> str:
    """A frame of ``rows`` rows: two numbers, a weight (0.5 or 1) and a label that alternate."""
    lines = ["x1,x2,w,label"] + [
        f"{i * 1.5},{(i * 7) % 5},{0.5 + (i % 2) / 2},{'yes' if i % 2 else 'no'}" for i in range(rows)
    ]
    return "\n".join(lines) + "\n"


def constant_csv(rows: int) -> str:
    """A frame of ``rows`` rows whose one predictor is constant, and a label that alternates."""
    return "x,label\n" + "".join(f"1,{'yes' if i % 2 else 'no'}\n" for i in range(rows))


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    client = H2O3Client(http)
    frames = {}
    for prefix, path in (("small", csv_path), ("constant", csv_path.with_name("constant.csv"))):
        raw = client.import_files(str(path))["destination_frames"]
        frames[prefix] = f"{prefix}_{tag}.hex"
        client.wait(client.parse(client.parse_setup(raw), destination_frame=frames[prefix])["job"]["key"]["name"])
    out: dict[str, Any] = {}
    for name, (algo, extra) in [*BUILDS.items(), *CONSTANT_BUILDS.items()]:
        frame = frames["constant" if name in CONSTANT_BUILDS else "small"]
        given = {"training_frame": frame, "response_column": "label", "seed": "1", "model_id": f"{name}_{tag}", **extra}
        form = {k: v for k, v in given.items() if v is not None}  # None: the field is left out
        answer = http.post(f"/3/ModelBuilders/{algo}", data=form)
        out[name] = {"status": answer.status_code, "body": answer.json()}
        if answer.status_code == 200:
            client.wait(answer.json()["job"]["key"]["name"], timeout=60)
    grid = http.post("/99/Grid/gbm", data={"response_column": "label", "hyper_parameters": '{"max_depth": [1,2]}'})
    out["grid_without_frame"] = {"status": grid.status_code, "body": grid.json()}
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The same requests on the real server and on the mock (fast clock), under the same ids."""
    csv_path = Path(tmp_path_factory.mktemp("refusal_fidelity")) / "small.csv"
    csv_path.write_text(small_csv(19))
    csv_path.with_name("constant.csv").write_text(constant_csv(20))
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag))


def _messages(body: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(m["message_type"], m["field_name"], m["message"]) for m in body["messages"]]


@pytest.mark.live
@pytest.mark.parametrize("build", [*BUILDS, *CONSTANT_BUILDS])
def test_builds_on_a_small_frame_are_refused_or_accepted_as_on_a_real_server(
    both: tuple[dict[str, Any], ...], build: str
) -> None:
    real, mock = (side[build] for side in both)
    assert mock["status"] == real["status"]
    assert mock["body"]["__meta"] == real["body"]["__meta"]
    if real["status"] == 200:
        return
    assert mock["body"]["msg"] == real["body"]["msg"]
    assert mock["body"]["error_count"] == real["body"]["error_count"]
    assert _messages(mock["body"]) == _messages(real["body"])


@pytest.mark.live
def test_a_grid_search_without_a_training_frame_is_refused_as_on_a_real_server(
    both: tuple[dict[str, Any], ...],
) -> None:
    real, mock = (side["grid_without_frame"] for side in both)
    assert mock["status"] == real["status"] == 400
    for field in ("__meta", "msg", "exception_type", "http_status", "values"):
        assert mock["body"][field] == real["body"][field], field
