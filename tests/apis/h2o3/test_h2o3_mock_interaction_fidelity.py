"""h2o.interaction (POST /3/Interaction) on the mock against a real local H2O-3 3.46.0.12: the same job, the same
refusals in the same words, and the same interaction columns (names, levels in the real order, codes of every row),
levels of equal count included, for pairs, pair-wise columns, ``max_factors`` and ``min_occurrence``."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import job_end, on_both, shape_differences

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv
from h2oharness.targets import Target

# name: form; {f} is the parsed frame, {g} the frame with the size column as an enum ("sz") too
REQUESTS: dict[str, dict[str, str]] = {
    "pair": {"source_frame": "{f}", "factor_columns": '["color","label"]', "max_factors": "100", "dest": "i1_{t}"},
    "pairwise": {"source_frame": "{g}", "factor_columns": '["color","label","sz"]', "pairwise": "true",
                 "max_factors": "100", "dest": "i2_{t}"},
    "ties_cut_by_max_factors": {"source_frame": "{g}", "factor_columns": '["color","sz"]', "max_factors": "4",
                                "dest": "i3_{t}"},
    "pairwise_cut": {"source_frame": "{g}", "factor_columns": '["color","sz","label"]', "pairwise": "true",
                     "max_factors": "3", "min_occurrence": "12", "dest": "i4_{t}"},
    "min_occurrence": {"source_frame": "{g}", "factor_columns": '["color","sz"]', "max_factors": "100",
                       "min_occurrence": "15", "dest": "i5_{t}"},
    "chain_of_three": {"source_frame": "{g}", "factor_columns": '["label","color","sz"]', "max_factors": "100",
                       "dest": "i6_{t}"},
    "one_column": {"source_frame": "{f}", "factor_columns": '["color"]', "max_factors": "100", "dest": "i7_{t}"},
    "no_max": {"source_frame": "{f}", "factor_columns": '["color","label"]', "max_factors": "-1", "dest": "i8_{t}"},
    "negative_occurrence": {"source_frame": "{f}", "factor_columns": '["color","label"]', "max_factors": "3",
                            "min_occurrence": "-5", "dest": "i9_{t}"},
    "numeric_column": {"source_frame": "{f}", "factor_columns": '["color","x1"]', "max_factors": "100"},
    "unknown_column": {"source_frame": "{f}", "factor_columns": '["color","zz"]', "max_factors": "100"},
    "no_columns": {"source_frame": "{f}", "max_factors": "100"},
    "unknown_frame": {"source_frame": "nope_{t}", "factor_columns": '["color"]', "max_factors": "100"},
    "no_max_factors": {"source_frame": "{f}", "factor_columns": '["color","label"]'},
}  # fmt: skip
# where a real server answers 500 (a NullPointerException), the mock answers 400 with its message (mock.DEVIATIONS)
REAL_500 = {"unknown_frame"}


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    client = H2O3Client(http)
    frame, sized = f"ia_{tag}.hex", f"ia_sz_{tag}"
    raw = client.import_files(str(csv_path))["destination_frames"]
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    ast = f'(assign {sized} (cbind {frame} (colnames= (as.factor (cols {frame} [3])) [0] ["sz"])))'
    assert http.post("/99/Rapids", data={"ast": ast}).status_code == 200
    out: dict[str, Any] = {}
    for name, form in REQUESTS.items():
        answer = http.post("/3/Interaction", data={k: v.format(f=frame, g=sized, t=tag) for k, v in form.items()})
        body = answer.json()
        made = None
        if answer.status_code == 200:
            status = job_end(http, body["key"]["name"])
            shown = http.get(f"/3/Frames/{status['dest']['name']}", params={"row_count": 200}).json()["frames"][0]
            made = (status["status"], [(c["label"], c["type"], c["domain"], c["data"]) for c in shown["columns"]])
        out[name] = (answer.status_code, body, made)
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The requests on the real server and on the mock."""
    csv_path = Path(tmp_path_factory.mktemp("interaction_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag), timeout=300)


@pytest.mark.live
@pytest.mark.parametrize("name", list(REQUESTS))
def test_an_interaction_is_the_real_one(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real, real_made), (mock_status, mock, mock_made) = (side[name] for side in both)
    assert (real_status, mock_status) == ((500, 400) if name in REAL_500 else (real_status, real_status))
    assert mock["__meta"]["schema_name"] == real["__meta"]["schema_name"]
    if real_status != 200:
        assert (mock["msg"], mock["exception_type"]) == (real["msg"], real["exception_type"])
        return
    assert shape_differences(real, mock) == []
    assert (mock["description"], mock["dest"]["name"][:1]) == (real["description"], real["dest"]["name"][:1])
    assert mock_made == real_made
