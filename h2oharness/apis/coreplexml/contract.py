"""CorePlexML's contract plan: every operation, and a flow over an experiment's life on a real dataset."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from h2oharness.contractplan import BeforeCall, CaseFeed, ContractPlan, FlowContext, FlowPlan

NEEDS_MODELS = ("/api/experiments/{experiment_id}/explain", "/api/experiments/{experiment_id}/best-model")


@contextmanager
def _flow_start(context: FlowContext) -> Iterator[BeforeCall]:
    """A project with a small classification dataset (removed afterwards) that every created experiment trains on."""
    from h2oharness.apis.coreplexml import payloads
    from h2oharness.apis.coreplexml.client import CorePlexMLClient, CorePlexMLResponseError
    from h2oharness.errors import JobTimeout

    client = CorePlexMLClient(context.http)
    project = client.create_project("h2oharness stateful contract")
    upload = client.upload_dataset(project["id"], "train.csv", payloads.classification_csv(rows=120, seed=5), "train")

    def before_call(case: Any) -> None:
        path = case.operation.path
        if case.operation.method.upper() == "POST" and path == "/api/experiments":
            # nothing in the document produces a dataset version: train on the one uploaded above
            case.body = payloads.experiment_body(project["id"], upload["dataset_version_id"], "label", max_models=2)
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

    try:
        yield before_call
    finally:
        client.delete_project(project["id"])


def _flow_check(steps: list[str]) -> None:
    followed = {step.split(" -> ")[0] for step in steps}
    assert "POST /api/experiments -> 201" in steps, f"no sequence created an experiment: {steps[:20]}"
    assert "GET /api/experiments/{experiment_id}/status" in followed, f"no link from create: {sorted(followed)}"
    assert "POST /api/experiments/{experiment_id}/best-model -> 200" in steps, f"no sequence got deep: {steps[:30]}"


def in_default_scope(method: str, path: str) -> bool:
    """The seed's operations and the SDK's seed flow; those generated from the SDK need --harness-all-operations."""
    from h2oharness.openapi import contract_document

    operation = contract_document("coreplexml").get("paths", {}).get(path, {}).get(method.lower(), {})
    return not operation.get("x-from-client", False)


def _feed() -> CaseFeed:
    from h2oharness.apis.coreplexml.feed import IdFeed

    return IdFeed()


PLAN = ContractPlan(
    default_scope=in_default_scope,
    feed=_feed,
    flow=FlowPlan(
        path_regex=r"^/api/experiments",
        # negative requests are the per-operation test's job; a negative "no Authorization" case is sent without
        # the key now (h2oharness.http.asdrawn), but the depth below was measured on the positive draw
        positive_only=True,
        # 30 reach create -> best model: the draw no longer depends on what ran before (60 were needed while it did)
        min_examples=30,
        steps=6,
        start=_flow_start,
        check=_flow_check,
    ),
)
