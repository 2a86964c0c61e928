"""Users are kept apart: a key acts as its user, whose collections (with their documents) and chats no other user
sees (a 404, as for an object that does not exist) until the owner shares the collection; chats stay their
creator's, and so do uploads, jobs, custom tools and agents, prompt templates, agent files, agent keys, skills,
stars, scheduled tasks, shared chats and /rpc/db's records; default memory blocks are each user's own."""

from __future__ import annotations

import json

import httpx
import pytest

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.state import ALICE, HARNESS
from h2oharness.mocks.clock import ManualClock


def _alice(http: httpx.Client) -> dict[str, str]:
    made = http.post("/api/v1/admin/api_keys", json={"user_id": ALICE.id, "name": "alice"})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['secret_key']}"}


def test_the_official_client_sees_another_users_collection_only_while_shared(url: str, state: H2OGPTeMockState) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import ObjectNotFoundError
    from h2ogpte.types import SharePermission

    harness = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    alice = h2ogpte.H2OGPTE(address=url, api_key=harness.create_api_key_for_user(user_id=ALICE.id, name="alice"))
    assert (harness.get_meta().username, alice.get_meta().username) == (HARNESS.username, ALICE.username)
    assert alice.get_meta().user_id == ALICE.id
    cid = harness.create_collection("reports", "the harness user's")
    theirs = alice.create_collection("notes", "alice's")
    assert [c.id for c in alice.list_recent_collections(0, 10)] == [theirs]
    assert [c.id for c in harness.list_recent_collections(0, 10)] == [cid]
    with pytest.raises(ObjectNotFoundError):
        alice.get_collection(cid)
    with pytest.raises(ObjectNotFoundError):
        alice.create_chat_session(cid)

    shared = harness.share_collection(cid, SharePermission(username=ALICE.username, permissions=[]))
    assert shared.status == "completed"
    assert [p.username for p in harness.list_collection_permissions(cid)] == [ALICE.username]
    assert alice.get_collection(cid).name == "reports"
    assert sorted(c.id for c in alice.list_recent_collections(0, 10)) == sorted([cid, theirs])
    # a chat on a shared collection stays its creator's
    sid = alice.create_chat_session(cid)
    assert [s.id for s in alice.list_recent_chat_sessions(0, 10)] == [sid]
    assert harness.list_recent_chat_sessions(0, 10) == []

    harness.unshare_collection(cid, SharePermission(username=ALICE.username))
    with pytest.raises(ObjectNotFoundError):
        alice.get_collection(cid)
    assert [c.id for c in alice.list_recent_collections(0, 10)] == [theirs]
    assert {u.username for u in harness.list_users(0, 10)} == {HARNESS.username, ALICE.username}
    assert not state.internal_errors


