"""Group failures into distinct defects: thousands of 5xx answers of a fuzzed server come from a few dozen bugs.

A server error is identified by what the server says about itself: for H2O-3's
``H2OErrorV3`` bodies, the exception type and the throw site (the first frame of
its stack trace); for an HTML error page, the exception its title names; for other
JSON errors, the message with numbers and quoted values blanked. A schema
violation is identified by its operation and the first line of the validator's
reason. Each defect keeps how often it was seen, the operations it shows up on,
one reproduction, and whether it was reached without credentials. A request that
killed the server (``server_crash``, h2oharness/sweep.py) is its own defect and comes first.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

DefectKind = Literal["server_crash", "server_error", "schema_violation", "other"]

_HTML_TITLE = re.compile(r"<title>\s*(?:Error\s+)?(\d{3})?\s*([^<]*)</title>", re.IGNORECASE | re.DOTALL)
_JAVA_EXCEPTION = re.compile(r"\b((?:[a-z_$][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error))\b")
_FRAME = re.compile(r"(?:at\s+)?((?:[\w$]+\.)+[\w$<>]+\([\w$. ]+(?::\d+)?\))")
_VOLATILE = re.compile(r"'[^']*'|\"[^\"]*\"|\b\d+(\.\d+)?\b|\$[0-9a-f$_]+")
_SERVER_CHECKS = ("ST101",)
_SCHEMA_CHECKS = ("ST108", "ST103", "ST106")


_FATAL = re.compile(r"\bFATAL\s+[\w.$]+:\s?(.*)$")
_AT = re.compile(r"^\s+at\s+(\S+\(.*\))\s*$")
#: frames of the fatal-error machinery itself (H2O-3's ``H2O.fail`` and logging): the throw site is below them
_FAIL_FRAMES = re.compile(r"^(water\.H2O\.(fail|die)|water\.util\.Log\.)")


def fatal_of(log: str) -> tuple[str, str | None] | None:
    """The first FATAL line of a server log and its throw site, or None when the log has no FATAL line.

    The line is the message the server logged as FATAL (H2O-3 logs ``H2O.fail``'s message, then
    ``Stacktrace:``, then the exception; an empty FATAL message is followed by the exception's line).
    The throw site is the frame below ``H2O.fail`` in the stack traces that follow (else their first frame).

    Example:
        >>> fatal_of("x FATAL water.default: boom\\njava.lang.Exception: boom\\n\\tat water.H2O.fail(H2O.java:1)\\n"
        ...          "\\tat water.Key.D(Key.java:119)")
        ('boom', 'water.Key.D(Key.java:119)')
    """
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if _FATAL.search(line)), None)
    if start is None:
        return None
    message = ""
    for index, line in enumerate(lines[start:], start):
        found = _FATAL.search(line)
        text = found.group(1).strip() if found else line.strip()
        if text and text != "Stacktrace:" and not _AT.match(line):
            message = text
            break
        if index - start > 8:
            break
    frames = [found.group(1) for line in lines[start : start + 400] if (found := _AT.match(line))]
    # H2O.fail's caller where the log has it: a FATAL about a wrapped exception logs the cause's trace first
    # (InstantiationException, thrown inside the JDK's reflection), then H2O.fail's own
    failed = next((i for i, frame in enumerate(frames) if _FAIL_FRAMES.match(frame)), None)
    below = frames[failed:] if failed is not None else frames
    site = next((frame for frame in below if not _FAIL_FRAMES.match(frame)), None)
    return message or "(no message)", site


def _normalise(text: str, limit: int = 160) -> str:
    """``text`` with values that vary between occurrences (numbers, quoted strings, keys) blanked."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return _VOLATILE.sub("…", first)[:limit]


def _java(body: dict[str, Any]) -> str | None:
    exception = str(body.get("exception_type") or "")
    trace = body.get("stacktrace")
    site = ""
    if isinstance(trace, list):
        for line in trace:
            # a frame line and nothing else: the first line names the exception and may quote anything
            match = _FRAME.fullmatch(str(line).strip())
            if match:
                site = match.group(1)
                break
    if not exception and not site:
        return None
    return f"{exception or 'exception'} at {site}" if site else exception


def signature_of(status: int, content_type: str, body: str) -> str:
    """What identifies the defect behind one error response, stable across the inputs that trigger it.

    Example:
        >>> signature_of(500, "text/html", "<title>Error 500 java.lang.NullPointerException: x</title>")
        'HTTP 500 java.lang.NullPointerException'
    """
    text = body.strip()
    if "json" in content_type or text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            java = _java(parsed)
            if java:
                return f"HTTP {status} {java}"
            message = parsed.get("message") or parsed.get("detail") or parsed.get("msg") or parsed.get("error")
            if message:
                return f"HTTP {status} {_normalise(json.dumps(message) if not isinstance(message, str) else message)}"
    if "html" in content_type or text.lower().startswith("<"):
        title = _HTML_TITLE.search(text)
        if title:
            found = _JAVA_EXCEPTION.search(html.unescape(title.group(2)))
            return f"HTTP {status} {found.group(1) if found else _normalise(html.unescape(title.group(2)))}"
    found = _JAVA_EXCEPTION.search(text)
    if found:
        return f"HTTP {status} {found.group(1)}"
    return f"HTTP {status} {_normalise(text) or '(empty body)'}"


@dataclass(frozen=True, slots=True)
class Defect:
    """One distinct defect: what identifies it, how often and where it was seen, one reproduction."""

    kind: DefectKind
    check: str
    signature: str
    count: int
    operations: tuple[str, ...]
    curl: str | None
    response: str | None
    unauthenticated: bool
    #: a crash's replay on a fresh server: confirmed and reduced, or why not (h2oharness/confirm.py)
    reproduced: str | None = None
    #: a crash's FATAL line and throw site from the server log (``fatal_of``)
    fatal: str | None = None
    throw_site: str | None = None

    @property
    def security_relevant(self) -> bool:
        """A crash or server error anyone can trigger without credentials is a denial-of-service lead."""
        return self.kind in ("server_crash", "server_error") and self.unauthenticated

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "check": self.check,
            "signature": self.signature,
            "count": self.count,
            "operations": list(self.operations),
            "curl": self.curl,
            "response": self.response,
            "unauthenticated": self.unauthenticated,
            "security_relevant": self.security_relevant,
            "reproduced": self.reproduced,
            "fatal": self.fatal,
            "throw_site": self.throw_site,
        }


