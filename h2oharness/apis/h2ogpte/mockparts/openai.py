"""The OpenAI-compatible API under /openai_api/v1: chat completions and responses, JSON or SSE."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response, StreamingResponse

from h2oharness.apis.h2ogpte.mockparts import answers
from h2oharness.apis.h2ogpte.mockparts.chat import generate
from h2oharness.apis.h2ogpte.mockparts.state import USERNAME, H2OGPTeMockState, new_id
from h2oharness.apis.h2ogpte.mockparts.wire import Call, Reply


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))


def _session(state: H2OGPTeMockState) -> dict[str, Any]:
    # each OpenAI-style call is a fresh, collection-less chat, as the seed says collections are unsupported
    sid = new_id()
    session = {"id": sid, "collection_id": None, "updated_at": state.now(), "username": USERNAME, "_openai": True}
    state.sessions[sid] = session
    return session


def _sse(data: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


def _usage(p: answers.Plan, prompt: str) -> dict[str, int]:
    prompt_tokens = len(prompt.split())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": len(p.tokens),
        "total_tokens": prompt_tokens + len(p.tokens),
    }


def chat_completions(state: H2OGPTeMockState, call: Call) -> Reply | Response:
    """POST /openai_api/v1/chat/completions: a chat.completion, or chat.completion.chunk events then [DONE]."""
    body = call.json
    prompt = _text(body["messages"][-1]["content"])
    p = answers.plan(state, _session(state), prompt, None, {"rag_type": "llm_only"}, body["model"])
    cid, created, model = f"chatcmpl-{p.answer_id[:12]}", int(state.now().timestamp()), body["model"]
    if body.get("stream"):

        async def events() -> AsyncIterator[bytes]:
            first = True
            async for item in generate(state, p):
                if "error" in item:
                    yield _sse({"error": {"message": item["error"], "type": "server_error", "code": 500}})
                    return
                delta = {"role": "assistant", "content": item["body"]} if first else {"content": item["body"]}
                first = False
                finish = "stop" if item["finished"] else None
                if item["finished"]:
                    delta = {}
                chunk = {
                    "id": cid,
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }
                yield _sse(chunk)
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
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": _usage(p, prompt),
        }
    )


def _response_object(p: answers.Plan, model: str, created: int, text: str, status: str) -> dict[str, Any]:
    output = [
        {
            "id": f"msg_{p.answer_id[:12]}",
            "role": "assistant",
            "status": status,
            "type": "message",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    ]
    return {
        "id": f"resp_{p.answer_id[:12]}",
        "object": "response",
        "created_at": created,
        "model": model,
        "status": status,
        "output": output if text or status == "completed" else [],
        "error": None,
    }


def responses(state: H2OGPTeMockState, call: Call) -> Reply | Response:
    """POST /openai_api/v1/responses: a response object, or typed response.* events."""
    body = call.json
    given = body["input"]
    prompt = given if isinstance(given, str) else str(given[-1]["content"])
    p = answers.plan(state, _session(state), prompt, None, {"rag_type": "llm_only"}, body["model"])
    created, model = int(state.now().timestamp()), body["model"]
    if body.get("stream"):

        async def events() -> AsyncIterator[bytes]:
            seq = 0
            text = ""
            item_id = f"msg_{p.answer_id[:12]}"
            yield _sse(
                {
                    "type": "response.created",
                    "sequence_number": seq,
                    "response": _response_object(p, model, created, "", "in_progress"),
                },
                "response.created",
            )
            async for item in generate(state, p):
                seq += 1
                if "error" in item:
                    yield _sse(
                        {
                            "type": "error",
                            "sequence_number": seq,
                            "message": item["error"],
                            "code": None,
                            "param": None,
                        },
                        "error",
                    )
                    return
                if item["finished"]:
                    break
                text += item["body"]
                yield _sse(
                    {
                        "type": "response.output_text.delta",
                        "sequence_number": seq,
                        "item_id": item_id,
                        "output_index": 0,
                        "content_index": 0,
                        "delta": item["body"],
                    },
                    "response.output_text.delta",
                )
            yield _sse(
                {
                    "type": "response.output_text.done",
                    "sequence_number": seq + 1,
                    "item_id": item_id,
                    "output_index": 0,
                    "content_index": 0,
                    "text": text,
                },
                "response.output_text.done",
            )
            yield _sse(
                {
                    "type": "response.completed",
                    "sequence_number": seq + 2,
                    "response": _response_object(p, model, created, text, "completed"),
                },
                "response.completed",
            )

        return StreamingResponse(events(), media_type="text/event-stream")
    text = "".join(p.tokens)
    answers.finish(state, p, text)
    return Reply(_response_object(p, model, created, text, "completed"))
