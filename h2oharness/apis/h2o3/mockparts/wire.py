"""H2O-3's wire format: schema metadata, keys, two-dimensional tables, H2OErrorV3 and JSON with "NaN" strings."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

JSONDict = dict[str, Any]

KEY_URLS = {
    "Frame": "/3/Frames/",
    "Model": "/3/Models/",
    "Job": "/3/Jobs/",
    "PartialDependence": "/3/PartialDependence/",
}
# keys a real server gives no URL
NO_URL = frozenset({"Grid"})

NOT_FOUND = "water.exceptions.H2ONotFoundArgumentException"
KEY_NOT_FOUND = "water.exceptions.H2OKeyNotFoundArgumentException"
H2O_ILLEGAL = "water.exceptions.H2OIllegalArgumentException"
JAVA_ILLEGAL = "java.lang.IllegalArgumentException"
BUILDER_ILLEGAL = "water.exceptions.H2OModelBuilderIllegalArgumentException"


def meta(schema_name: str, schema_type: str, version: int = 3) -> JSONDict:
    """The ``__meta`` object every H2O-3 schema instance carries."""
    return {"schema_version": version, "schema_name": schema_name, "schema_type": schema_type}


def key(name: str, kind: str) -> JSONDict:
    """A FrameKeyV3 / ModelKeyV3 / JobKeyV3 object for ``name``; ``kind`` is Frame, Model or Job."""
    return {
        "__meta": meta(f"{kind}KeyV3", f"Key<{kind}>"),
        "name": name,
        "type": f"Key<{kind}>",
        "URL": None if kind in NO_URL else KEY_URLS.get(kind, "/3/") + name,
    }


def col_specifier(column: str | None) -> JSONDict | None:
    """A ColSpecifierV3 (how H2O-3 echoes a response column), or None."""
    if column is None:
        return None
    return {"__meta": meta("ColSpecifierV3", "VecSpecifier"), "column_name": column, "is_member_of_frames": None}


Column = tuple[str, str, str, str]


def two_dim_table(name: str, description: str, columns: Sequence[Column], rows: Sequence[Sequence[Any]]) -> JSONDict:
    """A TwoDimTableV3; ``columns`` are (name, type, format, description) and ``rows`` are row-major."""
    return {
        "__meta": meta("TwoDimTableV3", "TwoDimTable"),
        "name": name,
        "description": description,
        "columns": [
            {"__meta": meta("ColumnSpecsBase", "Iced", -1), "name": n, "type": t, "format": f, "description": d}
            for n, t, f, d in columns
        ],
        "rowcount": len(rows),
        # H2O-3 sends tables column-major
        "data": [[row[i] for row in rows] for i in range(len(columns))],
    }


def _clean(value: Any) -> Any:
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def encode(body: Any) -> bytes:
    """Serialise like H2O-3: compact, UTF-8, non-finite doubles as the strings "NaN"/"Infinity"/"-Infinity"."""
    return json.dumps(_clean(body), separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def banner(text: str) -> str:
    """H2O-3 wraps every error text in the same banner."""
    return f"\n\nERROR MESSAGE:\n\n{text}\n\n"


class H2OError(Exception):
    """An error the mock answers with an H2OErrorV3 body (or a subclass body such as H2OModelBuilderErrorV3)."""

    def __init__(
        self,
        status: int,
        text: str,
        exception_type: str = JAVA_ILLEGAL,
        *,
        values: JSONDict | None = None,
        extra: JSONDict | None = None,
        schema: str = "H2OErrorV3",
        url: str | None = None,
        raw_msg: str | None = None,
    ) -> None:
        super().__init__(text)
        self.status = status
        self.text = text
        self.exception_type = exception_type
        self.values = values or {}
        self.extra = extra or {}
        self.schema = schema
        self.url = url
        self.raw_msg = raw_msg

    def body(self, url: str, timestamp_ms: int) -> JSONDict:
        """The JSON body H2O-3 sends for this error."""
        msg = self.raw_msg if self.raw_msg is not None else banner(self.text)
        schema_type = self.schema.removesuffix("V3")
        body: JSONDict = {
            "__meta": meta(self.schema, schema_type),
            "timestamp": timestamp_ms,
            "error_url": self.url or url,
            "msg": msg,
            "dev_msg": msg,
            "http_status": self.status,
            "values": self.values,
            "exception_type": self.exception_type,
            "exception_msg": msg,
            "stacktrace": [f"{self.exception_type}: {self.text}", "    h2oharness.mock (no Java stack in the mock)"],
        }
        body.update(self.extra)
        return body


def not_found(text: str) -> H2OError:
    """404 for a route or file that does not exist."""
    return H2OError(404, text, NOT_FOUND)


def key_not_found(name: str, argument: str = "key", function: str | None = None) -> H2OError:
    """404 for an unknown frame/model key, worded like H2O-3."""
    where = f" in function: {function}" if function else ""
    return H2OError(404, f"Object '{name}' not found{where} for argument: {argument}", KEY_NOT_FOUND)


def bad_request(text: str) -> H2OError:
    """400 with java.lang.IllegalArgumentException, H2O-3's answer to most malformed input."""
    return H2OError(400, text, JAVA_ILLEGAL)


def precondition(text: str) -> H2OError:
    """412 with H2OIllegalArgumentException: a missing or unconvertible parameter."""
    return H2OError(412, text, H2O_ILLEGAL)
