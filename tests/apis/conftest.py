"""Fixtures every API's tests share: a hand-driven clock, and the folder's mock on loopback with its clients.

The vocabulary, the same in each ``tests/apis/<slug>/``: ``clock`` (a ManualClock), ``state`` (that API's mock state
on ``clock``, from the folder's conftest), ``url`` (the state served on loopback), ``http`` (an httpx client on
``url`` with the credentials the state accepts), ``anon`` (one without) and ``client`` (the harness's typed client on
``http``, from the folder's conftest); ``drive`` runs the folder's official-client driver script.

``mock_fuzz`` sends schemathesis cases of the folder's contract to a fresh mock holding the objects the folder's
``fuzz_names`` fixture made (path parameter -> id); every ``test_<slug>_mock_fuzz.py`` uses it.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import pytest
import requests
from starlette.types import ASGIApp, Receive, Scope, Send

from h2oharness.apis import get_api
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve
from h2oharness.targets import Credentials, Target


class MockState(Protocol):
    """What the shared fixtures need of an API's mock state."""

    internal_errors: list[str]

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


@pytest.fixture
def fuzz_pinned() -> dict[str, str]:
    """Query or form fields every fuzz case sends with a fixed value (none; H2O-3's conftest pins file paths)."""
    return {}


class Swappable:
    """An ASGI app that passes every request to ``app``, which a test may replace between requests."""

    def __init__(self) -> None:
        self.app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.app is None:
            raise RuntimeError("no mock swapped in yet")
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[tuple[Swappable, str]]:
    """One loopback server for a fuzz module: starting uvicorn per operation would cost more than the cases."""
    swappable = Swappable()
    with serve(swappable) as served:
        yield swappable, served.url


@pytest.fixture
def fuzz_url(request: pytest.FixtureRequest, fuzz_server: tuple[Swappable, str], state: MockState) -> str:
    """``state`` (fresh for each operation) served by the folder's mock on the module's fuzz server."""
    mock = importlib.import_module(f"{get_api(request.path.parent.name).module}.mock")
    swappable, served_url = fuzz_server
    swappable.app = mock.make_app(state)
    return served_url


@pytest.fixture
def fuzz_http(fuzz_url: str, state: MockState) -> Iterator[httpx.Client]:
    """An httpx client on the fuzz mock with the credentials it accepts, for ``fuzz_names`` to make objects."""
    with Target("mock", fuzz_url, state.client_credentials()).client(timeout=30.0) as client:
        yield client


@dataclass
class MockFuzz:
    """Sends schemathesis cases to a mock and asserts it neither answered a 5xx nor failed on its own.

    Whether the mock accepts what the contract allows is the contract tests' question (with the API's known
    semantic refusals); this asks only whether anything, allowed or not, makes the mock fail.
    """

    url: str
    state: MockState
    #: parameter -> the id of an object the mock holds: a case naming such a parameter (path, query or top-level
    #: body field) is sent again with these, so it gets past the lookups into the handlers
    names: Mapping[str, str]
    #: query or body field -> the value every case sends (H2O-3 reads the file a ``path`` names: a drawn one could
    #: be any file of this machine)
    pinned: Mapping[str, str]
    session: requests.Session

    def send(self, case: Any) -> None:
        """The case as drawn, then (when it names a parameter ``names`` has) again aimed at real objects."""
        _put(case, self.pinned)
        self._call(case)
        if _put(case, self.names):
            self._call(case)

    def _call(self, case: Any) -> None:
        credentials = self.state.client_credentials()
        response = case.call(
            base_url=self.url, session=self.session, headers=credentials.headers(), auth=credentials.httpx_auth()
        )
        where = f"{case.method} {case.formatted_path}"
        curl = case.as_curl_command()
        assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:300]}\n{curl}"
        assert self.state.internal_errors == [], f"{where}: {self.state.internal_errors}\n{curl}"


def _put(case: Any, values: Mapping[str, str]) -> bool:
    """Set the case's path parameters, query and top-level body fields that ``values`` names; whether any was."""
    changed = False
    for attribute in ("path_parameters", "query", "body"):
        part = getattr(case, attribute)
        if isinstance(part, dict) and set(values) & set(part):
            setattr(case, attribute, {**part, **{k: v for k, v in values.items() if k in part}})
            changed = True
    return changed


@pytest.fixture
def mock_fuzz(
    fuzz_url: str, state: MockState, fuzz_names: dict[str, str], fuzz_pinned: dict[str, str]
) -> Iterator[MockFuzz]:
    """A MockFuzz on a fresh mock of the folder's API holding the ``fuzz_names`` objects (one per operation)."""
    assert state.internal_errors == [], "making the fuzz objects tripped the mock"
    with requests.Session() as session:
        yield MockFuzz(fuzz_url, state, fuzz_names, fuzz_pinned, session)
