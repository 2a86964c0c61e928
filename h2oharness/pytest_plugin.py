"""pytest plugin: ``--harness-*`` options, target fixtures, markers from paths, result recording."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from h2oharness.apis import APIS, ApiInfo, get_api
from h2oharness.baseline import Baseline, load_baseline
from h2oharness.errors import ConfigError, HarnessError

if TYPE_CHECKING:
    from h2oharness.report.model import Conformance, Excluded, Failure

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
        "--harness-include-destructive",
        action="store_true",
        default=False,
        help="with --harness-all-operations, also send the operations destructive by design "
        "(contracts/<api>/destructive.yaml: shutdown, process signals, arbitrary expressions...)",
    )
    group.addoption(
        "--harness-real-keys",
        action="store_true",
        default=False,
        help="feed the H2O-3 generators a real frame, model and job made on the target (on by default with "
        "--harness-all-operations)",
    )
    group.addoption(
        "--harness-max-restarts",
        type=int,
        default=int(os.environ.get("HARNESS_MAX_RESTARTS", "3")),
        help="how often a sweep may restart a local server that a request killed, per session (default 3)",
    )
    group.addoption(
        "--harness-confirm-replays",
        type=int,
        default=int(os.environ.get("HARNESS_CONFIRM_REPLAYS", "12")),
        help="replays on fresh local servers to confirm and reduce each request that killed a server "
        "(default 12; 0: report crashes unconfirmed)",
    )
    group.addoption(
        "--harness-max-examples", type=int, default=None, help="hypothesis examples per operation (default 10)"
    )
    group.addoption(
        "--harness-report-dir", default=None, help="write conformance.json and conformance.html into this folder"
    )
    group.addoption(
        "--harness-resume",
        action="store_true",
        default=False,
        help="go on with an interrupted run: skip the tests the report folder's progress.jsonl already has",
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


def _managed(prefix: str, kind: str) -> Target | None:
    """A server the CLI already started or probed and handed down through the environment."""
    url = os.environ.get(f"HARNESS_{prefix}_URL")
    if not url or os.environ.get(f"HARNESS_{prefix}_KIND") != kind:
        return None
    creds = Credentials(
        username=os.environ.get(f"HARNESS_{prefix}_USERNAME"),
        password=os.environ.get(f"HARNESS_{prefix}_PASSWORD"),
        token=os.environ.get(f"HARNESS_{prefix}_API_KEY"),
    )
    return Target(kind, url, creds, os.environ.get(f"HARNESS_{prefix}_VERSION", ""))  # type: ignore[arg-type]


def start_local(api: ApiInfo) -> Any:
    """Start the real server an API's ``local`` entry names; it has ``url``, ``version`` and ``stop()``."""
    if api.local is None:
        raise ConfigError(f"{api.title} has no local target; use mock or live")
    module, _, function = api.local.partition(":")
    return getattr(importlib.import_module(module), function)()


LOCAL_SERVERS = pytest.StashKey[dict[str, Any]]()


def _local_fixture(api: ApiInfo) -> Callable[[pytest.Config], Iterator[Target]]:
    def local(pytestconfig: pytest.Config) -> Iterator[Target]:
        managed = _managed(api.env_prefix, "local")
        if managed is not None:
            yield managed
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

    local.__doc__ = f"A real {api.title} started on loopback, once per session (per xdist worker)."
    return local


def _mock_fixture(api: ApiInfo) -> Callable[[], Iterator[Target]]:
    def mock() -> Iterator[Target]:
        from h2oharness.mocks.serve import serve

        module = importlib.import_module(f"{api.module}.mock")
        state = module.default_state()
        with serve(module.make_app(state)) as served:
            yield Target("mock", served.url, state.client_credentials())

    mock.__doc__ = f"Our {api.title} mock served on a loopback port, once per session (per xdist worker)."
    return mock


