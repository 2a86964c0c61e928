"""Direct LLM calls without a chat session: answer a question, summarize or extract from given texts."""

from __future__ import annotations

from typing import Any

from h2oharness.apis.h2ogpte.mockparts import usage
from h2oharness.apis.h2ogpte.mockparts.docs import MODELS
from h2oharness.apis.h2ogpte.mockparts.state import FAIL_MARKER, H2OGPTeMockState
from h2oharness.apis.h2ogpte.mockparts.wire import Call, Reply, bad_request, not_found, object_body

FAILURE = "The LLM failed while answering (the text carried the failure marker)."


def _model(call: Call) -> str:
    # "auto", a model id, or a display name (what the client sends when given a model's index)
    name = call.path_params["model_name"]
    known = {"auto"} | {m["id"] for m in MODELS} | {m["display_name"] for m in MODELS}
    if name not in known:
        raise not_found(f"LLM {name}")
    return MODELS[0]["id"] if name == "auto" else name


def _texts(body: dict[str, Any]) -> list[str]:
    given = body.get("text_context_list") or []
    if not isinstance(given, list):
        raise bad_request("text_context_list must be a list of strings")
    return [t for t in given if isinstance(t, str)]


def _answer(state: H2OGPTeMockState, model: str, prompt: str, content: Any) -> dict[str, Any]:
    """The LLM's answer (a failed one, with no output, when the prompt carries the failure marker); the call is
    recorded either way, a failed one with its prompt's tokens (a usage meter counts an attempt)."""
    failed = FAIL_MARKER in prompt
    input_tokens = len(prompt.split())
    output_tokens = 0 if failed else len(" ".join(content if isinstance(content, list) else [content]).split())
    usage.record(state, model, input_tokens, output_tokens)
    return {
        "content": [] if failed and isinstance(content, list) else ("" if failed else content),
        "error": FAILURE if failed else "",
        "llm": model,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
    }


def answer_question(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/models/{model_name}/answer_question: an answer citing the context's first words."""
    model, body = _model(call), object_body(call)
    question = body.get("question")
    if not isinstance(question, str):
        raise bad_request("question is required")
    texts = _texts(body)
    context = f" The context says: {' '.join(' '.join(texts).split()[:12])}." if texts else ""
    answer = _answer(state, model, question + " ".join(texts), f"Answer to: {question.strip()}.{context}")
    return Reply({**answer, "origin": "h2oharness-mock"})


def summarize_content(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/models/{model_name}/summarize_content: the first sentence of each text, joined."""
    model, body = _model(call), object_body(call)
    texts = _texts(body)
    firsts = [t.strip().split(". ")[0].rstrip(".") for t in texts if t.strip()]
    summary = ". ".join(firsts) + "." if firsts else "Nothing to summarize."
    return Reply(_answer(state, model, " ".join(texts), f"Summary: {summary}"))


def extract_data(state: H2OGPTeMockState, call: Call) -> Reply:
    """POST /api/v1/models/{model_name}/extract_data: one extraction per text (its non-empty lines, joined)."""
    model, body = _model(call), object_body(call)
    texts = _texts(body)
    extracted = ["; ".join(line.strip() for line in t.splitlines() if line.strip()) for t in texts]
    return Reply(_answer(state, model, " ".join(texts), extracted))
