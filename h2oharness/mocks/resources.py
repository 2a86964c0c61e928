"""Generic resources: any operation of a contract answered from its shape, under an API's hand-written behaviour.

``Surface(document)`` reads every operation of an OpenAPI document and says what it does from its method and
path: a collection (``POST /things`` creates, ``GET /things`` lists with paging, filter and order,
``GET /things/count`` counts), an item (``GET/PUT/PATCH/DELETE /things/{id}``), a singleton under an item
(``GET/PUT/DELETE /things/{id}/settings``), a job (``POST /things/delete_job``: a job on the mock's clock) or an
action (anything else: its documented answer at its smallest). ``Resources`` holds the objects and answers a
``GenericCall`` with a ``GenericReply``; each mock turns that into its own wire format. Inputs are validated
against the contract (a documented 4xx), answers fit the documented schema.

Example:
    surface = Surface(document, rules=Rules(id_field="id"))
    resources = Resources(surface, jobs=JobBoard(clock))
    reply = resources.answer(GenericCall(surface.operation("POST", "/things"), {}, {}, {"name": "a"}))
    reply.status, reply.body          # 200, {"id": "...", "name": "a"}
"""

from __future__ import annotations

import itertools
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from h2oharness.mocks.instances import Schemas
from h2oharness.mocks.jobs import Job, JobBoard, JobTiming
from h2oharness.mocks.router import PARAM

METHODS = ("get", "put", "post", "delete", "patch")
PAGING = {"offset", "limit", "page_size", "page_token", "skip", "page", "per_page"}
ORDERING = {"sort_column", "order_by", "sort", "sort_by", "ascending", "descending", "order"}


class Kind(StrEnum):
    """What a generic operation does to the objects."""

    CREATE = "create"
    LIST = "list"
    COUNT = "count"
    GET = "get"
    REPLACE = "replace"
    UPDATE = "update"
    DELETE = "delete"
    GET_ONE = "get_one"
    SET_ONE = "set_one"
    DELETE_ONE = "delete_one"
    JOB = "job"
    ACTION = "action"


@dataclass(frozen=True)
class Rules:
    """An API's conventions the generic layer follows."""

    #: the field holding an object's id
    id_field: str = "id"
    #: a new object's id from the operation's collection path and its body
    new_id: Callable[[str, Any], str] | None = None
    #: extra fields of a new object (timestamps, owner...) from its id and body
    on_create: Callable[[str, Any], dict[str, Any]] | None = None
    #: how long a ``*_job`` job queues and runs
    job_timing: JobTiming = field(default_factory=lambda: JobTiming(queued=0.1, running=1.0))
    #: the answer's fields for a job (its id is added), from the job and the clock's now
    job_view: Callable[[Job, float], dict[str, Any]] | None = None
    #: whether a path is a job endpoint (a last segment ending in "_job" or "job" by default)
    is_job: Callable[[str, str], bool] | None = None
    #: (method, template) -> kind, for operations whose shape says something else than they do
    kinds: Mapping[tuple[str, str], Kind] = field(default_factory=dict)


@dataclass(frozen=True)
class Operation:
    """One contract operation as the generic layer reads it."""

    method: str
    template: str
    operation_id: str
    kind: Kind
    #: the template of the collection its objects live in (the item template without its last segment)
    collection: str
    #: the documented success status and answer schema (None: no body)
    status: int
    answer: Mapping[str, Any] | None
    #: the JSON request body schema (None: no JSON body) and whether one is required
    body: Mapping[str, Any] | None
    body_required: bool
    #: parameter name -> (location, required, schema)
    params: Mapping[str, tuple[str, bool, Mapping[str, Any]]]
    #: every documented status
    statuses: tuple[int, ...]

    def error_status(self, *preferred: int) -> int:
        """The first of ``preferred`` the operation documents, else the first documented 4xx, else the first one."""
        for status in preferred:
            if status in self.statuses:
                return status
        return next((s for s in self.statuses if 400 <= s < 500), preferred[0])


@dataclass(frozen=True)
class GenericCall:
    """A routed request: its operation, path parameters, query (last value of each name) and JSON body."""

    operation: Operation
    path: Mapping[str, str]
    query: Mapping[str, str]
    body: Any = None


