"""H2OFrame.save and h2o.load_frame (POST /3/Frames/{frame_id}/save, POST /3/Frames/load) on the mock against a real
local H2O-3 3.46.0.12, each side in a folder of its own (named DIR in messages): the same jobs and refusals in the
same words, and a saved, deleted and loaded frame that holds what it held."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import job_end, on_both, shape_differences

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.apis.h2o3.payloads import classification_csv
from h2oharness.targets import Target

# where a real server answers 500 (a Java exception), the mock answers 400 with the same message (mock.DEVIATIONS)
REAL_500 = {"save_no_dir", "load_other_id", "load_missing_folder", "load_no_id", "load_no_dir", "load_failed_removes"}


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, Any]:
    # a folder of each side's own next to the CSV, which pytest cleans up
    client = H2O3Client(http)
    frame = f"ff_{tag}.hex"
    raw = client.import_files(str(csv_path))["destination_frames"]
    client.wait(client.parse(client.parse_setup(raw), destination_frame=frame)["job"]["key"]["name"], timeout=60)
    folder = tempfile.mkdtemp(prefix="frame_files_", dir=csv_path.parent)
    saved = f"{folder}/saved"
    steps: list[tuple[str, str, str, dict[str, str]]] = [
        ("save", "POST", f"/3/Frames/{frame}/save", {"dir": saved}),
        ("save_again", "POST", f"/3/Frames/{frame}/save", {"dir": saved}),
        ("save_no_force", "POST", f"/3/Frames/{frame}/save", {"dir": saved, "force": "false"}),
        ("save_unknown", "POST", f"/3/Frames/nope_{tag}/save", {"dir": saved}),
        ("save_no_dir", "POST", f"/3/Frames/{frame}/save", {}),
        ("load_held_no_force", "POST", "/3/Frames/load", {"dir": saved, "frame_id": frame, "force": "false"}),
        ("delete", "DELETE", f"/3/Frames/{frame}", {}),
        ("load", "POST", "/3/Frames/load", {"dir": saved, "frame_id": frame}),
        ("load_held", "POST", "/3/Frames/load", {"dir": saved, "frame_id": frame}),
        ("load_other_id", "POST", "/3/Frames/load", {"dir": saved, "frame_id": f"other_{tag}"}),
        ("load_missing_folder", "POST", "/3/Frames/load", {"dir": f"{folder}/none", "frame_id": frame}),
        ("load_no_id", "POST", "/3/Frames/load", {"dir": saved}),
        ("load_no_dir", "POST", "/3/Frames/load", {"frame_id": f"other_{tag}"}),
        ("load_not_a_frame", "POST", "/3/Frames/load", {"dir": str(csv_path.parent), "frame_id": csv_path.name}),
        # a forced load removes the frame held under the name first, even when it then fails
        ("load_failed_removes", "POST", "/3/Frames/load", {"dir": f"{folder}/none", "frame_id": frame}),
        ("reload", "POST", "/3/Frames/load", {"dir": saved, "frame_id": frame}),
    ]
    out: dict[str, Any] = {}
    for name, method, path, form in steps:
        answer = http.request(method, path, data=form) if form else http.request(method, path)
        body = answer.json()
        job = body.get("job") if isinstance(body, dict) else None
        status = job_end(http, job["key"]["name"]) if answer.status_code == 200 and job else None
        seen = (status["status"], status["description"], status["dest"]["name"]) if status else None
        out[name] = (answer.status_code, _dir_free(body, folder), seen)
        if name == "load_failed_removes":
            out["held_after_failed_load"] = http.get(f"/3/Frames/{frame}").status_code
    loaded = http.get(f"/3/Frames/{frame}", params={"row_count": 200}).json()["frames"][0]
    out["loaded"] = [(c["label"], c["type"], c["domain"], c["data"], c["string_data"]) for c in loaded["columns"]]
    return out


def _dir_free(value: Any, folder: str) -> Any:
    if isinstance(value, str):
        return value.replace(folder, "DIR")
    if isinstance(value, dict):
        return {k: _dir_free(v, folder) for k, v in value.items()}
    if isinstance(value, list):
        return [_dir_free(v, folder) for v in value]
    return value


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], ...]:
    """The requests on the real server and on the mock."""
    csv_path = Path(tmp_path_factory.mktemp("frame_files_fidelity")) / "train.csv"
    csv_path.write_text(classification_csv())
    tag = uuid.uuid4().hex[:8]
    return on_both(h2o3_local, lambda http: _run(http, csv_path, tag), timeout=300)


STEPS = ["save", "save_again", "save_no_force", "save_unknown", "save_no_dir", "load_held_no_force", "load",
         "load_held", "load_other_id", "load_missing_folder", "load_no_id", "load_no_dir", "load_not_a_frame",
         "load_failed_removes", "reload"]  # fmt: skip


@pytest.mark.live
@pytest.mark.parametrize("name", STEPS)
def test_a_save_or_load_is_answered_as_on_the_real_server(both: tuple[dict[str, Any], ...], name: str) -> None:
    (real_status, real, real_job), (mock_status, mock, mock_job) = (side[name] for side in both)
    assert (real_status, mock_status) == ((500, 400) if name in REAL_500 else (real_status, real_status))
    assert mock["__meta"]["schema_name"] == real["__meta"]["schema_name"]
    if real_status != 200:
        assert (mock["msg"], mock["exception_type"]) == (real["msg"], real["exception_type"])
        return
    assert shape_differences(real, mock) == []
    assert (mock["dir"], mock["force"], mock["job"]["description"]) == (
        real["dir"], real["force"], real["job"]["description"]
    )  # fmt: skip
    assert mock_job == real_job


@pytest.mark.live
def test_a_loaded_frame_holds_what_was_saved(both: tuple[dict[str, Any], ...]) -> None:
    real, mock = both
    assert mock["loaded"] == real["loaded"]
    assert mock["held_after_failed_load"] == real["held_after_failed_load"] == 404
