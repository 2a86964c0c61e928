"""The contract driver: an API's contract tests from its plan (``ApiInfo.plan``), the same for every API.

``contracts/<slug>/test_<slug>_contract.py`` asks for its two tests:

    test_h2o3_contract, test_h2o3_stateful_flow = contract_tests("h2o3", Path(__file__).parent)

The first is one pytest item per documented operation in scope (so xdist spreads
them): each generated case is sent through the sweep (a request that kills the
server is a ``server_crash`` finding), its answer validated against the document
and its failures handed to the known findings. The second follows the document's
links as a state machine and checks how deep it got. The folder holds
``openapi.yaml`` (``HARNESS_<PREFIX>_SPEC`` replaces it), ``schemathesis.toml`` and,
where the API has one, ``destructive.yaml``.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.core.errors import NoLinksFound
from schemathesis.core.failures import FailureGroup
from schemathesis.core.transport import Response as SchemathesisResponse

from h2oharness.apis import ApiInfo, get_api
from h2oharness.budget import BudgetSpent
from h2oharness.contractplan import CaseFeed, FlowContext, FlowPlan, in_scope
from h2oharness.errors import ConfigError, SpecError
from h2oharness.openapi import check_spec_file
from h2oharness.pytest_plugin import lazycoverage
from h2oharness.pytest_plugin.budgeted import BUDGET
from h2oharness.settings import Settings
from h2oharness.stateful import flow_settings, linked_flow
from h2oharness.sweep import ServerCrash, load_destructive
from h2oharness.yamlinput import load_yaml

#: a destructive operation may kill the node after it answers (Shutdown does, about 2 s later): watch that long
DESTRUCTIVE_SETTLE = 5.0

TestFunction = Callable[..., None]


def contract_tests(slug: str, folder: Path) -> tuple[TestFunction, TestFunction | None]:
    """The API's per-operation contract test and its stateful flow test (None when its plan has no flow)."""
    api = get_api(slug)
    current = Settings.from_env()
    spec = Path(current.specs.get(api.env_prefix) or folder / "openapi.yaml")
    if api.env_prefix in current.specs:
        unusable = None
        try:
            check_spec_file(spec, current.checked_specs.split(","))
        except SpecError as exc:
            unusable = f"HARNESS_{api.env_prefix}_SPEC: {exc}"
        if unusable:
            # one line, the module's collection error: it was schemathesis' traceback ending in FileNotFoundError
            pytest.fail(unusable, pytrace=False)
    config = folder / "schemathesis.toml"
    destructive = load_destructive(folder / "destructive.yaml")
    document = schemathesis.openapi.from_path(str(spec), config=schemathesis.Config.from_path(config))
    if current.seed is not None:
        document.config.seed = current.seed

    def tested(method: str, path: str) -> bool:
        flags = {"all_operations": current.all_operations, "include_destructive": current.include_destructive}
        return in_scope(api.plan, destructive, method, path, **flags)

    # filtered before parametrize: an operation out of scope is not even collected
    # an exclude, not an include: once a schemathesis.toml has [[operations]] entries, the loaded schema's filter
    # already includes everything and a further include only adds alternatives (schemathesis 4.32)
    schema = document.exclude(lambda ctx: not tested(ctx.operation.method, ctx.operation.path))
    # every run feeds real ids: on generated ones an id-taking operation "conforms" on its documented 404 alone
    feed = api.plan.feed() if api.plan.feed else None
    if feed is not None:
        feed.install(schema)
    contract = _contract_test(api, schema, current, destructive, feed)
    flow = api.plan.flow
    return contract, None if flow is None else _flow_test(api, flow, document, spec, config)


#: an operation's extension saying its success answer is newline-delimited JSON under application/json (as
#: grpc-gateway streams a server-streaming call), each line one value of the response's schema
STREAM = "x-h2oharness-stream"


