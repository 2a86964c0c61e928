"""pytest plugin: ``--harness-*`` options, target fixtures, markers from paths, result recording."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from h2oharness.apis import APIS, get_api
from h2oharness.errors import HarnessError
from h2oharness.targets import Credentials, Target, check_kind, live_settings, probe


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the harness's namespaced options."""
    group = parser.getgroup("h2oharness", "h2oharness targets and reports")
    group.addoption(
        "--harness-target",
        default=os.environ.get("HARNESS_TARGET", "mock"),
        help="mock (default), local (a real H2O-3 started from the h2o package), live (URL from env/options), "
        "or several separated by commas (every target-bound test then runs once per target)",
    )
    group.addoption("--harness-url", default=None, help="base URL of a live target (else <API>_URL)")
    group.addoption("--harness-username", default=None, help="HTTP Basic user for a live target (else <API>_USERNAME)")
    group.addoption("--harness-password", default=None, help="HTTP Basic password (else <API>_PASSWORD)")
    group.addoption("--harness-api-key", default=None, help="bearer token for a live target (else <API>_API_KEY)")
    group.addoption(
        "--harness-all-operations",
        action="store_true",
        default=False,
        help="contract-test every operation of the document, not only the seed flow and read-only ones",
    )
    group.addoption(
        "--harness-max-examples", type=int, default=None, help="hypothesis examples per operation (default 10)"
    )
    group.addoption(
        "--harness-report-dir", default=None, help="write conformance.json and conformance.html into this folder"
    )


def target_kinds(config: pytest.Config) -> list[str]:
    """The target kinds chosen with ``--harness-target`` (comma-separated), validated."""
    raw = str(config.getoption("--harness-target"))
    try:
        kinds = [check_kind(k.strip()) for k in raw.split(",") if k.strip()]
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    if not kinds:
        raise pytest.UsageError("--harness-target is empty")
    return list(dict.fromkeys(kinds))


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that needs an API target once per chosen target kind."""
    kinds = target_kinds(metafunc.config)
    if len(kinds) < 2:
        return
    for slug in APIS:
        if f"{slug}_target" in metafunc.fixturenames:
            metafunc.parametrize(f"{slug}_target", kinds, indirect=True, scope="session", ids=kinds)


def _managed(prefix: str, kind: str) -> Target | None:
    """A server the CLI already started or probed and handed down through the environment."""
    url = os.environ.get(f"HARNESS_{prefix}_URL")
    if not url or os.environ.get(f"HARNESS_{prefix}_KIND") != kind:
        return None
    creds = Credentials(
        username=os.environ.get(f"HARNESS_{prefix}_USERNAME"),
        password=os.environ.get(f"HARNESS_{prefix}_PASSWORD"),
    )
    return Target(kind, url, creds)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def h2o3_local() -> Iterator[Target]:
    """A real H2O-3 started from the installed ``h2o`` jar on loopback, once per session (per xdist worker)."""
    from h2oharness.apis.h2o3.local import start_local_h2o3

    managed = _managed("H2O3", "local")
    if managed is not None:
        yield managed
        return
    try:
        server = start_local_h2o3()
    except HarnessError as exc:
        pytest.skip(f"no local H2O-3: {exc}")
    try:
        yield Target("local", server.url, version=server.version)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def h2o3_mock() -> Iterator[Target]:
    """Our H2O-3 mock served on a loopback port, once per session (per xdist worker)."""
    from h2oharness.apis.h2o3.mock import H2O3MockState, make_app
    from h2oharness.mocks.serve import serve

    with serve(make_app(H2O3MockState())) as served:
        yield Target("mock", served.url)


@pytest.fixture(scope="session")
def h2o3_target(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Target:
    """The H2O-3 server this run tests, of the chosen kind (one per kind when several are chosen)."""
    kind = getattr(request, "param", None) or target_kinds(pytestconfig)[0]
    if kind == "mock":
        return request.getfixturevalue("h2o3_mock")  # type: ignore[no-any-return]
    if kind == "local":
        return request.getfixturevalue("h2o3_local")  # type: ignore[no-any-return]
    managed = _managed("H2O3", "live")
    if managed is not None:
        return managed
    try:
        url, creds = live_settings(
            get_api("h2o3"),
            url=pytestconfig.getoption("--harness-url"),
            username=pytestconfig.getoption("--harness-username"),
            password=pytestconfig.getoption("--harness-password"),
        )
        version = probe(url, "/3/Cloud", creds)
    except HarnessError as exc:
        pytest.exit(f"h2oharness: {exc}", returncode=3)
    return Target("live", url, creds, version)


@pytest.fixture
def h2o3_http(h2o3_target: Target) -> Iterator[httpx.Client]:
    """An httpx client for the H2O-3 target, with its credentials."""
    with httpx.Client(base_url=h2o3_target.url, auth=h2o3_target.credentials.httpx_auth(), timeout=60.0) as client:
        yield client


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by where they live: contracts/ -> contract, scenarios/ -> scenario."""
    root = Path(str(config.rootpath))
    for item in items:
        try:
            top = Path(str(item.path)).relative_to(root).parts[0]
        except ValueError:
            continue
        if top == "contracts":
            item.add_marker(pytest.mark.contract)
        elif top == "scenarios":
            item.add_marker(pytest.mark.scenario)
