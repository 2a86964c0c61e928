"""Handlers for chat sessions, completions (JSON and JSONL streams), messages, metadata, references,
generation control and agent files; plus the WebSocket the high-level client queries through."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from h2oharness.apis.h2ogpte.mockparts import answers, keys
from h2oharness.apis.h2ogpte.mockparts.docs import collection
from h2oharness.apis.h2ogpte.mockparts.state import Generation, H2OGPTeMockState, User, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import (
    ApiError,
    Call,
    Reply,
    empty,
    loads_json,
    not_found,
    object_body,
    page,
    public,
)
from h2oharness.mocks.auth import bearer_token

#: longest a paused generation waits for resume/stop, in real seconds, before it stops by itself
MAX_PAUSE = 60.0
FAILURE = "The LLM failed while generating the answer (the message carried the failure marker)."


def session_of(state: H2OGPTeMockState, session_id: str) -> dict[str, Any]:
    """The chat session, or a 404."""
    session = state.sessions.get(session_id)
    # another user's chat is as unknown as one that does not exist
    if session is None or not state.owns(session):
        raise not_found(f"Chat session {session_id}")
    return session


def render_session(state: H2OGPTeMockState, session: dict[str, Any]) -> dict[str, Any]:
    """A ChatSession."""
    coll = state.collections.get(session.get("collection_id") or "")
    return {**session, "collection_name": coll["name"] if coll else None}


def create_chat_session(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/chats[?collection_id=]: 201 ChatSession."""
    collection_id = call.query.get("collection_id")
    if collection_id is not None:
        # "default" names the user's default collection
        collection_id = collection(state, collection_id)["id"]
    sid = new_id()
    state.sessions[sid] = {
        "id": sid,
        "name": None,
        "collection_id": collection_id,
        "prompt_template_id": None,
        "latest_message_content": None,
        "updated_at": state.now(),
        "workspace": (call.json or {}).get("workspace") or "workspaces/default",
        "status": "active",
        "expiry_date": None,
        "inactivity_interval": None,
        "keep_forever": False,
        "username": state.acting.username,
        "archived_at": None,
        "source": "user",
        "_owner": state.acting.id,
    }
    return Reply(render_session(state, state.sessions[sid]), status=201)


