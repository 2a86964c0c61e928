"""API keys made through the API: their listing, filtered by username as the client documents it, and what a
collection-specific key may do.

A key made with a ``collection_id`` may, in the client's words, "only chat with the specified collection and make
related API calls": read that collection (``default`` names it), its documents, summaries and chats, make chats on
it and chat in them. Any other call, or one naming another collection, chat, document or message, is refused with
the 401 h2oGPTe answers a caller lacking a permission (seed 004's custom agents and tools do the same).
"""

from __future__ import annotations

import json
from typing import Any

from h2oharness.apis.h2ogpte.mockparts.docs import DEFAULT_COLLECTION
from h2oharness.apis.h2ogpte.mockparts.state import CREATED_KEYS, H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply, page

#: what a collection-specific key may call without naming its collection: the client's handshake and the models
UNSCOPED = frozenset({"rpc_meta", "readiness", "liveness", "list_models"})
#: the writes it may make besides those on its chats and their messages: a chat on its collection, a summary
CREATES = frozenset({"create_chat_session", "create_process_document_job"})


def list_all_api_keys(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/admin/api_keys: the created keys, oldest first; ``filter`` keeps the keys of the usernames that
    contain it (case-insensitively), ``offset``/``limit`` page them."""
    resources = state.resources
    if resources is None:
        return Reply([])
    keys = list(resources.collections.get(CREATED_KEYS, {}).values())
    wanted = str(call.query.get("filter") or "").lower()
    keys = [k for k in keys if wanted in str(k.get("username") or "").lower()]
    listing = resources.surface.operation("GET", CREATED_KEYS)
    return Reply(resources.surface.schemas.fit(page(keys, call.query, default_limit=len(keys)), listing.answer))


def check_scope(state: H2OGPTeMockState, operation_id: str, method: str, call: Call) -> None:
    """Refuse (401) a call a collection-specific key may not make; a global key may make any."""
    scope = state.scope
    if scope is None or operation_id in UNSCOPED:
        return
    named = _named(operation_id, call)
    kinds = {_kind(name) for name in named}
    allowed = bool(named) and all(in_scope(state, scope, name, value) for name, value in named.items())
    chatting = bool(kinds & {"session", "message"}) or operation_id in CREATES
    if allowed and (method == "GET" or (method != "DELETE" and chatting)):
        return
    raise ApiError(401, f"Unauthorized: this API key is specific to collection {scope} and may only chat with it")


def _named(operation_id: str, call: Call) -> dict[str, str]:
    """The ids a call names, by parameter name: its path and query parameters that are ids the scope knows, and
    the document a summary is asked for."""
    given = {**dict(call.raw_query), **call.path_params}
    if operation_id == "download_file":
        given = {"file_id": given.get("id", "")}
    if operation_id == "create_process_document_job":
        given["document_id"] = str(_body(call).get("document_id"))
    return {name: value for name, value in given.items() if _kind(name)}


def _kind(name: str) -> str:
    kinds = {
        "collection_id": "collection",
        "session_id": "session",
        "chat_session_id": "session",
        "document_id": "document",
        "file_id": "file",
        "message_id": "message",
        "question_id": "message",
        "answer_id": "message",
        "summary_id": "summary",
        "job_id": "job",
    }
    return kinds.get(name, "")


def in_scope(state: H2OGPTeMockState, scope: str, name: str, value: str) -> bool:
    """Whether the object a call names by ``name`` is the scope's collection or of it (a job: any)."""
    kind = _kind(name)
    if kind == "collection":
        return value in (scope, DEFAULT_COLLECTION)
    if kind == "session":
        session = state.sessions.get(value)
        return session is not None and session.get("collection_id") == scope
    if kind == "message":
        message = state.messages.get(value)
        return message is not None and in_scope(state, scope, "session_id", str(message.get("_session")))
    if kind == "summary":
        summary = state.summaries.get(value)
        return summary is not None and in_scope(state, scope, "document_id", str(summary.get("document_id")))
    if kind == "file":
        files = (
            f["id"]
            for sid, made in state.agent_files.items()
            for f in made
            if in_scope(state, scope, "session_id", sid)
        )
        return in_scope(state, scope, "document_id", value) or value in files
    doc = state.documents.get(value) if kind == "document" else None
    return kind == "job" or (doc is not None and scope in doc.collection_ids)


def _body(call: Call) -> dict[str, Any]:
    try:
        body = json.loads(call.body or b"{}")
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        return {}
    return body if isinstance(body, dict) else {}
