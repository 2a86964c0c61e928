"""The h2oGPTe mock: 401 without a key everywhere, ingestion on a ManualClock, memory blocks' 403/404/409, the
custom tools and agents error tables, and no 5xx for bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import H2OGPTeMockState, make_app
from h2oharness.apis.h2ogpte.mockparts.schemas import OPERATIONS, Operation
from h2oharness.apis.h2ogpte.mockparts.state import ALICE
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve

ROOT = Path(__file__).resolve().parents[3]

AUTHED = [op for op in OPERATIONS if op.auth]


def _concrete(path: str) -> str:
    return re.sub(r"\{\w+\}", "00000000-0000-4000-8000-00000000abcd", path)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """One mock for the whole auth matrix, with a client that sends no key."""
    with serve(make_app(H2OGPTeMockState())) as served, httpx.Client(base_url=served.url, timeout=30) as client:
        yield client


@pytest.mark.parametrize("op", AUTHED, ids=[f"{op.method} {op.path}" for op in AUTHED])
@pytest.mark.parametrize(
    "header", [None, "Bearer sk-wrong", "Basic c2staDJvaGFybmVzcy1tb2Nr", "Bearer sk-h2oharness-mock-x"]
)
def test_every_operation_needs_the_key(shared: httpx.Client, op: Operation, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    resp = shared.request(op.method, _concrete(op.path), headers=headers)
    assert resp.status_code == 401
    if op.path.startswith("/openai_api"):
        assert resp.json()["error"]["code"] == 401
    else:
        assert resp.json() == {"code": 401, "message": "Unauthorized"}


def test_health_probes_answer_without_a_key(anon: httpx.Client) -> None:
    assert anon.get("/rpc/health/readiness").status_code == 200
    assert anon.get("/rpc/health/liveness").json() == {"status": "ok"}


def test_unknown_path_and_method(http: httpx.Client) -> None:
    assert http.get("/api/v1/nowhere").status_code == 404
    resp = http.patch("/api/v1/memory_blocks")
    assert resp.status_code == 405
    assert resp.headers["allow"] == "GET, POST"


def test_ingestion_raises_document_count_only_when_the_job_ends(
    http: httpx.Client, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    upload = http.put("/api/v1/uploads", files={"file": ("sales.csv", payloads.SALES_CSV.encode(), "text/csv")})
    uid = upload.json()["id"]
    assert http.post(f"/api/v1/uploads/{uid}/ingest", params={"collection_id": cid}).status_code == 204
    counts = []
    for step in (0.0, 0.4, 0.5, 0.6, 0.6):
        clock.advance(step)
        counts.append(http.get(f"/api/v1/collections/{cid}").json()["document_count"])
    assert counts == [0, 0, 0, 0, 1]
    assert http.get(f"/api/v1/collections/{cid}").json()["document_size"] == len(payloads.SALES_CSV.encode())
    assert state.internal_errors == []


def test_ingestion_job_progress_only_rises(http: httpx.Client, clock: ManualClock) -> None:
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    uid = http.put("/api/v1/uploads", files={"file": ("a.txt", b"hello")}).json()["id"]
    job = http.post(f"/api/v1/uploads/{uid}/ingest/job", params={"collection_id": cid}, json={})
    assert job.status_code == 201
    seen = []
    for _ in range(6):
        body = http.get(f"/api/v1/jobs/{job.json()['id']}").json()
        seen.append((body["overall_status"], body["progress"]))
        clock.advance(0.5)
    statuses = [s for s, _ in seen]
    progress = [p for _, p in seen]
    assert statuses[0] == "in progress"
    assert statuses[-1] == "completed"
    assert progress == sorted(progress)
    assert progress[0] == 0.0
    assert progress[-1] == 1.0


def test_ingest_of_unknown_things_is_404(http: httpx.Client) -> None:
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    assert http.post("/api/v1/uploads/nope/ingest", params={"collection_id": cid}).status_code == 404
    uid = http.put("/api/v1/uploads", files={"file": ("a.txt", b"x")}).json()["id"]
    assert http.post(f"/api/v1/uploads/{uid}/ingest", params={"collection_id": "nope"}).status_code == 404
    missing = http.post(f"/api/v1/uploads/{uid}/ingest")
    assert missing.status_code == 400
    assert "collection_id" in missing.json()["message"]


def test_upload_without_a_file_part(http: httpx.Client) -> None:
    resp = http.put("/api/v1/uploads", files={"other": ("a.txt", b"x")})
    assert resp.json() == {"code": 400, "message": "The request does not contain a file."}
    assert http.put("/api/v1/uploads", content=b"raw", headers={"Content-Type": "text/plain"}).status_code == 400


def test_bad_json_and_bad_types_are_400(http: httpx.Client, state: H2OGPTeMockState) -> None:
    bad = http.post("/api/v1/collections", content=b"{not json", headers={"Content-Type": "application/json"})
    assert bad.status_code == 400
    assert http.post("/api/v1/collections", json={"name": "x"}).status_code == 400
    assert http.post("/api/v1/collections", json={"name": 1, "description": "d"}).status_code == 400
    assert http.get("/api/v1/chats", params={"limit": "ten"}).status_code == 400
    assert http.get("/api/v1/chats", params={"bogus": "1"}).status_code == 400
    assert state.internal_errors == []


def test_memory_block_error_cases(http: httpx.Client) -> None:
    block = http.post("/api/v1/memory_blocks", json=payloads.memory_block("Project Knowledge"))
    assert block.status_code == 201
    assert block.json()["is_owner"] is True
    duplicate = http.post("/api/v1/memory_blocks", json=payloads.memory_block("Project Knowledge"))
    assert duplicate.status_code == 409
    assert http.get("/api/v1/memory_blocks/nope").status_code == 404
    others = http.get("/api/v1/memory_blocks", params={"name_filter": "Team Glossary"}).json()["items"]
    assert len(others) == 1
    assert others[0]["is_owner"] is False
    foreign = others[0]["id"]
    assert http.delete(f"/api/v1/memory_blocks/{foreign}").status_code == 403
    assert http.put(f"/api/v1/memory_blocks/{foreign}", json={"content": "mine now"}).status_code == 403
    assert http.put(f"/api/v1/memory_blocks/{foreign}/privacy", json={"is_public": False}).status_code == 403
    assert http.put(f"/api/v1/memory_blocks/{foreign}/permissions/bob", json={}).status_code == 403
    bid = block.json()["id"]
    perms = {"permissions": ["h2ogpte/memory_block/read", "h2ogpte/memory_block/edit"]}
    assert http.put(f"/api/v1/memory_blocks/{bid}/permissions/bob", json=perms).status_code == 204
    bad_perm = http.put(f"/api/v1/memory_blocks/{bid}/permissions/bob", json={"permissions": ["admin"]})
    assert bad_perm.status_code == 400
    assert http.delete(f"/api/v1/memory_blocks/{bid}/permissions/bob").status_code == 204
    assert http.delete(f"/api/v1/memory_blocks/{bid}/permissions/bob").status_code == 404
    default = http.put("/api/v1/users/current/default_memory_blocks", json={"scope": "agent", "memory_block_id": bid})
    assert default.json()["memory_block"]["id"] == bid
    assert http.get("/api/v1/users/current/default_memory_blocks").json()["defaults"]["agent"]["id"] == bid
    assert http.delete(f"/api/v1/memory_blocks/{bid}").status_code == 204
    assert http.get("/api/v1/users/current/default_memory_blocks").json()["defaults"]["agent"] is None
    assert http.delete(f"/api/v1/memory_blocks/{bid}").status_code == 404
    too_long = {"name": "tiny", "content": "x" * 11, "max_content_length": 10}
    assert http.post("/api/v1/memory_blocks", json=too_long).status_code == 400


def test_a_memory_blocks_limit_is_0_for_unlimited_and_never_below(http: httpx.Client) -> None:
    # the contract says minimum 0, so a negative limit is a negative case the mock refuses, never a valid body refused
    contract = yaml.safe_load((ROOT / "contracts" / "h2ogpte" / "kept.yaml").read_text())["components"]["schemas"]
    for schema in ("MemoryBlockCreateRequest", "MemoryBlockUpdateRequest"):
        assert contract[schema]["properties"]["max_content_length"]["minimum"] == 0
    unlimited = http.post(
        "/api/v1/memory_blocks", json={"name": "big", "content": "x" * 20001, "max_content_length": 0}
    )
    assert unlimited.status_code == 201
    assert http.post("/api/v1/memory_blocks", json={"name": "neg", "max_content_length": -1}).status_code == 400
    bid = unlimited.json()["id"]
    assert http.put(f"/api/v1/memory_blocks/{bid}", json={"max_content_length": -5}).status_code == 400
    assert http.get(f"/api/v1/memory_blocks/{bid}").json()["max_content_length"] == 0


def _form(**fields: str) -> dict[str, tuple[None, str]]:
    return {k: (None, v) for k, v in fields.items()}


@pytest.mark.parametrize(
    ("fields", "file", "status", "message"),
    [
        ({}, None, 400, "tool_type is required."),
        ({"tool_type": "general_code"}, None, 400, "tool_args is required."),
        ({"tool_type": "general_code", "tool_args": "{oops"}, None, 400, "Invalid JSON format for tool_args."),
        ({"tool_type": "general_code", "tool_args": "{}"}, None, 400, "The request does not contain a file."),
        ({"tool_type": "local_mcp", "tool_args": "{}"}, ("t.py", b"x"), 415,
         "Invalid file extension: .py. Allowed extensions are .zip."),
        ({"tool_type": "general_code", "tool_args": "{}"}, ("t.txt", b"x"), 415,
         "Invalid file extension: .txt. Allowed extensions are .zip, .py."),
        ({"tool_type": "remote_mcp", "tool_args": json.dumps(payloads.remote_mcp_args("s"))}, ("c.yaml", b"x"), 415,
         "Invalid file extension: .yaml. For remote_mcp, allowed extensions are .json."),
        ({"tool_type": "browser_action", "tool_args": "{}"}, ("browser_x.py", b"x" * (20 * 1024 * 1024 + 1)), 413,
         "File is too large, maximum size is 20MB"),
        ({"tool_type": "nonsense", "tool_args": "{}"}, None, 400, None),
    ],
)  # fmt: skip
def test_custom_tool_errors_follow_the_seed_table(
    http: httpx.Client, fields: dict[str, str], file: tuple[str, bytes] | None, status: int, message: str | None
) -> None:
    files: dict[str, tuple[str | None, str | bytes]] = {**_form(**fields)}
    if file is not None:
        files["file"] = file
    if not files:
        files["filename"] = (None, "x")
    resp = http.post("/api/v1/agents/custom_tools", files=files)
    assert resp.status_code == status
    assert resp.json()["code"] == status
    if message is not None:
        assert resp.json()["message"] == message


def test_custom_tool_not_multipart(http: httpx.Client) -> None:
    resp = http.post("/api/v1/agents/custom_tools", json={"tool_type": "general_code"})
    assert resp.json() == {"code": 400, "message": "Failed to parse form data."}


def test_custom_tool_lifecycle(http: httpx.Client) -> None:
    args = json.dumps({"tool_name": "my_tool", "description": "d"})
    created = http.post(
        "/api/v1/agents/custom_tools", files={**_form(tool_type="general_code", tool_args=args),
                                              "file": ("my_tool.py", b"print(1)\n")},
    )  # fmt: skip
    assert created.status_code == 201
    tid = created.json()[0]["agent_custom_tool_id"]
    download = http.get(f"/api/v1/agents/custom_tools/{tid}/download")
    assert download.content == b"print(1)\n"
    assert 'filename="my_tool.py"' in download.headers["content-disposition"]
    assert download.headers["content-type"] == "application/octet-stream"
    update = http.put(f"/api/v1/agents/custom_tools/{tid}", json={"tool_args": {"enable_by_default": False}})
    assert update.json() == {"agent_custom_tool_id": tid}
    assert http.get(f"/api/v1/agents/custom_tools/{tid}").json()["tool_args"]["enable_by_default"] is False
    assert (
        http.put(f"/api/v1/agents/custom_tools/{tid}", json={}).json()["message"] == "tool_args is required for update."
    )
    assert http.put("/api/v1/agents/custom_tools/nope", json={"tool_args": {}}).status_code == 404
    remote = http.post(
        "/api/v1/agents/custom_tools",
        files=_form(tool_type="remote_mcp", tool_args=json.dumps(payloads.remote_mcp_args("a", "b"))),
    )
    assert len(remote.json()) == 2, "one tool per server of mcpServers"
    assert (
        http.get(f"/api/v1/agents/custom_tools/{remote.json()[0]['agent_custom_tool_id']}/download").status_code == 400
    )
    ids = ",".join([tid] + [r["agent_custom_tool_id"] for r in remote.json()])
    assert http.delete(f"/api/v1/agents/custom_tools/{ids}").json() == {"count": 3}
    assert http.get(f"/api/v1/agents/custom_tools/{tid}").status_code == 404


def test_custom_agents_and_associations(http: httpx.Client) -> None:
    bad = http.post(
        "/api/v1/agents/custom_agents",
        files={**_form(agent_type="langgraph", agent_args="{}"), "file": ("agent.tar", b"x")},
    )
    assert bad.status_code == 415
    assert bad.json()["message"] == "Invalid file extension: .tar. Allowed extensions are .zip."
    no_file = http.post("/api/v1/agents/custom_agents", files=_form(agent_type="langgraph", agent_args="{}"))
    assert no_file.json()["message"] == "The request does not contain a file."
    bad_args = http.post(
        "/api/v1/agents/custom_agents",
        files={**_form(agent_type="langgraph", agent_args="[1"), "file": ("a.zip", payloads.tool_zip())},
    )
    assert bad_args.json()["message"] == "Invalid JSON format for agent_args."
    created = http.post(
        "/api/v1/agents/custom_agents",
        files={**_form(agent_type="crewai", agent_args='{"description": "r"}'),
               "file": ("agents.zip", payloads.tool_zip(("one", "two")))},
    )  # fmt: skip
    assert created.status_code == 201
    assert len(created.json()) == 2, "one agent per folder of the zip"
    aid = created.json()[0]["agent_custom_agent_id"]
    assoc = http.post(
        "/api/v1/agents/custom_agent_tool_associations", json={"agent_id": aid, "mcp_server_name": "web_search"}
    )
    assert assoc.status_code == 200
    assert assoc.json()["tool_id"] is None
    key = http.post(
        "/api/v1/agents/custom_agent_key_associations",
        json={"agent_id": aid, "env_key_name": "API_KEY", "key_id": "k1"},
    )
    assert key.json()["requirement_type"] == "custom"
    detail = http.get(f"/api/v1/agents/custom_agents/{aid}").json()
    assert [s["tool_name"] for s in detail["mcp_servers"]] == ["web_search"]
    assert [k["env_key_name"] for k in detail["api_keys"]] == ["API_KEY"]
    types = {a["type"] for a in http.get("/api/v1/agents").json()}
    assert types == {"built_in", "crewai"}
    removed = http.delete(f"/api/v1/agents/custom_agent_tool_associations/{assoc.json()['id']},nope")
    assert removed.json() == {"deleted_count": 1}
    assert http.delete(f"/api/v1/agents/custom_agents/{aid}").json() == {"count": 1}
    assert http.get("/api/v1/agents/custom_agent_key_associations", params={"agent_id": aid}).json() == []


def test_inspect_mcp_tool_modes(http: httpx.Client) -> None:
    none = http.post("/api/v1/agents/mcp/inspect_tool", json={"model": "x"})
    assert none.json() == {"code": 400, "message": "Invalid format for the request body."}
    two = http.post("/api/v1/agents/mcp/inspect_tool", json={"tool_id": "a", "servers": {"s": {}}})
    assert two.status_code == 400
    servers = http.post("/api/v1/agents/mcp/inspect_tool", json={"servers": {"playwright": {"command": "npx"}}})
    assert servers.json()["servers"][0]["server_name"] == "playwright"
    assert http.post("/api/v1/agents/mcp/inspect_tool", json={"tool_id": "missing"}).status_code == 404


def test_a_mock_bug_is_a_400_and_recorded(clock: ManualClock) -> None:
    from h2oharness.apis.h2ogpte import mock

    state = H2OGPTeMockState(clock=clock)
    app = make_app(state)

    def broken(*_: object) -> object:
        raise RuntimeError("boom")

    original = mock.HANDLERS["list_models"]
    mock.HANDLERS["list_models"] = broken  # type: ignore[assignment]
    try:
        with serve(app) as served:
            resp = httpx.get(f"{served.url}/api/v1/models", headers={"Authorization": "Bearer sk-h2oharness-mock"})
    finally:
        mock.HANDLERS["list_models"] = original
    assert resp.status_code == 400
    assert state.internal_errors == ["GET /api/v1/models: RuntimeError: boom"]


def test_memory_stays_bounded_under_load(client: H2OGPTeClient, state: H2OGPTeMockState) -> None:
    """A deleted session takes its messages with it, and the oldest messages go beyond the cap."""
    kept = client.create_chat()["id"]
    gone = client.create_chat()["id"]
    client.complete(kept, payloads.rag_completion("first", rag_type="llm_only"))
    client.complete(gone, payloads.rag_completion("doomed", rag_type="llm_only"))
    client.delete_chat(gone)
    assert {m["_session"] for m in state.messages.values()} == {kept}
    assert next(m["content"] for m in client.messages(kept)) == "first"

    state.max_messages = 6
    for i in range(5):
        client.complete(kept, payloads.rag_completion(f"q{i}", rag_type="llm_only"))
    assert len(state.messages) == 6
    assert set(state.references) <= set(state.messages)
    assert set(state.meta) <= set(state.messages)
    assert "q4" in [m["content"] for m in client.messages(kept)]  # the newest survive
    assert "first" not in [m["content"] for m in client.messages(kept)]
    assert not state.internal_errors


def test_default_names_the_users_default_collection(http: httpx.Client, state: H2OGPTeMockState) -> None:
    first = http.get("/api/v1/collections/default").json()
    assert http.get("/api/v1/collections/default").json()["id"] == first["id"] != "default"
    session = http.post("/api/v1/chats", params={"collection_id": "default"}).json()
    assert session["collection_id"] == first["id"]
    assert state.internal_errors == []


def test_an_api_key_is_listed_by_its_id_and_acted_on_by_it(http: httpx.Client) -> None:
    made = http.post("/api/v1/admin/api_keys", json={"user_id": ALICE.id, "name": "ci"})
    assert made.status_code == 201
    secret = made.json()["secret_key"]
    [key] = http.get("/api/v1/admin/api_keys").json()
    assert secret.startswith("sk-")
    assert key["hint"].endswith(secret[-4:])
    assert key["name"] == "ci"
    # the secret is no id: the key is acted on by its id
    assert http.patch(f"/api/v1/admin/api_keys/expire/{key['id']}", json={"expires_in": "1d"}).status_code == 204
    assert http.post(f"/api/v1/admin/api_keys/deactivate/{secret}").status_code == 404
    assert http.delete(f"/api/v1/admin/api_keys/{key['id']}").status_code == 204
    assert http.get("/api/v1/admin/api_keys").json() == []


def test_rpc_job_deletes_collections_as_admin_and_exports_feedback(http: httpx.Client, clock: ManualClock) -> None:
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    job = http.post("/rpc/job", json=["q:crawl_quick.DeleteCollectionsAsAdminJob", {"collection_ids": [cid]}, "r1"])
    assert http.get(f"/api/v1/jobs/{job.json()['id']}").json()["kind"] == "DeleteCollectionsAsAdminJob"
    assert http.get(f"/api/v1/collections/{cid}").status_code == 404
    export = http.post("/rpc/job", json=["q:crawl.ExportFeedbackCSVJob", {}, "r2"]).json()["id"]
    assert http.get(f"/api/v1/question_answer_feedbacks/export/{export}").status_code == 400  # not finished
    clock.advance(10)
    csv = http.get(f"/api/v1/question_answer_feedbacks/export/{export}")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == "id,thumbnail,expected_answer,user_comment"
    assert http.post("/rpc/job", json=["q:crawl.NoSuchJob", {}, "r3"]).status_code == 400


def test_chunks_are_the_ingested_lines_by_number(http: httpx.Client, clock: ManualClock) -> None:
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    uid = http.put("/api/v1/uploads", files={"file": ("a.txt", b"alpha\n\ngamma\n")}).json()["id"]
    http.post(f"/api/v1/uploads/{uid}/ingest", params={"collection_id": cid})
    clock.advance(10)
    assert [c["text"] for c in http.get(f"/api/v1/collections/{cid}/chunks/3,1").json()] == ["gamma", "alpha"]
    assert http.get(f"/api/v1/collections/{cid}/chunks/2").status_code == 404
    [doc] = http.get(f"/api/v1/collections/{cid}/documents").json()
    listed = http.get(f"/api/v1/documents/{doc['id']}/chunks", params={"collection_id": cid}).json()
    assert [(c["id"], c["text"]) for c in listed] == [(1, "alpha"), (3, "gamma")]
    assert [c["id"] for c in http.get(f"/api/v1/documents/{doc['id']}/collections").json()] == [cid]
