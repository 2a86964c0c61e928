"""Fixtures for the CorePlexML tests: the mock's state on the hand-driven clock, the client, a dataset."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState
from h2oharness.mocks.clock import ManualClock


@pytest.fixture
def state(clock: ManualClock) -> CorePlexMLMockState:
    """Mock state with the default (realistic) timings on a manual clock."""
    return CorePlexMLMockState(clock=clock)


@pytest.fixture
def client(http: httpx.Client) -> CorePlexMLClient:
    """The harness's CorePlexML client on the mock."""
    return CorePlexMLClient(http)


@pytest.fixture
def upload(client: CorePlexMLClient) -> Callable[..., dict[str, str]]:
    """Upload a CSV into a fresh project: returns project id, dataset id and version id."""

    def make(csv: str | None = None, name: str = "train") -> dict[str, str]:
        project = client.create_project("tests")
        answer = client.upload_dataset(project["id"], f"{name}.csv", csv or payloads.classification_csv(), name)
        return {"project": project["id"], "dataset": answer["dataset_id"], "version": answer["dataset_version_id"]}

    return make


@pytest.fixture
def fuzz_names(fuzz_http: httpx.Client) -> dict[str, str]:
    """A project, a dataset and an experiment queued on it (the manual clock keeps it there)."""
    client = CorePlexMLClient(fuzz_http)
    project = client.create_project("fuzz")["id"]
    upload = client.upload_dataset(project, "train.csv", payloads.classification_csv(rows=40), "fuzz")
    experiment = client.create_experiment(project, upload["dataset_version_id"], "label")["id"]
    ids = {"dataset_id": upload["dataset_id"], "dataset_version_id": upload["dataset_version_id"]}
    return {"project_id": project, **ids, "experiment_id": experiment}
