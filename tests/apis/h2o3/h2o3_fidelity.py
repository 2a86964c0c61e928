"""What the live fidelity tests share: the same requests on a real H2O-3 and on a fresh mock."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

import httpx

from h2oharness.apis.h2o3.mock import H2O3MockState, make_app
from h2oharness.mocks.clock import MonotonicClock
from h2oharness.mocks.serve import serve
from h2oharness.targets import Target

T = TypeVar("T")


def on_both(
    real: Target, run: Callable[[httpx.Client], T], *, timeout: float = 120, no_internal_errors: bool = True
) -> tuple[T, T]:
    """``run`` against the real server, then against a fresh mock on a fast clock: the two answers.

    With ``no_internal_errors`` the mock must have met no error of its own (a bug of the mock, not an answer).
    """
    with httpx.Client(base_url=real.url, auth=real.credentials.httpx_auth(), timeout=timeout) as real_http:
        on_real = run(real_http)
    state = H2O3MockState(clock=MonotonicClock(speed=20.0))
    with serve(make_app(state)) as served, httpx.Client(base_url=served.url, timeout=timeout) as mock_http:
        on_mock = run(mock_http)
    if no_internal_errors:
        assert state.internal_errors == []
    return on_real, on_mock


def json_kind(value: Any) -> str:
    """The JSON type of a value; the strings H2O-3 writes for non-finite doubles count as numbers."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float) or value in ("NaN", "Infinity", "-Infinity"):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), type(value).__name__)


def shape_differences(real: Any, mock: Any, where: str = "body") -> list[str]:
    """Where two answers differ in shape: a field only one has, a JSON type, a ``__meta.schema_name``, all the way
    down (list items pairwise); a null matches any type, values may differ."""
    if isinstance(real, dict) and isinstance(mock, dict):
        problems = [f"{where}.{name}: only on the real server" for name in real if name not in mock]
        problems += [f"{where}.{name}: only on the mock" for name in mock if name not in real]
        for name in real.keys() & mock.keys():
            problems += shape_differences(real[name], mock[name], f"{where}.{name}")
        return problems
    if isinstance(real, list) and isinstance(mock, list):
        return [
            p
            for i, (r, m) in enumerate(zip(real, mock, strict=False))
            for p in shape_differences(r, m, f"{where}[{i}]")
        ]
    kinds = {json_kind(real), json_kind(mock)}
    if len(kinds) > 1 and "null" not in kinds:
        return [f"{where}: {json_kind(real)} on the real server, {json_kind(mock)} on the mock"]
    if where.endswith("schema_name") and real != mock:
        return [f"{where}: {real} on the real server, {mock} on the mock"]
    return []


def job_end(http: httpx.Client, job: str) -> dict[str, Any]:
    """A job's JobV3 once it is no longer CREATED or RUNNING, or as it last read after 30 s (the jobs these tests
    start on a few hundred rows end well within a second, on either server)."""
    status: dict[str, Any] = {}
    for _ in range(300):
        status = http.get(f"/3/Jobs/{job}").json()["jobs"][0]
        if status["status"] not in ("CREATED", "RUNNING"):
            break
        time.sleep(0.1)
    return status
