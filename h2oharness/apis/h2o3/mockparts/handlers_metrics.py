"""GET /3/ModelMetrics and its model and frame variants: the metrics a real 3.46.0.12 keeps in its store, filtered;
DELETE of the model-and-frame variants removes those from the store.

A real server keeps a ModelMetrics for each model and frame it has scored: a model's training and validation
metrics, an AutoML leaderboard's, and each prediction's. A GET lists those of the model and of the frame named,
a frame matching by its checksum (so a copy of the same data matches too); a name that is not held is no filter
at all, and is answered as null.
"""

from __future__ import annotations

from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, key_name
from h2oharness.apis.h2o3.mockparts.handlers_models import metrics_list
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState
from h2oharness.apis.h2o3.mockparts.wire import JSONDict


def fetch(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/ModelMetrics[/models/{model}][/frames/{frame}] (either order): the stored metrics that match."""
    return Reply(_matching(state, call))


def delete(state: H2O3MockState, call: Call) -> Reply:
    """DELETE /3/ModelMetrics/models/{model}/frames/{frame} (either order): the stored metrics that match, removed
    from the store; a name not held is no filter, so two unknown names remove every stored metrics."""
    body = _matching(state, call)
    with state.lock:
        for metrics in body["model_metrics"]:
            name, frame = metrics["model"]["name"], metrics["frame"]["name"]
            state.scored.pop((name, frame), None)
            state.forgotten_metrics.add(_identity(metrics))
        state.forgotten_metrics = {f for f in state.forgotten_metrics if f[0] in state.models}
    return Reply(body)


def _matching(state: H2O3MockState, call: Call) -> JSONDict:
    values = call.values("ModelMetricsListSchemaV3")
    model_name = call.path_params.get("model") or key_name(values.get("model"))
    frame_name = call.path_params.get("frame") or key_name(values.get("frame"))
    with state.lock:
        model = state.models.get(model_name or "")
        frame = state.frames.get(frame_name or "")
        stored = _stored(state)
    if model is not None:
        stored = [m for m in stored if m["model"]["name"] == model.id]
    if frame is not None:
        checksum = frame.checksum()
        stored = [m for m in stored if m["frame_checksum"] == checksum]
    body = metrics_list(model.id if model else None, frame.name if frame else None, None)
    body["model_metrics"] = stored
    return body


def _identity(metrics: JSONDict) -> tuple[str, str, int, int]:
    # a model rebuilt under the same name, or scored again, has metrics of another checksum or time
    model, frame = metrics["model"]["name"], metrics["frame"]["name"]
    return model, frame, int(metrics["model_checksum"]), int(metrics["scoring_time"])


def _stored(state: H2O3MockState) -> list[JSONDict]:
    # by model and frame name: a later scoring of the same pair replaces an earlier one, as a store key does
    found: dict[tuple[str, str], JSONDict] = {}
    for model in state.models.values():
        output = model.body.get("output") or {}
        for kind in ("training_metrics", "validation_metrics"):
            metrics = output.get(kind)
            if isinstance(metrics, dict) and metrics.get("frame"):
                found[(model.id, metrics["frame"]["name"])] = metrics
    for run in state.automls.values():
        for model_id, metrics in run.board_metrics.items():
            found[(model_id, metrics["frame"]["name"])] = metrics
    found.update(state.scored)
    return [
        m
        for (model_id, _), m in found.items()
        if model_id in state.models and _identity(m) not in state.forgotten_metrics
    ]