def _fresh_fixture(api: ApiInfo) -> Callable[..., Iterator[Target]]:
    def fresh(**fixtures: Target) -> Iterator[Target]:
        target = fixtures[f"{api.slug}_target"]
        if target.kind != "mock":
            yield target
            return
        from h2oharness.mocks.clock import ManualClock
        from h2oharness.mocks.serve import serve

        module = importlib.import_module(f"{api.module}.mock")
        # a clock that stands still: jobs keep the state they were made in, so a derandomized sequence meets the
        # same answers on every run (on wall time, whether a run is still queued when it is cancelled varies)
        state = module.default_state(clock=ManualClock())
        with serve(module.make_app(state)) as served:
            yield Target("mock", served.url, state.client_credentials())

    _needs_target(api, fresh)
    fresh.__doc__ = (
        f"The {api.title} target for one test, with a mock of its own on a still clock when the target is the mock: "
        "a stateful sequence then meets the same answers whatever ran before it and however fast the machine is."
    )
    return fresh


def _target_fixture(api: ApiInfo) -> Callable[[pytest.FixtureRequest, pytest.Config], Target]:
    def target(request: pytest.FixtureRequest, pytestconfig: pytest.Config) -> Target:
        kind = getattr(request, "param", None) or target_kinds(pytestconfig)[0]
        if kind in ("mock", "local"):
            return request.getfixturevalue(f"{api.slug}_{kind}")  # type: ignore[no-any-return]
        managed = _managed(api.env_prefix, "live")
        if managed is not None:
            return managed
        try:
            url, creds = live_settings(
                api,
                url=pytestconfig.getoption("--harness-url"),
                username=pytestconfig.getoption("--harness-username"),
                password=pytestconfig.getoption("--harness-password"),
                token=pytestconfig.getoption("--harness-api-key"),
            )
            version = probe(url, api.health_path, creds)
        except HarnessError as exc:
            pytest.exit(f"h2oharness: {exc}", returncode=3)
        return Target("live", url, creds, version)

    target.__doc__ = f"The {api.title} server this run tests, of the chosen kind (one per chosen kind)."
    return target


def _needs_target(api: ApiInfo, fixture: Callable[..., Any]) -> None:
    """Make pytest hand ``fixture`` the API's ``<slug>_target`` (it is called with that keyword)."""
    param = inspect.Parameter(f"{api.slug}_target", inspect.Parameter.KEYWORD_ONLY, annotation=Target)
    fixture.__signature__ = inspect.Signature([param])  # type: ignore[attr-defined]


def _http_fixture(api: ApiInfo) -> Callable[..., Iterator[httpx.Client]]:
    def http(**fixtures: Target) -> Iterator[httpx.Client]:
        with fixtures[f"{api.slug}_target"].client(timeout=60.0) as client:
            yield client

    _needs_target(api, http)
    http.__doc__ = f"An httpx client for the {api.title} target, with its credentials."
    return http


def _session_fixture(api: ApiInfo) -> Callable[..., Iterator[Any]]:
    def session(**fixtures: Target) -> Iterator[Any]:
        import requests

        target = fixtures[f"{api.slug}_target"]
        with requests.Session() as s:
            auth = target.credentials.httpx_auth()
            if auth:
                s.auth = auth
            s.headers.update(target.credentials.headers())
            yield s

    _needs_target(api, session)
    session.__doc__ = f"A requests session with the {api.title} target's credentials (what schemathesis calls with)."
    return session