def list_chat_sessions(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/chats: most recently updated first."""
    # the OpenAI-compatible calls' sessions are the mock's bookkeeping, not the user's chats
    mine = [s for s in state.sessions.values() if not s.get("_openai") and state.owns(s)]
    items = sorted(mine, key=lambda s: s["updated_at"], reverse=True)
    return Reply(page([render_session(state, s) for s in items], call.query))


def get_chat_session(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/chats/{session_id}."""
    return Reply(render_session(state, session_of(state, call.path_params["session_id"])))


def delete_chat_session(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/chats/{session_id}: 204, then 404."""
    sid = call.path_params["session_id"]
    session_of(state, sid)
    del state.sessions[sid]
    state.agent_files.pop(sid, None)
    state.forget_messages([mid for mid, m in state.messages.items() if m.get("_session") == sid])
    return empty()


def fork_chat_session(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/chats/{session_id}/fork[{message_id}]: 201, a new chat of the user's on the same collection with
    copies (new ids) of the messages, their meta and references, up to and including ``message_id`` (all of them
    without one; a message not of this chat is a 404, as an unknown one)."""
    source = session_of(state, call.path_params["session_id"])
    body = loads_json(call.body) if call.body.strip() else None
    until = body.get("message_id") if isinstance(body, dict) else None
    messages = [m for m in state.messages.values() if m["_session"] == source["id"]]
    if until is not None:
        at = next((i for i, m in enumerate(messages) if m["id"] == until), None)
        if at is None:
            raise not_found(f"Message {str(until)[:80]}")
        messages = messages[: at + 1]
    sid = new_id()
    latest = messages[-1]["content"] if messages else None
    # a live chat of the user's, whatever the source's archival
    state.sessions[sid] = {
        **source,
        "id": sid,
        "updated_at": state.now(),
        "latest_message_content": latest,
        "status": "active",
        "archived_at": None,
        "_owner": state.acting.id,
    }
    copied = {m["id"]: new_id() for m in messages}
    for m in messages:
        mid = copied[m["id"]]
        state.messages[mid] = {**m, "id": mid, "reply_to": copied.get(m["reply_to"], m["reply_to"]), "_session": sid}
        if m["id"] in state.meta:
            state.meta[mid] = [dict(item) for item in state.meta[m["id"]]]
        if m["id"] in state.references:
            state.references[mid] = [dict(ref) for ref in state.references[m["id"]]]
    state.trim()
    return Reply(render_session(state, state.sessions[sid]), status=201)


def update_chat_session_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """PUT /api/v1/chats/{session_id}/collection: the chat is on that collection (one the user sees, else a 404)
    from now on; 200 ChatSession."""
    session = session_of(state, call.path_params["session_id"])
    # its body was checked against the contract (collection_id, a string, is required) before the handler ran
    session["collection_id"] = collection(state, str(object_body(call)["collection_id"]))["id"]
    session["updated_at"] = state.now()
    return Reply(render_session(state, session))


def delete_chat_session_collection(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/chats/{session_id}/collection: the chat is with the LLM only (the client: "None to chat with
    the LLM only"); 200 ChatSession."""
    session = session_of(state, call.path_params["session_id"])
    session["collection_id"] = None
    session["updated_at"] = state.now()
    return Reply(render_session(state, session))


def get_chat_session_messages(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/chats/{session_id}/messages: oldest first."""
    sid = call.path_params["session_id"]
    session_of(state, sid)
    items = [m for m in state.messages.values() if m["_session"] == sid]
    return Reply(page(items, call.query))


def list_questions_for_chat_session(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/chats/{session_id}/questions: suggested follow-ups."""
    session_of(state, call.path_params["session_id"])
    questions = ["What else does the data show?", "Can you summarise it in one line?", "Which item leads?"]
    return Reply([{"question": q} for q in questions][: max(0, call.query.get("limit", 3))])


async def _sleep(state: H2OGPTeMockState, seconds: float) -> None:
    if state.stream_speed and seconds > 0:
        await asyncio.sleep(seconds / state.stream_speed)
    else:
        await asyncio.sleep(0)


async def generate(state: H2OGPTeMockState, p: answers.Plan) -> AsyncIterator[dict[str, Any]]:
    """Yield the answer as ``{"body": delta, "finished": false}`` deltas on the token schedule, honouring
    pause/resume/stop/finish; the last item is ``{"body": "", "finished": true, "message_id"}`` or ``{"error"}``."""
    gen = Generation(p.question_id)
    state.generations[p.question_id] = gen
    text = ""
    try:
        await _sleep(state, state.timings.first_token)
        for i, token in enumerate(p.tokens):
            if i:
                await _sleep(state, state.timings.token_gap)
            paused_since = time.monotonic()
            while gen.paused and not gen.stopped and time.monotonic() - paused_since < MAX_PAUSE:
                await asyncio.sleep(0.005)
            if gen.stopped or (gen.paused and time.monotonic() - paused_since >= MAX_PAUSE):
                break
            if p.fails and i == len(p.tokens) // 2:
                with state.lock:
                    answers.finish(state, p, text, error=FAILURE, sent=gen.emitted)
                yield {"error": FAILURE}
                return
            if gen.finishing:
                token = token.rstrip() + "."
            text += token
            gen.emitted += 1
            yield {"body": token, "finished": False}
            if gen.finishing:
                break
        with state.lock:
            answers.finish(state, p, text, sent=gen.emitted)
        yield {"body": "", "finished": True, "message_id": p.answer_id}
    finally:
        gen.live = False


def _plan_completion(state: H2OGPTeMockState, call: Call) -> answers.Plan:
    session = session_of(state, call.path_params["session_id"])
    body = call.json
    return answers.plan(state, session, body["message"], body.get("llm_args"), body.get("rag_config"), body.get("llm"))


def get_completion(state: H2OGPTeMockState, call: Call) -> Reply | Response:
    """POST /api/v1/chats/{session_id}/completions: ChatCompletion, or JSONL deltas with ``stream: true``."""
    p = _plan_completion(state, call)
    accept = call.accept
    if call.json.get("stream") or ("application/jsonl" in accept and "application/json," not in accept):

        async def lines() -> AsyncIterator[bytes]:
            async for item in generate(state, p):
                yield json.dumps(item).encode() + b"\n"

        return StreamingResponse(lines(), media_type="application/jsonl")
    if p.fails:
        answers.finish(state, p, "", error=FAILURE, sent=0)
        raise ApiError(500, FAILURE)
    text = "".join(p.tokens)
    answers.finish(state, p, text)
    timings = state.timings
    delay = timings.first_token + timings.token_gap * max(0, len(p.tokens) - 1)
    return Reply({"message_id": p.answer_id, "body": text}, delay=delay)


def _message(state: H2OGPTeMockState, message_id: str) -> dict[str, Any]:
    if not my_message(state, message_id):
        raise not_found(f"Message {message_id}")
    return state.messages[message_id]


def my_message(state: H2OGPTeMockState, message_id: str) -> bool:
    """Whether a message is one of the acting user's chats' (another user's is as unknown as one that does not
    exist)."""
    message = state.messages.get(message_id)
    session = state.sessions.get(str(message.get("_session"))) if message is not None else None
    return session is not None and state.owns(session)


def delete_messages(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/messages/{message_ids} (comma-separated): 204; all or nothing, a 404 naming the first id that
    is no message of the user's chats (another user's, as an unknown one)."""
    ids = [i for i in call.path_params["message_ids"].split(",") if i]
    missing = next((i for i in ids if not my_message(state, i)), None)
    if missing is not None:
        raise not_found(f"Message {missing[:80]}")
    state.forget_messages(ids)
    return empty()


def get_message_meta(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/messages/{message_id}/meta[?info_type=]: [{message_type, content}]."""
    mid = call.path_params["message_id"]
    _message(state, mid)
    items = state.meta.get(mid, [])
    if "info_type" in call.query:
        items = [m for m in items if m["message_type"] == call.query["info_type"]]
    return Reply(items)


def get_message_references(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/messages/{message_id}/references: the ingested documents the RAG answer used."""
    mid = call.path_params["message_id"]
    _message(state, mid)
    refs = state.references.get(mid, [])
    if "limit" in call.query:
        refs = refs[: max(0, call.query["limit"])]
    return Reply(refs)


def _control(state: H2OGPTeMockState, call: Call, verb: str) -> Reply:
    qid = call.path_params["question_id"]
    message = _message(state, qid)
    if message["reply_to"] is not None:
        raise not_found(f"Question {qid}")
    gen = state.generations.get(qid)
    if gen is not None and gen.live:
        if verb == "pause":
            gen.paused = True
        elif verb == "resume":
            gen.paused = False
        elif verb == "stop":
            gen.stopped = True
        else:
            gen.finishing = True
            gen.paused = False
    return empty()


def pause_chat_message(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/messages/{question_id}/pause: 204; a live stream holds its next token."""
    return _control(state, call, "pause")


def resume_chat_message(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/messages/{question_id}/resume: 204; a paused stream goes on."""
    return _control(state, call, "resume")


def stop_chat_message(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/messages/{question_id}/stop: 204; the stream ends at once (finished, with what it had)."""
    return _control(state, call, "stop")


def finish_chat_message(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/messages/{question_id}/finish: 204; the stream ends after one more token."""
    return _control(state, call, "finish")


def list_agent_server_files(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/chats/{session_id}/agent_server_files."""
    sid = call.path_params["session_id"]
    session_of(state, sid)
    return Reply(list(state.agent_files.get(sid, [])))


def delete_agent_server_files(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/chats/{session_id}/agent_server_files: 204."""
    sid = call.path_params["session_id"]
    session_of(state, sid)
    state.agent_files.pop(sid, None)
    return empty()


def delete_agent_server_directories(state: H2OGPTeMockState, call: Call) -> Reply:
    """DELETE /api/v1/chats/{session_ids}/agent_server_directories: 204; each session's agent directory (the files
    its agent wrote) is gone, all or none: an unknown session is a 404. The mock has one kind of directory, so
    ``dir_types`` changes nothing (a guess: no source lists the types)."""
    sids = [sid for sid in call.path_params["session_ids"].split(",") if sid]
    for sid in sids:
        session_of(state, sid)
    for sid in sids:
        state.agent_files.pop(sid, None)
    return empty()


def _dir_name(sid: str) -> str:
    return f"agent_workspace_{sid[:8]}"


def _human(size: int) -> str:
    return f"{size} B" if size < 1024 else f"{size / 1024:.1f} KB"


def _dir_stats(state: H2OGPTeMockState, sid: str, detail: int) -> dict[str, Any]:
    files = state.agent_files.get(sid, [])
    size = sum(f["bytes"] for f in files)
    created = min((f["created_at"] for f in files), default=int(state.now().timestamp()))
    modified = max((f["created_at"] for f in files), default=created)
    stats: dict[str, Any] = {
        "id": _dir_name(sid),
        "object": "agent_directory",
        "size_bytes": size,
        "size_human_readable": _human(size),
        "file_count": len(files),
        "directory_count": 0,
        "created_timestamp": created,
        "modified_timestamp": modified,
        "created_date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(created)),
        "modified_date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(modified)),
        "is_empty": not files,
        "top_level_contents": [f["filename"] for f in files],
        "owner": "h2ogpte",
        "permissions": "drwxr-xr-x",
    }
    if detail > 0:
        stats["files"] = [
            {
                "name": f["filename"],
                "path": f"{_dir_name(sid)}/{f['filename']}",
                "size_bytes": f["bytes"],
                "size_human_readable": _human(f["bytes"]),
                "created_timestamp": f["created_at"],
                "modified_timestamp": f["created_at"],
                "created_date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(f["created_at"])),
                "modified_date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(f["created_at"])),
                "is_directory": False,
                "owner": "h2ogpte",
                "permissions": "-rw-r--r--",
                "sha256": None,
            }
            for f in files
        ]
    return stats


def list_all_agent_server_directories_stats(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/chats/{session_id}/agent_server_directories/stats: one directory per session that has files."""
    sid = call.path_params["session_id"]
    session_of(state, sid)
    if not state.agent_files.get(sid):
        return Reply([])
    return Reply([_dir_stats(state, sid, call.query.get("detail_level", 0))])


def get_agent_server_directory_stats(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/chats/{session_id}/agent_server_directories/{directory_name}/stats."""
    sid = call.path_params["session_id"]
    session_of(state, sid)
    if call.path_params["directory_name"] != _dir_name(sid) or not state.agent_files.get(sid):
        raise not_found(f"Directory {call.path_params['directory_name']}")
    return Reply(_dir_stats(state, sid, call.query.get("detail_level", 0)))


def list_agent_directory_stats(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /api/v1/agents/directory_stats: every session of the acting user's with agent files."""
    entries = []
    for sid, files in state.agent_files.items():
        session = state.sessions.get(sid)
        if session is None or not state.owns(session) or not files:
            continue
        first = next((m for m in state.messages.values() if m["_session"] == sid), None)
        preview = first["content"][:100] if first else ""
        if call.query.get("filter_text") and str(call.query["filter_text"]).lower() not in preview.lower():
            continue
        entries.append({"agent_chat_session_id": sid, "chat_preview": preview, "stats": [_dir_stats(state, sid, 0)]})
    return Reply(page(entries, call.query))


async def websocket_endpoint(state: H2OGPTeMockState, ws: WebSocket) -> None:
    """/ws: the high-level client's queries: ``cq`` in; ``cx`` (ack), ``cp`` (partials), ``ca`` (answer) out."""
    token = bearer_token(ws.headers.get("authorization"))
    if not state.accepts(token):
        await ws.close(code=1008)
        return
    user, scope = state.user_of(token), state.scope_of(token)
    await ws.accept()
    try:
        while True:
            frame = json.loads(await ws.receive_text())
            if frame.get("t") != "cq":
                continue
            # the key is checked again for every query: one deleted, deactivated or expired since the handshake
            # does not keep the socket's identity (DEVIATIONS)
            if not state.accepts(token, use=False):
                await ws.send_text(json.dumps(_ws_error(frame, "Unauthorized")))
                await ws.close(code=1008)
                return
            await _ws_query(state, ws, frame, user, scope)
    except (WebSocketDisconnect, ValueError):
        return


def _ws_error(frame: dict[str, Any], error: str) -> dict[str, Any]:
    """The ``ce`` frame refusing a query."""
    return {
        "t": "ce",
        "session_id": str(frame.get("session_id", "")),
        "message_id": "",
        "reply_to_id": "",
        "body": "",
        "error": error,
        "correlation_id": frame.get("correlation_id"),
    }


def _json_arg(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            return None
    return value if isinstance(value, dict) else None


async def _ws_query(
    state: H2OGPTeMockState, ws: WebSocket, frame: dict[str, Any], user: User, scope: str | None
) -> None:
    sid = str(frame.get("session_id", ""))
    base = {"session_id": sid}
    with state.lock:
        state.acting, state.scope = user, scope
        session = state.sessions.get(sid)
        refused = scope is not None and not keys.in_scope(state, scope, "session_id", sid)
        if session is None or not state.owns(session) or refused:
            error = "Unauthorized: the API key may not chat here" if refused else "session not found"
            await ws.send_text(json.dumps(_ws_error(frame, error)))
            return
        p = answers.plan(
            state,
            session,
            str(frame.get("body", "")),
            _json_arg(frame.get("llm_args")),
            _json_arg(frame.get("rag_config")),
            frame.get("llm"),
        )
    ack = {
        "t": "cx",
        **base,
        "correlation_id": frame.get("correlation_id"),
        "message_id": p.question_id,
        "username": user.username,
        "body": p.message,
        "use_agent": p.agent,
    }
    await ws.send_text(json.dumps(ack))
    text = ""
    reply = {**base, "message_id": p.answer_id, "reply_to_id": p.question_id}
    async for item in generate(state, p):
        if "error" in item:
            await ws.send_text(json.dumps({"t": "ce", **reply, "body": text, "error": item["error"]}))
            return
        if item["finished"]:
            break
        text += item["body"]
        await ws.send_text(json.dumps({"t": "cp", **reply, "body": text, "error": ""}))
    await ws.send_text(json.dumps(public({"t": "ca", **reply, "body": text, "error": ""})))
