"""Query and body field checks with FastAPI's answers: 422 and ``{"detail": [{loc, msg, type}]}``."""

from __future__ import annotations

import uuid
from typing import Any

from h2oharness.apis.coreplexml.mockparts.wire import Call, JSONDict, unprocessable

TRUE = {"true", "1", "yes", "on", "t", "y"}
FALSE = {"false", "0", "no", "off", "f", "n"}


def int_query(call: Call, name: str, default: int, minimum: int | None = None, maximum: int | None = None) -> int:
    """An integer query parameter within bounds."""
    raw = call.param(name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise unprocessable(
            "Input should be a valid integer, unable to parse string as an integer", ("query", name), "int_parsing"
        ) from None
    if minimum is not None and value < minimum:
        raise unprocessable(
            f"Input should be greater than or equal to {minimum}", ("query", name), "greater_than_equal"
        )
    if maximum is not None and value > maximum:
        raise unprocessable(f"Input should be less than or equal to {maximum}", ("query", name), "less_than_equal")
    return value


def bool_query(call: Call, name: str, default: bool = False) -> bool:
    """A boolean query parameter as FastAPI reads one (true/false, 1/0, yes/no, on/off)."""
    raw = call.param(name)
    if raw is None:
        return default
    text = raw.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise unprocessable("Input should be a valid boolean, unable to interpret input", ("query", name), "bool_parsing")


def enum_query(call: Call, name: str, choices: tuple[str, ...], default: str | None = None) -> str | None:
    """A query parameter that must be one of ``choices``."""
    raw = call.param(name)
    if raw is None:
        return default
    if raw not in choices:
        quoted = ", ".join(f"'{c}'" for c in choices)
        raise unprocessable(f"Input should be {quoted}", ("query", name), "enum")
    return raw


def str_query(call: Call, name: str) -> str | None:
    """A free-text query parameter."""
    return call.param(name)


def required_str(body: JSONDict, name: str, *, min_length: int = 1, max_length: int = 500) -> str:
    """A required string field of a JSON body."""
    if name not in body or body[name] is None:
        raise unprocessable("Field required", ("body", name), "missing")
    return checked_str(body[name], name, min_length=min_length, max_length=max_length)


def checked_str(value: Any, name: str, *, min_length: int = 0, max_length: int = 5000) -> str:
    """A string within length bounds."""
    if not isinstance(value, str):
        raise unprocessable("Input should be a valid string", ("body", name), "string_type")
    if len(value.strip()) < min_length:
        raise unprocessable(f"String should have at least {min_length} character", ("body", name), "string_too_short")
    if len(value) > max_length:
        raise unprocessable(f"String should have at most {max_length} characters", ("body", name), "string_too_long")
    return value


def uuid_text(value: str, loc: tuple[str, str]) -> str:
    """A UUID in its text form, as FastAPI's ``UUID`` fields want; 422 otherwise."""
    try:
        uuid.UUID(value)
    except ValueError:
        raise unprocessable("Input should be a valid UUID", loc, "uuid_parsing") from None
    return value


def uuid_query(call: Call, name: str) -> str | None:
    """An optional query parameter that must be a UUID."""
    raw = call.param(name)
    return None if raw is None else uuid_text(raw, ("query", name))


def optional_bool(body: JSONDict, name: str, default: bool) -> bool:
    """An optional boolean field of a JSON body (absent: the default; null is refused)."""
    if name not in body:
        return default
    value = body[name]
    if not isinstance(value, bool):
        raise unprocessable("Input should be a valid boolean", ("body", name), "bool_type")
    return value


def optional_choice(body: JSONDict, name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    """An optional string field that must be one of ``choices`` (absent: the default; null is refused)."""
    if name not in body:
        return default
    value = body[name]
    if not isinstance(value, str) or value not in choices:
        quoted = ", ".join(f"'{c}'" for c in choices)
        raise unprocessable(f"Input should be {quoted}", ("body", name), "enum")
    return value
