"""Compare seed 001 (the h2o_workflows SDK reference page) with the installed SDK and with the contract.

Drift is a finding for the report, not a failed build: the tests fail only when the comparison itself cannot be
made (the seed lost its method list, a recorded item is no longer in the seed, the SDK is not installed).
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

SEED = Path(__file__).with_name("docs") / "001_43eceb0886c4a690.txt"
CONTRACT = Path(__file__).with_name("openapi.yaml")
SIGNATURE = re.compile(r"^(\w+)\(([\w, ]*)\)$", re.M)

# seed method -> the contract operation it sends
OPERATIONS = {
    "list_workflows": "WorkflowService_ListWorkflows",
    "get_workflow": "WorkflowService_GetWorkflow",
    "create_workflow": "WorkflowService_CreateWorkflow",
    "update_workflow": "WorkflowService_UpdateWorkflow",
    "delete_workflow": "WorkflowService_DeleteWorkflow",
    "activate_workflow": "WorkflowService_ActivateWorkflow",
    "deactivate_workflow": "WorkflowService_DeactivateWorkflow",
    "validate_workflow": "WorkflowService_ValidateWorkflow",
    "list_runs": "RunService_ListRuns",
    "get_run": "RunService_GetRun",
    "cancel_run": "RunService_CancelRun",
    "delete_run": "RunService_DeleteRun",
    "retry_run": "RunService_RetryRun",
}
CLASSES = {"WorkflowClient": "h2o_workflows.workflow.client", "RunClient": "h2o_workflows.run.client"}

# Where the seed and the SDK (or the wire the SDK speaks) disagree, or the seed is silent on what a client needs;
# each entry's ``quote`` must be in the seed.
FINDINGS: tuple[dict[str, str], ...] = (
    {
        "quote": ".runner | RunnerClient |",
        "what": "Clients attributes",
        "expected": "the seed lists 7 clients (workflow ... runner)",
        "observed": "h2o_workflows 1.1.2's Clients has 9: also .action (ActionClient) and .action_revision",
    },
    {
        "quote": "retry_mode | str | None | None | The retry mode.",
        "what": "RunClient.retry_run(name, retry_mode: str | None)",
        "expected": "a string retry mode is accepted",
        "observed": "a string raises ApiTypeError before any request: the generated RunServiceRetryRunRequest wants a "
        "RetryRunRequestRetryMode (RETRY_MODE_UNSPECIFIED|RETRY_MODE_ALL_JOBS|RETRY_MODE_FAILED_JOBS); "
        "UNSPECIFIED means FAILED_JOBS",
    },
    {
        "quote": "Retries a failed Run.",
        "what": "retry_run / cancel_run semantics",
        "expected": "the page names no states, failure reasons or retry modes",
        "observed": "there is no CANCELED run state: a canceled run is STATE_FAILED + RUN_FAILURE_REASON_CANCELED; a "
        "retry adds an attempt (…/attempts/2) and a failed-jobs retry marks succeeded jobs STATE_SKIPPED",
    },
    {
        "quote": "Allowed field paths: source_contents",
        "what": "WorkflowClient.update_workflow(update_mask)",
        "expected": "field path source_contents (snake_case)",
        "observed": "sent as the query parameter updateMask (camelCase key), PATCH /v1/{workflow.name}",
    },
    {
        "quote": "0 uses the server default.",
        "what": "page_size of list_workflows / list_runs",
        "expected": "the page gives no default nor maximum",
        "observed": "the generated client documents a default of 50 and a maximum of 500 (larger values coerced); "
        "pageSize/pageToken are always sent and nextPageToken '' ends the listing",
    },
    {
        "quote": "The parent workflow revision. Format: workspaces/{workspace}/workflows/{workflow}/revisions/",
        "what": "RunClient.list_runs(parent)",
        "expected": "a revision name",
        "observed": "the server also takes '-' as a wildcard segment and a filter (AIP-160) the wrapper never sends",
    },
    {
        "quote": "The Workflows service endpoint URL (e.g., https://workflows.cloud.h2o.ai).",
        "what": "login_custom(endpoint)",
        "expected": "any endpoint URL",
        "observed": "login_custom strips the trailing '/' and probes urljoin(endpoint, 'version'): with a path prefix "
        "(https://h/wf) the probe goes to https://h/version while API calls go to https://h/wf/v1/...",
    },
    {
        "quote": "ConnectionError— When a communication with server failed.",
        "what": "login() Raises",
        "expected": "FileNotFoundError, LookupError, ConnectionError",
        "observed": "also ValueError (no platform token), a bare Exception when discovery lacks the service or client",
    },
    {
        "quote": "workflow | Workflow | The workflow to create.",
        "what": "create_workflow(parent, workflow)",
        "expected": "the page does not say how the new workflow's id is chosen (there is no workflow_id)",
        "observed": "the SDK sends only {sourceContents}; the contract (and mock) take the id from the source's 'id'",
    },
    {
        "quote": "source_contents | str | The YAML source contents to validate.",
        "what": "the workflow YAML format",
        "expected": "the page never shows a workflow source",
        "observed": "the SDK's docstrings imply jobs.<id>.steps[i] with run/upload/download steps, needs, "
        "continue_on_error, inputs; the mock's reading of it is documented in mockparts/source.py",
    },
    {
        "quote": "Returns: WorkflowsPage",
        "what": "the HTTP surface",
        "expected": "the page documents only the Python wrappers",
        "observed": "gRPC-gateway JSON: /v1/{name} with the whole name %2F-encoded in one segment, :verb suffixes, "
        "camelCase fields, RpcStatus errors, Bearer access tokens from the OIDC token endpoint",
    },
)


def _seed_methods(text: str) -> dict[str, dict[str, list[str]]]:
    """Per seed class (WorkflowClient, RunClient), the methods it lists with their parameters."""
    out: dict[str, dict[str, list[str]]] = {}
    for cls in CLASSES:
        start = text.index(f"\n{cls}\n")
        nxt = [text.index(f"\n{c}\n") for c in CLASSES if text.index(f"\n{c}\n") > start]
        chunk = text[start : min(nxt) if nxt else len(text)]
        out[cls] = {
            m.group(1): [p.strip() for p in m.group(2).split(",") if p.strip()] for m in SIGNATURE.finditer(chunk)
        }
    return out


def test_seed_001_methods_match_the_sdk_and_the_contract(harness_drift: Any) -> None:
    """Every seed method exists in h2o_workflows 1.1.2 with the same parameters and maps to a contract operation."""
    pytest.importorskip("h2o_workflows")
    methods = _seed_methods(SEED.read_text())
    assert sum(len(m) for m in methods.values()) == len(OPERATIONS) == 13, methods
    doc = yaml.safe_load(CONTRACT.read_text())
    operation_ids = {op["operationId"] for item in doc["paths"].values() for op in item.values() if "operationId" in op}
    for cls, listed in methods.items():
        sdk_class = getattr(importlib.import_module(CLASSES[cls]), cls)
        for name, params in listed.items():
            assert OPERATIONS[name] in operation_ids, f"{cls}.{name}: no {OPERATIONS[name]} in the contract"
            method = getattr(sdk_class, name, None)
            if method is None:
                harness_drift(source=SEED.name, what=f"{cls}.{name}", expected="in the SDK", observed="missing")
                continue
            actual = [p for p in inspect.signature(method).parameters if p != "self"]
            if actual != params:
                harness_drift(
                    source=SEED.name,
                    what=f"{cls}.{name} parameters",
                    expected=", ".join(params),
                    observed=", ".join(actual),
                )


def test_seed_001_recorded_disagreements(harness_drift: Any) -> None:
    """Each known disagreement is still in the seed, and the SDK still behaves as recorded where it can be checked."""
    text = SEED.read_text()
    for finding in FINDINGS:
        assert finding["quote"] in text, f"the seed no longer says {finding['quote']!r}: re-check {finding['what']}"
    pytest.importorskip("h2o_workflows")
    from h2o_workflows.gen.exceptions import ApiTypeError
    from h2o_workflows.gen.model.run_service_retry_run_request import RunServiceRetryRunRequest
    from h2o_workflows.login import Clients

    with pytest.raises(ApiTypeError):
        RunServiceRetryRunRequest(retry_mode="RETRY_MODE_ALL_JOBS")  # what retry_run does with the seed's str
    clients = [p for p in inspect.signature(Clients.__init__).parameters if p != "self"]
    assert {"action", "action_revision"} <= set(clients), clients
    assert len(clients) == 9, clients
    for finding in FINDINGS:
        harness_drift(
            source=SEED.name,
            what=f"{finding['what']} (seed: {finding['quote']!r})",
            expected=finding["expected"],
            observed=finding["observed"],
        )


def test_contract_is_what_the_client_generates() -> None:
    """``h2oharness spec workflows --from-client`` on the installed client reproduces the committed contract."""
    if importlib.util.find_spec("h2o_workflows") is None:
        pytest.skip("the official h2o_workflows client is not installed")
    from h2oharness.apis.workflows.fromclient import build_openapi
    from h2oharness.openapi import dump_openapi

    document, _ = build_openapi(yaml.safe_load(CONTRACT.read_text()))
    assert dump_openapi(document) == CONTRACT.read_text(), "regenerate: h2oharness spec workflows --from-client"


def test_client_operations_beyond_the_seed_are_reported(harness_drift: Any) -> None:
    """Each generated service the seed does not document, and every disagreement between client and contract."""
    if importlib.util.find_spec("h2o_workflows") is None:
        pytest.skip("the official h2o_workflows client is not installed")
    from h2oharness.apis.workflows.fromclient import build_openapi, read_client

    operations = read_client()
    doc, disagreements = build_openapi(yaml.safe_load(CONTRACT.read_text()), operations)
    assert len(operations) == 38
    documented = set(OPERATIONS.values())
    beyond: dict[str, list[str]] = {}
    for op in operations:
        if op.operation_id not in documented:
            beyond.setdefault(op.service, []).append(op.operation_id.split("_", 1)[1])
    assert {"ActionService", "ActionRevisionService"} <= set(beyond)
    for service, names in sorted(beyond.items()):
        harness_drift(
            source=SEED.name,
            what=f"h2o_workflows.gen {service}",
            expected="the page documents the REST operations the SDK's clients call",
            observed=f"{len(names)} operation(s) it does not document: {', '.join(names)}",
        )
    assert any("'filter'" in line for line in disagreements)
    for line in disagreements:
        harness_drift(
            source="h2o_workflows 1.1.2 (gen)", what=line.split(":")[0], expected="the contract", observed=line
        )
    assert all(op["operationId"] for item in doc["paths"].values() for op in item.values() if isinstance(op, dict))


def test_mock_deviations_are_reported(harness_drift: Any) -> None:
    """What the mock decides where seed and client are silent or where it differs from them, each with its reason."""
    from h2oharness.apis.workflows.mock import DEVIATIONS

    assert "actions" in DEVIATIONS
    for what, why in sorted(DEVIATIONS.items()):
        harness_drift(
            source="h2oharness workflows mock",
            what=what,
            expected="the client's and the seed's behaviour",
            observed=why,
        )
