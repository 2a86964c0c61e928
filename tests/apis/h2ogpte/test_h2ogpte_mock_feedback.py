"""Feedback on answers: kept as given, listed and counted, and one row per answer of the feedback CSV export."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from h2oharness.apis.h2ogpte.mock import DEFAULT_KEY, default_state, make_app
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve


def _answer(http: httpx.Client, session_id: str, question: str) -> str:
    return str(http.post(f"/api/v1/chats/{session_id}/completions", json={"message": question}).json()["message_id"])


def test_feedback_given_is_a_row_of_the_export(http: httpx.Client, clock: ManualClock) -> None:
    sid = http.post("/api/v1/chats", json={}).json()["id"]
    answer = _answer(http, sid, "Which product sold best?")
    _answer(http, sid, "no feedback on this one")
    assert http.put(f"/api/v1/messages/{answer}/votes", json={"votes": -1}).status_code == 204
    given = {"expected_answer": "Widgets, by far", "user_comment": 'too vague, "really"'}
    assert http.post(f"/api/v1/question_answer_feedbacks/{answer}", json=given).status_code == 204
    [listed] = http.get("/api/v1/question_answer_feedbacks").json()
    assert (listed["reply_id"], listed["question_content"], listed["votes"]) == (answer, "Which product sold best?", -1)
    assert http.get("/api/v1/question_answer_feedbacks/count").json()["count"] == 1
    export = http.post("/rpc/job", json=["q:crawl.ExportFeedbackCSVJob", {}, "r1"]).json()["id"]
    clock.advance(10)
    done = http.get(f"/api/v1/question_answer_feedbacks/export/{export}")
    assert list(csv.DictReader(io.StringIO(done.text))) == [{"id": answer, "thumbnail": "-1", **given}]


def test_the_official_client_exports_the_feedback_it_gave(tmp_path: Path) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    state = default_state(speed=50.0)
    with serve(make_app(state)) as served:
        with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as http:
            answer = _answer(http, http.post("/api/v1/chats", json={}).json()["id"], "hello")
        client = h2ogpte.H2OGPTE(address=served.url, api_key=DEFAULT_KEY)
        client.update_question_reply_feedback(answer, expected_answer="hi", user_comment="curt")
        assert [f.reply_id for f in client.list_question_reply_feedback_data(0, 10)] == [answer]
        path = client.export_feedback_csv(tmp_path, timeout=30)
    assert path.read_text().splitlines() == ["id,thumbnail,expected_answer,user_comment", f"{answer},0,hi,curt"]
    assert not state.internal_errors


def _feedback_on(http: httpx.Client, question: str, collection_id: str | None = None) -> str:
    """An answer to ``question`` in a new chat (on the collection, if any), with feedback given on it."""
    params = {"collection_id": collection_id} if collection_id else {}
    answer = _answer(http, http.post("/api/v1/chats", params=params, json={}).json()["id"], question)
    given = {"expected_answer": f"re: {question}", "user_comment": "noted"}
    assert http.post(f"/api/v1/question_answer_feedbacks/{answer}", json=given).status_code == 204
    return answer


def _exported(http: httpx.Client, clock: ManualClock, filters: dict[str, object]) -> list[str]:
    job = http.post("/rpc/job", json=["q:crawl.ExportFeedbackCSVJob", filters, "r1"]).json()["id"]
    clock.advance(10)
    done = http.get(f"/api/v1/question_answer_feedbacks/export/{job}")
    assert done.status_code == 200, done.text
    return [row["id"] for row in csv.DictReader(io.StringIO(done.text))]


def test_listing_counting_and_export_honour_each_filter(http: httpx.Client, clock: ManualClock) -> None:
    cid = http.post("/api/v1/collections", json={"name": "sales", "description": ""}).json()["id"]
    old = _feedback_on(http, "Which PRODUCT sold best last year?", cid)
    clock.advance(8 * 86400)
    recent = _feedback_on(http, "How did returns go?", cid)
    loose = _feedback_on(http, "What is a product?")
    cases: list[tuple[dict[str, object], list[str]]] = [
        ({}, [old, recent, loose]),
        ({"collection_id": cid}, [old, recent]),
        ({"no_collection": True}, [loose]),
        ({"interval": "7 days"}, [recent, loose]),
        ({"interval": "1 year", "collection_id": cid}, [old, recent]),
    ]
    for filters, expected in cases:
        query = {k: str(v).lower() if isinstance(v, bool) else v for k, v in filters.items()}
        listed = http.get("/api/v1/question_answer_feedbacks", params=query).json()
        assert [f["reply_id"] for f in listed] == expected, filters
        assert http.get("/api/v1/question_answer_feedbacks/count", params=query).json() == {"count": len(expected)}
        assert _exported(http, clock, filters) == expected, filters
    # the text filter (the export's only) matches the question or the answer, whatever the case
    assert _exported(http, clock, {"filter": "product"}) == [old, loose]
    assert _exported(http, clock, {"filter": "product", "collection_id": cid}) == [old]
    refused = http.get("/api/v1/question_answer_feedbacks", params={"interval": "soon"})
    assert refused.status_code == 400
    assert "interval" in refused.json()["message"]


def test_the_official_client_exports_only_what_its_filters_keep(tmp_path: Path) -> None:
    h2ogpte = pytest.importorskip("h2ogpte", reason="the h2ogpte client is not installed")
    state = default_state(speed=50.0)
    with serve(make_app(state)) as served:
        with httpx.Client(base_url=served.url, headers={"Authorization": f"Bearer {DEFAULT_KEY}"}) as http:
            cid = http.post("/api/v1/collections", json={"name": "sales", "description": ""}).json()["id"]
            inside = _feedback_on(http, "Which product sold best?", cid)
            outside = _feedback_on(http, "Any product news?")
        client = h2ogpte.H2OGPTE(address=served.url, api_key=DEFAULT_KEY)
        assert [f.reply_id for f in client.list_question_reply_feedback_data(0, 10, collection_id=cid)] == [inside]
        assert client.count_question_reply_feedback(no_collection=True) == 1
        mine = client.export_feedback_csv(tmp_path, "in.csv", collection_id=cid, timeout=30)
        loose = client.export_feedback_csv(tmp_path, "out.csv", no_collection=True, filter="NEWS", timeout=30)
        none = client.export_feedback_csv(tmp_path, "none.csv", filter="nothing like this", timeout=30)
    assert [r["id"] for r in csv.DictReader(io.StringIO(mine.read_text()))] == [inside]
    assert [r["id"] for r in csv.DictReader(io.StringIO(loose.read_text()))] == [outside]
    assert none.read_text().splitlines() == ["id,thumbnail,expected_answer,user_comment"]
    assert not state.internal_errors
