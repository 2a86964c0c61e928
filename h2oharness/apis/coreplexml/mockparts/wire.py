"""The wire format of the CorePlexML mock: FastAPI-style errors (``{"detail": ...}``), decoded calls and replies."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

JSONDict = dict[str, Any]


class ApiError(Exception):
    """An error answer: status and ``detail`` (a string, or FastAPI's list of ``{loc, msg, type}``)."""

    def __init__(self, status: int, detail: str | list[JSONDict], headers: dict[str, str] | None = None) -> None:
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        super().__init__(f"HTTP {status}: {detail}")

    def body(self) -> JSONDict:
        """The JSON body of the answer."""
        return {"detail": self.detail}


def unprocessable(message: str, loc: tuple[str | int, ...] = ("body",), kind: str = "value_error") -> ApiError:
    """422 with one FastAPI-style validation item."""
    return ApiError(422, [{"loc": list(loc), "msg": message, "type": kind}])


def not_found(what: str) -> ApiError:
    """404 ``{"detail": "<what> not found"}``."""
    return ApiError(404, f"{what} not found")


@dataclass
class Upload:
    """A multipart form: its text fields and its files (name -> (filename, bytes))."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


def parse_multipart(content_type: str, body: bytes) -> Upload:
    """A ``multipart/form-data`` body, parsed with the standard library; 422 when it is not one."""
    if not content_type.lower().startswith("multipart/form-data") or "boundary=" not in content_type.lower():
        raise unprocessable("expected a multipart/form-data body with a 'file' part", loc=("body",))
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise unprocessable("the multipart body has no parts", loc=("body",))
    upload = Upload()
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        filename = part.get_param("filename", header="content-disposition")
        if isinstance(filename, str):
            upload.files[name] = (filename, data)
        else:
            upload.fields[name] = data.decode("utf-8", errors="replace")
    return upload


@dataclass
class Call:
    """One request, decoded."""

    method: str
    path: str
    path_params: dict[str, str] = field(default_factory=dict)
    query: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""
    content_type: str = ""
    user_agent: str = ""

    def json(self) -> JSONDict:
        """The body as a JSON object; 422 FastAPI-style when it is missing, not JSON or not an object."""
        if not self.body.strip():
            raise unprocessable("Field required", loc=("body",), kind="missing")
        try:
            value = json.loads(self.body, parse_constant=_no_constant)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested deeper than the parser goes
            raise unprocessable(f"JSON decode error: {exc}", loc=("body",), kind="json_invalid") from None
        if not isinstance(value, dict):
            raise unprocessable("Input should be a valid dictionary or object", loc=("body",), kind="dict_type")
        return value

    def param(self, name: str) -> str | None:
        """The single value of a query parameter (the last one when repeated), or None."""
        values = self.query.get(name)
        return values[-1] if values else None


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


@dataclass
class Reply:
    """What a handler answers."""

    body: JSONDict | None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    #: a download's bytes, sent as they are instead of the JSON body
    content: bytes | None = None
    media_type: str = "application/json"


def encode(body: JSONDict) -> bytes:
    """Compact JSON; ValueError on a non-finite float, which the mock treats as its own bug."""
    return json.dumps(body, separators=(",", ":"), allow_nan=False).encode()
