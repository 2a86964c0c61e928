"""Call every public method of an official client against a served mock and say which ones failed, and why.

The methods come from introspection, not a hand list. Each gets its required arguments from its signature: the id
of an object the same session created earlier (``collection_id`` -> the collection made first; ``forum_id`` -> the
id ``create_forum`` returned; ``id``/``ids`` -> the kind the method's name says), else the first one the client's
``list_<kind>s`` lists (an API key's id, which its creator does not return), the name an object was created with
(``role_name``), else a typed placeholder. Creators run first, deleters last, every call under a deadline.
Imported by ``h2ogpte_official_driver.py`` (run as a script), never by pytest.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import enum
import functools
import inspect
import tempfile
import time
import types
import typing
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

CSV = b"product,revenue\nWidget A,12500\nWidget B,8300\n"
#: how long one call may take before it counts as hung (the mock's jobs end in well under a second)
CALL_TIMEOUT = 20.0

#: methods that cannot apply to a mock by nature, with the reason; counted and printed by the test
EXCLUDED: dict[str, str] = {
    "connect": "opens the /ws WebSocket session; driven by the highlevel flow (session.query) instead",
}

#: a required parameter whose name is not ``<kind>_id`` -> the kind of object whose id it takes (the kind is
#: what a create_*/add_* method names: create_forum_post makes a "forum_post")
KIND_OF = {
    "src_collection_id": "collection",
    "source_collection_id": "collection",
    "target_collection_id": "collection2",
    "message_id": "message",
    "chat_message_id": "message",
    "reply_id": "message",
    "question_id": "question",
    "prompt_id": "prompt_template",
    "assistant_id": "ai_assistant",
    "recipient_assistant_id": "ai_assistant",
    "tool_id": "custom_agent_tool",
    "agent_id": "custom_agent",
    "task_id": "scheduled_task",
    "post_id": "forum_post",
    "group_id": "user_group",
    "role_id": "user_role",
    "key_id": "agent_key",
    "showcase_id": "showcase_chat",
    "mcp_id": "user_builtin_mcp",
    "integration_id": "slack_integration",
    "webhook_id": "assistant_webhook",
    "model_id": "runtime_llm",
}


def kind_of(name: str, ids: Ids) -> str | None:
    """The kind whose id a parameter takes: an alias, or ``<kind>_id`` for a kind the session made or can list."""
    if name in KIND_OF:
        return KIND_OF[name]
    if name.endswith("_id") and (name[:-3] in ids.by_kind or ids.lister(name[:-3]) is not None):
        return name[:-3]
    return None


def singular(word: str) -> str:
    """``summaries`` -> ``summary``, ``groups`` -> ``group``."""
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


def method_kind(method: str) -> str:
    """The kind a method acts on, from its name: ``update_prompt_template``, ``delete_prompt_templates`` ->
    ``prompt_template``."""
    return singular(method.split("_", 1)[-1])


class Ids:
    """What the session created so far, by kind (a create_* method's suffix)."""

    def __init__(self, cls: type | None = None) -> None:
        self.by_kind: dict[str, Any] = {}
        #: the arguments each kind's object was created with (a ``role_name`` is the name a role was made with)
        self.made_with: dict[str, dict[str, Any]] = {}
        #: how to make a fresh object of a kind, so a deleter does not take the one later methods still use
        self.makers: dict[str, Callable[[], Any]] = {}
        #: the client class, whose ``list_<kind>s`` methods find an object the session did not create
        self.cls = cls
        #: how to call a lister (set by the sweep); a lister's own result is checked when the sweep reaches it
        self.find: Callable[[str], Any] | None = None
        self._finding: set[str] = set()

    def lister(self, kind: str) -> str | None:
        """The client's method listing objects of this kind (``list_<kind>s`` or ``list_all_<kind>s``), if any."""
        for name in (f"list_{kind}s", f"list_all_{kind}s"):
            if self.cls is not None and callable(getattr(self.cls, name, None)):
                return name
        return None

    def refresh(self, func: Callable[..., Any]) -> None:
        """Fresh objects for the kinds ``func`` takes, containers first (a new document goes in the new collection)."""
        params = set(inspect.signature(func).parameters)
        for kind in ("collection", "document", "chat_session"):
            if {f"{kind}_id", f"{kind}_ids"} & params and kind in self.makers:
                self.by_kind[kind] = self.makers[kind]()

    def note(self, method: str, result: Any, kwargs: dict[str, Any]) -> None:
        """Remember the id a creating method returned, under the kind its name says, and what it was made with."""
        for prefix in ("create_", "add_", "share_"):
            if method.startswith(prefix):
                kind = method[len(prefix) :]
                found = ident(result)
                if found is not None and kind not in self.by_kind:
                    self.by_kind[kind] = found
                    self.made_with[kind] = kwargs

    def get(self, kind: str) -> Any:
        """The id of this kind: one the session made, else the first its lister lists, else a placeholder no server
        knows."""
        if kind not in self.by_kind and self.find is not None and kind not in self._finding:
            self._finding.add(kind)
            try:
                found = self.find(kind)
            finally:
                self._finding.discard(kind)
            if found is not None:
                self.by_kind[kind] = found
        return self.by_kind.get(kind, f"00000000-0000-4000-8000-{sum(map(ord, kind)):012d}")

    def name(self, kind: str) -> Any:
        """The name the session's object of this kind was created with, or None."""
        given = self.made_with.get(kind, {})
        return given.get("name", given.get(f"{kind}_name"))


def ident(result: Any) -> Any:
    """The id inside a create_* result: a string, an object's ``id``, a dict's ``id``, the first of a list."""
    if isinstance(result, str):
        return result
    if isinstance(result, list | tuple) and result:
        return ident(result[0])
    if isinstance(result, dict):
        # a published MCP is named by its mcp_id (its "id" is a database row's)
        for key in ("mcp_id", "id", "agent_custom_tool_id", "agent_custom_agent_id", "key_id", "agent_key_id"):
            if key in result:
                return result[key]
        return None
    for attr in ("id", "agent_custom_tool_id", "agent_custom_agent_id", "tag_name", "name"):
        value = getattr(result, attr, None)
        if isinstance(value, str):
            return value
    return None


def public_methods(cls: type) -> list[str]:
    """The public callables of a client class, by introspection."""
    return sorted(n for n, v in inspect.getmembers(cls) if not n.startswith("_") and callable(v))


def phase(name: str) -> int:
    """Creators first; then links, readers and updaters; then what undoes a link or a setting (unshare, remove,
    reset...) while its objects still exist; then deleters: parts, documents, chat sessions, and collections last."""
    if name.startswith("add_") and "_to_" in name:
        return 1  # a link (add_role_to_group), made once the objects it links exist
    if name.startswith(("create_", "add_", "share_", "upload")):
        return 0  # share_chat_session makes a shared chat; the other shares are done before their unshare_ too
    if name.startswith(("unshare_", "remove_", "revoke_", "deactivate_", "cancel_", "reset_")):
        return 2
    if name.startswith(("delete_", "confirm_", "bulk_delete_")):
        for rank, word in enumerate(("document", "chat_session", "collection"), start=4):
            if word in name:
                return rank
        return 3
    return 1


#: methods whose signature is ``(*args, **kwargs)``: the method whose parameters they forward to
FORWARDS_TO = {"summarize_document": "process_document"}


#: what the mock's hand-written behaviour must answer, beyond not failing (the session's collection holds an
#: ingested sales.csv and a chat session; other methods may add more)
CHECKS: dict[str, Callable[[Any], bool]] = {
    "count_collections": lambda n: n >= 2,
    "count_documents_in_collection": lambda n: n >= 1,
    "count_documents": lambda n: n >= 1,
    "count_chat_sessions_for_collection": lambda n: n >= 1,
    "list_documents_in_collection": lambda docs: "sales.csv" in [d.name for d in docs],
    "list_chat_sessions_for_collection": lambda sessions: len(sessions) >= 1,
    "get_document": lambda doc: doc.name == "sales.csv",
    "search_chunks": lambda found: bool(found) and "Widget A" in found[0].text,
    "answer_question": lambda answer: "Which product" in answer.content,
    "extract_data": lambda answer: answer.content == ["product,revenue; Widget A,12500"],
    "summarize_content": lambda answer: answer.content.startswith("Summary:"),
    "summarize_document": lambda summary: "sales.csv" in summary.content,
    "delete_collections": lambda job: job.completed,
    "delete_chat_sessions": lambda job: job.completed,
    "delete_documents": lambda job: job.completed,
}


def hints(ids: Ids, scratch: Path) -> dict[str, dict[str, Any]]:
    """Arguments a signature cannot tell: the keys a dict argument must hold, the values a check insists on."""
    from h2ogpte.connectors import SharepointOnlineEntry

    return {
        "add_agent_key": {"agent_keys": [{"name": "HARNESS_KEY", "value": "v", "key_type": "private"}]},
        "assign_agent_key_for_tool": {
            "tool_dict_list": [
                {"tool_dict": {"tool": "python", "keys": [{"name": "HARNESS_KEY", "key_id": ids.get("agent_key")}]}}
            ]
        },
        "create_secret": {"secret": {"secret_id": "harness-secret", "secret_value": {"token": "t"}}},
        # the libraries' predefined entries (a library id is no id of the user's own skills)
        "add_builtin_mcp": {"mcp_id": "playwright_builtin"},
        "install_library_skill": {"skill_id": "pdf"},
        "download_library_skill": {"skill_id": "pdf"},
        "create_user_builtin_mcp": {
            "mcp_config": {"name": "harness", "description": "d", "type": "api_app", "mcp_config_json": {}}
        },
        "update_user_builtin_mcp": {
            "mcp_config": {"name": "harness", "description": "d", "type": "api_app", "mcp_config_json": {}}
        },
        "create_scheduled_task": {
            "name": "harness",
            "schedule_type": "cron",
            "schedule_expression": "0 * * * *",
            "task_type": "chat",
            "message": "Daily summary",
        },
        "add_custom_agent_tool": {"custom_tool_path": str(scratch / "tool.py")},
        "add_custom_agent": {"agent_path": str(scratch / "agent.zip")},
        "inspect_mcp_tool": {"servers": {"harness": {"url": "https://example.com/mcp"}}},
        "set_role_configuration": {"value_type": "string"},
        "ingest_from_sharepoint_online": {"entries": [SharepointOnlineEntry(entry_type="site", object_id="site-1")]},
        "update_collection_rag_type": {"rag_type": "rag"},
        "search_chunks": {"query": "Widget A revenue", "topics": [ids.get("document")]},
        "answer_question": {"question": "Which product sold best?"},
        "extract_data": {"text_context_list": ["product,revenue\nWidget A,12500"]},
        "summarize_content": {"text_context_list": ["Widget A sold best. Widget B came second."]},
    }


def placeholder(name: str, annotation: Any, ids: Ids, scratch: Path, method: str = "") -> Any:
    """A value for a required parameter: a known id or name, else one fitting its name and type."""
    kind = kind_of(name, ids)
    if kind is not None:
        return ids.get(kind)
    if name == "destination_directory":
        return tempfile.mkdtemp(dir=scratch)  # a fresh folder: downloads refuse to overwrite
    if name in ("id", "ids") and method:
        # update_prompt_template(id), delete_prompt_templates(ids): the id of what the method's name says
        found = ids.get(method_kind(method))
        return found if name == "id" else [found]
    if name.endswith("_ids"):
        # key_ids, groups_ids, summaries_ids: a list of the one id of that kind
        stem = name[:-4]
        kind = kind_of(f"{stem}_id", ids) or kind_of(f"{singular(stem)}_id", ids)
        if kind is not None:
            return [ids.get(kind)]
    if name.endswith("_name") and name != "file_name":
        # role_name: the name the session's role was created with
        kind = kind_of(f"{name[:-5]}_id", ids)
        if kind is not None and ids.name(kind) is not None:
            return ids.name(kind)
    if name == "roles":
        # add_role_to_user(user_id, roles) and the like: roles by name, the session's role (an unknown one is a 404)
        return [ids.name("user_role") or "harness-role"]
    by_name = {
        # a permission the mock's system has (mockparts/roles.py PERMISSIONS; an unknown one is a 404)
        "permission_name": "use_agents",
        "permission_names": ["use_agents"],
        "tag_name": ids.by_kind.get("tag", "harness-tag"),
        "tags": ["harness-tag"],
        # the configuration keys set_*_configuration sets and bulk_delete_*/reset_* later remove
        "key_name": "harness-key",
        "key_names": ["harness-key"],
        "keys": ["harness-key"],
        "username": "harness@example.com",
        # reset_and_share_*: users the mock has (an unknown username is a 404, as for share_collection)
        "new_usernames": ["alice@example.com"],
        "url": "https://example.com/page.html",
        "base_url": "https://example.com/v1",
        "uri": "https://example.com/doc.txt",
        "llm": "auto",
        "expiry_date": (datetime.date.today() + datetime.timedelta(days=30)).isoformat(),
        "interval": "1h",
        "file_name": "sales.csv",
        "destination_file_name": "out.bin",
        "file": CSV,
        "file_path": str(scratch / "sales.csv"),
        "logo_path": str(scratch / "logo.png"),
        "skill_path": str(scratch / "skill.zip"),
        "agent_path": str(scratch / "agent.py"),
        "root_dir": str(scratch),
        "glob": "*.csv",
        "format": "csv",
        "scope": "llm",
        "info_type": "usage_stats",
        "mode": "read",
        "tool_type": "general_code",
        "agent_type": "langgraph",
        "item_kind": "skill",
        "connector_type": "s3",
        "sort_column": "updated_at",
        "limit": 10,
        "offset": 0,
    }
    if name in by_name:
        return by_name[name]
    return typed(annotation, name, ids)


def typed(annotation: Any, name: str, ids: Ids) -> Any:
    """A plain value of this type (the first choice of a Literal or enum; a model from its required fields)."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Literal:
        return args[0]
    if origin is typing.Union or origin is types.UnionType:
        choices = [a for a in args if a is not type(None)]
        return typed(choices[0], name, ids) if choices else None
    if origin in (list, tuple, set, typing.Sequence, typing.Iterable) or str(origin).startswith("<class 'collections"):
        inner = typed(args[0], name, ids) if args else "x"
        return [inner]
    if origin is dict or annotation is dict:
        return {}
    if inspect.isclass(annotation):
        if annotation.__module__.startswith("h2ogpte") and not issubclass(annotation, enum.Enum):
            # a dataclass, a pydantic model or a plain class: built from its required parameters
            return annotation(**arguments(annotation, ids, Path(".")))
        if issubclass(annotation, enum.Enum):
            return next(iter(annotation))
        if annotation is bool:
            return False
        if annotation is int:
            return 1
        if annotation is float:
            return 1.0
        if annotation is str:
            return f"harness-{name}"
        if annotation in (datetime.date, datetime.datetime):
            return datetime.date.today() + datetime.timedelta(days=30)
    return f"harness-{name}"


def arguments(func: Callable[..., Any], ids: Ids, scratch: Path, given: dict[str, Any] | None = None) -> dict[str, Any]:
    """``given``, and keyword arguments for the other required parameters of ``func`` (a function or a class)."""
    kwargs: dict[str, Any] = dict(given or {})
    method = getattr(func, "__name__", "")
    for param in inspect.signature(func).parameters.values():
        if param.name in kwargs or param.name == "self" or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.default is inspect.Parameter.empty:
            kwargs[param.name] = placeholder(param.name, param.annotation, ids, scratch, method)
    return kwargs


def describe(exc: BaseException) -> str:
    """One line naming an exception and the start of its message."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:240]}"


def sweep(
    cls: type, invoke: Callable[[str, dict[str, Any]], Any], ids: Ids, scratch: Path
) -> dict[str, dict[str, str]]:
    """Call every public method of ``cls`` through ``invoke``; ``{"results": {name: "ok" | reason}, "excluded"}``."""
    names = [n for n in public_methods(cls) if n not in EXCLUDED]
    results: dict[str, str] = {}

    def listed(kind: str) -> Any:
        # the first object a lister lists; when it fails, the placeholder stays (and the lister's own call, when
        # the sweep reaches it, says why)
        lister = ids.lister(kind)
        if lister is None:
            return None
        try:
            return ident(invoke(lister, arguments(getattr(cls, lister), ids, scratch)))
        except Exception:
            return None

    ids.find = listed
    took: dict[str, float] = {}
    for name in sorted(names, key=lambda n: (phase(n), n)):
        started = time.monotonic()
        func = getattr(cls, FORWARDS_TO.get(name, name))
        try:
            if phase(name) >= 3:
                ids.refresh(func)
            kwargs = arguments(func, ids, scratch, given=hints(ids, scratch).get(name, {}))
            result = invoke(name, kwargs)
            check = CHECKS.get(name)
            results[name] = "ok" if check is None or check(result) else f"unexpected result: {str(result)[:200]}"
        except Exception as exc:  # every failure is a finding, a timeout too
            results[name] = describe(exc)
            continue
        finally:
            took[name] = time.monotonic() - started
        ids.note(name, result, kwargs)
    slowest = dict(sorted(took.items(), key=lambda kv: -kv[1])[:8])
    return {
        "results": results,
        "excluded": {n: r for n, r in EXCLUDED.items() if hasattr(cls, n)},
        # for the printed summary only, never asserted
        "slowest": {n: round(t, 2) for n, t in slowest.items()},
    }


def seed_objects(scratch: Path) -> None:
    """The local files the file-taking methods read."""
    (scratch / "sales.csv").write_bytes(CSV)
    (scratch / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    with zipfile.ZipFile(scratch / "skill.zip", "w") as archive:
        # what add_skill documents: a SKILL.md with a name and a description in its frontmatter
        archive.writestr("SKILL.md", "---\nname: harness-skill\ndescription: A skill of the sweep\n---\n")
    (scratch / "agent.py").write_bytes(b"print('agent')\n")
    (scratch / "tool.py").write_bytes(b"print('tool')\n")
    with zipfile.ZipFile(scratch / "agent.zip", "w") as archive:
        archive.writestr("agent.py", "print('agent')\n")


def sweep_sync(url: str, key: str) -> dict[str, Any]:
    """H2OGPTE: a collection with an ingested document, a chat session and a message, then every method."""
    from h2ogpte import H2OGPTE
    from h2ogpte.h2ogpte_async import H2OGPTEAsync

    # the client polls jobs from 0.1 s, backing off to 1 s; the mock's jobs end in milliseconds on its fast clock
    H2OGPTEAsync.MAX_WAIT_INTERVAL = 0.1
    client = H2OGPTE(address=url, api_key=key)
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)

    def invoke(name: str, kwargs: dict[str, Any]) -> Any:
        return pool.submit(getattr(client, name), **kwargs).result(timeout=CALL_TIMEOUT)

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        seed_objects(scratch)
        ids = Ids(H2OGPTE)
        base(ids, invoke, scratch, lambda sid: query_sync(client, sid))
        out = sweep(H2OGPTE, invoke, ids, scratch)
    pool.shutdown(wait=False, cancel_futures=True)
    return out


def query_sync(client: Any, session_id: str) -> tuple[str, str]:
    """A question asked over the WebSocket: the answer's id and the question's."""
    with client.connect(session_id) as session:
        reply = session.query("Which product sold best?", llm="auto", timeout=30)
    return str(reply.id), str(reply.reply_to)


def sweep_async(url: str, key: str) -> dict[str, Any]:
    """H2OGPTEAsync: the same session and sweep, each coroutine awaited under a deadline on one event loop."""
    from h2ogpte import H2OGPTEAsync

    H2OGPTEAsync.MAX_WAIT_INTERVAL = 0.1
    loop = asyncio.new_event_loop()
    client = loop.run_until_complete(_make_async(H2OGPTEAsync, url, key))

    def invoke(name: str, kwargs: dict[str, Any]) -> Any:
        result = getattr(client, name)(**kwargs)
        if inspect.isawaitable(result):
            return loop.run_until_complete(asyncio.wait_for(_await(result), CALL_TIMEOUT))
        return result

    async def ask(session_id: str) -> tuple[str, str]:
        async with client.connect(session_id) as session:
            reply = await session.query("Which product sold best?", llm="auto", timeout=30)
        return str(reply.id), str(reply.reply_to)

    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        seed_objects(scratch)
        ids = Ids(H2OGPTEAsync)
        base(ids, invoke, scratch, lambda sid: loop.run_until_complete(asyncio.wait_for(ask(sid), CALL_TIMEOUT)))
        out = sweep(H2OGPTEAsync, invoke, ids, scratch)
    loop.run_until_complete(client.close())
    loop.close()
    return out


async def _make_async(cls: type, url: str, key: str) -> Any:
    return cls(address=url, api_key=key)


async def _await(awaitable: Any) -> Any:
    return await awaitable


def base(
    ids: Ids, invoke: Callable[[str, dict[str, Any]], Any], scratch: Path, ask: Callable[[str], tuple[str, str]]
) -> None:
    """The objects most methods act on: two collections, an uploaded and ingested document, a session, a message."""

    def new_collection() -> Any:
        return invoke("create_collection", {"name": "harness", "description": "sweep"})

    def new_document() -> Any:
        with (scratch / "sales.csv").open("rb") as fh:
            upload = invoke("upload", {"file_name": "sales.csv", "file": fh})
        job = invoke("ingest_uploads", {"collection_id": ids.by_kind["collection"], "upload_ids": [upload]})
        ids.by_kind.setdefault("job", job.id)
        docs = invoke(
            "list_documents_in_collection", {"collection_id": ids.by_kind["collection"], "offset": 0, "limit": 99}
        )
        return docs[-1].id

    def new_session() -> Any:
        return invoke("create_chat_session", {"collection_id": ids.by_kind["collection"]})

    ids.makers = {"collection": new_collection, "document": new_document, "chat_session": new_session}
    ids.by_kind["collection"] = new_collection()
    ids.by_kind["collection2"] = invoke("create_collection", {"name": "harness-2", "description": "target"})
    ids.by_kind["document"] = new_document()
    with (scratch / "sales.csv").open("rb") as fh:
        ids.by_kind["upload"] = invoke("upload", {"file_name": "spare.csv", "file": fh})
    ids.by_kind["chat_session"] = new_session()
    ids.by_kind["message"], ids.by_kind["question"] = ask(ids.by_kind["chat_session"])
    ids.by_kind["user"] = invoke("get_meta", {}).user_id


#: the openai client's resources that the h2oGPTe OpenAI-compatible API serves (seed 004: models, chat
#: completions, responses)
OPENAI_RESOURCES = ("models", "chat.completions", "responses")

#: openai methods outside that API, with the reason; counted and printed by the test
OPENAI_EXCLUDED: dict[str, str] = {
    "models.delete": "deletes a fine-tuned model: h2oGPTe's compatible API only lists models",
    "chat.completions.retrieve": "stored completions (store=true): not part of h2oGPTe's compatible API",
    "chat.completions.update": "stored completions (store=true): not part of h2oGPTe's compatible API",
    "chat.completions.list": "stored completions (store=true): not part of h2oGPTe's compatible API",
    "chat.completions.delete": "stored completions (store=true): not part of h2oGPTe's compatible API",
    "responses.retrieve": "stored/background responses: not part of h2oGPTe's compatible API",
    "responses.delete": "stored/background responses: not part of h2oGPTe's compatible API",
    "responses.cancel": "background responses: not part of h2oGPTe's compatible API",
    "responses.compact": "conversation compaction: not part of h2oGPTe's compatible API",
    "responses.connect": "the Realtime WebSocket: not part of h2oGPTe's compatible API",
}

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
    },
}


