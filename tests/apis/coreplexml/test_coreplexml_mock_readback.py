"""What the CorePlexML mock is told is what it reads back: a deleted model is gone from every read, and the
writes beyond the seed (deployment promote, rollback and deactivate, a project update) show on the next read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from h2oharness.apis.coreplexml.client import CorePlexMLClient, CorePlexMLResponseError
from h2oharness.apis.coreplexml.mock import CorePlexMLMockState
from h2oharness.mocks.clock import ManualClock

Upload = Callable[..., dict[str, str]]


def _trained(client: CorePlexMLClient, upload: Upload, clock: ManualClock) -> tuple[dict[str, str], str, list[str]]:
    data = upload()
    experiment = str(
        client.create_experiment(data["project"], data["version"], "label", config={"max_models": 2})["id"]
    )
    clock.advance(3600)
    return data, experiment, [str(m["id"]) for m in client.experiment(experiment)["models"]]


def test_a_deleted_model_is_gone_from_every_read(
    client: CorePlexMLClient, http: httpx.Client, upload: Upload, clock: ManualClock
) -> None:
    _, experiment, models = _trained(client, upload, clock)
    chosen = models[-1]
    assert client.set_best_model(experiment, chosen)["best_model_id"] == chosen

    assert http.delete(f"/api/models/{chosen}").json() == {"ok": True}
    assert http.get(f"/api/models/{chosen}").status_code == 404
    assert chosen not in [m["id"] for m in http.get("/api/models").json()["items"]]
    detail = client.experiment(experiment)
    assert chosen not in [m["id"] for m in detail["models"]]
    assert detail["best_model_id"] == models[0]  # the choice falls back to the top of what is left
    assert client.status(experiment)["model_count"] == len(models) - 1
    assert http.delete(f"/api/models/{chosen}").status_code == 404
    with pytest.raises(CorePlexMLResponseError) as gone:
        client.set_best_model(experiment, chosen)
    assert gone.value.status == 404


def _deployed(
    client: CorePlexMLClient, http: httpx.Client, upload: Upload, clock: ManualClock
) -> tuple[dict[str, str], str, dict[str, Any], list[str]]:
    """A trained experiment's first model deployed to staging: the experiment's ids, the project's deployments
    path, the deployment, and the models."""
    data, _, models = _trained(client, upload, clock)
    listed = f"/api/mlops/projects/{data['project']}/deployments"
    made = http.post(listed, json={"model_id": models[0], "name": "scoring", "stage": "staging"}).json()
    return data, listed, made, models


def test_promote_rollback_and_deactivate_show_on_the_next_read(
    client: CorePlexMLClient, http: httpx.Client, upload: Upload, clock: ManualClock
) -> None:
    _, listed, made, models = _deployed(client, http, upload, clock)
    path = f"/api/mlops/deployments/{made['id']}"

    def seen() -> list[tuple[str, str, str]]:
        [item] = http.get(listed).json()["items"]
        return [(d["stage"], d["status"], d["model_id"]) for d in (http.get(path).json(), item)]

    promoted = http.post(f"{path}/promote", json={"to_stage": "production"})  # what deployments.promote sends
    assert promoted.json()["stage"] == "production"
    assert seen() == [("production", "active", models[0])] * 2
    assert http.post(f"{path}/promote", json={"to_stage": "live"}).status_code == 422

    assert http.post(f"{path}/rollback", json={"to_model_id": models[1]}).json()["model_id"] == models[1]
    assert seen() == [("production", "active", models[1])] * 2
    unknown = "00000000-0000-4000-8000-000000000000"
    assert http.post(f"{path}/rollback", json={"to_model_id": unknown}).status_code == 404

    assert http.post(f"{path}/deactivate").json()["status"] == "inactive"
    assert seen() == [("production", "inactive", models[1])] * 2
    assert http.post(f"/api/mlops/deployments/{unknown}/deactivate").status_code == 404


def test_a_project_update_shows_in_its_read_and_the_list(
    client: CorePlexMLClient, http: httpx.Client, clock: ManualClock
) -> None:
    made = client.create_project("before", "first")
    clock.advance(2.0)
    assert http.put(f"/api/projects/{made['id']}", json={"name": "after"}).status_code == 200
    [listed] = client.list_projects()["items"]
    for seen in (client.project(made["id"]), listed):
        assert (seen["name"], seen["description"], seen["created_at"]) == ("after", "first", made["created_at"])
        assert seen["updated_at"] > made["updated_at"]


def test_a_deleted_projects_deployments_go_with_it(
    client: CorePlexMLClient, http: httpx.Client, upload: Upload, clock: ManualClock
) -> None:
    data, listed, made, _ = _deployed(client, http, upload, clock)
    assert http.get(f"/api/mlops/deployments/{made['id']}").status_code == 200
    assert client.delete_project(data["project"]) == {"ok": True}
    assert http.get(f"/api/mlops/deployments/{made['id']}").status_code == 404
    assert http.get(listed).status_code == 404


def test_a_models_parameters_name_it(
    client: CorePlexMLClient, http: httpx.Client, upload: Upload, clock: ManualClock
) -> None:
    """GET /api/models/{id}/parameters answers that model's id (the generic placeholder said ''), and a 404 once the
    model is deleted."""
    _, _, models = _trained(client, upload, clock)
    for model in models:
        assert http.get(f"/api/models/{model}/parameters").json() == {"model_id": model, "parameters": {}}
    http.delete(f"/api/models/{models[0]}")
    assert http.get(f"/api/models/{models[0]}/parameters").status_code == 404


def test_the_stages_the_contract_allows_are_the_ones_the_mock_takes() -> None:
    # the contract allowed any string for to_stage: a seeded sweep (HARNESS_SEED=4242) drew "" and the mock's
    # documented refusal of it failed the sweep as a schema-valid request rejected
    import yaml

    from h2oharness.apis.coreplexml.fromclient import openapi_from_client
    from h2oharness.apis.coreplexml.mockparts.deployments import STAGES
    from h2oharness.openapi import contract_path

    committed = yaml.safe_load(contract_path("coreplexml").read_text(encoding="utf-8"))
    for document in (committed, openapi_from_client()):
        paths = document["paths"]
        promote = paths["/api/mlops/deployments/{deployment_id}/promote"]["post"]
        create = paths["/api/mlops/projects/{project_id}/deployments"]["post"]
        for body, field in ((promote, "to_stage"), (create, "stage")):
            schema = body["requestBody"]["content"]["application/json"]["schema"]["properties"][field]
            assert tuple(schema["enum"]) == STAGES, (field, schema)


def test_predictions_answer_each_row_within_the_target_and_follow_the_deployed_model(
    client: CorePlexMLClient, http: httpx.Client, upload: Upload, clock: ManualClock, state: CorePlexMLMockState
) -> None:
    """A regression model predicts a number within the target's range for every row; a deployment predicts what
    its model does, and 404 once that model is deleted."""
    from h2oharness.apis.coreplexml import payloads

    data = upload(payloads.regression_csv(rows=60, seed=2), name="prices")
    experiment = str(
        client.create_experiment(
            data["project"], data["version"], "y", problem_type="regression", config={"max_models": 2}
        )["id"]
    )
    clock.advance(3600)
    model = str(client.experiment(experiment)["models"][0]["id"])
    target = state.versions[data["version"]].column("y")
    assert target is not None
    assert target.minimum is not None
    assert target.maximum is not None
    rows = [{"x1": float(i)} for i in range(5)]
    answer = http.post(f"/api/models/{model}/predict", json={"inputs": rows}).json()
    assert len(answer["predictions"]) == 5
    for prediction in answer["predictions"]:
        assert target.minimum <= prediction["prediction"] <= target.maximum

    listed = f"/api/mlops/projects/{data['project']}/deployments"
    deployment = http.post(listed, json={"model_id": model, "name": "p", "stage": "staging"}).json()["id"]
    served = http.post(f"/api/mlops/deployments/{deployment}/predict", json={"inputs": rows[0]})
    assert served.json() == {"predictions": answer["predictions"][:1]}
    assert http.post(f"/api/models/{model}/predict", json={"inputs": "a row"}).status_code == 422
    http.delete(f"/api/models/{model}")
    assert http.post(f"/api/mlops/deployments/{deployment}/predict", json={"inputs": rows[0]}).status_code == 404


def test_an_inactive_deployment_serves_no_predictions(
    client: CorePlexMLClient, http: httpx.Client, upload: Upload, clock: ManualClock
) -> None:
    """A deactivated deployment (status inactive, the Deployment schema's other status) answers predict with the 404
    the contract names for it, its detail saying why (the SDK raises NotFoundError with it); its model still
    predicts directly."""
    _, _, made, models = _deployed(client, http, upload, clock)
    path = f"/api/mlops/deployments/{made['id']}"
    row = {"inputs": {"x1": 1.0}}
    assert http.post(f"{path}/predict", json=row).status_code == 200
    assert http.post(f"{path}/deactivate").json()["status"] == "inactive"
    refused = http.post(f"{path}/predict", json=row)
    assert refused.status_code == 404
    assert refused.json() == {"detail": f"Deployment {made['id']} is inactive"}
    assert http.post(f"/api/models/{models[0]}/predict", json=row).status_code == 200


def test_a_finished_synthgen_job_says_what_it_generated_from_its_source_dataset(
    http: httpx.Client, upload: Upload, clock: ManualClock, state: CorePlexMLMockState
) -> None:
    """A SynthGen generation's result, once completed, holds the rows generated (num_rows, what the SDK's generate
    reads first) and the source dataset version's columns and row count, and the job names the artifact of the
    synthetic data (output_artifact_id, which the SDK copies); while it runs the result is empty."""
    from h2oharness.apis.coreplexml import payloads

    data = upload(payloads.regression_csv(rows=37, seed=4), name="prices")
    source = state.versions[data["version"]]
    body = {"project_id": data["project"], "dataset_version_id": data["version"], "name": "s", "model_type": "tvae"}
    body["config"] = {}
    model = http.post("/api/synthgen/models", json=body).json()["id"]
    queued = http.post(f"/api/synthgen/models/{model}/generate", json={"num_rows": 25, "seed": 7}).json()
    job = f"/api/synthgen/jobs/{queued['synthgen_job_id']}"
    assert http.get(job).json()["result"] == {}
    clock.advance(60)
    done = http.get(job).json()
    assert done["status"] == "completed"
    result = done["result"]
    assert result["num_rows"] == 25
    assert result["columns"] == [c.name for c in source.columns]
    assert result["num_columns"] == len(source.columns)
    assert result["source_dataset_version_id"] == data["version"]
    assert result["source_row_count"] == source.row_count == 37
    assert (result["model_id"], result["model_type"], result["seed"]) == (model, "tvae", 7)
    assert isinstance(done["output_artifact_id"], str)
    assert done["output_artifact_id"]
    [listed] = http.get("/api/synthgen/jobs").json()["items"]
    assert listed["result"] == result


PII_CSV = (
    "name,contact,phone,note,amount\n"
    "Ann,ann@example.com,555-123-4567,paid by card 4111 1111 1111 1111,10\n"
    "Bob,bob.smith@mail.example.org,(555) 987-6543,ssn 123-45-6789 on file,20\n"
    "Cy,n/a,none,from 192.168.10.20,30\n"
)


def test_privacy_detection_finds_the_pii_of_the_uploaded_rows_and_transform_marks_it(
    client: CorePlexMLClient, http: httpx.Client, clock: ManualClock
) -> None:
    """PII detection on a session finds each PII type in the columns of the session's dataset, counting the rows
    that hold it (the results read the SDK's detect returns as findings); nothing before the job completes, and
    transform marks every finding transformed (what the SDK's transform counts as applied)."""
    project = client.create_project("privacy")["id"]
    dataset = client.upload_dataset(project, "people.csv", PII_CSV, "people")["dataset_id"]
    policy = http.post("/api/privacy/policies", json={"project_id": project, "name": "p", "description": ""}).json()
    session = http.post("/api/privacy/sessions", json={"policy_id": policy["id"], "dataset_id": dataset}).json()["id"]
    results = f"/api/privacy/sessions/{session}/results"
    assert http.get(results).json() == {"session_id": session, "results": []}

    http.post(f"/api/privacy/sessions/{session}/detect")
    assert http.get(results).json()["results"] == []  # still running
    clock.advance(60)
    found = http.get(results).json()
    assert found["session_id"] == session
    assert sorted((r["column"], r["pii_type"], r["count"], r["transformed"]) for r in found["results"]) == [
        ("contact", "email", 2, False),
        ("note", "credit_card", 1, False),
        ("note", "ip_address", 1, False),
        ("note", "ssn", 1, False),
        ("phone", "phone_number", 2, False),
    ]

    http.post(f"/api/privacy/sessions/{session}/transform")
    clock.advance(60)
    transformed = http.get(results).json()["results"]
    assert len(transformed) == 5
    assert all(r["transformed"] for r in transformed)
    unknown = "00000000-0000-4000-8000-00000000ffff"
    assert http.get(f"/api/privacy/sessions/{unknown}/results").status_code == 404


NUMERIC_PII_CSV = (
    "email,card,ssn,phone,amount\n"
    "ann@example.com,4111111111111111,123456789,2125551234,10.5\n"
    "bob@example.org,5500000000000004,078051120,3125559876,20.25\n"
    "cy@example.net,4111111111111112,1,5,30\n"
)


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (None, [("card", "credit_card", 2), ("email", "email", 3), ("phone", "phone_number", 2), ("ssn", "ssn", 2)]),
        ("gdpr", [("card", "credit_card", 2), ("email", "email", 3), ("phone", "phone_number", 2), ("ssn", "ssn", 2)]),
        ("hipaa", [("card", "credit_card", 2), ("email", "email", 3), ("phone", "phone_number", 2), ("ssn", "ssn", 2)]),
        ("pci_dss", [("card", "credit_card", 2)]),
    ],
)
def test_privacy_detection_finds_pii_stored_as_numbers_of_the_types_the_policy_s_profile_covers(
    profile: str | None,
    expected: list[tuple[str, str, int]],
    client: CorePlexMLClient,
    http: httpx.Client,
    clock: ManualClock,
) -> None:
    """Card numbers, SSNs and phone numbers stored as digits in numeric columns are found (the amounts are not),
    and the policy's profile picks the types: pci_dss only the card numbers, the others (and no profile) all."""
    project = client.create_project("privacy")["id"]
    dataset = client.upload_dataset(project, "people.csv", NUMERIC_PII_CSV, "people")["dataset_id"]
    body = {"project_id": project, "name": "p", "description": ""} | ({"profile": profile} if profile else {})
    policy = http.post("/api/privacy/policies", json=body).json()
    session = http.post("/api/privacy/sessions", json={"policy_id": policy["id"], "dataset_id": dataset}).json()["id"]
    http.post(f"/api/privacy/sessions/{session}/detect")
    clock.advance(60)
    found = http.get(f"/api/privacy/sessions/{session}/results").json()["results"]
    assert sorted((r["column"], r["pii_type"], r["count"]) for r in found) == expected


#: customer ids that fit an SSN's rules (area 123, group 45, serial 6790 on), and the same digits as a tax number
IDS_CSV = "customer_id,CustomerID,tax_number,amount\n" + "".join(
    f"{123456790 + i},{123456790 + i},{123456790 + i},{i * 10}\n" for i in range(8)
)


def test_an_id_column_s_numbers_are_no_ssns_though_other_columns_with_their_digits_are(
    client: CorePlexMLClient, http: httpx.Client, clock: ManualClock
) -> None:
    project = client.create_project("privacy")["id"]
    dataset = client.upload_dataset(project, "customers.csv", IDS_CSV, "customers")["dataset_id"]
    body = {"project_id": project, "name": "p", "description": "", "profile": "gdpr"}
    policy = http.post("/api/privacy/policies", json=body).json()
    session = http.post("/api/privacy/sessions", json={"policy_id": policy["id"], "dataset_id": dataset}).json()["id"]
    http.post(f"/api/privacy/sessions/{session}/detect")
    clock.advance(60)
    found = http.get(f"/api/privacy/sessions/{session}/results").json()["results"]
    assert [(r["column"], r["pii_type"], r["count"]) for r in found] == [("tax_number", "ssn", 8)]
