"""Feedback on answers: what ``POST /question_answer_feedbacks/{answer_id}`` and the votes on a message keep.

Each feedback is a QAFeedback record of the answer, kept where the generic layer lists and counts them
(``GET /question_answer_feedbacks``, ``.../count``), and a row of the CSV the feedback export job writes.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.docs import MODELS
from h2oharness.apis.h2ogpte.mockparts.state import USER_ID, USERNAME, H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.wire import iso

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
        "voted_user_id": USER_ID,
        "voted_username": USERNAME,
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


def export_csv(state: H2OGPTeMockState) -> bytes:
    """The feedback export: a header, then one row per answer with feedback, in the order first given."""
    held = state.resources.collections.get(FEEDBACKS, {}) if state.resources is not None else {}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for record in held.values():
        row = {**record, "thumbnail": record.get("votes", 0)}
        writer.writerow(["" if row.get(c) is None else row[c] for c in COLUMNS])
    return out.getvalue().encode()