def openai_cases(client: Any) -> dict[str, Callable[[], str]]:
    """Per public method of the served resources, the calls that exercise it; each returns "ok" or a reason."""
    import pydantic

    class Answer(pydantic.BaseModel):
        answer: str
        confidence: float

    chat = client.chat.completions
    user = [{"role": "user", "content": "What color is the sky?"}]

    picture = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]

    def completion_text(**kw: Any) -> str:
        done = chat.create(**{"model": "auto", "messages": user, **kw})
        return "ok" if done.choices[0].message.content else "empty content"

    def streamed(**kw: Any) -> str:
        chunks = list(chat.create(model="auto", messages=user, stream=True, **kw))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        if not text:
            return "no text streamed"
        if kw.get("stream_options", {}).get("include_usage"):
            last = chunks[-1]
            if last.choices or last.usage is None or last.usage.total_tokens <= 0:
                return "no final usage chunk with empty choices"
        return "ok"

    def forced_tool() -> str:
        done = chat.create(
            model="auto",
            messages=[{"role": "user", "content": "Weather in Paris?"}],
            tools=[WEATHER_TOOL],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        )
        calls = done.choices[0].message.tool_calls or []
        if done.choices[0].finish_reason != "tool_calls" or [c.function.name for c in calls] != ["get_weather"]:
            return f"no forced tool call (finish_reason={done.choices[0].finish_reason})"
        import json

        json.loads(calls[0].function.arguments)
        return "ok"

    def tool_history() -> str:
        messages = [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 C"},
        ]
        done = chat.create(model="auto", messages=messages, tools=[WEATHER_TOOL])
        return "ok" if done.choices[0].message.content else "empty content"

    def json_object() -> str:
        import json

        done = chat.create(
            model="auto",
            messages=[{"role": "user", "content": "Reply in JSON with the sky's color."}],
            response_format={"type": "json_object"},
        )
        return "ok" if isinstance(json.loads(done.choices[0].message.content or ""), dict) else "not a JSON object"

    def parsed() -> str:
        done = chat.parse(model="auto", messages=user, response_format=Answer)
        return "ok" if isinstance(done.choices[0].message.parsed, Answer) else "not parsed"

    def chat_stream() -> str:
        with chat.stream(model="auto", messages=user) as stream:
            final = stream.get_final_completion()
        return "ok" if final.choices[0].message.content else "empty content"

    def response(**kw: Any) -> str:
        done = client.responses.create(model="auto", **kw)
        return "ok" if done.output_text else "empty output_text"

    def response_stream() -> str:
        kinds = [e.type for e in client.responses.create(model="auto", input="Sky color?", stream=True)]
        return "ok" if kinds[-1] == "response.completed" else f"ended with {kinds[-1]}"

    def response_stream_helper() -> str:
        with client.responses.stream(model="auto", input="Sky color?") as stream:
            final = stream.get_final_response()
        return "ok" if final.output_text else "empty output_text"

    def response_parsed() -> str:
        done = client.responses.parse(model="auto", input="Sky color?", text_format=Answer)
        return "ok" if isinstance(done.output_parsed, Answer) else "not parsed"

    def models_list() -> str:
        return "ok" if [m.id for m in client.models.list()] else "no models"

    def models_retrieve() -> str:
        first = next(iter(client.models.list())).id
        return "ok" if client.models.retrieve(first).id == first else "another model"

    history = [
        {"role": "user", "content": "What color is the sky?"},
        {"role": "assistant", "content": "Blue."},
        {"role": "user", "content": "And at night?"},
    ]
    return {
        "models.list": models_list,
        "models.retrieve": models_retrieve,
        "chat.completions.create": lambda: completion_text(temperature=0.2, max_tokens=64),
        "chat.completions.create[system+developer]": lambda: completion_text(
            messages=[{"role": "system", "content": "Be brief."}, {"role": "developer", "content": "Plain."}, *user]
        ),
        "chat.completions.create[image part]": lambda: completion_text(messages=[{"role": "user", "content": picture}]),
        "chat.completions.create[stream]": lambda: streamed(),
        "chat.completions.create[stream include_usage]": lambda: streamed(stream_options={"include_usage": True}),
        "chat.completions.create[tool_choice]": forced_tool,
        "chat.completions.create[tool history]": tool_history,
        "chat.completions.create[json_object]": json_object,
        "chat.completions.parse": parsed,
        "chat.completions.stream": chat_stream,
        "responses.create": lambda: response(input="Sky color?", instructions="Be brief.", temperature=0.2),
        "responses.create[history]": lambda: response(input=history),
        "responses.create[stream]": response_stream,
        "responses.stream": response_stream_helper,
        "responses.parse": response_parsed,
    }


