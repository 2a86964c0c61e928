"""The experiment operations: create, list, detail, status, logs, explain, best-model, delete and the SDK extras."""

from __future__ import annotations

from typing import Any

from h2oharness.apis.coreplexml.mockparts import automl, catalog, params
from h2oharness.apis.coreplexml.mockparts.state import CorePlexMLMockState, DatasetVersion, Experiment, PlannedModel
from h2oharness.apis.coreplexml.mockparts.wire import ApiError, Call, JSONDict, Reply, not_found, unprocessable
from h2oharness.mocks.jobs import JobPhase, JobTiming

STATUS = {
    JobPhase.QUEUED: "queued",
    JobPhase.RUNNING: "running",
    JobPhase.SUCCEEDED: "succeeded",
    JobPhase.FAILED: "failed",
    JobPhase.CANCELLED: "canceled",
}
JOB_STATUS = {**STATUS, JobPhase.SUCCEEDED: "completed"}
STATUSES = tuple(STATUS.values())
SORT_FIELDS = ("created_at", "updated_at", "name", "status", "model_count")
SORT_ORDERS = ("asc", "desc")


# ------------------------------------------------------------------ create


def _subtype(problem_type: str, version: DatasetVersion, target: str) -> str:
    if problem_type == "regression":
        return "regression"
    column = version.column(target)
    return "multiclass" if column is not None and column.unique > 2 else "binary"


def _bad_data(version: DatasetVersion, target: str, subtype: str, folds: int) -> str:
    """Why training on this data fails as soon as it starts ('' when it does not)."""
    if version.parse_error:
        return f"Dataset version {version.id} could not be read as a CSV table: {version.parse_error}"
    column = version.column(target)
    if column is None:
        names = ", ".join(c.name for c in version.columns)
        return f"Target column '{target}' not found in dataset version {version.id} (columns: {names})"
    if subtype == "regression" and column.dtype != "numeric":
        return f"Target column '{target}' is not numeric: regression needs a numeric target (try classification)"
    if subtype != "regression" and column.unique < 2:
        return f"Target column '{target}' has a single distinct value: classification needs at least two classes"
    if version.row_count < max(2, folds):
        return f"The dataset has {version.row_count} rows, too few for nfolds={folds}"
    if len(version.columns) < 2:
        return "The dataset has no feature columns besides the target"
    return ""


