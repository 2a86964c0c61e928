"""Real ids for a contract run: what the contract's id-taking operations name, made on the target.

A generated ``collection_id`` (``""``, ``"0"``, ``"aZ3"``) names nothing. Where the operation documents a 404
the server answers that, and a positive case conforms without its success answer ever being checked; where it
does not (the 16 ``/ingest/*`` operations, ``POST /shared_chats``) the server refuses the unknown id with the
documented 400, and positive_data_acceptance counts a schema-valid request rejected: the harness's fault, not
the API's. So before an operation's cases run, ``IdFeed.ensure`` makes on the target a collection holding one
ingested document, a chat session on it with one answered question, a memory block, a remote-MCP custom tool, a
custom agent and a spare upload, and reads a listed model's name and the current user's username and id; then
(``MAKERS``) an extractor, a prompt template, a role the current user holds, a permission, a group, a secret, a
shared chat and its showcase tile, an API key of the current user, an agent key, a tag on the document, a process
job with the summary it writes, the collection's knowledge graph, a chunk of the document, the chat's agent server
directory (an agent answer's file), a library MCP and a library skill (``SweepIds``), each only where an operation
the run tests names it (``wanted``): a default run publishes no showcase tile or library item on a shared server.
``IdFeed.fill`` then, just before a positive case is sent:

- always puts the collection and chat session into its query and top-level body fields of those names (without
  them the ``/ingest/*`` cases are refused);
- in every other positive case an operation's test draws (``fed_draw`` remembers which, so hypothesis replays a
  failing case the same way), puts every real id it has into the path parameters, query and body fields of its
  name, as the string or the array of one its schema takes (a field that takes neither keeps its drawn value).
  The other half keeps the drawn ids, so the 404 an unknown id gets stays tested.

Negative cases are left as drawn (their violation may be the id itself). A fed case that changed something
(a non-GET answered 2xx) may have deleted what it named: the next case first makes again whatever is gone.

The ids go in at send time, not through schema hooks as H2O-3's keys do: the coverage phase's cases are planned
(``h2oharness.pytest_plugin.lazycoverage``) before the first test makes anything, and a hook offering the real
id next to the drawn one would leave the drawn one to fail.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import quote

import httpx

from h2oharness.apis.h2ogpte import payloads
from h2oharness.apis.h2ogpte.client import H2OGPTeClient
from h2oharness.contractplan import ExtraCase, fed_draw

__all__ = ["ALWAYS", "IdFeed", "PathList", "SweepIds", "filled", "filled_path", "wanted"]

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
    "usernames": "username",
    "answer_id": "message",
    "user_id": "user",
    "extractor_id": "extractor",
    "prompt_template_id": "prompt_template",
    "role_id": "role",
    "role_ids": "role",
    "role_names": "role_name",
    "group_id": "group",
    "group_ids": "group",
    "secret_id": "secret",
    "shared_chat_id": "shared_chat",
    "showcase_id": "showcase",
    "key_id": "api_key",
    "key_ids": "agent_key",
    "tag_name": "tag",
    "job_id": "job",
    "summary_id": "summary",
    "summary_ids": "summary",
    "mcp_id": "mcp",
    "skill_id": "skill",
    "chunk_ids": "chunk",
    "directory_name": "directory",
    # what a role grants and a group holds: a permission of the system's, the feed's role (on the feed's own role
    # and group, both deleted at the end)
    "permission_name": "permission",
    "new_permissions": "permission",
    "new_roles": "role_name",
}
#: parameters whose name alone says too little (``id``), by operation: the parameter -> the SweepIds field
OPERATION_NAMES: dict[tuple[str, str], dict[str, str]] = {
    # a file to download: the feed's document (any name: it is saved under the one asked for)
    ("GET", "/file"): {"id": "document"},
    # an upload to delete: the feed's spare upload, made again after (as after an ingestion)
    ("DELETE", "/rpc/fs"): {"id": "upload"},
    # the feed's chat's agent directory (made again after); elsewhere session_ids deletes chats (/chats/delete_job)
    ("DELETE", "/api/v1/chats/{session_ids}/agent_server_directories"): {"session_ids": "chat_session"},
    # an agent key given to a custom agent (elsewhere ``key_id`` is an admin's API key)
    ("POST", "/api/v1/agents/custom_agent_key_associations"): {"key_id": "agent_key"},
    # a library item to star and unstar: the feed's library skill
    **{
        (method, "/api/v1/agents/library/{item_kind}/{item_id}/star"): {"item_kind": "item_kind", "item_id": "skill"}
        for method in ("POST", "DELETE")
    },
}
#: operations left as drawn: an admin's ``session_id`` is a login session, not a chat; a model's self test
#: benchmarks a live server's LLM; a feedback export's and a "user job"'s ``job_id`` are other kinds of job than
#: the process job the feed makes (``/jobs/{job_id}``)
LEFT_DRAWN = (
    "/api/v1/admin/sessions",
    "/api/v1/models/{model_name}/self_test",
    "/api/v1/question_answer_feedbacks/export/",
    "/api/v1/user_jobs/",
)
#: single operations left as drawn: this one takes every role from the feed's user, the harness's own
LEFT_DRAWN_OPERATIONS = frozenset({("DELETE", "/api/v1/users/{user_id}/roles")})
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
    user: str | None = None
    extractor: str | None = None
    prompt_template: str | None = None
    role: str | None = None
    role_name: str | None = None
    group: str | None = None
    secret: str | None = None
    shared_chat: str | None = None
    showcase: str | None = None
    api_key: str | None = None
    agent_key: str | None = None
    tag: str | None = None
    job: str | None = None
    summary: str | None = None
    mcp: str | None = None
    skill: str | None = None
    #: the collection whose knowledge graph is built (the feed's collection), for GET and DELETE /graph/{id}
    graph: str | None = None
    #: a chunk of the feed's document (chunks are numbered from 1 in their collection)
    chunk: str | None = None
    #: the agent server directory of the feed's chat session (the files an agent answer wrote)
    directory: str | None = None
    #: a permission the system has (the first GET /permissions lists), by name
    permission: str | None = None
    #: the kind of library item ``skill`` is, where a path names an item by kind and id
    item_kind: str = "skill"

    def value(self, name: str, names: dict[str, str] | None = None) -> str | None:
        """The real id for a parameter or field called ``name`` (in an operation of its own ``names``), or None."""
        field = (names or {}).get(name) or NAMES.get(name)
        return None if field is None else getattr(self, field)


#: whether a query or body with the named field set to a real id is one its schema takes
Accepts = Callable[[dict[str, Any], str], bool]


def filled(
    ids: SweepIds,
    drawn: Any,
    names: frozenset[str] | None = None,
    accepts: Accepts | None = None,
    own: dict[str, str] | None = None,
) -> Any:
    """``drawn`` (a query or a JSON body) with every id it carries by one of ``names`` (default: all known)
    replaced, as a string or as an array of one (``upload_ids``), whichever ``accepts`` takes (by default: the
    drawn value's own type); None if none is. ``own`` names the operation's own parameters (OPERATION_NAMES).
    A field whose schema takes neither keeps its drawn value: a string written over a number or an object would
    make the case negative once schemathesis revalidates it."""
    if not isinstance(drawn, dict):
        return None
    out = dict(drawn)
    for name in drawn:
        value = ids.value(name, own) if names is None or name in names else None
        if value is None:
            continue
        for candidate in (value, [value]):
            changed = {**out, name: candidate}
            if (accepts or _same_types(drawn))(changed, name):
                out = changed
                break
    return None if out == drawn else out


def _same_types(drawn: dict[str, Any]) -> Accepts:
    # without a schema: a string goes where a string was drawn, a list where a list was
    def shape(value: Any) -> type | None:
        return str if isinstance(value, str) else list if isinstance(value, list) else None

    return lambda changed, name: shape(drawn[name]) is not None and shape(changed[name]) == shape(drawn[name])


def accepts(operation: Any, part: str, media_type: str | None) -> Accepts | None:
    """What the operation's schema takes: for its query, the changed parameter's; for its JSON body, the whole
    body's (a field's schema may be a ``$ref``). None when the operation carries no such schema (a stand-in's).

    A query is checked a parameter at a time: the other drawn values may hold only in their wire form (``"true"``
    for a boolean), which schemathesis also accepts when it revalidates."""
    if part == "query" and hasattr(operation, "query"):
        declared = {parameter.name: parameter for parameter in operation.query}
        return lambda changed, name: name not in declared or _holds(declared[name], changed[name])
    bodies = [b for b in getattr(operation, "body", None) or [] if media_type in (None, b.media_type)]
    if part == "body" and bodies:
        return lambda changed, name: _holds(bodies[0], changed)
    return None


class PathList(list[str]):
    """An array path parameter's value (``{upload_ids}`` of ``/ingest/job``): a list to the schema, its items
    comma-joined in the path."""

    def __str__(self) -> str:
        return ",".join(self)

    def __format__(self, spec: str) -> str:
        return str(self)


class PathInts(list[int]):
    """An array of integers as a path parameter (``{chunk_ids}``): a list to the schema, comma-joined in the path."""

    def __str__(self) -> str:
        return ",".join(map(str, self))

    def __format__(self, spec: str) -> str:
        return str(self)


def filled_path(ids: SweepIds, operation: Any, drawn: Any, own: dict[str, str] | None = None) -> Any:
    """``drawn`` path parameters with each real id its parameter's schema takes (a string, or an array of one);
    None if none is. Percent-encoded, as schemathesis encodes the drawn ones (a model's name has a ``/``).

    A value the schema refused would make schemathesis call the case negative once it is changed (it
    revalidates a changed part), and a negative case's 2xx counts for nothing.
    """
    if not isinstance(drawn, dict):
        return None
    out = dict(drawn)
    for parameter in operation.path_parameters:
        value = ids.value(parameter.name, own)
        if value is None or parameter.name not in drawn:
            continue
        encoded = quote(value, safe="")
        # an array of integers (chunk_ids) takes the id as a number
        numbers = [PathInts([int(value)])] if value.isdigit() else []
        valid = [v for v in (encoded, PathList([encoded]), *numbers) if parameter.is_valid(v)]
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
        #: the MAKERS fields the tested operations name (None: all): a default run makes no showcase tile, library
        #: skill or admin key on a shared server when none of its operations takes one
        self._wanted: frozenset[str] | None = None

    def install(self, schema: Any) -> None:
        """No hooks (the ids go in at send time, ``fill``): which optional ids the run's operations name."""
        self._wanted = wanted(schema)

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
        for maker in MAKERS:
            if self._wanted is None or maker.field in self._wanted:
                ids = self._keep(http, ids, maker, name, trash)
        return ids

    def _keep(self, http: httpx.Client, ids: SweepIds, maker: Maker, name: str, trash: list[str]) -> SweepIds:
        """``ids`` with ``maker``'s thing made again if it is gone (or was never made)."""
        current = getattr(ids, maker.field)
        if current is not None and maker.present(http, ids):
            return ids
        made = self._try(maker.field, lambda: maker.make(http, ids, name))
        if made is None:
            gone: dict[str, Any] = dict.fromkeys(maker.fields)
            return replace(ids, **gone)
        ids = replace(ids, **made)
        # a thing kept and only set up again (a role given back to the user) is in the trash already
        path = maker.trash(ids) if maker.trash is not None else None
        trash.extend([path] if path is not None and path not in trash else [])
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
        operation = (case.operation.method.upper(), case.operation.path)
        every = every and not case.operation.path.startswith(LEFT_DRAWN) and operation not in LEFT_DRAWN_OPERATIONS
        names = None if every else ALWAYS
        own = OPERATION_NAMES.get(operation) if every else None
        for part in ("query", "body"):
            check = accepts(case.operation, part, getattr(case, "media_type", None))
            out = filled(self.keys, getattr(case, part), names, check, own)
            if out is not None:
                setattr(case, part, out)
        path = filled_path(self.keys, case.operation, case.path_parameters, own) if every else None
        if path is not None:
            case.path_parameters = path
        self._mutating = every and case.operation.method.upper() != "GET"
        if self._mutating and ("{upload_ids}" in case.operation.path or operation == ("DELETE", "/rpc/fs")):
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
        """Delete everything made from the target, newest first (a showcase tile before its shared chat...)."""
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


def _json(answer: httpx.Response) -> Any:
    answer.raise_for_status()
    return answer.json()


def _listed(http: httpx.Client, path: str, key: str, value: str | None) -> bool:
    """Whether the list at ``path`` (a JSON array, or an object of arrays) has an item whose ``key`` is ``value``."""
    try:
        answer = http.get(path)
        body = answer.json() if answer.status_code == 200 else []
    except (httpx.HTTPError, ValueError):
        return False
    groups = body.values() if isinstance(body, dict) else [body]
    items = [item for group in groups if isinstance(group, list) for item in group if isinstance(item, dict)]
    return any(str(item.get(key)) == value for item in items)


@dataclass(frozen=True)
class Maker:
    """How one optional id is made on the target, looked for, and deleted at the end."""

    #: the SweepIds fields ``make`` returns (the first one is the id)
    fields: tuple[str, ...]
    make: Callable[[httpx.Client, SweepIds, str], dict[str, str]]
    present: Callable[[httpx.Client, SweepIds], bool]
    trash: Callable[[SweepIds], str] | None = None
    #: the other MAKERS fields ``make`` reads (a showcase tile shows a shared chat)
    needs: tuple[str, ...] = ()

    @property
    def field(self) -> str:
        return self.fields[0]


#: operations whose path alone names an optional thing (a collection's graph, by the collection's id)
PATH_WANTS = {"/api/v1/graph/{collection_id}": "graph"}


def wanted(schema: Any) -> frozenset[str]:
    """The MAKERS fields the operations ``schema`` tests name (their path and query parameters, their body's top-level
    fields), with what making them needs."""
    fields: set[str] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {parameter.name for parameter in (*operation.path_parameters, *operation.query)}
        for body in operation.body:
            resolved = body.resolved_schema if isinstance(body.resolved_schema, dict) else {}
            names |= set(resolved.get("properties") or {})
        # a name this operation takes in its own sense (``key_id``: an agent key here, an API key elsewhere)
        own = OPERATION_NAMES.get((operation.method.upper(), operation.path), {})
        fields |= {own.get(name) or NAMES.get(name, name) for name in names}
        fields |= {field for prefix, field in PATH_WANTS.items() if operation.path.startswith(prefix)}
    for maker in reversed(MAKERS):  # a maker's needs come before it
        if maker.field in fields:
            fields |= set(maker.needs)
    return frozenset(fields & {field for maker in MAKERS for field in maker.fields})


def _user(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    # the current user's own id: the one user an API key is sure to be allowed to read and change
    users = _json(http.get("/api/v1/users", params={"limit": 1000}))
    return {"user": next(str(u["id"]) for u in users if u.get("username") == ids.username)}


def _extractor(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    body = {"name": name, "description": "made by h2oharness", "llm": ids.model or "", "schema": ""}
    return {"extractor": str(_json(http.post("/api/v1/extractors", json=body))["id"])}


def _prompt_template(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    body = {"name": name, "description": "made by h2oharness"}
    return {"prompt_template": str(_json(http.post("/api/v1/prompt_templates", json=body))["id"])}


def _role(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    """A role (with no permissions) given to the current user, so taking it away by its name has one to take."""
    role = ids.role
    if role is None or not _found(http, f"/api/v1/roles/{role}"):
        role = str(_json(http.post("/api/v1/roles", json={"name": name, "description": "made by h2oharness"}))["id"])
        name = str(_json(http.get(f"/api/v1/roles/{role}")).get("name") or name)
    else:
        name = ids.role_name or name
    if ids.user is not None:
        http.put(f"/api/v1/users/{ids.user}/roles/{quote(name, safe='')}").raise_for_status()
    return {"role": role, "role_name": name}


def _role_held(http: httpx.Client, ids: SweepIds) -> bool:
    if not _found(http, f"/api/v1/roles/{ids.role}"):
        return False
    # a user's role is listed as the client's UserRole, by its own id and name (the contract's RoleInfo); the name
    # alone is enough too, for a server whose listing ids differ from GET /roles/{id}'s (a guess: no real server here)
    return ids.user is None or any(
        _listed(http, f"/api/v1/users/{ids.user}/roles", key, value)
        for key, value in (("id", ids.role), ("name", ids.role_name))
    )


def _permission(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    return {"permission": str(_json(http.get("/api/v1/permissions"))[0]["name"])}


def _group(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    made = _json(http.post("/api/v1/groups", json={"name": name, "description": "made by h2oharness"}))
    return {"group": str(made["id"])}


def _secret(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    body = {"secret_id": name, "secret_value": {"value": "h2oharness"}}
    return {"secret": str(_json(http.post("/api/v1/secrets", json=body))["id"])}


def _shared_chat(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    # the answer is a link; the shared chat's id is its last segment (as the official client reads it)
    made = _json(http.post("/api/v1/shared_chats", json={"chat_session_id": ids.chat_session}))
    return {"shared_chat": str(made["relative_path"]).rstrip("/").rsplit("/", 1)[-1]}


def _showcase(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    if ids.shared_chat is None:
        raise LookupError("no shared chat to showcase")
    body = {"shared_chat_id": ids.shared_chat, "title": name, "description": "made by h2oharness"}
    return {"showcase": str(_json(http.post("/api/v1/showcase", json=body))["id"])}


def _api_key(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    if ids.user is None:
        raise LookupError("no user to make a key for")
    made = _json(http.post("/api/v1/admin/api_keys", json={"user_id": ids.user, "name": name}))
    return {"api_key": str(made["api_key"]["id"])}


def _agent_key(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    body = {"name": name, "type": "private", "value": "h2oharness", "description": "made by h2oharness"}
    return {"agent_key": str(_json(http.post("/api/v1/agents/keys", json=body))["id"])}


def _tag(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    # a tag on the feed's document, so removing it from the document (by its name) has something to remove
    if ids.document is None:
        raise LookupError("no document to tag")
    made = _json(http.post(f"/api/v1/documents/{ids.document}/tags", json={"name": name}))
    return {"tag": str(made.get("name") or name)}


def _summary(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    """A process job's id and the summary it writes of the feed's document (waited for: its GET 404s before)."""
    if ids.document is None:
        raise LookupError("no document to summarize")
    summary = f"{name}_summary"
    job = _json(http.post("/api/v1/documents/process_job", json={"document_id": ids.document, "summary_id": summary}))
    deadline = time.monotonic() + INGEST_TIMEOUT
    while time.monotonic() < deadline and http.get(f"/api/v1/document_summaries/{summary}").status_code != 200:
        time.sleep(0.1)
    return {"job": str(job["id"]), "summary": summary}


def _graph(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    """The feed's collection's knowledge graph, built and waited for (its GET 404s before)."""
    http.post(f"/api/v1/graph/{ids.collection}/build", json={"force_rebuild": False}).raise_for_status()
    deadline = time.monotonic() + INGEST_TIMEOUT
    while not _found(http, f"/api/v1/graph/{ids.collection}"):
        if time.monotonic() >= deadline:
            raise LookupError("the graph build did not end in time")
        time.sleep(0.1)
    return {"graph": ids.collection}


def _chunk(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    """The first chunk of the feed's document, by its number in the collection."""
    chunks = _json(http.get(f"/api/v1/documents/{ids.document}/chunks", params={"collection_id": ids.collection}))
    return {"chunk": str(chunks[0]["id"])}


def _directory(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    """The feed's chat session's agent server directory: an agent answer in the chat writes a file there."""
    body = {"message": f"Write {name}.md", "llm_args": {"use_agent": True}, "stream": False}
    answer = http.post(f"/api/v1/chats/{ids.chat_session}/completions", json=body, timeout=INGEST_TIMEOUT)
    answer.raise_for_status()
    listed = _json(http.get(f"/api/v1/chats/{ids.chat_session}/agent_server_directories/stats"))
    return {"directory": str(listed[0]["id"])}


def _mcp(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    config = {"name": name, "description": "made by h2oharness", "type": "api_app", "mcp_config_json": {}}
    made = _json(http.post("/api/v1/agents/builtin_mcps/admin", data={"mcp_config": json.dumps(config)}))
    return {"mcp": str(made["mcp_id"])}


def _skill(http: httpx.Client, ids: SweepIds, name: str) -> dict[str, str]:
    front = f"---\nname: {name}\ndescription: made by h2oharness\n---\nSay hello.\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("SKILL.md", front)
    made = _json(http.post("/api/v1/agents/builtin_skills/admin", files={"file": (f"{name}.zip", out.getvalue())}))
    return {"skill": str(made[0]["skill_id"])}


def _at(template: str) -> Callable[[SweepIds], str]:
    return lambda ids: template.format(ids=ids)


def _gets(template: str) -> Callable[[httpx.Client, SweepIds], bool]:
    return lambda http, ids: _found(http, template.format(ids=ids))


#: the optional ids after the collection, chat, document and model, in the order they depend on each other
MAKERS = (
    Maker(("user",), _user, _gets("/api/v1/users/{ids.user}")),
    Maker(
        ("extractor",),
        _extractor,
        _gets("/api/v1/extractors/{ids.extractor}"),
        _at("/api/v1/extractors/{ids.extractor}"),
    ),
    Maker(
        ("prompt_template",),
        _prompt_template,
        _gets("/api/v1/prompt_templates/{ids.prompt_template}"),
        _at("/api/v1/prompt_templates/{ids.prompt_template}"),
    ),
    Maker(("role", "role_name"), _role, _role_held, _at("/api/v1/roles/{ids.role}"), needs=("user",)),
    Maker(("permission",), _permission, lambda http, ids: _listed(http, "/api/v1/permissions", "name", ids.permission)),
    Maker(
        ("group",),
        _group,
        lambda http, ids: _listed(http, "/api/v1/groups", "id", ids.group),
        _at("/api/v1/groups/{ids.group}"),
    ),
    Maker(("secret",), _secret, _gets("/api/v1/secrets/{ids.secret}"), _at("/api/v1/secrets/{ids.secret}")),
    Maker(
        ("shared_chat",),
        _shared_chat,
        _gets("/api/v1/shared_chats/{ids.shared_chat}"),
        _at("/api/v1/shared_chats/{ids.shared_chat}"),
    ),
    Maker(
        ("showcase",),
        _showcase,
        lambda http, ids: _listed(http, "/api/v1/showcase", "id", ids.showcase),
        _at("/api/v1/showcase/{ids.showcase}"),
        needs=("shared_chat",),
    ),
    Maker(
        ("api_key",),
        _api_key,
        lambda http, ids: _listed(http, "/api/v1/admin/api_keys", "id", ids.api_key),
        _at("/api/v1/admin/api_keys/{ids.api_key}"),
        needs=("user",),
    ),
    Maker(
        ("agent_key",),
        _agent_key,
        lambda http, ids: _listed(http, "/api/v1/agents/keys", "id", ids.agent_key),
        _at("/api/v1/agents/keys/{ids.agent_key}"),
    ),
    Maker(
        ("tag",),
        _tag,
        lambda http, ids: _listed(
            http, f"/api/v1/tags/{ids.tag}/documents?collection_id={ids.collection}", "id", ids.document
        ),
        _at("/api/v1/tags/{ids.tag}"),
    ),
    Maker(
        ("job", "summary"),
        _summary,
        lambda http, ids: (
            _found(http, f"/api/v1/jobs/{ids.job}") and _found(http, f"/api/v1/document_summaries/{ids.summary}")
        ),
        _at("/api/v1/documents/summaries/{ids.summary}"),
    ),
    Maker(("graph",), _graph, _gets("/api/v1/graph/{ids.collection}")),
    Maker(("chunk",), _chunk, _gets("/api/v1/collections/{ids.collection}/chunks/{ids.chunk}")),
    Maker(
        ("directory",),
        _directory,
        _gets("/api/v1/chats/{ids.chat_session}/agent_server_directories/{ids.directory}/stats"),
    ),
    Maker(
        ("mcp",),
        _mcp,
        lambda http, ids: _listed(http, "/api/v1/agents/builtin_mcps", "id", ids.mcp),
        _at("/api/v1/agents/builtin_mcps/admin/{ids.mcp}"),
    ),
    Maker(
        ("skill",),
        _skill,
        _gets("/api/v1/agents/builtin_skills/{ids.skill}/download"),
        _at("/api/v1/agents/builtin_skills/admin/{ids.skill}"),
    ),
)
