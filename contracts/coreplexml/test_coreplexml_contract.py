"""Property-based contract tests of CorePlexML Experiments against contracts/coreplexml/openapi.yaml.

Each documented operation is one pytest item, run against the chosen target:
no server errors, documented status codes and content types, response bodies
that match the schemas, bad input rejected with a 4xx. The stateful test
follows the document's links from a real project and dataset: create an
experiment, then its status, detail, logs, explain, best model and delete.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup

from h2oharness.apis.coreplexml import payloads
from h2oharness.apis.coreplexml.client import CorePlexMLClient, CorePlexMLResponseError
from h2oharness.errors import JobTimeout
from h2oharness.stateful import flow_settings, linked_flow
from h2oharness.targets import Target

SPEC = Path(os.environ.get("HARNESS_COREPLEXML_SPEC") or Path(__file__).with_name("openapi.yaml"))

schema = schemathesis.openapi.from_path(
    str(SPEC), config=schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))
)
if os.environ.get("HARNESS_SEED"):
    schema.config.seed = int(os.environ["HARNESS_SEED"])


@schema.parametrize()
@settings(
    max_examples=int(os.environ.get("HARNESS_MAX_EXAMPLES", "10")),
    suppress_health_check=list(HealthCheck),
    deadline=None,
    database=None,
)
def test_coreplexml_contract(
    case: schemathesis.Case,
    coreplexml_target: Target,
    coreplexml_session: Any,
    harness_known_findings: Any,
    harness_sweep: Any,
) -> None:
    """Every generated request gets a response that its operation documents."""
    response = harness_sweep.call(case, coreplexml_target, session=coreplexml_session, timeout=30)
    try:
        case.validate_response(response)
    except FailureGroup as group:
        harness_known_findings.absorb(group, coreplexml_target, response=response)


_flow_document = schemathesis.openapi.from_path(
    str(SPEC), config=schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))
)
# the flow checks links and lifecycles: negative requests are the parametrized test's job, and a negative
# "no Authorization" case cannot be one here, where the session always sends the key
_flow_document.config.generation.update(modes=[GenerationMode.POSITIVE])
_flow = _flow_document.include(path_regex=r"^/api/experiments")
NEEDS_MODELS = ("/api/experiments/{experiment_id}/explain", "/api/experiments/{experiment_id}/best-model")


@pytest.fixture
def flow_dataset(coreplexml_http: httpx.Client) -> Iterator[dict[str, str]]:
    """A project with a small classification dataset, removed afterwards."""
    client = CorePlexMLClient(coreplexml_http)
    project = client.create_project("h2oharness stateful contract")
    upload = client.upload_dataset(project["id"], "train.csv", payloads.classification_csv(rows=120, seed=5), "train")
    try:
        yield {"project_id": project["id"], "dataset_version_id": upload["dataset_version_id"]}
    finally:
        client.delete_project(project["id"])


def test_coreplexml_stateful_flow(
    coreplexml_target: Target,
    coreplexml_session: Any,
    coreplexml_http: httpx.Client,
    harness_known_findings: Any,
    harness_sweep: Any,
    flow_dataset: dict[str, str],
) -> None:
    """Sequences that follow the links: create -> status / detail / logs / explain / best model / delete."""
    client = CorePlexMLClient(coreplexml_http)
    steps: list[str] = []

    class Flow(linked_flow(_flow, coreplexml_target, coreplexml_session, harness_known_findings, steps, harness_sweep)):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            path = case.operation.path
            if case.operation.method.upper() == "POST" and path == "/api/experiments":
                # nothing in the document produces a dataset version: train on the one the fixture uploaded
                case.body = payloads.experiment_body(
                    flow_dataset["project_id"], flow_dataset["dataset_version_id"], "label", max_models=2
                )
            elif path in NEEDS_MODELS and isinstance(case.path_parameters, dict):
                experiment_id = str(case.path_parameters.get("experiment_id", ""))
                # a real client asks for explanations and picks a best model once models exist
                try:
                    client.wait_for_models(experiment_id, timeout=30)
                    best = client.experiment(experiment_id).get("best_model_id")
                except CorePlexMLResponseError:
                    return  # deleted earlier in the sequence: the call itself must now answer 404
                except JobTimeout:
                    return  # a slow live run: the call must then answer its documented 409
                if path.endswith("best-model") and best is not None:
                    # the link carries the detail's best_model_id, which is null while the run had no models yet
                    case.body = {"model_id": best}

    # fewer sequences than 30 never reach create -> best model with this derandomized seed
    Flow.run(settings=flow_settings(30, steps=6))
    followed = {step.split(" -> ")[0] for step in steps}
    assert "POST /api/experiments -> 201" in steps, f"no sequence created an experiment: {steps[:20]}"
    assert "GET /api/experiments/{experiment_id}/status" in followed, f"no link from create: {sorted(followed)}"
    assert "POST /api/experiments/{experiment_id}/best-model -> 200" in steps, f"no sequence got deep: {steps[:30]}"
