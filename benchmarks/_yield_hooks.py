"""Schemathesis hooks for sweep_yield.py: every answer, and every request that got none, as a JSON line.

Loaded through ``SCHEMATHESIS_HOOKS`` by both runs alike (schemathesis loads it when a project config is
made: the ``schemathesis run`` CLI and the harness's contract module both make one), so both are counted
the same way: requests through ``case.call``, and each 5xx's throw site named by
``h2oharness.report.defects.signature_of`` (an ``H2OErrorV3`` body's exception type and first stack frame).
Writes to the file ``SWEEP_YIELD_LOG`` names; does nothing without it.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

import schemathesis

from h2oharness.report.defects import signature_of

_LOCK = threading.Lock()


def _write(entry: dict[str, Any]) -> None:
    path = os.environ.get("SWEEP_YIELD_LOG")
    if not path:
        return
    with _LOCK, open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


def _operation(case: Any) -> str:
    return f"{case.operation.method.upper()} {case.operation.path}"


def _sent(case: Any) -> str:
    """The request in short: its path as sent and its query (what a death's log line names)."""
    return f"{case.formatted_path} {case.query or ''}"[:300]


def _content_type(headers: Any) -> str:
    value = (headers or {}).get("Content-Type") or (headers or {}).get("content-type") or ""
    return str(value[0] if isinstance(value, list) and value else value)


@schemathesis.hook
def after_call(context: Any, case: Any, response: Any) -> None:
    """An answer: its operation and status, and for a 5xx the throw site its body names."""
    status = int(response.status_code)
    entry: dict[str, Any] = {"t": time.time(), "op": _operation(case), "status": status, "sent": _sent(case)}
    if status >= 500:
        entry["site"] = signature_of(status, _content_type(response.headers), response.text or "")
    _write(entry)


@schemathesis.hook
def after_network_error(context: Any, case: Any, request: Any) -> None:
    """A request that got no answer (refused, reset, timed out): the likeliest killer of a node."""
    try:
        curl = case.as_curl_command()
    except Exception:
        curl = ""
    _write({"t": time.time(), "op": _operation(case), "status": 0, "curl": curl[:2000]})
