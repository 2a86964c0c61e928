"""Copy-pasteable curl reproductions of requests, always redacted, for failure reports."""

from __future__ import annotations

import json
import shlex
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote_plus

import httpx

from h2oharness.http.redact import MASK, is_sensitive_name, redact, redact_mapping

__all__ = ["MAX_BODY_CHARS", "curl_command", "curl_from_request"]

#: Bodies longer than this are left out of the command (a note says how big they were).
MAX_BODY_CHARS = 16_384

# Headers httpx adds on its own; curl adds its equivalents, so repeating them is noise.
_IMPLIED_HEADERS = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding"})


def _form_value(value: Any) -> str:
    # The same spelling httpx uses when it encodes a form.
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


def _content_kind(content_type: str | None) -> str:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return "json"
    if media == "multipart/form-data":
        return "multipart"
    if media in ("", "application/x-www-form-urlencoded"):
        return "form"
    return "raw"


def _body_args(body: bytes | str | Mapping[str, Any], kind: str, secrets: tuple[str, ...]) -> tuple[list[str], str]:
    """curl arguments carrying ``body``, and a note for the reader when the body cannot be shown."""
    if isinstance(body, Mapping):
        if kind == "json":
            return ["-d", redact(json.dumps(body, ensure_ascii=False, default=str), secrets)], ""
        flag = "--form-string" if kind == "multipart" else "--data-urlencode"
        args: list[str] = []
        for name, value in body.items():
            values = value if isinstance(value, list | tuple) else [value]
            for item in values:
                shown = MASK if is_sensitive_name(name) else redact(_form_value(item), secrets)
                # curl splits --data-urlencode on the first "=" or "@" and sends the name unencoded.
                key = quote_plus(name) if kind == "form" else name
                args += [flag, f"{redact(key, secrets)}={shown}"]
        return args, ""
    if isinstance(body, bytes):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError:
            return ["--data-binary", "@body.bin"], f"{len(body)} bytes of binary body not shown"
    if len(body) > MAX_BODY_CHARS:
        return ["--data-binary", "@body.txt"], f"{len(body)} characters of body not shown"
    # -d @name would read a file; --data-raw sends the text as it is.
    return ["--data-raw" if body.startswith("@") else "-d", redact(body, secrets)], ""


def curl_command(
    method: str,
    url: str,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | Mapping[str, Any] | None = None,
    content_type: str | None = None,
    secrets: Iterable[str] = (),
) -> str:
    """A one-line, shell-quoted, redacted curl command that repeats the request.

    Example:
        >>> curl_command("POST", "http://h:54321/3/Parse", body={"source_frames": "f1"})
        "curl -X POST 'http://h:54321/3/Parse' --data-urlencode source_frames=f1"
    """
    secrets = tuple(secrets)
    method = method.upper()
    headers = dict(headers or {})
    header_type = next((value for name, value in headers.items() if name.lower() == "content-type"), None)
    kind = _content_kind(content_type or header_type)
    shown_url = redact(url, secrets)

    args = ["curl"]
    if method == "HEAD":
        args.append("--head")
    elif method != "GET" or body is not None:
        args += ["-X", method]
    if any(char in shown_url for char in "[]{}"):
        args.append("--globoff")  # else curl reads [REDACTED] or {id} in the URL as a glob
    args.append(shown_url)

    if isinstance(body, Mapping) and kind != "json":
        # curl writes its own form or multipart Content-Type (with the boundary it picks).
        headers = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    elif body is not None and header_type is None and content_type:
        headers["Content-Type"] = content_type
    for name, value in redact_mapping(headers, secrets).items():
        args += ["-H", f"{name}: {value}"]

    note = ""
    if body is not None:
        body_args, note = _body_args(body, kind, secrets)
        args += body_args
    command = redact(" ".join(shlex.quote(arg) for arg in args), secrets)
    return f"{command}  # {note}" if note else command


def curl_from_request(request: httpx.Request, secrets: Iterable[str] = ()) -> str:
    """The curl command for an ``httpx.Request`` (as sent, e.g. ``response.request``), redacted."""
    headers: dict[str, str] = {}
    for raw_name, raw_value in request.headers.raw:  # raw keeps the caller's spelling, e.g. "Authorization"
        name, value = raw_name.decode("latin-1"), raw_value.decode("latin-1")
        lowered = name.lower()
        if lowered in _IMPLIED_HEADERS or (lowered, value) == ("accept", "*/*"):
            continue
        if lowered == "user-agent" and value.startswith("python-httpx/"):
            continue
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    content_type = request.headers.get("content-type")
    try:
        content = request.content
    except httpx.RequestNotRead:
        command = curl_command(request.method, str(request.url), headers, None, content_type, secrets)
        return f"{command}  # streamed body not shown"
    body: bytes | str | dict[str, list[str]] | None = content or None
    if content and content_type and _content_kind(content_type) == "form":
        try:
            pairs = parse_qsl(content.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        except (UnicodeDecodeError, ValueError):
            pairs = []
        if pairs:
            form: dict[str, list[str]] = {}
            for name, value in pairs:
                form.setdefault(name, []).append(value)
            body = form
    return curl_command(request.method, str(request.url), headers, body, content_type, secrets)