def openai_methods(client: Any) -> list[str]:
    """``resource.method`` for every public method of the served resources (and of their sub-resources)."""
    found: list[str] = []
    for path in OPENAI_RESOURCES:
        obj = client
        for part in path.split("."):
            obj = getattr(obj, part)
        for name, member in inspect.getmembers(type(obj)):
            if not name.startswith("_") and inspect.isfunction(member):
                found.append(f"{path}.{name}")
        for name, member in inspect.getmembers(type(obj)):
            if name.startswith("_") or name.startswith("with_") or not isinstance(member, functools.cached_property):
                continue
            sub = getattr(obj, name)
            for sub_name, sub_member in inspect.getmembers(type(sub)):
                if not sub_name.startswith("_") and inspect.isfunction(sub_member):
                    found.append(f"{path}.{name}.{sub_name}")
    return sorted(found)


def sweep_openai(url: str, key: str) -> dict[str, Any]:
    """Every method of the served openai resources: each case of a method must pass for the method to pass."""
    import openai

    client = openai.OpenAI(api_key=key, base_url=f"{url}/openai_api/v1", timeout=CALL_TIMEOUT, max_retries=0)
    cases = openai_cases(client)
    methods = openai_methods(client)
    excluded = {m: r for m, r in OPENAI_EXCLUDED.items() if m in methods}
    sub_excluded = {
        m: "a sub-resource of stored completions/responses: not part of h2oGPTe's compatible API"
        for m in methods
        if m.count(".") > (2 if m.startswith("chat.") else 1) and m not in cases
    }
    excluded.update(sub_excluded)
    results: dict[str, str] = {}
    for method in methods:
        if method in excluded:
            continue
        mine = {c: run for c, run in cases.items() if c.split("[")[0] == method}
        if not mine:
            results[method] = "no case drives this method"
            continue
        for case, run in mine.items():
            try:
                results[case] = run()
            except Exception as exc:  # every failure is a finding
                results[case] = describe(exc)
    return {"results": results, "excluded": excluded}
