"""The rules across an experiment's fields the seed states, in the contract: the mock refuses what the contract does."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema
import pytest

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState, CorePlexMLTimings
from h2oharness.mocks.clock import ManualClock
from h2oharness.openapi import contract_document

#: (problem_type, target, config, whether the contract allows it); ``label`` is yes/no, ``x2`` real and positive
BODIES = [
    ("classification", "label", {"distribution": "huber"}, False),
    ("binary", "label", {"distribution": "AUTO", "sort_metric": "AUC"}, True),
    ("regression", "x2", {"distribution": "huber"}, True),
    ("regression", "x2", {"sort_metric": "auc"}, False),
    ("multiclass", "label", {"sort_metric": "rmse"}, False),
    ("binary", "label", {"sort_metric": "deviance"}, True),
    ("regression", "x2", {"sort_metric": "quantile"}, False),
    ("regression", "x2", {"sort_metric": "quantile", "distribution": "huber"}, False),
    ("regression", "x2", {"sort_metric": "quantile", "distribution": "quantile"}, True),
]


@pytest.fixture
def state(clock: ManualClock) -> CorePlexMLMockState:
    return CorePlexMLMockState(clock=clock, timings=CorePlexMLTimings.instant())


def _allowed(body: dict[str, Any]) -> bool:
    document = contract_document("coreplexml")
    schema = {"components": document["components"], "$ref": "#/components/schemas/ExperimentCreate"}
    return jsonschema.Draft4Validator(schema).is_valid(body)


@pytest.mark.parametrize(("problem_type", "target", "config", "allowed"), BODIES)
def test_the_contract_and_the_mock_refuse_the_same_configs(
    http: httpx.Client, problem_type: str, target: str, config: dict[str, Any], allowed: bool
) -> None:
    client = CorePlexMLClient(http)
    project = str(client.create_project("rules")["id"])
    upload = client.upload_dataset(project, "train.csv", payloads.classification_csv(rows=60, seed=5), "train")
    body = {
        "project_id": project, "dataset_version_id": upload["dataset_version_id"], "name": "rules",
        "target_column": target, "problem_type": problem_type, "config": config,
    }  # fmt: skip
    assert _allowed(body) is allowed
    answer = http.post("/api/experiments", json=body)
    assert answer.status_code == (201 if allowed else 422), answer.text
