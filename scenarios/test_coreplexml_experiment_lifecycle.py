"""Seed 002's flow end to end: create -> poll status -> detail and leaderboard -> logs -> explain -> override the
best model -> list with filters -> delete -> gone; and a failing experiment that is reported failed at once."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient, CorePlexMLResponseError
from h2oharness.apis.coreplexml.mock import EXPERIMENT_TIMEOUT
from h2oharness.errors import JobFailed
from h2oharness.targets import Target, job_timeout

MAX_MODELS = 4
EXCLUDED = ["DeepLearning"]


def _timeout(target: Target) -> float:
    """A real AutoML run takes minutes, the mock's seconds: COREPLEXML_EXPERIMENT_TIMEOUT, else one for the kind."""
    return job_timeout(target, "COREPLEXML_EXPERIMENT_TIMEOUT", mock=EXPERIMENT_TIMEOUT, real=1800)


@pytest.fixture
def project(coreplexml_http: httpx.Client) -> Iterator[dict[str, str]]:
    """A fresh project with a 300-row binary classification dataset; deleted with everything in it afterwards."""
    client = CorePlexMLClient(coreplexml_http)
    created = client.create_project(f"h2oharness scenario {uuid.uuid4().hex[:8]}")
    try:
        upload = client.upload_dataset(
            created["id"], "churn.csv", payloads.classification_csv(rows=300, seed=21), "churn"
        )
        assert upload["row_count"] == 300
        yield {"id": created["id"], "version": upload["dataset_version_id"], "dataset": upload["dataset_id"]}
    finally:
        client.delete_project(created["id"])


def test_experiment_lifecycle(
    coreplexml_target: Target, coreplexml_http: httpx.Client, project: dict[str, str]
) -> None:
    """The leaderboard honours max_models, exclude_algos and sort_metric; the override, filters and delete hold."""
    client = CorePlexMLClient(coreplexml_http)
    name = f"churn-automl-{uuid.uuid4().hex[:6]}"
    config = {"max_models": MAX_MODELS, "exclude_algos": EXCLUDED, "sort_metric": "logloss", "nfolds": 3, "seed": 7}
    created = client.create_experiment(project["id"], project["version"], "label", name=name, config=config)
    assert created["status"] == "queued"
    assert created["id"] == created["experiment_id"]
    experiment_id = created["id"]

    polled = client.wait(experiment_id, timeout=_timeout(coreplexml_target))
    assert polled.status.state == "succeeded"
    assert polled.polls >= 1

    detail = client.experiment(experiment_id)
    assert detail["experiment"]["status"] == "succeeded"
    assert detail["experiment"]["target_column"] == "label"
    models = detail["models"]
    assert models, "a succeeded experiment has models on its leaderboard"
    algos = {m["algo"] for m in models}
    assert not algos & set(EXCLUDED), f"excluded algorithms trained anyway: {algos}"
    assert len([m for m in models if m["algo"] != "StackedEnsemble"]) <= MAX_MODELS
    loglosses = [m["metrics"]["logloss"] for m in models]
    assert loglosses == sorted(loglosses), "the leaderboard is not sorted by logloss, lower first"
    for model in models:
        assert model["metrics"]["logloss"] > 0
        if "auc" in model["metrics"]:
            assert 0.0 <= model["metrics"]["auc"] <= 1.0
    assert detail["best_model_id"] == models[0]["id"]

    logs = client.logs(experiment_id)
    assert logs["count"] == len(logs["logs"])
    assert any("succeeded" in line for line in logs["logs"])
    detailed = client.logs(experiment_id, include_events=True)
    assert detailed["count"] >= logs["count"]

    explain = client.explain(experiment_id)
    names = {m["name"] for m in models}
    front = explain["pareto_front"]["models"]
    assert front, "the Pareto front of a non-empty leaderboard is not empty"
    assert {m["name"] for m in front} <= names
    heatmap = explain["varimp_heatmap"]
    assert "label" not in heatmap["features"]
    assert set(heatmap["models"]) <= names
    assert all(len(row) == len(heatmap["features"]) for row in heatmap["matrix"])

    if len(models) > 1:
        chosen = models[-1]["id"]
        answer = client.set_best_model(experiment_id, chosen)
        assert answer["best_model_id"] == chosen
        assert client.experiment(experiment_id)["best_model_id"] == chosen

    mine = client.list_experiments(project_id=project["id"], status="succeeded", search=name[-6:])
    assert [item["id"] for item in mine["items"]] == [experiment_id]
    assert mine["items"][0]["model_count"] == len(models)
    assert client.list_experiments(project_id=project["id"], status="failed")["items"] == []
    assert len(client.list_experiments(limit=1)["items"]) <= 1
    with pytest.raises(CorePlexMLResponseError) as too_many:
        client.list_experiments(limit=501)
    assert too_many.value.status == 422

    assert client.delete_experiment(experiment_id)["ok"] is True
    with pytest.raises(CorePlexMLResponseError) as gone:
        client.experiment(experiment_id)
    assert gone.value.status == 404
    assert client.list_experiments(project_id=project["id"])["items"] == []


def test_failing_experiment_is_reported_failed_at_once(
    coreplexml_target: Target, coreplexml_http: httpx.Client, project: dict[str, str]
) -> None:
    """Bad data (a target column the dataset lacks) ends the wait with JobFailed and the server's reason."""
    client = CorePlexMLClient(coreplexml_http)
    created = client.create_experiment(project["id"], project["version"], "no_such_column", config={"max_models": 2})
    with pytest.raises(JobFailed) as failed:
        client.wait(created["id"], timeout=_timeout(coreplexml_target))
    assert "no_such_column" in str(failed.value)
    assert client.status(created["id"])["status"] == "failed"


def test_invalid_config_is_refused_with_a_reason(
    coreplexml_target: Target, coreplexml_http: httpx.Client, project: dict[str, str]
) -> None:
    """A metric the problem type lacks and an unknown algorithm are 4xx answers that name the culprit."""
    client = CorePlexMLClient(coreplexml_http)
    for config, word in [({"sort_metric": "rmse"}, "sort_metric"), ({"exclude_algos": ["NaiveBayes"]}, "NaiveBayes")]:
        with pytest.raises(CorePlexMLResponseError) as refused:
            client.create_experiment(project["id"], project["version"], "label", config=config)
        assert 400 <= refused.value.status < 500
        assert word in refused.value.detail
