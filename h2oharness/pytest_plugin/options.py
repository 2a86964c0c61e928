"""Options and configuration: the ``--harness-*`` options, the run's settings, markers from paths, resume."""

from __future__ import annotations

from pathlib import Path

import pytest

from h2oharness.errors import HarnessError
from h2oharness.folders import output_dir
from h2oharness.settings import SECONDS_RULE, Settings, nonblank, restore_environment, seconds_ok
from h2oharness.targets import check_kind, check_url

#: the run's settings: the environment's, with the command line's options on top
SETTINGS = pytest.StashKey[Settings]()

_MARKERS = (
    "contract: property-based contract test of an API against its OpenAPI document",
    "scenario: end-to-end flow against a target",
    "live: needs a real server (target local or live)",
    "slow: takes more than a few seconds",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the harness's namespaced options (their defaults come from ``HARNESS_*``, see settings.py)."""
    # an option given an empty or blank value is a usage error (nonblank()): "--harness-report-dir ''" wrote no report
    group = parser.getgroup("h2oharness", "h2oharness targets and reports")
    group.addoption(
        "--harness-target",
        type=nonblank,
        default=None,
        help="mock (default, or HARNESS_TARGET), local (a real H2O-3 started from the h2o package), live (URL from "
        "env/options), or several separated by commas (every target-bound test then runs once per target)",
    )
    group.addoption("--harness-url", type=nonblank, default=None, help="base URL of a live target (else <API>_URL)")
    group.addoption(
        "--harness-username",
        type=nonblank,
        default=None,
        help="HTTP Basic user for a live target (else <API>_USERNAME)",
    )
    group.addoption("--harness-password", type=nonblank, default=None, help="HTTP Basic password (else <API>_PASSWORD)")
    group.addoption(
        "--harness-api-key", type=nonblank, default=None, help="bearer token for a live target (else <API>_API_KEY)"
    )
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
        help="send an API's extra cases (H2O-3's sweepcases) to a local target as a sweep does; the real "
        "frame, model and job keys are fed in every run",
    )
    group.addoption(
        "--harness-max-restarts",
        type=int,
        default=None,
        help="how often a sweep may restart a local server that a request killed, per session (default 4)",
    )
    group.addoption(
        "--harness-confirm-replays",
        type=int,
        default=None,
        help="replays on fresh local servers to confirm and reduce each request that killed a server "
        "(default 12; 0: report crashes unconfirmed)",
    )
    group.addoption(
        "--harness-max-examples", type=int, default=None, help="hypothesis examples per operation (default 10)"
    )
    group.addoption(
        "--harness-report-dir",
        type=nonblank,
        default=None,
        help="write conformance.json and conformance.html into this folder",
    )
    group.addoption(
        "--harness-mock-faults",
        type=nonblank,
        default=None,
        help="a fault plan (YAML/JSON) the mocks inject (else HARNESS_MOCK_FAULTS; see h2oharness/mocks/faults.py)",
    )
    group.addoption(
        "--harness-request-deadline",
        type=float,
        default=None,
        help="seconds one request may take in all, connect to last byte (default 120, or HARNESS_REQUEST_DEADLINE)",
    )
    group.addoption(
        "--harness-stream-deadline",
        type=float,
        default=None,
        help="seconds a streamed answer may take in all (default: the request deadline if set, else the call's own, "
        "or HARNESS_STREAM_DEADLINE)",
    )
    group.addoption(
        "--harness-test-deadline", type=float, default=None, help="seconds one test may take (default: no limit)"
    )
    group.addoption(
        "--harness-run-deadline",
        type=float,
        default=None,
        help="seconds the whole run may take: the test running then fails, the rest is not run, the report is written",
    )
    group.addoption(
        "--harness-budget",
        type=nonblank,
        default=None,
        help="keep the sweep generating until this time budget is spent (90s, 30m, 1h; else HARNESS_BUDGET): "
        "rounds of fresh cases, spread over the operations by what still yields new distinct defects",
    )
    group.addoption(
        "--harness-resume",
        action="store_true",
        default=False,
        help="go on with an interrupted run: skip the tests the report folder's progress.jsonl already has",
    )


