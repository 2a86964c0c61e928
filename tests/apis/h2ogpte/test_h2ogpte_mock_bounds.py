"""The h2oGPTe mock keeps its memory bounded whatever clients send: uploads and documents by bytes and count, every
other kind of object by count, the oldest going first as if deleted, and nothing left naming what went."""

from __future__ import annotations

import httpx
import pytest

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.apis.h2ogpte.mock import H2OGPTeMockState
from h2oharness.mocks.clock import ManualClock

ROW = b"region,q1\nnorth,10\n"  # 19 bytes


def _collection(http: httpx.Client, name: str = "c") -> str:
    made = http.post("/api/v1/collections", json={"name": name, "description": "d"})
    assert made.status_code == 201
    return str(made.json()["id"])


def _upload(http: httpx.Client, name: str, data: bytes = ROW) -> str:
    resp = http.put("/api/v1/uploads", files={"file": (name, data, "text/csv")})
    assert resp.status_code == 200
    return str(resp.json()["id"])


def _ingest(http: httpx.Client, clock: ManualClock, cid: str, name: str, data: bytes = ROW) -> None:
    uid = _upload(http, name, data)
    assert http.post(f"/api/v1/uploads/{uid}/ingest", params={"collection_id": cid}).status_code == 204
    clock.advance(5.0)


def test_uploads_are_bounded_by_bytes_newest_kept(http: httpx.Client, state: H2OGPTeMockState) -> None:
    state.max_upload_bytes = 3 * len(ROW)
    cid = _collection(http)
    ids = [_upload(http, f"u{i}.csv") for i in range(5)]
    assert sum(len(data) for _, data in state.uploads.values()) <= state.max_upload_bytes
    assert list(state.uploads) == ids[-3:]
    assert set(state.upload_owners) == set(state.uploads)
    # an evicted upload is as unknown as one never made; the newest are still ingested
    assert http.post(f"/api/v1/uploads/{ids[0]}/ingest", params={"collection_id": cid}).status_code == 404
    assert http.post(f"/api/v1/uploads/{ids[-1]}/ingest", params={"collection_id": cid}).status_code == 204
    # one upload larger than the whole budget is kept alone: the newest never goes
    big = _upload(http, "big.csv", ROW * 10)
    assert list(state.uploads) == [big]
    assert not state.internal_errors