def _kind(check: str) -> DefectKind:
    code = check.split(" ", 1)[0]
    if code == "server_crash":
        return "server_crash"
    if code in _SERVER_CHECKS:
        return "server_error"
    if code in _SCHEMA_CHECKS:
        return "schema_violation"
    return "other"


def _unauthenticated(curl: str | None) -> bool:
    return curl is not None and not re.search(r"-H\s+['\"]?(Authorization|Cookie|X-API-Key)\s*:", curl, re.I)


def group_defects(failures: Iterable[tuple[str, Any]]) -> tuple[Defect, ...]:
    """Distinct defects among ``(operation, failure)`` pairs; server errors first, then by how often seen.

    A failure needs ``check``, ``message``, ``curl``, ``count`` and optionally ``response`` and ``signature``.
    """
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    for operation, failure in failures:
        kind = _kind(failure.check)
        code = failure.check.split(" ", 1)[0]
        if kind == "server_crash":
            sig = getattr(failure, "signature", None) or f"server crash: {operation}"
        elif kind == "server_error":
            sig = getattr(failure, "signature", None) or f"{code} on {operation}"
        elif kind == "schema_violation":
            # a JSON Schema violation carries its rule and field path (report/failures.py); others their reason
            sig = f"{operation}: {getattr(failure, 'signature', None) or _normalise(failure.message)}"
        else:
            sig = f"{operation}: {failure.check}"
        group = groups.setdefault(
            (failure.check, sig),
            {"kind": kind, "count": 0, "ops": set(), "curl": None, "response": None, "unauth": False, "rep": None,
             "fatal": None, "site": None},
        )  # fmt: skip
        group["fatal"] = group["fatal"] or getattr(failure, "fatal", None)
        group["site"] = group["site"] or getattr(failure, "throw_site", None)
        group["count"] += failure.count
        group["ops"].add(operation)
        curl = failure.curl
        # the shortest reproduction is the one a developer reads first
        if curl and (group["curl"] is None or len(curl) < len(group["curl"])):
            group["curl"] = curl
            group["response"] = getattr(failure, "response", None)
            group["rep"] = getattr(failure, "reproduced", None)
        group["unauth"] = group["unauth"] or _unauthenticated(curl)
    defects = [
        Defect(
            g["kind"],
            check,
            sig,
            g["count"],
            tuple(sorted(g["ops"])),
            g["curl"],
            g["response"],
            g["unauth"],
            g["rep"],
            g["fatal"],
            g["site"],
        )
        for (check, sig), g in groups.items()
    ]
    order = {"server_crash": 0, "server_error": 1, "schema_violation": 2, "other": 3}
    return tuple(sorted(defects, key=lambda d: (order[d.kind], -d.count, d.signature)))
