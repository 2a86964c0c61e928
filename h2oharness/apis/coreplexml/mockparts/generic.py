"""Every contract operation no hand-written handler answers: the shared generic resources, in FastAPI's words.

The hand-written handlers hold projects, datasets, experiments and their models; ``exists`` lets the generic
layer see them, so a member of a real project is created and one of an unknown project is a 404. Privacy
detection, transformation and SynthGen generation are jobs on the state's clock, polled by the SDK through
``GET /api/jobs/{job_id}`` and ``GET /api/synthgen/jobs/{job_id}``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from h2oharness.apis.coreplexml.mockparts.state import CorePlexMLMockState
from h2oharness.apis.coreplexml.mockparts.wire import ApiError, Call, JSONDict, Reply
from h2oharness.mocks.jobs import Job, JobPhase, JobTiming
from h2oharness.mocks.resources import GenericCall, Kind, Operation, Resources, Rules, Surface
from h2oharness.openapi import contract_document

Handler = Callable[[CorePlexMLMockState, Call], Reply]
JOB_ACTIONS = ("/detect", "/transform", "/generate")
GENERATE = "/api/synthgen/models/{model_id}/generate"
PHASES = {
    JobPhase.QUEUED: "queued",
    JobPhase.RUNNING: "running",
    JobPhase.SUCCEEDED: "completed",
    JobPhase.FAILED: "failed",
    JobPhase.CANCELLED: "failed",
}


def _on_create(object_id: str, body: Any) -> JSONDict:
    # reports and sessions are ready at once; SynthGen models report the backend's own word for it
    return {"status": "ready" if isinstance(body, dict) and "model_type" in body else "completed"}


def _job_view(job: Job, now: float) -> JSONDict:
    phase = job.phase(now)
    # a job's result (and a SynthGen generation's artifact) is what it produced: nothing until it completes
    done = phase is JobPhase.SUCCEEDED and isinstance(job.result, dict)
    result: JSONDict = dict(job.result) if done else {}
    view: JSONDict = {
        "job_id": job.id,
        "synthgen_job_id": job.id,
        "status": PHASES[phase],
        "progress": job.progress(now),
        "error": job.failure or None,
        "result": result,
    }
    if isinstance(result.get("output_artifact_id"), str):
        view["output_artifact_id"] = result["output_artifact_id"]
    return view


RULES = Rules(
    id_field="id",
    on_create=_on_create,
    job_timing=JobTiming(queued=0.2, running=1.0),
    job_view=_job_view,
    is_job=lambda method, template: method == "POST" and template.endswith(JOB_ACTIONS),
    # creations the SDK never reads back one by one at the path they were made under
    kinds={
        ("POST", "/api/projects/{project_id}/members"): Kind.CREATE,
        ("POST", "/api/mlops/projects/{project_id}/deployments"): Kind.CREATE,
        ("POST", "/api/privacy/sessions"): Kind.CREATE,
        ("POST", "/api/studio/sessions/{session_id}/scenarios"): Kind.CREATE,
    },
)


@functools.cache
def surface() -> Surface:
    """The contract's operations, classified once per process."""
    return Surface(contract_document("coreplexml"), RULES)


def resources(state: CorePlexMLMockState) -> Resources:
    """The state's generic objects (made on first use), on the state's job board."""
    with state.lock:
        if state.generic is None:
            timing = JobTiming(queued=state.timings.job_queued, running=state.timings.job_running)
            state.generic = Resources(
                surface(), jobs=state.jobs, job_timing=timing, exists=functools.partial(_exists, state)
            )
        held: Resources = state.generic
        return held


def _exists(state: CorePlexMLMockState, collection: str, path: str, object_id: str) -> bool | None:
    # by the collection's name: /api/mlops/projects/{project_id} is a project too
    name = collection.rsplit("/", 1)[-1]
    with state.lock:
        if name == "projects":
            return object_id in state.projects
        if name == "datasets":
            return object_id in state.datasets
        if name == "experiments":
            return object_id in state.experiments
        if collection == "/api/models":
            now = state.clock.now()
            return any(m.id == object_id for e in state.experiments.values() for m in e.models(now))
    return None


def handler(operation: Operation) -> Handler:
    """The handler of one generic operation: the request as a GenericCall, the reply as FastAPI would send it."""

    def handle(state: CorePlexMLMockState, call: Call) -> Reply:
        body = call.json() if operation.body is not None and call.body.strip() else None
        query = {name: values[-1] for name, values in call.query.items() if values}
        reply = resources(state).answer(GenericCall(operation, call.path_params, query, body))
        if reply.error:
            detail: str | list[JSONDict] = reply.error
            if reply.status == 422:
                detail = [{"loc": ["body" if body is not None else "query"], "msg": reply.error, "type": "value_error"}]
            raise ApiError(reply.status, detail)
        return Reply(reply.body if isinstance(reply.body, dict) else {}, status=reply.status)

    return handle


def closed_query(method: str, template: str, target: Handler) -> Handler:
    """``target``, behind a 422 for a query parameter its operation does not document (as a FastAPI query model
    with ``extra="forbid"``); unchanged for a route the contract does not have."""
    try:
        known = {
            name for name, (where, _, _) in surface().operation(method, template).params.items() if where == "query"
        }
    except KeyError:
        return target

    def checked(state: CorePlexMLMockState, call: Call) -> Reply:
        extra = sorted(set(call.query) - known)
        if extra:
            message = "Extra inputs are not permitted"
            raise ApiError(422, [{"loc": ["query", n], "msg": message, "type": "extra_forbidden"} for n in extra])
        return target(state, call)

    return checked


def routes(hand_written: set[tuple[str, str]]) -> list[tuple[str, str, Handler]]:
    """A route for every contract operation the hand-written handlers do not take."""
    return [
        (op.method, op.template, handler(op))
        for op in surface().operations
        if (op.method, op.template) not in hand_written
    ]


def synthgen_jobs(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/synthgen/jobs``: the SynthGen generations on the board, newest first (the generic layer holds no
    jobs in a collection, so it listed none)."""
    handler(surface().operation("GET", "/api/synthgen/jobs"))(state, call)
    query = {name: values[-1] for name, values in call.query.items() if values}
    limit, offset = int(query.get("limit", 50)), int(query.get("offset", 0))
    now = state.clock.now()
    jobs = [j for j in state.jobs.all() if j.kind == surface().operation("POST", GENERATE).operation_id]
    jobs.reverse()
    items = [{**_job_view(j, now), "id": j.id} for j in jobs[offset : offset + limit]]
    body = {"items": items, "total": len(jobs), "limit": limit, "offset": offset}
    return Reply(surface().schemas.fit(body, surface().operation("GET", "/api/synthgen/jobs").answer))
