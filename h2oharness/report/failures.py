"""Turn what a failed test raised into report failures: check name, message, curl reproduction."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import httpx
import requests

from h2oharness.errors import HarnessError, NoAnswer, ResponseError
from h2oharness.http.deadline import describe
from h2oharness.report.model import Failure

if TYPE_CHECKING:
    from h2oharness.report.violations import Reason

_CURL = re.compile(r"Reproduce with:\s*\n\s*\n?\s*(curl [^\n]+)")
_NAMED = re.compile(r"((?:GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS) /\S*): ")
_OPERATION = re.compile(r"\[(GET|POST|PUT|DELETE|PATCH|HEAD|OPTIONS|TRACE) (/[^\]]*)\]")


def operation_of(nodeid: str) -> tuple[str, str] | None:
    """The (METHOD, path) a schemathesis test id names, e.g. ``test_x[GET /3/Cloud]``."""
    match = _OPERATION.search(nodeid)
    return (match.group(1), match.group(2)) if match else None


def _leaves(exc: BaseException) -> list[BaseException]:
    if isinstance(exc, BaseExceptionGroup):
        return [leaf for sub in exc.exceptions for leaf in _leaves(sub)]
    return [exc]


def _curls(exc: BaseException) -> list[str]:
    found = _CURL.findall(str(exc))
    if isinstance(exc, BaseExceptionGroup):
        for sub in exc.exceptions:
            found += _curls(sub)
    return found


def failures_from_exception(exc: BaseException, limit: int = 2000) -> list[Failure]:
    """One Failure per distinct check failure inside ``exc`` (groups are flattened)."""
    curls = _curls(exc)
    curl = curls[0] if curls else None
    out: list[Failure] = []
    seen: set[tuple[str, str]] = set()
    for leaf in _leaves(exc):
        unanswered = no_answer(leaf)
        if unanswered is not None:
            leaf = NoAnswer(unanswered)
        check = str(getattr(leaf, "title", "") or type(leaf).__name__)
        code = getattr(leaf, "code", None)
        if isinstance(code, str) and code.startswith("ST"):
            check = f"{code} {check}"
        # a schemathesis failure's ``message`` is its text; an error status's is the whole text (request, status,
        # the server's words), whatever its client keeps in a ``message`` of its own (h2oGPTe: the server's words)
        message = str(leaf if isinstance(leaf, ResponseError) else getattr(leaf, "message", "") or leaf).strip()
        where = schema_violation_site(leaf)
        signature = where[0] if where else None
        if where is not None:
            # the rendered message leads with the whole instance: say where and why first
            head = f"{where[1]}: {getattr(leaf, 'validation_message', '') or ''}".strip()
            reasons = _closest(leaf)
            if reasons:
                signature = "; ".join(sorted({f"{r.rule} at {_general(r.path)}" for r in reasons}))
                head = f"{where[1]}: {_said(reasons, str(list(getattr(leaf, 'schema_path', ['anyOf']))[-1]))}"
            message = f"{head}\n\n{message}"
        message = message[:limit]
        if (check, message) in seen:
            continue
        seen.add((check, message))
        # a request the target left unanswered has its own reproduction: schemathesis printed none for it
        reproduce = (leaf.curl if isinstance(leaf, NoAnswer) else None) or curl
        out.append(Failure(check=check, message=message, curl=reproduce, signature=signature))
    return out


def _closest(leaf: BaseException) -> list[Reason]:
    """The field errors behind a violation of an anyOf or oneOf, found again in the schema it was checked against."""
    from h2oharness.report.violations import closest_reasons

    # schemathesis keeps the schema the answer was validated against only privately (pinned below 4.33)
    root = getattr(leaf, "_root_schema", None)
    schema_path = list(getattr(leaf, "schema_path", None) or [])
    return closest_reasons(root, schema_path, getattr(leaf, "instance", None), list(getattr(leaf, "instance_path", [])))


def _said(reasons: list[Reason], keyword: str, shown: int = 3) -> str:
    listed = "; ".join(f"{r.where}: {r.text}" for r in reasons[:shown])
    more = f"; and {len(reasons) - shown} more" if len(reasons) > shown else ""
    return f"valid under none of its {keyword} schemas; the closest fails on {listed}{more}"


def _general(path: Sequence[str | int]) -> str:
    """A field path with its array indices as ``*``: the same field of every item."""
    return "/" + "/".join("*" if isinstance(p, int) else str(p) for p in path)


#: transport errors that are the target's doing: the answer never came whole (not a URL or a request of ours); by
#: class name, as httpx has them, since a client may carry its own copy of httpx (openai 2.x: ``httpx2``)
_UNANSWERED_HTTPX = frozenset({"TimeoutException", "NetworkError", "RemoteProtocolError"})
_UNANSWERED_REQUESTS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def no_answer(exc: BaseException) -> str | None:
    """What a ``NoAnswer`` check says of ``exc`` when it, or what it was raised from, is a request the target left
    without a complete answer (refused, reset, cut short, past its deadline), naming the request; else None.

    A scenario's own client raises the transport's error, the ``openai`` client its ``APIConnectionError`` from it:
    both are the failure the sweep reports as ``NoAnswer``.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, (AssertionError, HarnessError)):
            return None  # a check of ours (a cut stream, a NoAnswer) already says it in its own words
        if isinstance(current, _UNANSWERED_REQUESTS) or any(
            c.__name__ in _UNANSWERED_HTTPX and c.__module__.startswith("httpx") for c in type(current).__mro__
        ):
            return _unanswered_text(current)
        current = current.__cause__ or current.__context__
    return None


