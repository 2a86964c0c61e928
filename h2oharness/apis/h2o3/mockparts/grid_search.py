"""A grid's search: train each combination it has not tried through the path ``POST /3/ModelBuilders`` takes, and
start the job that publishes the models."""

from __future__ import annotations

from typing import Any

from h2oharness.apis.h2o3.mockparts import builders, metadata, training
from h2oharness.apis.h2o3.mockparts.calls import job_json, key_name
from h2oharness.apis.h2o3.mockparts.frames import Frame
from h2oharness.apis.h2o3.mockparts.grid_state import Combo, Failure, Grid
from h2oharness.apis.h2o3.mockparts.handlers_models import fit_model
from h2oharness.apis.h2o3.mockparts.params import KeyRef, convert_form
from h2oharness.apis.h2o3.mockparts.state import H2O3MockState, JobInfo, Model
from h2oharness.apis.h2o3.mockparts.wire import BUILDER_ILLEGAL, JAVA_ILLEGAL, H2OError, JSONDict
from h2oharness.mocks.jobs import JobPhase, JobTiming

#: models one request may ask for: each is trained inside the request (as a build is, see DEVIATIONS)
MAX_GRID_MODELS = 100
NO_STACK = "\n\tat h2oharness.mock(no Java stack in the mock)\n"


def run(
    state: H2O3MockState,
    grid: Grid,
    algo: str,
    given: dict[str, Any],
    combos: list[Combo],
) -> JSONDict:
    """Train the combinations (in the request, within the budget) and start the job that publishes them."""
    info = builders.ALGOS[algo]
    timing = state.timings.model
    job_id = state.new_job_id()
    fresh = [c for c in combos if not _tried(state, grid, c)]
    start = state.epoch_ms()
    times = training.BuildTimes(start, start + int(timing.total * 1000 * max(1, len(fresh))))
    built: list[Model] = []
    failure = ""
    if len(fresh) > MAX_GRID_MODELS:
        failure = (
            f"{JAVA_ILLEGAL}: the mock trains at most {MAX_GRID_MODELS} models per grid search; this one asks for "
            f"{len(fresh)} (h2oharness mock)"
        )
    else:
        with state.lock:
            frame = state.frames.get(key_name(given.get("training_frame")) or "")
            valid = state.frames.get(key_name(given.get("validation_frame")) or "")
        for combo in combos:
            model_id = f"{grid.grid_id}_model_{grid.next_model}"
            grid.next_model += 1
            if _tried(state, grid, combo):
                continue  # built before: a real grid skips it too, its number spent
            grid.tried[frozenset(combo)] = job_id
            model = _build_one(state, grid, algo, given, combo, model_id, frame, valid, times, job_id)
            if model is not None:
                built.append(model)
                grid.entries.append((job_id, model.id))
    companions: list[Frame | Model] = []
    for model in built:
        companions += [model, *model.companions]
    job_info = JobInfo(grid.grid_id, "Grid", progress_msg="Building models.", companions=companions)
    running = JobTiming(timing.queued, timing.running * len(fresh)) if fresh else JobTiming(timing.queued, 0.0)
    running = JobTiming(0.0, 0.0) if failure else running
    description = f"{info.upper} Grid Search"
    fail_at = 0.0 if failure else None
    job = state.submit(algo, description, job_info, running, fail_at=fail_at, failure=failure, job_id=job_id)
    grid.job_id = job.id
    with state.lock:
        state.grids[grid.grid_id] = grid
        state.trim()
    return job_json(state, job)


def _tried(state: H2O3MockState, grid: Grid, combo: Combo) -> bool:
    """Whether a job of the grid built (or is building) the combination: one cancelled or failed did not."""
    job_id = grid.tried.get(frozenset(combo))
    if job_id is None:
        return False
    job = state.jobs.get(job_id)
    return job is None or job.phase(state.clock.now()) not in (JobPhase.CANCELLED, JobPhase.FAILED)


def _build_one(
    state: H2O3MockState,
    grid: Grid,
    algo: str,
    given: dict[str, Any],
    combo: Combo,
    model_id: str,
    frame: Frame | None,
    valid: Frame | None,
    times: training.BuildTimes,
    job_id: str,
) -> Model | None:
    """One combination's model, or None with its failure recorded in the grid."""
    schema = builders.params_schema(algo)
    specs = metadata.input_fields(schema)
    chosen: dict[str, Any] = {}
    raws = [raw for _, raw in combo]
    for name, raw in combo:
        try:
            chosen[name] = convert_form(specs[name], schema, raw)
        except H2OError:
            text = f"Cannot set field '{name}' to value {raw}"
            grid.failures.append(Failure(job_id, None, raws, text, f"{JAVA_ILLEGAL}: {text}{NO_STACK}"))
            return None
    values = {**builders.defaults(algo), **given, **chosen, "model_id": KeyRef(model_id, "Key<Model>")}
    model_given = {**given, **chosen}
    frame_name = key_name(values.get("training_frame"))
    upper = builders.ALGOS[algo].upper

    def fail(text: str, exception: str, params: dict[str, Any]) -> None:
        rendered = builders.parameters_object(algo, {**params, "model_id": None})
        grid.failures.append(Failure(job_id, rendered, raws, text, f"{exception}: {text}{NO_STACK}"))

    if frame_name is None or frame is None:
        if frame_name is None:
            details = "ERRR on field: _train: Missing training frame"
            text = f"Illegal argument(s) for {upper} model: {model_id}.  Details: {details}\n"
            fail(text, BUILDER_ILLEGAL, {**values, "training_frame": None})
        else:
            fail(
                f"Object with key='{frame_name}' doesn't exist in DKV.",
                JAVA_ILLEGAL,
                {**values, "training_frame": None},
            )
        return None
    errors = builders.validate(algo, values, frame)
    if errors:
        details = "\n".join(f"ERRR on field: _{f}: {m}" for f, m in errors)
        fail(f"Illegal argument(s) for {upper} model: {model_id}.  Details: {details}\n", BUILDER_ILLEGAL, values)
        return None
    model, _, why = fit_model(state, algo, values, model_given, frame, valid, model_id, times)
    if model is None:
        fail(why.split(": ", 1)[-1], why.split(": ", 1)[0], values)
    return model
