"""A frame's /light and /columns views and one column's view, domain and summary, on the mock against a real local
H2O-3 3.46.0.12: the same status, schema and shape all the way down, the same rows, levels and windows (a column
alone starts at row 1 on a real server, whatever was asked), and the same 404s for an unknown frame or column."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both, shape_differences

from h2oharness.apis.h2o3.client import H2O3Client
from h2oharness.targets import Target

CSV = "x,c,s\n1.5,a,foo\n2,b,bar\n,a,baz\n4,,qux\n5,b,quux\n"
TYPES = ["Numeric", "Enum", "String"]
# name: (path under /3/Frames/{frame}, query)
REQUESTS: dict[str, tuple[str, dict[str, str]]] = {
    "light": ("/light", {}),
    "light_window": ("/light", {"row_offset": "1", "row_count": "2", "column_count": "1"}),
    "light_partial": ("/light", {"column_count": "3", "full_column_count": "1"}),
    "columns": ("/columns", {}),
    "columns_window": ("/columns", {"row_offset": "1", "row_count": "2"}),
    "column_numeric": ("/columns/x", {}),
    "column_enum": ("/columns/c", {"row_offset": "2"}),
    "column_string": ("/columns/s", {}),
    "domain_enum": ("/columns/c/domain", {}),
    "domain_numeric": ("/columns/x/domain", {}),
    "summary_numeric": ("/columns/x/summary", {}),
    "summary_enum": ("/columns/c/summary", {}),
    "summary_string": ("/columns/s/summary", {}),
    "summary_window": ("/columns/x/summary", {"row_offset": "2", "row_count": "2"}),
    "unknown_column": ("/columns/nope", {}),
    "unknown_column_domain": ("/columns/nope/domain", {}),
    "unknown_column_summary": ("/columns/nope/summary", {}),
}
UNKNOWN_FRAME = ("/light", "/columns", "/columns/x", "/columns/x/domain", "/columns/x/summary", "chunks")
# what a column's rows, levels and windows are: equal on both servers (sizes, checksums and chunk tables are not)
FRAME_FACTS = ("row_offset", "row_count", "column_offset", "column_count", "full_column_count", "rows", "num_columns")
COLUMN_FACTS = ("label", "type", "domain", "data", "string_data", "missing_count", "mins", "maxs", "mean")


def _run(http: httpx.Client, csv_path: Path, tag: str) -> dict[str, tuple[int, Any]]:
    client = H2O3Client(http)
    setup = client.parse_setup(client.import_files(str(csv_path))["destination_frames"])
    setup["column_types"] = TYPES
    frame = f"columns_{tag}.hex"
    client.wait(client.parse(setup, destination_frame=frame)["job"]["key"]["name"], timeout=60)
    out = {}
    for name, (path, query) in REQUESTS.items():
        answer = http.get(f"/3/Frames/{frame}{path}", params=query)
        out[name] = (answer.status_code, _untagged(answer.json(), tag))
    chunks = http.get(f"/3/FrameChunks/{frame}")
    out["chunks"] = (chunks.status_code, _untagged(chunks.json(), tag))
    for path in UNKNOWN_FRAME:
        answer = http.get(f"/3/FrameChunks/nope_{tag}" if path == "chunks" else f"/3/Frames/nope_{tag}{path}")
        out[f"unknown_frame{path}"] = (answer.status_code, _untagged(answer.json(), tag))
    return out


def _untagged(body: Any, tag: str) -> Any:
    if isinstance(body, dict):
        return {k: _untagged(v, tag) for k, v in body.items()}
    if isinstance(body, list):
        return [_untagged(v, tag) for v in body]
    return body.replace(tag, "TAG") if isinstance(body, str) else body


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, tuple[int, Any]], ...]:
    """The frame parsed on the real server and on the mock, and every view of it on each."""
    csv_path = Path(tmp_path_factory.mktemp("columns_fidelity")) / "columns.csv"
    csv_path.write_text(CSV)
    return on_both(h2o3_local, lambda http: _run(http, csv_path, uuid.uuid4().hex[:8]))


@pytest.mark.live
@pytest.mark.parametrize("name", [*REQUESTS, "chunks", *(f"unknown_frame{p}" for p in UNKNOWN_FRAME)])
def test_the_mock_answers_as_the_real_server(both: tuple[dict[str, tuple[int, Any]], ...], name: str) -> None:
    (real_status, real), (mock_status, mock) = (side[name] for side in both)
    assert mock_status == real_status
    assert mock["__meta"]["schema_name"] == real["__meta"]["schema_name"]
    if real_status != 200:
        assert (mock["msg"], mock["exception_type"]) == (real["msg"], real["exception_type"])
        return
    assert shape_differences(real, mock) == []
    if name == "chunks":  # a small frame is one chunk on a real server too
        assert mock["chunks"] == real["chunks"]
        return
    assert mock["domain"] == real["domain"]
    assert _facts(mock) == _facts(real)


def _facts(body: dict[str, Any]) -> Any:
    frames = [
        {
            "frame_id": frame["frame_id"]["name"],
            "light": (frame["byte_size"] == 0, frame["checksum"] == 0, frame["chunk_summary"] is None),
            **{k: frame[k] for k in FRAME_FACTS},
            "columns": [
                {
                    **{k: col[k] for k in COLUMN_FACTS},
                    "summarised": (col["histogram_bins"] is not None, col["percentiles"] is not None),
                }
                for col in frame["columns"]
            ],
        }
        for frame in body["frames"] or []
    ]
    return frames, {k: body[k] for k in FRAME_FACTS if k in body}