def test_documents_are_bounded_by_bytes_and_count(
    http: httpx.Client, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    state.max_document_bytes = 3 * len(ROW)
    cid = _collection(http)
    for i in range(5):
        _ingest(http, clock, cid, f"d{i}.csv")
    assert sum(len(d.data) for d in state.documents.values()) <= state.max_document_bytes
    coll = http.get(f"/api/v1/collections/{cid}").json()
    listed = http.get(f"/api/v1/collections/{cid}/documents").json()
    # the collection counts what it lists: the three newest
    assert sorted(d["name"] for d in listed) == ["d2.csv", "d3.csv", "d4.csv"]
    assert (coll["document_count"], coll["document_size"]) == (3, 3 * len(ROW))

    state.max_documents = 2
    _ingest(http, clock, cid, "d5.csv")
    listed = http.get(f"/api/v1/collections/{cid}/documents").json()
    assert sorted(d["name"] for d in listed) == ["d4.csv", "d5.csv"]
    assert http.get(f"/api/v1/collections/{cid}").json()["document_count"] == 2
    assert http.get("/api/v1/documents/count").json()["count"] == 2
    assert not state.internal_errors


def test_an_evicted_document_is_not_found_and_nothing_names_it(
    http: httpx.Client, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    client = H2OGPTeClient(http)
    cid = _collection(http)
    _ingest(http, clock, cid, "old.csv")
    [old] = http.get(f"/api/v1/collections/{cid}/documents").json()
    assert http.post(f"/api/v1/documents/{old['id']}/tags", json={"name": "red"}).status_code == 201
    chat = client.create_chat(cid)["id"]
    answer = client.complete(chat, payloads.rag_completion("What is in the figures?"))
    assert [r["document_id"] for r in client.references(answer["message_id"])] == [old["id"]]

    state.max_documents = 1
    _ingest(http, clock, cid, "new.csv")
    assert http.get(f"/api/v1/documents/{old['id']}").status_code == 404
    assert http.get("/file", params={"id": old["id"], "name": "old.csv"}).status_code == 404
    # what named it still answers: the tag lists no document, the old answer keeps its references, a new answer
    # cites what is held
    assert http.get("/api/v1/tags/red/documents", params={"collection_id": cid}).json() == []
    assert [r["document_id"] for r in client.references(answer["message_id"])] == [old["id"]]
    again = client.complete(chat, payloads.rag_completion("And now?"))
    assert [r["document_name"] for r in client.references(again["message_id"])] == ["new.csv"]
    assert not state.internal_errors


def test_objects_are_bounded_by_count_oldest_first(
    http: httpx.Client, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    client = H2OGPTeClient(http)
    state.max_objects = 3
    cids = [_collection(http, f"c{i}") for i in range(5)]
    listed = http.get("/api/v1/collections", params={"limit": 100}).json()
    assert sorted(c["id"] for c in listed) == sorted(cids[-3:])
    assert http.get("/api/v1/collections/count").json()["count"] == 3
    assert http.get(f"/api/v1/collections/{cids[0]}").status_code == 404

    # a chat on a collection that went still answers (on no documents), as after a deletion
    orphan = client.create_chat(cids[2])["id"]
    _collection(http, "c5")
    assert cids[2] not in state.collections
    assert http.get(f"/api/v1/chats/{orphan}").status_code == 200
    assert client.complete(orphan, payloads.rag_completion("Anything?"))["message_id"]

    chats = [orphan] + [client.create_chat()["id"] for _ in range(4)]
    assert http.get(f"/api/v1/chats/{chats[0]}").status_code == 404
    assert http.get(f"/api/v1/chats/{chats[0]}/messages").status_code == 404
    assert {m["_session"] for m in state.messages.values()} <= set(state.sessions)
    assert http.get("/api/v1/chats/count").json()["count"] == 3

    names = [f"tag{i}" for i in range(5)]
    for name in names:
        assert http.post("/api/v1/tags", json={"name": name}).status_code == 201
    assert [t["name"] for t in http.get("/api/v1/tags").json()] == names[-3:]
    assert http.get(f"/api/v1/tags/{names[0]}").status_code == 404

    blocks = [client.create_memory_block(payloads.memory_block(f"b{i}"))["id"] for i in range(5)]
    assert http.get(f"/api/v1/memory_blocks/{blocks[0]}").status_code == 404
    assert client.get_memory_block(blocks[-1])["id"] == blocks[-1]
    assert len(state.memory_blocks) == 3
    assert not state.internal_errors


def test_an_evicted_tag_leaves_its_documents(http: httpx.Client, clock: ManualClock, state: H2OGPTeMockState) -> None:
    cid = _collection(http)
    _ingest(http, clock, cid, "d.csv")
    [doc] = http.get(f"/api/v1/collections/{cid}/documents").json()
    assert http.post(f"/api/v1/documents/{doc['id']}/tags", json={"name": "red"}).status_code == 201
    state.max_objects = 1
    assert http.post("/api/v1/tags", json={"name": "blue"}).status_code == 201
    # made again under its name, the tag tags nothing, as after a deletion
    assert http.post("/api/v1/tags", json={"name": "red"}).status_code == 201
    assert http.get("/api/v1/tags/red/documents", params={"collection_id": cid}).json() == []
    assert not state.internal_errors


def test_a_documents_ingestion_job_gone_from_the_board_leaves_it_counted(
    http: httpx.Client, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    state.jobs.keep_finished = 0
    cid = _collection(http)
    _ingest(http, clock, cid, "a.csv")
    _ingest(http, clock, cid, "b.csv")  # its job's submission drops the first, finished job
    listed = http.get(f"/api/v1/collections/{cid}/documents").json()
    assert sorted(d["name"] for d in listed) == ["a.csv", "b.csv"]
    assert http.get(f"/api/v1/collections/{cid}").json()["document_count"] == 2


def test_agent_files_are_bounded_and_a_chat_lists_only_those_held(
    client: H2OGPTeClient, http: httpx.Client, state: H2OGPTeMockState
) -> None:
    state.max_objects = 2
    chat = client.create_chat()["id"]
    for i in range(3):
        client.complete(chat, {"message": f"write f{i}.csv", "llm_args": {"use_agent": True}})
    assert len(state.files) == 2
    listed = client.agent_files(chat)
    assert {f["id"] for f in listed} == set(state.files)
    for made in listed:
        assert http.get("/file", params={"id": made["id"], "name": made["filename"]}).status_code == 200
    assert not state.internal_errors


def test_stars_are_bounded_oldest_first(http: httpx.Client, state: H2OGPTeMockState) -> None:
    # any item id may be starred: a client starring ids without end would grow the mock without end
    state.max_objects = 2
    for item in ("a", "b", "c"):
        assert http.post(f"/api/v1/agents/library/skill/{item}/star").status_code == 200
    assert [item for _, _, item in state.stars] == ["b", "c"]
    unstarred = http.delete("/api/v1/agents/library/skill/a/star").json()
    assert (unstarred["is_starred_by_me"], unstarred["star_count"]) == (False, 0)
    assert http.post("/api/v1/agents/library/skill/c/star").json()["star_count"] == 1
    assert not state.internal_errors


def test_llm_usage_is_added_up_per_minute_and_bounded(
    http: httpx.Client, clock: ManualClock, state: H2OGPTeMockState
) -> None:
    """The LLM calls answered are kept as one record per minute, user and model, at most max_llm_usage of them (the
    oldest minutes go); an interval counts the minutes it overlaps, and a malformed one is a 400."""
    state.max_llm_usage = 3
    session = http.post("/api/v1/chats", json={}).json()["id"]
    for _minute in range(5):
        for _call in range(2):
            assert http.post(f"/api/v1/chats/{session}/completions", json={"message": "hi"}).status_code == 200
        clock.advance(60.0)
    assert len(state.llm_usage) == 3
    assert [calls.calls for calls in state.llm_usage.values()] == [2, 2, 2]
    usage = http.get("/api/v1/stats/usage_by_model", params={"interval": "1 hour"}).json()
    assert [(row["llm_name"], row["call_count"]) for row in usage] == [("h2oai/h2o-danube3-4b-chat", 6)]
    # now is the start of minute 5: the last minute with calls (4) ends now, so "1 minute" overlaps it
    recent = http.get("/api/v1/stats/usage_by_model", params={"interval": "1 minute"}).json()
    assert [row["call_count"] for row in recent] == [2]
    clock.advance(61.0)
    assert http.get("/api/v1/stats/usage_by_model", params={"interval": "1 minute"}).json() == []
    assert http.get("/api/v1/stats/usage", params={"interval": "soon"}).status_code == 400
    assert not state.internal_errors


def test_guardrail_violations_take_an_interval_and_refuse_other_text(url: str, state: H2OGPTeMockState) -> None:
    """The guardrail violation listing, summary and dashboard take an interval as the stats do ("7 days", "1d"; the
    client's examples): another text, or more than 999 of a unit, is their documented 400 naming the parameter. The
    mock records no violations, so every interval finds none."""
    rest = pytest.importorskip("h2ogpte.rest_sync", reason="the h2ogpte client is not installed")
    from h2ogpte.rest_sync.exceptions import BadRequestException

    from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY

    config = rest.Configuration(host=f"{url}/api/v1", access_token=DEFAULT_KEY)
    # the generated client's __exit__ closes nothing: its pool's sockets, left open, warned in a later test's GC
    with rest.ApiClient(config) as api, api.rest_client.pool_manager:
        guardrails = rest.GuardrailsApi(api)
        calls = (
            guardrails.list_guardrail_violations,
            guardrails.get_guardrail_violations_summary,
            guardrails.get_guardrail_violations_dashboard,
        )
        assert guardrails.list_guardrail_violations(interval="7 days").total == 0
        assert guardrails.get_guardrail_violations_summary(interval="1d").by_type == []
        assert guardrails.get_guardrail_violations_dashboard(interval="90 days").daily_trend is None
        for call in calls:
            for text in ("last week", "1000 days"):
                with pytest.raises(BadRequestException, match="interval"):
                    call(interval=text)
    assert not state.internal_errors
