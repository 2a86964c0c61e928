"""Concrete requests an H2O-3 sweep adds to what it generates: the inputs that kill a node, which fuzzing rarely draws.

Signature (the contract driver and the time-budgeted sweep engine call it)::

    extra_cases(operation: Operation, keys: SweepKeys | None) -> Iterator[ExtraCase]

``operation`` is one operation of the contract: its method, path template and parameters
(name, location, kind); ``Operation.from_schemathesis(op)`` makes one from a schemathesis
``APIOperation``. ``keys`` are the real frame, model and job made on the target
(``h2oharness.apis.h2o3.keys``), or None. Each ``ExtraCase`` is one concrete request
(method, path template and values, query, headers, body, media type) with a ``family``
naming the kind of input: once one case of a family kills the node, a sweep need not
send the rest of that family (each death costs a restart).

What the cases reach on H2O-3 3.46.0.12:

- ``system-key:<first byte>[:alone][:write]`` (in a path or a key query parameter): a key whose
  first byte is below 32 is a *system key* in H2O, whose next bytes encode its home node and
  replicas. ``\\x05`` (a chunk key) followed by any byte makes ``Key.make`` call ``H2O.fail()``
  (``water.Key.D``, Key.java:119): the node logs ``FATAL water.default: Unknown code failure`` and
  exits. ``GET /3/Frames/%05a`` is enough, and every route that parses a key (path or query) does
  the same.
- ``object-as-string`` (in a form, a JSON body and the query): a parameter whose contract type is an
  object (AutoML's ``build_control``, ``input_spec``, ``build_models``) sent as a plain string.
  ``Schema.parse`` has no branch for it and calls ``H2O.fail("Unimplemented schema fill from ...")``
  (Schema.java:591): ``POST /99/AutoMLBuilder`` with the form body ``build_control=x`` kills the node.
  A generated query never sends it (schemathesis serialises an object parameter as JSON).
- ``schema-class``: the name of a real schema class, fully qualified, where a class name is asked for: ``GET
  /3/Metadata/schemaclasses/water.api.schemas3.CloudV3`` (any of them: CloudV3, FrameV3, PingV3, JobV3) makes
  ``Schema.createImpl`` call ``H2O.fail("Exception making a newInstance")`` (Schema.java:168) and the node exits.
  A generated name never is one (an unknown class is a 400).
- ``unicode:path``: non-ASCII and control characters in path parameters (Jetty's and H2O's decoding).
- ``keys:form`` / ``keys:json`` / ``empty:form`` / ``empty:json``: every builder (a POST with
  parameters) with its real keys, and with nothing, as a form-encoded and as a JSON body.

Example:
    for extra in extra_cases(Operation.from_schemathesis(op), keys):
        op.Case(path_parameters=extra.path_parameters, query=extra.query, body=extra.body,
                media_type=extra.media_type, headers=extra.headers)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from h2oharness.apis.h2o3.keys import FRAME_PARAMS, JOB_PARAMS, MODEL_PARAMS, PATH_PARAMS, SweepKeys
from h2oharness.contractplan import ExtraCase

__all__ = ["ExtraCase", "Operation", "Parameter", "extra_cases"]

Kind = Literal["string", "integer", "number", "boolean", "array", "object"]
KINDS: tuple[Kind, ...] = ("string", "integer", "number", "boolean", "array", "object")
Location = Literal["path", "query", "header", "cookie"]
FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
#: first bytes that make a key a system key (0 is refused by Jetty before H2O sees it); 0x05, a chunk key, first:
#: it is the one that kills 3.46.0.12
SYSTEM_BYTES = (5, *(byte for byte in range(1, 32) if byte != 5))
#: what follows the first byte: one ASCII byte (after every first byte), and for a few first bytes nothing (a
#: one-byte key) or a two-byte UTF-8 character
SYSTEM_TAILS = ("", "\u00e8")
SYSTEM_SHORT = (5, 1, 31)
#: a query parameter is one more way into the same parsing: its first few key parameters, with a few first bytes
QUERY_KEYS = 3
UNICODE_VALUES = ("\u00e8", "\u2028", "\U0001f600", "\x7f", "a\x00b", "\ufeff", "\u0130", "%")
#: names of key parameters beyond the ones the real keys fill
_KEY_SUFFIXES = ("_id", "_frame", "_key", "_model")
#: never send more than this many extra cases for one operation
MAX_PER_OPERATION = 400


@dataclass(frozen=True)
class Parameter:
    """One parameter of an operation: name, where it goes, its JSON type, whether it is required."""

    name: str
    location: Location
    kind: Kind = "string"
    required: bool = False

    @property
    def takes_key(self) -> bool:
        """Whether the server parses it as a key (a frame, model, job or other named object)."""
        name = self.name
        known = FRAME_PARAMS | MODEL_PARAMS | JOB_PARAMS
        return self.kind == "string" and (name in known or name.endswith(_KEY_SUFFIXES) or name == "key")


@dataclass(frozen=True)
class Operation:
    """An operation of the contract: what ``extra_cases`` needs to know of it."""

    method: str
    path: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def located(self, location: str) -> tuple[Parameter, ...]:
        """Its parameters in ``location`` ("path", "query")."""
        return tuple(p for p in self.parameters if p.location == location)

    @classmethod
    def from_schemathesis(cls, operation: Any) -> Operation:
        """The operation of a schemathesis ``APIOperation`` (OpenAPI)."""
        parameters = []
        groups: tuple[tuple[Location, Any], ...] = (("path", operation.path_parameters), ("query", operation.query))
        for location, group in groups:
            for parameter in group:
                definition = dict(getattr(parameter, "definition", None) or {})
                parameters.append(Parameter(parameter.name, location, kind_of(definition), bool(parameter.is_required)))
        return cls(operation.method.upper(), operation.path, tuple(parameters))


def kind_of(definition: Mapping[str, Any]) -> Kind:
    """The JSON type an OpenAPI parameter definition declares (``schema``, or the schema of its ``content``)."""
    schema = definition.get("schema")
    if schema is None:
        content = definition.get("content") or {}
        schema = next((media.get("schema") for media in content.values() if isinstance(media, dict)), None)
    if not isinstance(schema, dict):
        return "string"
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), "string")
    for kind in KINDS:
        if declared == kind:
            return kind
    if "$ref" in schema or "properties" in schema or "allOf" in schema:
        return "object"
    return "string"


def _filler(parameter: Parameter, keys: SweepKeys | None, path: str) -> Any:
    """A value for a path parameter that is not the one under test: a real key, else a plain name."""
    real = keys.value(parameter.name, path) if keys is not None else None
    return real if real is not None else "h2oharness_x"


def _required_query(operation: Operation, keys: SweepKeys | None) -> dict[str, Any]:
    """The operation's key parameters set to the real keys (so a case gets past the lookup into the code)."""
    out: dict[str, Any] = {}
    if keys is None:
        return out
    for parameter in operation.located("query"):
        value = keys.value(parameter.name, operation.path)
        if value is not None and parameter.name not in PATH_PARAMS:
            out[parameter.name] = value
    return out


