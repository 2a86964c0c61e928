"""The committed ``/3/Metadata`` snapshot of a real H2O-3 3.46.0.12, and schema skeletons built from it.

A skeleton is a schema instance with every serialised field at its default, so
the mock's answers carry exactly the fields a real server sends; handlers then
fill in the values they compute. The snapshot is read once and never mutated:
every accessor hands out copies.
"""

from __future__ import annotations

import copy
import functools
import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from h2oharness.apis.h2o3.mockparts.wire import JSONDict, meta

SNAPSHOT = Path(__file__).resolve().parent.parent / "metadata"


@functools.cache
def _raw(name: str) -> bytes:
    return gzip.decompress((SNAPSHOT / name).read_bytes())


@functools.cache
def _doc(name: str) -> JSONDict:
    doc: JSONDict = json.loads(_raw(name))
    return doc


def endpoints_bytes() -> bytes:
    """``GET /3/Metadata/endpoints`` exactly as the real server sent it."""
    return _raw("endpoints.json.gz")


def schemas_bytes() -> bytes:
    """``GET /3/Metadata/schemas`` exactly as the real server sent it."""
    return _raw("schemas.json.gz")


@functools.cache
def _schemas_by_name() -> dict[str, JSONDict]:
    return {s["name"]: s for s in _doc("schemas.json.gz")["schemas"]}


def routes() -> list[JSONDict]:
    """Every route of the snapshot (copies)."""
    return copy.deepcopy(_doc("endpoints.json.gz")["routes"])


def route(index_or_name: str) -> JSONDict | None:
    """One route by its index in the table or by its ``api_name``; None when neither matches."""
    table: list[JSONDict] = _doc("endpoints.json.gz")["routes"]
    if index_or_name.isdigit():
        i = int(index_or_name)
        return copy.deepcopy(table[i]) if i < len(table) else None
    for r in table:
        if r.get("api_name") == index_or_name:
            return copy.deepcopy(r)
    return None


def schema(name: str) -> JSONDict | None:
    """The SchemaMetadataV3 of one schema (a copy), or None."""
    found = _schemas_by_name().get(name)
    return copy.deepcopy(found) if found is not None else None


def has_schema(name: str) -> bool:
    """Whether the snapshot describes a schema of that name."""
    return name in _schemas_by_name()


def metadata_response(*, routes: list[JSONDict] | None = None, schemas: list[JSONDict] | None = None) -> JSONDict:
    """A MetadataV3 body holding some routes or some schemas."""
    return {
        "__meta": meta("MetadataV3", "Iced"),
        "_exclude_fields": "",
        "routes": routes,
        "schemas": schemas,
        "markdown": None,
    }


@dataclass(frozen=True)
class FieldSpec:
    """One field of a schema, as the metadata describes it."""

    name: str
    type: str
    default: Any
    direction: str
    required: bool
    level: str
    values: tuple[str, ...]
    help: str
    gridable: bool
    json: bool
    member_of_frames: tuple[str, ...]
    exclusive_with: tuple[str, ...]


@functools.cache
def _fields(schema_name: str) -> tuple[FieldSpec, ...]:
    found = _schemas_by_name().get(schema_name)
    if found is None:
        raise KeyError(schema_name)
    return tuple(
        FieldSpec(
            name=f["name"],
            type=f["type"],
            default=f["value"],
            direction=f["direction"],
            required=bool(f["required"]),
            level=f["level"],
            values=tuple(f.get("values") or ()),
            help=f.get("help") or "",
            gridable=bool(f.get("is_gridable")),
            json=bool(f.get("json")),
            member_of_frames=tuple(f.get("is_member_of_frames") or ()),
            exclusive_with=tuple(f.get("is_mutually_exclusive_with") or ()),
        )
        for f in found["fields"]
    )


def fields(schema_name: str) -> dict[str, FieldSpec]:
    """The fields of a schema by name, in the metadata's order; KeyError for an unknown schema."""
    return {f.name: f for f in _fields(schema_name)}


def input_fields(schema_name: str) -> dict[str, FieldSpec]:
    """The fields a request may set: INPUT and INOUT ones, bar ``__meta``."""
    return {f.name: f for f in _fields(schema_name) if f.direction in ("INPUT", "INOUT") and f.name != "__meta"}


def skeleton(schema_name: str) -> JSONDict:
    """A fresh instance of a schema with every serialised field at its default value."""
    found = _schemas_by_name().get(schema_name)
    if found is None:
        raise KeyError(schema_name)
    body: JSONDict = {"__meta": meta(schema_name, found["type"], found.get("version", 3))}
    for f in _fields(schema_name):
        if f.json and f.name != "__meta":
            body[f.name] = copy.deepcopy(f.default)
    return body


def help_map(schema_name: str) -> dict[str, str]:
    """Field name -> help text, as model outputs carry it in their ``help`` member."""
    return {f.name: f.help for f in _fields(schema_name) if f.json}
