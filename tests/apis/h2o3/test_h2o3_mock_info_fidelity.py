"""The read-only cluster routes (Ping, About, Capabilities, SteamMetrics, SessionProperties, NodePersistentStorage,
Typeahead, /4/endpoints) on the mock against a real local H2O-3 3.46.0.12: the same status, schema and shape all
the way down, the same values where they are facts of the build rather than of the machine, the same refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from h2o3_fidelity import on_both, shape_differences

from h2oharness.targets import Target

# name: (path, query); {folder} is a folder of the test's own, the same for both servers
REQUESTS: dict[str, tuple[str, dict[str, str]]] = {
    "ping": ("/3/Ping", {}),
    "about": ("/3/About", {}),
    "capabilities": ("/3/Capabilities", {}),
    "capabilities_core": ("/3/Capabilities/Core", {}),
    "capabilities_api": ("/3/Capabilities/API", {}),
    "steam_metrics": ("/3/SteamMetrics", {}),
    "session_property": ("/3/SessionProperties", {"session_key": "_sid_x", "key": "k"}),
    "session_property_bare": ("/3/SessionProperties", {}),
    "storage_configured": ("/3/NodePersistentStorage/configured", {}),
    "storage_category": ("/3/NodePersistentStorage/notebook", {}),
    "storage_category_exists": ("/3/NodePersistentStorage/categories/notebook/exists", {}),
    "storage_name_exists": ("/3/NodePersistentStorage/categories/notebook/names/nope/exists", {}),
    "storage_value_missing": ("/3/NodePersistentStorage/notebook/nope", {}),
    "typeahead_prefix": ("/3/Typeahead/files", {"src": "{folder}/da"}),
    "typeahead_folder": ("/3/Typeahead/files", {"src": "{folder}"}),
    "typeahead_limit": ("/3/Typeahead/files", {"src": "{folder}/", "limit": "1"}),
    "typeahead_relative": ("/3/Typeahead/files", {"src": "tmp"}),
    "typeahead_no_src": ("/3/Typeahead/files", {}),
    "endpoints_v4": ("/4/endpoints", {}),
    "endpoints_v4_unknown_parameter": ("/4/endpoints", {"bogus": "1"}),
    "endpoints_v4_schema_parameter": ("/4/endpoints", {"__schema": "/4/schemas/ListRequestV4"}),
    "ping_unknown_parameter": ("/3/Ping", {"bogus": "1"}),
    "water_meter_io": ("/3/WaterMeterIo", {}),
    "water_meter_io_node": ("/3/WaterMeterIo/0", {}),
    "water_meter_io_other_node": ("/3/WaterMeterIo/3", {}),
    "water_meter_io_text_node": ("/3/WaterMeterIo/x", {}),
    "cpu_ticks": ("/3/WaterMeterCpuTicks/0", {}),
    "cpu_ticks_other_node": ("/3/WaterMeterCpuTicks/1", {}),
    "kill_minus3": ("/3/KillMinus3", {}),
}
# answers whose values are facts of the machine or the moment, not of the build: only their shape is compared
MACHINE = {"ping", "steam_metrics", "water_meter_io", "water_meter_io_node", "cpu_ticks"}
# where a real server answers 500 for a node it does not have, the mock answers 404 with the same message
# (mock.DEVIATIONS)
REAL_500 = {"water_meter_io_other_node", "cpu_ticks_other_node"}
# the build's age, which the mock gives as /3/Cloud does (a real server counts it, and warns past 100 days)
AGE = ("Build age", "Version warning")


def _run(http: httpx.Client, folder: Path) -> dict[str, tuple[int, Any]]:
    out = {}
    for name, (path, query) in REQUESTS.items():
        answer = http.get(path, params={k: v.format(folder=folder) for k, v in query.items()})
        out[name] = (answer.status_code, answer.json())
    return out


@pytest.fixture(scope="module")
def both(h2o3_local: Target, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, tuple[int, Any]], ...]:
    """The requests on the real server and on the mock."""
    folder = tmp_path_factory.mktemp("typeahead")
    for name in ("data_b.csv", "Data_a.csv", ".data_hidden", "other.csv"):
        (folder / name).write_text("x\n1\n")
    return on_both(h2o3_local, lambda http: _run(http, folder))


@pytest.mark.live
@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_mock_answers_in_the_real_shape(both: tuple[dict[str, tuple[int, Any]], ...], name: str) -> None:
    (real_status, real), (mock_status, mock) = (side[name] for side in both)
    assert (real_status, mock_status) == ((500, 404) if name in REAL_500 else (real_status, real_status))
    assert _schema(mock) == _schema(real)
    if real_status != 200:
        assert mock["msg"] == real["msg"]
        assert mock["exception_type"] == real["exception_type"]
        return
    assert shape_differences(real, mock) == []
    if name not in MACHINE:
        assert _facts(mock) == _facts(real)


def _schema(body: dict[str, Any]) -> str:
    # v4 answers name theirs in __schema
    return str(body["__meta"]["schema_name"] if "__meta" in body else body["__schema"])


def _facts(body: dict[str, Any]) -> dict[str, Any]:
    facts = {k: v for k, v in body.items() if k not in ("__meta", "_exclude_fields")}
    if "entries" in facts and isinstance(facts["entries"], list) and body["__meta"]["schema_name"] == "AboutV3":
        facts["entries"] = [(e["name"], e["value"]) for e in facts["entries"] if e["name"] not in AGE]
    if "capabilities" in facts:
        facts["capabilities"] = [e["name"] for e in facts["capabilities"]]
    if "matches" in facts:
        facts["matches"] = sorted(facts["matches"])  # the folder's order is the file system's, the same for both
    return facts