@dataclass(frozen=True)
class GenericReply:
    """What to answer: a status and a JSON body (None: no body); ``error`` is the message of a refusal."""

    status: int
    body: Any = None
    error: str = ""


def _last_segment(template: str) -> str:
    return template.rstrip("/").rsplit("/", 1)[-1]


def _parent(template: str) -> str:
    return template.rstrip("/").rsplit("/", 1)[0] or "/"


def _is_param(segment: str) -> bool:
    return PARAM.fullmatch(segment) is not None


def default_is_job(method: str, template: str) -> bool:
    """A POST/PUT/DELETE whose last segment is "job" or ends in "_job"."""
    last = _last_segment(template)
    return method in ("POST", "PUT", "DELETE") and (last == "job" or last.endswith("_job"))


class Surface:
    """Every operation of a document, classified."""

    def __init__(self, document: Mapping[str, Any], rules: Rules = Rules()) -> None:
        self.schemas = Schemas(document)
        self.rules = rules
        paths: Mapping[str, Any] = self.schemas.document.get("paths", {})
        self._ops: dict[tuple[str, str], Operation] = {}
        pairs = {(m.upper(), t) for t, item in paths.items() for m in item if m in METHODS}
        for template, item in paths.items():
            for method in METHODS:
                if method in item:
                    op = self._read(method.upper(), template, item, pairs)
                    self._ops[(op.method, template)] = op

    @property
    def operations(self) -> list[Operation]:
        """Every operation, in document order."""
        return list(self._ops.values())

    def operation(self, method: str, template: str) -> Operation:
        """The operation ``method template``; KeyError if the document has none."""
        return self._ops[(method.upper(), template)]

    def _read(self, method: str, template: str, item: Mapping[str, Any], pairs: set[tuple[str, str]]) -> Operation:
        spec = item[method.lower()]
        params: dict[str, tuple[str, bool, Mapping[str, Any]]] = {}
        for raw in [*item.get("parameters", []), *spec.get("parameters", [])]:
            param = self.schemas.resolve(raw)
            params[param["name"]] = (param["in"], bool(param.get("required")), param.get("schema", {}))
        statuses = tuple(sorted(int(s) for s in spec.get("responses", {}) if str(s).isdigit()))
        status = next((s for s in statuses if 200 <= s < 300), 200)
        answer = _json_schema(self.schemas.resolve(spec.get("responses", {}).get(str(status))))
        request = self.schemas.resolve(spec.get("requestBody"))
        body = _json_schema(request)
        kind = self._kind(method, template, answer, pairs)
        collection = _parent(template) if kind in (Kind.GET, Kind.REPLACE, Kind.UPDATE, Kind.DELETE) else template
        return Operation(
            method=method,
            template=template,
            operation_id=str(spec.get("operationId") or f"{method} {template}"),
            kind=kind,
            collection=collection,
            status=status,
            answer=answer,
            body=body,
            body_required=bool(request.get("required")),
            params=params,
            statuses=statuses,
        )

    def _kind(self, method: str, template: str, answer: Mapping[str, Any] | None, pairs: set[tuple[str, str]]) -> Kind:
        if (method, template) in self.rules.kinds:
            return self.rules.kinds[(method, template)]
        last = _last_segment(template)
        if (self.rules.is_job or default_is_job)(method, template):
            return Kind.JOB
        if ":" in last and not _is_param(last):
            return Kind.ACTION
        if _is_param(last):
            return {"GET": Kind.GET, "PUT": Kind.REPLACE, "PATCH": Kind.UPDATE, "DELETE": Kind.DELETE}.get(
                method, Kind.ACTION
            )
        if method == "POST":
            items = any(m == "GET" and _parent(t) == template and _is_param(_last_segment(t)) for m, t in pairs)
            return Kind.CREATE if items else Kind.ACTION
        if method == "GET":
            if last == "count" or last.endswith("_count"):
                return Kind.COUNT
            return Kind.LIST if self._list_field(answer) is not None else Kind.GET_ONE
        return {"PUT": Kind.SET_ONE, "PATCH": Kind.SET_ONE, "DELETE": Kind.DELETE_ONE}.get(method, Kind.ACTION)

    def _list_field(self, answer: Mapping[str, Any] | None) -> str | None:
        """'' when the answer is an array, the name of its one array property when an object, else None."""
        schema = self.schemas.resolve(answer)
        kind = schema.get("type")
        if kind == "array" or (isinstance(kind, list) and "array" in kind):
            return ""
        arrays = [
            name
            for name, prop in schema.get("properties", {}).items()
            if self.schemas.resolve(prop).get("type") in ("array", ["array", "null"])
        ]
        return arrays[0] if len(arrays) == 1 else None