# Per API, the same fixtures under the API's own names: <slug>_mock, <slug>_local, <slug>_target, <slug>_http,
# <slug>_fresh_target and <slug>_session. pytest finds fixtures among a plugin module's attributes, hence the loop.
for _api in APIS.values():
    globals()[f"{_api.slug}_mock"] = pytest.fixture(scope="session", name=f"{_api.slug}_mock")(_mock_fixture(_api))
    globals()[f"{_api.slug}_local"] = pytest.fixture(scope="session", name=f"{_api.slug}_local")(_local_fixture(_api))
    globals()[f"{_api.slug}_target"] = pytest.fixture(scope="session", name=f"{_api.slug}_target")(
        _target_fixture(_api)
    )
    globals()[f"{_api.slug}_http"] = pytest.fixture(name=f"{_api.slug}_http")(_http_fixture(_api))
    globals()[f"{_api.slug}_fresh_target"] = pytest.fixture(name=f"{_api.slug}_fresh_target")(_fresh_fixture(_api))
    globals()[f"{_api.slug}_session"] = pytest.fixture(scope="module", name=f"{_api.slug}_session")(
        _session_fixture(_api)
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by where they live (contracts/ -> contract, scenarios/ -> scenario); on resume, drop the done ones."""
    report_dir = config.getoption("--harness-report-dir")
    if config.getoption("--harness-resume") and report_dir:
        done = {str(line["record"].get("nodeid")) for line in read_progress(Path(report_dir)) if "record" in line}
        kept = [item for item in items if item.nodeid not in done]
        if len(kept) < len(items):
            config.hook.pytest_deselected(items=[item for item in items if item.nodeid in done])
            items[:] = kept
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


# --- recording results for the conformance report ---------------------------------------------------------------

RECORD = "h2oharness"
DRIFT = "h2oharness-drift"


def api_of(rootpath: Path, path: Path) -> tuple[str, str] | None:
    """(api slug, suite) of a test file: ``contracts/<slug>/...`` or ``scenarios/test_<slug>_*.py``."""
    try:
        parts = path.relative_to(rootpath).parts
    except ValueError:
        return None
    if len(parts) >= 2 and parts[0] == "contracts" and parts[1] in APIS:
        return parts[1], "contract"
    if len(parts) == 2 and parts[0] == "scenarios":
        for slug in APIS:
            if parts[1].startswith(f"test_{slug}_"):
                return slug, "scenario"
    return None


@pytest.fixture
def harness_drift(request: pytest.FixtureRequest) -> Callable[..., None]:
    """Record a disagreement between a source document and what the target did (reported, never a failure).

    Example:
        harness_drift(source="000_e1d9cd603d9ebb67.txt", what="POST /3/Parse as written",
                      expected="HTTP 200 with a job", observed="HTTP 400: Field not found: 'header'")
    """

    def record(*, source: str, what: str, expected: str, observed: str) -> None:
        entry = {"source": source, "what": what, "expected": expected, "observed": observed}
        request.node.user_properties.append((DRIFT, entry))

    return record


KNOWN = "h2oharness-known"
_KNOWN_CAP = 25
LAST_RESPONSE = pytest.StashKey[list[Any]]()


class KnownFindings:
    """Lets a contract test accept failures that its API's baseline already knows for the target's kind."""

    def __init__(self, node: pytest.Item, baseline: Baseline) -> None:
        self.node = node
        self.baseline = baseline
        self.seen = 0

    def absorb(
        self,
        group: BaseExceptionGroup[BaseException],
        target: Target,
        operation: str | None = None,
        response: Any = None,
    ) -> None:
        """Re-raise ``group`` unless every failure in it is a known finding for this target's kind.

        ``operation`` ("METHOD /path") defaults to the one the test's id names. ``response`` (what the server
        answered, with ``status_code``, ``headers`` and ``text``) goes into the report with the failures, and
        names the defect behind a server error.
        """
        from h2oharness.report.failures import failures_from_exception, operation_of, with_response

        named = operation_of(self.node.nodeid)
        label = operation or (f"{named[0]} {named[1]}" if named else None)
        failures = with_response(failures_from_exception(group), response)
        # the last answer before a raise is the one hypothesis replays for the failure it reports
        self.node.stash[LAST_RESPONSE] = failures
        if label is None:
            raise group
        # the group's own text carries the response's status and body, which an entry's ``match`` may name
        seen = str(group)
        checks = [(f.check.split(" ", 1)[0], f"{f.message}\n{f.curl or ''}\n{seen}") for f in failures]
        if not checks or self.baseline.unknown(label, checks, target.kind):
            raise group
        self.seen += 1
        if self.seen <= _KNOWN_CAP:
            for failure, (code, text) in zip(failures, checks, strict=True):
                entry = {**failure.to_dict(), "reason": self.baseline.reason(label, code, text, target.kind)}
                self.node.user_properties.append((KNOWN, entry))


@pytest.fixture
def harness_known_findings(request: pytest.FixtureRequest) -> KnownFindings:
    """The known findings of the test's API (``contracts/<api>/known_findings.yaml``)."""
    where = api_of(Path(str(request.config.rootpath)), Path(str(request.node.path)))
    if where is None:
        return KnownFindings(request.node, Baseline())
    path = Path(str(request.config.rootpath)) / "contracts" / where[0] / "known_findings.yaml"
    return KnownFindings(request.node, load_baseline(path))