def stream_chunks(case: Any, response: Any) -> list[Any]:
    """``response`` as the contract describes it: one answer, or for an operation marked ``x-h2oharness-stream:
    ndjson`` whose success answer holds several lines, one answer per line (schemathesis parses the whole body as one
    JSON value, which a stream of more than one chunk is not), and none for an empty stream."""
    raw = getattr(getattr(case.operation, "definition", None), "raw", None) or {}
    if raw.get(STREAM) != "ndjson" or not 200 <= getattr(response, "status_code", 0) < 300:
        return [response]
    lines = [line for line in bytes(getattr(response, "content", b"") or b"").splitlines() if line.strip()]
    if not lines:
        return []  # a stream of no chunk (a step that logged nothing): nothing to hold against the chunk's schema
    if len(lines) == 1:
        return [response]
    # the override says which headers the harness set (the credentials): a check that tells explicit auth from
    # generated reads it, and took the stream's lines for requests sent with generated auth without it
    override = getattr(response, "_override", None)
    return [
        SchemathesisResponse(
            response.status_code,
            response.headers,
            line,
            response.request,
            response.elapsed,
            response.verify,
            _override=override,
        )
        for line in lines
    ]


def _named(function: TestFunction, name: str, doc: str) -> TestFunction:
    function.__name__ = function.__qualname__ = name
    function.__doc__ = doc
    return function


def _contract_test(
    api: ApiInfo, schema: Any, current: Settings, destructive: dict[tuple[str, str], str], feed: CaseFeed | None
) -> TestFunction:
    slug = api.slug
    # pinned constants: the seeded draw is the same whatever ran earlier in the process
    needs = [f"{slug}_target", f"{slug}_session", "harness_known_findings", "harness_sweep", "harness_pinned_constants"]

    def test(case: Any, request: pytest.FixtureRequest) -> None:
        budget = request.config.stash.get(BUDGET, None)
        if budget is not None and budget.expired():
            raise BudgetSpent(f"the sweep's budget of {budget.seconds:g} s is spent")
        target = request.getfixturevalue(f"{slug}_target")
        reason = api.plan.skip(case, target)
        if reason:
            pytest.skip(reason)
        operation = (case.operation.method.upper(), case.operation.path)
        if feed is not None:
            _feed_before(request, feed, target, slug)
            if sends_extras(current, target.kind):
                _extras(request, case, feed, target, slug, DESTRUCTIVE_SETTLE if operation in destructive else 0.0)
            feed.fill(case)
        response = request.getfixturevalue("harness_sweep").call(
            case,
            target,
            session=request.getfixturevalue(f"{slug}_session"),
            settle=DESTRUCTIVE_SETTLE if operation in destructive else 0.0,
            timeout=30,
        )
        if feed is not None:
            feed.note(response)
        for answer in stream_chunks(case, response):
            try:
                case.validate_response(answer)
            except FailureGroup as group:
                request.getfixturevalue("harness_known_findings").absorb(group, target, response=answer)

    _named(test, f"test_{slug}_contract", "Every generated request gets a response its operation documents.")
    test._harness_feed = feed  # type: ignore[attr-defined]  # a budgeted round hands its keys to extra cases
    test = pytest.mark.usefixtures(*needs)(test)
    test = settings(
        max_examples=current.max_examples, suppress_health_check=list(HealthCheck), deadline=None, database=None
    )(test)
    # the coverage cases are planned when each operation's test runs (lazycoverage), not for all at collection
    return lazycoverage.defer(schema, test).parametrize()(test)  # type: ignore[no-any-return]


_FED = pytest.StashKey[bool]()


def sends_extras(current: Settings, kind: str) -> bool:
    """Whether a run sends the feed's extra cases: only a sweep (a budgeted one too: most of what it finds past the
    first round is behind them), and, as they include known node killers, only to a server the harness restarts
    unless destructive operations were asked for."""
    sweeping = current.all_operations or current.real_keys or current.budget is not None
    return sweeping and (kind == "local" or current.include_destructive)


_EXTRAS = pytest.StashKey[BaseException | None]()


def _extras(request: pytest.FixtureRequest, case: Any, feed: CaseFeed, target: Any, slug: str, settle: float) -> None:
    """Once per test, before its first generated case: the feed's extra cases for the operation, through the sweep.

    A case that kills the server ends the test (a ``server_crash`` finding), and the rest of its family is not
    sent again in the session. The first unknown failure among them (all are sent) is raised on every generated
    case of the test, the same exception from the same line, so that hypothesis sees one consistent failure.
    """
    node = request.node
    if _EXTRAS not in node.stash:
        node.stash[_EXTRAS] = None
        node.stash[_EXTRAS] = _send_extras(request, case, feed, target, slug, settle)
    failed = node.stash[_EXTRAS]
    if failed is not None:
        raise failed


