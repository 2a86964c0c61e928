"""API keys created through the mock's API: the secret is a bearer key for REST and the WebSocket, acting as the
key's user, until the key is deactivated, deleted, expired or left unused past its inactivity interval; then it gets
the 401 an unknown key gets. Every request a key is let in with counts in its listing (total_calls, last_used_at)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.state import ALICE, HARNESS
from h2oharness.mocks.clock import ManualClock

UNAUTHORIZED = {"code": 401, "message": "Unauthorized"}


def test_a_created_key_serves_the_official_client_as_the_keys_user(url: str, state: H2OGPTeMockState) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    admin = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    secret = admin.create_api_key_for_user(user_id=admin.get_meta().user_id, name="ci")
    [key] = admin.list_all_api_keys(0, 10)
    # the constructor reads GET /rpc/meta with the new key
    user = h2ogpte.H2OGPTE(address=url, api_key=secret)
    assert user.get_meta().username == key.username
    cid = user.create_collection("mine", "made with the created key")
    sid = user.create_chat_session(cid)
    with user.connect(sid) as session:
        reply = session.query("Which product sold best?", timeout=30)
    assert state.messages[reply.id]["_session"] == sid
    assert [c.id for c in admin.list_recent_collections(0, 10)] == [cid]
    assert not state.internal_errors


@pytest.mark.parametrize("revoke", ["deactivate", "delete"])
def test_a_deactivated_or_deleted_key_gets_the_unknown_keys_401(
    http: httpx.Client, anon: httpx.Client, url: str, revoke: str
) -> None:
    websockets = pytest.importorskip("websockets.sync.client")
    # a key of the harness user: its chat is the mock's own key's too
    made = http.post("/api/v1/admin/api_keys", json={"user_id": HARNESS.id, "name": "ci"}).json()
    secret, key_id = made["secret_key"], made["api_key"]["id"]
    bearer = {"Authorization": f"Bearer {secret}"}
    sid = anon.post("/api/v1/chats", json={}, headers=bearer).json()["id"]
    ws_url = url.replace("http://", "ws://") + f"/ws?currentSessionID={sid}&source=py"
    with websockets.connect(ws_url, additional_headers=bearer, open_timeout=5):
        pass
    if revoke == "deactivate":
        assert http.post(f"/api/v1/admin/api_keys/deactivate/{key_id}").status_code == 204
        assert [k["is_active"] for k in http.get("/api/v1/admin/api_keys").json()] == [False]
    else:
        assert http.delete(f"/api/v1/admin/api_keys/{key_id}").status_code == 204
    refused = anon.get(f"/api/v1/chats/{sid}", headers=bearer)
    unknown = anon.get(f"/api/v1/chats/{sid}", headers={"Authorization": "Bearer sk-unknown"})
    assert refused.status_code == unknown.status_code == 401
    assert refused.json() == unknown.json() == {"code": 401, "message": "Unauthorized"}
    assert refused.headers["www-authenticate"] == "Bearer"
    with pytest.raises(Exception, match=r"403|1008"), websockets.connect(ws_url, additional_headers=bearer) as ws:
        ws.recv(timeout=5)
    # the mock's own key is untouched
    assert http.get(f"/api/v1/chats/{sid}").status_code == 200


def _key(http: httpx.Client, **fields: object) -> tuple[dict[str, str], str]:
    """A new key for alice: its bearer header and its id."""
    made = http.post("/api/v1/admin/api_keys", json={"user_id": ALICE.id, "name": "ci", **fields})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['secret_key']}"}, made.json()["api_key"]["id"]


def _listed(http: httpx.Client, key_id: str) -> dict[str, object]:
    [key] = [k for k in http.get("/api/v1/admin/api_keys").json() if k["id"] == key_id]
    return dict(key)


def _at(value: object) -> datetime:
    return datetime.fromisoformat(str(value))


def test_a_key_made_to_expire_is_refused_from_its_expiry_on(
    http: httpx.Client, anon: httpx.Client, clock: ManualClock
) -> None:
    bearer, key_id = _key(http, expires_in="30 minutes")
    key = _listed(http, key_id)
    assert _at(key["expires_at"]) - _at(key["created_at"]) == timedelta(minutes=30)
    clock.advance(29 * 60)
    assert anon.get("/api/v1/collections", headers=bearer).status_code == 200
    clock.advance(60)
    refused = anon.get("/api/v1/collections", headers=bearer)
    assert (refused.status_code, refused.json()) == (401, UNAUTHORIZED)
    assert refused.headers["www-authenticate"] == "Bearer"
    # a later expiry makes it good again; none at all keeps it good for ever
    assert http.patch(f"/api/v1/admin/api_keys/expire/{key_id}", json={"expires_in": "1 hour"}).status_code == 204
    assert anon.get("/api/v1/collections", headers=bearer).status_code == 200
    assert http.patch(f"/api/v1/admin/api_keys/expire/{key_id}", json={"expires_in": None}).status_code == 204
    clock.advance(400 * 86400)
    assert anon.get("/api/v1/collections", headers=bearer).status_code == 200
    assert _listed(http, key_id)["expires_at"] is None
    bad = http.post("/api/v1/admin/api_keys", json={"user_id": ALICE.id, "expires_in": "whenever"})
    assert bad.status_code == 400
    assert "expires_in" in bad.json()["message"]


def test_a_key_unused_past_its_inactivity_interval_is_refused(
    http: httpx.Client, anon: httpx.Client, clock: ManualClock
) -> None:
    bearer, key_id = _key(http, inactivity_interval=1)
    # each use restarts the interval
    for _ in range(3):
        clock.advance(23 * 3600)
        assert anon.get("/api/v1/chats", headers=bearer).status_code == 200
    clock.advance(24 * 3600)
    refused = anon.get("/api/v1/chats", headers=bearer)
    assert (refused.status_code, refused.json()) == (401, UNAUTHORIZED)
    longer = http.patch(f"/api/v1/admin/api_keys/inactivity_interval/{key_id}", json={"inactivity_interval": 3})
    assert longer.status_code == 204
    assert anon.get("/api/v1/chats", headers=bearer).status_code == 200


def test_a_keys_usage_moves_with_each_request_it_is_let_in_with(
    http: httpx.Client, anon: httpx.Client, clock: ManualClock
) -> None:
    bearer, key_id = _key(http)
    fresh = _listed(http, key_id)
    assert (fresh["total_calls"], fresh["last_used_at"]) == (0, None)
    for _ in range(3):
        clock.advance(5)
        assert anon.get("/api/v1/collections", headers=bearer).status_code == 200
    used = _listed(http, key_id)
    assert used["total_calls"] == 3
    assert _at(used["last_used_at"]) - _at(fresh["created_at"]) == timedelta(seconds=15)
    # a refused request is no use; the mock's own key is not counted against it
    assert anon.get("/api/v1/collections", headers={"Authorization": "Bearer sk-unknown"}).status_code == 401
    assert _listed(http, key_id)["total_calls"] == 3


def test_the_official_client_sees_expiry_and_usage(url: str, clock: ManualClock) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    admin = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    secret = admin.create_api_key_for_user(user_id=ALICE.id, name="ci", expires_in="1 hour", inactivity_interval=7)
    user = h2ogpte.H2OGPTE(address=url, api_key=secret)
    user.list_recent_collections(0, 10)
    [key] = admin.list_all_api_keys(0, 10)
    assert (key.username, key.inactivity_interval, key.total_calls) == (ALICE.username, 7, 2)
    assert key.expires_at is not None
    assert key.last_used_at is not None
    clock.advance(3600)
    with pytest.raises(h2ogpte.errors.UnauthorizedError):
        h2ogpte.H2OGPTE(address=url, api_key=secret)
    admin.set_api_key_expiration(key.id, "2 hours")
    assert h2ogpte.H2OGPTE(address=url, api_key=secret).get_meta().username == ALICE.username


def test_the_key_listing_keeps_the_usernames_its_filter_matches(http: httpx.Client, url: str) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    admin = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    for user in (ALICE, HARNESS, ALICE):
        admin.create_api_key_for_user(user_id=user.id, name=user.username)
    assert [k.username for k in admin.list_all_api_keys(0, 10, key_filter="alice")] == [ALICE.username] * 2
    assert [k.username for k in admin.list_all_api_keys(0, 10, key_filter="HARNESS@")] == [HARNESS.username]
    assert admin.list_all_api_keys(0, 10, key_filter="nobody") == []
    assert len(admin.list_all_api_keys(0, 10)) == 3
    # the filter applies before the page is cut
    paged = http.get("/api/v1/admin/api_keys", params={"filter": "alice", "offset": 1, "limit": 5}).json()
    assert [k["username"] for k in paged] == [ALICE.username]


def test_a_collection_specific_key_only_chats_with_its_collection(
    http: httpx.Client, anon: httpx.Client, url: str, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    admin = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    cid = admin.create_collection("Contracts", "Paper clip supply contracts")
    other = admin.create_collection("Other", "not the key's")
    for target in (cid, other):
        upload = http.put("/api/v1/uploads", files={"file": (f"{target}.txt", b"55 paper clips shipped\n")}).json()
        assert http.post(f"/api/v1/uploads/{upload['id']}/ingest", params={"collection_id": target}).status_code == 204
    clock.advance(5)
    other_sid = admin.create_chat_session(other)
    [other_doc] = admin.list_documents_in_collection(other, 0, 10)
    # a key of the user who owns both collections: what it is refused, the scope refuses
    secret = admin.create_api_key_for_user(user_id=HARNESS.id, name="contracts only", collection_id=cid)
    [key] = admin.list_all_api_keys(0, 10)
    assert (key.is_global_key, key.collection_id, key.collection_name) == (False, cid, "Contracts")

    # the client's own example for a collection-specific key: chat on the default collection, read its documents
    scoped = h2ogpte.H2OGPTE(address=url, api_key=secret)
    sid = scoped.create_chat_session_on_default_collection()
    with scoped.connect(sid) as session:
        assert session.query("How many paper clips were shipped?", timeout=30).content
    assert scoped.get_default_collection().id == cid
    [doc] = scoped.list_documents_in_collection(cid, 0, 10)
    assert state.sessions[sid]["collection_id"] == cid
    bearer = {"Authorization": f"Bearer {secret}"}
    job = anon.post("/api/v1/documents/process_job", json={"document_id": doc.id, "summary_id": "s1"}, headers=bearer)
    assert job.status_code == 201
    assert anon.get("/api/v1/document_summaries/s1", headers=bearer).status_code == 200
    assert anon.get("/file", params={"id": doc.id, "name": doc.name}, headers=bearer).status_code == 200

    # nothing else: no listing, creating, deleting or ingesting, nothing of another collection
    for refused_call in (
        lambda: scoped.list_recent_collections(0, 10),
        lambda: scoped.get_collection(other),
        lambda: scoped.create_collection("mine", "d"),
        lambda: scoped.create_chat_session(other),
        lambda: scoped.list_recent_chat_sessions(0, 10),
        lambda: scoped.list_chat_messages(other_sid, 0, 10),
        lambda: scoped.delete_chat_sessions([sid]),
        lambda: scoped.delete_collections([cid]),
    ):
        with pytest.raises(h2ogpte.errors.UnauthorizedError):
            refused_call()
    with scoped.connect(other_sid) as session, pytest.raises(Exception, match="Unauthorized"):
        session.query("hello", timeout=30)
    for method, path, params in (
        ("GET", "/api/v1/collections", {}),
        ("GET", f"/api/v1/documents/{other_doc.id}", {}),
        ("GET", "/file", {"id": other_doc.id, "name": other_doc.name}),
        ("POST", f"/api/v1/uploads/{doc.id}/ingest", {"collection_id": cid}),
        ("GET", "/api/v1/memory_blocks", {}),
    ):
        refused = anon.request(method, path, params=params, headers=bearer)
        assert refused.status_code == 401, path
        assert refused.json()["code"] == 401
        assert cid in refused.json()["message"]
    other_job = {"document_id": other_doc.id, "summary_id": "s2"}
    assert anon.post("/api/v1/documents/process_job", json=other_job, headers=bearer).status_code == 401
    # the scope is the key's: the user's global key still reaches everything, and nothing was deleted
    assert {c.id for c in admin.list_recent_collections(0, 10)} == {cid, other}
    assert sid in {s.id for s in admin.list_recent_chat_sessions(0, 10)}
    assert not state.internal_errors


def test_a_key_for_a_collection_its_user_may_not_see_is_refused_as_unknown(
    http: httpx.Client, anon: httpx.Client
) -> None:
    mine = http.post("/api/v1/collections", json={"name": "mine", "description": "d"}).json()["id"]
    unknown = http.get("/api/v1/collections/no-such-collection")
    assert unknown.status_code == 404
    for user, collection_id in ((HARNESS, "no-such-collection"), (ALICE, mine)):
        made = http.post("/api/v1/admin/api_keys", json={"user_id": user.id, "collection_id": collection_id})
        assert (made.status_code, set(made.json())) == (404, {"code", "message"}), collection_id
        assert collection_id in made.json()["message"]
    assert http.get("/api/v1/admin/api_keys").json() == []
    # once the collection is shared with alice, a key of hers may be specific to it
    assert http.put(f"/api/v1/collections/{mine}/permissions/{ALICE.username}", json={}).status_code == 204
    bearer, _ = _key(http, collection_id=mine)
    assert anon.get(f"/api/v1/collections/{mine}", headers=bearer).json()["name"] == "mine"


def _ask(ws: Any, sid: str, body: str) -> dict[str, Any]:
    """Send a query on an open /ws and return the frame that ends it (its answer, or its error)."""
    ws.send(json.dumps({"t": "cq", "session_id": sid, "correlation_id": body, "body": body}))
    while True:
        frame = json.loads(ws.recv(timeout=5))
        if frame["t"] in ("ca", "ce"):
            return dict(frame)


def test_a_websocket_loses_its_identity_when_its_key_is_deleted(
    http: httpx.Client, anon: httpx.Client, url: str, state: H2OGPTeMockState
) -> None:
    websockets = pytest.importorskip("websockets.sync.client")
    bearer, key_id = _key(http)
    theirs = anon.post("/api/v1/chats", json={}, headers=bearer).json()["id"]
    mine = http.post("/api/v1/chats", json={}).json()["id"]
    base = url.replace("http://", "ws://") + "/ws?source=py&currentSessionID="
    own = {"Authorization": f"Bearer {DEFAULT_KEY}"}
    with (
        websockets.connect(base + theirs, additional_headers=bearer, open_timeout=5) as alice,
        websockets.connect(base + mine, additional_headers=own, open_timeout=5) as harness,
    ):
        assert _ask(alice, theirs, "first")["t"] == "ca"
        assert http.delete(f"/api/v1/admin/api_keys/{key_id}").status_code == 204
        refused = _ask(alice, theirs, "second")
        assert (refused["t"], refused["error"], refused["correlation_id"]) == ("ce", "Unauthorized", "second")
        with pytest.raises(Exception, match="1008"):
            alice.recv(timeout=5)
        # the other user's socket is untouched
        assert _ask(harness, mine, "still here")["t"] == "ca"
    # the refused query was not asked
    assert [m["content"] for m in state.messages.values() if m["_session"] == theirs and not m["reply_to"]] == ["first"]
