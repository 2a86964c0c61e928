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


def test_a_built_graph_is_read_and_deleted_and_none_is_404(
    http: httpx.Client, client: H2OGPTeClient, clock: ManualClock
) -> None:
    collection = client.create_collection("graph")["id"]
    assert http.get(f"/api/v1/graph/{collection}").status_code == 404
    assert http.delete(f"/api/v1/graph/{collection}").status_code == 404
    assert http.post(f"/api/v1/graph/{collection}/build", json={"force_rebuild": False}).status_code == 201
    # still building: no graph to read yet
    assert http.get(f"/api/v1/graph/{collection}").status_code == 404
    clock.advance(1.0)
    graph = http.get(f"/api/v1/graph/{collection}", params={"label": "*", "max_nodes": 10})
    assert graph.status_code == 200
    assert graph.json()["is_truncated"] is False
    assert (graph.json()["nodes"], graph.json()["edges"]) == ([], [])
    assert http.delete(f"/api/v1/graph/{collection}").status_code == 204
    assert http.get(f"/api/v1/graph/{collection}").status_code == 404
    assert http.get(f"/api/v1/graph/{collection}/status").json() == {"status": "none"}


def test_a_graphs_nodes_and_labels_are_404_until_it_is_built_and_hold_no_entity_after(
    http: httpx.Client, client: H2OGPTeClient, clock: ManualClock
) -> None:
    collection = client.create_collection("graph")["id"]
    node = http.get(f"/api/v1/graph/{collection}/node", params={"name": "Acme"})
    labels = http.get(f"/api/v1/graph/{collection}/labels", params={"q": "Ac"})
    assert (node.status_code, labels.status_code) == (404, 404)
    assert "Graph of collection" in labels.json()["message"]
    http.post(f"/api/v1/graph/{collection}/build", json={"force_rebuild": False})
    clock.advance(1.0)
    node = http.get(f"/api/v1/graph/{collection}/node", params={"name": "Acme"})
    assert node.status_code == 404
    assert "'Acme'" in node.json()["message"]
    labels = http.get(f"/api/v1/graph/{collection}/labels", params={"q": "Ac", "limit": 5})
    assert (labels.status_code, labels.json()) == (200, {"labels": []})