def test_another_users_chat_and_documents_are_not_found(
    http: httpx.Client, anon: httpx.Client, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    alice = _alice(http)
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    upload = http.put("/api/v1/uploads", files={"file": ("sales.csv", b"a,b\n1,2\n")}).json()["id"]
    assert http.post(f"/api/v1/uploads/{upload}/ingest", params={"collection_id": cid}).status_code == 204
    clock.advance(5)
    [doc] = http.get(f"/api/v1/collections/{cid}/documents").json()
    sid = http.post("/api/v1/chats", params={"collection_id": cid}, json={}).json()["id"]
    answer = http.post(f"/api/v1/chats/{sid}/completions", json={"message": "hello"}).json()["message_id"]
    given = {"expected_answer": "hi", "user_comment": "ok"}
    assert http.post(f"/api/v1/question_answer_feedbacks/{answer}", json=given).status_code == 204

    hidden = [
        f"/api/v1/collections/{cid}",
        f"/api/v1/collections/{cid}/documents",
        f"/api/v1/documents/{doc['id']}",
        f"/api/v1/chats/{sid}",
        f"/api/v1/chats/{sid}/messages",
        f"/api/v1/messages/{answer}/meta",
    ]
    for path in hidden:
        refused = anon.get(path, headers=alice)
        assert refused.status_code == 404, path
        assert set(refused.json()) == {"code", "message"}
        assert http.get(path).status_code == 200, path
    assert anon.get("/file", params={"id": doc["id"], "name": "sales.csv"}, headers=alice).status_code == 404
    assert anon.post(f"/api/v1/chats/{sid}/completions", json={"message": "hi"}, headers=alice).status_code == 404
    for listing in ("/api/v1/collections", "/api/v1/chats", "/api/v1/question_answer_feedbacks"):
        assert anon.get(listing, headers=alice).json() == [], listing
    assert anon.get("/api/v1/collections/count", headers=alice).json() == {"count": 0}

    # only the owner shares, and only with a user who exists
    assert http.put(f"/api/v1/collections/{cid}/permissions/nobody@example.com", json={}).status_code == 404
    assert http.put(f"/api/v1/collections/{cid}/permissions/{ALICE.username}", json={}).status_code == 204
    assert anon.get(f"/api/v1/documents/{doc['id']}", headers=alice).status_code == 200
    assert anon.get(f"/api/v1/collections/{cid}/documents", headers=alice).json() == [doc]
    # the chat is still the harness user's; a shared collection is not alice's to share on or delete
    assert anon.get(f"/api/v1/chats/{sid}", headers=alice).status_code == 404
    resharing = anon.put(f"/api/v1/collections/{cid}/permissions/{HARNESS.username}", json={}, headers=alice)
    assert resharing.status_code in (400, 403)
    assert anon.delete(f"/api/v1/collections/{cid}", headers=alice).status_code in (400, 403)
    assert http.delete(f"/api/v1/collections/{cid}/permissions").status_code == 204
    assert anon.get(f"/api/v1/collections/{cid}", headers=alice).status_code == 404
    assert http.get(f"/api/v1/users/{ALICE.id}").json() == ALICE.info()
    assert http.get("/api/v1/users/nobody").status_code == 404
    assert not state.internal_errors


def test_a_memory_block_is_its_creators_until_shared(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    made = anon.post("/api/v1/memory_blocks", json={"name": "private notes", "content": "x"}, headers=alice)
    assert made.status_code == 201
    block = made.json()
    assert (block["username"], block["is_owner"]) == (ALICE.username, True)
    path = f"/api/v1/memory_blocks/{block['id']}"
    assert http.get(path).status_code == 404
    assert [b["name"] for b in http.get("/api/v1/memory_blocks").json()["items"]] == ["Team Glossary"]
    read = {"permissions": ["h2ogpte/memory_block/read"]}
    assert anon.put(f"{path}/permissions/{HARNESS.username}", json=read, headers=alice).status_code == 204
    seen = http.get(path).json()
    assert (seen["is_owner"], seen["can_edit"]) == (False, False)
    assert http.put(path, json={"content": "mine now"}).status_code == 403
    # alice owns the public glossary the harness user may only read
    [glossary] = [b for b in anon.get("/api/v1/memory_blocks", headers=alice).json()["items"] if b["is_public"]]
    assert glossary["is_owner"] is True
    edited = anon.put(f"/api/v1/memory_blocks/{glossary['id']}", json={"content": "new"}, headers=alice)
    assert edited.status_code == 204


@pytest.mark.parametrize("owner", ["_owner", "user_id"])
def test_one_rule_says_who_sees_a_record_whichever_field_names_its_owner(owner: str) -> None:
    state = H2OGPTeMockState()
    assert state.sees({owner: HARNESS.id, "_shared": {}}, owner)
    assert not state.sees({owner: ALICE.id, "_shared": {}}, owner)
    assert state.sees({owner: ALICE.id, "_shared": {HARNESS.username: []}}, owner)
    assert state.sees({owner: ALICE.id, "_shared": {}, "is_public": True}, owner)
    # the owner field is read, not another record's: alice's id under another name makes the record no one's
    assert not state.sees({"elsewhere": HARNESS.id, owner: ALICE.id, "_shared": {}}, owner)
    state.acting = ALICE
    assert state.sees({owner: ALICE.id, "_shared": {}}, owner)
    assert not state.sees({owner: HARNESS.id, "_shared": {}}, owner)


def _form(**fields: str) -> dict[str, tuple[None, str]]:
    return {name: (None, value) for name, value in fields.items()}


def test_uploads_jobs_agents_tools_and_templates_are_their_creators(
    http: httpx.Client, anon: httpx.Client, state: H2OGPTeMockState
) -> None:
    alice = _alice(http)
    cid = anon.post("/api/v1/collections", json={"name": "c", "description": "d"}, headers=alice).json()["id"]
    mine = http.post("/api/v1/collections", json={"name": "m", "description": "d"}).json()["id"]
    upload = anon.put("/api/v1/uploads", files={"file": ("a.csv", b"a\n1\n")}, headers=alice).json()["id"]
    spare = anon.put("/api/v1/uploads", files={"file": ("b.csv", b"b\n2\n")}, headers=alice).json()["id"]
    job = anon.post(f"/api/v1/uploads/{upload}/ingest/job", params={"collection_id": cid}, headers=alice).json()["id"]
    tool_args = json.dumps({"tool_name": "alices_tool", "description": "d"})
    tool = anon.post(
        "/api/v1/agents/custom_tools",
        files={**_form(tool_type="general_code", tool_args=tool_args), "file": ("alices_tool.py", b"print(1)\n")},
        headers=alice,
    ).json()[0]["agent_custom_tool_id"]
    agent = anon.post(
        "/api/v1/agents/custom_agents",
        files={**_form(agent_type="crewai", agent_args="{}"), "file": ("agents.zip", payloads.tool_zip(("one",)))},
        headers=alice,
    ).json()[0]["agent_custom_agent_id"]
    link = {"agent_id": agent, "mcp_server_name": "web_search"}
    assoc = anon.post("/api/v1/agents/custom_agent_tool_associations", json=link, headers=alice).json()["id"]
    template = anon.post("/api/v1/prompt_templates", json={"name": "alice's"}, headers=alice).json()["id"]

    hidden = [
        f"/api/v1/jobs/{job}",
        f"/api/v1/agents/custom_tools/{tool}",
        f"/api/v1/agents/custom_tools/{tool}/download",
        f"/api/v1/agents/custom_agents/{agent}",
        f"/api/v1/prompt_templates/{template}",
    ]
    for path in hidden:
        assert anon.get(path, headers=alice).status_code == 200, path
        refused = http.get(path)
        assert refused.status_code == 404, path
        assert set(refused.json()) == {"code", "message"}
    # the harness user can neither ingest, delete nor change them, and does not see them listed
    assert http.post(f"/api/v1/uploads/{spare}/ingest", params={"collection_id": mine}).status_code == 404
    assert http.delete("/rpc/fs", params={"id": spare}).status_code == 404
    assert http.delete(f"/api/v1/agents/custom_tools/{tool}").json() == {"count": 0}
    assert http.delete(f"/api/v1/agents/custom_agents/{agent}").json() == {"count": 0}
    assert http.delete(f"/api/v1/agents/custom_agent_tool_associations/{assoc}").json() == {"deleted_count": 0}
    assert http.patch(f"/api/v1/prompt_templates/{template}", json={"name": "mine"}).status_code == 404
    assert http.delete(f"/api/v1/prompt_templates/{template}").status_code == 404
    assert http.post(f"/api/v1/jobs/{job}/cancel").status_code == 404
    assert spare not in http.get("/rpc/fs").json()
    assert job not in {j["id"] for j in http.get("/api/v1/jobs").json()}
    for listing in ("/api/v1/agents/custom_tools", "/api/v1/agents/custom_agents", "/api/v1/prompt_templates"):
        assert http.get(listing).json() == [], listing
    assert http.get("/api/v1/agents/custom_agent_tool_associations").json() == []
    assert agent not in {a["id"] for a in http.get("/api/v1/agents").json()}
    assert http.get("/api/v1/prompt_templates/count").json()["count"] == 0
    # all of it is still alice's, listed for her with her name on it
    assert spare in anon.get("/rpc/fs", headers=alice).json()
    assert [t["owner_email"] for t in anon.get("/api/v1/agents/custom_tools", headers=alice).json()] == [ALICE.username]
    assert [a["id"] for a in anon.get("/api/v1/agents/custom_agents", headers=alice).json()] == [agent]
    assert [t["id"] for t in anon.get("/api/v1/prompt_templates", headers=alice).json()] == [template]
    assert anon.get("/api/v1/prompt_templates/count", headers=alice).json()["count"] == 1
    assert not state.internal_errors


def test_agent_files_and_document_summaries_are_their_owners(
    http: httpx.Client, anon: httpx.Client, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    alice = _alice(http)
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    upload = http.put("/api/v1/uploads", files={"file": ("sales.csv", b"a,b\n1,2\n")}).json()["id"]
    assert http.post(f"/api/v1/uploads/{upload}/ingest", params={"collection_id": cid}).status_code == 204
    clock.advance(5)
    [doc] = http.get(f"/api/v1/collections/{cid}/documents").json()
    sid = http.post("/api/v1/chats", params={"collection_id": cid}, json={}).json()["id"]
    asked = {"message": "write plan.csv", "llm_args": {"use_agent": True}}
    assert http.post(f"/api/v1/chats/{sid}/completions", json=asked).status_code == 200
    [made] = http.get(f"/api/v1/chats/{sid}/agent_server_files").json()
    wanted = {"id": made["id"], "name": "plan.csv"}
    assert http.get("/file", params=wanted).status_code == 200
    job = {"document_id": doc["id"], "summary_id": "s1"}
    assert http.post("/api/v1/documents/process_job", json=job).status_code == 201
    summary = http.get("/api/v1/document_summaries/s1").json()

    refused = anon.get("/file", params=wanted, headers=alice)
    assert (refused.status_code, set(refused.json())) == (404, {"code", "message"})
    assert anon.get("/api/v1/agents/directory_stats", headers=alice).json() == []
    assert [e["agent_chat_session_id"] for e in http.get("/api/v1/agents/directory_stats").json()] == [sid]
    assert anon.get("/api/v1/document_summaries/s1", headers=alice).status_code == 404
    # alice's own summary under the same id neither writes over the harness user's nor is it readable to her
    theirs = anon.post("/api/v1/collections", json={"name": "a", "description": "d"}, headers=alice).json()["id"]
    mine = anon.put("/api/v1/uploads", files={"file": ("notes.txt", b"alice\n")}, headers=alice).json()["id"]
    ingest = anon.post(f"/api/v1/uploads/{mine}/ingest", params={"collection_id": theirs}, headers=alice)
    assert ingest.status_code == 204
    clock.advance(5)
    [their_doc] = anon.get(f"/api/v1/collections/{theirs}/documents", headers=alice).json()
    overwrite = {"document_id": their_doc["id"], "summary_id": "s1"}
    failed = anon.post("/api/v1/documents/process_job", json=overwrite, headers=alice).json()["id"]
    clock.advance(5)
    assert anon.get(f"/api/v1/jobs/{failed}", headers=alice).json()["status"] == "failed"
    assert http.get("/api/v1/document_summaries/s1").json() == summary
    # a summary is read as its document is: once the collection is shared, alice reads it
    assert http.put(f"/api/v1/collections/{cid}/permissions/{ALICE.username}", json={}).status_code == 204
    assert anon.get("/api/v1/document_summaries/s1", headers=alice).json() == summary
    # the agent's files stay with the chat, which is never shared
    assert anon.get("/file", params=wanted, headers=alice).status_code == 404
    assert not state.internal_errors


def test_each_user_sets_their_own_default_memory_blocks(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    mine = http.post("/api/v1/memory_blocks", json={"name": "mine", "content": "x"}).json()["id"]
    theirs = anon.post("/api/v1/memory_blocks", json={"name": "theirs", "content": "y"}, headers=alice).json()["id"]
    defaults = "/api/v1/users/current/default_memory_blocks"
    assert http.put(defaults, json={"scope": "llm", "memory_block_id": mine}).status_code == 200
    assert anon.get(defaults, headers=alice).json()["defaults"] == {"llm": None, "agent": None}
    assert anon.put(defaults, json={"scope": "llm", "memory_block_id": theirs}, headers=alice).status_code == 200
    assert http.get(defaults).json()["defaults"]["llm"]["id"] == mine
    assert anon.get(defaults, headers=alice).json()["defaults"]["llm"]["id"] == theirs
    # deleting a block clears it as its owner's default
    assert anon.delete(f"/api/v1/memory_blocks/{theirs}", headers=alice).status_code == 204
    assert anon.get(defaults, headers=alice).json()["defaults"]["llm"] is None
    assert http.get(defaults).json()["defaults"]["llm"]["id"] == mine


def test_agent_keys_and_skills_are_their_creators(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    key = {"name": "ALICE_TOKEN", "value": "secret", "type": "private"}
    key_id = anon.post("/api/v1/agents/keys", json=key, headers=alice).json()["id"]
    assert http.get("/api/v1/agents/keys").json() == []
    assert http.delete(f"/api/v1/agents/keys/{key_id}").status_code == 404
    [kept] = anon.get("/api/v1/agents/keys", headers=alice).json()
    assert (kept["id"], kept["owner_email"]) == (key_id, ALICE.username)

    skill = anon.post("/api/v1/agents/builtin_skills/add", json={"skill_id": "pdf"}, headers=alice).json()["id"]
    assert http.get("/api/v1/agents/skills").json() == []
    # all or nothing: one id that is not the harness user's refuses the lot
    refused = http.post("/api/v1/agents/skills/delete", json={"skill_ids": [skill]})
    assert (refused.status_code, set(refused.json())) == (403, {"code", "message"})
    [listed] = anon.get("/api/v1/agents/skills", headers=alice).json()
    assert (listed["id"], listed["owner_email"]) == (skill, ALICE.username)
    deleted = anon.post("/api/v1/agents/skills/delete", json={"skill_ids": [skill, skill]}, headers=alice)
    assert deleted.json()["count"] == 1
    assert anon.get("/api/v1/agents/skills", headers=alice).json() == []


def test_deleting_skills_answers_an_unknown_id_as_another_users(http: httpx.Client, anon: httpx.Client) -> None:
    """The client: 'if any ID does not belong to the current user' the delete is a 403 and no skill goes. An id of
    no skill belongs to no one, and a skill of another user is as unknown as a missing one (as an agent key is):
    both get the same 403, so the answer never tells which ids exist."""
    alice = _alice(http)
    mine = http.post("/api/v1/agents/builtin_skills/add", json={"skill_id": "pdf"}).json()["id"]
    theirs = anon.post("/api/v1/agents/builtin_skills/add", json={"skill_id": "xlsx"}, headers=alice).json()["id"]
    unknown = "00000000-0000-4000-8000-00000000abcd"
    answers = []
    for foreign in (unknown, theirs):
        refused = http.post("/api/v1/agents/skills/delete", json={"skill_ids": [mine, foreign]})
        answers.append((refused.status_code, refused.json()["message"].replace(foreign, "<id>")))
    assert answers[0] == answers[1]
    assert answers[0][0] == 403
    assert [s["id"] for s in http.get("/api/v1/agents/skills").json()] == [mine]
    assert [s["id"] for s in anon.get("/api/v1/agents/skills", headers=alice).json()] == [theirs]
    assert http.post("/api/v1/agents/skills/delete", json={"skill_ids": []}).json() == {"count": 0}


def test_rpc_db_records_are_their_creators_until_shared(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)

    def db(*body: object, headers: dict[str, str] | None = None) -> httpx.Response:
        return anon.post("/rpc/db", json=list(body), headers=headers or dict(http.headers))

    made = db("create_ai_assistant", "alice's bot", "d", headers=alice).json()
    assert (made["user_id"], made["username"]) == (ALICE.id, ALICE.username)
    assistant = made["id"]
    forum = db("create_forum", "alice's forum", "d", headers=alice).json()["id"]
    assert db("get_ai_assistant", assistant).status_code == 404
    assert db("list_ai_assistants", 0, 10).json() == []
    assert db("list_forums", 0, 10).json() == []
    assert http.get(f"/api/v1/ai_assistants/{assistant}/history/chat").status_code == 404
    assert http.post(f"/api/v1/forums/{forum}/posts", json={"content": "hi"}).status_code == 404
    # deleting or sharing what one does not see changes nothing
    assert db("delete_ai_assistant", assistant).status_code == 200
    assert db("share_ai_assistant", assistant, HARNESS.username, "read").status_code == 200
    assert db("get_ai_assistant", assistant, headers=alice).json()["id"] == assistant
    assert db("get_ai_assistant", assistant).status_code == 404

    assert db("share_ai_assistant", assistant, HARNESS.username, "read", headers=alice).status_code == 200
    assert db("share_forum", forum, HARNESS.username, "read", headers=alice).status_code == 200
    assert db("get_ai_assistant", assistant).json()["name"] == "alice's bot"
    assert [f["id"] for f in db("list_forums", 0, 10).json()] == [forum]
    assert http.post(f"/api/v1/forums/{forum}/posts", json={"content": "hi"}).status_code == 200
    # only the owner deletes or reshares it
    assert db("delete_ai_assistant", assistant).status_code in (400, 403)
    assert http.delete(f"/api/v1/ai_assistants/{assistant}").status_code in (400, 403)
    assert db("unshare_ai_assistant", assistant, HARNESS.username, headers=alice).status_code == 200
    assert db("get_ai_assistant", assistant).status_code == 404
    assert db("delete_ai_assistant", assistant, headers=alice).status_code == 200
    assert db("get_ai_assistant", assistant, headers=alice).status_code == 404


def test_scheduled_tasks_are_their_creators_but_for_the_admin_paths(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    made = anon.post("/api/v1/scheduled_tasks", json={"name": "nightly", "prompt": "p"}, headers=alice).json()
    task = made["id"]
    assert (made["user_id"], made["username"]) == (ALICE.id, ALICE.username)
    for method, path in (
        ("GET", f"/api/v1/scheduled_tasks/{task}"),
        ("PUT", f"/api/v1/scheduled_tasks/{task}"),
        ("POST", f"/api/v1/scheduled_tasks/{task}/trigger"),
        ("DELETE", f"/api/v1/scheduled_tasks/{task}"),
    ):
        refused = http.request(method, path, json={"name": "mine"} if method == "PUT" else None)
        assert refused.status_code == 404, (method, path)
    assert http.get("/api/v1/scheduled_tasks").json() == {"items": [], "total": 0}
    assert http.post("/api/v1/scheduled_tasks/batch_delete", json={"task_ids": [task]}).json()["deleted_count"] == 0
    kept = anon.get(f"/api/v1/scheduled_tasks/{task}", headers=alice).json()
    assert (kept["name"], kept["execution_count"]) == ("nightly", 0)
    # an admin reaches every user's tasks
    assert [t["id"] for t in http.get("/api/v1/admin/scheduled_tasks").json()["items"]] == [task]
    assert http.put(f"/api/v1/admin/scheduled_tasks/{task}", json={"name": "renamed"}).json()["name"] == "renamed"


def test_each_user_stars_library_items_for_themselves(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    star = "/api/v1/agents/library/skill/pdf/star"
    assert anon.post(star, headers=alice).json() == {
        "item_kind": "skill",
        "item_id": "pdf",
        "is_starred_by_me": True,
        "star_count": 1,
    }
    # the harness user's unstarring leaves alice's star; their own star counts as a second
    unstarred = http.delete(star).json()
    assert (unstarred["is_starred_by_me"], unstarred["star_count"]) == (False, 1)
    starred = http.post(star).json()
    assert (starred["is_starred_by_me"], starred["star_count"]) == (True, 2)
    assert anon.delete(star, headers=alice).json()["star_count"] == 1


def test_a_shared_chat_is_read_by_anyone_but_made_listed_and_deleted_by_its_sharer(
    http: httpx.Client, anon: httpx.Client
) -> None:
    alice = _alice(http)
    mine = http.post("/api/v1/chats", json={}).json()["id"]
    refused = anon.post("/api/v1/shared_chats", json={"chat_session_id": mine}, headers=alice)
    assert refused.status_code in (400, 403, 404)
    assert anon.get("/api/v1/shared_chats", headers=alice).json() == []
    shared = http.post("/api/v1/shared_chats", json={"chat_session_id": mine})
    assert shared.status_code == 201
    share = shared.json()["relative_path"].rsplit("/", 1)[-1]
    # its link is for others to read; the listing and the deletion are the sharer's
    assert anon.get(f"/api/v1/shared_chats/{share}", headers=alice).json()["shared_by"] == HARNESS.username
    assert anon.get("/api/v1/shared_chats", headers=alice).json() == []
    assert anon.delete(f"/api/v1/shared_chats/{share}", headers=alice).status_code == 403
    assert [s["id"] for s in http.get("/api/v1/shared_chats").json()] == [share]
    assert http.delete(f"/api/v1/shared_chats/{share}").status_code == 204


def test_another_users_messages_are_answered_as_unknown_ones(url: str, http: httpx.Client, anon: httpx.Client) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import ObjectNotFoundError

    harness = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    secret = harness.create_api_key_for_user(user_id=ALICE.id, name="alice")
    alice = h2ogpte.H2OGPTE(address=url, api_key=secret)
    sid = harness.create_chat_session()
    answer = http.post(f"/api/v1/chats/{sid}/completions", json={"message": "hello"}).json()["message_id"]
    question = http.get(f"/api/v1/chats/{sid}/messages").json()[0]["id"]
    with pytest.raises(ObjectNotFoundError):
        alice.delete_chat_messages([answer])
    with pytest.raises(ObjectNotFoundError):
        alice.delete_chat_messages(["no-such-message"])
    # feedback, votes and a human-in-the-loop reply on it: as for a message that does not exist
    key = {"Authorization": f"Bearer {secret}"}
    for path, body in (
        (f"/api/v1/question_answer_feedbacks/{answer}", {"expected_answer": "x", "user_comment": "y"}),
        (f"/api/v1/messages/{question}/hitl", {"message": "go on"}),
    ):
        assert anon.post(path, json=body, headers=key).status_code == 404, path
    assert anon.put(f"/api/v1/messages/{answer}/votes", json={"votes": 1}, headers=key).status_code == 404
    assert http.get("/api/v1/question_answer_feedbacks/count").json()["count"] == 0
    assert [m["id"] for m in http.get(f"/api/v1/chats/{sid}/messages").json()] == [question, answer]
    # the owner deletes both at once (the client joins the ids with a comma)
    harness.delete_chat_messages([question, answer])
    assert http.get(f"/api/v1/chats/{sid}/messages").json() == []


def test_an_openai_style_answer_is_the_callers(http: httpx.Client, state: H2OGPTeMockState) -> None:
    # each OpenAI-style call is a chat of its own, unlisted: it was stamped as the harness user's whoever called
    body = {"model": "auto", "messages": [{"role": "user", "content": "hello"}]}
    answer = http.post("/openai_api/v1/chat/completions", json=body, headers=_alice(http))
    assert answer.status_code == 200, answer.text
    made = [s for s in state.sessions.values() if s.get("_openai")]
    assert [(s["_owner"], s["username"]) for s in made] == [(ALICE.id, ALICE.username)]


def test_the_official_client_shares_a_prompt_template_by_username(url: str, state: H2OGPTeMockState) -> None:
    """share_prompt lets the user see the template (get, listing) and list_prompt_permissions names them;
    unshare_prompt and reset_and_share_prompt_template change who; only the owner shares (another user's call is
    refused, the template left as it was)."""
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import H2OGPTEError, ObjectNotFoundError
    from h2ogpte.types import SharePermission

    harness = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    alice = h2ogpte.H2OGPTE(address=url, api_key=harness.create_api_key_for_user(user_id=ALICE.id, name="alice"))
    template = harness.create_prompt_template(name="house style", system_prompt="Be brief.")
    with pytest.raises(ObjectNotFoundError):
        alice.get_prompt_template(template)
    assert harness.share_prompt(template, SharePermission(username=ALICE.username)).status == "completed"
    assert [(p.username, p.permissions) for p in harness.list_prompt_permissions(template)] == [(ALICE.username, None)]
    assert alice.get_prompt_template(template).system_prompt == "Be brief."
    assert [t.id for t in alice.list_recent_prompt_templates(0, 10)] == [template]
    with pytest.raises(H2OGPTEError):
        alice.unshare_prompt_for_all(template)
    assert [p.username for p in harness.list_prompt_permissions(template)] == [ALICE.username]
    harness.unshare_prompt(template, SharePermission(username=ALICE.username))
    assert harness.list_prompt_permissions(template) == []
    with pytest.raises(ObjectNotFoundError):
        alice.get_prompt_template(template)
    harness.reset_and_share_prompt_template(template, [ALICE.username, HARNESS.username])
    assert [p.username for p in harness.list_prompt_permissions(template)] == [ALICE.username]
    harness.unshare_prompt_for_all(template)
    assert alice.list_recent_prompt_templates(0, 10) == []
    assert not state.internal_errors


def test_only_its_owner_updates_or_deletes_a_prompt_template_shared_with_another(
    url: str, state: H2OGPTeMockState
) -> None:
    """A user a template is shared with reads it but neither updates nor deletes it (the client's share_prompt
    gives no permission level; as for a collection, only the owner deletes): the operations document no 403, so the
    refusal is their first documented 4xx, 400 (InvalidArgumentError), and the template is left as it was; the owner
    deletes several at once, as delete_prompt_templates(ids) sends them, all or none."""
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import InvalidArgumentError, ObjectNotFoundError
    from h2ogpte.types import SharePermission

    harness = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    alice = h2ogpte.H2OGPTE(address=url, api_key=harness.create_api_key_for_user(user_id=ALICE.id, name="alice"))
    shared, other, third = (harness.create_prompt_template(name=name) for name in ("shared", "other", "third"))
    harness.share_prompt(shared, SharePermission(username=ALICE.username))
    with pytest.raises(InvalidArgumentError, match="Only the owner"):
        alice.update_prompt_template(shared, name="alice's now")
    with pytest.raises(InvalidArgumentError, match="Only the owner"):
        alice.delete_prompt_templates([shared])
    with pytest.raises(ObjectNotFoundError):
        alice.delete_prompt_templates([other])
    assert alice.get_prompt_template(shared).name == "shared"
    assert sorted(t.name for t in harness.list_recent_prompt_templates(0, 10)) == ["other", "shared", "third"]
    mine = alice.create_prompt_template(name="alice's")
    with pytest.raises(InvalidArgumentError):
        alice.delete_prompt_templates([mine, shared])
    assert alice.get_prompt_template(mine).name == "alice's"

    assert harness.update_prompt_template(shared, name="renamed") == shared
    assert alice.get_prompt_template(shared).name == "renamed"
    harness.delete_prompt_templates([other, third])
    assert [t.name for t in harness.list_recent_prompt_templates(0, 10)] == ["renamed"]
    harness.delete_prompt_templates([shared])
    with pytest.raises(ObjectNotFoundError):
        alice.get_prompt_template(shared)
    assert not state.internal_errors
