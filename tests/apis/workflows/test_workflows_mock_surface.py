"""Every operation of the Workflows contract, one positive example each, answered as documented by the mock."""

from __future__ import annotations

import json
from typing import Any

import httpx

from h2oharness.apis.workflows import payloads
from h2oharness.apis.workflows.client import WorkflowsClient
from h2oharness.apis.workflows.mock import WorkflowsMockState
from h2oharness.apis.workflows.mockparts.state import DEFAULT_CLIENT_ID, DEFAULT_REFRESH_TOKEN
from h2oharness.mocks.clock import ManualClock
from h2oharness.mocks.instances import Schemas
from h2oharness.mocks.resources import Operation, Surface
from h2oharness.openapi import contract_document

WS = "workspaces/surface"
ACTION = "id: greeter\nname: Greeter\noutputs:\n  greeting: {description: what was said}\nsteps:\n  - run: echo hi\n"
#: the order of the verbs: made first, read next, changed, ended, removed last
RANKS = {"Create": 0, "Validate": 0, "Activate": 1, "Publish": 1, "Run": 1, "Update": 3, "Cancel": 4, "Retry": 5,
         "Deactivate": 6, "Delete": 7}  # fmt: skip


def _verb(op: Operation) -> str:
    name = op.operation_id.split("_", 1)[-1]
    return next((verb for verb in RANKS if name.startswith(verb)), "")


def _order(op: Operation) -> tuple[int, int, str]:
    rank = RANKS.get(_verb(op), 2)
    # removals from the deepest resource up, so a run goes before its workflow
    return rank, -op.template.count("{") if rank == 7 else 0, op.template


def _last(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def test_every_contract_operation_gets_a_documented_answer(
    http: httpx.Client, client: WorkflowsClient, state: WorkflowsMockState, clock: ManualClock
) -> None:
    """One schema-valid request per operation, with real resource ids: a 200 the operation documents, valid
    under its schema; the runs live on the clock (a slow run to cancel and retry, then finished before removal)."""
    surface = Surface(contract_document("workflows"))
    schemas: Schemas = surface.schemas
    flow = client.activate(client.create_workflow(WS, payloads.slow_source("surface", 60))["name"])
    run = client.run_revision(str(flow["activeRevision"]))
    clock.advance(2.0)
    attempt = f"{run['name']}/attempts/1"
    job = client.list_jobs(attempt)["jobs"][0]["name"]
    runner = {"sandboxEngineImage": "i", "sandboxEngineTemplate": "t"}
    assert http.post(f"/v1/{WS}/runners", params={"runnerId": "r1"}, json=runner).status_code == 200
    ids = {
        "workspace": _last(WS),
        "workflow": "surface",
        "revision": _last(str(flow["activeRevision"])),
        "run": _last(str(run["name"])),
        "attempt": "1",
        "job": _last(str(job)),
        "step": "1",
        "runner": "r1",
        "action": "greeter",
    }
    bodies: dict[str, Any] = {
        "WorkflowService_CreateWorkflow": {"sourceContents": payloads.succeeding_source("another")},
        "WorkflowService_ValidateWorkflow": {"sourceContents": payloads.succeeding_source("another")},
        "WorkflowService_UpdateWorkflow": {"sourceContents": payloads.slow_source("surface", 60)},
        "WorkflowRevisionService_RunWorkflowRevision": {"inputs": payloads.input_values()},
        "RunnerService_CreateRunner": {"sandboxEngineImage": "i", "sandboxEngineTemplate": "t"},
        "RunnerService_UpdateRunner": {"sandboxEngineImage": "i2", "sandboxEngineTemplate": "t2"},
        "ActionService_CreateAction": {"sourceContents": ACTION},
        "ActionService_ValidateAction": {"sourceContents": ACTION},
        "ActionService_UpdateAction": {"sourceContents": ACTION.replace("hi", "hello")},
    }
    queries: dict[str, dict[str, str]] = {
        "RunnerService_CreateRunner": {"runnerId": "r2"},
        "JobService_ListJobs": {"filter": "type = TYPE_STEPS", "orderBy": "jobId desc"},
        "RunService_ListRuns": {"filter": "state != STATE_FAILED"},
        "WorkflowService_UpdateWorkflow": {"updateMask": "source_contents,display_name"},
    }
    answered: dict[str, int] = {}
    for op in sorted(surface.operations, key=_order):
        if _verb(op) == "Delete":
            clock.advance(10_000.0)  # every run (the retried one too) has ended: a run in progress is not removed
        where = f"{op.method} {op.template}"
        path = op.template
        for name, value in ids.items():
            path = path.replace("{" + name + "}", value)
        if "/actions/" in op.template and "{revision}" in op.template:
            path = path.replace(f"/revisions/{ids['revision']}", "/revisions/1")
        if op.template == "/token":
            form = {
                "grant_type": "refresh_token",
                "client_id": DEFAULT_CLIENT_ID,
                "refresh_token": DEFAULT_REFRESH_TOKEN,
            }
            response = http.post(path, data=form)
        else:
            body = bodies.get(op.operation_id, schemas.smallest(op.body) if op.body is not None else None)
            response = http.request(op.method, path, params=queries.get(op.operation_id), json=body)
        answered[where] = response.status_code
        assert response.status_code == 200, f"{where}: {response.status_code} {response.text[:300]}"
        assert response.status_code in op.statuses, f"{where}: {response.status_code} is not documented"
        if op.answer is not None:
            # a server stream is one JSON message per line; every other answer is one message
            for line in [json.loads(text) for text in response.text.splitlines() if text.strip()]:
                assert schemas.valid(line, op.answer), f"{where}: {schemas.errors(line, op.answer)}"
    assert len(answered) == len(surface.operations) >= 41
    assert state.internal_errors == []
