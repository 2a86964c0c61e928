"""The h2oGPTe mock answers every operation of its contract (the official client's whole REST layer, the seeds'
and the OpenAI-compatible API): one schema-valid request each gets a documented status, never a 5xx, a body valid
under the documented schema, and no mock bug; and the generic answers agree with the hand-written objects."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState, default_state, make_app
from h2oharness.apis.h2ogpte.mockparts import generic
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.instances import Schemas
from h2oharness.mocks.serve import serve
from h2oharness.openapi import contract_document

DOCUMENT = contract_document("h2ogpte")
SCHEMAS = Schemas(DOCUMENT)
OPERATIONS = [(m.upper(), p, op) for p, item in DOCUMENT["paths"].items() for m, op in item.items()]


@pytest.fixture(scope="module")
def mock() -> Iterator[tuple[H2OGPTeMockState, httpx.Client]]:
    """One mock for the whole surface, on a clock that never moves, with a collection and a chat session."""
    state = H2OGPTeMockState(clock=ManualClock())
    headers = {"Authorization": f"Bearer {DEFAULT_KEY}"}
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, headers=headers, timeout=30) as http:
        yield state, http


def _text(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _request(http: httpx.Client, method: str, path: str, op: dict[str, Any], ids: dict[str, str]) -> httpx.Response:
    """A request built from the operation's smallest valid inputs; path ids are real objects' where there are."""
    url = re.sub(r"\{(\w+)\}", lambda m: ids.get(m.group(1), "h2oharness-x"), path)
    params = {}
    for param in op.get("parameters", []):
        if param["in"] == "query" and param.get("required"):
            params[param["name"]] = _text(SCHEMAS.smallest(param["schema"]))
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content:
        body = SCHEMAS.smallest(content["application/json"]["schema"])
        return http.request(method, url, params=params, json=body)
    if "multipart/form-data" in content:
        schema = SCHEMAS.resolve(content["multipart/form-data"]["schema"])
        files, data = {}, {}
        for name in schema.get("required", []):
            prop = SCHEMAS.resolve(schema["properties"][name])
            if prop.get("format") == "binary" or SCHEMAS.resolve(prop.get("items")).get("format") == "binary":
                files[name] = ("a.txt", b"some text", "text/plain")
            else:
                data[name] = _text(SCHEMAS.smallest(prop))
        return http.request(method, url, params=params, files=files or {"file": ("a.txt", b"x")}, data=data)
    if content:
        return http.request(method, url, params=params, content=b"x", headers={"Content-Type": next(iter(content))})
    return http.request(method, url, params=params)


def test_every_operation_gets_a_documented_schema_valid_answer(mock: tuple[H2OGPTeMockState, httpx.Client]) -> None:
    state, http = mock
    collection = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    session = http.post("/api/v1/chats", params={"collection_id": collection}).json()["id"]
    ids = {"collection_id": collection, "session_id": session}
    problems, answered = [], 0
    for method, path, op in OPERATIONS:
        resp = _request(http, method, path, op, ids)
        documented = op["responses"].get(str(resp.status_code))
        if documented is None or resp.status_code >= 500:
            problems.append(f"{method} {path}: undocumented {resp.status_code} {resp.text[:120]}")
            continue
        media = resp.headers.get("content-type", "").split(";")[0]
        schema = documented.get("content", {}).get(media, {}).get("schema")
        if schema is not None and media.endswith("json") and resp.content:
            errors = SCHEMAS.errors(resp.json(), schema)
            if errors:
                problems.append(f"{method} {path}: {resp.status_code} answer invalid: {errors[:2]}")
                continue
        answered += resp.status_code < 300
    assert not state.internal_errors, state.internal_errors[:5]
    assert not problems, f"{len(problems)} operations answered wrongly:\n" + "\n".join(problems)
    # many succeed on a smallest request; the rest rightly refuse it (unknown ids: a documented 404 or 400). The
    # sixteen ingestions from plain text, websites and cloud storage come after the collection's deletion, so they
    # refuse it as unknown, and the OpenAI chat completions and responses refuse the smallest body's model ("") as
    # not served (OpenAI's documented 404 model_not_found); the five usage and performance statistics get the
    # smallest string for their required interval, "" (smallest ignores a pattern), rightly refused with a 400;
    # the roles given to, taken from and listed for a placeholder user, group or role are a documented 404, as are
    # the graph node and labels of a collection whose graph was never built
    assert len(OPERATIONS) == 396
    assert answered >= 132, answered


def test_generic_answers_agree_with_the_hand_written_objects(mock: tuple[H2OGPTeMockState, httpx.Client]) -> None:
    state, http = mock
    before = http.get("/api/v1/collections/count").json()["count"]
    cid = http.post("/api/v1/collections", json={"name": "old", "description": "d"}).json()["id"]
    assert http.get("/api/v1/collections/count").json()["count"] == before + 1
    assert http.patch(f"/api/v1/collections/{cid}", json={"name": "new"}).status_code == 200
    assert http.get(f"/api/v1/collections/{cid}").json()["name"] == "new"
    assert http.put(f"/api/v1/collections/{cid}/settings", json={"max_tokens_per_chunk": 320}).status_code == 204
    assert http.get(f"/api/v1/collections/{cid}/settings").json() == {"max_tokens_per_chunk": 320}
    sid = http.post("/api/v1/chats", params={"collection_id": cid}).json()["id"]
    assert [s["id"] for s in http.get(f"/api/v1/collections/{cid}/chats").json()] == [sid]
    assert http.patch(f"/api/v1/chats/{sid}", json={"name": "renamed"}).json()["name"] == "renamed"
    job = http.post("/api/v1/chats/delete_job", json={"session_ids": [sid]}).json()
    assert job["kind"] == "DeleteChatSessionsJob"
    assert http.get(f"/api/v1/jobs/{job['id']}").json()["overall_status"] in ("in progress", "completed")
    assert http.get(f"/api/v1/chats/{sid}").status_code == 404
    http.post("/api/v1/collections/delete_job", json={"collection_ids": [cid]})
    assert http.get("/api/v1/collections/count").json()["count"] == before
    assert generic.surface(state.timings.ingest) is generic.surface(state.timings.ingest)


def test_the_high_level_client_flows_beyond_the_seeds(tmp_path: Path) -> None:
    """The official H2OGPTE client's calls that reach the generic layer: counts, per-collection lists, documents,
    renames and updates, and the delete jobs it waits for."""
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    state = default_state(speed=50.0)
    with serve(make_app(state)) as served:
        client = h2ogpte.H2OGPTE(address=served.url, api_key=DEFAULT_KEY)
        cid = client.create_collection("c", "d")
        upload = tmp_path / "a.txt"
        upload.write_text("hello world")
        with upload.open("rb") as f:
            client.ingest_uploads(cid, [client.upload("a.txt", f)])
        docs = client.list_documents_in_collection(cid, 0, 10)
        assert [client.get_document(d.id).name for d in docs] == ["a.txt"]
        assert (client.count_collections(), client.count_documents()) == (1, 1)
        sid = client.create_chat_session(cid)
        assert [s.id for s in client.list_chat_sessions_for_collection(cid, 0, 10)] == [sid]
        client.rename_chat_session(sid, "renamed")
        client.update_collection(cid, "n2", "d2")
        assert client.get_collection(cid).name == "n2"
        client.delete_documents([docs[0].id])
        assert client.count_documents() == 0
        client.delete_chat_sessions([sid])
        client.delete_collections([cid])
        assert client.count_collections() == 0
    assert not state.internal_errors


def test_every_operation_that_takes_input_documents_the_400_a_malformed_one_gets() -> None:
    """A request that can be malformed (a body, a query parameter, a path parameter other than any string) has a
    documented 400: the client declares it on most operations, and the generator adds it where the client does not,
    so a malformed value is not refused with the next documented 4xx, a 401 that blames the key."""
    lacking = [
        op["operationId"]
        for _method, _path, op in OPERATIONS
        if "400" not in op["responses"]
        and (
            "requestBody" in op
            or any(p["in"] == "query" or p["schema"] != {"type": "string"} for p in op.get("parameters", []))
        )
    ]
    assert lacking == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/admin/jobs/stats?created_after=yesterday",
        "/api/v1/admin/jobs?limit=many",
        "/api/v1/admin/sessions?limit=many",
        "/api/v1/admin/chats/archived?ascending=maybe",
    ],
)
def test_a_malformed_query_value_is_a_400_naming_it(mock: tuple[H2OGPTeMockState, httpx.Client], path: str) -> None:
    state, http = mock
    refused = http.get(path)
    assert refused.status_code == 400, refused.text
    name = path.split("?", 1)[1].split("=", 1)[0]
    assert name in refused.json()["message"]
    assert not state.internal_errors