def settings_of(config: pytest.Config) -> Settings:
    """The environment's settings with the command line's options on top."""
    try:
        settings = Settings.from_env()
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    option = config.getoption
    changes: dict[str, object] = {}
    names = ("target", "max_restarts", "confirm_replays", "max_examples", "mock_faults", "budget")
    for name in (*names, "request_deadline", "stream_deadline", "test_deadline", "run_deadline"):
        value = option(f"--harness-{name.replace('_', '-')}")
        if value is not None:
            changes[name] = value
    for name in ("all_operations", "include_destructive", "real_keys"):
        if option(f"--harness-{name.replace('_', '-')}"):
            changes[name] = True
    settings = settings.replace(**changes)
    if settings.budget is not None:
        from h2oharness.budget import parse_budget

        try:
            parse_budget(settings.budget)
        except HarnessError as exc:
            raise pytest.UsageError(f"--harness-budget: {exc}") from None
    return settings


#: options only a live target reads
LIVE_ONLY = ("--harness-url", "--harness-username", "--harness-password", "--harness-api-key")


def target_kinds(config: pytest.Config) -> list[str]:
    """The target kinds chosen with ``--harness-target`` (comma-separated), validated."""
    raw = config.stash[SETTINGS].target
    try:
        kinds = [check_kind(k.strip()) for k in raw.split(",") if k.strip()]
    except HarnessError as exc:
        raise pytest.UsageError(str(exc)) from None
    if not kinds:
        raise pytest.UsageError("--harness-target is empty")
    return list(dict.fromkeys(kinds))


def _check_options(config: pytest.Config, settings: Settings) -> None:
    """UsageError, one line before anything is collected, for options that cannot mean a run: an unknown target
    kind (else an error while collecting each module), no example per operation (else hypothesis' error at every
    contract module), a deadline that is not positive (else httpx's error in every request), a live URL httpx
    cannot send (else every live test fails with it), a report folder that cannot be made (else pytest's
    INTERNALERROR at its first write)."""
    kinds = target_kinds(config)
    if settings.max_examples is not None and settings.max_examples < 1:
        raise pytest.UsageError(f"--harness-max-examples must be at least 1, got {settings.max_examples}")
    for name in ("max_restarts", "confirm_replays"):
        if getattr(settings, name) < 0:
            raise pytest.UsageError(
                f"--harness-{name.replace('_', '-')} must be 0 or more, got {getattr(settings, name)}"
            )
    for name in ("request_deadline", "stream_deadline", "test_deadline", "run_deadline"):
        value = getattr(settings, name)
        if value is not None and not seconds_ok(value):
            raise pytest.UsageError(f"--harness-{name.replace('_', '-')} {SECONDS_RULE}")
    report_dir = config.getoption("--harness-report-dir")
    if config.getoption("--harness-resume") and not report_dir:
        raise pytest.UsageError(
            "--harness-resume goes on from the progress.jsonl of a report folder: give it --harness-report-dir"
        )
    if report_dir:
        try:
            output_dir(Path(report_dir), "--harness-report-dir")
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
    live_only = [o for o in LIVE_ONLY if config.getoption(o)]
    if live_only and "live" not in kinds:
        # as `h2oharness run` refuses them: ignored, a run against the mock would pass for one against the server
        raise pytest.UsageError(f"{live_only[0]} is for --harness-target live; {', '.join(kinds)} would ignore it")
    url = config.getoption("--harness-url")
    if url and "live" in kinds:
        try:
            check_url(url, "--harness-url")
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None


def _checked_once(config: pytest.Config, settings: Settings) -> Settings:
    """The settings with the SHA-256 of each ``--spec`` document the xdist controller found valid: its workers,
    which each collect the contract modules, then take those bytes unchecked (seconds of CPU each for H2O-3's).

    One found invalid is left to the workers, whose collection error says why in the report, as without xdist.
    """
    from h2oharness.errors import SpecError
    from h2oharness.openapi import check_spec_file

    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return settings
    checked = [d for d in settings.checked_specs.split(",") if d]
    for path in settings.specs.values():
        try:
            digest = check_spec_file(Path(path), checked)
        except SpecError:
            continue
        if digest not in checked:
            checked.append(digest)
    return settings.replace(checked_specs=",".join(checked))


