"""Feedback on answers: what ``POST /question_answer_feedbacks/{answer_id}`` and the votes on a message keep.

Each feedback is a QAFeedback record of the answer, kept with the generic layer's objects; ``GET
/question_answer_feedbacks`` and ``.../count`` list and count them, and the feedback export job writes them as CSV
rows, all three filtered as asked: by collection (``collection_id``), to answers outside any collection
(``no_collection``), to answers given within an interval up to now (``interval``, "7 days"), and (the export only)
to a question or answer containing a text (``filter``, case-insensitive).
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.docs import MODELS
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.wire import Call, Reply, bad_request, interval, iso, page, parse_iso

FEEDBACKS = "/api/v1/question_answer_feedbacks"
#: the export's columns; ``thumbnail`` holds the answer's votes (1 up, -1 down, 0 none)
COLUMNS = ("id", "thumbnail", "expected_answer", "user_comment")


def give(state: H2OGPTeMockState, answer_id: str, body: dict[str, Any]) -> None:
    """Keep the feedback given on an answer (a message the chat handlers made), replacing any earlier one."""
    reply = state.messages.get(answer_id)
    if reply is None or state.resources is None:
        return
    question = state.messages.get(str(reply.get("reply_to")), {})
    session_id = reply.get("_session")
    session = state.sessions.get(str(session_id), {})
    collection = state.collections.get(str(session.get("collection_id")), {})
    created = reply.get("created_at")
    state.resources.collections.setdefault(FEEDBACKS, {})[answer_id] = {
        "id": answer_id,
        "question_content": str(question.get("content", "")),
        "reply_content": str(reply.get("content", "")),
        "question_id": str(reply.get("reply_to") or ""),
        "reply_id": answer_id,
        "llm": _llm(state, answer_id),
        "votes": int(reply.get("votes") or 0),
        "expected_answer": body.get("expected_answer"),
        "user_comment": body.get("user_comment"),
        "collection_id": collection.get("id"),
        "collection_name": collection.get("name"),
        "response_created_at_time": iso(created) if isinstance(created, datetime) else str(created or ""),
        "chat_session_id": session_id,
        "voted_user_id": state.acting.id,
        "voted_username": state.acting.username,
    }


def _llm(state: H2OGPTeMockState, answer_id: str) -> str:
    """The LLM that wrote the answer, as its usage stats say (the default model for a failed answer, which has none).

    Never null: the client's generated model drops a null field and its QuestionReplyData then misses ``llm``.
    """
    for entry in state.meta.get(answer_id, []):
        if entry.get("message_type") == "usage_stats":
            return str(json.loads(entry["content"]).get("llm") or MODELS[0]["id"])
    return str(MODELS[0]["id"])


def vote(state: H2OGPTeMockState, message_id: str, votes: Any) -> None:
    """Set a message's votes, which its listing and any feedback on it show."""
    message = state.messages.get(message_id)
    if message is None or not isinstance(votes, int):
        return
    message["votes"] = votes
    held = state.resources.collections.get(FEEDBACKS, {}) if state.resources is not None else {}
    if message_id in held:
        held[message_id]["votes"] = votes


def chosen(state: H2OGPTeMockState, filters: dict[str, Any]) -> list[dict[str, Any]]:
    """The feedback records the filters keep, in the order first given; a 400 for a filter of the wrong type or an
    interval that is not one."""
    held = state.resources.collections.get(FEEDBACKS, {}) if state.resources is not None else {}
    # a user's own feedback only
    records = [r for r in held.values() if r.get("voted_user_id") == state.acting.id]
    collection_id = filters.get("collection_id")
    if collection_id is not None:
        if not isinstance(collection_id, str):
            raise bad_request("Invalid value for collection_id: a string is required")
        records = [r for r in records if r.get("collection_id") == collection_id]
    no_collection = filters.get("no_collection")
    if no_collection not in (None, True, False):
        raise bad_request("Invalid value for no_collection: true or false is required")
    if no_collection:
        records = [r for r in records if not r.get("collection_id")]
    within = filters.get("interval")
    if within is not None:
        if not isinstance(within, str):
            raise bad_request("Invalid value for interval: a string such as '7 days' is required")
        since = state.now() - interval(within)
        records = [r for r in records if (parse_iso(str(r.get("response_created_at_time"))) or since) >= since]
    text = filters.get("filter")
    if text is not None:
        if not isinstance(text, str):
            raise bad_request("Invalid value for filter: a string is required")
        needle = text.casefold()
        records = [r for r in records if needle in f"{r.get('question_content')}\n{r.get('reply_content')}".casefold()]
    return records


def list_feedbacks(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/question_answer_feedbacks: the feedback the filters keep, a page of it."""
    return Reply(page(chosen(state, call.query), call.query))


def count_feedbacks(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/question_answer_feedbacks/count: how many feedbacks the filters keep."""
    return Reply({"count": len(chosen(state, call.query))})


def export_csv(state: H2OGPTeMockState, filters: dict[str, Any] | None = None) -> bytes:
    """The feedback export: a header, then one row per answer with feedback the filters keep, in the order first
    given."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in chosen(state, filters or {}):
        row = {**record, "thumbnail": record.get("votes", 0)}
        writer.writerow(["" if row.get(c) is None else row[c] for c in COLUMNS])
    return out.getvalue().encode()
