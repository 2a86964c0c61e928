"""Deployment promote, rollback and deactivate: the generic answer, and the change it names kept on the deployment.

Deployments themselves are generic objects (``generic``), made under ``/api/mlops/projects/{project_id}``; these
handlers let the generic layer check the request and the id, then change the stored deployment, so that the
next ``GET /api/mlops/deployments/{id}`` and the project's list show it.
"""

from __future__ import annotations

from typing import Any

from h2oharness.apis.coreplexml.mockparts import generic
from h2oharness.apis.coreplexml.mockparts.state import CorePlexMLMockState
from h2oharness.apis.coreplexml.mockparts.wire import Call, JSONDict, Reply, not_found, unprocessable
from h2oharness.mocks.resources import Operation

DEPLOYMENT = "/api/mlops/deployments/{deployment_id}"
#: the Deployment schema's stage enum
STAGES = ("staging", "production")


def _stored(state: CorePlexMLMockState, deployment_id: str) -> dict[str, Any] | None:
    """The deployment as the generic layer holds it (under whichever project made it), or None."""
    # list(): other requests may add collections meanwhile (a dict changing size cannot be iterated)
    for path, held in list(generic.resources(state).collections.items()):
        if path.startswith("/api/mlops/projects/") and path.endswith("/deployments") and deployment_id in held:
            found: dict[str, Any] = held[deployment_id]
            return found
    return None


def _checked(state: CorePlexMLMockState, call: Call, action: str) -> Operation:
    """The operation, once the generic layer has checked the request and the deployment's id (422, 404)."""
    operation = generic.surface().operation("POST", f"{DEPLOYMENT}/{action}")
    generic.handler(operation)(state, call)
    return operation


def _applied(state: CorePlexMLMockState, call: Call, operation: Operation, change: dict[str, Any]) -> Reply:
    with state.lock:
        record = _stored(state, call.path_params["deployment_id"])
        if record is None:
            raise not_found("Deployment")
        record.update(change)
        return Reply(generic.surface().schemas.fit(dict(record), operation.answer))


def _body(call: Call) -> JSONDict:
    return call.json() if call.body.strip() else {}


def promote(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST …/promote`` ``{to_stage}``: the deployment moves to that stage."""
    operation = _checked(state, call, "promote")
    stage = _body(call).get("to_stage")
    if stage not in STAGES:
        raise unprocessable(f"to_stage must be one of: {', '.join(STAGES)}", ("body", "to_stage"), "enum")
    return _applied(state, call, operation, {"stage": stage})


def rollback(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST …/rollback`` ``{to_model_id?, to_deployment_id?}``: the deployment serves that model (or that
    deployment's model) again; with neither it is left as it is."""
    operation = _checked(state, call, "rollback")
    body = _body(call)
    change: dict[str, Any] = {}
    if isinstance(body.get("to_deployment_id"), str):
        with state.lock:
            other = _stored(state, body["to_deployment_id"])
        if other is None:
            raise not_found("Deployment")
        change["model_id"] = other.get("model_id")
    if isinstance(body.get("to_model_id"), str):
        now = state.clock.now()
        with state.lock:
            known = any(m.id == body["to_model_id"] for e in state.experiments.values() for m in e.models(now))
        if not known:
            raise not_found("Model")
        change["model_id"] = body["to_model_id"]
    return _applied(state, call, operation, change)


def deactivate(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST …/deactivate``: the deployment's status becomes inactive."""
    return _applied(state, call, _checked(state, call, "deactivate"), {"status": "inactive"})
