"""The OpenAI-compatible API under /openai_api/v1: models, chat completions and responses, JSON or SSE.

Chat completions honour what the official ``openai`` client relies on: a forced ``tool_choice`` answers with that
tool call, tool-call history is accepted, ``response_format`` (json_object, json_schema) makes the content valid
JSON, and ``stream_options.include_usage`` adds the final usage chunk. Responses stream the full event sequence
(output item and content part added and done around the text deltas) and honour ``text.format``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from h2oharness.apis.h2ogpte.mockparts import answers, usage
from h2oharness.apis.h2ogpte.mockparts.chat import generate
from h2oharness.apis.h2ogpte.mockparts.docs import openai_model_list
from h2oharness.apis.h2ogpte.mockparts.openai_tools import forced_tool, json_format, json_text, tool_call
from h2oharness.apis.h2ogpte.mockparts.state import H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import ApiError, Call, Reply

#: how many characters of a JSON answer go in one streamed chunk
JSON_CHUNK = 8
#: the most choices a chat completion's n asks for that the mock answers (OpenAI's own limit)
MAX_CHOICES = 128


def _text(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))


def _session(state: H2OGPTeMockState) -> dict[str, Any]:
    # each OpenAI-style call is a fresh, collection-less chat, as the seed says collections are unsupported
    sid = new_id()
    session = {
        "id": sid,
        "collection_id": None,
        "updated_at": state.now(),
        "username": state.acting.username,
        "_owner": state.acting.id,
        "_openai": True,
    }
    state.sessions[sid] = session
    return session


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def _usage(state: H2OGPTeMockState, p: answers.Plan, prompt: str, choices: int = 1) -> dict[str, int]:
    prompt_tokens = len(prompt.split())
    # one token per streamed chunk of each choice, unless the state skews the count (a server whose usage disagrees
    # with its stream)
    completion = max(0, len(p.tokens) * choices + state.usage_skew)
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion,
        "total_tokens": prompt_tokens + completion,
    }


def _plan(state: H2OGPTeMockState, prompt: str, model: str, body: dict[str, Any]) -> answers.Plan:
    """The answer's plan; when a JSON shape is asked for, its tokens spell that JSON."""
    p = answers.plan(state, _session(state), prompt, None, {"rag_type": "llm_only"}, model)
    # the usage statistics count the prompt as the answer's usage reports it
    p.input_tokens = len(prompt.split())
    schema = json_format(body)
    if schema is not None:
        text = json_text(schema, prompt, "".join(p.tokens))
        p.tokens = [text[i : i + JSON_CHUNK] for i in range(0, len(text), JSON_CHUNK)]
    return p


def _unknown_model(name: str) -> ApiError:
    # OpenAI's answer to a model it does not serve (the seeds say nothing of h2oGPTe's)
    message = f"The model `{name}` does not exist or you do not have access to it."
    return ApiError(404, message, kind="invalid_request_error", code="model_not_found")


def _known_model(state: H2OGPTeMockState, name: Any) -> None:
    """Refuse a model that is neither "auto" nor one of the listed models with OpenAI's 404 model_not_found."""
    if name != "auto" and name not in {m["id"] for m in openai_model_list(state)}:
        raise _unknown_model(str(name))


def _limit(body: dict[str, Any], field: str) -> int | None:
    # a token limit of 1 or more; another value is left alone (the contract allows any integer and nothing says
    # what a real server answers)
    given = body.get(field)
    return given if isinstance(given, int) and not isinstance(given, bool) and given > 0 else None


def retrieve_model(state: H2OGPTeMockState, call: Call) -> Reply:
    """GET /openai_api/v1/models/{model}: one model of the list."""
    wanted = call.path_params["model"]
    for model in openai_model_list(state):
        if model["id"] == wanted:
            return Reply(model)
    raise _unknown_model(wanted)


def _prompt(messages: list[dict[str, Any]]) -> str:
    # the last message with text: the user's question, or a tool's result after a tool call
    for message in reversed(messages):
        text = _text(message.get("content"))
        if text:
            return text
    return ""


def chat_completions(state: H2OGPTeMockState, call: Call) -> Reply | Response:
    """POST /openai_api/v1/chat/completions: a chat.completion, or chat.completion.chunk events then [DONE]."""
    body = call.json
    _known_model(state, body["model"])
    prompt = _prompt(body["messages"])
    created, model = int(state.now().timestamp()), body["model"]
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
    function = forced_tool(body)
    if function is not None:
        usage.record(state, model, len(prompt.split()), 1)
        return _tool_call_answer(body, function, prompt, created, include_usage)
    p = _plan(state, prompt, model, body)
    # OpenAI's max_tokens: the answer stops after that many tokens, finish_reason "length"
    limit = _limit(body, "max_tokens")
    finish = "stop"
    if limit is not None and limit < len(p.tokens):
        p.tokens = p.tokens[:limit]
        finish = "length"
    # OpenAI's n: that many choices, here each the same answer (n outside 1..MAX_CHOICES is left alone)
    n = _limit(body, "n") or 1
    n = n if n <= MAX_CHOICES else 1
    p.choices = n
    cid = f"chatcmpl-{p.answer_id[:12]}"

    def chunk(delta: dict[str, Any], finish: str | None, index: int = 0) -> dict[str, Any]:
        out = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": index, "delta": delta, "finish_reason": finish}],
        }
        return {**out, "usage": None} if include_usage else out

    if body.get("stream"):

        async def events() -> AsyncIterator[bytes]:
            first = True
            async for item in generate(state, p):
                if "error" in item:
                    yield _sse({"error": {"message": item["error"], "type": "server_error", "code": 500}})
                    return
                delta = {"role": "assistant", "content": item["body"]} if first else {"content": item["body"]}
                first = False
                for index in range(n):
                    yield _sse(chunk({}, finish, index) if item["finished"] else chunk(delta, None, index))
            if include_usage:
                yield _sse({**chunk({}, None), "choices": [], "usage": _usage(state, p, prompt, n)})
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")
    text = "".join(p.tokens)
    answers.finish(state, p, text)
    return Reply(
        {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [
                {"index": i, "message": {"role": "assistant", "content": text}, "finish_reason": finish}
                for i in range(n)
            ],
            "usage": _usage(state, p, prompt, n),
        }
    )


