"""Fixtures every API's tests share: a hand-driven clock, and the folder's mock on loopback with its clients.

The vocabulary, the same in each ``tests/apis/<slug>/``: ``clock`` (a ManualClock), ``state`` (that API's mock state
on ``clock``, from the folder's conftest), ``url`` (the state served on loopback), ``http`` (an httpx client on
``url`` with the credentials the state accepts), ``anon`` (one without) and ``client`` (the harness's typed client on
``http``, from the folder's conftest); ``drive`` runs the folder's official-client driver script.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Protocol

import httpx
import pytest

from h2oharness.apis import get_api
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve
from h2oharness.targets import Credentials, Target


class MockState(Protocol):
    """What the shared fixtures need of an API's mock state."""

    def client_credentials(self) -> Credentials:
        """What a client must send to this mock."""
        ...


@pytest.fixture
def clock() -> ManualClock:
    """A clock that moves only when the test says so."""
    return ManualClock()


@pytest.fixture
def url(request: pytest.FixtureRequest, state: MockState) -> Iterator[str]:
    """``state`` served over loopback by the mock of the test's folder (sync tests cannot use ASGITransport)."""
    mock = importlib.import_module(f"{get_api(request.path.parent.name).module}.mock")
    with serve(mock.make_app(state)) as served:
        yield served.url


@pytest.fixture
def http(url: str, state: MockState) -> Iterator[httpx.Client]:
    """An httpx client on the mock with the credentials it accepts (Basic auth or a bearer token, or none)."""
    with Target("mock", url, state.client_credentials()).client(timeout=30.0) as client:
        yield client


@pytest.fixture
def anon(url: str) -> Iterator[httpx.Client]:
    """An httpx client on the mock without credentials."""
    with httpx.Client(base_url=url, timeout=30.0) as client:
        yield client


@pytest.fixture
def drive(request: pytest.FixtureRequest) -> Callable[..., dict[str, Any]]:
    """Run the folder's ``<slug>_official_driver.py`` with arguments and return the JSON it printed last."""
    driver = request.path.with_name(f"{request.path.parent.name}_official_driver.py")

    def run(*args: str, timeout: float = 120, env: Mapping[str, str] | None = None) -> dict[str, Any]:
        # a subprocess: the official clients keep process-wide state (sessions, token providers)
        done = subprocess.run(
            [sys.executable, str(driver), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=None if env is None else {**os.environ, **env},
            check=False,
        )
        assert done.returncode == 0, f"{driver.name} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return result

    return run
