"""h2o.upload_model's requests (POST /3/PostFile.bin of a model's file, then POST /99/Models.upload.bin/) on the
mock against a real local H2O-3 3.46.0.12: each side uploads the file its own /3/Models.fetch.bin gave (what
h2o.download_model saves), and both bring the deleted model back under its own id, answer a second upload of the same
key and a path naming another id alike, and refuse what is not a model file in the same words."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv, gbm_params
from h2oharness.targets import Target

# where a real server answers 500 (a Java exception), the mock answers 400 with the same message (mock.DEVIATIONS)
REAL_500 = {"unknown_key", "no_dir", "parsed_frame"}


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    client = H2O3Client(http)
    frame = f"up_{tag}.hex"
    raw = client.import_files(str(csv_path))["destination_frames"]
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    model = f"up_gbm_{tag}"
    client.wait(client.build_model("gbm", **{**gbm_params(frame, ntrees=2), "model_id": model})["job"]["key"]["name"])
    blob = http.get(f"/3/Models.fetch.bin/{model}").content
    posted = http.post("/3/PostFile.bin", files={"file": ("model.bin", blob)}).json()
    not_a_model = http.post("/3/PostFile.bin", files={"file": ("t.csv", csv_path.read_bytes())}).json()
    out: dict[str, Any] = {"posted": sorted(posted)}
    assert http.delete(f"/3/Models/{model}").status_code == 200
    asks = {
        "upload": ("/99/Models.upload.bin/", {"dir": posted["destination_frame"]}),
        "upload_again": ("/99/Models.upload.bin/", {"dir": posted["destination_frame"]}),
        "upload_named": (f"/99/Models.upload.bin/other_{tag}", {"dir": posted["destination_frame"]}),
        "unknown_key": ("/99/Models.upload.bin/", {"dir": f"nope_{tag}"}),
        "no_dir": ("/99/Models.upload.bin/", {}),
        "not_a_model": ("/99/Models.upload.bin/", {"dir": not_a_model["destination_frame"]}),
        "parsed_frame": ("/99/Models.upload.bin/", {"dir": frame}),
    }
    for name, (path, form) in asks.items():
        answer = http.post(path, data=form)
        out[name] = (answer.status_code, answer.json())
    back = http.get(f"/3/Models/{model}").json()["models"][0]
    out["back"] = (back["model_id"]["name"], back["algo"], back["output"]["model_category"])
    predicted = http.post(f"/3/Predictions/models/{model}/frames/{frame}")
    out["predicts"] = predicted.status_code
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The requests on the real server and on the mock."""
    csv_path = Path(tmp_path_factory.mktemp("upload_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag), timeout=300)


@pytest.mark.live
@pytest.mark.parametrize(
    "name", ["upload", "upload_again", "upload_named", "unknown_key", "no_dir", "not_a_model", "parsed_frame"]
)
def test_an_upload_is_answered_as_on_the_real_server(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real), (mock_status, mock) = (side[name] for side in both)
    assert (real_status, mock_status) == ((500, 400) if name in REAL_500 else (real_status, real_status))
    assert mock["__meta"]["schema_name"] == real["__meta"]["schema_name"]
    if real_status != 200:
        assert (mock["msg"], mock["exception_type"]) == (real["msg"], real["exception_type"])
        return
    assert sorted(mock) == sorted(real)
    assert [m["model_id"]["name"] for m in mock["models"]] == [m["model_id"]["name"] for m in real["models"]]


@pytest.mark.live
def test_the_uploaded_model_is_back_and_predicts(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = both
    assert mock["posted"] == real["posted"]
    assert (mock["back"], mock["predicts"]) == (real["back"], real["predicts"])
