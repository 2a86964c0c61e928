"""The CorePlexML feed: real ids made on the mock, put into part of the positive cases, made again after a delete."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import schemathesis

from h2oharness.apis.coreplexml.contract import in_default_scope
from h2oharness.apis.coreplexml.feed import PARTS, IdFeed, SweepIds, valid_experiment, wanted
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState, CorePlexMLTimings, make_app
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.serve import serve
from h2oharness.targets import Target

CONTRACT = Path(__file__).resolve().parents[3] / "contracts" / "coreplexml" / "openapi.yaml"
#: the ``contract_answers`` fixture (tests/conftest.py)
ContractAnswers = Callable[..., dict[str, set[str]]]
IDS = SweepIds(
    project="p", dataset="d", version="v", experiment="e", model="m", deployment="dep", studio_session="ss",
    scenario="sc", member="mem", report="r", policy="pol", privacy_session="ps", privacy_job="pj",
    synthgen_model="sm", synthgen_job="sj",
)  # fmt: skip


@pytest.fixture
def state(clock: ManualClock) -> CorePlexMLMockState:
    """Experiments and jobs end the moment they are made: the feed gets its model at once."""
    return CorePlexMLMockState(clock=clock, timings=CorePlexMLTimings.instant())


def _case(path: str, positive: bool = True, *, params: Any = None, query: Any = None, body: Any = None) -> Any:
    mode = SimpleNamespace(is_positive=positive)
    return SimpleNamespace(
        meta=SimpleNamespace(generation=SimpleNamespace(mode=mode)),
        operation=SimpleNamespace(path=path, method="GET"),
        path_parameters=params,
        query=query,
        body=body,
    )


def test_the_same_name_means_what_the_path_is_about() -> None:
    assert IDS.value("model_id", "/api/models/{model_id}") == "m"
    assert IDS.value("model_id", "/api/synthgen/models/{model_id}/generate") == "sm"
    assert IDS.value("session_id", "/api/studio/sessions/{session_id}") == "ss"
    assert IDS.value("session_id", "/api/privacy/sessions/{session_id}/detect") == "ps"
    assert IDS.value("job_id", "/api/jobs/{job_id}") == "pj"
    assert IDS.value("job_id", "/api/synthgen/jobs/{job_id}") == "sj"
    assert IDS.value("to_model_id", "/api/mlops/deployments/{deployment_id}/rollback") == "m"
    assert IDS.value("entity_id", "/api/reports") == "e"
    assert IDS.value("name", "/api/projects") is None


def test_every_other_positive_case_gets_the_real_ids_in_path_query_and_body() -> None:
    feed = IdFeed()
    feed.keys = IDS
    path = "/api/experiments/{experiment_id}/best-model"
    cases = [_case(path, params={"experiment_id": f"x{n}"}, query={"project_id": "0"}, body={"model_id": "y"})
             for n in range(4)]  # fmt: skip
    for case in cases:
        feed.fill(case)
    assert [c.path_parameters["experiment_id"] for c in cases] == ["e", "x1", "e", "x3"]
    assert (cases[0].query, cases[0].body) == ({"project_id": "p"}, {"model_id": "m"})
    assert (cases[1].query, cases[1].body) == ({"project_id": "0"}, {"model_id": "y"})
    # hypothesis replaying the second case gets it as it went the first time
    again = _case(path, params={"experiment_id": "x1"}, query={"project_id": "0"}, body={"model_id": "y"})
    feed.fill(again)
    assert again.path_parameters == {"experiment_id": "x1"}


def test_a_negative_case_stays_as_drawn() -> None:
    feed = IdFeed()
    feed.keys = IDS
    negative = _case("/api/projects/{project_id}", False, params={"project_id": "0"})
    feed.fill(negative)
    assert negative.path_parameters == {"project_id": "0"}


def _create(body: dict[str, Any]) -> Any:
    case = _case("/api/experiments", body=body)
    case.operation.method = "POST"
    return case


def test_a_new_experiment_gets_the_fed_dataset_a_target_it_has_and_a_config_valid_for_it() -> None:
    feed = IdFeed()
    feed.keys = IDS
    drawn = {"project_id": "0", "dataset_version_id": "0", "name": "n", "target_column": "?", "problem_type": "binary"}
    config = {"distribution": "huber", "sort_metric": "RMSE", "stopping_metric": "auc", "max_models": 3}
    create = _create({**drawn, "config": config})
    feed.fill(create)
    assert create.body == {
        **drawn, "project_id": "p", "dataset_version_id": "v", "target_column": "label",
        "config": {"stopping_metric": "auc", "max_models": 3},
    }  # fmt: skip


@pytest.mark.parametrize(
    ("problem_type", "config", "kept"),
    [
        ("regression", {"distribution": "huber", "sort_metric": "auc"}, {"distribution": "huber"}),
        ("regression", {"distribution": "quantile", "sort_metric": "quantile"}, None),
        ("classification", {"sort_metric": "quantile", "stopping_metric": "rmse"}, {}),
        ("multiclass", {"sort_metric": "deviance", "stopping_metric": "AUTO"}, None),
        ("binary", {"exclude_algos": ["GBM", "XGBoost", "DRF", "DeepLearning", "GLM"]}, {}),
        ("binary", {"exclude_algos": ["GBM", "StackedEnsemble"]}, None),
    ],
)
def test_only_what_a_rule_refuses_for_the_target_leaves_the_config(
    problem_type: str, config: dict[str, Any], kept: dict[str, Any] | None
) -> None:
    body = valid_experiment({"problem_type": problem_type, "target_column": "?", "config": config})
    assert body["config"] == (config if kept is None else kept)
    assert body["target_column"] == ("x2" if problem_type == "regression" else "label")


def test_the_experiments_fed_cases_start_are_deleted_after_the_test(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    assert feed.keys is not None
    drawn = {"project_id": "0", "dataset_version_id": "0", "name": "n", "target_column": "?"}
    started = []
    for n, kind in enumerate(("classification", "binary", "regression")):  # the second draw is left as drawn
        create = _create({**drawn, "name": f"n{n}", "problem_type": kind, "config": {"distribution": "gamma"}})
        feed.fill(create)
        answer = http.post("/api/experiments", json=create.body)
        feed.note(answer)
        assert answer.status_code == (422 if n == 1 else 201), answer.text
        started += [answer.json()["id"]] if n != 1 else []
    feed.note(http.get(f"/api/experiments/{feed.keys.experiment}"))  # a read starts nothing
    feed.cancel_started(http)
    assert [http.get(f"/api/experiments/{e}").status_code for e in started] == [404, 404]
    assert http.get(f"/api/experiments/{feed.keys.experiment}").status_code == 200  # the fed one stays
    feed.remove(http)


def test_ensure_makes_everything_the_paths_name(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    assert feed.error is None
    assert feed.keys is not None
    ids = feed.keys
    reads = [
        f"/api/projects/{ids.project}", f"/api/datasets/{ids.dataset}/columns", f"/api/models/{ids.model}",
        f"/api/mlops/deployments/{ids.deployment}", f"/api/studio/sessions/{ids.studio_session}",
        f"/api/reports/{ids.report}", f"/api/privacy/policies/{ids.policy}",
        f"/api/privacy/sessions/{ids.privacy_session}/results", f"/api/jobs/{ids.privacy_job}",
        f"/api/synthgen/models/{ids.synthgen_model}", f"/api/synthgen/jobs/{ids.synthgen_job}",
    ]  # fmt: skip
    assert {path: http.get(path).status_code for path in reads} == dict.fromkeys(reads, 200)
    assert ids.scenario is not None
    assert ids.member is not None
    feed.remove(http)
    assert http.get(f"/api/projects/{ids.project}").status_code == 404


def test_without_a_model_in_time_what_needs_one_stays_drawn(clock: ManualClock) -> None:
    # the clock never moves: the experiment stays queued
    state = CorePlexMLMockState(clock=clock)
    with serve(make_app(state)) as served, Target("mock", served.url, state.client_credentials()).client() as http:
        feed = IdFeed(wait=0.3)
        feed.ensure(http, tag="t")
    assert feed.keys is not None
    assert feed.keys.model is None
    assert feed.keys.deployment is None
    assert feed.keys.policy is not None
    assert feed.keys.synthgen_model is not None
    assert feed.keys.value("model_id", "/api/models/{model_id}") is None


def test_a_case_deleting_the_project_has_it_all_made_again(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    assert feed.keys is not None
    before = feed.keys
    feed.note(http.delete(f"/api/projects/{before.project}"))
    assert feed.keys is not None
    assert feed.keys.project != before.project
    assert http.get(f"/api/projects/{feed.keys.project}").status_code == 200
    assert http.get(f"/api/models/{feed.keys.model}").status_code == 200
    # a read changes nothing
    now = feed.keys
    feed.note(http.get(f"/api/projects/{now.project}"))
    assert feed.keys == now


def test_a_deactivated_deployment_is_made_again(http: httpx.Client) -> None:
    feed = IdFeed()
    feed.ensure(http, tag="t")
    assert feed.keys is not None
    assert feed.keys.deployment is not None
    before = feed.keys.deployment
    feed.note(http.post(f"/api/mlops/deployments/{before}/deactivate"))
    assert feed.keys.deployment != before
    assert http.get(f"/api/mlops/deployments/{feed.keys.deployment}").json()["status"] != "inactive"


def test_a_sweep_reaches_the_success_answer_of_an_id_taking_operation(contract_answers: ContractAnswers) -> None:
    """Before the feed, every valid request to a model's parameters or an upload got the 404 of an unknown id."""
    options = ["--harness-all-operations", "--harness-max-examples", "5", "-k", "models and parameters or upload"]
    # the upload is multipart: schemathesis judged it again once its project_id changed, called it negative for
    # its file part (bytes), and its 201 a schema-violating request accepted
    answers = contract_answers("coreplexml", *options, passed=2)
    # the fed cases reached the model and the project, the drawn ones their 404
    assert answers == {"/api/models/{model_id}/parameters": {"200", "404"}, "/api/datasets/upload": {"201", "404"}}


