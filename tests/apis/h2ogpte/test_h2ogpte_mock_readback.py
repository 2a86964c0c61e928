"""What the h2oGPTe mock is told is what it reads back: document summaries a process job wrote are listed and
deleted where they are kept, the agent operations that change something (tool preference, agent keys and their
tool associations, skill preference and associations, a custom tool's launch) show it on the next read, per user,
the built-in MCP and skill libraries list what was published, added and installed, and the tags put on documents
find them until untagged, the tag deleted or the document gone."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import httpx
import pytest

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, H2OGPTeMockState, H2OGPTeTimings
from h2oharness.apis.h2ogpte.mockparts.state import ALICE, HARNESS
from h2oharness.mocks.clock import ManualClock


@pytest.fixture
def state(clock: ManualClock) -> H2OGPTeMockState:
    """Jobs done on submission, so the official client's waits end at once on the hand-driven clock."""
    return H2OGPTeMockState(clock=clock, timings=H2OGPTeTimings.instant())


def _alice(http: httpx.Client) -> dict[str, str]:
    made = http.post("/api/v1/admin/api_keys", json={"user_id": ALICE.id, "name": "alice"})
    assert made.status_code == 201, made.text
    return {"Authorization": f"Bearer {made.json()['secret_key']}"}


def test_a_processed_documents_summary_is_listed_until_deleted(url: str, state: H2OGPTeMockState) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import ObjectNotFoundError

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    cid = client.create_collection("reports", "")
    upload = client.upload("sales.csv", io.BytesIO(b"region,total\nnorth,10\n"))
    client.ingest_uploads(cid, [upload], gen_doc_summaries=False, gen_doc_questions=False)
    [doc] = client.list_documents_in_collection(cid, 0, 10)
    made = client.process_document(doc.id)
    assert [s.id for s in client.list_recent_document_summaries(doc.id, 0, 10)] == [made.id]

    client.delete_document_summaries([made.id])
    assert client.list_recent_document_summaries(doc.id, 0, 10) == []
    with pytest.raises(ObjectNotFoundError):
        client.delete_document_summaries([made.id])
    assert not state.internal_errors


