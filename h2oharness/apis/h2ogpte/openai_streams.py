"""The OpenAI-compatible SSE streams of h2oGPTe's ``/openai_api/v1``: what their events mean, on the generic reader.

* ``ChatCompletionStream`` (``/chat/completions``): ``chat.completion.chunk`` events whose text is
  ``choices[0].delta.content``; an event with an ``error`` ends a failed stream; ``data: [DONE]`` ends it.
* ``ResponsesStream`` (``/responses``): typed ``response.*`` events whose text is the ``delta`` of
  ``response.output_text.delta``; ``response.completed`` or ``response.incomplete`` ends the stream (only
  ``data: [DONE]`` may follow), ``error`` or ``response.failed`` ends a failed one, and an ``event:`` name must
  match the data's ``type``.
"""

from __future__ import annotations

from typing import Any

from h2oharness.errors import StreamViolation
from h2oharness.http.streaming import SseStream, excerpt

__all__ = ["ChatCompletionStream", "ResponsesStream"]

_RESPONSES_END = frozenset({"response.completed", "response.incomplete"})
_RESPONSES_ERROR = frozenset({"error", "response.failed"})


class _OpenAIStream(SseStream):
    """What both OpenAI streams share: an event without an ``event:`` field is named by its ``type``."""

    def name_of(self, data: dict[str, Any]) -> str:
        """The data's ``type``, if it is a string."""
        kind = data.get("type")
        return kind if isinstance(kind, str) else ""


class ChatCompletionStream(_OpenAIStream):
    """An OpenAI chat-completions stream: ``data: {chunk}`` events, then ``data: [DONE]``.

    Example:
        with open_stream(client, "POST", "/openai_api/v1/chat/completions", reader=ChatCompletionStream,
                         json={**body, "stream": True}) as stream:
            print(stream.read()[-1].data, stream.stats.stalls(0.5))
    """

    def text_of(self, data: dict[str, Any]) -> str:
        """``choices[0].delta.content``, or nothing."""
        choices = data.get("choices")
        if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
            return ""
        delta = choices[0].get("delta")
        content = delta.get("content") if isinstance(delta, dict) else None
        return content if isinstance(content, str) else ""

    def check(self, data: dict[str, Any], *, payload: str, name: str, where: str, line: int) -> None:
        """A chunk with an ``error`` is the server ending the stream with it."""
        if data.get("error") is not None:
            raise self.server_error(data["error"], where, line)


class ResponsesStream(_OpenAIStream):
    """An OpenAI Responses stream: typed ``response.*`` events up to ``response.completed`` (or ``incomplete``)."""

    def text_of(self, data: dict[str, Any]) -> str:
        """The ``delta`` of a ``response.output_text.delta`` event, or nothing."""
        delta = data.get("delta")
        return delta if data.get("type") == "response.output_text.delta" and isinstance(delta, str) else ""

    def check(self, data: dict[str, Any], *, payload: str, name: str, where: str, line: int) -> None:
        """The ``event:`` name matches the data's type; ``error`` and ``response.failed`` end a failed stream."""
        kind = data.get("type")
        if name and isinstance(kind, str) and name != kind:
            raise StreamViolation(
                f"SSE {where} is named event: {name} but its data has type {kind!r}: {excerpt(payload)}",
                line=line,
                events=self.stats.events,
            )
        if kind in _RESPONSES_ERROR:
            raise self.server_error(_responses_error(data), where, line)

    def ends(self, data: dict[str, Any]) -> bool:
        """``response.completed`` and ``response.incomplete`` end the stream."""
        return data.get("type") in _RESPONSES_END


def _responses_error(data: dict[str, Any]) -> object:
    """What a responses-API error event says: its ``message``, or the failed response's ``error``."""
    if data.get("type") == "error":
        return data.get("message") or data.get("error") or data
    response = data.get("response")
    if isinstance(response, dict) and response.get("error") is not None:
        return response["error"]
    return data
