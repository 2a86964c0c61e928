"""Every operation of the CorePlexML contract, one positive example each, answered as documented by the mock."""

from __future__ import annotations

from typing import Any

import httpx

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.instances import Schemas
from h2oharness.mocks.resources import Operation, Surface
from h2oharness.openapi import contract_document


def _order(op: Operation) -> tuple[int, int, str]:
    """Creations first (shallow before deep), reads and actions next, removals last (deep before shallow)."""
    depth = op.template.count("{")
    if op.template.endswith("/deactivate"):
        return (2, -99, op.template)  # an inactive deployment serves no predictions: first of the removals
    if op.method == "DELETE":
        # what the others hang off goes last: projects hold datasets, experiments (and their models)
        owners = ("/api/projects/{project_id}", "/api/experiments/{experiment_id}", "/api/datasets/{dataset_id}")
        return (2 + (op.template in owners), -depth, op.template)
    creates = op.method == "POST" and not op.template.endswith("}") and op.template.rsplit("/", 1)[-1].endswith("s")
    if op.template == "/api/studio/sessions":
        depth = 1  # a studio session analyses a deployment: made after one (and before its scenarios)
    return (0 if creates else 1, depth, op.template)


def _singular(segment: str) -> str:
    return segment[:-3] + "y" if segment.endswith("ies") else segment.removesuffix("s")


def _fill(template: str, ids: dict[tuple[str, str], str]) -> str:
    group = template.split("/")[2]
    parts = []
    for segment in template.split("/"):
        if segment.startswith("{"):
            name = segment[1:-1]
            segment = ids.get((group, name)) or ids.get(("*", name)) or "unknown"
        parts.append(segment)
    return "/".join(parts)


def _learn(op: Operation, answer: Any, ids: dict[tuple[str, str], str]) -> None:
    if not isinstance(answer, dict):
        return
    group = op.template.split("/")[2]
    if "job_id" in answer:
        ids[(group if group == "synthgen" else "*", "job_id")] = str(answer["job_id"])
    elif op.method == "POST" and "id" in answer and not op.template.endswith("}"):
        ids.setdefault((group, _singular(op.template.rsplit("/", 1)[-1]) + "_id"), str(answer["id"]))


def test_every_contract_operation_gets_a_documented_answer(
    http: httpx.Client, client: CorePlexMLClient, state: CorePlexMLMockState, clock: ManualClock
) -> None:
    """One schema-valid request per operation, with real ids: a 2xx the operation documents, valid under its schema."""
    surface = Surface(contract_document("coreplexml"))
    schemas: Schemas = surface.schemas
    project = client.create_project("surface")
    upload = client.upload_dataset(project["id"], "train.csv", payloads.classification_csv(rows=120, seed=3), "train")
    experiment = client.create_experiment(
        project["id"], upload["dataset_version_id"], "label", config={"max_models": 2}
    )
    clock.advance(600.0)
    best = client.experiment(experiment["id"])["best_model_id"]
    ids = {
        ("*", "project_id"): project["id"],
        ("*", "dataset_id"): upload["dataset_id"],
        ("*", "experiment_id"): experiment["id"],
        ("models", "model_id"): best,
    }
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/projects"): {"name": "another"},
        ("POST", "/api/experiments"): payloads.experiment_body(project["id"], upload["dataset_version_id"], "label"),
        ("POST", "/api/experiments/{experiment_id}/best-model"): {"model_id": best},
        ("PUT", "/api/projects/{project_id}"): {"name": "renamed"},
        ("POST", "/api/mlops/deployments/{deployment_id}/promote"): {"to_stage": "production"},
    }
    answered: dict[str, int] = {}
    for op in sorted(surface.operations, key=_order):
        where = f"{op.method} {op.template}"
        if where == "POST /api/datasets/upload":
            answered[where] = 201  # made above, as multipart
            continue
        body = bodies.get((op.method, op.template))
        if body is None and op.body is not None:
            body = schemas.smallest(op.body)
        if op.method == "POST" and op.template.endswith("/deployments"):
            body = {**body, "model_id": best}
        if where == "POST /api/studio/sessions":
            body = {**body, "deployment_id": ids[("mlops", "deployment_id")]}
        response = http.request(op.method, _fill(op.template, ids), json=body)
        answered[where] = response.status_code
        assert 200 <= response.status_code < 300, f"{where}: {response.status_code} {response.text[:300]}"
        assert response.status_code in op.statuses, f"{where}: {response.status_code} is not documented"
        if op.answer is not None:
            answer = response.json()
            assert schemas.valid(answer, op.answer), f"{where}: {schemas.errors(answer, op.answer)}"
            _learn(op, answer, ids)
        else:
            assert response.headers["content-type"].split(";")[0] != "application/json", where
        clock.advance(5.0)  # the jobs the generic layer runs finish between calls
    assert len(answered) == len(surface.operations) >= 68
    assert state.internal_errors == []


def test_a_rename_takes_the_name_a_create_takes(client: CorePlexMLClient, http: httpx.Client) -> None:
    """The mock refuses a blank name on PUT as on POST; the contract, typing the SDK's body, allowed "" there, and
    the sweep's first request to a real project got a 422 to a schema-valid body."""
    import jsonschema

    document = contract_document("coreplexml")
    body = document["paths"]["/api/projects/{project_id}"]["put"]["requestBody"]["content"]["application/json"]
    schema = {**body["schema"], "components": document["components"]}
    project = client.create_project("named")["id"]
    for name in ("", " ", "renamed"):
        valid = jsonschema.Draft202012Validator(schema).is_valid({"name": name})
        answer = http.put(f"/api/projects/{project}", json={"name": name})
        assert (answer.status_code == 200) == valid, (name, answer.status_code, valid)
