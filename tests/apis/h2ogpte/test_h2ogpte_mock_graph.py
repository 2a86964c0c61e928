"""A collection's graph build answers the contract's 201 JobDetails, and its status speaks the contract's words."""

from __future__ import annotations

import httpx

from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.mocks.clock import ManualClock


def test_a_graph_build_is_created_and_its_status_goes_from_building_to_ready(
    http: httpx.Client, client: H2OGPTeClient, clock: ManualClock
) -> None:
    collection = client.create_collection("graph")["id"]
    assert http.get(f"/api/v1/graph/{collection}/status").json() == {"status": "none"}
    build = http.post(f"/api/v1/graph/{collection}/build", json={"force_rebuild": False})
    assert build.status_code == 201
    building = http.get(f"/api/v1/graph/{collection}/status").json()
    assert building == {"status": "building", "built_at": None}
    clock.advance(1.0)
    ready = http.get(f"/api/v1/graph/{collection}/status").json()
    assert ready["status"] == "ready"
    assert ready["built_at"].startswith("20")
