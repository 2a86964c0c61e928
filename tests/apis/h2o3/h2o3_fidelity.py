"""What the live fidelity tests share: the same requests on a real H2O-3 and on a fresh mock."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

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
