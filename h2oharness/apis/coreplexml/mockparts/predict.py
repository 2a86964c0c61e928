"""Predictions of a trained model, directly or through a deployment: one per input row, as the SDK reads them.

The SDK's ``models.predict`` and ``deployments.predict`` send ``{"inputs": row or [rows], "options"}`` and, for one
row, copy ``predictions[0].prediction`` (and a deployment's ``probability``/``probabilities``) to the top level.
Nothing is trained, so an answer is drawn from a hash of the model and the row: the same row always gets the same
answer, a class the target column had (with a probability per class) or a number within its range.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from h2oharness.apis.coreplexml.mockparts import generic
from h2oharness.apis.coreplexml.mockparts.deployments import _stored
from h2oharness.apis.coreplexml.mockparts.state import Column, CorePlexMLMockState, Experiment, PlannedModel
from h2oharness.apis.coreplexml.mockparts.wire import ApiError, Call, JSONDict, Reply, not_found

MODEL = "/api/models/{model_id}/predict"
DEPLOYMENT = "/api/mlops/deployments/{deployment_id}/predict"


def _draws(model_id: str, row: Any, count: int) -> list[float]:
    """``count`` numbers in (0, 1), fixed by the model and the row."""
    seed = f"{model_id}\0{json.dumps(row, sort_keys=True, default=str)}"
    out = []
    for index in range(count):
        digest = hashlib.sha256(f"{seed}\0{index}".encode()).digest()
        out.append((int.from_bytes(digest[:8], "big") + 1) / (2**64 + 2))
    return out


def _classes(experiment: Experiment) -> list[str]:
    target = experiment.target
    levels = list(target.levels) if target is not None else []
    if len(levels) >= 2:
        return levels
    # a multiclass target with more levels than a profile keeps: the classes are not known, so they are numbered
    count = max(2, target.unique if target is not None else 2) if experiment.subtype == "multiclass" else 2
    return [str(i) for i in range(min(count, 32))]


def _one(experiment: Experiment, model: PlannedModel, row: Any) -> JSONDict:
    if experiment.subtype == "regression":
        target: Column | None = experiment.target
        low = target.minimum if target is not None and target.minimum is not None else 0.0
        high = target.maximum if target is not None and target.maximum is not None else 1.0
        return {"prediction": round(low + (high - low) * _draws(model.id, row, 1)[0], 6)}
    classes = _classes(experiment)
    weights = _draws(model.id, row, len(classes))
    total = sum(weights)
    probabilities = {name: round(w / total, 6) for name, w in zip(classes, weights, strict=True)}
    best = max(classes, key=lambda name: probabilities[name])
    return {"prediction": best, "probability": probabilities[best], "probabilities": probabilities}


def _answer(state: CorePlexMLMockState, call: Call, model_id: str) -> Reply:
    now = state.clock.now()
    with state.lock:
        found = next(((e, m) for e in state.experiments.values() for m in e.models(now) if m.id == model_id), None)
    if found is None:
        raise not_found("Model")
    inputs = call.json()["inputs"]
    rows = inputs if isinstance(inputs, list) else [inputs]
    return Reply({"predictions": [_one(*found, row) for row in rows]})


def _checked(state: CorePlexMLMockState, call: Call, template: str) -> None:
    """The generic layer's checks of the body (422) and of the id (404), before the answer is made here."""
    generic.handler(generic.surface().operation("POST", template))(state, call)


def model(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST /api/models/{model_id}/predict``: one prediction per input row."""
    _checked(state, call, MODEL)
    return _answer(state, call, call.path_params["model_id"])


def refuse_inactive(deployment_id: str, record: dict[str, Any] | None) -> None:
    """A deactivated deployment serves no prediction, through its predict or a what-if session tied to it: 404 with
    the reason as its detail."""
    if record is not None and record.get("status") == "inactive":
        raise ApiError(404, f"Deployment {deployment_id} is inactive")


def deployment(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST /api/mlops/deployments/{deployment_id}/predict``: the deployed model's prediction per input row; 404
    when that model has since been deleted, or when the deployment is inactive (deactivated: it serves nothing; the
    SDK and the contract name no other status for it, and the detail says why)."""
    _checked(state, call, DEPLOYMENT)
    deployment_id = call.path_params["deployment_id"]
    with state.lock:
        record = _stored(state, deployment_id)
        model_id = record.get("model_id") if record is not None else None
    refuse_inactive(deployment_id, record)
    if not isinstance(model_id, str):
        raise not_found("Deployment")
    return _answer(state, call, model_id)


def drift(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/mlops/deployments/{deployment_id}/drift``: no drift, every feature of the deployed model's
    experiment at score 0 (the mock keeps no traffic to compare with the training data)."""
    generic.handler(generic.surface().operation("GET", "/api/mlops/deployments/{deployment_id}/drift"))(state, call)
    deployment_id = call.path_params["deployment_id"]
    now = state.clock.now()
    with state.lock:
        record = _stored(state, deployment_id)
        model_id = record.get("model_id") if record is not None else None
        owner = next((e for e in state.experiments.values() for m in e.models(now) if m.id == model_id), None)
    if record is None:
        raise not_found("Deployment")
    features = owner.features if owner is not None else []
    return Reply(
        {
            "deployment_id": deployment_id,
            "drift_detected": False,
            "features": [{"feature": f, "score": 0.0} for f in features],
        }
    )