SWEEP = pytest.StashKey[Any]()


@pytest.fixture
def harness_sweep(request: pytest.FixtureRequest) -> Iterator[Any]:
    """Sends a contract case and survives the target dying: a ``server_crash`` finding, a restart or a clean stop.

    Example:
        response = harness_sweep.call(case, h2o3_target, session=h2o3_session, timeout=30)
    """
    from h2oharness.sweep import Sweep, SweepGuard

    config = request.config
    if SWEEP not in config.stash:
        servers = config.stash.setdefault(LOCAL_SERVERS, {})
        restartable = {url: s for url, s in servers.items() if hasattr(s, "restart")}
        config.stash[SWEEP] = Sweep(max_restarts=int(config.getoption("--harness-max-restarts")), servers=restartable)
    else:
        # a local server started after the sweep state (another API's, or a later fixture)
        for url, server in config.stash.get(LOCAL_SERVERS, {}).items():
            if hasattr(server, "restart"):
                config.stash[SWEEP].servers.setdefault(url, server)
    where = api_of(Path(str(config.rootpath)), Path(str(request.node.path)))
    health = get_api(where[0]).health_path if where else "/"
    guard = SweepGuard(config.stash[SWEEP], request.node, health, where[0] if where else "")
    yield guard
    guard.finish()


def _with_last_response(item: pytest.Item, failures: list[Failure]) -> list[Failure]:
    """``failures`` with the answer ``absorb`` saw last for the same check, where they lack one."""
    from dataclasses import replace

    seen = {f.check: f for f in item.stash.get(LAST_RESPONSE, [])}
    out = []
    for failure in failures:
        last = seen.get(failure.check)
        if last is not None and failure.response is None:
            failure = replace(failure, response=last.response, signature=failure.signature or last.signature)
        out.append(failure)
    return out


def _target_of(item: pytest.Item) -> dict[str, str] | None:
    funcargs = getattr(item, "funcargs", {})
    for slug in APIS:
        target = funcargs.get(f"{slug}_target")
        if isinstance(target, Target):
            return {"kind": target.kind, "url": target.url, "version": target.version}
    return None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Attach what the report needs (API, operation, target, failures) to the test's own report."""
    report = yield
    where = api_of(Path(str(item.config.rootpath)), Path(str(item.path)))
    final_phase = call.when == "call" or (call.when == "setup" and report.outcome != "passed")
    if where is None or not final_phase:
        return report
    from h2oharness.report.failures import failures_from_exception, operation_of

    slug, suite = where
    record: dict[str, Any] = {
        "api": slug,
        "suite": suite,
        "name": item.name,
        "nodeid": item.nodeid,
        "outcome": report.outcome,
        "duration": report.duration,
        "target": _target_of(item),
        "failures": [],
        "error": None,
    }
    # only a schemathesis item stands for an operation; other ids may look like one
    schemathesis_item = getattr(getattr(item, "obj", None), "_schemathesis_metadata", None) is not None
    operation = operation_of(item.nodeid) if schemathesis_item else None
    if operation is not None:
        record["method"], record["path"] = operation
    known: list[dict[str, Any]] = [dict(v) for k, v in item.user_properties if k == KNOWN]  # type: ignore[call-overload]
    from h2oharness.sweep import ServerCrash

    if known and report.outcome == "passed":
        # a real server's known defects: listed as failures in the report, an expected failure for pytest
        record["outcome"] = "failed"
        record["failures"] = [
            {**{k: v for k, v in f.items() if k != "reason"}, "known": str(f["reason"])} for f in known
        ]
        record["known"] = True
        report.outcome = "skipped"
        report.wasxfail = "known finding: " + "; ".join(sorted({str(f["reason"]) for f in known}))
    elif call.excinfo is not None and report.outcome == "failed":
        exc = call.excinfo.value
        if isinstance(exc, HarnessError):
            record["error"] = f"{type(exc).__name__}: {exc}"
        elif isinstance(exc, ServerCrash):
            # the finding is a crash record (h2oharness/sweep.py); an operation that only saw the outage is untested
            if operation is not None and exc.operation != f"{operation[0]} {operation[1]}":
                record["outcome"], record["skip_reason"] = "skipped", str(exc)
            elif operation is None:
                record["skip_reason"] = str(exc)  # a flow: the crash is what its scenario line says
        else:
            record["failures"] = [f.to_dict() for f in _with_last_response(item, failures_from_exception(exc))]
    elif report.outcome == "skipped" and isinstance(report.longrepr, tuple):
        record["error"] = None
        record["skip_reason"] = str(report.longrepr[2])
    # a copy: item.user_properties is shared with the teardown report, which must not repeat the record
    report.user_properties = [*report.user_properties, (RECORD, record)]
    return report