def _send_extras(
    request: pytest.FixtureRequest, case: Any, feed: CaseFeed, target: Any, slug: str, settle: float
) -> BaseException | None:
    guard = request.getfixturevalue("harness_sweep")
    session = request.getfixturevalue(f"{slug}_session")
    known = request.getfixturevalue("harness_known_findings")
    first: BaseException | None = None
    for extra in feed.extra_cases(case.operation):
        if extra.family in guard.sweep.families:
            continue
        # a body only where the extra case has one: Case(body=None) would send JSON null
        body = {} if extra.body is None else {"body": extra.body, "media_type": extra.media_type}
        made = case.operation.Case(
            path_parameters=extra.path_parameters or None, query=extra.query or None, headers=extra.headers or None,
            **body,
        )  # fmt: skip
        try:
            response = guard.call(made, target, session=session, settle=settle, timeout=30)
        except ServerCrash:
            guard.sweep.families.add(extra.family)
            raise
        except pytest.skip.Exception:
            if target.url in guard.sweep.down:
                raise
            continue  # this very request killed the server before: not sent again, the others still are
        feed.note(response)
        try:
            made.validate_response(response)
        except FailureGroup as group:
            try:
                known.absorb(group, target, response=response)
            except BaseExceptionGroup as unknown:
                # the rest are still sent: a node killer may come later in the list
                first = first or unknown
    return first


#: on a flow test re-run by a budgeted round: (hypothesis seed, sequences)
FLOW_ROUND = pytest.StashKey[tuple[int, int]]()
_WARNED = pytest.StashKey[set[str]]()


def feed_keys(item: pytest.Item) -> Any:
    """The real values the feed of a contract test's API made on the target (H2O-3: ``SweepKeys``), or None."""
    feed = getattr(getattr(item, "test_function", None), "_harness_feed", None)
    return getattr(feed, "keys", None)


def reset_for_rerun(item: pytest.Item) -> None:
    """Forget what an earlier run of ``item`` left on it (its cases, findings, feed), so a re-run reports anew."""
    from h2oharness.pytest_plugin.recording import LAST_RESPONSE
    from h2oharness.sweep import ANSWERS, CASES

    item.user_properties.clear()
    keys: tuple[pytest.StashKey[Any], ...] = (CASES, ANSWERS, _FED, LAST_RESPONSE)
    for key in keys:
        if key in item.stash:
            del item.stash[key]
    if _EXTRAS in item.stash:
        # the extra cases went out once, and their failure is in the earlier run's report: a re-run neither sends
        # them again nor fails every fresh case with it
        item.stash[_EXTRAS] = None


def _feed_before(request: pytest.FixtureRequest, feed: CaseFeed, target: Any, slug: str) -> None:
    """Once per test: the real values on the target now, what its cases started cancelled after, removal at the end."""
    node = request.node
    if node.stash.get(_FED, False):
        return
    node.stash[_FED] = True
    http = request.getfixturevalue(f"{slug}_http")
    # xdist names its workers in the environment; without it (-p no:xdist) there is one process
    feed.ensure(http, tag=f"{os.environ.get('PYTEST_XDIST_WORKER', 'master')}_{os.getpid()}")
    warned = request.config.stash.setdefault(_WARNED, set())
    if feed.error and feed.error not in warned:
        warned.add(feed.error)
        warnings.warn(f"the run uses generated keys only, none could be made: {feed.error}", stacklevel=1)
    node.addfinalizer(lambda: feed.cancel_started(http))
    module = node.getparent(pytest.Module)
    if module is not None and not module.stash.get(_FED, False):
        module.stash[_FED] = True

        def remove() -> None:
            with target.client(timeout=30) as client:
                feed.remove(client)

        module.addfinalizer(remove)