def create_experiment(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST /api/experiments``: 201 ``{id, experiment_id, job_id, status: "queued"}``."""
    body = call.json()
    project_id = params.uuid_text(params.required_str(body, "project_id", max_length=100), ("body", "project_id"))
    version_id = params.uuid_text(
        params.required_str(body, "dataset_version_id", max_length=100), ("body", "dataset_version_id")
    )
    name = params.required_str(body, "name", max_length=200)
    target = params.required_str(body, "target_column", max_length=500)
    problem_type = catalog.resolve_problem_type(params.required_str(body, "problem_type", max_length=50))
    if "config" in body and body["config"] is None:
        raise unprocessable("config must be an object", ("body", "config"), "dict_type")
    config = catalog.check_config_shape(body.get("config"))
    use_gpu = params.optional_bool(body, "use_gpu", False)
    mode = params.optional_choice(body, "execution_mode", catalog.EXECUTION_MODES, "single") or "single"
    engine = params.optional_choice(body, "engine", catalog.ENGINES, None)
    engines = _engines(body["engines"]) if "engines" in body else []
    with state.lock:
        project = state.projects.get(project_id)
        version = state.versions.get(version_id)
        dataset = state.datasets.get(version.dataset_id) if version is not None else None
    if project is None:
        raise not_found("Project")
    if version is None or dataset is None or dataset.project_id != project.id:
        raise not_found("Dataset version")
    subtype = _subtype(problem_type, version, target)
    config = catalog.check_config_for(config, subtype)
    column = version.column(target)
    if config["sort_metric"] == "rmsle" and column is not None and (column.minimum or 0.0) < 0:
        raise unprocessable("config.sort_metric 'rmsle' needs a non-negative target", ("body", "config", "sort_metric"))
    chosen = engines or ([engine] if engine else ["h2o"])
    experiment_id = state.new_id()
    folds = automl.effective_nfolds(config["nfolds"], version.row_count)
    failure = _bad_data(version, target, subtype, folds)
    plan = automl.plan(experiment_id, version, target, subtype, config, state.max_models_quota)
    fail_at: float | None = 0.0 if failure else None
    if not failure and version.column(state.failure_column) is not None:
        fail_at = state.failure_progress
        failure = (
            f"H2O AutoML failed: java.lang.IllegalStateException: column '{state.failure_column}' "
            "broke the training frame"
        )
    timings = state.timings
    running = 0.0 if failure and fail_at == 0.0 else max(timings.min_running, plan.total_time * timings.time_scale)
    if timings.time_scale == 0 and timings.min_running == 0:
        running = 0.0
    notes = list(plan.notes)
    if use_gpu:
        notes.append("use_gpu requested but no GPU worker is available: training on CPU")
    with state.lock:
        job = state.jobs.submit(
            "automl_train",
            JobTiming(queued=timings.queued, running=running),
            job_id=state.new_id(),
            fail_at=fail_at,
            failure=failure,
            description=f"AutoML {name}",
        )
        state.experiments[experiment_id] = Experiment(
            id=experiment_id,
            job=job,
            project_id=project.id,
            dataset_id=version.dataset_id,
            dataset_version_id=version.id,
            name=name,
            target_column=target,
            problem_type=problem_type,
            subtype=subtype,
            config=config,
            requested=dict(body.get("config") or {}),
            use_gpu=use_gpu,
            execution_mode=mode,
            engines=chosen,
            created_at=state.iso(),
            created_clock=state.clock.now(),
            features=[c.name for c in version.columns if c.name != target],
            plan=[] if failure and fail_at == 0.0 else plan.models,
            notes=notes,
            target=column,
        )
    return Reply({"id": experiment_id, "experiment_id": experiment_id, "job_id": job.id, "status": "queued"}, 201)


def _engines(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v in catalog.ENGINES for v in value):
        raise unprocessable(f"engines must be an array of: {', '.join(catalog.ENGINES)}", ("body", "engines"), "enum")
    return list(dict.fromkeys(value))


# ------------------------------------------------------------------ rendering


def _experiment(state: CorePlexMLMockState, experiment_id: str) -> Experiment:
    with state.lock:
        experiment = state.experiments.get(experiment_id)
    if experiment is None:
        raise not_found("Experiment")
    return experiment


def _board(experiment: Experiment, now: float) -> list[PlannedModel]:
    return automl.leaderboard(experiment.models(now), experiment.config["sort_metric"])


def best_model(experiment: Experiment, board: list[PlannedModel]) -> PlannedModel | None:
    """The override when it is on the board, else the top of the leaderboard."""
    if experiment.best_override is not None:
        chosen = next((m for m in board if m.id == experiment.best_override), None)
        if chosen is not None:
            return chosen
    return board[0] if board else None


def _error(experiment: Experiment, now: float) -> str | None:
    phase = experiment.job.phase(now)
    if phase is JobPhase.FAILED:
        return experiment.job.failure or "AutoML training failed"
    if phase is JobPhase.CANCELLED:
        return "Experiment was canceled"
    return None


def _times(state: CorePlexMLMockState, experiment: Experiment, now: float) -> tuple[str | None, str | None]:
    job = experiment.job
    started = job.submitted_at + job.timing.queued
    started_at = state.iso(started) if experiment.job.phase(now) is not JobPhase.QUEUED else None
    if job.phase(now) is JobPhase.CANCELLED and job.cancelled_at is not None and job.cancelled_at < started:
        started_at = None
    ended = job.ended_at(now)
    return started_at, state.iso(ended) if ended is not None else None


def model_body(model: PlannedModel, rank: int, best: PlannedModel | None) -> JSONDict:
    """One model of the leaderboard."""
    return {
        "id": model.id,
        "name": model.name,
        "algo": model.algo,
        "rank": rank,
        "metrics": dict(model.metrics),
        "training_time": model.training_time,
        "is_best": best is not None and model.id == best.id,
    }


def detail(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/experiments/{experiment_id}``: the experiment, its leaderboard, artifact links, best model."""
    experiment = _experiment(state, call.path_params["experiment_id"])
    now = state.clock.now()
    board = _board(experiment, now)
    best = best_model(experiment, board)
    started_at, finished_at = _times(state, experiment, now)
    config = experiment.config
    body = {
        "id": experiment.id,
        "name": experiment.name,
        "project_id": experiment.project_id,
        "dataset_id": experiment.dataset_id,
        "dataset_version_id": experiment.dataset_version_id,
        "target_column": experiment.target_column,
        "problem_type": experiment.problem_type,
        "problem_subtype": experiment.subtype,
        "status": STATUS[experiment.job.phase(now)],
        "progress": round(experiment.job.progress(now), 4),
        "max_runtime_secs": config["max_runtime_secs"],
        "max_models": config["max_models"],
        "sort_metric": config["sort_metric"],
        "nfolds": config["nfolds"],
        "config": dict(config),
        "use_gpu": experiment.use_gpu,
        "execution_mode": experiment.execution_mode,
        "engine": experiment.engines[0],
        "job_id": experiment.job.id,
        "model_count": len(board),
        "error": _error(experiment, now),
        "created_at": experiment.created_at,
        "started_at": started_at,
        "finished_at": finished_at,
    }
    return Reply(
        {
            "experiment": body,
            "models": [model_body(m, i + 1, best) for i, m in enumerate(board)],
            "artifact_links": [],
            "best_model_id": best.id if best else None,
        }
    )


def status(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/experiments/{experiment_id}/status``: the lightweight poll."""
    experiment = _experiment(state, call.path_params["experiment_id"])
    now = state.clock.now()
    return Reply(
        {
            "experiment_id": experiment.id,
            "status": STATUS[experiment.job.phase(now)],
            "progress": round(experiment.job.progress(now), 4),
            "model_count": len(experiment.models(now)),
            "error": _error(experiment, now),
        }
    )


def summary(state: CorePlexMLMockState, experiment: Experiment, now: float) -> JSONDict:
    """One item of the experiment list."""
    board = _board(experiment, now)
    best = best_model(experiment, board)
    with state.lock:
        project = state.projects.get(experiment.project_id)
        dataset = state.datasets.get(experiment.dataset_id)
    return {
        "id": experiment.id,
        "name": experiment.name,
        "project_id": experiment.project_id,
        "project_name": project.name if project else "",
        "dataset_id": experiment.dataset_id,
        "dataset_version_id": experiment.dataset_version_id,
        "dataset_name": dataset.name if dataset else "",
        "target_column": experiment.target_column,
        "problem_type": experiment.problem_type,
        "status": STATUS[experiment.job.phase(now)],
        "model_count": len(board),
        "best_model_id": best.id if best else None,
        "best_model_algo": best.algo if best else None,
        "created_at": experiment.created_at,
    }


def list_experiments(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/experiments`` with filters, search, sort and paging."""
    limit = params.int_query(call, "limit", 50, 1, 500)
    offset = params.int_query(call, "offset", 0, 0)
    project_id = params.uuid_query(call, "project_id")
    dataset_id = params.uuid_query(call, "dataset_id")
    wanted = params.enum_query(call, "status", STATUSES)
    search = (params.str_query(call, "search") or "").lower()
    sort_by = params.enum_query(call, "sort_by", SORT_FIELDS, "created_at") or "created_at"
    order = params.enum_query(call, "sort_order", SORT_ORDERS, "desc") or "desc"
    now = state.clock.now()
    with state.lock:
        experiments = list(state.experiments.values())
    rows = []
    for index, experiment in enumerate(experiments):
        item = summary(state, experiment, now)
        if project_id is not None and experiment.project_id != project_id:
            continue
        if dataset_id is not None and dataset_id not in (experiment.dataset_id, experiment.dataset_version_id):
            continue
        if wanted is not None and item["status"] != wanted:
            continue
        if search and search not in experiment.name.lower() and search not in experiment.target_column.lower():
            continue
        ended = experiment.job.ended_at(now)
        updated = ended if ended is not None else experiment.created_clock
        keys: dict[str, Any] = {
            "created_at": (experiment.created_clock, index),
            "updated_at": (updated, index),
            "name": (experiment.name.lower(), index),
            "status": (item["status"], index),
            "model_count": (item["model_count"], index),
        }
        rows.append((keys[sort_by], item))
    rows.sort(key=lambda row: row[0], reverse=order == "desc")
    items = [item for _, item in rows[offset : offset + limit]]
    return Reply({"items": items, "total": len(rows), "limit": limit, "offset": offset})


# ------------------------------------------------------------------ logs, explain, best model


def logs(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/experiments/{experiment_id}/logs``; ``include_events=true`` adds the H2O event log."""
    experiment = _experiment(state, call.path_params["experiment_id"])
    events = params.bool_query(call, "include_events", False)
    now = state.clock.now()
    phase = experiment.job.phase(now)
    metric = experiment.config["sort_metric"]
    board = _board(experiment, now)
    best = best_model(experiment, board)
    lines = [
        f"Experiment status: {STATUS[phase]}",
        f"Job status: {JOB_STATUS[phase]}",
        "",
        f"AutoML progress: {round(experiment.job.progress(now) * 100)}%",
    ]
    lines += [f"Note: {note}" for note in experiment.notes]
    for model in experiment.models(now):
        value = model.metrics.get(metric)
        lines.append(
            f"Trained {model.name} ({model.algo}) in {model.training_time:.1f}s: {automl.display(metric)}={value}"
        )
    if best is not None:
        lines.append(f"Best model: {best.name} ({automl.display(metric)}={best.metrics.get(metric)})")
    error = _error(experiment, now)
    if error:
        lines.append(f"Error: {error}")
    if events:
        lines += _events(experiment, now)
    return Reply({"experiment_id": experiment.id, "logs": lines, "count": len(lines)})


def _events(experiment: Experiment, now: float) -> list[str]:
    config = experiment.config
    phase = experiment.job.phase(now)
    out = [f"[H2O] AutoML job submitted: project={experiment.project_id} target={experiment.target_column}"]
    if phase is JobPhase.QUEUED:
        return out
    out.append(
        f"[H2O] AutoML build started: max_models={config['max_models']} max_runtime_secs={config['max_runtime_secs']} "
        f"nfolds={config['nfolds']} sort_metric={config['sort_metric']} seed={config['seed']}"
    )
    out.append(
        f"[H2O] Early stopping: stopping_metric={config['stopping_metric']} rounds={config['stopping_rounds']} "
        f"tolerance={config['stopping_tolerance']}"
    )
    if config["exclude_algos"]:
        out.append(f"[H2O] Excluded algorithms: {', '.join(config['exclude_algos'])}")
    for model in experiment.models(now):
        out.append(f"[H2O] {model.algo} model {model.name} built")
    if phase.final:
        out.append(f"[H2O] AutoML build {JOB_STATUS[phase]}")
    return out


def explain(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/experiments/{experiment_id}/explain``: Pareto front and variable-importance heatmap."""
    experiment = _experiment(state, call.path_params["experiment_id"])
    now = state.clock.now()
    board = _board(experiment, now)
    if not board:
        raise ApiError(
            409, f"Experiment is {STATUS[experiment.job.phase(now)]} and has no trained models to explain yet"
        )
    metric = experiment.config["sort_metric"]
    front = automl.pareto_front(board, metric)
    # SHAP and variable importances are not available for StackedEnsemble models
    with_varimp = [m for m in board if m.algo != "StackedEnsemble"]
    return Reply(
        {
            "explain": {
                "pareto_front": {
                    "metric_name": metric,
                    "models": [
                        {"name": m.name, "algo": m.algo, "metric": m.metrics[metric], "training_time": m.training_time}
                        for m in front
                    ],
                },
                "varimp_heatmap": {
                    "models": [m.name for m in with_varimp],
                    "features": list(experiment.features),
                    "matrix": [list(m.varimp) for m in with_varimp],
                },
            }
        }
    )


def set_best_model(state: CorePlexMLMockState, call: Call) -> Reply:
    """``POST /api/experiments/{experiment_id}/best-model`` ``{model_id}``: only a model of this experiment."""
    experiment = _experiment(state, call.path_params["experiment_id"])
    body = call.json()
    model_id = params.required_str(body, "model_id", max_length=100)
    now = state.clock.now()
    if any(m.id == model_id for m in experiment.models(now)):
        with state.lock:
            experiment.best_override = model_id
        return Reply({"ok": True, "experiment_id": experiment.id, "best_model_id": model_id})
    with state.lock:
        owner = next(
            (
                e
                for e in state.experiments.values()
                if e.id != experiment.id and any(m.id == model_id for m in e.models(now))
            ),
            None,
        )
    if owner is not None:
        raise ApiError(400, f"Model {model_id} belongs to experiment {owner.id}, not to experiment {experiment.id}")
    if model_id not in experiment.deleted and any(m.id == model_id for m in experiment.plan):
        raise ApiError(409, f"Model {model_id} is not trained yet")
    raise not_found("Model")


def delete(state: CorePlexMLMockState, call: Call) -> Reply:
    """``DELETE /api/experiments/{experiment_id}``: the experiment and its models (a live run is stopped)."""
    experiment = _experiment(state, call.path_params["experiment_id"])
    with state.lock:
        experiment.job.cancel(state.clock.now())
        state.experiments.pop(experiment.id, None)
    return Reply({"ok": True})


def capabilities(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/experiments/capabilities``."""
    return Reply(catalog.capabilities(state.max_models_quota))


def engine_runs(state: CorePlexMLMockState, call: Call) -> Reply:
    """``GET /api/experiments/{experiment_id}/engine-runs``: one row per engine."""
    experiment = _experiment(state, call.path_params["experiment_id"])
    now = state.clock.now()
    board = _board(experiment, now)
    best = best_model(experiment, board)
    started_at, finished_at = _times(state, experiment, now)
    items = [
        {
            "engine": engine,
            "status": STATUS[experiment.job.phase(now)],
            "model_count": len(board),
            "best_model_id": best.id if best else None,
            "started_at": started_at,
            "finished_at": finished_at,
        }
        for engine in experiment.engines
    ]
    return Reply({"experiment_id": experiment.id, "execution_mode": experiment.execution_mode, "items": items})
