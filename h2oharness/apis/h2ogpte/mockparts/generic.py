"""Every contract operation without a hand-written handler, answered by the shared generic resource layer.

The generic objects agree with the hand-written ones: collections, chat sessions, documents and jobs are read
from the state the handlers keep (``records``), so ``GET /collections/{id}/documents``, ``.../count``,
``GET /documents/{id}`` or ``PATCH /chats/{id}`` see and change what ``create_collection`` and ingestion made; the
``*_job`` endpoints are jobs on the state's board that ``GET /jobs/{job_id}`` reports, and the deletion jobs
delete what they name.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from h2oharness.apis.h2ogpte.mockparts import feedback, users
from h2oharness.apis.h2ogpte.mockparts.chat import my_message, render_session
from h2oharness.apis.h2ogpte.mockparts.docs import job_view, ready_documents, render_collection
from h2oharness.apis.h2ogpte.mockparts.library import render_document
from h2oharness.apis.h2ogpte.mockparts.state import CREATED_KEYS, H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import (
    ApiError,
    Call,
    Reply,
    encode,
    interval,
    loads_json,
    not_found,
    page,
    parse_multipart,
)
from h2oharness.mocks.instances import Schemas
from h2oharness.mocks.jobs import JobTiming
from h2oharness.mocks.resources import GenericCall, GenericReply, Kind, Operation, Resources, Rules, Surface
from h2oharness.openapi import contract_document

V1 = "/api/v1"


#: operations whose shape says something else than they do
KINDS = {
    # no GET of one object, so their POST reads as an action; each makes an object the other paths name
    ("POST", f"{V1}/groups"): Kind.CREATE,
    ("POST", f"{V1}/admin/api_keys"): Kind.CREATE,
    ("POST", f"{V1}/agents/keys"): Kind.CREATE,
    ("POST", f"{V1}/showcase"): Kind.CREATE,
    # they answer a JobDetails the client waits on
    ("POST", f"{V1}/admin/chats/cleanup"): Kind.JOB,
    ("POST", f"{V1}/collections/{{collection_id}}/migrate_scheduled_connectors"): Kind.JOB,
}

#: the kinds the generic layer keeps that are their creator's (shared by username or made public, as collections)
OWNED = frozenset({f"{V1}/prompt_templates"})
#: the kinds it keeps that are their creator's alone, never shared: a user's agent keys (secrets their tools use)
#: and the skills they added or installed (the client: "for the current user")
PRIVATE_KEYS = f"{V1}/agents/keys"
PRIVATE = frozenset({PRIVATE_KEYS, f"{V1}/agents/skills"})
#: shared chats: read by anyone with their id (their link), listed and deleted by their sharer only
SHARED_CHATS = f"{V1}/shared_chats"

#: the API key operations that name a key under another path than the keys' own
API_KEY_PATHS = tuple(f"{V1}/admin/api_keys/{verb}" for verb in ("deactivate", "expire", "inactivity_interval"))


@functools.cache
def surface(timing: JobTiming) -> Surface:
    """The contract's operations, classified once per process (per job timing)."""
    rules = Rules(
        id_field="id", new_id=lambda template, body: new_id(), job_timing=timing, job_view=job_view, kinds=KINDS
    )
    return Surface(contract_document("h2ogpte"), rules)


def resources(state: H2OGPTeMockState) -> Resources:
    """The generic layer over a state: its jobs on the state's board, its views of the state's objects."""
    return Resources(
        surface(state.timings.ingest),
        jobs=state.jobs,
        exists=lambda template, path, object_id: _exists(state, template, object_id),
        records=lambda template, values: _records(state, template, values),
        visible=lambda template, record: _visible(state, template, record),
        stamp=lambda template: _stamp(state, template),
    )


def _stamp(state: H2OGPTeMockState, template: str) -> dict[str, Any]:
    """The owner of a new object of a kind that is its creator's (an agent key also names them by email)."""
    if template in PRIVATE:
        return {"_owner": state.acting.id, "owner_email": state.acting.username}
    return {"_owner": state.acting.id} if template in OWNED or template == SHARED_CHATS else {}


