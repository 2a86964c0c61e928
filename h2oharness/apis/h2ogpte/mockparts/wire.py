"""The mock's wire format: EndpointError bodies, JSON encoding, and request checks against ``spec``."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote

import jsonschema  # type: ignore[import-untyped]

from h2oharness.apis.h2ogpte.mockparts.schemas import FORM_SCHEMAS, REQUEST_SCHEMAS, Operation, Param, Schema


class ApiError(Exception):
    """An error answer: the status and the ``EndpointError`` message (under /openai_api, also the OpenAI error's
    ``type`` and ``code`` when they are not the ones the status implies)."""

    def __init__(self, status: int, message: str, *, kind: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.code = code

    def body(self) -> dict[str, Any]:
        """The EndpointError body: ``{"code", "message"}``."""
        return {"code": self.status, "message": self.message}


def attachment(name: str) -> str:
    """A Content-Disposition for a download saved as ``name``: headers carry latin-1 only, so a name beyond ASCII
    goes in ``filename*`` (RFC 6266), with an ASCII stand-in in ``filename`` (the official client reads neither:
    the exact form a real server sends is a guess)."""
    plain = "".join(c if " " <= c < "\x7f" and c not in '"\\' else "_" for c in name)
    if plain == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"


def bad_request(message: str) -> ApiError:
    """A 400 EndpointError."""
    return ApiError(400, message)


def not_found(what: str) -> ApiError:
    """A 404 EndpointError."""
    return ApiError(404, f"{what} not found")


def iso(moment: datetime) -> str:
    """An ISO 8601 UTC timestamp with microseconds, as the server writes them."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


