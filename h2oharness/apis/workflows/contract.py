"""Workflows' contract plan: the OIDC operations only where the target is its own issuer, the run flow, and a feed
of real resources for a sweep (``feed.py``)."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from h2oharness.contractplan import BeforeCall, CaseFeed, ContractPlan, FlowContext, FlowPlan
from h2oharness.settings import variable
from h2oharness.targets import Target

OIDC = frozenset({"/.well-known/openid-configuration", "/token"})
# The operations the links chain: create -> activate -> run -> get run -> cancel / retry (and the reads between).
FLOW = frozenset({
    "WorkflowService_CreateWorkflow",
    "WorkflowService_GetWorkflow",
    "WorkflowService_ActivateWorkflow",
    "WorkflowRevisionService_GetWorkflowRevision",
    "WorkflowRevisionService_RunWorkflowRevision",
    "RunService_GetRun",
    "RunService_CancelRun",
    "RunService_RetryRun",
    "RunAttemptService_ListRunAttempts",
})  # fmt: skip
ACTIVATE = "POST /v1/workspaces/{workspace}/workflows/{workflow}:activate -> 200"


def _skip(case: Any, target: Target) -> str | None:
    """The OIDC endpoints live on the issuer: tested on the mock (its own issuer) or where the issuer is the target."""
    issuer_is_target = target.kind == "mock" or (variable("WORKFLOWS_ISSUER_URL") or "").rstrip("/") == target.url
    if case.operation.path in OIDC and not issuer_is_target:
        return "the OIDC endpoints live on the issuer: set WORKFLOWS_ISSUER_URL to the target's URL to test them"
    return None


@contextmanager
def _flow_start(context: FlowContext) -> Iterator[BeforeCall]:
    from h2oharness.apis.workflows import payloads

    counter = itertools.count()
    workspace = f"h2oharness-stateful-{os.getpid()}"

    def before_call(case: Any) -> None:
        if case.meta is not None and not case.meta.generation.mode.is_positive:
            return  # a request meant to be refused stays as generated
        # nothing generated is a workflow source a server accepts: give create a real one (unique per call, one
        # slow to cancel, one failing to retry), and keep every sequence in one workspace of its own
        if case.operation.path == "/v1/workspaces/{workspace}/workflows" and case.method.upper() == "POST":
            number = next(counter)
            source = payloads.failing_source(f"st-{os.getpid()}-{number}") if number % 2 else None
            case.body = {"sourceContents": source or payloads.slow_source(f"st-{os.getpid()}-{number}", 30)}
        if case.operation.path.endswith(":run"):
            # the sources above declare no inputs, so any generated input is refused
            case.body = {"inputs": payloads.input_values()}
        if "workspace" in (case.path_parameters or {}):
            case.path_parameters = {**(case.path_parameters or {}), "workspace": workspace}

    yield before_call


def _flow_check(steps: list[str]) -> None:
    reached = {s for s in steps if s.endswith("-> 200")}
    # an activation that succeeds names a workflow only the create link can have given it (ids are this run's own);
    # going one link further, to :run, happens on most draws but not all, so it is not required
    assert ACTIVATE in reached, f"no sequence followed create -> activate: {sorted(set(steps))}"


def in_default_scope(method: str, path: str) -> bool:
    """The operations written from the seed and the SDK's wrappers; those generated from the client (actions) need
    --harness-all-operations."""
    from h2oharness.openapi import contract_document

    operation = contract_document("workflows").get("paths", {}).get(path, {}).get(method.lower(), {})
    return not operation.get("x-from-client", False)


def _feed() -> CaseFeed:
    from h2oharness.apis.workflows.feed import ThingFeed

    return ThingFeed()


PLAN = ContractPlan(
    default_scope=in_default_scope,
    skip=_skip,
    feed=_feed,
    flow=FlowPlan(operation_ids=FLOW, fresh_mock=True, min_examples=100, start=_flow_start, check=_flow_check),
)