def _visible(state: H2OGPTeMockState, template: str, record: Mapping[str, Any]) -> bool:
    """Whether the acting user may see an object the generic layer finds: a job of theirs, a template of theirs (or
    shared or public), an agent key or skill of theirs, any object of another kind."""
    if template == f"{V1}/jobs":
        return state.job(str(record.get("id"))) is not None
    if template in PRIVATE:
        return state.owns(record)
    return template not in OWNED or state.sees(record)


def _exists(state: H2OGPTeMockState, template: str, object_id: str) -> bool | None:
    stores: dict[str, Mapping[str, Any]] = {
        f"{V1}/memory_blocks": state.memory_blocks,
        f"{V1}/agents/custom_tools": state.custom_tools,
        f"{V1}/agents/custom_agents": state.custom_agents,
    }
    held = stores.get(template)
    if template == f"{V1}/jobs":
        return state.job(object_id) is not None
    if template == f"{V1}/uploads":
        return state.upload(object_id) is not None
    if template in (f"{V1}/messages", f"{V1}/question_answer_feedbacks"):
        # feedback is given on an answer, a message the chat handlers made; another user's message (their votes,
        # feedback, reply to a human-in-the-loop question) is as unknown as one that does not exist
        return my_message(state, object_id)
    generic = state.resources.collections if state.resources is not None else {}
    if template in API_KEY_PATHS:
        return object_id in generic.get(f"{V1}/admin/api_keys", {})
    if template == f"{V1}/roles":
        # the client names a role by its name where the path says role_id (assign_permissions_to_role)
        roles = generic.get(template, {})
        return object_id in roles or any(r.get("name") == object_id for r in roles.values()) or None
    return None if held is None else object_id in held


def _check_api_key(state: H2OGPTeMockState, op: Operation, body: Any) -> None:
    """Refuse a key for a user the mock does not have, or for a collection that user may not see (404, as for an
    unknown collection elsewhere), or an expiry that is not an interval (400)."""
    given = body if isinstance(body, dict) else {}
    if op.operation_id == "create_api_key_for_user" and given.get("user_id") not in state.users:
        raise not_found(f"User {str(given.get('user_id'))[:80]}")
    scoped = given.get("collection_id")
    if op.operation_id == "create_api_key_for_user" and scoped:
        # the key acts as its user, who must see the collection: theirs, or shared with them
        coll = state.collections.get(str(scoped))
        if coll is None or not state.sees(coll, viewer=state.users[str(given["user_id"])]):
            raise not_found(f"Collection {str(scoped)[:80]}")
    expires_in = given.get("expires_in")
    if isinstance(expires_in, str):
        interval(expires_in, "expires_in")  # at most 999 of a unit (INTERVAL_PATTERN): an expiry stays a date


def named_agent_key(state: H2OGPTeMockState, name: Any, but: str = "") -> dict[str, Any] | None:
    """The acting user's agent key of that name (other than the key ``but``), if they have one: a user's key names
    are their agent's env vars, so two of theirs never share one."""
    held = state.resources.collections.get(PRIVATE_KEYS, {}) if state.resources is not None else {}
    return next((k for k in held.values() if k.get("name") == name and k["id"] != but and state.owns(k)), None)


def _check_agent_key(state: H2OGPTeMockState, body: Any) -> None:
    """Refuse a new agent key named as one of the user's (409, as the contract declares for create)."""
    name = body.get("name") if isinstance(body, dict) else None
    if name is not None and named_agent_key(state, name) is not None:
        raise ApiError(409, f"An agent key named {str(name)[:80]!r} already exists")


def _check_shared_chat(state: H2OGPTeMockState, op: Operation, call: GenericCall) -> None:
    """Refuse to share a chat that is not the acting user's (as unknown: a 404, or the operation's first documented
    4xx), or to delete another user's shared chat (403)."""
    if op.operation_id == "share_chat_session":
        sid = str((call.body or {}).get("chat_session_id"))
        session = state.sessions.get(sid)
        if session is None or session.get("_openai") or not state.owns(session):
            raise not_found(f"Chat session {sid[:80]}")
        return
    shared = state.resources.collections.get(SHARED_CHATS, {}) if state.resources is not None else {}
    found = shared.get(call.path.get("shared_chat_id", ""))
    if found is not None and not state.owns(found):
        raise ApiError(403, f"Only its sharer may delete shared chat {found['id']}")