def _flow_document(spec: Path, operations: frozenset[tuple[str, str]]) -> dict[str, Any]:
    """The document cut down to ``operations`` and the links between them, so few steps go deep."""
    document = load_yaml(spec.read_text())
    kept_ids = set()
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if (method.upper(), path) in operations:
                paths.setdefault(path, {})[method] = operation
                kept_ids.add(operation["operationId"])
    for item in paths.values():
        for operation in item.values():
            for response in operation["responses"].values():
                links = response.get("links", {})
                for name in [n for n, link in links.items() if link["operationId"] not in kept_ids]:
                    del links[name]
    return {**document, "paths": paths}


def _flow_schema(flow: FlowPlan, document: Any, spec: Path, config: Path) -> Any:
    """The flow's schema: the document filtered to the flow's operations (or a fresh load when it needs its own)."""
    loaded = schemathesis.Config.from_path(config)
    if flow.prune_links:
        if flow.operations is None:
            raise ConfigError(f"{spec}: a flow plan with prune_links must name its operations")
        return schemathesis.openapi.from_dict(_flow_document(spec, flow.operations), config=loaded)
    if flow.positive_only:
        document = schemathesis.openapi.from_path(str(spec), config=loaded)
        document.config.generation.update(modes=[GenerationMode.POSITIVE])
    # excludes, not includes, as for the contract test: once schemathesis.toml has [[operations]] entries an include
    # only adds alternatives, and the flow took every operation (CorePlexML's DELETE /api/projects/{id} among them)
    if flow.operations is not None:
        kept = flow.operations
        return document.exclude(lambda ctx: (ctx.operation.method.upper(), ctx.operation.path) not in kept)
    if flow.operation_ids is not None:
        return document.include(operation_id=sorted(flow.operation_ids))
    pattern = re.compile(flow.path_regex or "")
    return document.exclude(lambda ctx: pattern.search(ctx.operation.path) is None)


def _flow_test(api: ApiInfo, flow: FlowPlan, document: Any, spec: Path, config: Path) -> TestFunction:
    slug = api.slug
    schema = _flow_schema(flow, document, spec, config)
    target_fixture = f"{slug}_fresh_target" if flow.fresh_mock else f"{slug}_target"

    def test(request: pytest.FixtureRequest, tmp_path: Path) -> None:
        target = request.getfixturevalue(target_fixture)
        reason = flow.skip(target)
        if reason:
            pytest.skip(reason)
        session = request.getfixturevalue(f"{slug}_session")
        known = request.getfixturevalue("harness_known_findings")
        sweep = request.getfixturevalue("harness_sweep")
        steps: list[str] = []
        budget = request.config.stash.get(BUDGET, None)
        rerun = request.node.stash.get(FLOW_ROUND, None)

        def before(case: Any) -> None:
            if budget is not None and budget.expired():
                raise BudgetSpent(f"the sweep's budget of {budget.seconds:g} s is spent")
            if before_call:
                before_call(case)

        chosen = flow_settings(flow.min_examples, steps=flow.steps)
        if rerun is not None:
            # a budgeted round: other sequences than the derandomized first run's, as many as it was given
            chosen = settings(chosen, derandomize=False, max_examples=rerun[1])
        with target.client(timeout=60.0) as http, flow.start(FlowContext(target, http, tmp_path)) as before_call:
            base = linked_flow(schema, target, session, known, steps, sweep)
            machine: Any = type("Flow", (base,), {"before_call": lambda self, case: before(case)})
            if rerun is not None:
                machine._hypothesis_internal_use_seed = rerun[0]
            try:
                machine.run(settings=chosen)
            except NoLinksFound:
                # a document without the flow's operations (a --spec or a --paths subset) has no links to follow
                pytest.skip(f"{spec.name} has none of the links {api.title}'s flow follows")
        if rerun is None:
            flow.check(steps)  # how deep a flow gets is judged on its first, derandomized run

    _named(test, f"test_{slug}_stateful_flow", f"Sequences that follow the links of {api.title}'s document.")
    test._harness_flow = True  # type: ignore[attr-defined]  # a budgeted sweep re-runs it in its rounds
    needs = [target_fixture, f"{slug}_session", "harness_known_findings", "harness_sweep"]
    return pytest.mark.usefixtures(*needs)(test)
