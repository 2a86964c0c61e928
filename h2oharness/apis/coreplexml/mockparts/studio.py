"""The what-if studio: a session's feature schema, a scenario's run and the session's comparison, answered from the
deployment the session names (its model's features and predictions, see ``predict``).

Sessions and scenarios themselves are generic objects (``generic``): a session under ``/api/studio/sessions``, its
scenarios under ``/api/studio/sessions/{session_id}/scenarios``.
"""

from __future__ import annotations

from typing import Any

from h2oharness.apis.coreplexml.mockparts import generic
from h2oharness.apis.coreplexml.mockparts.deployments import _stored
from h2oharness.apis.coreplexml.mockparts.predict import _one, refuse_inactive
from h2oharness.apis.coreplexml.mockparts.state import CorePlexMLMockState, Experiment, PlannedModel
from h2oharness.apis.coreplexml.mockparts.wire import Call, JSONDict, Reply, not_found

SESSIONS = "/api/studio/sessions"


def _session(state: CorePlexMLMockState, session_id: str) -> dict[str, Any]:
    held = generic.resources(state).collections.get(SESSIONS, {})
    session = held.get(session_id)
    if session is None:
        raise not_found("Studio session")
    return session


def _scenarios(state: CorePlexMLMockState, session_id: str) -> list[dict[str, Any]]:
    return list(generic.resources(state).collections.get(f"{SESSIONS}/{session_id}/scenarios", {}).values())


def _model(
    state: CorePlexMLMockState, session: dict[str, Any], predicting: bool = False
) -> tuple[Experiment, PlannedModel]:
    """The model the session's deployment serves (404 when the deployment or its model is gone, or, to predict, when
    the deployment is inactive: the SDK ties a session to "a deployed model", so its predictions are the
    deployment's; its feature schema is not a prediction and is still read)."""
    deployment_id = str(session.get("deployment_id", ""))
    deployment = _stored(state, deployment_id)
    if deployment is None:
        raise not_found("Deployment")
    if predicting:
        refuse_inactive(deployment_id, deployment)
    now = state.clock.now()
    found = next(
        ((e, m) for e in state.experiments.values() for m in e.models(now) if m.id == deployment.get("model_id")),
        None,
    )
    if found is None:
        raise not_found("Model")
    return found


def _outcome(state: CorePlexMLMockState, session: dict[str, Any], changes: Any) -> JSONDict:
    baseline = session.get("baseline_input")
    row = {**(baseline if isinstance(baseline, dict) else {}), **(changes if isinstance(changes, dict) else {})}
    output = _one(*_model(state, session, predicting=True), row)
    return {"prediction": output["prediction"], "output": output}


def _checked(state: CorePlexMLMockState, call: Call, method: str, template: str) -> None:
    generic.handler(generic.surface().operation(method, template))(state, call)


def schema(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET …/sessions/{session_id}/schema``: the deployed model's features, typed as its dataset profiled them."""
    _checked(state, call, "GET", f"{SESSIONS}/{{session_id}}/schema")
    session_id = call.path_params["session_id"]
    with state.lock:
        experiment, _ = _model(state, _session(state, session_id))
        version = state.versions.get(experiment.dataset_version_id)
        types = {c.name: c.dtype for c in version.columns} if version is not None else {}
    features = [{"name": name, "type": types.get(name, "unknown")} for name in experiment.features]
    return Reply({"session_id": session_id, "features": features})


def run(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST /api/studio/scenarios/{scenario_id}/run``: the deployed model's prediction for the session's baseline
    with the scenario's changes applied."""
    scenario_id = call.path_params["scenario_id"]
    with state.lock:
        for path, held in list(generic.resources(state).collections.items()):
            if path.startswith(f"{SESSIONS}/") and path.endswith("/scenarios") and scenario_id in held:
                session = _session(state, path.split("/")[-2])
                outcome = _outcome(state, session, held[scenario_id].get("changes"))
                return Reply({"scenario_id": scenario_id, **outcome})
    raise not_found("Scenario")


def compare(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET …/sessions/{session_id}/compare``: the baseline's prediction and each scenario's, oldest first."""
    _checked(state, call, "GET", f"{SESSIONS}/{{session_id}}/compare")
    session_id = call.path_params["session_id"]
    with state.lock:
        session = _session(state, session_id)
        baseline = _outcome(state, session, {})
        scenarios = [
            {"name": str(s.get("name", "")), **_outcome(state, session, s.get("changes"))}
            for s in _scenarios(state, session_id)
        ]
    return Reply({"baseline": baseline, "scenarios": scenarios})