def _unanswered_text(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    named = _NAMED.match(text)  # our deadline transports name the request first
    what = _request_of(exc) or (named.group(1) if named else "")
    if what and text.startswith(f"{what}: "):
        text = text[len(what) + 2 :]
    if not text.startswith("no complete answer"):
        text = f"no complete answer ({text})"
    return f"{what}: {text}" if what else text


def _request_of(exc: BaseException) -> str:
    """``GET /path`` of the request ``exc`` was raised on, '' when it carries none."""
    try:
        request = getattr(exc, "request", None)  # httpx raises RuntimeError when no request was attached
    except RuntimeError:
        return ""
    method, url = getattr(request, "method", None), getattr(request, "url", None)
    if not method or not url:
        return ""
    return describe(str(method), url if isinstance(url, httpx.URL) else str(url))


def schema_violation_site(leaf: BaseException) -> tuple[str, str] | None:
    """For a JSON Schema violation: (what groups it: the rule and the field path, indices as ``*``; the path).

    None for any other failure.
    """
    instance_path = getattr(leaf, "instance_path", None)
    schema_path = getattr(leaf, "schema_path", None)
    if instance_path is None or schema_path is None:
        return None
    path = "/" + "/".join(str(p) for p in instance_path)
    rule = str(list(schema_path)[-1]) if list(schema_path) else "schema"
    return f"{rule} at {_general(list(instance_path))}", path


def with_response(failures: list[Failure], response: Any, limit: int = 2000) -> list[Failure]:
    """``failures`` carrying what the server answered (status, content type, head of the body) and, for a server
    error, the signature of the defect behind it, read from the whole body."""
    if response is None:
        return failures
    from dataclasses import replace

    from h2oharness.report.defects import signature_of

    status = int(getattr(response, "status_code", 0) or 0)
    headers = getattr(response, "headers", None) or {}
    content_type = str(headers.get("content-type", ""))
    try:
        body = str(response.text)
    except (AttributeError, UnicodeDecodeError, ValueError):
        body = ""
    shown = f"HTTP {status} {content_type}: {body[:limit]}{' …' if len(body) > limit else ''}"
    signature = signature_of(status, content_type, body) if status >= 500 else None
    return [replace(f, response=shown, signature=signature or f.signature) for f in failures]


_NO_ANSWER = ("reset by peer", "connection refused", "connection closed", "connection aborted", "peer closed",
              "no complete answer", "readerror", "connecterror", "remoteprotocolerror", "connection error")  # fmt: skip


def next_step(check: str, message: str, load: bool = False) -> str:
    """What to do about a failure, read from its check and message: the advice a report line ends with; with
    ``load``, a line of ``h2oharness load``'s, which has neither ``--test-deadline`` nor curl lines."""
    text = f"{check} {message}".lower()
    if "deadline" in text or "timed out" in text or "timeout" in text:
        if load:
            return (
                "if the target is only slow, raise --request-deadline (--stream-deadline for a stream); "
                "else see why it hangs"
            )
        return "if the target is only slow, raise --request-deadline or --test-deadline; else see why it hangs"
    if "stream" in text and ("cut" in text or "ended" in text or "incomplete" in text):
        return "the target ended the stream early: see its logs"
    if any(w in text for w in _NO_ANSWER):
        return "check that the target is up and answers whole; see its logs"
    if any(w in text for w in ("http 401", "http 403", "credential", "api key")):
        return "check the credentials the run was given (--api-key-env, --password-env)"
    if "target could not be used" in text:
        # nothing was sent: there is no answer to hold against the contract
        return "give the target what the reason asks for, or leave that API's tests out of the run"
    if load:
        return "send the request named here by hand and hold the answer against the contract"
    return "reproduce it with the curl line (if any) and hold the answer against the contract"
