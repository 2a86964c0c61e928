"""Real ids for a contract run: what the contract's id-taking operations name, made on the target.

A generated ``collection_id`` (``""``, ``"0"``, ``"aZ3"``) names nothing. Where the operation documents a 404
the server answers that, and a positive case conforms without its success answer ever being checked; where it
does not (the 16 ``/ingest/*`` operations, ``POST /shared_chats``) the server refuses the unknown id with the
documented 400, and positive_data_acceptance counts a schema-valid request rejected: the harness's fault, not
the API's. So before an operation's cases run, ``IdFeed.ensure`` makes on the target a collection holding one
ingested document, a chat session on it with one answered question, a memory block, a remote-MCP custom tool, a
custom agent and a spare upload, and reads a listed model's name and the current user's username
(``SweepIds``). ``IdFeed.fill`` then, just before a positive case is sent:

- always puts the collection and chat session into its query and top-level body fields of those names (without
  them the ``/ingest/*`` cases are refused);
- in every other positive case an operation's test draws (``fed_draw`` remembers which, so hypothesis replays a
  failing case the same way), puts every real id it has into the path parameters, query and body fields of its
  name. The other half keeps the drawn ids, so the 404 an unknown id gets stays tested.

Negative cases are left as drawn (their violation may be the id itself). A fed case that changed something
(a non-GET answered 2xx) may have deleted what it named: the next case first makes again whatever is gone.

The ids go in at send time, not through schema hooks as H2O-3's keys do: the coverage phase's cases are planned
(``h2oharness.pytest_plugin.lazycoverage``) before the first test makes anything, and a hook offering the real
id next to the drawn one would leave the drawn one to fail.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import httpx

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.contractplan import ExtraCase, fed_draw

__all__ = ["ALWAYS", "IdFeed", "PathList", "SweepIds", "filled", "filled_path"]

#: the field of ``SweepIds`` each parameter name takes its value from
NAMES = {
    "collection_id": "collection",
    "session_id": "chat_session",
    "chat_session_id": "chat_session",
    "document_id": "document",
    "message_id": "message",
    "question_id": "question",
    "memory_block_id": "memory_block",
    "tool_id": "tool",
    "agent_id": "agent",
    "upload_ids": "upload",
    "model": "model",
    "model_name": "model",
    "username": "username",
}
#: operations left as drawn: an admin's ``session_id`` is a login session, not a chat; a model's self test
#: benchmarks a live server's LLM
LEFT_DRAWN = ("/api/v1/admin/sessions", "/api/v1/models/{model_name}/self_test")
#: filled in every positive case's query and body, fed or not: an unknown one is a 400, not a documented 404
ALWAYS = frozenset({"collection_id", "chat_session_id"})
INGEST_TIMEOUT = 120.0


@dataclass(frozen=True)
class SweepIds:
    """What exists on the target for positive cases to name (None: it could not be made)."""

    collection: str
    chat_session: str
    document: str | None = None
    message: str | None = None
    question: str | None = None
    memory_block: str | None = None
    tool: str | None = None
    agent: str | None = None
    upload: str | None = None
    model: str | None = None
    username: str | None = None

    def value(self, name: str) -> str | None:
        """The real id for a parameter or field called ``name``, or None."""
        field = NAMES.get(name)
        return None if field is None else getattr(self, field)


def filled(ids: SweepIds, drawn: Any, names: frozenset[str] | None = None) -> Any:
    """``drawn`` (a query or a JSON body) with every id it carries by one of ``names`` (default: all known)
    replaced; None if none is."""
    if not isinstance(drawn, dict):
        return None
    out = dict(drawn)
    for name in drawn:
        value = ids.value(name) if names is None or name in names else None
        if value is not None:
            out[name] = value
    return None if out == drawn else out


class PathList(list[str]):
    """An array path parameter's value (``{upload_ids}`` of ``/ingest/job``): a list to the schema, its items
    comma-joined in the path."""

    def __str__(self) -> str:
        return ",".join(self)

    def __format__(self, spec: str) -> str:
        return str(self)


def filled_path(ids: SweepIds, operation: Any, drawn: Any) -> Any:
    """``drawn`` path parameters with each real id its parameter's schema takes (a string, or an array of one);
    None if none is. Percent-encoded, as schemathesis encodes the drawn ones (a model's name has a ``/``).

    A value the schema refused would make schemathesis call the case negative once it is changed (it
    revalidates a changed part), and a negative case's 2xx counts for nothing.
    """
    if not isinstance(drawn, dict):
        return None
    out = dict(drawn)
    for parameter in operation.path_parameters:
        value = ids.value(parameter.name)
        if value is None or parameter.name not in drawn:
            continue
        encoded = quote(value, safe="")
        valid = [v for v in (encoded, PathList([encoded])) if parameter.is_valid(v)]
        if valid:
            out[parameter.name] = valid[0]
    # the whole path is revalidated: a drawn value only its wire form holds (chunk_ids' integers as "1,2") would
    # make the changed case negative, so such a path is left as drawn
    if any(not _holds(p, out[p.name]) for p in operation.path_parameters if p.name in out):
        return None
    return None if out == drawn else out


def _holds(parameter: Any, value: Any) -> bool:
    # a str subclass (schemathesis' EncodedPath) is refused by the validator as a type: checked as the text it is
    plain = str(value) if isinstance(value, str) else value
    try:
        return bool(parameter.is_valid(plain))
    except ValueError:
        return False


class IdFeed:
    """The ids the positive cases get, kept present on the target; one per session (one per xdist worker)."""

    def __init__(self) -> None:
        #: the ids on the target the current case goes to
        self.keys: SweepIds | None = None
        self.error: str | None = None
        #: why an optional id could not be made (by SweepIds field): its parameters go out as drawn
        self.missing: dict[str, str] = {}
        # per target URL: a session may test the mock and a live server in turn
        self._made: dict[str, SweepIds] = {}
        # everything made per target URL, deleted at the end (a remade collection leaves the old id here)
        self._trash: dict[str, list[str]] = {}
        self._http: httpx.Client | None = None
        self._tag = ""
        self._count = 0
        # the last case was fed and not a GET: its 2xx answer may have deleted what it named
        self._mutating = False
        self._upload_used = False
        self._dirty = False
        # per drawn case of the current test: whether it is fed (the first, third... new case is)
        self._chosen: dict[str, bool] = {}

    def install(self, schema: Any) -> None:
        """Nothing to register: the ids go in at send time (``fill``)."""

    def ensure(self, http: httpx.Client, tag: str) -> None:
        """Make what is missing (first use, a case deleted it, a restart lost it)."""
        self._http, self._tag = http, tag
        self._chosen = {}
        self._refresh(http)

    def _refresh(self, http: httpx.Client) -> None:
        url = str(http.base_url)
        self._dirty = False
        old = self._made.get(url)
        try:
            self.keys = self._remake(H2OGPTeClient(http), old)
            self.error = None
            self._made[url] = self.keys
        except Exception as exc:  # any failure: the cases go out as drawn, and the run says why
            self.keys, self.error = None, f"{type(exc).__name__}: {exc}"
            self._made.pop(url, None)

    def _remake(self, client: H2OGPTeClient, old: SweepIds | None) -> SweepIds:
        """``old`` with what is gone from the target made again (all of it when ``old`` is None)."""
        http, trash = client.http, self._trash.setdefault(str(client.http.base_url), [])
        self._count += 1
        name = f"h2oharness_sweep_{self._tag}_{self._count}"
        ids = old
        if ids is None or not _found(http, f"/api/v1/collections/{ids.collection}"):
            collection = client.create_collection(name, "made by h2oharness")
            trash.append(f"/api/v1/collections/{collection['id']}")
            ids = SweepIds(str(collection["id"]), "", username=_text(collection.get("username")))
        if not ids.chat_session or not _found(http, f"/api/v1/chats/{ids.chat_session}"):
            chat = str(client.create_chat(ids.collection)["id"])
            trash.append(f"/api/v1/chats/{chat}")
            ids = replace(ids, chat_session=chat, message=None, question=None)
        if ids.document is None or not _found(http, f"/api/v1/documents/{ids.document}"):
            ids = replace(ids, document=self._try("document", lambda: _document(client, ids.collection, name)))
        if ids.message is None or not _has_messages(http, ids):
            asked = self._try("message", lambda: _question(client, ids.chat_session))
            ids = replace(ids, message=asked and asked[0], question=asked and asked[1])
        if ids.memory_block is None or not _found(http, f"/api/v1/memory_blocks/{ids.memory_block}"):
            block = self._try(
                "memory_block", lambda: str(client.create_memory_block(payloads.memory_block(name))["id"])
            )
            trash.extend([f"/api/v1/memory_blocks/{block}"] if block else [])
            ids = replace(ids, memory_block=block)
        if ids.tool is None or not _found(http, f"/api/v1/agents/custom_tools/{ids.tool}"):
            tool = self._try("tool", lambda: _tool(http, name))
            trash.extend([f"/api/v1/agents/custom_tools/{tool}"] if tool else [])
            ids = replace(ids, tool=tool)
        if ids.agent is None or not _found(http, f"/api/v1/agents/custom_agents/{ids.agent}"):
            agent = self._try("agent", lambda: _agent(http, name))
            trash.extend([f"/api/v1/agents/custom_agents/{agent}"] if agent else [])
            ids = replace(ids, agent=agent)
        if ids.upload is None or self._upload_used:
            # an upload has no GET: one a fed case ingested is replaced, whether or not the server kept it
            self._upload_used = False
            ids = replace(ids, upload=self._try("upload", lambda: str(client.upload(f"{name}.txt", b"x")["id"])))
        if ids.model is None:
            ids = replace(ids, model=self._try("model", lambda: str(client.models()[0]["id"])))
        return ids

    def _try(self, field: str, make: Any) -> Any:
        try:
            made = make()
        except Exception as exc:  # an optional id: its parameters go out as drawn
            self.missing[field] = f"{type(exc).__name__}: {exc}"
            return None
        self.missing.pop(field, None)
        return made

    def fill(self, case: Any) -> None:
        """Put the real ids into a positive case (all of them in the fed half); a negative case is sent as drawn."""
        self._mutating = False
        meta = case.meta
        if meta is None or not meta.generation.mode.is_positive:
            return
        if self._dirty and self._http is not None:
            self._refresh(self._http)
        if self.keys is None:
            return
        every = fed_draw(self._chosen, case)
        every = every and not case.operation.path.startswith(LEFT_DRAWN)
        names = None if every else ALWAYS
        for part in ("query", "body"):
            out = filled(self.keys, getattr(case, part), names)
            if out is not None:
                setattr(case, part, out)
        path = filled_path(self.keys, case.operation, case.path_parameters) if every else None
        if path is not None:
            case.path_parameters = path
        self._mutating = every and case.operation.method.upper() != "GET"
        if self._mutating and "{upload_ids}" in case.operation.path:
            self._upload_used = True

    def extra_cases(self, operation: Any) -> list[ExtraCase]:
        """None: the generated cases are enough."""
        return []

    def note(self, response: Any) -> None:
        """After a fed case that changed something got a 2xx, look again before the next case (it may be gone)."""
        status = getattr(response, "status_code", 0)
        if self._mutating and 200 <= status < 300:
            self._dirty = True
        elif self._mutating:
            self._upload_used = False

    def cancel_started(self, http: httpx.Client) -> None:
        """Nothing to cancel: the ingest jobs positive cases start are left to finish."""

    def remove(self, http: httpx.Client) -> None:
        """Delete what was made from the target (chats, collections with their documents, blocks, tools, agents)."""
        url = str(http.base_url)
        made = self._made.pop(url, None)
        for path in reversed(self._trash.pop(url, [])):
            with contextlib.suppress(httpx.HTTPError):
                http.delete(path)
        if made is not None and self.keys == made:
            self.keys = None


def _text(value: Any) -> str | None:
    return str(value) if value else None


def _found(http: httpx.Client, path: str) -> bool:
    try:
        return http.get(path).status_code == 200
    except httpx.HTTPError:
        return False


def _has_messages(http: httpx.Client, ids: SweepIds) -> bool:
    try:
        answer = http.get(f"/api/v1/chats/{ids.chat_session}/messages", params={"limit": 100})
        listed = {str(m.get("id")) for m in answer.json()} if answer.status_code == 200 else set()
    except (httpx.HTTPError, ValueError, AttributeError, TypeError):
        return False
    return {ids.message, ids.question} <= listed


def _document(client: H2OGPTeClient, collection: str, name: str) -> str:
    upload = str(client.upload(f"{name}.txt", b"h2oharness sweep document\n", "text/plain")["id"])
    client.ingest(upload, collection)
    client.wait_for_documents(collection, 1, timeout=INGEST_TIMEOUT)
    listed = client.http.get(f"/api/v1/collections/{collection}/documents")
    listed.raise_for_status()
    return str(listed.json()[0]["id"])


def _question(client: H2OGPTeClient, chat: str) -> tuple[str, str]:
    """(answer id, question id) of one completion in the chat."""
    answer = str(client.complete(chat, {"message": "hello", "stream": False}, timeout=120.0)["message_id"])
    question = next(str(m["reply_to"]) for m in client.messages(chat, limit=100) if str(m["id"]) == answer)
    return answer, question


def _tool(http: httpx.Client, name: str) -> str:
    # a general_code tool (it has a file to download) that no agent uses unasked: it runs only when chosen
    args = {"tool_name": name, "description": "made by h2oharness", "enable_by_default": False}
    form = {"tool_type": "general_code", "tool_args": json.dumps(args)}
    code = b"def main():\n    return 'h2oharness'\n"
    answer = http.post("/api/v1/agents/custom_tools", data=form, files={"file": (f"{name}.py", code)})
    answer.raise_for_status()
    return str(answer.json()[0]["agent_custom_tool_id"])


def _agent(http: httpx.Client, name: str) -> str:
    form = {"agent_type": "langgraph", "agent_args": "{}", "agent_name": name}
    answer = http.post("/api/v1/agents/custom_agents", data=form, files={"file": ("agent.zip", payloads.tool_zip())})
    answer.raise_for_status()
    return str(answer.json()[0]["agent_custom_agent_id"])
