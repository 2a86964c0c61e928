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