def _check_paths(config: pytest.Config) -> None:
    """Under pytest-xdist, a path on the command line that does not exist is refused, as pytest alone refuses it.

    xdist's controller collects nothing and its workers' "file or directory not found" is lost: a mistyped path
    ran none of the tests, the others named included, and said only "no tests ran" (exit 5).
    """
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None) or config.option.pyargs:
        return
    base = config.invocation_params.dir
    for arg in config.args:
        path = arg.split("::", 1)[0]
        if path and not (base / path).exists():
            raise pytest.UsageError(f"file or directory not found: {path}")


def pytest_configure(config: pytest.Config) -> None:
    """Markers, the run's settings (exported for the contract modules and xdist workers), per-API fixtures, report."""
    from h2oharness.apis import APIS
    from h2oharness.pytest_plugin.budgeted import BudgetedSweep
    from h2oharness.pytest_plugin.collector import ReportCollector
    from h2oharness.pytest_plugin.fixtures import api_fixtures
    from h2oharness.pytest_plugin.stopping import Stopping

    for marker in _MARKERS:
        config.addinivalue_line("markers", marker)
    settings = settings_of(config)
    if settings.mock_faults:
        from h2oharness.mocks.faults import FaultPlan
        from h2oharness.targets import check_fault_plan

        try:
            plan = FaultPlan.from_file(Path(settings.mock_faults))  # a bad plan is one line now, not an error per test
            # which APIs the session tests is known only once it has collected: a rule must meet one of them all
            specs = {a.slug: Path(p) for a in APIS.values() if (p := settings.specs.get(a.env_prefix))}
            check_fault_plan(plan, list(APIS.values()), settings.mock_faults, specs)
        except HarnessError as exc:
            raise pytest.UsageError(str(exc)) from None
    settings = _checked_once(config, settings)
    config.stash[SETTINGS] = settings
    _check_options(config, settings)
    _check_paths(config)
    # read by the contract driver when a contract module is imported, and by clients, here and in every xdist worker
    scope = ("all_operations", "include_destructive", "real_keys", "max_examples", "budget", "checked_specs")
    replaced = settings.export((*scope, "request_deadline", "stream_deadline"))
    # a session run in-process (pytester) left HARNESS_ALL_OPERATIONS to the next one, which then tested more
    config.add_cleanup(lambda: restore_environment(replaced))
    for api in APIS.values():
        config.pluginmanager.register(api_fixtures(api), f"h2oharness-fixtures-{api.slug}")
    report_dir = config.getoption("--harness-report-dir")
    if report_dir and not hasattr(config, "workerinput") and not config.option.collectonly:
        # --collect-only runs nothing: the folder keeps the last run's report and progress.jsonl (to resume it)
        config.pluginmanager.register(ReportCollector(config, Path(report_dir)), "h2oharness-report")
    if settings.budget is not None and not hasattr(config, "workerinput"):
        if getattr(config.option, "numprocesses", None):
            raise pytest.UsageError("--harness-budget runs the sweep in one process: leave out -n")
        config.pluginmanager.register(BudgetedSweep(config, settings), "h2oharness-budget")
    if report_dir:
        stopping = Stopping(settings.deadline, controller=not hasattr(config, "workerinput"))
        config.pluginmanager.register(stopping, "h2oharness-stopping")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark tests by where they live (contracts/ -> contract, scenarios/ -> scenario); on resume, drop the done ones."""
    from h2oharness.pytest_plugin.progress import read_progress

    report_dir = config.getoption("--harness-report-dir")
    if config.getoption("--harness-resume") and report_dir:
        records = [line["record"] for line in read_progress(Path(report_dir)) if "record" in line]
        done = {str(r.get("nodeid")) for r in records if not r.get("unrun")}
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