def _tool_call_answer(
    body: dict[str, Any], function: dict[str, Any], prompt: str, created: int, include_usage: bool
) -> Reply | Response:
    """The forced tool call, as a message with ``tool_calls`` (finish_reason "tool_calls") or as chunks."""
    ident = new_id()[:12]
    call = tool_call(function, prompt, f"call_{ident}")
    usage = {"prompt_tokens": len(prompt.split()), "completion_tokens": 1, "total_tokens": len(prompt.split()) + 1}
    head = {"id": f"chatcmpl-{ident}", "created": created, "model": body["model"]}
    if not body.get("stream"):
        message = {"role": "assistant", "content": None, "tool_calls": [call]}
        choice = {"index": 0, "message": message, "finish_reason": "tool_calls"}
        return Reply({**head, "object": "chat.completion", "choices": [choice], "usage": usage})
    extra = {"usage": None} if include_usage else {}
    first = {"role": "assistant", "content": None, "tool_calls": [{"index": 0, **call}]}
    chunks = [
        {**head, "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": first, "finish_reason": None}]},
        {
            **head,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}],
        },
    ]
    lines = [_sse({**c, **extra}) for c in chunks]
    if include_usage:
        lines.append(_sse({**head, "object": "chat.completion.chunk", "choices": [], "usage": usage}))
    return Reply(b"".join(lines) + b"data: [DONE]\n\n", content_type="text/event-stream")


#: a response's status once its text is out: whole, or cut at max_output_tokens
ENDED = ("completed", "incomplete")


def _message_item(item_id: str, text: str, status: str) -> dict[str, Any]:
    content = [{"type": "output_text", "text": text, "annotations": []}] if status in ENDED else []
    return {"id": item_id, "role": "assistant", "status": status, "type": "message", "content": content}


def _response_object(p: answers.Plan, model: str, created: int, text: str, status: str) -> dict[str, Any]:
    # cut at max_output_tokens: OpenAI's status "incomplete", with the reason and the text sent so far
    incomplete = {"reason": "max_output_tokens"} if status == "incomplete" else None
    return {
        "id": f"resp_{p.answer_id[:12]}",
        "object": "response",
        "created_at": created,
        "model": model,
        "status": status,
        "incomplete_details": incomplete,
        "output": [_message_item(f"msg_{p.answer_id[:12]}", text, status)] if status in ENDED else [],
        "error": None,
    }


def responses(state: H2OGPTeMockState, call: Call) -> Reply | Response:
    """POST /openai_api/v1/responses: a response object, or typed response.* events."""
    body = call.json
    _known_model(state, body["model"])
    given = body["input"]
    prompt = given if isinstance(given, str) else str(given[-1]["content"])
    p = _plan(state, prompt, body["model"], body)
    created, model = int(state.now().timestamp()), body["model"]
    # OpenAI's max_output_tokens: the answer stops after that many tokens, the response "incomplete"
    limit = _limit(body, "max_output_tokens")
    status = "completed"
    if limit is not None and limit < len(p.tokens):
        p.tokens = p.tokens[:limit]
        status = "incomplete"
    if body.get("stream"):
        return StreamingResponse(_response_events(state, p, model, created, status), media_type="text/event-stream")
    text = "".join(p.tokens)
    answers.finish(state, p, text)
    return Reply(_response_object(p, model, created, text, status))


async def _response_events(
    state: H2OGPTeMockState, p: answers.Plan, model: str, created: int, status: str
) -> AsyncIterator[bytes]:
    seq = 0
    item_id = f"msg_{p.answer_id[:12]}"
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}

    def event(kind: str, **fields: Any) -> bytes:
        nonlocal seq
        seq += 1
        return _sse({"type": kind, "sequence_number": seq - 1, **fields}, kind)

    yield event("response.created", response=_response_object(p, model, created, "", "in_progress"))
    yield event("response.in_progress", response=_response_object(p, model, created, "", "in_progress"))
    yield event("response.output_item.added", output_index=0, item=_message_item(item_id, "", "in_progress"))
    empty_part = {"type": "output_text", "text": "", "annotations": []}
    yield event("response.content_part.added", **where, part=empty_part)
    text = ""
    async for item in generate(state, p):
        if "error" in item:
            yield event("error", message=item["error"], code=None, param=None)
            return
        if item["finished"]:
            break
        text += item["body"]
        yield event("response.output_text.delta", **where, delta=item["body"], logprobs=[])
    yield event("response.output_text.done", **where, text=text, logprobs=[])
    yield event("response.content_part.done", **where, part={**empty_part, "text": text})
    yield event("response.output_item.done", output_index=0, item=_message_item(item_id, text, status))
    yield event(f"response.{status}", response=_response_object(p, model, created, text, status))