def _json_schema(node: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    content = (node or {}).get("content") or {}
    for media, entry in content.items():
        if "json" in media:
            schema: Mapping[str, Any] | None = entry.get("schema")
            return schema
    return None


@dataclass
class Resources:
    """The objects of every generic collection and singleton, and the answers to generic calls."""

    surface: Surface
    jobs: JobBoard
    #: how long a generic job takes on the board's clock (None: the surface's rules say)
    job_timing: JobTiming | None = None
    #: collection path (parameters filled in) -> id -> object
    collections: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    #: singleton path (parameters filled in) -> value
    singletons: dict[str, Any] = field(default_factory=dict)
    #: a cap on the objects held per collection (the oldest go first)
    max_per_collection: int = 1_000
    #: a cap on the collection paths held, and on the singleton paths: one per parent object (``/things/{id}/parts``),
    #: so beyond it the oldest path made goes with its objects, as if deleted
    max_paths: int = 10_000
    #: a cap on the bytes (as JSON) of the objects and singleton values the generic layer holds in all: a client may
    #: send a body of up to the mock's body limit on every call, so a count alone bounds nothing; beyond it the
    #: oldest written go first, as if deleted (never the newest, which may fill it alone)
    max_bytes: int = 256 * 1024 * 1024
    #: whether an object the API's own handlers hold exists: (collection template, filled path, id) -> bool
    #: or None when the API does not know that collection
    exists: Callable[[str, str, str], bool | None] | None = None
    #: the objects the API's own handlers hold in a collection, by id: (collection template, path values) -> a
    #: dict the generic layer reads, updates and deletes in, or None when the collection is not the API's
    records: Callable[[str, Mapping[str, str]], dict[str, dict[str, Any]] | None] | None = None
    #: whether the caller may see an object the generic layer holds: (collection template, object) -> bool; an
    #: object it may not see is as unknown as one that does not exist (None: every object is seen)
    visible: Callable[[str, Mapping[str, Any]], bool] | None = None
    #: the fields a new object gets besides those sent (its owner, say): collection template -> fields
    stamp: Callable[[str], Mapping[str, Any]] | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _static_paths: set[str] | None = None
    #: what the generic layer wrote to its own stores, oldest first: (store, key in it) -> (store, value, bytes);
    #: a store the API lends (``records``) is the API's to bound, and is not weighed
    _written: dict[tuple[int, str], tuple[dict[str, Any], Any, int]] = field(default_factory=dict)
    _bytes: int = 0
    #: the generic layer's own collections (the values of ``collections``), by identity
    _own: dict[int, dict[str, Any]] = field(default_factory=dict)

    def answer(self, call: GenericCall) -> GenericReply:
        """The reply to a generic call: validated, applied to the objects, fitted to the documented schema."""
        op = call.operation
        problem = self.invalid(call)
        if problem:
            return GenericReply(op.error_status(400, 422), error=problem)
        with self._lock:
            handler = getattr(self, f"_{op.kind.value}")
            reply: GenericReply = handler(call)
        if reply.error:
            return reply
        if op.answer is None:
            return GenericReply(reply.status)
        return GenericReply(reply.status, self.surface.schemas.fit(reply.body, op.answer))

    def invalid(self, call: GenericCall) -> str:
        """Why a call breaks its operation's request side (path, query, body), or '' when it does not."""
        op, schemas = call.operation, self.surface.schemas
        for name, (where, required, schema) in op.params.items():
            given = call.path.get(name) if where == "path" else call.query.get(name) if where == "query" else None
            if where not in ("path", "query"):
                continue
            if given is None:
                if required:
                    return f"missing required {where} parameter {name!r}"
                continue
            resolved = schemas.resolve(schema)
            if not schemas.valid(_coerce(given, resolved), schema) or not _formatted(given, resolved):
                kind = resolved.get("format") or resolved.get("type")
                shape = f" matching {resolved['pattern']}" if "pattern" in resolved else ""
                return f"{where} parameter {name!r}: {given!r} is not a valid {kind}{shape}"
        if op.body is not None:
            if call.body is None:
                return "a JSON body is required" if op.body_required else ""
            errors = schemas.errors(call.body, op.body)
            if errors:
                return "invalid body: " + "; ".join(errors)
        return ""

    # -- paths and objects

    def _fill(self, template: str, values: Mapping[str, str]) -> str:
        return PARAM.sub(lambda m: values.get(m.group(1), m.group(0)), template)

    def _item_id(self, call: GenericCall) -> str:
        last = _last_segment(call.operation.template)
        return call.path.get(last[1:-1], "")

    def _parent_missing(self, call: GenericCall, template: str) -> str:
        """Why a parent object on the path does not exist ('' when every one does or is not ours to know)."""
        segments = template.strip("/").split("/")
        for at, segment in enumerate(segments):
            if not _is_param(segment) or at == 0:
                continue
            collection = "/" + "/".join(segments[:at])
            filled = self._fill(collection, call.path)
            object_id = call.path.get(segment[1:-1], "")
            known = self.exists(collection, filled, object_id) if self.exists else None
            own = self.records(collection, call.path) if self.records and known is None else None
            if own is not None:
                known = object_id in own
            if known is None:
                held = self.collections.get(filled)
                known = (
                    None
                    if held is None and not self._creatable(collection)
                    else self._sees(collection, held, object_id)
                )
            if known is False and self._elsewhere(collection, object_id):
                known = True
            if known is False:
                return f"{segment[1:-1]} {object_id!r} not found"
        return ""

    def _board_job(self, collection: str, object_id: str) -> Job | None:
        """The board's job of that id when the collection is named "jobs" and the caller may see it, else None."""
        job = self.jobs.get(object_id) if _last_segment(collection).endswith("jobs") else None
        return job if job is not None and (self.visible is None or self.visible(collection, {"id": job.id})) else None

    def _sees(self, collection: str, held: Mapping[str, Mapping[str, Any]] | None, object_id: str) -> bool:
        """Whether ``held`` has the object and the caller may see it."""
        record = (held or {}).get(object_id)
        return record is not None and (self.visible is None or self.visible(collection, record))

    def _creatable(self, collection: str) -> bool:
        return any(op.kind is Kind.CREATE and op.template == collection for op in self.surface.operations)

    def _store(self, call: GenericCall) -> dict[str, dict[str, Any]]:
        return self._held(call.operation.collection, call.path)

    def _held(self, template: str, values: Mapping[str, str], make: bool = True) -> dict[str, dict[str, Any]]:
        """The objects of a collection: the API's own when it holds them, else the generic layer's (kept when
        ``make``: a read of a collection never written holds nothing)."""
        own = self.records(template, values) if self.records is not None else None
        if own is not None:
            return own
        path = self._fill(template, values)
        held = self.collections.get(path)
        if held is None:
            held = {}
            if make:
                self.collections[path] = held
                self._own[id(held)] = held
                self._bound(self.collections)
        return held

    def _bound(self, held: dict[str, Any]) -> None:
        """Drop the oldest paths under a parent object beyond ``max_paths`` (the contract's own paths, without
        parameters, are as many as it has and stay)."""
        if self._static_paths is None:
            templates = {t for op in self.surface.operations for t in (op.template, op.collection)}
            self._static_paths = {t for t in templates if not PARAM.search(t)}
        if len(held) <= self.max_paths:
            return
        nested = [p for p in held if p not in self._static_paths]
        for path in nested[: max(0, len(nested) - max(1, self.max_paths))]:
            dropped = held.pop(path)
            if held is self.collections:
                self._drop_store(dropped)

    def _not_found(self, call: GenericCall, what: str) -> GenericReply:
        return GenericReply(call.operation.error_status(404, 400), error=what)

    def _new_id(self, call: GenericCall) -> str:
        if self.surface.rules.new_id is not None:
            return self.surface.rules.new_id(call.operation.collection, call.body)
        return str(uuid.UUID(int=next(self._ids), version=4))

    def _keep(self, store: dict[str, dict[str, Any]], object_id: str, record: dict[str, Any]) -> None:
        store[object_id] = record
        while len(store) > self.max_per_collection:
            self._forget(store, next(iter(store)))
            del store[next(iter(store))]
        self._weigh(store, object_id, record)

    def _weigh(self, store: dict[str, Any], key: str, value: Any) -> None:
        """Count what the generic layer just wrote at ``store[key]``; drop the oldest writes beyond ``max_bytes``."""
        if store is not self.singletons and id(store) not in self._own:
            return
        self._forget(store, key)
        size = len(json.dumps(value, default=str))
        self._written[(id(store), key)] = (store, value, size)
        self._bytes += size
        while self._bytes > self.max_bytes and len(self._written) > 1:
            (_, old_key), (old_store, old_value, old_size) = next(iter(self._written.items()))
            del self._written[(id(old_store), old_key)]
            self._bytes -= old_size
            if old_store.get(old_key) is old_value:  # not replaced or deleted since
                del old_store[old_key]

    def _drop_store(self, store: dict[str, Any] | None) -> None:
        """A collection the generic layer no longer holds: its objects' bytes no longer count."""
        if store is not None and self._own.pop(id(store), None) is not None:
            for key in store:
                self._forget(store, key)

    def _forget(self, store: dict[str, Any], key: str) -> None:
        """Stop counting ``store[key]`` (deleted, or about to be written again)."""
        written = self._written.pop((id(store), key), None)
        if written is not None:
            self._bytes -= written[2]

    # -- the kinds

    def _create(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.template)
        if missing:
            return self._not_found(call, missing)
        object_id = self._new_id(call)
        # the path's parameters (the parent's id) are fields of the new object too
        body = call.body if isinstance(call.body, dict) else {}
        record = {**call.path, **body, self.surface.rules.id_field: object_id}
        if self.surface.rules.on_create is not None:
            record.update(self.surface.rules.on_create(object_id, call.body))
        if self.stamp is not None:
            record.update(self.stamp(call.operation.collection))
        self._keep(self._store(call), object_id, record)
        return GenericReply(call.operation.status, record)

    def _get(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.template)
        if missing:
            return self._not_found(call, missing)
        _, record = self._find(call)
        if record is None:
            known = self._known_elsewhere(call)
            if not known:
                return self._not_found(call, f"{self._item_id(call)!r} not found")
            record = {self.surface.rules.id_field: self._item_id(call)}
        return GenericReply(call.operation.status, record)

    def _find(self, call: GenericCall) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
        """The store holding the call's object and the object (None, and a store not kept, when none holds it).

        Besides its own collection: a job of the board when the collection is named "jobs", and for a collection
        nothing creates in (``/deployments/{id}``), an object of that id in a same-named collection under a parent
        (``/projects/{p}/deployments``), where the API creates them.
        """
        object_id = self._item_id(call)
        own = self.records(call.operation.collection, call.path) if self.records is not None else None
        store = own if own is not None else self.collections.get(self._fill(call.operation.collection, call.path), {})
        collection = call.operation.collection
        if object_id in store:
            return (store, store[object_id]) if self._sees(collection, store, object_id) else (store, None)
        name = _last_segment(collection)
        job = self._board_job(collection, object_id)
        if job is not None:
            view = self.surface.rules.job_view
            return store, {**(view(job, self.jobs.clock.now()) if view else {}), "id": job.id}
        for path, held in self.collections.items() if not self._creatable(collection) else ():
            if _last_segment(path) == name and object_id in held:
                return held, held[object_id]
        return store, None

    def _elsewhere(self, collection: str, object_id: str) -> bool:
        """Whether ``_find`` would find the object outside its own collection (a job, or a same-named one)."""
        if self._board_job(collection, object_id) is not None:
            return True
        return self._same_named(collection, object_id) is not None

    def _same_named(self, collection: str, object_id: str) -> dict[str, Any] | None:
        """The object of that id in a collection of the same name, when nothing creates in ``collection``."""
        if self._creatable(collection):
            return None
        name = _last_segment(collection)
        found = (
            held[object_id] for p, held in self.collections.items() if _last_segment(p) == name and object_id in held
        )
        return next(found, None)

    def _known_elsewhere(self, call: GenericCall) -> bool:
        if self.exists is None:
            return False
        collection = call.operation.collection
        return bool(self.exists(collection, self._fill(collection, call.path), self._item_id(call)))

    def _replace(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.collection)
        if missing:
            return self._not_found(call, missing)
        object_id = self._item_id(call)
        body = call.body if isinstance(call.body, dict) else {}
        record = {**body, self.surface.rules.id_field: object_id}
        self._keep(self._store(call), object_id, record)
        return GenericReply(call.operation.status, record)

    def _update(self, call: GenericCall) -> GenericReply:
        found = self._get(call)
        if found.error:
            return found
        body = call.body if isinstance(call.body, dict) else {}
        record = {**found.body, **body, self.surface.rules.id_field: self._item_id(call)}
        store, held = self._find(call)
        self._keep(store if held is not None else self._store(call), self._item_id(call), record)
        return GenericReply(call.operation.status, record)

    def _delete(self, call: GenericCall) -> GenericReply:
        name = _last_segment(call.operation.template)[1:-1]
        schema = call.operation.params.get(name, ("path", True, {}))[2]
        if self.surface.schemas.resolve(schema).get("type") == "array":
            # DELETE /groups/{group_ids}: the path names several, comma separated (the client's delete_groups(ids))
            ids = [i.strip() for i in call.path.get(name, "").split(",") if i.strip()]
            if len(ids) > 1:
                return self._delete_each(call, name, ids)
        found = self._get(call)
        if found.error:
            return found
        store, _ = self._find(call)
        self._forget(store, self._item_id(call))
        store.pop(self._item_id(call), None)
        return GenericReply(call.operation.status, found.body)

    def _delete_each(self, call: GenericCall, name: str, ids: list[str]) -> GenericReply:
        """Delete every object ``ids`` names, or none: the first that is not there (or not the caller's to see) is
        the 404 of the whole call."""
        calls = [
            GenericCall(call.operation, {**call.path, name: object_id}, call.query, call.body) for object_id in ids
        ]
        for one in calls:
            found = self._get(one)
            if found.error:
                return found
        deleted = [self._delete(one).body for one in calls]
        return GenericReply(call.operation.status, deleted)

    def _list(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.template)
        if missing:
            return self._not_found(call, missing)
        held = self._held(call.operation.collection, call.path, make=False)
        records = [held[i] for i in held if self._sees(call.operation.collection, held, i)]
        records = _filtered(records, call.query, call.operation)
        records = _ordered(records, call.query)
        page, next_token, total = _paged(records, call.query)
        field_name = self.surface._list_field(call.operation.answer)
        if not field_name:
            return GenericReply(call.operation.status, page)
        body: dict[str, Any] = {field_name: page}
        for name in ("total", "total_count", "count", "total_size", "totalSize"):
            body[name] = total
        for name in ("next_page_token", "nextPageToken"):
            body[name] = next_token
        return GenericReply(call.operation.status, body)

    def _count(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.template)
        if missing:
            return self._not_found(call, missing)
        collection = _parent(call.operation.template)
        held = self._held(collection, call.path, make=False)
        seen = [held[i] for i in held if self._sees(collection, held, i)]
        count = len(_filtered(seen, call.query, call.operation))
        return GenericReply(call.operation.status, {"count": count, "total": count})

    def _get_one(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.template)
        if missing:
            return self._not_found(call, missing)
        return GenericReply(call.operation.status, self.singletons.get(self._fill(call.operation.template, call.path)))

    def _set_one(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.template)
        if missing:
            return self._not_found(call, missing)
        path = self._fill(call.operation.template, call.path)
        value = call.body
        if call.operation.method == "PATCH" and isinstance(value, dict):
            value = {**(self.singletons.get(path) or {}), **value}
        self.singletons[path] = value
        self._bound(self.singletons)
        self._weigh(self.singletons, path, value)
        return GenericReply(call.operation.status, value)

    def _delete_one(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.template)
        if missing:
            return self._not_found(call, missing)
        path = self._fill(call.operation.template, call.path)
        self._forget(self.singletons, path)
        value = self.singletons.pop(path, None)
        self._drop_store(self.collections.pop(path, None))
        return GenericReply(call.operation.status, value)

    def _job(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.template)
        if missing:
            return self._not_found(call, missing)
        job_id = str(uuid.UUID(int=next(self._ids), version=4))
        timing = self.job_timing or self.surface.rules.job_timing
        job = self.jobs.submit(call.operation.operation_id, timing, job_id=job_id)
        view = self.surface.rules.job_view
        fields = view(job, self.jobs.clock.now()) if view else {}
        return GenericReply(call.operation.status, {**fields, "id": job.id})

    def _action(self, call: GenericCall) -> GenericReply:
        missing = self._parent_missing(call, call.operation.template)
        if missing:
            return self._not_found(call, missing)
        body = call.body if isinstance(call.body, dict) else {}
        parent = _parent(call.operation.template)
        if _is_param(_last_segment(parent)):
            # an action on an object answers with the object when the answer is shaped like one
            collection = _parent(parent)
            held = self._held(collection, call.path, make=False)
            object_id = call.path.get(_last_segment(parent)[1:-1], "")
            record = held.get(object_id) or self._same_named(collection, object_id)
            body = {**(record or {self.surface.rules.id_field: object_id}), **body}
        return GenericReply(call.operation.status, body or None)


def _formatted(text: str, schema: Mapping[str, Any]) -> bool:
    """Whether a date or date-time parameter parses as one (other formats are not checked)."""
    kind = schema.get("format")
    if kind not in ("date", "date-time"):
        return True
    try:
        if kind == "date":
            return date.fromisoformat(text) is not None
        # RFC 3339: a date, a time and an offset
        return "T" in text.upper() and datetime.fromisoformat(text).tzinfo is not None
    except ValueError:
        return False


def _coerce(text: str, schema: Mapping[str, Any]) -> Any:
    """A query or path string as the type its schema names (left a string when it does not parse); an array's
    items are comma-separated."""
    kind = schema.get("type")
    kind = next((k for k in kind if k != "null"), None) if isinstance(kind, list) else kind
    if kind == "array":
        return [_coerce(part, schema.get("items", {})) for part in text.split(",")]
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _filtered(records: list[dict[str, Any]], query: Mapping[str, str], op: Operation) -> list[dict[str, Any]]:
    """The records whose fields equal every non-paging, non-ordering query parameter naming one of their fields."""
    wanted = {k: v for k, v in query.items() if k not in PAGING | ORDERING and op.params.get(k, ("",))[0] == "query"}
    return [r for r in records if all(k not in r or str(r[k]) == v for k, v in wanted.items())]


def _ordered(records: list[dict[str, Any]], query: Mapping[str, str]) -> list[dict[str, Any]]:
    key = next((query[k] for k in ("sort_column", "order_by", "sort", "sort_by") if query.get(k)), "")
    if not key:
        return records
    field_name, _, direction = key.partition(" ")
    descending = direction.lower() == "desc" or field_name.startswith("-") or query.get("ascending") == "false"
    descending = descending or query.get("descending") == "true" or query.get("order", "").lower() == "desc"
    field_name = field_name.lstrip("-")
    return sorted(records, key=lambda r: (str(r.get(field_name, "")), str(r)), reverse=descending)


def _paged(records: list[dict[str, Any]], query: Mapping[str, str]) -> tuple[list[dict[str, Any]], str, int]:
    """One page of the records, the token of the next page ('' at the end) and the total."""

    def number(name: str, default: int) -> int:
        try:
            return max(0, int(query.get(name, default)))
        except ValueError:
            return default

    start = number("offset", number("skip", number("page_token", 0)))
    size = number("limit", number("page_size", number("per_page", 0)))
    if "page" in query and size:
        start = max(0, number("page", 1) - 1) * size
    end = start + size if size else len(records)
    return records[start:end], (str(end) if end < len(records) else ""), len(records)