def list_shared_chats(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/shared_chats: the chats the acting user shared (another's is read by its id, as its link is),
    oldest first; ``name_filter`` keeps the names containing it, case-insensitively."""
    if state.resources is None:
        state.resources = resources(state)
    held = state.resources.collections.get(SHARED_CHATS, {}).values()
    wanted = str(call.query.get("name_filter") or "").lower()
    mine = [r for r in held if state.owns(r) and wanted in str(r.get("name") or "").lower()]
    listing = state.resources.surface.operation("GET", SHARED_CHATS)
    return Reply(state.resources.surface.schemas.fit(page(mine, call.query), listing.answer))


def _expiry(state: H2OGPTeMockState, expires_in: Any) -> str | None:
    return (state.now() + interval(expires_in, "expires_in")).isoformat() if isinstance(expires_in, str) else None


def _issue_api_key(state: H2OGPTeMockState, resources: Resources, op: Operation) -> Any:
    """The APIKeyResult of a new key: its secret, shown once, and the key as GET /admin/api_keys lists it."""
    # the generic layer has just kept the key, as sent, under a new id: the newest of the keys
    kept = resources.collections.get(op.collection, {})
    key_id = next(reversed(kept), "")
    secret = "sk-" + uuid.uuid4().hex
    # a bearer key from now on, acting as its user, while it is live (state.accepts)
    state.issued_keys[secret] = key_id
    created = state.now().isoformat()
    record = kept.get(key_id, {})
    user = state.users[str(record.get("user_id"))]
    inactivity = record.get("inactivity_interval")
    scoped = state.collections.get(str(record.get("collection_id") or ""))
    record.update(
        {
            "_user_id": user.id,
            "username": user.username,
            "name": record.get("name") or "API key",
            "hint": f"sk-...{secret[-4:]}",
            "created_at": created,
            "expires_at": _expiry(state, record.get("expires_in")),
            "last_used_at": None,
            "inactivity_interval": inactivity if isinstance(inactivity, int) else None,
            "is_active": True,
            "is_global_key": not record.get("collection_id"),
            "collection_name": scoped["name"] if scoped is not None else None,
            "total_calls": 0,
        }
    )
    return resources.surface.schemas.fit({"secret_key": secret, "api_key": record}, op.answer)


def _share_chat(state: H2OGPTeMockState, resources: Resources, op: Operation) -> Any:
    """The ShareChatResponse of a new shared chat; the shared chat keeps what the client's SharedChatDetail
    requires (the generic layer has just kept it, as sent, as the newest of the shared chats)."""
    kept = resources.collections.get(op.collection, {})
    share_id = next(reversed(kept), "")
    record = kept.get(share_id, {})
    session = state.sessions.get(str(record.get("chat_session_id")), {})
    record.update(
        {
            # SharedChatDetail cannot be built without a name (the client drops a null one)
            "name": session.get("name") or "Shared chat",
            "shared_at": state.now().isoformat(),
            "shared_by": state.acting.username,
            "messages": [],
            "relative_path": f"/shared/{share_id}",
            "url": f"http://127.0.0.1/shared/{share_id}",
        }
    )
    return resources.surface.schemas.fit(record, op.answer)


def _records(state: H2OGPTeMockState, template: str, values: Mapping[str, str]) -> dict[str, dict[str, Any]] | None:
    found = _views(state, template, values)
    # as JSON (timestamps as the ISO strings the schemas want, no private keys)
    return None if found is None else json.loads(encode(found))


def _views(state: H2OGPTeMockState, template: str, values: Mapping[str, str]) -> dict[str, Any] | None:
    # what the acting user may see: their own, and the collections shared with them or public
    shown = {cid: c for cid, c in state.collections.items() if state.sees(c)}
    if template == f"{V1}/collections":
        return {cid: render_collection(state, c) for cid, c in shown.items()}
    if template == f"{V1}/chats":
        sessions = state.sessions.items()
        return {sid: render_session(state, s) for sid, s in sessions if not s.get("_openai") and state.owns(s)}
    if template == f"{V1}/documents":
        # a document in several collections is one document, listed once
        ready = {d.id: d for cid in shown for d in ready_documents(state, cid)}
        return {doc_id: render_document(state, d) for doc_id, d in ready.items()}
    if template == f"{V1}/jobs":
        jobs = [job for job in state.jobs.all() if state.job(job.id) is not None]
        return {job.id: job_view(job, state.clock.now()) for job in jobs}
    if template == f"{V1}/documents/{{document_id}}/collections":
        doc = state.documents.get(values.get("document_id", ""))
        held = doc.collection_ids if doc is not None else set()
        return {cid: render_collection(state, c) for cid, c in shown.items() if cid in held}
    collection_id = values.get("collection_id", "")
    if template.startswith(f"{V1}/collections/{{collection_id}}/") and collection_id not in shown:
        return {}
    if template == f"{V1}/collections/{{collection_id}}/documents":
        return {d.id: render_document(state, d) for d in ready_documents(state, collection_id)}
    if template == f"{V1}/collections/{{collection_id}}/chats":
        chats = [s for s in state.sessions.values() if s.get("collection_id") == collection_id and state.owns(s)]
        return {s["id"]: render_session(state, s) for s in chats}
    return None


def answer(state: H2OGPTeMockState, op: Operation, call: Call) -> Reply:
    """The generic layer's reply to a call, in the mock's wire format; it changes the state as the call says."""
    if state.resources is None:
        state.resources = resources(state)
    _check_request(state.resources.surface.schemas, op, call)
    body = _json(call) if op.body is not None else None
    query = dict(call.raw_query)
    generic = GenericCall(op, call.path_params, query, body)
    # a body the contract allows: the layer refuses any other with its own 400
    if op.operation_id in ("create_api_key_for_user", "update_api_key_expiry") and not state.resources.invalid(generic):
        _check_api_key(state, op, body)
    if op.operation_id == "create_agent_key" and not state.resources.invalid(generic):
        _check_agent_key(state, body)
    if op.operation_id == "update_collection_privacy":
        coll = state.collections.get(call.path_params.get("collection_id", ""))
        if coll is not None and state.sees(coll) and not state.owns(coll):
            # as for sharing: only the owner says who sees it
            raise ApiError(403, f"Only its owner may make collection {coll['id']} public or private")
    if op.operation_id in ("update_prompt_template", "update_prompt_template_privacy"):
        # only its owner changes a template (a user it is shared with reads and uses it)
        users.check_template_owner(state, call.path_params.get("prompt_template_id", ""))
    if op.operation_id in ("share_chat_session", "delete_shared_chat") and not state.resources.invalid(generic):
        _check_shared_chat(state, op, generic)
    reply = state.resources.answer(generic)
    if reply.error:
        raise ApiError(reply.status, reply.error)
    _apply(state, op, generic)
    if op.operation_id == "create_prompt_template" and isinstance(reply.body, dict):
        # the high-level client's PromptTemplate requires what the REST model leaves optional
        kept = state.resources.collections.get(op.collection, {}).get(reply.body.get("id", ""))
        if kept is not None:
            kept.setdefault("is_system_default", False)
    if op.operation_id == "create_api_key_for_user" and isinstance(reply.body, dict):
        reply = GenericReply(reply.status, _issue_api_key(state, state.resources, op))
    if op.operation_id == "share_chat_session" and isinstance(reply.body, dict):
        reply = GenericReply(reply.status, _share_chat(state, state.resources, op))
    if reply.body is None:
        media = _media(op, reply.status)
        return Reply(b"" if media else None, status=reply.status, content_type=media)
    return Reply(reply.body, status=reply.status)


def check(state: H2OGPTeMockState, method: str, template: str, call: Call) -> None:
    """Refuse, as the generic layer would, a call to a contract operation that a hand-written handler answers when
    it breaks the operation's request side (a handler trusts the values it reads); outside the contract, nothing."""
    if state.resources is None:
        state.resources = resources(state)
    try:
        op = state.resources.surface.operation(method, template)
    except KeyError:
        return
    _check_request(state.resources.surface.schemas, op, call)
    body = _json(call) if op.body is not None else None
    problem = state.resources.invalid(GenericCall(op, call.path_params, dict(call.raw_query), body))
    if problem:
        raise ApiError(op.error_status(400, 422), problem)


def _check_request(schemas: Schemas, op: Operation, call: Call) -> None:
    """What the generic layer does not check itself: unknown query parameters, a missing or null body, and a
    multipart form's required parts and typed fields."""
    unknown = [name for name, _ in call.raw_query if name not in op.params]
    if unknown:
        raise ApiError(op.error_status(400), f"Unknown query parameter: {unknown[0][:80]}")
    spec = contract_document("h2ogpte")["paths"][op.template][op.method.lower()].get("requestBody") or {}
    content = spec.get("content") or {}
    # an empty text/plain body is an empty string; an empty body of any other kind, or none at all, is missing
    empty = not call.body.strip() and ("text/plain" not in content or not call.content_type)
    if op.body_required and empty:
        raise ApiError(op.error_status(400), "Invalid format for the request body: a body is required.")
    if op.body is not None and call.body.strip() == b"null" and not schemas.valid(None, op.body):
        raise ApiError(op.error_status(400), "Invalid format for the request body: null is not allowed.")
    form = content.get("multipart/form-data")
    if form is not None and call.body.strip():
        _check_form(schemas, op, schemas.resolve(form.get("schema")), call)


def _check_form(schemas: Schemas, op: Operation, schema: Mapping[str, Any], call: Call) -> None:
    try:
        parts = parse_multipart(call.content_type, call.body)
    except ApiError:
        if schema.get("required"):
            raise
        return
    missing = [name for name in schema.get("required", []) if name not in parts]
    if missing:
        raise ApiError(op.error_status(400), f"{missing[0]} is required.")
    for name, part in parts.items():
        prop = schemas.resolve(schema.get("properties", {}).get(name))
        kind = prop.get("type")
        text = part.text().strip()
        if kind == "boolean" and text.lower() not in ("true", "false"):
            raise ApiError(op.error_status(400), f"Invalid value for {name}: expected true or false")
        if kind in ("integer", "number") and not re.fullmatch(
            r"-?\d+" if kind == "integer" else r"-?\d+(\.\d+)?", text
        ):
            raise ApiError(op.error_status(400), f"Invalid value for {name}: expected a {kind}")


def _media(op: Operation, status: int) -> str:
    """The media type the contract documents for an answer ('' when it has no body)."""
    answer = contract_document("h2ogpte")["paths"][op.template][op.method.lower()]["responses"].get(str(status), {})
    return next(iter(answer.get("content") or {}), "")


def _json(call: Call) -> Any:
    if not call.body.strip():
        return None
    media = call.content_type.split(";")[0].strip().lower()
    if media and not media.endswith("json"):
        return call.body.decode("utf-8", errors="replace")
    return loads_json(call.body)


def _apply(state: H2OGPTeMockState, op: Operation, call: GenericCall) -> None:
    """What a successful generic call does to the objects the hand-written handlers keep."""
    body = call.body if isinstance(call.body, dict) else {}
    item = call.path.get(_last_param(op.template), "")
    live = {f"{V1}/collections": state.collections, f"{V1}/chats": state.sessions}.get(op.collection)
    if op.operation_id in FIELDS:
        _set_field(state, call, *FIELDS[op.operation_id])
    elif op.kind in (Kind.UPDATE, Kind.REPLACE) and live is not None and item in live:
        live[item].update({k: v for k, v in body.items() if v is not None})
        live[item]["updated_at"] = state.now()
    elif op.kind is Kind.SET_ONE and op.template == f"{V1}/collections/{{collection_id}}/settings":
        # what GET .../settings (hand-written) reads back
        coll = state.collections.get(call.path.get("collection_id", ""))
        if coll is not None:
            coll["_settings"] = body
    elif op.kind is Kind.DELETE and op.collection == f"{V1}/documents":
        state.documents.pop(item, None)
    elif op.operation_id == "delete_document_from_collection":
        doc = state.documents.get(item)
        if doc is not None:
            # out of that collection only: it stays in the others it is in
            state.documents.remove_from(doc, call.path.get("collection_id", ""))
    elif op.operation_id == "delete_shared_chats" and state.resources is not None:
        shared = state.resources.collections.get(SHARED_CHATS, {})
        for share_id in body.get("shared_chat_ids") or []:
            if share_id in shared and state.owns(shared[share_id]):
                del shared[share_id]
    elif op.kind is Kind.JOB and op.template.endswith("/delete_job"):
        _delete_named(state, op.template, body)
    elif op.operation_id == "deactivate_api_key" and state.resources is not None:
        key = state.resources.collections.get(CREATED_KEYS, {}).get(call.path.get("key_id", ""))
        if key is not None:
            key["is_active"] = False
    elif op.operation_id == "update_api_key_expiry" and state.resources is not None:
        key = state.resources.collections.get(CREATED_KEYS, {}).get(call.path.get("key_id", ""))
        if key is not None:
            key["expires_at"] = _expiry(state, body.get("expires_in"))
    elif op.operation_id == "update_api_key_inactivity_interval" and state.resources is not None:
        key = state.resources.collections.get(CREATED_KEYS, {}).get(call.path.get("key_id", ""))
        days = body.get("inactivity_interval")
        if key is not None:
            key["inactivity_interval"] = days if isinstance(days, int) else None
    elif op.operation_id == "delete_agent_keys":
        # a deleted key is no longer given to any tool
        gone = set(call.path.get("key_ids", "").split(","))
        for assoc in [a for a in state.key_tool_associations.values() if a["key_id"] in gone]:
            del state.key_tool_associations[assoc["associate_id"]]
    elif op.operation_id == "update_question_answer_feedback":
        feedback.give(state, call.path.get("answer_id", ""), body)
    elif op.operation_id == "set_message_votes":
        feedback.vote(state, call.path.get("message_id", ""), body.get("votes"))
    _archive(state, op.operation_id, call)


def _archive(state: H2OGPTeMockState, operation_id: str, call: GenericCall) -> None:
    """What archiving does besides the timestamp FIELDS sets: a chat's status is 'archived', without expiry or
    keep_forever, and 'active' again when unarchived (the client's docstrings); a collection's status is 'archived'
    until unarchived, when it is what it was before (the client: "restore ... to an active status")."""
    if operation_id in ("archive_chat_session", "unarchive_chat_session"):
        chat = state.sessions.get(call.path.get("session_id", ""))
        if chat is not None and operation_id == "archive_chat_session":
            chat.update({"status": "archived", "expiry_date": None, "inactivity_interval": None, "keep_forever": False})
        elif chat is not None:
            chat["status"] = "active"
    elif operation_id in ("archive_collection", "unarchive_collection"):
        coll = state.collections.get(call.path.get("collection_id", ""))
        if coll is None or (coll["status"] == "archived") == (operation_id == "archive_collection"):
            return
        if operation_id == "archive_collection":
            coll["_unarchived_status"], coll["status"] = coll["status"], "archived"
        else:
            coll["status"] = coll.pop("_unarchived_status", "completed")
        coll["updated_at"] = state.now()


#: the calls that set (or clear) one field of a collection or chat session, which GET of it then shows: operation
#: -> (the kind, the field, the request's field giving the value; None clears it, NOW is the time of the call, BODY
#: the whole request body)
NOW = "<now>"
BODY = "<body>"
FIELDS: dict[str, tuple[str, str, str | None]] = {
    "update_collection_expiry_date": ("collection", "expiry_date", "expiry_date"),
    "delete_collection_expiry_date": ("collection", "expiry_date", None),
    "update_collection_inactivity_interval": ("collection", "inactivity_interval", "inactivity_interval"),
    "delete_collection_inactivity_interval": ("collection", "inactivity_interval", None),
    "update_collection_prompt_template": ("collection", "prompt_template_id", "prompt_template_id"),
    "delete_collection_prompt_template": ("collection", "prompt_template_id", None),
    "update_collection_exempt_from_chat_expiry": ("collection", "exempt_from_chat_expiry", "exempt"),
    "update_collection_workspace": ("collection", "workspace", "workspace"),
    "update_collection_privacy": ("collection", "is_public", "is_public"),
    "update_collection_metadata": ("collection", "metadata_dict", BODY),
    # what GET .../chat_settings (hand-written) reads back
    "update_collection_chat_settings": ("collection", "_chat_settings", BODY),
    "update_chat_session_expiry_date": ("chat", "expiry_date", "expiry_date"),
    "delete_chat_session_expiry_date": ("chat", "expiry_date", None),
    "update_chat_session_prompt_template": ("chat", "prompt_template_id", "prompt_template_id"),
    "delete_chat_session_prompt_template": ("chat", "prompt_template_id", None),
    "update_chat_session_keep_forever": ("chat", "keep_forever", "keep_forever"),
    "archive_chat_session": ("chat", "archived_at", NOW),
    "unarchive_chat_session": ("chat", "archived_at", None),
}


def _set_field(state: H2OGPTeMockState, call: GenericCall, kind: str, name: str, source: str | None) -> None:
    """Write what a FIELDS call sets on its collection or chat session (one the acting user may see)."""
    if kind == "collection":
        record = state.collections.get(call.path.get("collection_id", ""))
    else:
        record = state.sessions.get(call.path.get("session_id", ""))
    if record is None:
        return
    body = call.body if isinstance(call.body, dict) else {}
    value = state.now() if source == NOW else body if source == BODY else body.get(source) if source else None
    if name == "expiry_date" and isinstance(value, str):
        value = _expiry_moment(value, body.get("timezone"))
    record[name] = value
    record["updated_at"] = state.now()


def _expiry_moment(value: str, zone: Any) -> Any:
    """An expiry as the contract reads it: a date is its midnight, in ``timezone`` (else UTC) as is a datetime
    without an offset; one that is neither is kept as sent."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        try:
            moment = moment.replace(tzinfo=ZoneInfo(zone) if isinstance(zone, str) and zone else UTC)
        except (ZoneInfoNotFoundError, ValueError):
            moment = moment.replace(tzinfo=UTC)
    return moment


def delete_collections(state: H2OGPTeMockState, collection_ids: list[str]) -> None:
    """Delete these collections (an unknown id is skipped) with their documents."""
    for cid in collection_ids:
        if state.collections.pop(cid, None) is not None:
            state.documents.drop_collection(cid)


def _delete_named(state: H2OGPTeMockState, template: str, body: Mapping[str, Any]) -> None:
    if template == f"{V1}/collections/delete_job":
        delete_collections(state, list(body.get("collection_ids") or []))
    elif template == f"{V1}/chats/delete_job":
        for sid in body.get("session_ids") or []:
            if state.sessions.pop(sid, None) is not None:
                state.agent_files.pop(sid, None)
                state.forget_messages([m for m, msg in state.messages.items() if msg.get("_session") == sid])
    elif template.endswith("/documents/delete_job"):
        for doc_id in body.get("document_ids") or []:
            state.documents.pop(doc_id, None)


def _last_param(template: str) -> str:
    found = re.findall(r"\{([^}]+)\}", template)
    return found[-1] if found else ""


#: the system's default prompt template, as GET /prompt_templates/default answers it
DEFAULT_PROMPT_TEMPLATE: dict[str, Any] = {
    "id": "00000000-0000-4000-8000-000000000000",
    "name": "h2oGPTe default",
    "description": "The system default prompt template",
    "lang": "en",
    "is_default": True,
    "is_public": True,
    "is_system_default": True,
}


def get_default_prompt_template(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/prompt_templates/default: the system's default template (every field the client requires)."""
    return Reply(dict(DEFAULT_PROMPT_TEMPLATE))
