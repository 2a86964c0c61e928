"""Handlers for model builders, models, jobs and predictions of the mock."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from h2oharness.apis.h2o3.mockparts import builders, crossval, explain, metadata, training
from h2oharness.apis.h2o3.mockparts.calls import Call, Reply, find_frame, find_model, job_json, key_name
from h2oharness.apis.h2o3.mockparts.frames import Frame
from h2oharness.apis.h2o3.mockparts.params import KeyRef, from_form
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo, Model
from h2oharness.apis.h2o3.mockparts.wire import BUILDER_ILLEGAL, JSONDict, bad_request, key, not_found
from h2oharness.mocks.jobs import JobTiming

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- model builders


def model_builders(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/ModelBuilders: the algorithms this mock can build."""
    call.values("ModelBuildersV3")
    return Reply(builders.builders_list(sorted(builders.ALGOS)))


def model_builder(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/ModelBuilders/{algo}; a real server answers 500 for an unknown algo, the mock 404."""
    call.values("ModelBuildersV3")
    algo = call.path_params["algo"]
    if algo not in builders.ALGOS:
        raise not_found(f"Algorithm '{algo}' is not registered. Available algos: [{','.join(sorted(builders.ALGOS))}]")
    return Reply(builders.builders_list([algo]))


def build(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/ModelBuilders/{algo}: validate, train, and answer a job that publishes the model."""
    return _build(state, call, validate_only=False)


def validate_parameters(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/ModelBuilders/{algo}/parameters: validation messages only, always 200."""
    return _build(state, call, validate_only=True)


def _build(state: H2O3MockState, call: Call, validate_only: bool) -> Reply:
    # routed as the metadata has them, one literal route per algorithm: /3/ModelBuilders/{algo}[/parameters]
    algo = call.path.split("/")[3]
    info = builders.ALGOS[algo]
    # A JSON body is ignored here, as on a real server: only query/form fields reach the builder.
    given = from_form(builders.params_schema(algo), {k: v for k, v in call.strings.items() if k != "_exclude_fields"})
    values = {**builders.defaults(algo), **given}
    model_id = key_name(values.get("model_id")) or builders.default_model_id(algo, state.cloud_id, state.next_number())
    values["model_id"] = KeyRef(model_id, "Key<Model>")
    with state.lock:
        train_frame = _frame_param(state, values, "training_frame")
        valid_frame = _frame_param(state, values, "validation_frame")
    if train_frame is None:
        return _missing_training_frame(state, algo, model_id, values, given, validate_only)
    category = builders.category_of(algo, values, train_frame)
    errors = builders.validate(algo, values, train_frame)
    dropped = builders.dropped_columns(values, train_frame)
    warnings = builders.response_warnings(values, train_frame)
    messages = builders.build_messages(algo, category, errors, builders.nfolds_of(values), dropped, warnings)
    if validate_only:
        return Reply(builders.builder_response(algo, job=None, messages=messages, values=values, given=given))
    if errors:
        raise builders.builder_error(algo, model_id, errors, values, category, dropped, warnings)
    timing = state.timings.model
    start = state.epoch_ms()
    times = training.BuildTimes(start, start + int(timing.total * 1000))
    model, fail_at, failure = fit_model(state, algo, values, given, train_frame, valid_frame, model_id, times)
    if state.failure_column in train_frame.names:
        fail_at = state.failure_progress
        failure = (
            f"java.lang.RuntimeException: injected failure: the training frame has a column named "
            f"'{state.failure_column}' (h2oharness mock)"
        )
    job_info = JobInfo(model_id, "Model", model, progress_msg="Scoring the model.")
    job = state.submit(algo, info.upper, job_info, timing, fail_at=fail_at, failure=failure)
    body = builders.builder_response(algo, job=job_json(state, job), messages=messages, values=values, given=given)
    return Reply(body)


def fit_model(
    state: H2O3MockState,
    algo: str,
    values: dict[str, Any],
    given: dict[str, Any],
    train_frame: Frame,
    valid_frame: Frame | None,
    model_id: str,
    times: training.BuildTimes,
) -> tuple[Model | None, float | None, str]:
    """The model (cross-validated when asked), or where (a progress fraction) and why its job fails."""
    too_many = crossval.too_many_folds(int(values.get("nfolds") or 0), len(train_frame.columns))
    if too_many:
        return None, 0.0, too_many
    try:
        model = training.train(
            algo,
            values,
            given,
            train_frame,
            model_id,
            times,
            max_rows=state.max_training_rows,
            max_trees=state.max_fitted_trees,
            validation=valid_frame,
        )
        if int(values.get("nfolds") or 0) > 1:
            crossval.cross_validate(
                algo, values, given, train_frame, model, times,
                max_rows=state.max_training_rows, max_trees=state.max_fitted_trees,
            )  # fmt: skip
    except (ArithmeticError, ValueError, IndexError) as exc:
        log.exception("the mock's %s learner failed", algo)
        with state.lock:
            state.internal_errors.append(f"{algo} learner: {type(exc).__name__}: {exc}")
        return None, 0.0, f"java.lang.RuntimeException: the mock's {algo} learner failed: {exc}"
    return model, None, ""


def _frame_param(state: H2O3MockState, values: dict[str, Any], name: str) -> Frame | None:
    frame_name = key_name(values.get(name))
    if frame_name is None:
        return None
    found = state.frames.get(frame_name)
    if found is None:
        raise builders.unknown_frame(frame_name)
    return found


def _missing_training_frame(
    state: H2O3MockState,
    algo: str,
    model_id: str,
    values: dict[str, Any],
    given: dict[str, Any],
    validate_only: bool,
) -> Reply:
    """A build without a training frame is accepted and its job fails at once, as on a real server."""
    upper = builders.ALGOS[algo].upper
    if validate_only:
        messages = [("ERRR", "train", "Missing training frame")]
        return Reply(builders.builder_response(algo, job=None, messages=messages, values=values, given=given))
    failure = (
        f"{BUILDER_ILLEGAL}: Illegal argument(s) for {upper} model: {model_id}.  "
        "Details: ERRR on field: _train: Missing training frame\n"
    )
    job = state.submit(algo, upper, JobInfo(model_id, "Model"), JobTiming(0.0, 0.0), fail_at=0.0, failure=failure)
    body = builders.builder_response(algo, job=job_json(state, job), messages=[], values=values, given=given)
    return Reply(body)


# ---------------------------------------------------------------- models


def models_list(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Models: a synopsis of every model."""
    call.values("ModelsV3")
    body = metadata.skeleton("ModelsV3")
    with state.lock:
        body["models"] = [state.models[m].synopsis for m in sorted(state.models)]
    return Reply(body)


def model(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Models/{model_id}: the full ModelV3 with its output and training metrics."""
    call.values("ModelsV3")
    with state.lock:
        found = find_model(state, call.path_params["model_id"])
    body = metadata.skeleton("ModelsV3")
    body["models"] = [found.body]
    return Reply(body)


def delete_model(state: H2O3MockState, call: Call) -> Reply:
    """DELETE /3/Models/{model_id}."""
    call.values("ModelsV3")
    with state.lock:
        find_model(state, call.path_params["model_id"])
        del state.models[call.path_params["model_id"]]
    return Reply(metadata.skeleton("ModelsV3"))


def delete_all_models(state: H2O3MockState, call: Call) -> Reply:
    """DELETE /3/Models: every model."""
    call.values("ModelsV3")
    with state.lock:
        state.models.clear()
    return Reply(metadata.skeleton("ModelsV3"))


# ---------------------------------------------------------------- jobs


def jobs_list(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Jobs: every job still held, oldest first."""
    call.values("JobsV3")
    body = metadata.skeleton("JobsV3")
    body.update(job_id=None, jobs=[job_json(state, j) for j in state.jobs.all()])
    return Reply(body)


def job(state: H2O3MockState, call: Call) -> Reply:
    """GET /3/Jobs/{job_id}: ``{"jobs": [JobV3]}``; a real server answers 400 "Job is missing" for an unknown id."""
    call.values("JobsV3")
    job_id = call.path_params["job_id"]
    found = state.jobs.get(job_id)
    if found is None:
        raise bad_request("Job is missing")
    body = metadata.skeleton("JobsV3")
    body.update(job_id=key(job_id, "Job"), jobs=[job_json(state, found)])
    return Reply(body)


def cancel_job(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/Jobs/{job_id}/cancel: cancels a live job; a finished one is left as it is (200 either way)."""
    call.values("JobsV3")
    job_id = call.path_params["job_id"]
    with state.lock:
        found = state.jobs.get(job_id)
        if found is None:
            raise bad_request(f"No job with key {job_id}")
        found.cancel(state.clock.now())
        state.settle()
    body = metadata.skeleton("JobsV3")
    body.update(job_id=key(job_id, "Job"), jobs=None)
    return Reply(body)


# ---------------------------------------------------------------- predictions and metrics


def _model_and_frame(state: H2O3MockState, call: Call) -> tuple[Model, Frame]:
    with state.lock:
        found_model = find_model(state, call.path_params["model"], "model", "predict")
        found_frame = find_frame(state, call.path_params["frame"], "frame", "predict")
    return found_model, found_frame


def metrics_list(model_name: str | None, frame_name: str | None, metrics: JSONDict | None) -> JSONDict:
    """A ModelMetricsListSchemaV3 of a model and a frame (null where None) holding ``metrics``."""
    body = metadata.skeleton("ModelMetricsListSchemaV3")
    body.update(
        model=key(model_name, "Model") if model_name is not None else None,
        frame=key(frame_name, "Frame") if frame_name is not None else None,
        predictions_frame=None,
        deviances_frame=None,
        custom_auuc_thresholds=None,
        output_per_reference=False,
        model_metrics=[metrics] if metrics is not None else [],
    )
    return body


def predict(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/Predictions/models/{model}/frames/{frame}: score now; ModelMetricsListSchemaV3 with the frame (the
    contributions, or the leaf node assignment, when asked: then without metrics for the latter, as a real server)."""
    values = call.values("ModelMetricsListSchemaV3")
    found_model, found_frame = _model_and_frame(state, call)
    given = key_name(values.get("predictions_frame"))
    metrics: JSONDict | None
    if values.get("leaf_node_assignment"):
        refusal = explain.leaf_refusal(found_model)
        if refusal is not None:
            raise bad_request(refusal)
        dest = given or _prediction_name("leaf_node_assignment", found_model, found_frame)
        kind = str(values.get("leaf_node_assignment_type") or "Path")
        predictions, metrics = explain.leaf_node_assignment(found_model, found_frame, dest, kind), None
    elif values.get("predict_contributions"):
        refusal = explain.contributions_refusal(found_model)
        if refusal is not None:
            raise bad_request(refusal)
        dest = given or _prediction_name("contributions_", found_model, found_frame)
        predictions = _contributions(found_model, found_frame, dest, values)
        metrics = training.model_metrics(found_model, found_frame, state.epoch_ms())
    else:
        dest = given or _prediction_name("predictions", found_model, found_frame)
        predictions, metrics = training.predict_with_metrics(found_model, found_frame, dest, state.epoch_ms())
        state.remember_metrics(found_model.id, found_frame.name, metrics)
    with state.lock:
        state.frames[dest] = predictions
    body = metrics_list(found_model.id, found_frame.name, metrics)
    if values.get("leaf_node_assignment"):
        body["model_metrics"] = None
    body["predictions_frame"] = key(dest, "Frame")
    return Reply(body)


def predict_async(state: H2O3MockState, call: Call) -> Reply:
    """POST /4/Predictions/models/{model}/frames/{frame}: h2o-py's predict() and predict_contributions(); a JobV3
    whose dest is the predictions (or the contributions; a model without them has a job that fails at once)."""
    values = call.values("ModelMetricsListSchemaV3")
    found_model, found_frame = _model_and_frame(state, call)
    given = key_name(values.get("predictions_frame"))
    if values.get("predict_contributions"):
        dest = given or _prediction_name("contributions_", found_model, found_frame)
        refusal = explain.contributions_refusal(found_model)
        if refusal is not None:
            failed = JobInfo(dest, "Frame")
            job = state.submit("predict", "transformation", failed, JobTiming(0.0, 0.0), fail_at=0.0, failure=refusal)
            return Reply(job_json(state, job))
        predictions = _contributions(found_model, found_frame, dest, values)
    else:
        dest = given or _prediction_name("transformation", found_model, found_frame)
        predictions = training.predict_frame(found_model, found_frame, dest)
    job_info = JobInfo(dest, "Frame", predictions, progress_msg="Scoring the frame.")
    started = state.submit("predict", "transformation", job_info, state.timings.predict)
    return Reply(job_json(state, started))


def _contributions(found_model: Model, found_frame: Frame, dest: str, values: dict[str, Any]) -> Frame:
    top_n, bottom_n = int(values.get("top_n") or 0), int(values.get("bottom_n") or 0)
    absolute = bool(values.get("compare_abs"))
    return explain.contributions(found_model, found_frame, dest, top_n, bottom_n, absolute)


def _prediction_name(prefix: str, found_model: Model, found_frame: Frame) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:4]}_{found_model.id}_on_{found_frame.name}"


def model_metrics(state: H2O3MockState, call: Call) -> Reply:
    """POST /3/ModelMetrics/models/{model}/frames/{frame}: score a model on a frame, and keep its metrics."""
    call.values("ModelMetricsListSchemaV3")
    found_model, found_frame = _model_and_frame(state, call)
    metrics = training.model_metrics(found_model, found_frame, state.epoch_ms())
    state.remember_metrics(found_model.id, found_frame.name, metrics)
    return Reply(metrics_list(found_model.id, found_frame.name, metrics))
