"""A thin typed facade over an injected ``httpx.Client`` for h2oGPTe's REST API, speaking as seed 003 does.

The client's base URL is the server's root (``/api/v1``, ``/file`` and ``/openai_api`` hang off it) and its
headers carry ``Authorization: Bearer <key>``. Answers come back as plain JSON values; an unexpected status raises
:class:`H2OGPTeResponseError` with the server's ``EndpointError`` message. Streams are read with
:mod:`h2oharness.http.streaming` (the OpenAI-compatible ones with :mod:`h2oharness.apis.h2ogpte.openai_streams`),
which times them and holds them to their format.

Example:
    with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=60) as http:
        gpte = H2OGPTeClient(http)
        collection = gpte.create_collection("demo", "a demo")
        upload = gpte.upload("sales.csv", b"a,b\\n1,2\\n")
        gpte.ingest(upload["id"], collection["id"])
        gpte.wait_for_documents(collection["id"], 1, timeout=60)
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal
from urllib.parse import quote

import httpx

from h2oharness.apis.h2ogpte.openai_streams import ChatCompletionStream, ResponsesStream
from h2oharness.errors import ContractViolation, ResponseError
from h2oharness.http.polling import JobStatus, PollResult, wait_for_job
from h2oharness.http.retryafter import retry_after
from h2oharness.http.streaming import JsonlStream, SseStream, open_stream
from h2oharness.targets import stream_deadline

V1 = "/api/v1"
CONTROL_VERBS = ("pause", "resume", "stop", "finish")


class H2OGPTeResponseError(ResponseError):
    """h2oGPTe answered with a status the call did not expect; ``status`` and ``message`` say what happened."""

    def __init__(self, method: str, path: str, status: int, body: Any, retry_after: float | None = None) -> None:
        self.message = str(body.get("message", body)) if isinstance(body, dict) else str(body)[:300]
        text = f"{method} {path} -> HTTP {status}: {self.message}"
        super().__init__(text, method=method, path=path, status=status, body=body, retry_after=retry_after)


class H2OGPTeClient:
    """The seed's REST calls as methods; ``http`` is an ``httpx.Client`` with the base URL and bearer key."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def _call(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, path, **kwargs)
        if response.status_code not in expect:
            try:
                body: Any = response.json()
            except ValueError:
                body = response.text
            raise H2OGPTeResponseError(method, path, response.status_code, body, retry_after(response))
        return response

    def _json(self, method: str, path: str, expect: tuple[int, ...] = (200,), **kwargs: Any) -> Any:
        response = self._call(method, path, expect, **kwargs)
        try:
            return response.json()
        except ValueError:
            raise ContractViolation(f"{method} {path} -> HTTP {response.status_code} without a JSON body") from None

    # health and models
    def readiness(self) -> int:
        """GET /rpc/health/readiness: the status code (200 = ready)."""
        return self.http.get("/rpc/health/readiness").status_code

    def liveness(self) -> int:
        """GET /rpc/health/liveness: the status code (200 = alive)."""
        return self.http.get("/rpc/health/liveness").status_code

    def models(self) -> list[dict[str, Any]]:
        """GET /api/v1/models."""
        return list(self._json("GET", f"{V1}/models"))

    # collections, uploads, ingestion
    def create_collection(self, name: str, description: str = "") -> dict[str, Any]:
        """POST /api/v1/collections: the new Collection."""
        return dict(self._json("POST", f"{V1}/collections", (201,), json={"name": name, "description": description}))

    def get_collection(self, collection_id: str) -> dict[str, Any]:
        """GET /api/v1/collections/{id}."""
        return dict(self._json("GET", f"{V1}/collections/{quote(collection_id, safe='')}"))

    def delete_collection(self, collection_id: str, *, missing_ok: bool = False) -> int:
        """DELETE /api/v1/collections/{id}: the status (204; 404 too with ``missing_ok``)."""
        expect = (200, 204, 404) if missing_ok else (200, 204)
        return self._call("DELETE", f"{V1}/collections/{quote(collection_id, safe='')}", expect).status_code

    def upload(self, filename: str, data: bytes, content_type: str = "text/csv") -> dict[str, Any]:
        """PUT /api/v1/uploads (multipart ``file``): ``{id, filename}``."""
        return dict(self._json("PUT", f"{V1}/uploads", files={"file": (filename, data, content_type)}))

    def ingest(self, upload_id: str, collection_id: str) -> None:
        """POST /api/v1/uploads/{id}/ingest as the seed sends it (no summaries, no questions): 204."""
        params = {"collection_id": collection_id, "gen_doc_summaries": "false", "gen_doc_questions": "false"}
        self._call("POST", f"{V1}/uploads/{quote(upload_id, safe='')}/ingest", (200, 204), params=params)

    def wait_for_documents(self, collection_id: str, count: int, *, timeout: float = 120.0) -> PollResult:
        """Poll the collection until it holds ``count`` documents (its ``document_count`` never going down).

        The progress is the share of the documents still missing at the first poll that have arrived since: a
        collection that already held 9 of 10 is not a job 90 % done.
        """
        first: list[int] = []

        def fetch() -> JobStatus:
            have = int(self.get_collection(collection_id)["document_count"])
            if not first:
                first.append(have)
            progress = 1.0 if have >= count else max(have - first[0], 0) / (count - first[0])
            return JobStatus(state=f"{have}/{count} documents", progress=progress, final=have >= count)

        return wait_for_job(fetch, timeout=timeout, what=f"ingestion into collection {collection_id}")

    # chats and completions
    def create_chat(self, collection_id: str | None = None) -> dict[str, Any]:
        """POST /api/v1/chats (with ``?collection_id=`` for a RAG session): the ChatSession."""
        params = {"collection_id": collection_id} if collection_id else None
        return dict(self._json("POST", f"{V1}/chats", (201,), json={}, params=params))

    def get_chat(self, session_id: str) -> dict[str, Any]:
        """GET /api/v1/chats/{id}."""
        return dict(self._json("GET", f"{V1}/chats/{quote(session_id, safe='')}"))

    def delete_chat(self, session_id: str, *, missing_ok: bool = False) -> int:
        """DELETE /api/v1/chats/{id}: the status (204; 404 too with ``missing_ok``)."""
        expect = (200, 204, 404) if missing_ok else (200, 204)
        return self._call("DELETE", f"{V1}/chats/{quote(session_id, safe='')}", expect).status_code

    def complete(self, session_id: str, payload: dict[str, Any], *, timeout: float = 360.0) -> dict[str, Any]:
        """POST /api/v1/chats/{id}/completions without streaming: ``{message_id, body}``."""
        body = {**payload, "stream": False}
        path = f"{V1}/chats/{quote(session_id, safe='')}/completions"
        return dict(self._json("POST", path, json=body, timeout=timeout))

    def stream(
        self, session_id: str, payload: dict[str, Any], *, deadline: float | None = None
    ) -> contextlib.AbstractContextManager[JsonlStream]:
        """POST /api/v1/chats/{id}/completions with ``stream: true``: an open, timed JSONL reader, ended after
        ``deadline`` seconds (default: the run's stream deadline, else 180 s: an agent's answer may take long)."""
        path = f"{V1}/chats/{quote(session_id, safe='')}/completions"
        deadline = deadline or stream_deadline(180.0)
        return open_stream(
            self.http, "POST", path, reader=JsonlStream, json={**payload, "stream": True}, deadline=deadline
        )

    def messages(self, session_id: str, *, offset: int = 0, limit: int = 20) -> list[dict[str, Any]]:
        """GET /api/v1/chats/{id}/messages."""
        params = {"offset": offset, "limit": limit}
        return list(self._json("GET", f"{V1}/chats/{quote(session_id, safe='')}/messages", params=params))

    def questions(self, session_id: str, limit: int = 5) -> list[dict[str, Any]]:
        """GET /api/v1/chats/{id}/questions."""
        return list(self._json("GET", f"{V1}/chats/{quote(session_id, safe='')}/questions", params={"limit": limit}))

    def meta(self, message_id: str, info_type: str | None = None) -> list[dict[str, Any]]:
        """GET /api/v1/messages/{id}/meta[?info_type=]."""
        params = {"info_type": info_type} if info_type else None
        return list(self._json("GET", f"{V1}/messages/{quote(message_id, safe='')}/meta", params=params))

    def references(self, message_id: str) -> list[dict[str, Any]]:
        """GET /api/v1/messages/{id}/references."""
        return list(self._json("GET", f"{V1}/messages/{quote(message_id, safe='')}/references"))

    def control(self, question_id: str, verb: str) -> None:
        """POST /api/v1/messages/{question_id}/{pause|resume|stop|finish}: 204."""
        if verb not in CONTROL_VERBS:
            raise ValueError(f"verb must be one of {', '.join(CONTROL_VERBS)}, got {verb!r}")
        self._call("POST", f"{V1}/messages/{quote(question_id, safe='')}/{verb}", (204,))

    # agent files
    def agent_files(self, session_id: str) -> list[dict[str, Any]]:
        """GET /api/v1/chats/{id}/agent_server_files."""
        return list(self._json("GET", f"{V1}/chats/{quote(session_id, safe='')}/agent_server_files"))

    def delete_agent_files(self, session_id: str) -> int:
        """DELETE /api/v1/chats/{id}/agent_server_files: the status."""
        path = f"{V1}/chats/{quote(session_id, safe='')}/agent_server_files"
        return self._call("DELETE", path, (200, 204)).status_code

    def directory_stats(self, session_id: str, detail_level: int = 1) -> list[dict[str, Any]]:
        """GET /api/v1/chats/{id}/agent_server_directories/stats."""
        path = f"{V1}/chats/{quote(session_id, safe='')}/agent_server_directories/stats"
        return list(self._json("GET", path, params={"detail_level": detail_level}))

    def download(self, doc_id: str, name: str) -> bytes:
        """GET /file?id=&name=: an agent file's bytes."""
        return self._call("GET", "/file", params={"id": doc_id, "name": name}).content

    # memory blocks
    def create_memory_block(self, body: dict[str, Any]) -> dict[str, Any]:
        """POST /api/v1/memory_blocks: 201 MemoryBlock."""
        return dict(self._json("POST", f"{V1}/memory_blocks", (201,), json=body))

    def get_memory_block(self, block_id: str) -> dict[str, Any]:
        """GET /api/v1/memory_blocks/{id}."""
        return dict(self._json("GET", f"{V1}/memory_blocks/{quote(block_id, safe='')}"))

    def list_memory_blocks(self, **params: Any) -> dict[str, Any]:
        """GET /api/v1/memory_blocks: ``{items, total}``."""
        return dict(self._json("GET", f"{V1}/memory_blocks", params=params))

    def update_memory_block(self, block_id: str, changes: dict[str, Any]) -> None:
        """PUT /api/v1/memory_blocks/{id}: 204."""
        self._call("PUT", f"{V1}/memory_blocks/{quote(block_id, safe='')}", (200, 204), json=changes)

    def delete_memory_block(self, block_id: str, *, missing_ok: bool = False) -> int:
        """DELETE /api/v1/memory_blocks/{id}: the status."""
        expect = (200, 204, 404) if missing_ok else (200, 204)
        return self._call("DELETE", f"{V1}/memory_blocks/{quote(block_id, safe='')}", expect).status_code

    # OpenAI-compatible
    def openai_stream(
        self, path: Literal["chat/completions", "responses"], body: dict[str, Any], *, deadline: float | None = None
    ) -> contextlib.AbstractContextManager[SseStream]:
        """POST /openai_api/v1/{chat/completions|responses} with ``stream: true``: an open, timed SSE reader, ended
        after ``deadline`` seconds (default: the run's stream deadline, else 120 s)."""
        reader: type[SseStream] = ResponsesStream if path == "responses" else ChatCompletionStream
        url = f"/openai_api/v1/{path}"
        deadline = deadline or stream_deadline(120.0)
        return open_stream(self.http, "POST", url, reader=reader, json={**body, "stream": True}, deadline=deadline)