def system_family(key: str, method: str = "GET") -> str:
    """The family of a system key: its first byte, whether it is that byte alone, and whether the method only reads.

    Wherever the key goes (the path or the query reach the same parsing) one death of a family is enough; a
    read-only route keeps a family of its own, so that a death first seen on a DELETE is also shown on a GET
    (which anyone allowed to read can send).
    """
    alone = ":alone" if len(key) == 1 else ""
    writes = "" if method.upper() in ("GET", "HEAD") else ":write"
    return f"system-key:{ord(key[0]):02x}{alone}{writes}"


def _system_keys(short: bool = False) -> Iterator[str]:
    for byte in SYSTEM_SHORT if short else SYSTEM_BYTES:
        yield chr(byte) + "a"
    for tail in SYSTEM_TAILS:
        for byte in SYSTEM_SHORT:
            yield chr(byte) + tail


#: a schema class H2O-3 3.46.0.12 has: asking for its metadata by this name kills the node
SCHEMA_CLASS = "water.api.schemas3.CloudV3"


def _schema_class_cases(operation: Operation, keys: SweepKeys | None) -> Iterator[ExtraCase]:
    for parameter in operation.located("path"):
        if parameter.name == "classname":
            filled = {p.name: _filler(p, keys, operation.path) for p in operation.located("path")}
            filled[parameter.name] = SCHEMA_CLASS
            yield ExtraCase(operation.method, operation.path, filled, {}, family="schema-class")


def _path_cases(operation: Operation, keys: SweepKeys | None) -> Iterator[ExtraCase]:
    parameters = operation.located("path")
    fillers = {p.name: _filler(p, keys, operation.path) for p in parameters}
    for parameter in parameters:
        for value in _system_keys():
            filled = {**fillers, parameter.name: value}
            yield ExtraCase(operation.method, operation.path, filled, {}, family=system_family(value, operation.method))
        for value in UNICODE_VALUES:
            filled = {**fillers, parameter.name: value}
            yield ExtraCase(operation.method, operation.path, filled, {}, family="unicode:path")


def _query_cases(operation: Operation, keys: SweepKeys | None) -> Iterator[ExtraCase]:
    fillers = {p.name: _filler(p, keys, operation.path) for p in operation.located("path")}
    base = _required_query(operation, keys)
    for parameter in [p for p in operation.located("query") if p.takes_key][:QUERY_KEYS]:
        for value in _system_keys(short=True):
            query = {**base, parameter.name: value}
            family = system_family(value, operation.method)
            yield ExtraCase(operation.method, operation.path, fillers, query, family=family)


def _body_cases(operation: Operation, keys: SweepKeys | None) -> Iterator[ExtraCase]:
    if operation.method != "POST" or not operation.located("query"):
        return
    method, path = operation.method, operation.path
    fillers = {p.name: _filler(p, keys, path) for p in operation.located("path")}
    real = _required_query(operation, keys)
    for media, label in ((FORM, "form"), (JSON, "json")):
        if real:
            yield ExtraCase(method, path, fillers, body=real, media_type=media, family=f"keys:{label}")
        yield ExtraCase(method, path, fillers, body={}, media_type=media, family=f"empty:{label}")
    for parameter in operation.located("query"):
        if parameter.kind != "object":
            continue
        for media in (FORM, JSON):
            as_string = {parameter.name: "x"}
            yield ExtraCase(method, path, fillers, body=as_string, media_type=media, family="object-as-string")
        yield ExtraCase(method, path, fillers, {parameter.name: "x"}, family="object-as-string")


def extra_cases(operation: Operation, keys: SweepKeys | None) -> Iterator[ExtraCase]:
    """The concrete requests to send for ``operation`` besides the generated ones (at most ``MAX_PER_OPERATION``).

    Deterministic: the same operation and keys give the same cases in the same order, the likeliest node
    killers of each family first within it.
    """
    sent = 0
    for generator in (_schema_class_cases, _body_cases, _query_cases, _path_cases):
        for case in generator(operation, keys):
            if sent >= MAX_PER_OPERATION:
                return
            sent += 1
            yield case
