"""The CorePlexML mock keeps its memory bounded whatever clients send: projects, datasets, dataset versions and
experiments by count, the versions' column profiles by their number, the oldest going first as if deleted."""

from __future__ import annotations

import httpx

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState

WIDE = "a,b,c,d,e,f,g,h\n" + "1,2,3,4,5,6,7,8\n" * 3  # 8 columns


def test_projects_datasets_and_experiments_are_bounded_by_count(
    client: CorePlexMLClient, http: httpx.Client, state: CorePlexMLMockState
) -> None:
    state.max_objects = 2
    made = []
    for i in range(4):
        project = client.create_project(f"p{i}")["id"]
        upload = client.upload_dataset(project, "train.csv", payloads.classification_csv(rows=40), f"d{i}")
        experiment = client.create_experiment(project, upload["dataset_version_id"], "label")["id"]
        made.append((project, upload["dataset_id"], upload["dataset_version_id"], experiment))
    assert (len(state.projects), len(state.datasets), len(state.versions), len(state.experiments)) == (2, 2, 2, 2)
    old, new = made[0], made[-1]
    assert http.get(f"/api/projects/{old[0]}").status_code == 404
    assert http.get(f"/api/datasets/{old[1]}").status_code == 404
    assert http.get(f"/api/experiments/{old[3]}").status_code == 404
    assert client.project(new[0])["id"] == new[0]
    assert client.dataset(new[1])["id"] == new[1]
    assert client.experiment(new[3])["experiment"]["id"] == new[3]
    # lists agree with what is held
    assert {p["id"] for p in client.list_projects()["items"]} == set(state.projects)
    assert {e["id"] for e in client.list_experiments()["items"]} == set(state.experiments)
    assert not state.internal_errors


def test_versions_are_bounded_by_count_and_columns_numbering_on(
    client: CorePlexMLClient, http: httpx.Client, state: CorePlexMLMockState
) -> None:
    project = client.create_project("p")["id"]
    first = client.upload_dataset(project, "wide.csv", WIDE, "wide")
    state.max_profiled_columns = 20
    for _ in range(3):
        client.upload_dataset(project, "wide.csv", WIDE, "wide")
    assert sum(len(v.columns) for v in state.versions.values()) <= 20
    versions = client.dataset_versions(first["dataset_id"])
    # the two newest are kept, numbered as they were made
    assert [v["version"] for v in versions["items"]] == [4, 3]
    assert versions["total"] == 2
    assert http.get(f"/api/datasets/{first['dataset_id']}").json()["version_count"] == 2
    # the next version goes on from the newest, never repeating a number
    assert client.upload_dataset(project, "wide.csv", WIDE, "wide")["version"] == 5
    # an experiment on a version that went is the 404 of an unknown one
    body = {"project_id": project, "dataset_version_id": first["dataset_version_id"], "target_column": "a"}
    made = http.post("/api/experiments", json={**body, "name": "e", "problem_type": "regression"})
    assert made.status_code == 404

    # one version larger than the budget is kept alone: the newest never goes
    state.max_profiled_columns = 4
    client.upload_dataset(project, "wide.csv", WIDE, "other")
    assert len(state.versions) == 1
    assert not state.internal_errors


def test_a_dataset_whose_last_version_went_goes_with_it(client: CorePlexMLClient, state: CorePlexMLMockState) -> None:
    project = client.create_project("p")["id"]
    gone = client.upload_dataset(project, "a.csv", WIDE, "a")["dataset_id"]
    state.max_objects = 1
    client.upload_dataset(project, "b.csv", WIDE, "b")
    assert gone not in state.datasets
    assert all(d.versions for d in state.datasets.values())
    assert not state.internal_errors