def test_a_sweep_checks_the_201_of_a_new_experiment(contract_answers: ContractAnswers) -> None:
    """Before the feed filled them, every new experiment's valid request got the 404 of an unknown project."""
    options = ["--harness-all-operations", "--harness-max-examples", "5"]
    answers = contract_answers("coreplexml", *options, operation="POST /api/experiments")
    assert answers == {"/api/experiments": {"201", "404"}}


def _scoped(all_operations: bool) -> Any:
    schema = schemathesis.openapi.from_path(str(CONTRACT))
    return schema.exclude(
        lambda ctx: not (all_operations or in_default_scope(ctx.operation.method, ctx.operation.path))
    )


def test_a_default_run_deploys_nothing_and_starts_no_privacy_or_synthgen_job_which_a_sweep_does(
    http: httpx.Client,
) -> None:
    # feeds run in default runs too: on a shared server a default run of the seed's operations deployed a model,
    # opened a studio session and started privacy and SynthGen jobs none of its operations named
    assert wanted(_scoped(True)) == set(PARTS)
    default = wanted(_scoped(False))
    assert {"serving", "privacy", "synthgen"}.isdisjoint(default)
    feed = IdFeed()
    feed.install(_scoped(False))
    feed.ensure(http, tag="t")
    assert feed.keys is not None
    assert feed.keys.model is not None  # what the seed's operations name is made
    held = (feed.keys.deployment, feed.keys.studio_session, feed.keys.privacy_job, feed.keys.synthgen_job)
    assert held == (None,) * 4
    listed = http.get(f"/api/mlops/projects/{feed.keys.project}/deployments")
    assert listed.status_code == 200
    assert "deployment_id" not in listed.text