def test_summaries_are_deleted_all_or_nothing_and_only_by_their_readers(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    upload = http.put("/api/v1/uploads", files={"file": ("sales.csv", b"a,b\n1,2\n")}).json()["id"]
    assert http.post(f"/api/v1/uploads/{upload}/ingest", params={"collection_id": cid}).status_code == 204
    [doc] = http.get(f"/api/v1/collections/{cid}/documents").json()
    for summary_id in ("s1", "s2"):
        job = {"document_id": doc["id"], "summary_id": summary_id}
        assert http.post("/api/v1/documents/process_job", json=job).status_code == 201
    listed = f"/api/v1/documents/{doc['id']}/summaries"
    assert [s["id"] for s in http.get(listed).json()] == ["s1", "s2"]
    assert [s["id"] for s in http.get(listed, params={"offset": 1}).json()] == ["s2"]

    # a summary alice may not read is as unknown to her as one that does not exist; an unknown id keeps the rest
    assert anon.delete("/api/v1/documents/summaries/s1", headers=alice).status_code == 404
    assert http.delete("/api/v1/documents/summaries/s1,nope").status_code == 404
    assert [s["id"] for s in http.get(listed).json()] == ["s1", "s2"]
    assert http.delete("/api/v1/documents/summaries/s1,s2").status_code == 204
    assert http.get(listed).json() == []
    assert http.get("/api/v1/document_summaries/s1").status_code == 404


def _skill_zip(*names: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name in names:
            archive.writestr(f"{name}/SKILL.md", f"---\nname: {name}\ndescription: The {name} skill\n---\nUse it.\n")
    return buf.getvalue()


def test_the_official_client_reads_back_its_tool_preference(url: str, state: H2OGPTeMockState) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    client.update_agent_tool_preference(["python"])
    assert client.get_agent_tool_preference() == ["python"]
    client.delete_agent_tool_preference()
    assert client.get_agent_tool_preference() == ["python", "shell", "web_search"]
    assert not state.internal_errors


def test_a_tool_preference_is_each_users_own(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    preference = "/api/v1/agents/tool_preference"
    assert http.post(preference, json={"reference_value": ["shell"]}).status_code == 204
    assert anon.get(preference, headers=alice).json() == ["python", "shell", "web_search"]
    assert anon.post(preference, json={"reference_value": []}, headers=alice).status_code == 204
    assert anon.get(preference, headers=alice).json() == []
    assert anon.delete(preference, headers=alice).status_code == 204
    assert http.get(preference).json() == ["shell"]


def test_the_official_client_reads_back_agent_key_changes_and_the_keys_given_to_tools(
    url: str, state: H2OGPTeMockState
) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    [made] = client.add_agent_key([{"name": "SERP", "value": "secret", "key_type": "private"}])
    key_id = made["agent_key_id"]
    updated = client.update_agent_key(key_id, name="SERP2", description="search")
    assert updated is not None
    assert (updated["name"], updated["description"]) == ("SERP2", "search")
    [listed] = client.get_agent_keys()
    assert (listed["name"], listed["description"]) == ("SERP2", "search")

    given = client.assign_agent_key_for_tool(
        [{"tool_dict": {"tool": "web_search", "keys": [{"name": "SERPAPI_API_KEY", "key_id": key_id}]}}]
    )
    assert given is not None
    [(associate_id, tool, env_name, given_key, user_id)] = given
    assert (tool, env_name, given_key, user_id) == ("web_search", "SERPAPI_API_KEY", key_id, HARNESS.id)
    [association] = client.get_agent_key_tool_associations()
    assert association["tool"] == "web_search"
    assert [k["associate_id"] for k in association["keys"]] == [associate_id]
    assert client.delete_agent_tool_association([associate_id]) == 1
    assert client.get_agent_key_tool_associations() == []
    assert not state.internal_errors


def test_agent_keys_and_the_keys_given_to_tools_are_each_users_own(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    key_id = http.post("/api/v1/agents/keys", json={"name": "K", "value": "v", "type": "private"}).json()["id"]
    # another user's key is as unknown to alice as one that does not exist: not changed, not given to a tool
    assert anon.post(f"/api/v1/agents/keys/{key_id}", json={"name": "hers"}, headers=alice).status_code == 404
    assert [k["name"] for k in http.get("/api/v1/agents/keys").json()] == ["K"]
    link = {"tool": "shell", "keys": [{"name": "TOKEN", "key_id": key_id}]}
    # the contract documents no 404 here: the operation's first documented 4xx
    assert anon.post("/api/v1/agents/tool_association", json=link, headers=alice).status_code == 400
    made = http.post("/api/v1/agents/tool_association", json=link).json()
    [associate_id] = [k["associate_id"] for k in made["keys"]]
    assert anon.get("/api/v1/agents/tool_association", headers=alice).json() == []
    gone = anon.delete(f"/api/v1/agents/tool_association/{associate_id}", headers=alice)
    assert gone.status_code == 404
    # giving the tool another key under the same env var name replaces the binding
    other = http.post("/api/v1/agents/keys", json={"name": "K2", "value": "w", "type": "private"}).json()["id"]
    link = {"tool": "shell", "keys": [{"name": "TOKEN", "key_id": other}]}
    assert http.post("/api/v1/agents/tool_association", json=link).status_code == 200
    [listed] = http.get("/api/v1/agents/tool_association").json()
    assert [k["key_id"] for k in listed["keys"]] == [other]
    # a deleted key is no longer given to any tool
    assert http.delete(f"/api/v1/agents/keys/{other}").status_code == 204
    assert http.get("/api/v1/agents/tool_association").json() == []


def test_the_official_client_reads_back_skills_it_uploaded_and_set(
    url: str, state: H2OGPTeMockState, tmp_path: Path
) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    [made] = client.add_agent_key([{"name": "PDF", "value": "secret", "key_type": "private"}])
    key_id = made["agent_key_id"]
    path = tmp_path / "skills.zip"
    path.write_bytes(_skill_zip("pdf"))
    [skill] = client.add_skill(str(path))
    assert [(s.id, s.skill_name, s.enabled) for s in client.get_skills()] == [(skill.id, "pdf", False)]
    client.set_agent_skill_preference([skill.id], True)
    assert [s.enabled for s in client.get_skills()] == [True]
    bound = client.set_skill_associations(skill.id, keys=[{"name": "PDF_KEY", "key_id": key_id}])
    assert bound == {"count": 1, "tools": ["python", "shell"]}
    [kept] = client.get_skill_associations()
    assert (kept.skill_id, kept.tools) == (skill.id, ["python", "shell"])
    assert [(k.name, k.key_id, k.key_name) for k in kept.keys] == [("PDF_KEY", key_id, "PDF")]
    assert not state.internal_errors


def test_skills_are_set_by_their_owner_only(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    upload = {"file": ("two.zip", _skill_zip("pdf", "xlsx"))}
    made = anon.post("/api/v1/agents/skills", files=upload, data={"enable_by_default": "true"}, headers=alice)
    assert made.status_code == 201, made.text
    ids = [s["id"] for s in made.json()]
    assert [(s["skill_name"], s["enabled"]) for s in made.json()] == [("pdf", True), ("xlsx", True)]
    assert http.get("/api/v1/agents/skills").json() == []
    refused = http.post("/api/v1/agents/skill_preference", json={"skill_ids": ids[:1], "enabled": False})
    assert (refused.status_code, set(refused.json())) == (403, {"code", "message"})
    bind = {"skill_id": ids[0], "keys": [], "tools": ["shell"]}
    assert http.post("/api/v1/agents/skill_association", json=bind).status_code == 403
    assert anon.post("/api/v1/agents/skill_association", json=bind, headers=alice).json()["tools"] == ["shell"]
    assert http.get("/api/v1/agents/skill_association").json() == []
    # only the named skills change
    assert (
        anon.post(
            "/api/v1/agents/skill_preference", json={"skill_ids": ids[:1], "enabled": False}, headers=alice
        ).status_code
        == 204
    )
    listed = anon.get("/api/v1/agents/skills", headers=alice).json()
    assert [(s["skill_name"], s["enabled"]) for s in listed] == [("pdf", False), ("xlsx", True)]
    assert [a["skill_id"] for a in anon.get("/api/v1/agents/skill_association", headers=alice).json()] == ids[:1]
    bad = anon.post("/api/v1/agents/skills", files={"file": ("notes.txt", b"x")}, headers=alice)
    assert bad.status_code == 415
    # a deleted skill's associations go with it
    assert anon.post("/api/v1/agents/skills/delete", json={"skill_ids": ids}, headers=alice).json()["count"] == 2
    assert anon.get("/api/v1/agents/skill_association", headers=alice).json() == []


def test_an_installed_skill_is_enabled_and_given_keys_as_set(http: httpx.Client) -> None:
    skill = http.post("/api/v1/agents/builtin_skills/add", json={"skill_id": "pdf"}).json()["id"]
    key_id = http.post("/api/v1/agents/keys", json={"name": "K", "value": "v", "type": "private"}).json()["id"]
    assert [s["enabled"] for s in http.get("/api/v1/agents/skills").json()] == [False]
    assert http.post("/api/v1/agents/skill_preference", json={"skill_ids": [skill], "enabled": True}).status_code == 204
    assert [s["enabled"] for s in http.get("/api/v1/agents/skills").json()] == [True]
    bind = {"skill_id": skill, "keys": [{"name": "PDF_KEY", "key_id": key_id}], "tools": ["shell"]}
    assert http.post("/api/v1/agents/skill_association", json=bind).json() == {"count": 1, "tools": ["shell"]}
    [kept] = http.get("/api/v1/agents/skill_association").json()
    assert (kept["skill_id"], kept["tools"]) == (skill, ["shell"])
    assert [(k["name"], k["key_id"]) for k in kept["keys"]] == [("PDF_KEY", key_id)]
    # a null key_id clears the binding; no tools named is both executors
    clear = {"skill_id": skill, "keys": [{"name": "PDF_KEY", "key_id": None}]}
    assert http.post("/api/v1/agents/skill_association", json=clear).json() == {
        "count": 0,
        "tools": ["python", "shell"],
    }
    assert http.get("/api/v1/agents/skill_association").json() == [
        {"skill_id": skill, "keys": [], "tools": ["python", "shell"]}
    ]


def _mcps(http: httpx.Client, headers: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    listed = http.get("/api/v1/agents/builtin_mcps", headers=headers or {}).json()
    return {m["id"]: m for m in listed["oauth_apps"] + listed["api_key_apps"]}


def test_the_builtin_mcp_library_shows_what_was_published_changed_added_and_removed(
    http: httpx.Client, anon: httpx.Client
) -> None:
    alice = _alice(http)
    assert "playwright_builtin" in _mcps(http)
    config = {"name": "Team Wiki", "description": "d", "type": "api_app", "mcp_config_json": {"command": "wiki"}}
    made = http.post("/api/v1/agents/builtin_mcps/admin", files={"mcp_config": (None, json.dumps(config))})
    assert made.status_code == 201, made.text
    mcp_id = made.json()["mcp_id"]
    # the library is every user's
    assert _mcps(anon, alice)[mcp_id]["description"] == "d"
    entry = f"/api/v1/agents/builtin_mcps/admin/{mcp_id}"
    assert http.put(entry, json={**config, "description": "e"}).status_code == 200
    logo = http.post(f"{entry}/logo", files={"file": ("logo.png", b"png")}).json()["logo_url"]
    assert (_mcps(http)[mcp_id]["description"], _mcps(http)[mcp_id]["logo_url"]) == ("e", logo)
    assert http.delete(f"{entry}/logo").status_code == 200
    assert _mcps(http)[mcp_id]["logo_url"] is None

    # adding is the user's: a tool of theirs, in their tool preference
    tool_id = http.post("/api/v1/agents/builtin_mcps/add", files={"mcp_id": (None, mcp_id)}).json()["tool_id"]
    assert (_mcps(http)[mcp_id]["is_added"], _mcps(http)[mcp_id]["tool_id"]) == (True, tool_id)
    assert _mcps(anon, alice)[mcp_id]["is_added"] is False
    assert [t["id"] for t in http.get("/api/v1/agents/custom_tools").json()] == [tool_id]
    assert mcp_id in http.get("/api/v1/agents/tool_preference").json()
    again = http.post("/api/v1/agents/builtin_mcps/add", files={"mcp_id": (None, mcp_id)})
    assert again.json() == {"tool_id": tool_id}
    # an OAuth app is not added directly; neither is an entry the library lacks (the contract declares no 404)
    assert http.post("/api/v1/agents/builtin_mcps/add", files={"mcp_id": (None, "github_builtin")}).status_code == 400
    assert http.post("/api/v1/agents/builtin_mcps/add", files={"mcp_id": (None, "nope")}).status_code == 400

    assert http.delete(entry).status_code == 200
    assert mcp_id not in _mcps(http)
    assert http.delete(entry).status_code == 404
    assert http.put(entry, json=config).status_code == 404


def _library(http: httpx.Client, headers: dict[str, str] | None = None) -> dict[str, dict[str, object]]:
    return {s["id"]: s for s in http.get("/api/v1/agents/builtin_skills", headers=headers or {}).json()}


def test_the_skill_library_shows_what_was_published_installed_and_removed(
    http: httpx.Client, anon: httpx.Client
) -> None:
    alice = _alice(http)
    assert {"pdf", "xlsx"} <= set(_library(http))
    made = http.post("/api/v1/agents/builtin_skills/admin", files={"file": ("wiki.zip", _skill_zip("wiki"))})
    assert made.status_code == 201, made.text
    [row] = made.json()
    library_id = row["skill_id"]
    assert (row["inserted"], _library(anon, alice)[library_id]["skill_name"]) == (True, "wiki")
    download = http.get(f"/api/v1/agents/builtin_skills/{library_id}/download")
    with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
        assert archive.namelist() == ["wiki/SKILL.md"]
    republished = http.post("/api/v1/agents/builtin_skills/admin", files={"file": ("wiki.zip", _skill_zip("wiki"))})
    assert [(r["skill_id"], r["inserted"]) for r in republished.json()] == [(library_id, False)]

    install = anon.post("/api/v1/agents/builtin_skills/add", json={"skill_id": library_id}, headers=alice)
    skill_id = install.json()["id"]
    seen = _library(anon, alice)[library_id]
    assert (seen["is_skill_added"], seen["user_skill_id"], seen["install_count"]) == (True, skill_id, 1)
    assert (_library(http)[library_id]["is_skill_added"], _library(http)[library_id]["user_skill_id"]) == (False, None)
    assert [s["skill_name"] for s in anon.get("/api/v1/agents/skills", headers=alice).json()] == ["wiki"]
    again = anon.post("/api/v1/agents/builtin_skills/add", json={"skill_id": library_id}, headers=alice)
    assert again.status_code == 409
    assert http.post("/api/v1/agents/builtin_skills/add", json={"skill_id": "nope"}).status_code == 404
    # uninstalling is deleting the user's skill
    assert anon.post("/api/v1/agents/skills/delete", json={"skill_ids": [skill_id]}, headers=alice).status_code == 200
    assert _library(anon, alice)[library_id]["install_count"] == 0

    assert http.delete(f"/api/v1/agents/builtin_skills/admin/{library_id}").status_code == 200
    assert library_id not in _library(http)
    assert http.get(f"/api/v1/agents/builtin_skills/{library_id}/download").status_code == 404
    assert http.post("/api/v1/agents/builtin_skills/add", json={"skill_id": library_id}).status_code == 404


def test_the_official_client_reads_back_the_libraries(url: str, state: H2OGPTeMockState, tmp_path: Path) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    config = {"name": "Team Wiki", "description": "d", "type": "api_app", "mcp_config_json": {"command": "wiki"}}
    mcp_id = client.create_user_builtin_mcp(config)["mcp_id"]
    tool_id = client.add_builtin_mcp(mcp_id)
    [entry] = [m for m in client.list_builtin_mcps()["api_key_apps"] if m["id"] == mcp_id]
    assert (entry["name"], entry["tool_id"]) == ("Team Wiki", tool_id)
    client.delete_user_builtin_mcp(mcp_id)
    assert mcp_id not in [m["id"] for m in client.list_builtin_mcps()["api_key_apps"]]

    path = tmp_path / "wiki.zip"
    path.write_bytes(_skill_zip("wiki"))
    [row] = client.publish_library_skill(str(path))
    skill_id = client.install_library_skill(row.skill_id, enable_by_default=True)
    [listed] = [s for s in client.list_library_skills() if s.id == row.skill_id]
    assert (listed.is_skill_added, listed.user_skill_id, listed.install_count) == (True, skill_id, 1)
    assert [(s.id, s.enabled) for s in client.get_skills()] == [(skill_id, True)]
    client.delete_library_skill(row.skill_id)
    assert row.skill_id not in [s.id for s in client.list_library_skills()]
    assert not state.internal_errors


def test_a_launched_custom_tool_runs_one_job_until_removed(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    servers = json.dumps({"mcpServers": {"wiki": {"url": "https://example.com/mcp"}}})
    form = {"tool_type": (None, "remote_mcp"), "tool_args": (None, json.dumps({"mcp_config_json": servers}))}
    [made] = http.post("/api/v1/agents/custom_tools", files=form).json()
    launch = f"/api/v1/agents/custom_tools/{made['agent_custom_tool_id']}/launch"
    job = http.post(launch).json()
    assert job["codeapi_url"].endswith(job["codeapi_job_id"])
    assert http.post(launch).json() == job
    # another user's tool is as unknown as one that does not exist
    assert anon.post(launch, headers=alice).status_code == 404
    assert anon.delete(launch, headers=alice).status_code == 404
    assert http.delete(launch).json() == {"success": True}
    assert http.delete(launch).json() == {"success": False}
    assert http.post(launch).json()["codeapi_job_id"] != job["codeapi_job_id"]
    assert http.delete(f"/api/v1/agents/custom_tools/{made['agent_custom_tool_id']}").status_code == 200
    assert http.post(launch).status_code == 404


def test_an_agent_key_name_is_one_key_of_its_user(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    keys = "/api/v1/agents/keys"
    first = http.post(keys, json={"name": "K", "value": "v", "type": "private"}).json()["id"]
    assert http.post(keys, json={"name": "K", "value": "w", "type": "private"}).status_code == 409
    # another user's names are theirs
    assert anon.post(keys, json={"name": "K", "value": "v", "type": "private"}, headers=alice).status_code == 200
    other = http.post(keys, json={"name": "K2", "value": "v", "type": "private"}).json()["id"]
    renamed = http.post(f"{keys}/{other}", json={"name": "K"})
    assert (renamed.status_code, set(renamed.json())) == (409, {"code", "message"})
    assert http.post(f"{keys}/{first}", json={"name": "K", "description": "same name"}).status_code == 200
    assert sorted(k["name"] for k in http.get(keys).json()) == ["K", "K2"]


def test_what_is_set_on_a_collection_or_a_chat_is_read_back(http: httpx.Client, anon: httpx.Client) -> None:
    alice = _alice(http)
    coll = (
        "/api/v1/collections/" + http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    )
    sets = {
        "expiry_date": {"expiry_date": "2027-03-01", "timezone": "Europe/Prague"},
        "inactivity_interval": {"inactivity_interval": 30},
        "workspace": {"workspace": "workspaces/team"},
        "exempt_from_chat_expiry": {"exempt": True},
    }
    for field, body in sets.items():
        assert http.put(f"{coll}/{field}", json=body).status_code == 204, field
    got = http.get(coll).json()
    assert got["expiry_date"] == "2027-02-28T23:00:00.000000Z"
    assert (got["inactivity_interval"], got["workspace"], got["exempt_from_chat_expiry"]) == (
        30,
        "workspaces/team",
        True,
    )
    assert http.delete(f"{coll}/expiry_date").status_code == 204
    assert http.get(coll).json()["expiry_date"] is None
    # a public collection is seen by every user; only its owner makes it so
    assert anon.get(coll, headers=alice).status_code == 404
    assert http.post(f"{coll}/is_public", json={"is_public": True}).status_code == 204
    assert anon.get(coll, headers=alice).json()["is_public"] is True
    assert anon.post(f"{coll}/is_public", json={"is_public": False}, headers=alice).status_code == 400
    assert http.get(coll).json()["is_public"] is True

    chat = f"/api/v1/chats/{http.post('/api/v1/chats').json()['id']}"
    assert http.post(f"{chat}/archive").status_code == 204
    assert http.get(chat).json()["archived_at"] is not None
    assert http.post(f"{chat}/unarchive").status_code == 204
    assert http.put(f"{chat}/keep_forever", json={"keep_forever": True}).status_code == 204
    assert http.put(f"{chat}/expiry_date", json={"expiry_date": "2027-03-01"}).status_code == 204
    got = http.get(chat).json()
    assert (got["archived_at"], got["keep_forever"], got["expiry_date"]) == (None, True, "2027-03-01T00:00:00.000000Z")


def test_what_a_generic_call_deletes_or_sets_is_what_the_reads_show(http: httpx.Client) -> None:
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    upload = http.put("/api/v1/uploads", files={"file": ("sales.csv", b"a,b\n1,2\n")}).json()["id"]
    assert http.post(f"/api/v1/uploads/{upload}/ingest", params={"collection_id": cid}).status_code == 204
    [doc] = http.get(f"/api/v1/collections/{cid}/documents").json()
    assert http.delete(f"/api/v1/collections/{cid}/documents/{doc['id']}").status_code == 204
    assert http.get(f"/api/v1/collections/{cid}/documents").json() == []

    sid = http.post("/api/v1/chats", params={"collection_id": cid}).json()["id"]
    assert http.post(f"/api/v1/chats/{sid}/completions", json={"message": "hi"}).status_code == 200
    [question, _] = [m["id"] for m in http.get(f"/api/v1/chats/{sid}/messages").json()]
    assert http.delete(f"/api/v1/messages/{question}").status_code == 204
    assert len(http.get(f"/api/v1/chats/{sid}/messages").json()) == 1

    assert http.post("/api/v1/shared_chats", json={"chat_session_id": sid}).status_code == 201
    [shared] = http.get("/api/v1/shared_chats").json()
    assert http.post("/api/v1/shared_chats/batch_delete", json={"shared_chat_ids": [shared["id"]]}).status_code == 204
    assert http.get("/api/v1/shared_chats").json() == []

    coll = f"/api/v1/collections/{cid}"
    assert http.put(f"{coll}/metadata", json={"team": "sales"}).status_code == 204
    assert http.get(f"{coll}/metadata").json() == {"team": "sales"}
    assert http.put(f"{coll}/chat_settings", json={"llm": "gpt-4o"}).status_code == 204
    assert http.get(f"{coll}/chat_settings").json()["llm"] == "gpt-4o"


def test_a_documents_metadata_is_what_its_ingestion_or_update_gave(
    url: str, http: httpx.Client, anon: httpx.Client
) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    cid = client.create_collection("reports", "")
    north, south = (client.upload(f"{name}.csv", io.BytesIO(b"a,b\n1,2\n")) for name in ("north", "south"))
    # the client: a dictionary mapping each upload id to its document's metadata
    client.ingest_uploads(cid, [north, south], metadata={north: {"category": "reports", "year": 2024}})
    client.ingest_from_plain_text(cid, "hello\n", "notes.txt", metadata={"source": "notes"})
    client.ingest_from_s3(cid, ["s3://bucket/a.pdf", "s3://bucket/b.pdf"], metadata={"bucket": "bucket"})
    docs = {d.name: d for d in client.list_documents_in_collection(cid, 0, 10)}
    given = {name: client.get_document(doc.id).metadata_dict for name, doc in docs.items()}
    assert given == {
        "north.csv": {"category": "reports", "year": 2024},
        "south.csv": {},
        "notes.txt": {"source": "notes"},
        "s3://bucket/a.pdf": {"bucket": "bucket"},
        "s3://bucket/b.pdf": {"bucket": "bucket"},
    }
    # an update overwrites it, as the client says
    doc_id = docs["north.csv"].id
    client.update_document_metadata(doc_id, {"year": 2025})
    assert client.get_document(doc_id).metadata_dict == {"year": 2025}
    assert http.get(f"/api/v1/documents/{doc_id}/metadata").json() == {"year": 2025}
    listed = {d["name"]: d["metadata_dict"] for d in http.get(f"/api/v1/collections/{cid}/documents").json()}
    assert listed["north.csv"] == {"year": 2025}
    alice = _alice(http)
    assert anon.put(f"/api/v1/documents/{doc_id}/metadata", json={}, headers=alice).status_code == 404
    assert anon.get(f"/api/v1/documents/{doc_id}/metadata", headers=alice).status_code == 404
    # plain text's metadata is JSON in the query: anything else is a 400
    bad = {"collection_id": cid, "file_name": "x.txt", "metadata": "{not json"}
    assert http.post("/api/v1/ingest/plain_text", params=bad, content="x").status_code == 400


def test_a_chat_sessions_collection_is_changed_or_removed(url: str, http: httpx.Client, anon: httpx.Client) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import ObjectNotFoundError

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    first, second = client.create_collection("first", ""), client.create_collection("second", "")
    sid = client.create_chat_session(first)
    client.set_chat_session_collection(sid, second)
    assert http.get(f"/api/v1/chats/{sid}").json()["collection_id"] == second
    assert [s.id for s in client.list_chat_sessions_for_collection(second, 0, 10)] == [sid]
    assert client.list_chat_sessions_for_collection(first, 0, 10) == []
    client.set_chat_session_collection(sid, None)
    assert http.get(f"/api/v1/chats/{sid}").json()["collection_id"] is None
    with pytest.raises(ObjectNotFoundError):
        client.set_chat_session_collection(sid, "no-such-collection")
    # another user's collection is as unknown, and so is another user's chat
    theirs = anon.post("/api/v1/collections", json={"name": "t", "description": ""}, headers=_alice(http)).json()["id"]
    assert http.put(f"/api/v1/chats/{sid}/collection", json={"collection_id": theirs}).status_code == 404
    assert http.get(f"/api/v1/chats/{sid}").json()["collection_id"] is None


def test_a_forked_chat_is_a_new_chat_with_the_messages_up_to_the_one_named(
    url: str, http: httpx.Client, anon: httpx.Client
) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import ObjectNotFoundError

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    sid = client.create_chat_session(client.create_collection("c", ""))
    for question in ("one", "two"):
        http.post(f"/api/v1/chats/{sid}/completions", json={"message": question})
    original = http.get(f"/api/v1/chats/{sid}/messages").json()
    branch = client.fork_chat_session(sid, original[1]["id"])
    whole = client.fork_chat_session(sid)
    assert len({sid, branch, whole}) == 3
    copies = {fork: http.get(f"/api/v1/chats/{fork}/messages").json() for fork in (branch, whole)}
    assert [m["content"] for m in copies[branch]] == [m["content"] for m in original[:2]]
    assert [m["content"] for m in copies[whole]] == [m["content"] for m in original]
    # independent copies: new ids, each answer replying to its own copy of the question, with its meta
    question, answer = copies[branch]
    assert {question["id"], answer["id"]}.isdisjoint(m["id"] for m in original)
    assert answer["reply_to"] == question["id"]
    assert http.get(f"/api/v1/messages/{answer['id']}/meta").json() == (
        http.get(f"/api/v1/messages/{original[1]['id']}/meta").json()
    )
    forked = http.get(f"/api/v1/chats/{branch}").json()
    assert forked["collection_id"] == http.get(f"/api/v1/chats/{sid}").json()["collection_id"]
    http.delete(f"/api/v1/chats/{branch}")
    assert http.get(f"/api/v1/chats/{sid}/messages").json() == original
    # a message of another chat, or another user's chat, is as unknown as one that does not exist
    with pytest.raises(ObjectNotFoundError):
        client.fork_chat_session(whole, original[0]["id"])
    assert anon.post(f"/api/v1/chats/{sid}/fork", json={}, headers=_alice(http)).status_code == 404


def test_archiving_shows_in_the_status_of_a_collection_or_a_chat(url: str, http: httpx.Client) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    cid = client.create_collection("c", "")
    created = client.get_collection(cid).status
    client.archive_collection(cid)
    assert client.get_collection(cid).status == "archived"
    client.unarchive_collection(cid)
    assert client.get_collection(cid).status == created
    # the client: archiving a chat sets its status to 'archived', clears its expiry and keep_forever; unarchiving
    # puts it back to 'active' and clears archived_at
    sid = client.create_chat_session(cid)
    client.set_chat_session_keep_forever(sid, True)
    client.set_chat_session_expiry_date(sid, "2027-03-01")
    client.archive_chat_session(sid)
    got = http.get(f"/api/v1/chats/{sid}").json()
    assert (got["status"], got["keep_forever"], got["expiry_date"]) == ("archived", False, None)
    assert got["archived_at"] is not None
    client.unarchive_chat_session(sid)
    got = http.get(f"/api/v1/chats/{sid}").json()
    assert (got["status"], got["archived_at"]) == ("active", None)


def test_the_official_client_tags_documents_and_finds_them_by_their_tags(
    url: str, http: httpx.Client, state: H2OGPTeMockState
) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    from h2ogpte.errors import ObjectNotFoundError

    client = h2ogpte.H2OGPTE(address=url, api_key=DEFAULT_KEY)
    cid, other = client.create_collection("reports", ""), client.create_collection("other", "")
    uploads = [client.upload(f"{name}.csv", io.BytesIO(b"a,b\n1,2\n")) for name in ("north", "south", "east")]
    client.ingest_uploads(cid, uploads)
    docs = {d.name.removesuffix(".csv"): d.id for d in client.list_documents_in_collection(cid, 0, 10)}

    def tagged(collection_id: str, *tags: str) -> set[str]:
        return {d.name.removesuffix(".csv") for d in client.list_documents_from_tags(collection_id, list(tags))}

    def linked() -> set[str]:
        return {t.name for t in client.list_all_tags(linked_only=True)}

    # tagging with a tag that does not exist makes it (the client: "the id of the newly created tag")
    red = client.tag_document(docs["north"], "red")
    assert client.get_tag("red").id == red
    assert client.tag_document(docs["south"], "red") == red
    client.tag_document(docs["north"], "blue")
    client.create_tag("green")
    assert tagged(cid, "red") == {"north", "south"}
    # the documents that have every tag named
    assert tagged(cid, "red", "blue") == {"north"}
    assert tagged(other, "red") == set()
    assert linked() == {"red", "blue"}
    assert {t.name for t in client.list_all_tags()} == {"red", "blue", "green"}

    assert client.untag_document(docs["north"], "blue") == client.get_tag("blue").id
    assert tagged(cid, "blue") == set()
    assert linked() == {"red"}
    with pytest.raises(ObjectNotFoundError):
        client.untag_document(docs["north"], "blue")
    with pytest.raises(ObjectNotFoundError):
        client.untag_document(docs["north"], "no-such-tag")
    with pytest.raises(ObjectNotFoundError):
        client.tag_document("no-such-document", "red")

    # deleting a tag removes its associations; a tag made again under its name tags nothing
    assert client.delete_tag("red") == red
    with pytest.raises(ObjectNotFoundError):
        client.get_tag("red")
    client.tag_document(docs["east"], "red")
    assert tagged(cid, "red") == {"east"}

    # a deleted document, or a deleted collection's, is tagged no more
    client.tag_document(docs["south"], "south-only")
    client.delete_documents([docs["south"]])
    assert "south-only" not in linked()
    client.delete_collections([cid])
    assert linked() == set()
    assert http.get("/api/v1/tags/red/documents", params={"collection_id": cid}).status_code == 404
    assert not state.internal_errors


def test_tags_are_deleted_by_their_creator_and_put_on_documents_their_user_sees(
    http: httpx.Client, anon: httpx.Client
) -> None:
    alice = _alice(http)
    cid = http.post("/api/v1/collections", json={"name": "c", "description": "d"}).json()["id"]
    upload = http.put("/api/v1/uploads", files={"file": ("sales.csv", b"a,b\n1,2\n")}).json()["id"]
    assert http.post(f"/api/v1/uploads/{upload}/ingest", params={"collection_id": cid}).status_code == 204
    [doc] = http.get(f"/api/v1/collections/{cid}/documents").json()
    made = http.post(f"/api/v1/documents/{doc['id']}/tags", json={"name": "red"})
    assert made.status_code == 201
    assert made.json()["name"] == "red"
    assert http.post("/api/v1/tags", json={"name": "mine"}).status_code == 201
    assert anon.post("/api/v1/tags", json={"name": "hers"}, headers=alice).status_code == 201

    # another user's document, or collection, is as unknown as one that does not exist
    assert anon.post(f"/api/v1/documents/{doc['id']}/tags", json={"name": "x"}, headers=alice).status_code == 404
    assert anon.delete(f"/api/v1/documents/{doc['id']}/tags/red", headers=alice).status_code == 404
    found = anon.get("/api/v1/tags/red/documents", params={"collection_id": cid}, headers=alice)
    assert found.status_code == 404
    # only the tag's creator deletes it: to anyone else it is a 404 (the contract documents no 403 there)
    assert anon.delete("/api/v1/tags/red", headers=alice).status_code == 404
    assert [d["id"] for d in http.get("/api/v1/tags/red/documents", params={"collection_id": cid}).json()] == [
        doc["id"]
    ]

    # user_scope: tags on the documents the user sees, and the tags they made
    def names(headers: dict[str, str] | None = None, **query: str) -> list[str]:
        got = anon.get("/api/v1/tags", params=query, headers=headers or dict(http.headers))
        assert got.status_code == 200, got.text
        return [t["name"] for t in got.json()]

    assert names() == ["red", "mine", "hers"]
    assert names(user_scope="true") == ["red", "mine"]
    assert names(alice, user_scope="true") == ["hers"]
    assert names(user_scope="true", linked_only="true") == ["red"]
    assert names(alice, linked_only="true") == ["red"]

    # 'default' names the user's default collection here too
    text = {"collection_id": "default", "file_name": "notes.txt"}
    assert http.post("/api/v1/ingest/plain_text", params=text, content="hello").status_code == 204
    default = http.get("/api/v1/collections/default").json()["id"]
    [note] = http.get(f"/api/v1/collections/{default}/documents").json()
    assert http.post(f"/api/v1/documents/{note['id']}/tags", json={"name": "mine"}).status_code == 201
    noted = http.get("/api/v1/tags/mine/documents", params={"collection_id": "default"}).json()
    assert [d["id"] for d in noted] == [note["id"]]

    untagged = http.delete(f"/api/v1/documents/{doc['id']}/tags/red")
    assert untagged.status_code == 200
    assert untagged.json() == {"tag_id": made.json()["id"]}
    assert http.delete("/api/v1/tags/red").json() == {"tag_id": made.json()["id"]}
