"""The Workflows contract from the official ``h2o_workflows`` client's generated layer (``h2o_workflows.gen``).

Every ``*ServiceApi`` of the openapi-generator client holds one ``_Endpoint`` per operation: its method, its path
(``/v1/{name_3}``), its parameters with their locations, JSON names and types, and the regular expression a
resource name must match. ``read_client()`` turns them into operations with explicit path segments
(``/v1/workspaces/{workspace}/actions/{action}``, how the contract writes every resource name); the models'
``openapi_types`` / ``attribute_map`` / ``read_only_vars`` give the schemas. ``build_openapi(base)`` keeps every
operation and schema the contract already has (hand-checked against the SDK and the mock) and adds, marked
``x-from-client: true``, the operations, query parameters and schemas it lacks; a regeneration drops what a
previous one added first, so the output is the same whatever contract it starts from.

Example:
    document, drift = build_openapi(yaml.safe_load(contract_path("workflows").read_text()))
"""

from __future__ import annotations

import copy
import datetime
import importlib
import inspect
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from h2oharness.errors import ConfigError
from h2oharness.openapi import strip_marked

__all__ = ["ClientOperation", "build_openapi", "openapi_from_client", "read_client"]

JSON = dict[str, Any]
GENERATED = "x-from-client"
#: a resource collection's segment -> the name of the path parameter for one of its ids
SINGULAR = {
    "workspaces": "workspace",
    "workflows": "workflow",
    "revisions": "revision",
    "runs": "run",
    "attempts": "attempt",
    "jobs": "job",
    "steps": "step",
    "runners": "runner",
    "actions": "action",
}
#: the generator's own request options, not the API's
PRIVATE = re.compile(r"^_|^async_req$")


@dataclass
class ClientOperation:
    """One operation of the generated client, its resource name spelled out as path segments."""

    service: str
    operation_id: str
    method: str
    path: str
    #: (JSON name, python type tuple, required) of each query parameter
    query: list[tuple[str, tuple[Any, ...], bool]] = field(default_factory=list)
    #: the body's model class name, "object" for a free-form dict, None without a body
    body: str | None = None
    body_required: bool = False
    #: the answer's model class name, None for google.protobuf.Empty
    answer: str | None = None


def _segments(pattern: str) -> str:
    """``workspaces\\/[^\\/]+\\/actions\\/[^\\/]+`` -> ``workspaces/{workspace}/actions/{action}``."""
    parts = pattern.replace("[^\\/]+", "*").replace("\\/", "/").split("/")
    out = []
    for at in range(0, len(parts), 2):
        collection = parts[at]
        out.append(collection)
        if at + 1 < len(parts):
            # under an action, a revision is an action revision: the same parameter name, another path
            out.append("{" + SINGULAR[collection] + "}")
    return "/".join(out)


