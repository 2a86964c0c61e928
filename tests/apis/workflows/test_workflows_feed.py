"""The Workflows feed: real resources made on the mock, named in two in three positive cases, remade once used up."""

from __future__ import annotations

import itertools
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest

from h2oharness.apis.workflows.client import WorkflowsClient
from h2oharness.apis.workflows.feed import FINAL, ThingFeed
from h2oharness.apis.workflows.mock import WorkflowsMockState, WorkflowsTimings
from h2oharness.contractplan import ExtraCase
from h2oharness.mocks.clock import ManualClock
from h2oharness.openapi import contract_document

CONTRACTS = Path(__file__).resolve().parents[3] / "contracts" / "workflows"
CANCEL = "/v1/workspaces/{workspace}/workflows/{workflow}/revisions/{revision}/runs/{run}:cancel"
RETRY = "/v1/workspaces/{workspace}/workflows/{workflow}/revisions/{revision}/runs/{run}:retry"
WORKFLOW = "/v1/workspaces/{workspace}/workflows/{workflow}"


@pytest.fixture
def state(clock: ManualClock) -> WorkflowsMockState:
    """Runs without sleeps end the moment they start; one that sleeps runs until the clock moves (it never does)."""
    return WorkflowsMockState(clock=clock, timings=WorkflowsTimings(queued=0.0, step=0.0, sleep_scale=1.0))


def _case(method: str, path: str, *, positive: bool = True, body: Any = None, salt: int = 0) -> Any:
    """A generated case of the operation, its path parameters drawn (``salt`` varies them)."""
    names = [part[1:-1] for part in path.replace(":", "/").split("/") if part.startswith("{")]
    mode = SimpleNamespace(is_positive=positive)
    operation = SimpleNamespace(path=path, path_parameters=[SimpleNamespace(name=n) for n in names])
    drawn = dict.fromkeys(names, f"x{salt}")
    return SimpleNamespace(
        meta=SimpleNamespace(generation=SimpleNamespace(mode=mode)), operation=operation, method=method,
        path_parameters=drawn, query=None, body=body,
    )  # fmt: skip


#: draws no case has had yet
SALTS = itertools.count(100)


def _filled(feed: ThingFeed, method: str, path: str, **kwargs: Any) -> Any:
    """The first of the operation's next draws that the feed fills, filled."""
    for _ in range(10):
        case = _case(method, path, salt=next(SALTS), **kwargs)
        drawn = dict(case.path_parameters)
        feed.fill(case)
        if case.path_parameters != drawn:
            return case
    raise AssertionError("the feed filled none of ten draws")


def _send(http: httpx.Client, case: Any) -> httpx.Response:
    url = ExtraCase(case.method, case.operation.path, case.path_parameters).formatted_path
    return http.request(case.method, url, json=case.body if case.method != "GET" else None)


@pytest.fixture
def feed(http: httpx.Client) -> ThingFeed:
    made = ThingFeed()
    made.ensure(http, "gw0_123")
    assert made.error is None
    return made


def test_every_get_that_takes_an_id_answers_200_with_the_fed_names(feed: ThingFeed, http: httpx.Client) -> None:
    paths = [p for p, item in contract_document("workflows")["paths"].items() if "{" in p and "get" in item]
    assert len(paths) == 20
    for path in paths:
        case = _filled(feed, "GET", path)
        answer = _send(http, case)
        assert answer.status_code == 200, (path, case.path_parameters, answer.text)


def test_the_first_draw_is_filled_the_second_left_as_drawn_and_a_negative_case_never(feed: ThingFeed) -> None:
    cases = [_case("GET", WORKFLOW, salt=s) for s in range(4)] + [_case("GET", WORKFLOW, salt=9, positive=False)]
    drawn = [dict(c.path_parameters) for c in cases]
    for case in cases:
        feed.fill(case)
    changed = [case.path_parameters != before for case, before in zip(cases, drawn, strict=True)]
    assert changed == [True, False, True, True, False]
    again = _case("GET", WORKFLOW, salt=1)  # the same draw as the second: left as drawn again
    feed.fill(again)
    assert again.path_parameters == drawn[1]