#: the units of an interval such as "30 days", "1 year" or "1d", in seconds (a month is 30 days, a year 365)
_UNITS = {"second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800, "month": 2592000, "year": 31536000}
#: the abbreviations PostgreSQL's interval input takes too
_SHORT = {"s": "second", "sec": "second", "m": "minute", "min": "minute", "h": "hour", "hr": "hour", "d": "day"}
_SHORT |= {"w": "week", "mon": "month", "y": "year", "yr": "year"}
#: an interval as the server takes it: "a number and a unit" as the client's docs write it ("30 days", "1 year"), or
#: PostgreSQL's short units ("1d", "2 hrs"); at most 999 of a unit, so that an expiry stays a date. The contract
#: states the same pattern (fromclient.INTERVALS), so the mock refuses exactly what the contract forbids.
INTERVAL_PATTERN = (
    "^([0-9]{1,3}) *(seconds?|minutes?|hours?|days?|weeks?|months?|years?|secs?|mins?|hrs?|mons?|yrs?|s|m|h|d|w|y)$"
)


def interval(text: str, what: str = "interval") -> timedelta:
    """The length of an interval written as the server takes it (``INTERVAL_PATTERN``: ``"30 minutes"``,
    ``"7 days"``, ``"1 year"``, ``"1d"``); a 400 for anything else."""
    found = re.fullmatch(INTERVAL_PATTERN, text)
    if found is None:
        raise bad_request(f"Invalid {what}: {text[:80]!r}; expected a number and a unit, as in '30 days'")
    unit = found[2]
    unit = unit if unit in _UNITS else _SHORT.get(unit) or _SHORT.get(unit.removesuffix("s")) or unit.removesuffix("s")
    return timedelta(seconds=int(found[1]) * _UNITS[unit])


def parse_iso(text: str) -> datetime | None:
    """A timestamp the mock wrote (``iso`` or ``datetime.isoformat``), or None for anything else."""
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    raise TypeError(f"cannot encode {type(value).__name__}")


def encode(value: Any) -> bytes:
    """JSON bytes; datetimes as ISO strings; keys starting with ``_`` (mock bookkeeping) dropped."""
    return json.dumps(public(value), default=_default, separators=(",", ":")).encode()


def public(value: Any) -> Any:
    """A copy without the mock's private ``_`` keys."""
    if isinstance(value, dict):
        return {k: public(v) for k, v in value.items() if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(value, list):
        return [public(v) for v in value]
    return value


def to_json_schema(schema: Any) -> Any:
    """OpenAPI 3.0 ``nullable`` turned into JSON Schema's null type, recursively."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {
        k: to_json_schema(v) for k, v in schema.items() if k not in ("nullable", "format", "description", "properties")
    }
    if "properties" in schema:
        out["properties"] = {name: to_json_schema(prop) for name, prop in schema["properties"].items()}
    if schema.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


_VALIDATORS: dict[str, jsonschema.Draft7Validator] = {
    name: jsonschema.Draft7Validator(to_json_schema(schema)) for name, schema in {**REQUEST_SCHEMAS}.items()
}


def check(schema_name: str, value: Any) -> None:
    """Raise a 400 naming the first violation when ``value`` does not match the named request schema."""
    error = next(iter(_VALIDATORS[schema_name].iter_errors(value)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "body"
        raise bad_request(f"Invalid request body at {where}: {error.message[:200]}")


URLENCODED = "application/x-www-form-urlencoded"


@dataclass
class Part:
    """One part of a multipart form."""

    value: bytes
    filename: str | None = None

    def text(self) -> str:
        """The part's value as text."""
        return self.value.decode("utf-8", errors="replace")


@dataclass
class Call:
    """A decoded request: what the handlers see."""

    method: str
    path: str
    path_params: dict[str, str]
    query: dict[str, Any]
    raw_query: list[tuple[str, str]]
    body: bytes
    content_type: str
    json: Any = None
    accept: str = ""
    form: dict[str, Part] = field(default_factory=dict)
    #: the bearer key the request came with: whose request it is
    bearer: str | None = None


def _coerce(param: str, schema: Schema, raw: str) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            number = float(raw)
            if number != number or number in (float("inf"), float("-inf")):
                raise ValueError(raw)
            return number
    except ValueError:
        raise bad_request(f"Invalid value for parameter {param}: {raw!r} is not a {kind}") from None
    if kind == "boolean":
        if raw.lower() not in ("true", "false"):
            raise bad_request(f"Invalid value for parameter {param}: {raw!r} is not a boolean")
        return raw.lower() == "true"
    return raw


def parse_query(params: tuple[Param, ...], raw: list[tuple[str, str]], strict: bool = True) -> dict[str, Any]:
    """The operation's query parameters, typed; a 400 for a missing required one, one of the wrong type, or
    (``strict``) one the operation does not take."""
    if strict:
        known = {p.name for p in params}
        unknown = sorted({k for k, _ in raw if k not in known})
        if unknown:
            raise bad_request(f"Unknown query parameter: {unknown[0][:80]}")
    values: dict[str, Any] = {}
    for param in params:
        given = [v for k, v in raw if k == param.name]
        if not given:
            if param.required:
                raise bad_request(f"Missing required query parameter: {param.name}")
            continue
        if param.schema.get("type") == "array":
            values[param.name] = [_coerce(param.name, param.schema["items"], v) for v in given]
        else:
            values[param.name] = _coerce(param.name, param.schema, given[-1])
    return values


def parse_multipart(content_type: str, body: bytes) -> dict[str, Part]:
    """The parts of a multipart/form-data body by name; 400 "Failed to parse form data." when it is not one.

    A urlencoded form counts too: the async client's aiohttp sends one when no file goes with the fields.
    """
    if content_type.lower().startswith(URLENCODED):
        pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return {name: Part(value.encode()) for name, value in pairs}
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type:
        raise bad_request("Failed to parse form data.")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not message.is_multipart():
        raise bad_request("Failed to parse form data.")
    parts: dict[str, Part] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        filename = part.get_filename()
        parts[name] = Part(payload if isinstance(payload, bytes) else b"", filename)
    if not parts and body.strip():
        raise bad_request("Failed to parse form data.")
    return parts


def check_form(schema_name: str, parts: dict[str, Part]) -> dict[str, Any]:
    """Typed values of a form's non-file fields; a 400 for a missing required field or a wrong type or value."""
    schema = FORM_SCHEMAS[schema_name]
    properties: dict[str, Schema] = schema["properties"]
    for name in schema.get("required", []):
        if name not in parts:
            if properties[name].get("format") == "binary":
                raise bad_request("The request does not contain a file.")
            raise bad_request(f"{name} is required.")
    values: dict[str, Any] = {}
    for name, part in parts.items():
        prop = properties.get(name)
        if prop is None or prop.get("format") == "binary":
            continue
        value = _coerce(name, prop, part.text())
        if "enum" in prop and value not in prop["enum"]:
            raise bad_request(f"Invalid value for {name}: {value!r}; expected one of {', '.join(prop['enum'])}")
        values[name] = value
    return values


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def loads_json(body: bytes) -> Any:
    """Strict JSON (no NaN or Infinity); a 400 for anything else."""
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        raise bad_request("Invalid format for the request body: malformed JSON.") from None


def json_body(op: Operation, call: Call) -> Any:
    """The JSON body of a JSON operation, checked against its schema (None when optional and absent)."""
    if op.body is None:
        return None
    if not call.body.strip():
        if op.body_required:
            raise bad_request("Invalid format for the request body: a JSON body is required.")
        return None
    media = call.content_type.split(";")[0].strip().lower()
    if media and not media.endswith("json"):
        raise bad_request(f"Invalid format for the request body: expected application/json, got {media}")
    value = loads_json(call.body)
    check(op.body, value)
    return value


def object_body(call: Call) -> dict[str, Any]:
    """The request's JSON object: the checked body, or (an operation without a request schema) the raw body parsed;
    a 400 for anything else."""
    value = call.json if call.json is not None else loads_json(call.body) if call.body.strip() else None
    if not isinstance(value, dict):
        raise bad_request("Invalid format for the request body: a JSON object is required.")
    return value


@dataclass
class Reply:
    """A handler's answer: JSON (or raw bytes), its status and headers, and how long (clock seconds) it takes."""

    body: Any = None
    status: int = 200
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def content(self) -> bytes:
        """The encoded body."""
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        if isinstance(self.body, str):
            return self.body.encode()
        return encode(self.body)


NO_CONTENT = 204


def empty() -> Reply:
    """A 204 without a body."""
    return Reply(None, status=NO_CONTENT, content_type="")


def page(items: list[Any], query: dict[str, Any], default_limit: int = 100) -> list[Any]:
    """``items[offset:offset+limit]`` with the query's offset and limit (negative values read as 0)."""
    offset = max(0, int(query.get("offset", 0)))
    limit = max(0, int(query.get("limit", default_limit)))
    return items[offset : offset + limit]