_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def documented_operations(document: Path) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation of an OpenAPI document; empty when the file is missing."""
    import yaml

    if not document.is_file():
        return []
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    doc = yaml.load(document.read_text(), Loader=loader)  # noqa: S506 - a safe loader, C or Python
    paths = doc.get("paths", {}) if isinstance(doc, dict) else {}
    return [(m.upper(), p) for p, item in paths.items() for m in item if m in _HTTP_METHODS]


PROGRESS = "progress.jsonl"


def read_progress(report_dir: Path) -> list[dict[str, Any]]:
    """What an earlier run of the same report folder recorded, line by line; a torn last line is dropped."""
    path = report_dir / PROGRESS
    if not path.is_file():
        return []
    lines = []
    for text in path.read_text(encoding="utf-8").splitlines():
        try:
            line = json.loads(text)
        except ValueError:
            continue  # the run was killed while writing this line
        if isinstance(line, dict):
            lines.append(line)
    return lines


class ReportCollector:
    """Gathers the records of every test (xdist workers' too) and writes the conformance report at the end."""

    def __init__(self, config: pytest.Config, report_dir: Path) -> None:
        self.config = config
        self.report_dir = report_dir
        self.records: list[dict[str, Any]] = []
        self.drift: list[dict[str, Any]] = []
        self.crashes: list[dict[str, Any]] = []
        self.started = time.time()
        self.total = 0
        self.progress_lines = bool(config.getoption("--harness-all-operations") or config.getoption("--harness-resume"))
        self._began = self._shown = time.monotonic()
        # every record, drift entry and crash as it comes, so an interrupted run can be resumed and reported whole
        self.progress = report_dir / PROGRESS
        report_dir.mkdir(parents=True, exist_ok=True)
        if config.getoption("--harness-resume"):
            for line in read_progress(report_dir):
                self.records += [line["record"]] if "record" in line else []
                self.drift += [line["drift"]] if "drift" in line else []
                if "crash" in line:
                    self._keep_crash(line["crash"])
        else:
            self.progress.write_text("")
        self._resumed = len(self.records)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        """Under xdist: how many tests the run has (every worker collects them all)."""
        self.total = max(self.total, len(ids))

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Without xdist: how many tests the run has."""
        self.total = max(self.total, len(session.items))

    def _show_progress(self) -> None:
        """For a sweep: a line every 25 tests or minute, with the crashes so far and an estimate of what is left."""
        if not self.progress_lines or not self.total:
            return
        # on resume, the tests done before are deselected: the total is what this run has left
        done, now = len(self.records) - self._resumed, time.monotonic()
        if done % 25 and now - self._shown < 60 and done != self.total:
            return
        self._shown = now
        spent = now - self._began
        left = spent / max(1, done) * max(0, self.total - done)
        before = f" (and {self._resumed} before the resume)" if self._resumed else ""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        line = (
            f"[h2oharness] {done}/{self.total} tests done{before}, {len(self.crashes)} server crashes, "
            f"{spent / 60:.1f} min so far"
        )
        # the first tests carry the servers' start: no estimate from them
        line += f", about {left / 60:.1f} min left" if done >= 10 else ""
        if reporter is not None:
            reporter.write("\n")  # the dots of the tests so far have no line end of their own
            reporter.write_line(line)

    def _keep_crash(self, crash: dict[str, Any]) -> None:
        """Add a crash, or replace the one with the same id (a later line of progress.jsonl: its confirmation)."""
        for i, seen in enumerate(self.crashes):
            if crash.get("id") and seen.get("id") == crash.get("id"):
                self.crashes[i] = crash
                return
        self.crashes.append(crash)

    def confirm_crashes(self) -> None:
        """Replay every unconfirmed crash on fresh local servers and reduce it (h2oharness/confirm.py)."""
        budget = int(self.config.getoption("--harness-confirm-replays"))
        for crash in list(self.crashes):
            if budget <= 0 or crash.get("confirmed") is not None or not crash.get("request"):
                continue
            confirmed = confirm_recorded_crash(crash, budget)
            self._keep_crash(confirmed)
            self._save("crash", confirmed)

    def _save(self, kind: str, value: dict[str, Any]) -> None:
        with self.progress.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({kind: value}, default=str) + "\n")

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Keep the record of each test's deciding phase, the drift it found and the requests that killed a server."""
        if report.when == "teardown":
            # every phase's entries are on the teardown report: the crash may be seen after the test, by the fixture
            from h2oharness.sweep import CRASH

            crashes = [dict(v) for k, v in report.user_properties if k == CRASH]  # type: ignore[call-overload]
            for crash in crashes:
                self._keep_crash(crash)
                self._save("crash", crash)
        deciding = report.when == "call" or (report.when == "setup" and report.outcome != "passed")
        if not deciding:
            return
        found = next((v for k, v in report.user_properties if k == RECORD), None)
        if not isinstance(found, dict):
            return
        record: dict[str, Any] = found
        self.records.append(record)
        self._save("record", record)
        self._show_progress()
        kind = (record.get("target") or {}).get("kind", "")
        for name, value in report.user_properties:
            if name == DRIFT and report.when == "call":
                entry = {"api": record["api"], "kind": kind, **value}  # type: ignore[dict-item]
                self.drift.append(entry)
                self._save("drift", entry)

    def build(self) -> Conformance:
        """The report's view model from what was collected."""
        from h2oharness.report.build import OperationRecord, build_conformance, merge_operations
        from h2oharness.report.model import ApiReport, DriftEntry, Failure, ScenarioResult

        # one report per API and target kind; tests bound to no target (document checks) join each of them
        groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for rec in self.records:
            if rec.get("target"):
                groups.setdefault((rec["api"], rec["target"]["kind"]), []).append(rec)
        for rec in self.records:
            if not rec.get("target"):
                kinds = [k for (a, k) in groups if a == rec["api"]] or [""]
                for kind in kinds:
                    groups.setdefault((rec["api"], kind), []).append(rec)
        apis: list[ApiReport] = []
        for (slug, kind), recs in sorted(groups.items()):
            api = get_api(slug)
            spec = os.environ.get(f"HARNESS_{api.env_prefix}_SPEC") or str(
                Path(str(self.config.rootpath)) / api.contract
            )
            ops = [
                OperationRecord(
                    r["method"], r["path"], r["outcome"] == "passed", tuple(Failure(**f) for f in r["failures"])
                )
                for r in recs
                if r["suite"] == "contract" and "method" in r and r["outcome"] != "skipped"
            ]
            # a request that killed the server: found by whichever test saw the outage, reported on its operation
            ops += [
                OperationRecord(c["method"], c["path"], False, (Failure(**c["failure"]),))
                for c in self.crashes
                if (c["api"], c["kind"]) == (slug, kind)
            ]
            scenarios = tuple(
                ScenarioResult(
                    r["name"],
                    r["outcome"],
                    "; ".join(f["message"].splitlines()[0] for f in r["failures"] if f["message"])
                    or r.get("skip_reason", "")
                    or (r["error"] or ""),
                    r["duration"],
                    bool(r.get("known")),
                )
                for r in recs
                # flows and document checks inside contracts/ (stateful sequences, seed replays) read as scenarios
                if r["suite"] == "scenario" or "method" not in r
            )
            drift = {(d["source"], d["what"], d["expected"], d["observed"]) for d in self.drift if d["api"] == slug}
            target = next((r["target"] for r in recs if r.get("target")), None) or {}
            apis.append(
                ApiReport(
                    slug=slug,
                    title=api.title,
                    target=kind or "none",
                    target_url=target.get("url", ""),
                    target_version=target.get("version", ""),
                    operations=merge_operations(documented_operations(Path(spec)), ops),
                    scenarios=scenarios,
                    drift=tuple(DriftEntry(*d) for d in sorted(drift)),
                    errors=tuple(sorted({r["error"] for r in recs if r.get("error")})),
                    excluded=self._excluded(slug, kind),
                )
            )
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.started))
        return build_conformance(apis, _version(), started, time.time() - self.started, _secrets())

    def _excluded(self, slug: str, kind: str) -> tuple[Excluded, ...]:
        from h2oharness.report.model import Excluded
        from h2oharness.sweep import load_destructive

        if self.config.getoption("--harness-include-destructive"):
            return ()
        path = Path(str(self.config.rootpath)) / "contracts" / slug / "destructive.yaml"
        return tuple(Excluded(m, p, why) for (m, p), why in sorted(load_destructive(path).items()))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """Write conformance.json and conformance.html; again after replaying the crashes, which takes a while."""
        from h2oharness.report.writers import write_all

        pending = any(c.get("confirmed") is None and c.get("request") for c in self.crashes)
        if pending:
            # an interrupted replay still leaves the sweep's report (and progress.jsonl to resume from)
            write_all(self.build(), self.report_dir, secrets=_secrets())
            self.confirm_crashes()
        write_all(self.build(), self.report_dir, secrets=_secrets())


