"""Fixtures: each API's targets under its own names, and the harness's shared ones (drift, known findings, sweep,
pinned constants).

Per API (``<slug>`` from the registry): ``<slug>_mock``, ``<slug>_local``, ``<slug>_target``
(one per chosen kind), ``<slug>_fresh_target``, ``<slug>_http`` and ``<slug>_session``.
They live on one plugin object per API, registered at configure time.
"""

from __future__ import annotations

import inspect
import re
import tempfile
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from h2oharness.apis import APIS, ApiInfo, get_api
from h2oharness.baseline import Baseline, load_baseline
from h2oharness.errors import HarnessError, TargetUnusable
from h2oharness.mocks.faults import FaultPlan
from h2oharness.pytest_plugin.options import SETTINGS, target_kinds
from h2oharness.pytest_plugin.recording import KnownFindings, api_of
from h2oharness.targets import Target, named_url, open_target, serve_mock, start_local

#: a file in pytest's per-run scratch folders (tmp_path), whose path changes on every run
_SCRATCH = re.compile(re.escape(tempfile.gettempdir()) + r"/pytest-of-[^/\s]+/pytest-[^/\s]+(?:/[^/\s]+)*/([^/\s]+)")
#: local servers started in this session, by URL: the sweep restarts one that a request killed
LOCAL_SERVERS = pytest.StashKey[dict[str, Any]]()
SWEEP = pytest.StashKey[Any]()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that needs an API target once per chosen target kind that the API has."""
    kinds = target_kinds(metafunc.config)
    for slug, api in APIS.items():
        if f"{slug}_target" not in metafunc.fixturenames:
            continue
        usable = [k for k in kinds if k in api.kinds]
        if not usable:
            # e.g. --harness-target local for an API that no one can run locally: one visible skip, not a crash
            reason = f"{api.title} has no {'/'.join(kinds)} target (it has: {', '.join(api.kinds)})"
            param = pytest.param(kinds[0], marks=pytest.mark.skip(reason=reason), id=kinds[0])
            metafunc.parametrize(f"{slug}_target", [param], indirect=True, scope="session")
        elif len(kinds) > 1:
            metafunc.parametrize(f"{slug}_target", usable, indirect=True, scope="session", ids=usable)


def _needs_target(api: ApiInfo, fixture: Callable[..., Any]) -> None:
    """Make pytest hand ``fixture`` the API's ``<slug>_target`` (it is called with that keyword)."""
    param = inspect.Parameter(f"{api.slug}_target", inspect.Parameter.KEYWORD_ONLY, annotation=Target)
    named = [p for p in inspect.signature(fixture).parameters.values() if p.kind is not p.VAR_KEYWORD]
    fixture.__signature__ = inspect.Signature([*named, param])  # type: ignore[attr-defined]


def fault_plan(config: pytest.Config) -> FaultPlan | None:
    """The faults the run's mocks inject (``--mock-faults``), a fresh plan for each mock; None without one."""
    plan = config.stash[SETTINGS].mock_faults
    return FaultPlan.from_file(Path(plan)) if plan else None


def _skip_if_down(config: pytest.Config, target: Target) -> None:
    # a live target that a request of this session killed stays down (nothing restarts it): a flow or scenario
    # would fail on "connection refused", a consequence of the crash recorded, where the contract cases skip
    sweep = config.stash.get(SWEEP, None)
    if sweep is not None:
        sweep.skip_if_down(target.url)


