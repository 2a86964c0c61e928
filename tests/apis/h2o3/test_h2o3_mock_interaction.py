"""h2o.interaction on the mock: levels by falling count, "other" past max_factors, and a missing level as
CreateInteractions treats it (named NA in a pair, left missing alone); test_h2o3_mock_interaction_fidelity.py
compares the real server's answers."""

from __future__ import annotations

from pathlib import Path

import httpx

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.mocks.clock import ManualClock


def _column(http: httpx.Client, frame: str) -> tuple[list[str], list[float | str]]:
    col = http.get(f"/3/Frames/{frame}", params={"row_count": 100}).json()["frames"][0]["columns"][0]
    return col["domain"], col["data"]


def test_levels_by_count_other_and_missing(
    http: httpx.Client, client: H2O3Client, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "pets.csv"
    path.write_text("pet,size,n\ncat,big,1\ncat,big,2\ndog,small,3\n,small,4\ncat,small,5\ndog,small,6\ndog,small,7\n")
    raw = client.import_files(str(path))["destination_frames"]
    client.parse(client.parse_setup(raw), destination_frame="pets.hex")
    clock.advance(10.0)
    form = {"source_frame": "pets.hex", "factor_columns": '["pet","size"]', "max_factors": "2", "dest": "pair"}
    job = http.post("/3/Interaction", data=form).json()
    assert (job["description"], job["dest"]["name"]) == ("CreateFrame", "pair")
    clock.advance(10.0)
    assert _column(http, "pair") == (["dog_small", "cat_big", "other"], [1.0, 1.0, 0.0, 2.0, 2.0, 0.0, 0.0])
    alone = {"source_frame": "pets.hex", "factor_columns": '["pet"]', "max_factors": "100", "dest": "alone"}
    http.post("/3/Interaction", data=alone)
    clock.advance(10.0)
    assert _column(http, "alone") == (["cat", "dog"], [0.0, 0.0, 1.0, "NaN", 0.0, 1.0, 1.0])
    everything = {**form, "max_factors": "100", "dest": "all"}
    http.post("/3/Interaction", data=everything)
    clock.advance(10.0)
    assert "NA_small" in _column(http, "all")[0]