def confirm_recorded_crash(crash: dict[str, Any], budget: int) -> dict[str, Any]:
    """The crash record after its replay on fresh local servers (h2oharness/confirm.py ``confirm_record``).

    APIs the harness cannot start locally keep their request as sent, with the reason.
    """
    from h2oharness.confirm import confirm_record

    api = get_api(crash["api"])
    if api.local is None:
        failure = {**crash["failure"], "reproduced": f"not replayed: the harness cannot start a fresh {api.title}"}
        return {**crash, "confirmed": False, "failure": failure}
    return confirm_record(crash, lambda: start_local(api), api.health_path, budget)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("h2oharness")
    except PackageNotFoundError:
        return "0+unknown"


def _secrets() -> tuple[str, ...]:
    names = [f"{a.env_prefix}_{s}" for a in APIS.values() for s in ("PASSWORD", "API_KEY")]
    names += [f"HARNESS_{n}" for n in names]
    return tuple(v for v in (os.environ.get(n) for n in names) if v)


def pytest_configure(config: pytest.Config) -> None:
    """Register markers, hand settings to the contract modules, register the report collector on the controller."""
    for marker in (
        "contract: property-based contract test of an API against its OpenAPI document",
        "scenario: end-to-end flow against a target",
        "live: needs a real server (target local or live)",
        "slow: takes more than a few seconds",
    ):
        config.addinivalue_line("markers", marker)
    if config.getoption("--harness-all-operations"):
        os.environ["HARNESS_ALL_OPERATIONS"] = "1"
    if config.getoption("--harness-include-destructive"):
        os.environ["HARNESS_INCLUDE_DESTRUCTIVE"] = "1"
    if config.getoption("--harness-real-keys"):
        os.environ["HARNESS_REAL_KEYS"] = "1"
    examples = config.getoption("--harness-max-examples")
    if examples is not None:
        # read by contract modules at import time, in this process and in every xdist worker it starts
        os.environ["HARNESS_MAX_EXAMPLES"] = str(examples)
    report_dir = config.getoption("--harness-report-dir")
    if report_dir and not hasattr(config, "workerinput"):
        config.pluginmanager.register(ReportCollector(config, Path(report_dir)), "h2oharness-report")
