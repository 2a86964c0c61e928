"""API keys created through the mock's API: the secret is a bearer key for REST and the WebSocket, acting as the
key's user, until the key is deactivated or deleted; then it gets the 401 an unknown key gets."""

from __future__ import annotations

import httpx
import pytest

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState


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
    made = http.post("/api/v1/admin/api_keys", json={"user_id": "u1", "name": "ci"}).json()
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