def test_a_cancel_a_retry_and_a_delete_leave_the_next_case_a_thing_to_act_on(
    feed: ThingFeed, http: httpx.Client
) -> None:
    for method, path, body in (("POST", CANCEL, {}), ("POST", RETRY, {}), ("DELETE", WORKFLOW, None)):
        for _ in range(3):
            case = _filled(feed, method, path, body=body)
            answer = _send(http, case)
            feed.note(answer)
            assert answer.status_code == 200, (path, case.path_parameters, answer.text)
    after = _filled(feed, "GET", WORKFLOW)
    assert _send(http, after).status_code == 200  # the workflow the last case deleted is back


def test_a_deactivated_workflow_is_active_again_for_the_next_run(feed: ThingFeed, http: httpx.Client) -> None:
    deactivate = _filled(feed, "POST", WORKFLOW + ":deactivate", body={})
    answer = _send(http, deactivate)
    assert answer.status_code == 200
    feed.note(answer)
    run = _filled(feed, "POST", WORKFLOW + "/revisions/{revision}:run", body={})
    assert _send(http, run).status_code == 200
    assert run.path_parameters["revision"] == "2"  # activated again: a new revision


def test_an_action_a_filled_create_made_goes_with_the_rest(
    feed: ThingFeed, http: httpx.Client, state: WorkflowsMockState
) -> None:
    create = _filled(feed, "POST", "/v1/workspaces/{workspace}/actions", body={"sourceContents": "x: ["})
    answer = _send(http, create)
    assert answer.status_code == 200, answer.text
    feed.note(answer)
    assert len(state.actions) == 2  # the fed one and the new one
    feed.remove(http)
    assert (state.workflows, state.runners, state.actions) == ({}, {}, {})


def test_a_sweep_reaches_an_operation_that_had_only_404s_with_a_2xx(pytester: pytest.Pytester) -> None:
    from h2oharness.pytest_plugin.recording import RECORD

    # under contracts/workflows/, where the plugin records what each operation answered
    folder = pytester.mkdir("contracts") / "workflows"
    folder.mkdir()
    (folder / "test_wf_feed_sweep.py").write_text(
        "from pathlib import Path\n"
        "from h2oharness.pytest_plugin.contract import contract_tests\n"
        f"test_workflows_contract, _ = contract_tests('workflows', Path({str(CONTRACTS)!r}))\n"
    )
    result = pytester.runpytest_inprocess(
        "-p", "no:xdist", "-p", "no:cacheprovider", "--harness-all-operations", "--harness-max-examples", "5",
        "-k", "contract and deactivate",
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    records = [
        dict(v)
        for r in result.reprec.getreports("pytest_runtest_logreport")
        for k, v in r.user_properties
        if k == RECORD
    ]
    answers = [codes for record in records for codes in record.get("answers", {}).values()]
    assert any(code.startswith("2") for codes in answers for code in codes), answers


def _running(http: httpx.Client, state: WorkflowsMockState) -> list[str]:
    """The runs on the mock not yet in a final state, as a client sees them."""
    client = WorkflowsClient(http)
    states = {name: client.get_run(name)["state"] for name in list(state.runs)}
    return [name for name, run_state in states.items() if run_state not in FINAL]


def test_the_sleeping_run_is_started_only_for_a_cancel_and_cancelled_after_its_test(
    feed: ThingFeed, http: httpx.Client, state: WorkflowsMockState, clock: ManualClock
) -> None:
    for path in (WORKFLOW, RETRY):
        _filled(feed, "POST" if path == RETRY else "GET", path, body={})
    clock.advance(30)  # the failing runs have failed; a sleeping one would sleep on
    assert _running(http, state) == []  # nothing sleeps for operations that cancel nothing
    case = _filled(feed, "POST", CANCEL, body={})
    assert _running(http, state) == [f"{feed.keys.slow_workflow}/revisions/1/runs/{case.path_parameters['run']}"]
    feed.cancel_started(http)  # the cancel's test is over: its case never sent, the run is stopped all the same
    assert _running(http, state) == []
    assert _send(http, _filled(feed, "POST", CANCEL, body={})).status_code == 200  # the next test gets a new one
    feed.remove(http)
    assert _running(http, state) == []
    assert state.workflows == {}
