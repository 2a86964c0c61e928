"""Property-based contract tests of H2O Workflows against contracts/workflows/openapi.yaml.

Each documented operation is one pytest item, run against the chosen target. The OIDC operations
(discovery document, token endpoint) live on the issuer, not the Workflows server: they run against the
mock (which is its own issuer) and against a live target only when ``WORKFLOWS_ISSUER_URL`` is its URL.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.failures import FailureGroup

from h2oharness.apis.workflows import payloads
from h2oharness.stateful import flow_settings, linked_flow
from h2oharness.targets import Target

SPEC = Path(os.environ.get("HARNESS_WORKFLOWS_SPEC") or Path(__file__).with_name("openapi.yaml"))
OIDC = {"/.well-known/openid-configuration", "/token"}

schema = schemathesis.openapi.from_path(
    str(SPEC), config=schemathesis.Config.from_path(Path(__file__).with_name("schemathesis.toml"))
)
if os.environ.get("HARNESS_SEED"):
    schema.config.seed = int(os.environ["HARNESS_SEED"])

MAX_EXAMPLES = int(os.environ.get("HARNESS_MAX_EXAMPLES", "10"))


def _issuer_is(target: Target) -> bool:
    return target.kind == "mock" or os.environ.get("WORKFLOWS_ISSUER_URL", "").rstrip("/") == target.url


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None, database=None)
def test_workflows_contract(
    case: schemathesis.Case,
    workflows_target: Target,
    workflows_session: Any,
    harness_known_findings: Any,
    harness_sweep: Any,
) -> None:
    """Every generated request gets a response that its operation documents."""
    if case.operation.path in OIDC and not _issuer_is(workflows_target):
        pytest.skip("the OIDC endpoints live on the issuer: set WORKFLOWS_ISSUER_URL to the target's URL to test them")
    response = harness_sweep.call(case, workflows_target, session=workflows_session, timeout=30)
    try:
        case.validate_response(response)
    except FailureGroup as group:
        harness_known_findings.absorb(group, workflows_target, response=response)


# The operations the links chain: create -> activate -> run -> get run -> cancel / retry (and the reads between).
FLOW = {
    "WorkflowService_CreateWorkflow",
    "WorkflowService_GetWorkflow",
    "WorkflowService_ActivateWorkflow",
    "WorkflowRevisionService_GetWorkflowRevision",
    "WorkflowRevisionService_RunWorkflowRevision",
    "RunService_GetRun",
    "RunService_CancelRun",
    "RunService_RetryRun",
    "RunAttemptService_ListRunAttempts",
}
_flow = schema.include(operation_id=sorted(FLOW))


def test_workflows_stateful_flow(
    workflows_fresh_target: Target, workflows_session: Any, harness_known_findings: Any, harness_sweep: Any
) -> None:
    """Sequences that follow the document's links: create -> activate -> run -> get run -> cancel / retry."""
    workflows_target = workflows_fresh_target  # a mock of its own on the mock target
    steps: list[str] = []
    counter = iter(range(1_000_000))
    workspace = f"h2oharness-stateful-{os.getpid()}"

    class Flow(linked_flow(_flow, workflows_target, workflows_session, harness_known_findings, steps, harness_sweep)):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
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

    Flow.run(settings=flow_settings(100))
    reached = {s for s in steps if s.endswith("-> 200")}
    # an activation that succeeds names a workflow only the create link can have given it (ids are this run's own);
    # going one link further, to :run, happens on most draws but not all, so it is not required
    activate = "POST /v1/workspaces/{workspace}/workflows/{workflow}:activate -> 200"
    assert activate in reached, f"no sequence followed create -> activate: {sorted(set(steps))}"