def api_fixtures(api: ApiInfo) -> types.ModuleType:
    """A plugin holding the API's fixtures under its own names (registered once per session)."""

    def mock(pytestconfig: pytest.Config) -> Iterator[Target]:
        with serve_mock(api, faults=fault_plan(pytestconfig)) as target:
            yield target

    def local(pytestconfig: pytest.Config) -> Iterator[Target]:
        handed = pytestconfig.stash[SETTINGS].handed.get(api.env_prefix)
        if handed is not None and handed.kind == "local":
            yield Target.from_handed(handed)
            return
        try:
            server = start_local(api)
        except HarnessError as exc:
            pytest.skip(f"no local {api.title}: {exc}")
        # the sweep restarts a server that a request killed, on the same URL (h2oharness/sweep.py)
        pytestconfig.stash.setdefault(LOCAL_SERVERS, {})[server.url] = server
        try:
            yield Target("local", server.url, version=getattr(server, "version", ""))
        finally:
            server.stop()

    def target(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Iterator[Target]:
        kind = getattr(request, "param", None) or target_kinds(pytestconfig)[0]
        if kind in ("mock", "local"):
            yield request.getfixturevalue(f"{api.slug}_{kind}")
            return
        option = pytestconfig.getoption
        handed = pytestconfig.stash[SETTINGS].handed.get(api.env_prefix)
        # a target that cannot be used (no URL, unreachable, refused credentials) leaves each test of its API
        # unrun with the one reason, which the report lists as the API's error; pytest keeps a session fixture's
        # error, so it is met once per worker, and the other APIs and kinds of the run go on
        try:
            with open_target(
                api,
                "live",
                handed=handed,
                url=option("--harness-url"),
                username=option("--harness-username"),
                password=option("--harness-password"),
                token=option("--harness-api-key"),
            ) as live:
                yield live
        except HarnessError as exc:
            url = (handed.url if handed else "") or named_url(api, option("--harness-url"))
            raise TargetUnusable(str(exc), "live", url) from None

    def fresh(pytestconfig: pytest.Config, **fixtures: Target) -> Iterator[Target]:
        given = fixtures[f"{api.slug}_target"]
        _skip_if_down(pytestconfig, given)
        if given.kind != "mock":
            yield given
            return
        from h2oharness.mocks.clock import ManualClock

        # a clock that stands still: jobs keep the state they were made in, so a derandomized sequence meets the
        # same answers on every run (on wall time, whether a run is still queued when it is cancelled varies);
        # the run's faults, from the plan's start: the test meets them whatever ran before it
        with serve_mock(api, clock=ManualClock(), faults=fault_plan(pytestconfig)) as own:
            yield own

    def http(pytestconfig: pytest.Config, **fixtures: Target) -> Iterator[httpx.Client]:
        _skip_if_down(pytestconfig, fixtures[f"{api.slug}_target"])
        with fixtures[f"{api.slug}_target"].client(timeout=60.0) as client:
            yield client

    def session(pytestconfig: pytest.Config, **fixtures: Target) -> Iterator[Any]:
        import requests

        given = fixtures[f"{api.slug}_target"]
        _skip_if_down(pytestconfig, given)
        from h2oharness.http.deadline import DEFAULT_REQUEST_DEADLINE, deadline_session

        chosen = pytestconfig.stash[SETTINGS]
        deadline = chosen.request_deadline or DEFAULT_REQUEST_DEADLINE
        with deadline_session(requests.Session(), deadline, chosen.stream_deadline) as s:
            # a loopback server of ours: no proxy or netrc applies, and looking them up cost ~1 ms a request
            s.trust_env = given.kind == "live"
            auth = given.credentials.httpx_auth()
            if auth:
                s.auth = auth
            s.headers.update(given.credentials.headers())
            yield s

    for needs in (fresh, http, session):
        _needs_target(api, needs)
    docs = {
        mock: f"Our {api.title} mock served on a loopback port, once per session (per xdist worker).",
        local: f"A real {api.title} started on loopback, once per session (per xdist worker).",
        target: f"The {api.title} server this run tests, of the chosen kind (one per chosen kind).",
        fresh: f"The {api.title} target for one test, with a mock of its own on a still clock when the target is "
        "the mock: a stateful sequence then meets the same answers whatever ran before it.",
        http: f"An httpx client for the {api.title} target, with its credentials.",
        session: f"A requests session with the {api.title} target's credentials (what schemathesis calls with).",
    }
    scopes = {mock: "session", local: "session", target: "session", fresh: "function", http: "function"}
    plugin = types.ModuleType(f"h2oharness.pytest_plugin.fixtures:{api.slug}", f"Fixtures of {api.title}.")
    names = {mock: "mock", local: "local", target: "target", fresh: "fresh_target", http: "http", session: "session"}
    for function, suffix in names.items():
        function.__doc__ = docs[function]
        name = f"{api.slug}_{suffix}"
        scope = scopes.get(function, "module")
        setattr(plugin, name, pytest.fixture(scope=scope, name=name)(function))  # type: ignore[call-overload]
    return plugin


@pytest.fixture
def harness_drift(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Record a disagreement between a source document and what the target did (reported, never a failure).

    Example:
        harness_drift(source="000_e1d9cd603d9ebb67.txt", what="POST /3/Parse as written",
                      expected="HTTP 200 with a job", observed="HTTP 400: Field not found: 'header'")
    """
    from h2oharness.pytest_plugin.recording import DRIFT, property_text

    def record(*, source: str, what: str, expected: str, observed: str) -> None:
        # a test's scratch folder differs on every run: the same drift must read the same (report diff)
        observed = _SCRATCH.sub(r"<tmp>/\1", observed)
        entry = {"source": source, "what": what, "expected": expected, "observed": observed}
        request.node.user_properties.append((DRIFT, property_text(entry)))

    return record


@pytest.fixture
def harness_pinned_constants() -> Iterator[None]:
    """While the test runs, hypothesis draws none of the constants it collects from the local modules imported so far.

    A seeded or derandomized test then draws the same cases whatever ran before it in the process
    (``h2oharness.stateful.pinned_constants``); every contract test asks for it, and every flow runs pinned.
    """
    from h2oharness.stateful import pinned_constants

    with pinned_constants():
        yield


@pytest.fixture
def harness_known_findings(request: pytest.FixtureRequest) -> KnownFindings:
    """The known findings of the test's API (``contracts/<api>/known_findings.yaml``)."""
    where = api_of(Path(str(request.config.rootpath)), Path(str(request.node.path)))
    if where is None:
        return KnownFindings(request.node, Baseline())
    path = Path(str(request.config.rootpath)) / "contracts" / where[0] / "known_findings.yaml"
    return KnownFindings(request.node, load_baseline(path))


@pytest.fixture
def harness_sweep(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Sends a contract case and survives the target dying: a ``server_crash`` finding, a restart or a clean stop.

    Example:
        response = harness_sweep.call(case, h2o3_target, session=h2o3_session, timeout=30)
    """
    from h2oharness.sweep import Sweep, SweepGuard

    config = request.config
    if SWEEP not in config.stash:
        config.stash[SWEEP] = Sweep(max_restarts=config.stash[SETTINGS].max_restarts)
    # local servers started since (another API's, or a later fixture) can be restarted too
    for url, server in config.stash.get(LOCAL_SERVERS, {}).items():
        if hasattr(server, "restart"):
            config.stash[SWEEP].servers.setdefault(url, server)
    where = api_of(Path(str(config.rootpath)), Path(str(request.node.path)))
    health = get_api(where[0]).health_path if where else "/"
    guard = SweepGuard(config.stash[SWEEP], request.node, health, where[0] if where else "")
    yield guard
    guard.finish()