def read_client() -> list[ClientOperation]:
    """Every operation of every generated service, in module then endpoint order."""
    try:
        from h2o_workflows.gen import api as api_package  # type: ignore[import-untyped]
        from h2o_workflows.gen.api_client import ApiClient  # type: ignore[import-untyped]
    except ImportError:
        raise ConfigError("the official h2o_workflows client is not installed (pip install h2o-workflows)") from None
    out: list[ClientOperation] = []
    client = ApiClient()
    for info in sorted(pkgutil.iter_modules(api_package.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{api_package.__name__}.{info.name}")
        classes: list[tuple[str, Any]] = inspect.getmembers(module, inspect.isclass)
        for _, cls in classes:
            if not cls.__name__.endswith("ServiceApi") or cls.__module__ != module.__name__:
                continue
            service = cls.__name__.removesuffix("Api")
            instance: Any = cls(client)
            for attribute, endpoint in vars(instance).items():
                if attribute.endswith("_endpoint"):
                    out.append(_operation(service, endpoint))
    return out


def _operation(service: str, endpoint: Any) -> ClientOperation:
    settings = endpoint.settings
    path = str(settings["endpoint_path"])
    params = [p for p in endpoint.params_map["all"] if not PRIVATE.match(p)]
    required = set(endpoint.params_map["required"])
    snake = str(settings["operation_id"]).removeprefix(_snake(service) + "_")
    op = ClientOperation(
        service=service,
        operation_id=f"{service}_{''.join(w.capitalize() for w in snake.split('_'))}",
        method=str(settings["http_method"]),
        path=path,
    )
    for name in params:
        where = endpoint.location_map.get(name)
        types = endpoint.openapi_types[name]
        if where == "path":
            pattern = endpoint.validations[(name,)]["regex"]["pattern"]
            op.path = op.path.replace("{" + endpoint.attribute_map[name] + "}", _segments(pattern))
        elif where == "query":
            op.query.append((endpoint.attribute_map[name], types, name in required))
        elif where == "body":
            # a free-form body ({} for the :verb calls) is typed as "any of bool, date, ..., dict"
            op.body = "object" if len(types) > 1 or types[0] is dict else types[0].__name__
            op.body_required = name in required
    response = settings["response_type"]
    op.answer = response[0].__name__ if response and len(response) == 1 and inspect.isclass(response[0]) else None
    return op


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# -------------------------------------------------------------------------------------------------- schemas


def _model(name: str) -> Any:
    from h2o_workflows.gen import models

    return getattr(models, name)


def _type_schema(types: tuple[Any, ...], wanted: set[str]) -> JSON:
    """The schema of an ``openapi_types`` entry; names the models it refers to in ``wanted``."""
    nullable = type(None) in types
    kinds = [t for t in types if t is not type(None)]
    kind = kinds[0] if kinds else str
    schema: JSON
    if isinstance(kind, list):
        schema = {"type": "array", "items": _type_schema(tuple(kind), wanted)}
    elif isinstance(kind, dict):
        schema = {"type": "object", "additionalProperties": _type_schema(tuple(next(iter(kind.values()))), wanted)}
    elif kind is datetime.datetime:
        schema = {"type": "string", "format": "date-time"}
    elif kind is bool:
        schema = {"type": "boolean"}
    elif kind is int:
        schema = {"type": "integer", "format": "int32"}
    elif kind is float:
        schema = {"type": "number"}
    elif kind is str:
        schema = {"type": "string"}
    elif inspect.isclass(kind) and hasattr(kind, "openapi_types"):
        wanted.add(kind.__name__)
        return {"$ref": f"#/components/schemas/{kind.__name__}", **({"nullable": True} if nullable else {})}
    else:
        schema = {}
    if nullable:
        schema["nullable"] = True
    return schema


def model_schema(name: str, wanted: set[str]) -> JSON:
    """The schema of one generated model: an enum, or an object with its JSON names, required and read-only."""
    cls = _model(name)
    values = getattr(cls, "allowed_values", {}).get(("value",))
    if values:
        return {"type": "string", "enum": list(values.values())}
    required = [
        cls.attribute_map[p]
        for p in inspect.signature(cls._from_openapi_data).parameters
        if p not in ("args", "kwargs") and p in cls.attribute_map
    ]
    properties: JSON = {}
    for attribute, json_name in cls.attribute_map.items():
        prop = _type_schema(cls.openapi_types[attribute], wanted)
        if attribute in cls.read_only_vars:
            prop = {"allOf": [prop], "readOnly": True} if "$ref" in prop else {**prop, "readOnly": True}
        properties[json_name] = prop
    schema: JSON = {"type": "object", "properties": properties}
    if required:
        schema["required"] = required
    return schema


# -------------------------------------------------------------------------------------------------- merging


def _query_param(name: str, types: tuple[Any, ...], required: bool, parameters: JSON, wanted: set[str]) -> JSON:
    if name in parameters:
        return {"$ref": f"#/components/parameters/{name}"}
    param: JSON = {"name": name, "in": "query", "schema": _type_schema(types, wanted)}
    if required:
        param["required"] = True
    return param


def _path_param(name: str, parameters: JSON) -> JSON:
    if name not in parameters:
        parameters[name] = {
            **copy.deepcopy(parameters["workspace"]),
            "name": name,
            "description": f"{name} id",
            GENERATED: True,
        }
    return {"$ref": f"#/components/parameters/{name}"}


def _new_operation(op: ClientOperation, parameters: JSON, wanted: set[str]) -> JSON:
    names = re.findall(r"\{([^}]+)\}", op.path)
    params = [_path_param(n, parameters) for n in names]
    params += [_query_param(n, t, r, parameters, wanted) for n, t, r in op.query]
    out: JSON = {"operationId": op.operation_id, "summary": f"{op.service}: {op.operation_id.split('_', 1)[1]}"}
    out[GENERATED] = True
    if params:
        out["parameters"] = params
    if op.body is not None:
        schema: JSON = {"$ref": "#/components/schemas/Empty"} if op.body == "object" else _ref(op.body, wanted)
        out["requestBody"] = {"required": op.body_required, "content": {"application/json": {"schema": schema}}}
    answer = _ref(op.answer, wanted) if op.answer else {"$ref": "#/components/schemas/Empty"}
    out["responses"] = {
        "200": {"description": "OK", "content": {"application/json": {"schema": answer}}},
        "400": {"$ref": "#/components/responses/BadRequest"},
        "401": {"$ref": "#/components/responses/Unauthorized"},
        "404": {"$ref": "#/components/responses/NotFound"},
    }
    return out


def _ref(name: str, wanted: set[str]) -> JSON:
    wanted.add(name)
    return {"$ref": f"#/components/schemas/{name}"}


def _param_names(document: JSON, op: JSON) -> set[str]:
    names = set()
    for raw in op.get("parameters", []):
        ref = str(raw.get("$ref", ""))
        param = document["components"]["parameters"][ref.rsplit("/", 1)[1]] if ref else raw
        names.add(str(param["name"]))
    return names


def build_openapi(base: Mapping[str, Any], operations: list[ClientOperation] | None = None) -> tuple[JSON, list[str]]:
    """The contract with every client operation in it, and each disagreement between client and contract."""
    operations = read_client() if operations is None else operations
    document = strip_marked(base, GENERATED)
    paths: JSON = document.setdefault("paths", {})
    components = document.setdefault("components", {})
    parameters: JSON = components.setdefault("parameters", {})
    schemas: JSON = components.setdefault("schemas", {})
    wanted: set[str] = set()
    drift: list[str] = []
    client_keys = set()
    for op in operations:
        client_keys.add((op.method.lower(), op.path))
        item = paths.get(op.path, {})
        known = item.get(op.method.lower())
        if known is None:
            paths.setdefault(op.path, {})[op.method.lower()] = _new_operation(op, parameters, wanted)
            continue
        if known.get("operationId") != op.operation_id:
            drift.append(
                f"{op.method} {op.path}: the client calls it {op.operation_id}, the contract {known.get('operationId')}"
            )
        body = known.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
        named = str(body.get("$ref", "")).rsplit("/", 1)[-1]
        if op.body not in (None, "object") and named != op.body:
            drift.append(f"{op.method} {op.path}: the client sends a {op.body}, the contract documents a {named}")
        have = _param_names(document, known)
        for name, types, required in op.query:
            if name not in have:
                param = _query_param(name, types, required, parameters, wanted)
                known.setdefault("parameters", []).append({**param, GENERATED: True})
                drift.append(
                    f"{op.method} {op.path}: the client sends query parameter {name!r}; the contract lacked it"
                )
    for path, item in paths.items():
        for method in item:
            if (
                method in ("get", "put", "post", "delete", "patch")
                and path.startswith("/v1/")
                and (method, path) not in client_keys
            ):
                drift.append(f"{method.upper()} {path}: in the contract, not in the client")
    from h2o_workflows.gen import models

    for name in sorted(n for n in dir(models) if n in schemas and not schemas[n].get(GENERATED)):
        drift += _schema_drift(name, schemas[name], model_schema(name, set()))
    done: set[str] = set()
    while wanted - done:
        name = sorted(wanted - done)[0]
        done.add(name)
        generated = model_schema(name, wanted)
        if name not in schemas:
            schemas[name] = {**generated, GENERATED: True}
    document["paths"] = dict(
        sorted(paths.items(), key=lambda kv: (not kv[0].startswith("/v1/"), _resource_order(kv[0])))
    )
    return document, drift


def _resource_order(path: str) -> tuple[int, str]:
    # the contract's own order: workflows (and everything under them), runners, actions
    for rank, marker in enumerate(("/workflows", "/runners", "/actions")):
        if marker in path:
            return rank, path if marker != "/workflows" else ""
    return 9, path


def _schema_drift(name: str, contract: Mapping[str, Any], client: Mapping[str, Any]) -> list[str]:
    ours, theirs = set(contract.get("properties", {})), set(client.get("properties", {}))
    out = [f"schema {name}: the client's model has {p!r}, the contract does not" for p in sorted(theirs - ours)]
    out += [f"schema {name}: the contract has {p!r}, the client's model does not" for p in sorted(ours - theirs)]
    if contract.get("enum") and client.get("enum") and set(contract["enum"]) != set(client["enum"]):
        out.append(f"schema {name}: enum {contract['enum']} in the contract, {client['enum']} in the client")
    return out


def openapi_from_client() -> JSON:
    """The Workflows contract regenerated from the installed client and the checkout's contract."""
    import yaml

    from h2oharness.openapi import contract_path

    base = yaml.safe_load(contract_path("workflows").read_text(encoding="utf-8"))
    document, _ = build_openapi(base)
    return document
