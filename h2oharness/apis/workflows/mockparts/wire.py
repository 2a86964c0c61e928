"""The wire format: RpcStatus errors (gRPC code + HTTP status), RFC 3339 times, page tokens, resource JSON."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from h2oharness.apis.workflows.mockparts import execution
from h2oharness.apis.workflows.mockparts.source import EMPTY_INPUT_DEFINITIONS
from h2oharness.apis.workflows.mockparts.state import (
    PRINCIPAL,
    AttemptRec,
    JobPlan,
    RevisionRec,
    RunnerRec,
    RunRec,
    StepPlan,
    WorkflowRec,
    WorkflowsMockState,
)

JSONDict = dict[str, Any]
T = TypeVar("T")

# gRPC code -> HTTP status, as grpc-gateway maps them
GRPC_HTTP = {3: 400, 5: 404, 6: 409, 7: 403, 9: 400, 11: 400, 12: 501, 16: 401, 13: 500}


class RpcError(Exception):
    """A refusal the handler raises; it becomes an RpcStatus body with the mapped HTTP status."""

    def __init__(
        self, code: int, message: str, http_status: int | None = None, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.headers = headers or {}
        self.code = code
        self.message = message
        self.status = http_status or GRPC_HTTP.get(code, 400)

    def body(self) -> JSONDict:
        """The RpcStatus JSON."""
        return {"code": self.code, "message": self.message, "details": []}


def invalid(message: str) -> RpcError:
    """INVALID_ARGUMENT (400)."""
    return RpcError(3, message)


def not_found(what: str) -> RpcError:
    """NOT_FOUND (404)."""
    return RpcError(5, f"{what} not found")


def precondition(message: str) -> RpcError:
    """FAILED_PRECONDITION (400, as grpc-gateway maps it)."""
    return RpcError(9, message)


def timestamp(state: WorkflowsMockState, at: float | None) -> str | None:
    """RFC 3339 UTC with microseconds, or None."""
    if at is None:
        return None
    moment = dt.datetime.fromtimestamp(state.epoch(at), tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def page_size(query: dict[str, str], state: WorkflowsMockState) -> int:
    """``pageSize``: 0 or absent is the default, above the maximum is coerced, negative or not a number is 400."""
    raw = query.get("pageSize", "")
    if raw == "":
        return state.default_page_size
    try:
        size = int(raw)
    except ValueError:
        raise invalid(f"invalid pageSize {raw!r}: not an integer") from None
    if size < 0 or size > 2**31 - 1:
        raise invalid(f"invalid pageSize {size}: must be between 0 and {2**31 - 1}")
    return min(size or state.default_page_size, state.max_page_size)


def page(
    items: Sequence[T], seq_of: Callable[[T], int], query: dict[str, str], state: WorkflowsMockState, kind: str
) -> tuple[list[T], str]:
    """One page of ``items`` (in creation order) after ``pageToken``, and the token of the next ('' when none)."""
    size = page_size(query, state)
    token = query.get("pageToken", "")
    after = 0
    if token:
        try:
            decoded = base64.urlsafe_b64decode(token.encode("ascii") + b"=" * (-len(token) % 4)).decode("ascii")
            prefix, _, number = decoded.partition(":")
            if prefix != kind:
                raise ValueError(prefix)
            after = int(number)
        except (ValueError, UnicodeError, binascii.Error):
            raise invalid(f"invalid pageToken {token!r}") from None
    ordered = sorted((i for i in items if seq_of(i) > after), key=seq_of)
    chunk = ordered[:size]
    if len(ordered) <= size or not chunk:
        return chunk, ""
    nxt = base64.urlsafe_b64encode(f"{kind}:{seq_of(chunk[-1])}".encode()).decode("ascii").rstrip("=")
    return chunk, nxt


def workflow_json(state: WorkflowsMockState, wf: WorkflowRec) -> JSONDict:
    """A V1Workflow with every field present."""
    return {
        "name": wf.name,
        "sourceContents": wf.source,
        "displayName": wf.spec.name,
        "state": wf.state,
        "activeRevision": wf.active_revision,
        "createTime": timestamp(state, wf.created),
        "creator": PRINCIPAL,
        "updateTime": timestamp(state, wf.updated),
        "updater": PRINCIPAL if wf.updated is not None else "",
        "activateTime": timestamp(state, wf.activated),
        "activator": PRINCIPAL if wf.activated is not None else "",
        "inputDefinitions": wf.spec.input_definitions() if wf.spec.inputs else dict(EMPTY_INPUT_DEFINITIONS),
    }


def revision_json(state: WorkflowsMockState, rev: RevisionRec) -> JSONDict:
    """A V1WorkflowRevision."""
    return {
        "name": rev.name,
        "state": rev.state,
        "sourceContents": rev.source,
        "createTime": timestamp(state, rev.created),
        "creator": PRINCIPAL,
        "deactivateTime": timestamp(state, rev.deactivated),
        "deactivator": PRINCIPAL if rev.deactivated is not None else None,
        "inputDefinitions": rev.spec.input_definitions() if rev.spec.inputs else dict(EMPTY_INPUT_DEFINITIONS),
    }


RUN_STATE = {"STATE_QUEUED": "STATE_QUEUED", "STATE_RUNNING": "STATE_RUNNING"}
RUN_REASON = {
    "": "RUN_FAILURE_REASON_UNSPECIFIED",
    "RUN_ATTEMPT_FAILURE_REASON_JOB_FAILED": "RUN_FAILURE_REASON_JOB_FAILED",
    "RUN_ATTEMPT_FAILURE_REASON_CANCELED": "RUN_FAILURE_REASON_CANCELED",
}


def run_json(state: WorkflowsMockState, run: RunRec) -> JSONDict:
    """A V1Run: it mirrors its latest attempt."""
    latest = run.attempts[-1]
    st = execution.attempt_status(latest, state.now())
    return {
        "name": run.name,
        "state": st.state,
        "failureReason": RUN_REASON.get(st.reason, "RUN_FAILURE_REASON_INTERNAL"),
        "failureMessage": st.message if st.state == "STATE_FAILED" else "",
        "parentJob": None,
        "trigger": "TRIGGER_MANUAL",
        "inputs": run.inputs,
        "createTime": timestamp(state, run.created),
        "creator": PRINCIPAL,
        "scheduledTime": None,
        "startTime": timestamp(state, st.start),
        "endTime": timestamp(state, st.end),
    }


def attempt_json(state: WorkflowsMockState, run: RunRec, attempt: AttemptRec) -> JSONDict:
    """A V1RunAttempt."""
    st = execution.attempt_status(attempt, state.now())
    return {
        "name": f"{run.name}/attempts/{attempt.number}",
        "state": st.state,
        "failureReason": st.reason or "RUN_ATTEMPT_FAILURE_REASON_UNSPECIFIED",
        "failureMessage": st.message if st.state == "STATE_FAILED" else "",
        "creator": PRINCIPAL,
        "createTime": timestamp(state, attempt.created),
        "startTime": timestamp(state, st.start),
        "endTime": timestamp(state, st.end),
    }


def job_json(state: WorkflowsMockState, attempt_name: str, attempt: AttemptRec, job: JobPlan) -> JSONDict:
    """A V1Job."""
    st = execution.job_status(job, attempt, state.now())
    return {
        "name": f"{attempt_name}/jobs/{job.job_id}",
        "state": st.state,
        "failureReason": st.reason or "JOB_FAILURE_REASON_UNSPECIFIED",
        "failureMessage": st.message if st.state == "STATE_FAILED" else "",
        "jobId": job.job_id,
        "displayName": job.display_name,
        "matrixValues": {},
        "type": "TYPE_STEPS",
        "childRun": None,
        "runner": job.runner,
        "dependsOn": list(job.depends_on),
        "createTime": timestamp(state, job.created),
        "startTime": timestamp(state, st.start),
        "endTime": timestamp(state, st.end),
        "outputs": {},
    }


def step_json(state: WorkflowsMockState, job_name: str, attempt: AttemptRec, step: StepPlan) -> JSONDict:
    """A V1Step."""
    st = execution.step_status(step, attempt, state.now())
    return {
        "name": f"{job_name}/steps/{step.index}",
        "state": st.state,
        "failureReason": st.reason or "STEP_FAILURE_REASON_UNSPECIFIED",
        "failureMessage": st.message if st.state == "STATE_FAILED" else "",
        "displayName": step.display_name,
        "type": step.type,
        "startTime": timestamp(state, st.start),
        "endTime": timestamp(state, st.end),
        "exitCode": st.exit_code if step.type == "TYPE_RUN" else None,
        "continueOnError": step.continue_on_error,
        "refId": step.ref_id,
        "outputs": {},
        "actionRevision": "",
    }


def runner_json(state: WorkflowsMockState, runner: RunnerRec) -> JSONDict:
    """A V1Runner."""
    return {
        **runner.body,
        "name": runner.name,
        "createTime": timestamp(state, runner.created),
        "creator": PRINCIPAL,
        "updateTime": timestamp(state, runner.updated),
        "updater": PRINCIPAL if runner.updated is not None else None,
    }
